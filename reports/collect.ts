/**
 * Pure functions shared by the reporters: vitest test cases → TestRecords → one ResultsDocument.
 * Every reporter builds the same document from the same inputs, so the three outputs always agree.
 */
import os from 'node:os'
import path from 'node:path'
import type { SerializedError, TestCase, TestModule, TestRunEndReason } from 'vitest/node'
import { type Config, effectiveConfig, REPO_ROOT, redact, resolveFromRoot, scrubSecrets } from '../lib/config.js'
import { kitInfo } from '../lib/kit-info.js'
import { summariseSeries } from '../lib/latency/analysis.js'
import { EXPERIMENTS, type GateVerdict, type LatencySeriesData, type LatencySeriesReport } from '../lib/latency/model.js'
import {
  type ResultsDocument,
  type RunContext,
  type Status,
  type TestRecord,
  RESULTS_SCHEMA_VERSION,
  STATUSES,
} from '../lib/results/model.js'

/** File names of the three outputs inside the output directory (`CONFORMANCE_OUTPUT_DIR`). */
export const OUTPUT_FILES = { results: 'results.json', junit: 'junit.xml', html: 'report.html' } as const

/** One-line meaning of each status, as shown in the HTML legend and documented in reports/README.md. */
export const STATUS_MEANING: Record<Status, string> = {
  pass: 'the shim behaved as AWS documents',
  fail: 'the shim departed from the documented behaviour',
  'expected-fail': 'a known departure listed in the expectations file, still failing',
  'unexpected-pass': 'listed as a known departure but passed; update the expectations file (a failure with CONFORMANCE_STRICT=1)',
  unsupported: 'the shim does not declare a capability the behaviour needs',
  skip: 'not run, for the reason given (for example infrastructure absent)',
  error: 'the kit or its infrastructure broke; not a verdict on the shim',
}

/** Longest message kept per test; vitest diffs can be very long. */
const MAX_MESSAGE = 8000

/**
 * The parts of a vitest `TestCase` the mapping reads. A real `TestCase` satisfies it; tests can pass plain objects.
 */
export interface TestCaseLike {
  readonly fullName: string
  readonly module: { readonly moduleId: string }
  meta(): ReturnType<TestCase['meta']>
  result(): { readonly state: string; readonly errors?: ReadonlyArray<{ message?: unknown }> | undefined; readonly note?: string | undefined }
  diagnostic(): { readonly duration: number } | undefined
}

/** Absolute path of the output directory. */
export function outputDir(cfg: Config): string {
  return resolveFromRoot(cfg.outputDir)
}

/** Repository-relative path with forward slashes. */
export function relativeToRepo(file: string): string {
  return path.relative(REPO_ROOT, file).split(path.sep).join('/')
}

/** `suites/<name>/…` → `<name>`; anything else is one of the kit's own tests. */
export function suiteOfFile(relFile: string): string {
  const m = /^suites\/([^/]+)\//.exec(relFile)
  return m?.[1] ?? 'kit'
}

function statusFromState(state: string): Status {
  if (state === 'passed') return 'pass'
  if (state === 'failed') return 'fail'
  return 'skip'
}

function roundMs(ms: number): number {
  return Number.isFinite(ms) ? Math.round(ms * 10) / 10 : 0
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}… (${text.length - MAX_MESSAGE} more characters)` : text
}

function firstErrorMessage(errors: ReadonlyArray<{ message?: unknown }> | undefined): string | undefined {
  const first = errors?.[0]
  if (!first) return undefined
  return typeof first.message === 'string' ? first.message : String(first.message)
}

/** Maps one vitest test case to the kit's TestRecord. */
export function toTestRecord(testCase: TestCaseLike, cfg: Config, env: NodeJS.ProcessEnv = process.env): TestRecord {
  const file = relativeToRepo(testCase.module.moduleId)
  const result = testCase.result()
  const durationMs = roundMs(testCase.diagnostic()?.duration ?? 0)
  const meta = testCase.meta().conformance
  const note = result.state === 'skipped' ? result.note : undefined
  const pendingReason = result.state === 'pending' ? 'not run: the run ended before this test finished' : undefined

  let rec: TestRecord
  if (meta) {
    rec = {
      id: `${meta.behaviour}/${meta.shim ?? '-'}/${meta.target}`,
      behaviour: meta.behaviour,
      title: meta.title,
      level: meta.level,
      suite: meta.suite,
      file,
      shim: meta.shim,
      target: meta.target,
      status: meta.status ?? statusFromState(result.state),
      durationMs,
    }
    if (meta.expected !== undefined) rec.expected = meta.expected
    if (meta.observed !== undefined) rec.observed = meta.observed
    if (meta.variant !== undefined) rec.variant = meta.variant
    if (meta.source !== undefined) rec.source = meta.source
    if (meta.properties !== undefined && meta.properties.length > 0) rec.properties = meta.properties
    const reason = meta.reason ?? note ?? pendingReason
    if (reason !== undefined) rec.reason = reason
  } else {
    rec = {
      id: `${file} > ${testCase.fullName}`,
      behaviour: null,
      title: testCase.fullName,
      level: null,
      suite: suiteOfFile(file),
      file,
      shim: null,
      target: cfg.target,
      status: statusFromState(result.state),
      durationMs,
    }
    const reason = note ?? pendingReason
    if (reason !== undefined) rec.reason = reason
  }
  const figures = testCase.meta().figures
  if (figures !== undefined && Object.keys(figures).length > 0) rec.figures = figures
  if (rec.status === 'fail' || rec.status === 'error') {
    const message = firstErrorMessage(result.errors)
    if (message !== undefined) rec.message = clip(scrubSecrets(message, env))
  }
  return rec
}

/** Every test case of the run, modules in path order, tests in declaration order (stable across runs). */
export function allTestCases(testModules: ReadonlyArray<TestModule>): TestCase[] {
  const modules = [...testModules].sort((a, b) => a.moduleId.localeCompare(b.moduleId))
  return modules.flatMap((m) => [...m.children.allTests()])
}

/** A test file that failed to load (syntax error, failing import, beforeAll crash) reports no tests; record it as an error. */
export function moduleErrorRecords(
  testModule: Pick<TestModule, 'moduleId' | 'errors'>,
  cfg: Config,
  env: NodeJS.ProcessEnv = process.env,
): TestRecord[] {
  const file = relativeToRepo(testModule.moduleId)
  return testModule.errors().map((e, i) => ({
    id: `${file} > (module error ${i + 1})`,
    behaviour: null,
    title: `${file} failed outside any test`,
    level: null,
    suite: suiteOfFile(file),
    file,
    shim: null,
    target: cfg.target,
    status: 'error' as const,
    message: clip(scrubSecrets(String(e.message), env)),
    durationMs: 0,
  }))
}

/** Errors vitest caught outside any test (unhandled rejections, crashed workers): the run broke, so they count as errors. */
export function unhandledErrorRecords(
  errors: ReadonlyArray<SerializedError>,
  cfg: Config,
  env: NodeJS.ProcessEnv = process.env,
): TestRecord[] {
  return errors.map((e, i) => ({
    id: `(unhandled error ${i + 1})`,
    behaviour: null,
    title: `Unhandled error during the run${e.name ? ` (${String(e.name)})` : ''}`,
    level: null,
    suite: 'kit',
    file: '',
    shim: null,
    target: cfg.target,
    status: 'error' as const,
    message: clip(scrubSecrets(String(e.message), env)),
    durationMs: 0,
  }))
}

/** All records of a finished run: test cases, then module-level errors, then unhandled errors. */
export function collectRecords(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
  cfg: Config,
  env: NodeJS.ProcessEnv = process.env,
): TestRecord[] {
  const modules = [...testModules].sort((a, b) => a.moduleId.localeCompare(b.moduleId))
  const records = [
    ...allTestCases(modules).map((t) => toTestRecord(t, cfg, env)),
    ...modules.flatMap((m) => moduleErrorRecords(m, cfg, env)),
    ...unhandledErrorRecords(unhandledErrors, cfg, env),
  ]
  return records
}

// ---------------------------------------------------------------- latency series (task.meta.latency)

/** The latency part of a results document. */
export type LatencyResults = NonNullable<ResultsDocument['latency']>
export type LatencyHost = NonNullable<LatencyResults['host']>

/** The machine that made the calls (provenance of every latency number). */
export function latencyHost(): LatencyHost {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model.trim() || 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryBytes: os.totalmem(),
    os: os.type(),
    kernel: os.release(),
    arch: os.arch(),
  }
}

/** Summaries are computed once per series per process, however many reporters build a document. */
const summaries = new WeakMap<LatencySeriesData, Omit<LatencySeriesReport, 'gate'>>()

function summarised(data: LatencySeriesData): Omit<LatencySeriesReport, 'gate'> {
  const cached = summaries.get(data)
  if (cached) return cached
  let r: Omit<LatencySeriesReport, 'gate'>
  try {
    r = summariseSeries(data)
  } catch (err) {
    // One series the analysis cannot handle must not cost the run its results.json: keep the raw data.
    const why = err instanceof Error ? err.message : String(err)
    try {
      process.stderr.write(`[go-lambda-conformance] could not summarise latency series ${data.key}: ${why}; its raw samples are kept\n`)
    } catch {
      // nothing left to report to
    }
    r = { ...data, summary: {} }
  }
  summaries.set(data, r)
  return r
}

/** Order of series in results.json and the report: experiment (as EXPERIMENTS lists them), shim, x, variant. */
export function compareSeries(a: LatencySeriesData, b: LatencySeriesData): number {
  const ea = EXPERIMENTS.indexOf(a.experiment)
  const eb = EXPERIMENTS.indexOf(b.experiment)
  if (ea !== eb) return ea - eb
  const shim = a.shim.localeCompare(b.shim)
  if (shim !== 0) return shim
  const xa = a.x ?? -Infinity
  const xb = b.x ?? -Infinity
  if (xa !== xb) return xa < xb ? -1 : 1
  return a.variant.localeCompare(b.variant) || a.key.localeCompare(b.key)
}

/**
 * Series reports: each series summarised (lib/latency/analysis.ts), with the gate verdict for its key attached
 * (the client round-trip verdict when a key has several), sorted by experiment, shim and x.
 */
export function summariseLatency(series: ReadonlyArray<LatencySeriesData>, gates: ReadonlyArray<GateVerdict> = []): LatencySeriesReport[] {
  const byKey = new Map<string, GateVerdict>()
  for (const g of gates) {
    const had = byKey.get(g.key)
    if (!had || (had.metric !== 'clientMs' && g.metric === 'clientMs')) byKey.set(g.key, g)
  }
  return [...series].sort(compareSeries).map((data) => {
    const report: LatencySeriesReport = { ...summarised(data) }
    const gate = byKey.get(data.key)
    if (gate) report.gate = gate
    return report
  })
}

/** What the latency tests left in `task.meta.latency`, in test order. */
export function latencyMeta(testCases: Iterable<Pick<TestCaseLike, 'meta'>>): { series: LatencySeriesData[]; gate: GateVerdict[] } {
  const series: LatencySeriesData[] = []
  const gate: GateVerdict[] = []
  for (const t of testCases) {
    const m = t.meta().latency
    if (!m) continue
    series.push(...(m.series ?? []))
    gate.push(...(m.gate ?? []))
  }
  return { series, gate }
}

/** The latency part of the document for a run, or undefined when no test measured a series. */
export function collectLatency(testModules: ReadonlyArray<TestModule>): LatencyResults | undefined {
  const { series, gate } = latencyMeta(allTestCases(testModules))
  if (series.length === 0) return undefined
  return { host: latencyHost(), series: summariseLatency(series, gate) }
}

export function countByStatus(records: ReadonlyArray<Pick<TestRecord, 'status'>>): Record<Status, number> {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>
  for (const r of records) counts[r.status] += 1
  return counts
}

export interface BuildOptions {
  /** Environment whose secret values are redacted (default `process.env`). */
  env?: NodeJS.ProcessEnv
  /** Start time used when there is no run context (for example the reporter's own `onTestRunStart`). */
  startedAt?: string
  /** The latency part (`collectLatency` of the run's modules); none when undefined. */
  latency?: LatencyResults
}

/** The results document, redacted: no host secret value and no secret-looking key survives. */
export function buildResultsDocument(
  records: ReadonlyArray<TestRecord>,
  cfg: Config,
  runContext: RunContext | null,
  reason: TestRunEndReason | string,
  finishedAt: Date | string,
  options: BuildOptions = {},
): ResultsDocument {
  const env = options.env ?? process.env
  const finished = typeof finishedAt === 'string' ? finishedAt : finishedAt.toISOString()
  const startedAt = runContext?.startedAt ?? options.startedAt ?? finished
  const durationMs = Math.max(0, Date.parse(finished) - Date.parse(startedAt)) || 0
  const doc: ResultsDocument = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    kit: { ...kitInfo() },
    run: {
      startedAt,
      finishedAt: finished,
      durationMs,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      reason,
    },
    config: effectiveConfig(cfg, env),
    target: runContext?.target ?? { name: cfg.target, details: {} },
    shims: runContext?.shims ?? [],
    summary: { total: records.length, byStatus: countByStatus(records) },
    tests: [...records],
  }
  if (options.latency && options.latency.series.length > 0) doc.latency = options.latency
  return redact(doc, env)
}

export interface ClosingCounts {
  passed: number
  failed: number
  skipped: number
}

/** The closing line's numbers; an unexpected pass counts as passed, or as failed in strict mode. */
export function closingCounts(doc: Pick<ResultsDocument, 'summary'>, strict: boolean): ClosingCounts {
  const s = doc.summary.byStatus
  const n = (k: Status): number => s[k] ?? 0
  return {
    passed: n('pass') + n('expected-fail') + (strict ? 0 : n('unexpected-pass')),
    failed: n('fail') + n('error') + (strict ? n('unexpected-pass') : 0),
    skipped: n('skip') + n('unsupported'),
  }
}

export function closingLine(c: ClosingCounts): string {
  return `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`
}

/** Whether the document was produced in strict mode (from its effective configuration). */
export function isStrict(doc: Pick<ResultsDocument, 'config'>): boolean {
  return doc.config['CONFORMANCE_STRICT'] === true
}

/** Most severe status of a group (STATUSES is ordered least → most severe). */
export function worstStatus(statuses: Iterable<Status>): Status | null {
  let worst: Status | null = null
  for (const s of statuses) if (worst === null || STATUSES.indexOf(s) > STATUSES.indexOf(worst)) worst = s
  return worst
}

/** Tells the user what a reporter could not do and what to check; never throws. `action`: "write /x/junit.xml". */
export function reportFailure(action: string, err: unknown): void {
  const why = err instanceof Error ? err.message : String(err)
  const text =
    `[go-lambda-conformance] could not ${action}: ${why}\n` +
    '  The test results above are unaffected. Check that CONFORMANCE_OUTPUT_DIR points to a writable directory ' +
    'and that the CONFORMANCE_* settings are valid, then run `npm test` again.\n'
  try {
    process.stderr.write(scrubSecrets(text))
  } catch {
    // nothing left to report to
  }
}
