import type {} from 'vitest'
import type { LatencySeriesReport } from '../latency/model.js'
/**
 * The result format shared by the suites (which record) and the reporters (which write).
 * `results.json` is this `ResultsDocument`; its JSON Schema is `reports/results.schema.json`,
 * documented in `reports/README.md`. Bump RESULTS_SCHEMA_VERSION on any breaking change.
 */
export const RESULTS_SCHEMA_VERSION = 1 as const

/** Outcome of one (behaviour, shim, target) check. Ordered from least to most severe (roll-ups take the highest). */
export const STATUSES = ['skip', 'unsupported', 'pass', 'expected-fail', 'unexpected-pass', 'fail', 'error'] as const
export type Status = (typeof STATUSES)[number]

/** RFC 2119 requirement level of a behaviour. */
export type Level = 'MUST' | 'SHOULD' | 'MAY'

/** What a conformance test attaches to its vitest task (`task.meta.conformance`); JSON-serialisable. */
export interface ConformanceMeta {
  behaviour: string
  title: string
  level: Level
  suite: string
  source: string
  shim: string | null
  target: string
  /** Set when the wrapper decided the status itself (expected-fail, unexpected-pass, unsupported, error). */
  status?: Status
  expected?: unknown
  observed?: unknown
  /** Which documented variant was seen, where AWS documents more than one. */
  variant?: string
  reason?: string
  /** Property-based checks the test ran (lib/properties/run.ts), in the order they ran. */
  properties?: PropertyRun[]
}

/**
 * One fast-check property run inside a conformance test (lib/properties/run.ts): enough to replay it. On failure
 * `path` and `counterexample` identify the shrunk case, and `command` replays exactly that case.
 */
export interface PropertyRun {
  /** What the property asserts, in a few words. */
  name: string
  /** fast-check seed of the run (a 32-bit integer). */
  seed: number
  /** Runs asked for (CONFORMANCE_PROFILE; 1 when one case was replayed). */
  numRuns: number
  /** Runs made: up to and including the first failure, or every passing run. */
  runs: number
  /** Shrinking steps that led from the first failure to `counterexample`. */
  shrinks: number
  /** Calls of the predicate, shrinking included (each is at least one invocation). */
  executions: number
  failed: boolean
  /**
   * Stopped by a time limit: before `numRuns` runs (the runs made passed), or, for a failure, while shrinking (the
   * counterexample is the smallest failing case found by then).
   */
  interrupted: boolean
  /** `case`: this run replayed one case (CONFORMANCE_REPLAY with a path); `seed`: a whole run with a given seed. */
  replay?: 'case' | 'seed'
  /** fast-check path of the shrunk counterexample (failure only). */
  path?: string
  /** The shrunk counterexample as fast-check prints it, cut at 1000 characters (failure only). */
  counterexample?: string
  /** The bytes the counterexample sent: its first 200 characters (invisible ones as `<U+XXXX>`), byte length and sha256 (failure only). */
  event?: { head: string; bytes: number; sha256: string }
  /** The failure the predicate raised, cut at 2000 characters (failure only). */
  error?: string
  /** One shell command that reruns this property: exactly the failing case on failure, else the same seed. */
  command: string
  durationMs: number
}

export interface TestRecord {
  /** Stable id: `<behaviour>/<shim>/<target>` for conformance tests, the vitest full name otherwise. */
  id: string
  /** Behaviour id from the catalogue, or null for the kit's own tests. */
  behaviour: string | null
  title: string
  level: Level | null
  suite: string
  /** Test file, relative to the repository root. */
  file: string
  shim: string | null
  target: string
  status: Status
  expected?: unknown
  observed?: unknown
  variant?: string
  source?: string
  reason?: string
  /** First error message, for fail and error. */
  message?: string
  /** Named figures the test measured (`task.meta.figures`): counts and numbers the report shows. */
  figures?: Record<string, number | string>
  /** Property-based checks the test ran, with seeds and replay commands (absent when none). */
  properties?: PropertyRun[]
  durationMs: number
}

export interface ShimSummary {
  name: string
  description: string
  runtime: string
  handler: string
  capabilities: string[]
  /** Folder the shim came from (absolute for shims outside the repository). */
  folder: string
  artifact?: { file: string; sha256: string; bytes: number }
}

export interface TargetSummary {
  name: string
  endpoint?: string
  details: Record<string, unknown>
}

export interface ResultsDocument {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION
  kit: { name: string; version: string; commit: string | null }
  run: { startedAt: string; finishedAt: string; durationMs: number; node: string; platform: string; reason: string }
  /** Effective configuration, secrets redacted. */
  config: Record<string, unknown>
  target: TargetSummary
  shims: ShimSummary[]
  summary: { total: number; byStatus: Record<Status, number> }
  tests: TestRecord[]
  /**
   * Latency series measured by suites/latency (absent when none ran): the raw samples, their summaries and gate
   * verdicts, sorted by experiment, shim and scaling parameter; `host` describes the machine that made the calls.
   */
  latency?: {
    host?: { cpuModel: string; cores: number; memoryBytes: number; os: string; kernel: string; arch: string }
    series: LatencySeriesReport[]
  }
}

/** Hand-off written by the global setup so the reporters (another module graph) know the shims and target. */
export interface RunContext {
  target: TargetSummary
  shims: ShimSummary[]
  startedAt: string
}

declare module 'vitest' {
  interface TaskMeta {
    conformance?: ConformanceMeta
    /**
     * Named figures a kit test measured (requests fuzzed, faults injected, events lost, p99 under load, …), shown
     * in the report's "Target robustness" table and kept in results.json. Values are numbers or short strings.
     */
    figures?: Record<string, number | string>
  }
}
