/** Writes `<CONFORMANCE_OUTPUT_DIR>/results.json`, the stable CI contract (see reports/README.md). */
import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node'
import type { ResultsDocument } from '../lib/results/model.js'
import { OUTPUT_FILES } from './collect.js'
import { RunTracker, writeRunOutput } from './output.js'

export interface ResultsJsonOptions {
  /** File name inside the output directory, or an absolute path. Default `results.json`. */
  fileName?: string
  /** Environment for the configuration and for redaction. Default `process.env`. */
  env?: NodeJS.ProcessEnv
}

export function renderResultsJson(doc: ResultsDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`
}

export default class ResultsJsonReporter implements Reporter {
  private readonly run: RunTracker

  constructor(options: ResultsJsonOptions = {}) {
    const env = options.env ?? process.env
    this.run = new RunTracker((testModules, unhandledErrors, reason) => {
      const run = { testModules, unhandledErrors, reason, startedAt: this.run.startedAt, env }
      writeRunOutput(options.fileName ?? OUTPUT_FILES.results, run, renderResultsJson)
    })
  }

  onTestRunStart(): void {
    this.run.start()
  }

  onTestModuleQueued(testModule: TestModule): void {
    this.run.add(testModule)
  }

  onTestModuleCollected(testModule: TestModule): void {
    this.run.add(testModule)
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    this.run.end(testModules, unhandledErrors, reason)
  }
}
