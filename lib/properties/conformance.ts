/**
 * Property-based checks inside conformance tests: `assertProperty` runs a property for the shim under test with
 * the run's budget (CONFORMANCE_PROFILE) or the case CONFORMANCE_REPLAY names, records the run in the test's meta
 * (`properties`, carried to results.json and report.html), and fails the test with a message that prints the seed,
 * the shrunk case and the command that replays it.
 */
import path from 'node:path'
import { inject } from 'vitest'
import type { Behaviour, ConformanceContext } from '../conformance/behaviour.js'
import { REPO_ROOT } from '../config.js'
import type { DeployedFunction, InvokeObservation } from '../deploy.js'
import { apiError, type ApiErrorObservation } from '../deploy.js'
import { SHIMS_DIR } from '../shims/manifest.js'
import { checkProperty, parseReplay, PropertyFailure, propertyBudget, type PropertyKind, type PropertyOptions, randomSeed, type Replay } from './run.js'

/** One seed per behaviour and test file: every shim of a run sees the same cases, so their results compare. */
const seeds = new Map<string, number>()

function seedFor(behaviour: string): number {
  let s = seeds.get(behaviour)
  if (s === undefined) {
    s = randomSeed()
    seeds.set(behaviour, s)
  }
  return s
}

const shellQuote = (s: string): string => (/^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)

/** The replay request of this run, if CONFORMANCE_REPLAY is set. */
export function currentReplay(): Replay | null {
  const value = inject('config').replay
  return value ? parseReplay(value) : null
}

export interface ConformancePropertyOptions<T> extends Pick<PropertyOptions<T>, 'name' | 'arbitrary' | 'predicate' | 'payload'> {
  kind: PropertyKind
  /** Called after the property ran, before a failure is thrown: record the observation here. */
  after?: () => void
}

/** The one command that reruns this test's property with CONFORMANCE_REPLAY=`replay`. */
export function replayCommand(t: ConformanceContext, behaviour: Behaviour, replay: string): string {
  const cfg = inject('config')
  const shim = path.resolve(t.shim.folder) === path.join(SHIMS_DIR, t.shim.name) ? t.shim.name : path.resolve(t.shim.folder)
  const file = path.relative(REPO_ROOT, t.task.file.filepath).split(path.sep).join('/')
  const env = [
    ...(cfg.target !== 'embedded' ? [`CONFORMANCE_TARGET=${shellQuote(cfg.target)}`] : []),
    // A whole run's size depends on the profile; one replayed case does not.
    ...(cfg.profile !== 'default' && parseReplay(replay).path === undefined ? [`CONFORMANCE_PROFILE=${cfg.profile}`] : []),
    `CONFORMANCE_SHIMS=${shellQuote(shim)}`,
    `CONFORMANCE_REPLAY='${replay}'`,
  ]
  return `${env.join(' ')} npx vitest run ${shellQuote(file)} -t '${behaviour.id}'`
}

/** Runs the property for this shim, records it in the test's meta, and throws a PropertyFailure when it fails. */
export async function assertProperty<T>(t: ConformanceContext, behaviour: Behaviour, o: ConformancePropertyOptions<T>): Promise<void> {
  const cfg = inject('config')
  const { run, error, kitError } = await checkProperty({
    behaviour: behaviour.id,
    name: o.name,
    arbitrary: o.arbitrary,
    predicate: o.predicate,
    payload: o.payload,
    budget: propertyBudget(cfg.profile, o.kind),
    seed: seedFor(behaviour.id),
    replay: currentReplay(),
    command: (replay) => replayCommand(t, behaviour, replay),
  })
  const meta = t.task.meta.conformance
  if (meta) (meta.properties ??= []).push(run)
  o.after?.()
  if (kitError !== null) throw kitError
  if (run.failed) throw new PropertyFailure(run, behaviour.id, error ?? undefined)
}

// ---------------------------------------------------------------- invoking inside a property

/** What one invoke of a case came to: a response (maybe a function error) or an Invoke API error. */
export type Attempt = { kind: 'response'; response: InvokeObservation } | { kind: 'api-error'; error: ApiErrorObservation }

/**
 * Connection resets retried by `attempt` in this worker. The kit's clients make one attempt per call (no SDK
 * retries), so a kept-alive connection the target closes under the next request (seen once, on the invoke right
 * after a 413 for a body a few bytes over the limit, on a loaded machine) would otherwise fail a case that never
 * reached the function. One retry, counted: suites show the count in their observation.
 */
export const transport = { resetsRetried: 0 }

/** A connection reset before any answer (the SDK names these TimeoutError): the request never got an Invoke response. */
function isConnectionReset(e: ApiErrorObservation): boolean {
  return e.statusCode === undefined && /\b(ECONNRESET|EPIPE|socket hang up)\b/.test(e.message)
}

export async function attempt(fn: DeployedFunction, payload: Buffer | string | object): Promise<Attempt> {
  for (let tries = 1; ; tries++) {
    try {
      return { kind: 'response', response: await fn.invoke(payload, { tail: false }) }
    } catch (e) {
      if ((e as Error | undefined)?.name === 'KitError') throw e
      const error = apiError(e)
      if (tries === 1 && isConnectionReset(error)) {
        transport.resetsRetried++
        continue
      }
      return { kind: 'api-error', error }
    }
  }
}

/** One line for a failure message. */
export function describeAttempt(a: Attempt): string {
  if (a.kind === 'api-error') return `Invoke failed: ${a.error.statusCode ?? '?'} ${a.error.name}: ${a.error.message.slice(0, 300)}`
  const r = a.response
  return r.functionError !== undefined
    ? `function error (${r.functionError}): ${r.text.slice(0, 300)}`
    : `success, ${r.payload.length} bytes: ${JSON.stringify(r.text.slice(0, 120))}${r.text.length > 120 ? '…' : ''}`
}

/**
 * After a case that failed or was rejected, a good payload must succeed: `check` gets the response and throws
 * when it is not what the good payload should give.
 */
export async function expectRecovery(fn: DeployedFunction, after: string, good: Buffer | string | object, check: (r: InvokeObservation) => void): Promise<InvokeObservation> {
  const a = await attempt(fn, good)
  if (a.kind === 'api-error' || a.response.functionError !== undefined) {
    throw new Error(`after ${after}, the next invocation with a good payload failed: ${describeAttempt(a)}`)
  }
  try {
    check(a.response)
  } catch (e) {
    throw new Error(`after ${after}, the next invocation with a good payload answered wrongly: ${(e as Error).message}`)
  }
  return a.response
}

/**
 * Runs one case; when it fails, first checks that the function still serves a good payload (`recover`), so every
 * failing case also tells whether the function survived it, then rethrows. A KitError passes through untouched.
 */
export async function withRecovery(run: () => Promise<void>, recover: (after: string) => Promise<unknown>): Promise<void> {
  try {
    await run()
  } catch (e) {
    if ((e as Error | undefined)?.name === 'KitError') throw e
    const what = `the failing case (${firstLine(e)})`
    try {
      await recover(what)
    } catch (r) {
      throw new Error(`${(e as Error).message ?? String(e)}\n…and then: ${(r as Error).message ?? String(r)}`)
    }
    throw e
  }
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e)
  const line = m.split('\n')[0] ?? m
  return line.length > 160 ? `${line.slice(0, 160)}…` : line
}
