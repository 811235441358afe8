/**
 * The latency regression gate (latency-methods.md §9): a series regressed only when the Mann–Whitney U test is
 * significant at the multiplicity-corrected α AND the Hodges–Lehmann shift's 95 % Moses interval lies wholly beyond
 * a noise threshold (Criterion.rs's two-gate rule). Significant is not the same as large: with 10⁴ samples a 20 µs
 * shift is significant, and it is noise.
 */
import fs from 'node:fs'
import type { Experiment, GateComparison, GateVerdict, LatencySeriesReport, Metric } from './model.js'
import { EXPERIMENTS } from './model.js'
import { hodgesLehmann, mannWhitney, median, minimumTwoSidedP } from './stats.js'

/** A noise threshold: the shift must exceed max(relative × baseline median, absoluteMs). */
export interface NoiseThreshold {
  relative: number
  absoluteMs: number
}

/**
 * Noise thresholds per experiment. §9 suggests ≈ 5 % for warm and 10–20 % for cold latency from observed run-to-run
 * variance on cloud targets; the kit's usual target is local, on a shared 2-core CI machine, where a warm round trip
 * is ≈ 1 ms and scheduler noise alone moves it by a few hundred µs between runs. Hence:
 * - warm, payload, concurrency, clock: max(10 %, 0.3 ms). Double §9's warm figure for the shared machine; the
 *   0.3 ms floor keeps sub-millisecond medians from gating on jitter of the order of one scheduler tick.
 * - cold: max(20 %, 2 ms). The top of §9's cold range: a cold start is a process spawn plus runtime init whose
 *   duration follows the host's load; lambda-perf's daily cold means for Go vary by ±10 % (§11.1), and a 2 ms floor
 *   covers the spawn jitter of a local target.
 */
export const NOISE_THRESHOLDS: Record<Experiment, NoiseThreshold> = {
  warm: { relative: 0.1, absoluteMs: 0.3 },
  payload: { relative: 0.1, absoluteMs: 0.3 },
  concurrency: { relative: 0.1, absoluteMs: 0.3 },
  clock: { relative: 0.1, absoluteMs: 0.3 },
  cold: { relative: 0.2, absoluteMs: 2 },
}

/** Fewer samples than this on either side is 'inconclusive': two-sided p can never reach 0.05 with 3 per side (§9). */
export const GATE_MIN_SAMPLES = 4

/** Confidence level of the shift interval, as GateVerdict documents it. */
export const SHIFT_CONFIDENCE = 0.95

/** Family-wise error rate of the whole gate. */
export const GATE_FAMILY_ALPHA = 0.05

/**
 * The metric the gate compares: the client round trip, for every experiment including cold. Cold could gate Init
 * Duration instead, but the REPORT line's Init Duration is unreliable on emulators (RIE's measures dispatch only, §5)
 * and absent whenever the REPORT line is lost, while the client round trip is measured by the caller on every target
 * and contains the init a user waits for.
 */
export const GATE_METRIC: Metric = 'clientMs'

/** What the gate needs of a series: its key, its experiment, the gated metric's samples and the speed reference. */
export interface GateSeries {
  key: string
  experiment: Experiment
  samples: { clientMs: number[] } & Partial<Record<Metric, (number | null)[]>>
  reference?: { ms: number[] }
}

/** Fewer reference round trips than this on either side and the gate compares unscaled. */
export const SPEED_REFERENCE_MIN_SAMPLES = 20

/**
 * A speed factor beyond ×/÷ this makes the verdict 'inconclusive': the machine changed too much between the runs for
 * either comparison to mean anything. Seen under heavy load: factors 0.68–1.85 between runs of one shim, where the
 * scaled comparison still held; at 0.36 it over-corrected a rerun of the same shim into +2.4 ms.
 */
export const SPEED_FACTOR_LIMIT = 2

/** Whether a speed factor lies beyond ×/÷ SPEED_FACTOR_LIMIT. */
function beyondSpeedLimit(factor: number | null | undefined): boolean {
  return typeof factor === 'number' && (factor > SPEED_FACTOR_LIMIT || factor < 1 / SPEED_FACTOR_LIMIT)
}

/** Whether a verdict is 'inconclusive' because the machine's speed changed beyond SPEED_FACTOR_LIMIT. */
export function machineChangedTooMuch(v: GateVerdict | undefined): boolean {
  return v?.verdict === 'inconclusive' && beyondSpeedLimit(v.speedFactor)
}

/**
 * Current ÷ baseline median of the machine-speed reference (model.ts SpeedReference), or null when either side has
 * too few reference samples. Dividing the current samples by it compares both runs at the baseline's speed: a
 * shared CI machine that is 20 % slower today slows the reference as much as the invokes (measured: medians of two
 * runs 3.77 and 4.53 ms, 3.53 to 8.26 ms with two CPU hogs, invoke ÷ reference 1.72–1.86 throughout), while a slower
 * shim or runtime does not touch the reference, which runs no function code.
 */
export function speedFactor(baseline: GateSeries, current: GateSeries): number | null {
  const b = (baseline.reference?.ms ?? []).filter((v) => Number.isFinite(v) && v > 0)
  const c = (current.reference?.ms ?? []).filter((v) => Number.isFinite(v) && v > 0)
  if (b.length < SPEED_REFERENCE_MIN_SAMPLES || c.length < SPEED_REFERENCE_MIN_SAMPLES) return null
  return median(c) / median(b)
}

/** The noise threshold for an experiment and a baseline median, ms. */
export function noiseThresholdMs(experiment: Experiment, baselineMedianMs: number): number {
  const t = NOISE_THRESHOLDS[experiment]
  return Math.max(t.relative * Math.abs(baselineMedianMs), t.absoluteMs)
}

/**
 * The per-series significance level: Bonferroni, 0.05 / number of gated series. Not Holm (§12's default): Holm
 * needs every series' p-value before it can decide any, but each series is gated by the test that measured it, in
 * its own test file and worker, which must pass or fail on the spot. Bonferroni is Holm's first step, so it is only
 * more conservative.
 */
export function gateAlpha(seriesCount: number): number {
  return GATE_FAMILY_ALPHA / Math.max(1, seriesCount)
}

function formatMs(v: number): string {
  const a = Math.abs(v)
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2)
}

function formatSigned(v: number): string {
  return `${v >= 0 ? '+' : '−'}${formatMs(Math.abs(v))}`
}

function formatP(p: number): string {
  return p === 0 ? '< 1e-300' : p < 0.001 ? p.toExponential(1) : p.toPrecision(2)
}

/** α exactly enough to recognise it (0.0125, 0.05), at most three significant digits. */
function formatAlpha(alpha: number): string {
  return String(Number(alpha.toPrecision(3)))
}

/**
 * Gates `current` against `baseline` on the client round trip (see GATE_METRIC), at significance `alpha` (already
 * corrected for multiplicity, see {@link gateAlpha}). Verdicts:
 * - 'no-baseline': the baseline has no series with this key;
 * - 'inconclusive': fewer than 4 samples on a side, so few that no outcome could reach p < α, or a speed factor
 *   beyond ×/÷ SPEED_FACTOR_LIMIT;
 * - 'no-change': p ≥ α;
 * - 'regressed' / 'improved': p < α and the shift's interval lies wholly above +threshold / below −threshold;
 * - 'within-noise': p < α but the interval reaches inside ±threshold.
 * When both sides carry a speed reference the comparison is made twice, as measured and at equal machine speed
 * (see {@link speedFactor}), and 'regressed' or 'improved' needs both (see `combine`); otherwise it is 'within-noise'.
 * The explanation states both shifts, their intervals, both medians, p against α and the threshold.
 */
export function gateSeries(baseline: GateSeries | undefined, current: GateSeries, opts: { alpha: number }): GateVerdict {
  const { alpha } = opts
  const metric = GATE_METRIC
  const cur = current.samples.clientMs.filter((v) => Number.isFinite(v))
  const curMedian = cur.length > 0 ? median(cur) : null
  const empty = {
    key: current.key,
    metric,
    baselineN: 0,
    currentN: cur.length,
    baselineMedianMs: null,
    currentMedianMs: curMedian,
    shiftMs: null,
    shiftLowMs: null,
    shiftHighMs: null,
    p: null,
    alpha,
    thresholdMs: null,
    speedFactor: null,
    equalSpeed: null,
  }
  const name = `${current.experiment} ${metric}`
  if (!baseline) {
    return { ...empty, verdict: 'no-baseline', explanation: `${name}: the baseline has no series ${current.key}, so there is nothing to compare against` }
  }
  const base = baseline.samples.clientMs.filter((v) => Number.isFinite(v))
  const baseMedian = base.length > 0 ? median(base) : null
  const factor = speedFactor(baseline, current)
  const counted = { ...empty, baselineN: base.length, baselineMedianMs: baseMedian, speedFactor: factor }
  // First: when the machine changed this much, nothing else about the comparison means anything.
  if (factor !== null && beyondSpeedLimit(factor)) {
    return {
      ...counted,
      verdict: 'inconclusive',
      explanation:
        `${name}: the machine's speed changed ${factor > 1 ? `${factor.toFixed(2)}× slower` : `${(1 / factor).toFixed(2)}× faster`} between the runs ` +
        `(median ${REFERENCE_NAME}, current ÷ baseline = ${factor.toFixed(3)}; beyond ×/÷ ${SPEED_FACTOR_LIMIT}), too much to compare latencies; ` +
        `rerun when the machine is as busy as it was for the baseline, or save a new baseline on this machine`,
    }
  }
  if (base.length < GATE_MIN_SAMPLES || cur.length < GATE_MIN_SAMPLES) {
    return {
      ...counted,
      verdict: 'inconclusive',
      explanation: `${name}: ${base.length} baseline and ${cur.length} current samples; the gate needs at least ${GATE_MIN_SAMPLES} on each side (fewer can never reach p < 0.05)`,
    }
  }
  const smallestP = minimumTwoSidedP(base.length, cur.length)
  if (smallestP >= alpha) {
    return {
      ...counted,
      verdict: 'inconclusive',
      explanation: `${name}: with ${base.length} baseline and ${cur.length} current samples the smallest attainable p is ${formatP(smallestP)}, not below α = ${formatAlpha(alpha)}; measure more samples`,
    }
  }
  const thresholdMs = noiseThresholdMs(current.experiment, baseMedian as number)
  const raw = compare(base, cur, thresholdMs, alpha)
  // At the baseline's machine speed; currentMedianMs stays the raw median, as measured.
  const equalSpeed = factor === null ? null : compare(base, cur.map((v) => v / factor), thresholdMs, alpha)
  const verdict = equalSpeed === null ? raw.verdict : combine(raw.verdict, equalSpeed.verdict)
  const reason =
    equalSpeed !== null && verdict === 'within-noise' && raw.verdict !== equalSpeed.verdict && [raw.verdict, equalSpeed.verdict].some((x) => x === 'regressed' || x === 'improved')
      ? `the comparisons as measured (${raw.verdict}) and at equal machine speed (${equalSpeed.verdict}) disagree, so the change is not the shim's alone`
      : verdict === 'no-change'
        ? 'not significant'
        : verdict === 'within-noise'
          ? `significant but the interval does not clear the noise threshold ±${formatMs(thresholdMs)} ms`
          : `beyond the noise threshold ±${formatMs(thresholdMs)} ms`
  const speed =
    equalSpeed === null || factor === null
      ? '; at equal machine speed: not compared, no speed reference on both sides'
      : `; at equal machine speed (current ÷ ${factor.toFixed(3)}, the factor from ${REFERENCE_NAME}) ${describe(equalSpeed, alpha)}`
  const explanation =
    `${name} shift ${describe(raw, alpha)} (Hodges–Lehmann, ${Math.round(SHIFT_CONFIDENCE * 100)} %; ` +
    `median ${formatMs(baseMedian as number)} → ${formatMs(curMedian as number)} ms, n = ${base.length} → ${cur.length})` +
    `${speed}: ${reason}: ${verdict}`
  return {
    ...counted,
    verdict,
    shiftMs: raw.shiftMs,
    shiftLowMs: raw.shiftLowMs,
    shiftHighMs: raw.shiftHighMs,
    p: raw.p,
    thresholdMs,
    equalSpeed,
    explanation,
  }
}

/** One two-gate comparison: Mann–Whitney significance and the HL interval against ±threshold. */
function compare(base: number[], cur: number[], thresholdMs: number, alpha: number): GateComparison {
  const u = mannWhitney(base, cur)
  const hl = hodgesLehmann(base, cur, SHIFT_CONFIDENCE)
  const low = hl.low ?? -Infinity
  const high = hl.high ?? Infinity
  const verdict = u.p >= alpha ? 'no-change' : low > thresholdMs ? 'regressed' : high < -thresholdMs ? 'improved' : 'within-noise'
  return { verdict, shiftMs: hl.shift, shiftLowMs: hl.low, shiftHighMs: hl.high, p: u.p }
}

/**
 * Regressed (improved) only when the comparison as measured and the one at equal machine speed both say so. The
 * speed correction removes a busier machine from a rerun of the same shim, but it also understates a real change: a
 * shim slowed by 3 ms leaves the client idle longer between calls and slowed the DryRun reference by 18–42 % on
 * this machine. Requiring both keeps machine drift from failing CI without hiding a regression of that size.
 */
function combine(raw: GateComparison['verdict'], equalSpeed: GateComparison['verdict']): GateComparison['verdict'] {
  if (raw === equalSpeed) return raw
  return 'within-noise'
}

function describe(c: GateComparison, alpha: number): string {
  const interval = c.shiftLowMs !== null && c.shiftHighMs !== null ? ` [${formatSigned(c.shiftLowMs)}, ${formatSigned(c.shiftHighMs)}]` : ''
  return `${formatSigned(c.shiftMs)} ms${interval}, p = ${formatP(c.p)} ${c.p < alpha ? '<' : '≥'} α = ${formatAlpha(alpha)}`
}

const REFERENCE_NAME = 'DryRun round trips'

/** What to do when there is no usable baseline. */
const BASELINE_HINT = 'run `npm run baseline:save` after a run that measured latency, then point CONFORMANCE_BASELINE at the file it writes'

/**
 * Reads the latency series of a baseline results.json (top-level `latency.series`, an array of LatencySeriesReport)
 * into a map by series key. Throws an Error saying what is wrong and what to do when the file is missing, is not JSON
 * or holds no latency series.
 */
export function readBaseline(file: string): Map<string, GateSeries> {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const what = code === 'ENOENT' ? 'does not exist' : `cannot be read (${(e as Error).message})`
    throw new Error(`baseline ${file} ${what}; ${BASELINE_HINT}`)
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (e) {
    throw new Error(`baseline ${file} is not JSON (${(e as Error).message}); ${BASELINE_HINT}`)
  }
  const series = (doc as { latency?: { series?: unknown } } | null)?.latency?.series
  if (!Array.isArray(series) || series.length === 0) {
    throw new Error(`baseline ${file} holds no latency series (no non-empty latency.series array); ${BASELINE_HINT}`)
  }
  const out = new Map<string, GateSeries>()
  for (const [i, raw] of series.entries()) {
    const s = raw as Partial<LatencySeriesReport> | null
    const ok =
      s !== null &&
      typeof s === 'object' &&
      typeof s.key === 'string' &&
      typeof s.experiment === 'string' &&
      (EXPERIMENTS as readonly string[]).includes(s.experiment) &&
      Array.isArray(s.samples?.clientMs)
    if (!ok) throw new Error(`baseline ${file}: latency.series[${i}] lacks a key, a known experiment or samples.clientMs; ${BASELINE_HINT}`)
    const reference = Array.isArray(s.reference?.ms) ? { ms: s.reference.ms } : undefined
    out.set(s.key as string, { key: s.key as string, experiment: s.experiment as Experiment, samples: s.samples as GateSeries['samples'], ...(reference ? { reference } : {}) })
  }
  return out
}
