/**
 * Clock analysis for one-way latency (latency-methods.md §2, §3): NTP offset and delay per exchange, and an offset
 * line θ(t) = θ₀ + s·t (function clock − client clock) with bounds that physics guarantees, not just estimates.
 *
 * The guarantee. Write F(t) for the function clock at client time t. An exchange i has T1 and T4 on the client clock
 * and T2 = F(τ₂), T3 = F(τ₃) with T1 ≤ τ₂ ≤ τ₃ ≤ T4 (one-way delays are ≥ 0). F runs forwards, so F(T1) ≤ T2 and
 * F(T4) ≥ T3, i.e. with θ(t) = F(t) − t:
 *
 *     θ(T1ᵢ) ≤ T2ᵢ − T1ᵢ        and        θ(T4ᵢ) ≥ T3ᵢ − T4ᵢ.
 *
 * For a constant offset these say |θᵢ − θ| ≤ δᵢ/2 (§2.1). For a linear θ they are 2n half-planes in (θ₀, s); their
 * intersection, the feasible polygon, contains the true line. Only the lower convex hull of the upper-bound points
 * (T1ᵢ, T2ᵢ − T1ᵢ) and the upper hull of the lower-bound points (T4ᵢ, T3ᵢ − T4ᵢ) matter, so the exact projections of
 * the polygon onto s and onto θ(t) for any t are computed from the hulls in O(n log n): the drift interval, the
 * offset interval at the series start, and an interval for θ at each exchange. Estimates are the midpoints of those
 * intervals and bounds their half-widths, so the truth lies in [estimate − bound, estimate + bound] whenever the
 * assumptions hold: a linear clock, timestamps good to `timestampResolutionMs`, and |s| ≤ MAX_DRIFT_PPM.
 * Using every exchange is at least as tight as using only each window's min-δ exchange (§2.3, §2.4): the min-δ
 * exchanges are the ones that end up on the hulls.
 *
 * When no line fits (a clock step, non-linear drift, a bad timestamp) the polygon is empty; the analysis then finds
 * the smallest uniform relaxation ε* that admits a line, reports it as `modelViolationMs`, and states the bounds
 * under a relaxation of 2ε*: estimates still, but no longer guaranteed.
 */
import type { ClockAnalysis, ClockExchanges } from './model.js'
import { medianOfSorted, sortedAscending } from './stats.js'

/**
 * The largest drift the analysis admits, in ppm: 10⁶ ppm means the function clock runs at between zero and twice the
 * client's rate. Real clocks stay within ±500 ppm (NTP's slew limit), synthetic drift in the kit within a few
 * thousand, so this prior only matters when the data say nothing about drift; a `driftBoundPpm` of this size (or
 * anywhere near it) reads "drift unknown". It keeps every bound finite and JSON-safe (Infinity is not).
 */
export const MAX_DRIFT_PPM = 1_000_000

/** Windows for the least-squares drift through per-window min-δ exchanges (§2.4), and the "too short" test. */
export const DRIFT_WINDOWS = 10

/** Default resolution of the T1…T4 readings: the probe reports µs. */
export const DEFAULT_TIMESTAMP_RESOLUTION_MS = 0.001

/** NTP offset θ (server − client; here function − caller) and delay δ of one four-timestamp exchange (RFC 5905 §8). */
export function ntpExchange(t1: number, t2: number, t3: number, t4: number): { thetaMs: number; deltaMs: number } {
  return { thetaMs: (t2 - t1 + (t3 - t4)) / 2, deltaMs: t4 - t1 - (t3 - t2) }
}

/**
 * The true offset θ (function − client, ms) at client wall-clock time `tMs` for a series whose probe applied a
 * synthetic clock error: reported = true + offsetMs + driftPpm·(true − processStart)/10⁶. Exact on targets whose
 * function shares the caller's clock (every local target, §2.6). Throws when there is drift but the process start
 * (the drift's origin) is unknown, since the truth is then unknown too.
 */
export function syntheticTruthAt(ex: ClockExchanges, tMs: number): number {
  if (ex.syntheticDriftPpm === 0) return ex.syntheticOffsetMs
  if (ex.processStartMs === null) {
    throw new RangeError(`syntheticTruthAt: drift ${ex.syntheticDriftPpm} ppm but processStartMs is null, so the true offset is unknown`)
  }
  return ex.syntheticOffsetMs + (ex.syntheticDriftPpm * (tMs - ex.processStartMs)) / 1e6
}

export interface ClockEstimateOptions {
  /** Resolution of each timestamp, ms; widens every constraint so that rounding cannot exclude the truth. */
  timestampResolutionMs?: number
  /** Windows for the least-squares drift; fewer than 2 non-empty windows report drift 0. */
  windows?: number
}

interface Point {
  x: number
  y: number
}

/**
 * Lower convex hull (x ascending) of points, by Andrew's monotone chain; among points with equal x only the lowest
 * is kept, so every hull edge has a finite slope. Collinear points are dropped.
 */
function lowerHull(points: Point[]): Point[] {
  let inOrder = true // exchanges usually arrive in time order: skip the sort then
  for (let i = 1; i < points.length && inOrder; i++) {
    const a = points[i - 1] as Point
    const b = points[i] as Point
    inOrder = a.x < b.x || (a.x === b.x && a.y <= b.y)
  }
  const sorted = inOrder ? points : [...points].sort((a, b) => a.x - b.x || a.y - b.y)
  const hull: Point[] = []
  for (const p of sorted) {
    const last = hull[hull.length - 1]
    if (last && last.x === p.x) continue // same x, higher (or equal) y: never on the lower hull
    while (hull.length >= 2) {
      const a = hull[hull.length - 2] as Point
      const b = hull[hull.length - 1] as Point
      if ((b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x) <= 0) hull.pop()
      else break
    }
    hull.push(p)
  }
  return hull
}

/**
 * The envelope min over hull vertices of (y − s·x) (for a lower hull) as a function of the slope s, evaluated by
 * binary search over the hull's edge slopes: the minimising vertex is the one where the edge slopes pass s.
 */
class HullEnvelope {
  readonly edgeSlopes: number[]
  constructor(private readonly hull: Point[]) {
    this.edgeSlopes = []
    for (let k = 0; k + 1 < hull.length; k++) {
      const a = hull[k] as Point
      const b = hull[k + 1] as Point
      this.edgeSlopes.push((b.y - a.y) / (b.x - a.x))
    }
  }

  /** min over vertices of (y − s·x). Edge slopes increase along a lower hull. */
  at(s: number): number {
    let lo = 0
    let hi = this.edgeSlopes.length // index of the first edge with slope ≥ s
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((this.edgeSlopes[mid] as number) < s) lo = mid + 1
      else hi = mid
    }
    const v = this.hull[lo] as Point
    return v.y - s * v.x
  }
}

/** Max of a concave function over sorted candidate points (its values rise, then fall): binary search on the step. */
function maxConcave(candidates: number[], f: (s: number) => number): number {
  let lo = 0
  let hi = candidates.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (f(candidates[mid + 1] as number) > f(candidates[mid] as number)) lo = mid + 1
    else hi = mid
  }
  return f(candidates[lo] as number)
}

/** Sorted, de-duplicated values of `slopes` strictly inside (lo, hi), with lo and hi at the ends. */
function candidateSlopes(lo: number, hi: number, ...slopeLists: number[][]): number[] {
  const inside = slopeLists.flat().filter((s) => s > lo && s < hi)
  inside.sort((a, b) => a - b)
  const out = [lo]
  for (const s of inside) if (s !== out[out.length - 1]) out.push(s)
  if (hi !== out[out.length - 1]) out.push(hi)
  return out
}

/**
 * The exact feasible set of offset lines θ(x) = a + s·x (x = client time since the first T1) under the constraints
 * a + s·xᵢ ≤ yᵢ (upper points) and a + s·x′ⱼ ≥ y′ⱼ (lower points), relaxed by `relax` on each side.
 */
class FeasibleLines {
  private readonly upper: HullEnvelope
  /** Envelope of the lower points mirrored in y (x, −y′): its lower hull is their upper hull. */
  private readonly lowerNeg: HullEnvelope
  readonly sMin: number
  readonly sMax: number
  /** Smallest uniform relaxation that admits a line (0 when the constraints are consistent). */
  readonly violation: number
  private readonly relax: number
  private readonly candidatesUpper: number[]
  private readonly candidatesLower: number[]

  constructor(upperPoints: Point[], lowerPoints: Point[], maxSlope: number) {
    this.upper = new HullEnvelope(lowerHull(upperPoints))
    this.lowerNeg = new HullEnvelope(lowerHull(lowerPoints.map((p) => ({ x: p.x, y: -p.y }))))
    const gap = (s: number): number => this.lowerBoundAt0(s, 0) - this.upperBoundAt0(s, 0) // convex in s
    // Breakpoints of the gap are the hull edge slopes (negated for the mirrored lower hull).
    const lowerEdgeSlopes = this.lowerNeg.edgeSlopes.map((e) => -e)
    const all = candidateSlopes(-maxSlope, maxSlope, this.upper.edgeSlopes, lowerEdgeSlopes)
    const gaps = all.map(gap)
    const minGap = gaps.reduce((a, b) => Math.min(a, b), Infinity)
    this.violation = Math.max(0, minGap / 2)
    // Under a violation, state bounds under twice the smallest relaxation, so the feasible set is not a single point.
    this.relax = 2 * this.violation
    const limit = 2 * this.relax
    const firstIn = gaps.findIndex((g) => g <= limit)
    let lastIn = -1
    for (let i = gaps.length - 1; i >= 0; i--)
      if ((gaps[i] as number) <= limit) {
        lastIn = i
        break
      }
    const root = (i: number, j: number): number => {
      // the gap is linear between neighbouring candidates i (outside) and j (inside): solve gap = limit
      const si = all[i] as number
      const sj = all[j] as number
      const gi = gaps[i] as number
      const gj = gaps[j] as number
      return si + ((sj - si) * (gi - limit)) / (gi - gj)
    }
    this.sMin = firstIn > 0 ? root(firstIn - 1, firstIn) : (all[0] as number)
    this.sMax = lastIn < all.length - 1 ? root(lastIn + 1, lastIn) : (all[all.length - 1] as number)
    this.candidatesUpper = candidateSlopes(this.sMin, this.sMax, this.upper.edgeSlopes)
    this.candidatesLower = candidateSlopes(this.sMin, this.sMax, lowerEdgeSlopes)
  }

  /** Largest a with a + s·xᵢ ≤ yᵢ for all upper points, plus the relaxation `extra`. */
  private upperBoundAt0(s: number, extra: number): number {
    return this.upper.at(s) + extra
  }

  /** Smallest a with a + s·x′ⱼ ≥ y′ⱼ for all lower points, minus `extra`: max (y′ − s·x′) = −min ((−y′) − (−s)·x′). */
  private lowerBoundAt0(s: number, extra: number): number {
    return -this.lowerNeg.at(-s) - extra
  }

  /** The exact interval of θ(x) = a + s·x over all feasible lines. */
  thetaRange(x: number): { low: number; high: number } {
    // For fixed s, θ(x) ranges over [lowerBoundAt0(s) + s·x, upperBoundAt0(s) + s·x]; the upper end is concave in s
    // with breakpoints at the upper hull's edge slopes, the lower end convex with the lower hull's.
    const high = maxConcave(this.candidatesUpper, (s) => this.upperBoundAt0(s, this.relax) + s * x)
    const low = -maxConcave(this.candidatesLower, (s) => -(this.lowerBoundAt0(s, this.relax) + s * x))
    return { low, high }
  }
}

/** Slope of the least-squares line through (x, y) points; 0 for fewer than two distinct x. */
function leastSquaresSlope(points: Point[]): number {
  if (points.length < 2) return 0
  const mx = points.reduce((acc, p) => acc + p.x, 0) / points.length
  const my = points.reduce((acc, p) => acc + p.y, 0) / points.length
  let sxy = 0
  let sxx = 0
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my)
    sxx += (p.x - mx) * (p.x - mx)
  }
  return sxx > 0 ? sxy / sxx : 0
}

function fraction(count: number, n: number): number {
  return n === 0 ? 0 : count / n
}

/**
 * Analyses a `clock` series (§2): per-exchange θ and δ, δ_min, the offset at the series start and the drift with
 * guaranteed bounds (see the file comment), corrected one-way times with their bound, and the negative shares the
 * 2017 study reported (§1). Throws when the arrays are empty, differ in length or hold non-finite values.
 *
 * Corrected one-way times use θ̂ at each exchange's midpoint tₘ = (T1 + T4)/2: request = (T2 − θ̂) − T1, response =
 * T4 − (T3 − θ̂); they sum to δ exactly. Each is within bᵢ = (half-width of θ at tₘ) + max|s|·(T4 − T1)/2 +
 * resolution of the truth (the last two terms: θ is needed at the unknown arrival time, not at tₘ, and T2 − T1 is
 * read to the resolution); `oneWayBoundMs` is the largest bᵢ, which also bounds the error of the medians.
 */
export function estimateClock(ex: ClockExchanges, options: ClockEstimateOptions = {}): ClockAnalysis {
  const resolution = options.timestampResolutionMs ?? DEFAULT_TIMESTAMP_RESOLUTION_MS
  const windows = options.windows ?? DRIFT_WINDOWS
  const n = ex.t1Ms.length
  if (n === 0) throw new RangeError('estimateClock: no exchanges')
  if (ex.t2Ms.length !== n || ex.t3Ms.length !== n || ex.t4Ms.length !== n) {
    throw new RangeError(`estimateClock: T1…T4 differ in length (${n}, ${ex.t2Ms.length}, ${ex.t3Ms.length}, ${ex.t4Ms.length})`)
  }
  let largestTimestamp = 0
  for (const arr of [ex.t1Ms, ex.t2Ms, ex.t3Ms, ex.t4Ms]) {
    for (const v of arr) {
      if (!Number.isFinite(v)) throw new RangeError(`estimateClock: timestamp ${String(v)} is not finite`)
      largestTimestamp = Math.max(largestTimestamp, Math.abs(v))
    }
  }
  // Each constraint compares two readings (one resolution step) at a time known to one step (≤ one more step of θ at
  // |s| ≤ 1); epoch-ms doubles carry ≈0.4 µs of rounding of their own, counted twice.
  const slack = 2 * resolution + 2 * Number.EPSILON * largestTimestamp
  const t0 = ex.t1Ms[0] as number

  const thetaMs: number[] = []
  const deltaMs: number[] = []
  const tMs: number[] = []
  const upperPoints: Point[] = []
  const lowerPoints: Point[] = []
  for (let i = 0; i < n; i++) {
    const t1 = ex.t1Ms[i] as number
    const t2 = ex.t2Ms[i] as number
    const t3 = ex.t3Ms[i] as number
    const t4 = ex.t4Ms[i] as number
    const { thetaMs: theta, deltaMs: delta } = ntpExchange(t1, t2, t3, t4)
    thetaMs.push(theta)
    deltaMs.push(delta)
    tMs.push(t1 - t0)
    upperPoints.push({ x: t1 - t0, y: t2 - t1 + slack })
    lowerPoints.push({ x: t4 - t0, y: t3 - t4 - slack })
  }

  const maxSlope = MAX_DRIFT_PPM / 1e6
  const lines = new FeasibleLines(upperPoints, lowerPoints, maxSlope)
  const maxAbsSlope = Math.max(Math.abs(lines.sMin), Math.abs(lines.sMax))

  // Least-squares drift through each time window's min-δ exchange (§2.3, §2.4), reported alongside.
  const mids = new Float64Array(n)
  let first = Infinity
  let last = -Infinity
  for (let i = 0; i < n; i++) {
    const mid = ((ex.t1Ms[i] as number) + (ex.t4Ms[i] as number)) / 2 - t0
    mids[i] = mid
    first = Math.min(first, mid)
    last = Math.max(last, mid)
  }
  const span = last - first
  const best = new Map<number, number>() // window → index of its min-δ exchange
  for (let i = 0; i < n; i++) {
    const w = span > 0 ? Math.min(windows - 1, Math.floor(((mids[i] as number) - first) / (span / windows))) : 0
    const j = best.get(w)
    if (j === undefined || (deltaMs[i] as number) < (deltaMs[j] as number)) best.set(w, i)
  }
  const enoughWindows = best.size >= 2
  const driftLsPpm = enoughWindows ? leastSquaresSlope([...best.values()].map((i) => ({ x: mids[i] as number, y: thetaMs[i] as number }))) * 1e6 : 0

  // Drift: the midpoint of the feasible slope interval, or 0 with the honest bound when the series is too short.
  const driftPpm = enoughWindows ? ((lines.sMin + lines.sMax) / 2) * 1e6 : 0
  const driftBoundPpm = enoughWindows ? ((lines.sMax - lines.sMin) / 2) * 1e6 : maxAbsSlope * 1e6

  const start = lines.thetaRange(0)
  const requestMs: number[] = []
  const responseMs: number[] = []
  let oneWayBoundMs = 0
  let rawNegative = 0
  let correctedNegative = 0
  let impossible = 0
  for (let i = 0; i < n; i++) {
    const t1 = ex.t1Ms[i] as number
    const t2 = ex.t2Ms[i] as number
    const t3 = ex.t3Ms[i] as number
    const t4 = ex.t4Ms[i] as number
    const range = lines.thetaRange(mids[i] as number)
    const thetaHat = (range.low + range.high) / 2
    const bound = (range.high - range.low) / 2 + (maxAbsSlope * (t4 - t1)) / 2 + resolution
    const request = t2 - thetaHat - t1
    const response = t4 - (t3 - thetaHat)
    requestMs.push(request)
    responseMs.push(response)
    oneWayBoundMs = Math.max(oneWayBoundMs, bound)
    if (t2 - t1 < 0) rawNegative++
    if (request < 0) correctedNegative++
    if (request + bound < 0 || response + bound < 0) impossible++
  }

  return {
    n,
    deltaMinMs: deltaMs.reduce((a, b) => Math.min(a, b), Infinity),
    offsetMs: (start.low + start.high) / 2,
    offsetBoundMs: (start.high - start.low) / 2,
    driftPpm,
    driftBoundPpm,
    driftLsPpm,
    modelViolationMs: lines.violation,
    rawNegativeFraction: fraction(rawNegative, n),
    correctedNegativeFraction: fraction(correctedNegative, n),
    impossibleFraction: fraction(impossible, n),
    requestOneWayMedianMs: medianOfSorted(sortedAscending(requestMs)),
    responseOneWayMedianMs: medianOfSorted(sortedAscending(responseMs)),
    oneWayBoundMs,
    thetaMs,
    deltaMs,
    tMs,
  }
}
