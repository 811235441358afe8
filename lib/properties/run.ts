/**
 * Running a fast-check property so that every run can be replayed: the seed, the number of runs and, on failure,
 * the shrunk counterexample, its path and the bytes it sent are kept in a PropertyRun (results.json, report.html),
 * and the failure message ends with one command that replays exactly that case.
 *
 * Replay uses fast-check's own mechanism: the `seed`, `path` and `endOnFailure` parameters of `fc.check` regenerate
 * the shrunk counterexample as the first value and stop at its failure, without shrinking (kit-patterns.md §3.5;
 * fast-check 4.11 `Parameters.path`). The property here runs only that first value: if it passes now, the rest of
 * fast-check's replay stream is skipped.
 * Pure: no vitest, no Lambda (lib/properties/conformance.ts connects it to conformance tests).
 */
import fc from 'fast-check'
import { type Config, REPLAY_PATTERN } from '../config.js'
import type { PropertyRun } from '../results/model.js'
import { describePayload, summarisePayload } from './json.js'

/** A CONFORMANCE_REPLAY value: the behaviour, the seed and (to replay one case) the path. */
export interface Replay {
  behaviour: string
  seed: number
  path?: string
}

/** Parses `<behaviour>:<seed>[:<path>]` (lib/config.ts REPLAY_PATTERN); throws on anything else. */
export function parseReplay(value: string): Replay {
  const m = REPLAY_PATTERN.exec(value)
  const seed = m ? Number(m[2]) : NaN
  if (!m || !Number.isSafeInteger(seed) || seed < -0x8000_0000 || seed > 0xffff_ffff) {
    throw new Error(`CONFORMANCE_REPLAY=${value} is not <behaviour>:<seed>[:<path>] with a 32-bit seed`)
  }
  const path = m[3] ? m[3].slice(1) : undefined
  return path === undefined ? { behaviour: m[1]!, seed } : { behaviour: m[1]!, seed, path }
}

/** The CONFORMANCE_REPLAY value that reruns `run`: the failing case when it failed, else the whole run's seed. */
export function replayValue(behaviour: string, run: Pick<PropertyRun, 'seed' | 'path' | 'failed'>): string {
  return run.failed && run.path !== undefined ? `${behaviour}:${run.seed}:${run.path}` : `${behaviour}:${run.seed}`
}

/** A random 32-bit seed, as fast-check picks one. */
export function randomSeed(): number {
  return (Math.random() * 0x1_0000_0000) | 0
}

/** What a property costs: cases per shim and when to stop starting new ones. */
export interface PropertyBudget {
  numRuns: number
  /** Stop starting runs (and shrinks) after this long; the report says the run was interrupted. */
  timeLimitMs: number
  /**
   * Stop shrinking this long after the first failure: later shrink candidates are not run (they count as passing),
   * so the counterexample is the smallest failing case found by then, and the run is marked interrupted. A failure
   * that does not reproduce would otherwise try every candidate.
   */
  shrinkTimeLimitMs?: number
}

/** What the predicate is told about the case it runs. */
export interface CaseInfo {
  /** A failure has been seen: this case is a shrink candidate (suites keep their statistics to the runs proper). */
  shrinking: boolean
}

/**
 * Cases per shim for each property suite. `default` keeps each file well under 30 s per shim on a 2-core machine
 * (238 cases per shim over the five suites; a near-limit case costs 0.2–2 s, each with a second invocation when it
 * is rejected); `full` runs ten times as many.
 */
export const PROPERTY_RUNS = {
  default: { echo: 100, depth: 30, request: 12, response: 16, invalid: 80 },
  full: { echo: 1_000, depth: 300, request: 120, response: 160, invalid: 800 },
} as const satisfies Record<Config['profile'], Record<string, number>>
export type PropertyKind = keyof (typeof PROPERTY_RUNS)['default']

const TIME_LIMIT_MS: Record<Config['profile'], number> = { default: 60_000, full: 900_000 }
const SHRINK_TIME_LIMIT_MS: Record<Config['profile'], number> = { default: 15_000, full: 120_000 }

export function propertyBudget(profile: Config['profile'], kind: PropertyKind): PropertyBudget {
  return { numRuns: PROPERTY_RUNS[profile][kind], timeLimitMs: TIME_LIMIT_MS[profile], shrinkTimeLimitMs: SHRINK_TIME_LIMIT_MS[profile] }
}

/** A vitest timeout that leaves room for the time limit, shrinking and deploying. */
export function propertyTestTimeoutMs(profile: Config['profile']): number {
  return TIME_LIMIT_MS[profile] * 2 + 60_000
}

export interface PropertyOptions<T> {
  /** Behaviour id: CONFORMANCE_REPLAY applies only to the property of the behaviour it names. */
  behaviour: string
  /** What the property asserts, in a few words. */
  name: string
  arbitrary: fc.Arbitrary<T>
  /** Throws (an assertion error) when the case fails. */
  predicate: (value: T, info: CaseInfo) => Promise<void>
  budget: PropertyBudget
  /** The bytes a case sends, for the failure message and the report. */
  payload?: (value: T) => Buffer
  /** Seed when no replay applies (random otherwise). */
  seed?: number
  /** CONFORMANCE_REPLAY, parsed; ignored unless it names this behaviour. */
  replay?: Replay | null
  /** The shell command that reruns this property with CONFORMANCE_REPLAY set to the given value. */
  command: (replay: string) => string
}

export interface PropertyOutcome {
  run: PropertyRun
  /** The predicate's error for the counterexample (null when the property held). */
  error: unknown
  /** A KitError (infrastructure, not the shim) that stopped the property; rethrow it as is. */
  kitError: unknown
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}… (${s.length} characters)` : s)

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message
  return String(e)
}

/** Runs the property once (or replays one case) and describes the run. Never throws for a failing property. */
export async function checkProperty<T>(o: PropertyOptions<T>): Promise<PropertyOutcome> {
  const replay = o.replay && o.replay.behaviour === o.behaviour ? o.replay : null
  const replayCase = replay?.path !== undefined
  const seed = replay ? replay.seed : (o.seed ?? randomSeed())
  let executions = 0
  let kitError: unknown = null
  let firstFailureAt: number | null = null
  let shrinkCut = false
  const property = fc.asyncProperty(o.arbitrary, async (value) => {
    if (kitError !== null) throw kitError
    // Replaying a case: only the first value is the counterexample; fast-check's replay stream goes on to its
    // siblings when it passes, which must not cost invocations.
    if (replayCase && executions >= 1) return
    if (firstFailureAt !== null && o.budget.shrinkTimeLimitMs !== undefined && performance.now() - firstFailureAt > o.budget.shrinkTimeLimitMs) {
      shrinkCut = true
      return
    }
    executions++
    try {
      await o.predicate(value, { shrinking: firstFailureAt !== null })
    } catch (e) {
      if ((e as Error | undefined)?.name === 'KitError') kitError = e
      firstFailureAt ??= performance.now()
      throw e
    }
  })
  const params: fc.Parameters<[T]> = replayCase
    ? { seed, path: replay!.path, endOnFailure: true, numRuns: 1 }
    : { seed, numRuns: o.budget.numRuns, plugins: [fc.interruptAfterTimeLimit(o.budget.timeLimitMs)] }
  const t0 = performance.now()
  const details = await fc.check(property, params)
  const durationMs = Math.round((performance.now() - t0) * 10) / 10
  const run: PropertyRun = {
    name: o.name,
    seed: details.seed,
    numRuns: replayCase ? 1 : o.budget.numRuns,
    runs: replayCase ? executions : details.numRuns,
    shrinks: details.numShrinks,
    executions,
    failed: details.failed,
    interrupted: details.interrupted || shrinkCut,
    command: '',
    durationMs,
  }
  if (replay) run.replay = replayCase ? 'case' : 'seed'
  let error: unknown = null
  if (details.failed) {
    error = details.errorInstance
    const path = details.counterexamplePath ?? replay?.path
    if (path) run.path = path
    if (details.counterexample !== null) {
      const [value] = details.counterexample
      run.counterexample = clip(fc.stringify(value), 1000)
      if (o.payload) run.event = summarisePayload(o.payload(value))
    }
    run.error = clip(details.errorInstance !== null ? messageOf(details.errorInstance) : `fast-check stopped: ${details.interrupted ? 'interrupted' : 'too many skipped values'}`, 2000)
  }
  run.command = o.command(replayValue(o.behaviour, run))
  return { run, error, kitError }
}

/** A failed property, with everything needed to replay it in its message. */
export class PropertyFailure extends Error {
  override name = 'PropertyFailure'
  constructor(
    readonly run: PropertyRun,
    readonly behaviour: string,
    cause?: unknown,
  ) {
    super(failureMessage(behaviour, run), cause === undefined ? undefined : { cause })
  }
}

/** The failure message: what failed, the seed and path, the shrunk case and what it sent, and one replay command. */
export function failureMessage(behaviour: string, run: PropertyRun): string {
  const lines = [
    `${behaviour}: property "${run.name}" failed` +
      (run.replay === 'case' ? ' when replaying one case' : ` after ${run.runs} of ${run.numRuns} runs, shrunk in ${run.shrinks} steps`) +
      ` (seed ${run.seed}${run.path ? `, path ${run.path}` : ''})`,
  ]
  if (run.counterexample !== undefined) lines.push(`  counterexample: ${run.counterexample}`)
  if (run.event) lines.push(`  sent: ${describePayload(run.event)}`)
  if (run.error !== undefined) lines.push(`  failure: ${run.error}`)
  lines.push(run.path ? 'Replay exactly this case:' : 'Rerun with the same seed:', `  ${run.command}`)
  return lines.join('\n')
}
