import type {} from 'vitest'
/**
 * The latency data model shared by the latency suites (which measure), the analysis (lib/latency/analysis.ts,
 * which summarises and compares) and the reporters (which write results.json, CSV, HdrHistograms and charts).
 * Everything here is JSON-serialisable: it crosses from the test worker to the reporters in `task.meta.latency`.
 */

/** The experiments of suites/latency. */
export const EXPERIMENTS = ['warm', 'cold', 'payload', 'concurrency', 'clock'] as const
export type Experiment = (typeof EXPERIMENTS)[number]

/** The per-sample metrics, all in milliseconds except `maxMemoryMb`. */
export const METRICS = ['clientMs', 'durationMs', 'initMs', 'overheadMs', 'maxMemoryMb'] as const
export type Metric = (typeof METRICS)[number]

/** One-line meaning of each metric, for the report and the CSV header documentation. */
export const METRIC_MEANING: Record<Metric, string> = {
  clientMs: 'client round trip: Invoke sent to response read, measured by the caller (monotonic clock)',
  durationMs: 'handler time as the REPORT line states it (Duration)',
  initMs: 'Init Duration from the REPORT line (cold starts only)',
  overheadMs: 'shim and platform overhead: client round trip minus REPORT Duration',
  maxMemoryMb: 'Max Memory Used from the REPORT line, in MB',
}

/**
 * One NTP exchange per invoke of the `timestamps` probe (RFC 5905 §8): T1 client send, T4 client receive (client
 * wall clock), T2 handler entry, T3 handler return (function clock), all in ms since the Unix epoch with µs
 * precision. Arrays are parallel, one entry per successful invoke.
 */
export interface ClockExchanges {
  t1Ms: number[]
  t2Ms: number[]
  t3Ms: number[]
  t4Ms: number[]
  /** The synthetic clock error the probe was told to add (PROBE_CLOCK_OFFSET_MS / PROBE_CLOCK_DRIFT_PPM). */
  syntheticOffsetMs: number
  syntheticDriftPpm: number
  /** Wall clock (client) at which the probe process started, the origin of the synthetic drift; null if unknown. */
  processStartMs: number | null
}

/**
 * One measured series: one experiment, one shim, one variant (payload size, concurrency level, clock setting).
 * Samples are columnar and in send order; `null` where the REPORT line did not carry the field.
 */
export interface LatencySeriesData {
  /** Stable key used to match a series with the baseline: `<experiment>/<shim>[/<variant>]`. */
  key: string
  experiment: Experiment
  /** Behaviour id of the test that measured it. */
  behaviour: string
  shim: string
  target: string
  /** '' for the main series; e.g. `65536 B`, `c=4`, `offset -0.4 ms, drift +2000 ppm`. */
  variant: string
  /** Scaling parameter (payload bytes, concurrency), for scaling curves. */
  x?: number
  /** Samples asked for, samples kept, invokes that failed, samples discarded because cold/warm was mislabelled. */
  requested: number
  collected: number
  errors: number
  mislabelled: number
  /** Wall clock at the first send, ms since the epoch. */
  startedAtMs: number
  /** Wall time the whole series took, without a sequential series' reference calls (for throughput under concurrency). */
  elapsedMs: number
  samples: {
    /** Send time relative to `startedAtMs`, ms. */
    tMs: number[]
    clientMs: number[]
    durationMs: (number | null)[]
    initMs: (number | null)[]
    overheadMs: (number | null)[]
    maxMemoryMb: (number | null)[]
    /** Cold start as observed (REPORT Init Duration present), null when the REPORT line was missing. */
    cold: (boolean | null)[]
  }
  clock?: ClockExchanges
  /** The machine-speed reference measured beside the series (see SpeedReference); absent in older results. */
  reference?: SpeedReference
}

/**
 * Round trips of a call that crosses the same client, SDK, signing, network and target front end as an invoke but no
 * runtime or shim (Invoke with InvocationType DryRun): one after each sample of a sequential series, 50 before and 50
 * after a concurrent one (lib/latency/measure.ts). Two runs of the
 * same shim on a shared machine differ by 20 % or more in absolute terms while the ratio of invoke to this reference
 * stays within a few per cent (README "Latency regression gate"), so the gate compares runs at equal machine speed.
 */
export interface SpeedReference {
  /** What was timed, e.g. `Invoke DryRun`. */
  what: string
  ms: number[]
  /** Reference calls that failed (left out of `ms`). */
  errors?: number
}

/** A quantile estimate with its distribution-free 95 % confidence interval (latency-methods.md §7). */
export interface QuantileEstimate {
  /** Percentile, e.g. 50, 90, 99, 99.9. */
  p: number
  /** From the HdrHistogram (getValueAtPercentile), ms. */
  value: number
  /** Order-statistic interval bounds, ms; null when n is too small for a two-sided 95 % interval. */
  low: number | null
  high: number | null
}

export interface MetricSummary {
  n: number
  min: number
  max: number
  mean: number
  /** Coefficient of variation (sd / mean). */
  cv: number
  quantiles: QuantileEstimate[]
  /** HdrHistogram of the metric in µs, compressed base64 V2 ("HISTF…"). */
  hdr: string
}

/** Clock analysis of a `clock` series (latency-methods.md §2). */
export interface ClockAnalysis {
  n: number
  /** Smallest NTP delay δ over the run, ms. */
  deltaMinMs: number
  /** Estimated offset θ (function − client) at the series start, ms, and the half-width of its interval. */
  offsetMs: number
  offsetBoundMs: number
  /** Estimated drift of the function clock relative to the client, ppm, and the half-width of its interval. */
  driftPpm: number
  driftBoundPpm: number
  /** Least-squares drift through each time window's min-δ exchange (§2.4), ppm: a second estimate, without a bound. */
  driftLsPpm?: number
  /**
   * 0 when some linear clock fits every exchange with non-negative one-way delays: the bounds above are then
   * guaranteed. Otherwise (clock step, non-linear drift, bad timestamp) the smallest uniform relaxation, ms, that
   * admits one; the bounds are then stated under twice that relaxation and are not guaranteed.
   */
  modelViolationMs?: number
  /** Share of raw one-way request times T2 − T1 that are negative: the 2017 study's figure. */
  rawNegativeFraction: number
  /** Share of corrected one-way request times T2 − θ̂(t) − T1 that are negative. */
  correctedNegativeFraction: number
  /** Share whose corrected interval lies wholly below zero (impossible if the estimate is right). */
  impossibleFraction: number
  /** Median corrected one-way request and response times, ms, each ± `oneWayBoundMs`. */
  requestOneWayMedianMs: number
  responseOneWayMedianMs: number
  oneWayBoundMs: number
  /** Per-exchange θ and δ (ms), for the clock chart. */
  thetaMs: number[]
  deltaMs: number[]
  /** Exchange time relative to the first T1, ms. */
  tMs: number[]
}

/** One comparison of the gate: Mann–Whitney significance and the Hodges–Lehmann shift against ±threshold. */
export interface GateComparison {
  verdict: 'regressed' | 'improved' | 'within-noise' | 'no-change'
  /** Hodges–Lehmann shift (current − baseline) with its Moses 95 % interval, ms. */
  shiftMs: number
  shiftLowMs: number | null
  shiftHighMs: number | null
  /** Two-sided Mann–Whitney p-value. */
  p: number
}

/** The regression gate's verdict for one series against the baseline (latency-methods.md §9). */
export interface GateVerdict {
  key: string
  metric: Metric
  verdict: 'regressed' | 'improved' | 'within-noise' | 'no-change' | 'inconclusive' | 'no-baseline'
  baselineN: number
  currentN: number
  baselineMedianMs: number | null
  currentMedianMs: number | null
  /** Hodges–Lehmann shift (current − baseline) with its Moses 95 % interval, ms. */
  shiftMs: number | null
  shiftLowMs: number | null
  shiftHighMs: number | null
  /** Two-sided Mann–Whitney p-value and the significance level it was held to (after multiplicity correction). */
  p: number | null
  alpha: number
  /** The noise threshold the shift interval had to clear, ms. */
  thresholdMs: number | null
  /**
   * Median reference round trip, current ÷ baseline. Null when either side lacks a reference. The fields above are
   * the comparison as measured; `equalSpeed` is the same comparison after dividing the current samples by this.
   */
  speedFactor: number | null
  /** The comparison at the baseline's machine speed; the verdict is regressed or improved only when both agree. */
  equalSpeed: GateComparison | null
  /** One sentence saying why, for the report and the test's failure message. */
  explanation: string
}

/** A series as results.json carries it: the data, its summaries and, when a baseline was given, the verdict. */
export interface LatencySeriesReport extends LatencySeriesData {
  summary: Partial<Record<Metric, MetricSummary>>
  clockAnalysis?: ClockAnalysis
  gate?: GateVerdict
}

declare module 'vitest' {
  interface TaskMeta {
    /** Series measured by a latency test, with the gate verdicts it reached. */
    latency?: { series: LatencySeriesData[]; gate?: GateVerdict[] }
  }
}
