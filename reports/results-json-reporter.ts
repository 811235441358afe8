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

/**
 * Indented for reading, except long arrays of numbers (the latency samples): a full-profile run holds 10⁵ numbers
 * per shim, and one per line would make the file tens of megabytes. Each such array stays on one line.
 */
export function renderResultsJson(doc: ResultsDocument): string {
  const inline: string[] = []
  const text = JSON.stringify(
    doc,
    (_k, v: unknown) => {
      if (Array.isArray(v) && v.length > 8 && v.every((x) => x === null || typeof x === 'number' || typeof x === 'boolean')) {
        inline.push(JSON.stringify(v))
        return `\u0000inline:${inline.length - 1}`
      }
      return v
    },
    2,
  )
  return `${text.replace(/"\\u0000inline:(\d+)"/g, (_m, i: string) => inline[Number(i)] as string)}\n`
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
