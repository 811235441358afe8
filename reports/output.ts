/**
 * The impure steps shared by the reporters: follow the run (including a run stopped by a signal), read the
 * configuration and the run context, build the redacted document, write one file atomically. Never throws.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node'
import { type Config, loadConfig } from '../lib/config.js'
import type { ResultsDocument } from '../lib/results/model.js'
import { readRunContext } from '../lib/results/run-context.js'
import { buildResultsDocument, collectLatency, collectRecords, outputDir, reportFailure } from './collect.js'

export interface RunEnd {
  testModules: ReadonlyArray<TestModule>
  unhandledErrors: ReadonlyArray<SerializedError>
  reason: TestRunEndReason
  /** When the reporter saw the run start; used if the global setup left no run context. */
  startedAt: string
  env: NodeJS.ProcessEnv
}

export type RunEndHandler = (
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
  reason: TestRunEndReason,
) => void

const SIGNALS = ['SIGINT', 'SIGTERM'] as const

/**
 * Calls `onEnd` exactly once per run: from onTestRunEnd, or with reason `interrupted` on SIGINT/SIGTERM,
 * because `vitest run` stopped by Ctrl-C or killed by a CI timeout exits without calling onTestRunEnd.
 * vitest's own signal handler exits on a 1 ms timer, so the synchronous `onEnd` still completes.
 */
export class RunTracker {
  startedAt = new Date().toISOString()
  startedAtMs = Date.now()
  /** By module id: the object vitest passes to onTestModuleQueued is replaced by a new one once the file is collected. */
  private modules = new Map<string, TestModule>()
  private ended = true
  private readonly onSignal = (): void => {
    if (!this.ended) this.end([...this.modules.values()], [], 'interrupted')
  }

  constructor(private readonly onEnd: RunEndHandler) {}

  start(): void {
    this.startedAtMs = Date.now()
    this.startedAt = new Date(this.startedAtMs).toISOString()
    this.modules = new Map()
    this.ended = false
    for (const s of SIGNALS) process.once(s, this.onSignal)
  }

  /** Call from onTestModuleQueued and onTestModuleCollected. */
  add(testModule: TestModule): void {
    this.modules.set(testModule.moduleId, testModule)
  }

  /** From onTestRunEnd: always reports, even if the start was not seen. */
  end(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    this.ended = true
    for (const s of SIGNALS) process.off(s, this.onSignal)
    this.onEnd(testModules, unhandledErrors, reason)
  }
}

/**
 * The hook plumbing every kit reporter shares: it tracks the run (including Ctrl-C, where vitest skips
 * onTestRunEnd) and calls `finish` exactly once with the run's modules.
 */
export abstract class RunEndReporter implements Reporter {
  protected readonly run: RunTracker = new RunTracker((m, e, r) => this.finish(m, e, r))

  protected abstract finish(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void

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

/** The redacted results document of a finished run (reads the run context the global setup wrote). */
export function documentForRun(run: RunEnd, cfg: Config): ResultsDocument {
  const records = collectRecords(run.testModules, run.unhandledErrors, cfg, run.env)
  return buildResultsDocument(records, cfg, readRunContext(cfg), run.reason, new Date(), {
    env: run.env,
    startedAt: run.startedAt,
    latency: collectLatency(run.testModules),
  })
}

/** Absolute path of an output file (`fileName` relative to CONFORMANCE_OUTPUT_DIR unless absolute). */
export function outputPath(fileName: string, cfg: Config): string {
  return path.isAbsolute(fileName) ? fileName : path.join(outputDir(cfg), fileName)
}

/**
 * `mkdir -p` one level at a time: Node 20's `mkdirSync(dir, { recursive: true })` can loop forever on some
 * unwritable paths (seen under /proc), which would hang the end of the run.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = []
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) {
    missing.push(d)
    if (path.dirname(d) === d) break
  }
  for (const d of missing.reverse()) fs.mkdirSync(d)
}

/** Writes `render(document)` to the output file; on any failure prints what went wrong and returns null. */
export function writeRunOutput(fileName: string, run: RunEnd, render: (doc: ResultsDocument) => string): string | null {
  let file = fileName
  let tmp: string | undefined
  try {
    const cfg = loadConfig(run.env)
    file = outputPath(fileName, cfg)
    const text = render(documentForRun(run, cfg))
    makeDirs(path.dirname(file))
    tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, text)
    fs.renameSync(tmp, file)
    return file
  } catch (err) {
    try {
      if (tmp !== undefined) fs.rmSync(tmp, { force: true })
    } catch {
      // leave the temporary file; the message below names the real problem
    }
    reportFailure(`write ${file}`, err)
    return null
  }
}
