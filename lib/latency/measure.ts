/**
 * Running one latency series: invoke a deployed probe `count` times (sequentially, or from `concurrency` closed
 * loops), read every REPORT line by field name, check cold/warm labels instead of assuming them, and return the
 * columnar `LatencySeriesData` the reporters and the regression gate consume.
 *
 * A closed loop measures service time, not latency under an arrival rate (latency-methods.md §6, coordinated
 * omission); the concurrency series say so in the report rather than pretending to be a load test.
 */
import type { InvokeObservation } from '../deploy.js'
import type { Config } from '../config.js'
import type { Experiment, LatencySeriesData } from './model.js'
import { reportNumber } from '../lambda/protocol.js'
import { wallClockMs } from '../wall-clock.js'

/** How many samples each experiment takes in each profile (latency-methods.md §7, §12 for the floors). */
export const SAMPLE_SIZES = {
  // Warm: ≥ 299 samples give p99 a distribution-free interval; cold: ≥ 29 give p90 one.
  default: { warm: 400, cold: 30, payload: 20, payloadNearLimit: 10, concurrencyPerLevel: 200, clockTrue: 400, clockStudy: 400, clockDrift: 400 },
  // The 2017 study's 10,000 invocations per shim, for the warm series and the study's timestamp experiment.
  full: { warm: 10_000, cold: 100, payload: 200, payloadNearLimit: 50, concurrencyPerLevel: 2_000, clockTrue: 2_000, clockStudy: 10_000, clockDrift: 2_000 },
} as const satisfies Record<Config['profile'], Record<string, number>>

export type SampleSizes = (typeof SAMPLE_SIZES)[Config['profile']]

export function sampleSizes(cfg: Config): SampleSizes {
  return SAMPLE_SIZES[cfg.profile]
}

export interface SeriesSpec {
  experiment: Experiment
  behaviour: string
  shim: string
  target: string
  /** '' for the main series of an experiment. */
  variant?: string
  x?: number
  count: number
  /** Closed loops running at once (default 1). */
  concurrency?: number
  /** What every sample must be: a sample labelled otherwise is discarded and counted as mislabelled (§4). */
  expect: 'cold' | 'warm'
  /** Called before each sample (for example to force a cold start); not timed. */
  before?: (i: number) => Promise<void>
  invoke: (i: number) => Promise<InvokeObservation>
  /** Returns why a successful invoke is wrong (payload not echoed, …), or undefined. */
  check?: (o: InvokeObservation, i: number) => string | undefined
  /** The function's own cold/warm label (e.g. the state probe's `coldStart`), cross-checked with the REPORT line. */
  functionSaysCold?: (o: InvokeObservation) => boolean | undefined
  /** Sees every kept sample (clock exchanges). */
  onSample?: (o: InvokeObservation, i: number) => void
  /**
   * Times one machine-speed reference call (DeployedFunction.dryRunMs). A sequential series takes one right after
   * each sample, so the reference sees the same moment-to-moment load as the samples (blocks before and after a
   * series missed load that changed during it: factors of 0.57 and 0.90 between two runs of one shim). A concurrent
   * series, whose throughput must not include reference calls, takes REFERENCE_BLOCK before and after instead.
   */
  reference?: () => Promise<number>
}

/** Reference calls before and after a concurrent series. */
export const REFERENCE_BLOCK = 50
export const REFERENCE_WHAT = 'Invoke DryRun'

/** Reference round trips of one series: a failed call is counted and left out, never the end of the series. */
class ReferenceSamples {
  readonly ms: number[] = []
  errors = 0
  /** Wall time spent in reference calls, ms (kept out of a sequential series' elapsed time). */
  spentMs = 0
  constructor(private readonly take: () => Promise<number>) {}

  async one(): Promise<void> {
    const t0 = performance.now()
    try {
      this.ms.push(us(await this.take()))
    } catch {
      this.errors++
    }
    this.spentMs += performance.now() - t0
  }

  async block(): Promise<void> {
    for (let i = 0; i < REFERENCE_BLOCK; i++) await this.one()
  }
}

export interface SeriesResult {
  data: LatencySeriesData
  /** The first few failures, for the assertion message. */
  failures: string[]
  /** Samples whose REPORT line was missing (the tail lost it). */
  missingReports: number
}

const PROGRESS_EVERY_MS = 5_000
const KEPT_FAILURES = 5

export function seriesKey(experiment: Experiment, shim: string, variant = ''): string {
  return variant === '' ? `${experiment}/${shim}` : `${experiment}/${shim}/${variant}`
}

/** Rounds to µs: the samples are stored and exported at the HdrHistogram's resolution. */
const us = (ms: number): number => Math.round(ms * 1000) / 1000

export async function measureSeries(spec: SeriesSpec): Promise<SeriesResult> {
  const variant = spec.variant ?? ''
  const key = seriesKey(spec.experiment, spec.shim, variant)
  const s: LatencySeriesData['samples'] = { tMs: [], clientMs: [], durationMs: [], initMs: [], overheadMs: [], maxMemoryMb: [], cold: [] }
  const failures: string[] = []
  let errors = 0
  let mislabelled = 0
  let missingReports = 0
  let done = 0
  const fail = (msg: string): void => {
    errors++
    if (failures.length < KEPT_FAILURES) failures.push(msg)
  }

  const concurrency = Math.max(1, spec.concurrency ?? 1)
  const reference = spec.reference ? new ReferenceSamples(spec.reference) : undefined
  const interleaved = concurrency === 1 ? reference : undefined
  if (reference && !interleaved) await reference.block()

  const startedAtMs = wallClockMs()
  const t0 = performance.now()
  let lastProgress = t0
  let next = 0

  const loop = async (): Promise<void> => {
    for (;;) {
      const i = next++
      if (i >= spec.count) return
      if (interleaved && i > 0) await interleaved.one()
      if (spec.before) await spec.before(i)
      const sentAt = performance.now() - t0
      let o: InvokeObservation
      try {
        o = await spec.invoke(i)
      } catch (e) {
        fail(`#${i}: ${(e as Error).name}: ${(e as Error).message}`)
        done++
        continue
      }
      done++
      const problem = o.functionError ? `function error ${o.functionError}: ${o.text.slice(0, 300)}` : spec.check?.(o, i)
      if (o.statusCode !== 200 || problem) {
        fail(`#${i}: status ${o.statusCode}${problem ? `, ${problem}` : ''}`)
        continue
      }
      const durationMs = reportNumber(o.report, 'Duration')
      const initMs = reportNumber(o.report, 'Init Duration')
      const reportCold = o.report ? initMs !== null : null
      if (!o.report) missingReports++
      const fnCold = spec.functionSaysCold?.(o)
      const cold = reportCold ?? fnCold ?? null
      // Checked, not assumed: the REPORT line and the function must agree with what the series expects.
      const wrongLabel = (cold !== null && cold !== (spec.expect === 'cold')) || (fnCold !== undefined && reportCold !== null && fnCold !== reportCold)
      if (wrongLabel) {
        mislabelled++
        continue
      }
      s.tMs.push(us(sentAt))
      s.clientMs.push(us(o.clientMs))
      s.durationMs.push(durationMs)
      s.initMs.push(initMs)
      s.overheadMs.push(durationMs === null ? null : us(o.clientMs - durationMs))
      s.maxMemoryMb.push(reportNumber(o.report, 'Max Memory Used'))
      s.cold.push(cold)
      spec.onSample?.(o, i)
      const now = performance.now()
      if (now - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = now
        const rate = (done / (now - t0)) * 1000
        process.stderr.write(`[latency] ${key}: ${done}/${spec.count} invocations (${rate.toFixed(0)}/s)\n`)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  if (interleaved) await interleaved.one()
  const elapsedMs = us(performance.now() - t0 - (interleaved?.spentMs ?? 0))
  if (reference && !interleaved) await reference.block()

  return {
    data: {
      key,
      experiment: spec.experiment,
      behaviour: spec.behaviour,
      shim: spec.shim,
      target: spec.target,
      variant,
      ...(spec.x === undefined ? {} : { x: spec.x }),
      requested: spec.count,
      collected: s.clientMs.length,
      errors,
      mislabelled,
      startedAtMs: us(startedAtMs),
      elapsedMs,
      samples: s,
      ...(reference ? { reference: { what: REFERENCE_WHAT, ms: reference.ms, errors: reference.errors } } : {}),
    },
    failures,
    missingReports,
  }
}

/** "3 of 400 invocations failed: #12: …" or '' when none did. */
export function failureSummary(r: SeriesResult): string {
  if (r.data.errors === 0) return ''
  return `${r.data.errors} of ${r.data.requested} invocations failed (${r.data.key}): ${r.failures.join('; ')}`
}

/**
 * A `check` for echo series: byte for byte where the shim declares `byte-exact-payload`, otherwise the same JSON
 * value (a proxy shim may re-serialise the event, as eawsy's Python tier does).
 */
export function echoCheck(capabilities: readonly string[], expected: Buffer): (o: InvokeObservation) => string | undefined {
  const byteExact = capabilities.includes('byte-exact-payload')
  const expectedJson = byteExact ? '' : canonicalJson(expected.toString('utf8'))
  return (o) => {
    const same = byteExact ? o.payload.equals(expected) : o.payload.equals(expected) || canonicalJson(o.text) === expectedJson
    return same ? undefined : `echo differs (${o.payload.length} B back for ${expected.length} B sent): ${o.text.slice(0, 120)}`
  }
}

function canonicalJson(text: string): string | undefined {
  try {
    return JSON.stringify(JSON.parse(text))
  } catch {
    return undefined
  }
}
