/**
 * Prints where the three outputs are, then, as the very last line of the run, `N passed, N failed, N skipped`.
 * List it LAST in `reporters` (after 'default' and the file writers): vitest starts every reporter's
 * onTestRunEnd in list order and all of this is synchronous, so this output comes after theirs.
 */
import fs from 'node:fs'
import type { SerializedError, TestModule, TestRunEndReason } from 'vitest/node'
import { type Config, loadConfig } from '../lib/config.js'
import { closingCounts, closingLine, collectRecords, countByStatus, OUTPUT_FILES, reportFailure } from './collect.js'
import { outputPath, RunEndReporter } from './output.js'

export interface SummaryLineOptions {
  /** Output file names to list (inside the output directory, or absolute). Default: the three outputs. */
  fileNames?: string[]
  /** Environment for the configuration. Default `process.env`. */
  env?: NodeJS.ProcessEnv
}

export default class SummaryLineReporter extends RunEndReporter {
  constructor(private readonly options: SummaryLineOptions = {}) {
    super()
  }

  protected finish(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const env = this.options.env ?? process.env
    const lines: string[] = []
    let cfg: Config
    try {
      cfg = loadConfig(env)
    } catch (err) {
      // The configuration was refused; still close the run with a verdict (defaults, not strict).
      reportFailure('read the CONFORMANCE_* configuration for the closing line', err)
      cfg = loadConfig({})
    }
    try {
      const names = this.options.fileNames ?? [OUTPUT_FILES.results, OUTPUT_FILES.junit, OUTPUT_FILES.html]
      lines.push('Conformance outputs:')
      for (const name of names) {
        const file = outputPath(name, cfg)
        lines.push(`  ${file}${this.writtenThisRun(file) ? '' : '  (not written by this run; see the error above)'}`)
      }
    } catch (err) {
      reportFailure('list the output files', err)
    }
    let last: string
    try {
      const records = collectRecords(testModules, unhandledErrors, cfg, env)
      last = closingLine(closingCounts({ summary: { total: records.length, byStatus: countByStatus(records) } }, cfg.strict))
    } catch (err) {
      // Should not happen (the mapping is pure); fall back to vitest's own states so the run still ends with a verdict.
      reportFailure('compute the closing line from the test metadata', err)
      last = fallbackLine(testModules, unhandledErrors.length)
    }
    if (reason === 'interrupted') lines.push('The run was interrupted: the outputs and counts are partial.')
    lines.push(last)
    try {
      process.stdout.write(`${lines.join('\n')}\n`)
    } catch {
      // stdout closed (for example a broken pipe); nothing else to do
    }
  }

  private writtenThisRun(file: string): boolean {
    try {
      // One second of slack for file systems with coarse timestamps.
      return fs.statSync(file).mtimeMs >= this.run.startedAtMs - 1000
    } catch {
      return false
    }
  }
}

function fallbackLine(testModules: ReadonlyArray<TestModule>, unhandled: number): string {
  let passed = 0
  let failed = unhandled
  let skipped = 0
  for (const m of testModules) {
    for (const t of m.children.allTests()) {
      const state = t.result().state
      if (state === 'passed') passed++
      else if (state === 'failed') failed++
      else skipped++
    }
  }
  return closingLine({ passed, failed, skipped })
}
