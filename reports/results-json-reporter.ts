/** Writes `<CONFORMANCE_OUTPUT_DIR>/results.json`, the stable CI contract (see reports/README.md). */
import type { SerializedError, TestModule, TestRunEndReason } from 'vitest/node'
import type { ResultsDocument } from '../lib/results/model.js'
import { OUTPUT_FILES } from './collect.js'
import { RunEndReporter, writeRunOutput } from './output.js'

export interface ResultsJsonOptions {
  /** File name inside the output directory, or an absolute path. Default `results.json`. */
  fileName?: string
  /** Environment for the configuration and for redaction. Default `process.env`. */
  env?: NodeJS.ProcessEnv
}

export function renderResultsJson(doc: ResultsDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`
}

export default class ResultsJsonReporter extends RunEndReporter {
  constructor(private readonly options: ResultsJsonOptions = {}) {
    super()
  }

  protected finish(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const run = { testModules, unhandledErrors, reason, startedAt: this.run.startedAt, env: this.options.env ?? process.env }
    writeRunOutput(this.options.fileName ?? OUTPUT_FILES.results, run, renderResultsJson)
  }
}
