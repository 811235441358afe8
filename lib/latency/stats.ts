/**
 * Distribution-free statistics for latency samples (latency-methods.md §7–§9): location and spread, order-statistic
 * confidence intervals for quantiles with exact binomial coverage, the DKW band, the Mann–Whitney U test and the
 * Hodges–Lehmann shift with its Moses interval. Pure functions, no dependencies; every function that needs sorted
 * input says so.
 *
 * Latency is skewed and heavy-tailed, so nothing here assumes normality except where a normal approximation to a
 * rank statistic's null distribution is the textbook large-sample method (stated at each use).
 */

// ---------------------------------------------------------------------------------------------------------------
// Location and spread
// ---------------------------------------------------------------------------------------------------------------

/** Throws a RangeError naming `what` unless every value is a finite number: NaN would silently poison a sort. */
function assertFinite(values: readonly number[], what: string): void {
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`${what}: ${String(v)} is not a finite number`)
}

/** A sorted (ascending, numeric) copy; the input is left alone. */
export function sortedAscending(values: readonly number[]): number[] {
  const typed = Float64Array.from(values).sort() // numeric sort in native code, no comparator calls
  const out = new Array<number>(typed.length)
  for (let i = 0; i < typed.length; i++) out[i] = typed[i] as number // (Array.from would go through the iterator: slow)
  return out
}

/** The median (mean of the two middle values for even n) of `values`, which need not be sorted. Throws on no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values')
  return medianOfSorted(sortedAscending(values))
}

/** The median of values already sorted ascending. */
export function medianOfSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length
  if (n === 0) throw new RangeError('median of no values')
  const mid = n >> 1
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** The arithmetic mean. Throws on no values. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('mean of no values')
  let sum = 0
  for (const v of values) sum += v
  return sum / values.length
}

/**
 * The sample standard deviation (n − 1 denominator), by Welford's update so that 10⁴ values near 10³ ms lose no
 * digits to cancellation. 0 for fewer than two values: no spread has been observed.
 */
export function sd(values: readonly number[]): number {
  if (values.length < 2) return 0
  let m = 0
  let m2 = 0
  let k = 0
  for (const v of values) {
    k++
    const d = v - m
    m += d / k
    m2 += d * (v - m)
  }
  return Math.sqrt(m2 / (values.length - 1))
}

/** Coefficient of variation sd / |mean|; 0 when the mean is 0 (keeps the result finite and JSON-safe). */
export function cv(values: readonly number[]): number {
  const m = mean(values)
  return m === 0 ? 0 : sd(values) / Math.abs(m)
}

// ---------------------------------------------------------------------------------------------------------------
// The standard normal distribution
// ---------------------------------------------------------------------------------------------------------------

const SQRT2 = Math.SQRT2
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI)
/** Below this |x| the upper tail comes from the erf series, above it from the continued fraction. */
const TAIL_SWITCH = 2.5

/** Standard normal density φ(x). */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x)
}

/**
 * erf(z) for 0 ≤ z by the everywhere-convergent series erf(z) = (2/√π)·e^(−z²)·Σₙ 2ⁿz^(2n+1)/(1·3·…·(2n+1))
 * (Abramowitz & Stegun 7.1.6). All terms are positive, so there is no cancellation: near machine precision for the
 * range it is used in (z ≤ 2.5/√2).
 */
function erfSeries(z: number): number {
  const twoZ2 = 2 * z * z
  let term = z
  let sum = z
  for (let n = 1; n < 500; n++) {
    term *= twoZ2 / (2 * n + 1)
    sum += term
    if (term < sum * 1e-17) break
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z) * sum
}

/**
 * Upper tail Q(x) = P(Z > x) for x ≥ TAIL_SWITCH by Laplace's continued fraction for the Mills ratio,
 * Q(x) = φ(x) / (x + 1/(x + 2/(x + 3/(x + …)))) (A&S 26.2.14), evaluated with the modified Lentz method. Keeps full
 * relative precision far into the tail (Q(10) ≈ 7.6e−24), where 1 − Φ(x) would round to 0.
 */
function upperTailContinuedFraction(x: number): number {
  const tiny = 1e-300
  let f = x
  let c = x
  let d = 0
  for (let j = 1; j < 5000; j++) {
    d = x + j * d
    d = d === 0 ? 1 / tiny : 1 / d
    c = x + j / c
    if (c === 0) c = tiny
    const delta = c * d
    f *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return normalPdf(x) / f
}

/**
 * Upper tail Q(x) = P(Z > x) = 1 − Φ(x) with good relative accuracy across the whole range (≈1e−14 or better;
 * compared in the tests against Python's math.erfc): an erf series near the centre and a continued fraction in the
 * tails, so that tiny p-values (1e−30) keep their digits.
 */
export function normalUpperTail(x: number): number {
  if (Number.isNaN(x)) return NaN
  if (x < 0) return 1 - normalUpperTail(-x)
  if (x === Infinity) return 0
  if (x < TAIL_SWITCH) return 0.5 - 0.5 * erfSeries(x / SQRT2)
  return upperTailContinuedFraction(x)
}

/** Standard normal CDF Φ(x), computed through the tail function so that Φ(−10) keeps its digits. */
export function normalCdf(x: number): number {
  return normalUpperTail(-x)
}

/**
 * Standard normal quantile Φ⁻¹(p). Starts from the rational approximation A&S 26.2.23 (|error| < 4.5e−4) and
 * refines with Halley's method on the accurate CDF above (cubic convergence: three steps reach machine precision).
 * Returns ∓Infinity at p = 0 and 1.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`normalQuantile: p = ${p} is not in [0, 1]`)
  if (p === 0) return -Infinity
  if (p === 1) return Infinity
  if (p === 0.5) return 0
  const lowerTail = Math.min(p, 1 - p) // work on the tail below 0.5 for precision, then restore the sign
  const t = Math.sqrt(-2 * Math.log(lowerTail))
  let x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t))
  for (let i = 0; i < 6; i++) {
    const density = normalPdf(x)
    if (density === 0) break
    const u = (normalCdf(x) - lowerTail) / density
    const step = u / (1 + (x * u) / 2)
    x -= step
    if (Math.abs(step) <= 1e-15 * Math.abs(x)) break
  }
  return p < 0.5 ? x : -x
}

// ---------------------------------------------------------------------------------------------------------------
// Quantile confidence intervals from order statistics (§7)
// ---------------------------------------------------------------------------------------------------------------

/**
 * Binomial(n, p) probabilities P(B = k), k = 0…n. Built by the ratio recurrence outward from the mode (which starts at
 * 1) and normalised by the total, so nothing overflows for n = 10⁴ and the far tails underflow harmlessly to 0.
 */
export function binomialPmf(n: number, p: number): Float64Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`binomialPmf: n = ${n} is not a non-negative integer`)
  if (!(p > 0 && p < 1)) throw new RangeError(`binomialPmf: p = ${p} is not in (0, 1)`)
  const pmf = new Float64Array(n + 1)
  const mode = Math.min(n, Math.floor((n + 1) * p))
  const odds = p / (1 - p)
  pmf[mode] = 1
  for (let k = mode + 1; k <= n; k++) pmf[k] = (pmf[k - 1] as number) * ((n - k + 1) / k) * odds
  for (let k = mode - 1; k >= 0; k--) pmf[k] = (pmf[k + 1] as number) * ((k + 1) / (n - k)) / odds
  let total = 0
  for (const v of pmf) total += v
  for (let k = 0; k <= n; k++) pmf[k] = (pmf[k] as number) / total
  return pmf
}

/** 1-based ranks l < u of the order statistics bounding a quantile's interval, and its exact coverage. */
export interface QuantileCIRanks {
  /** The interval is [x₍ₗ₎, x₍ᵤ₎], 1-based ranks into the sorted sample. */
  lowRank: number
  highRank: number
  /** Exact coverage P(l ≤ B ≤ u − 1), B ~ Binomial(n, p), for continuous data. */
  coverage: number
}

/**
 * The order statistics [x₍ₗ₎, x₍ᵤ₎] forming the shortest distribution-free interval for the p-quantile with exact
 * binomial coverage P(l ≤ B ≤ u − 1) ≥ conf (latency-methods.md §7; B = number of observations below the quantile).
 *
 * Search: start at the most probable B in [1, n − 1] and grow the set of admitted B values one at a time on the side
 * with the larger probability (both sides at once on a tie, which keeps the median's interval symmetric) until the
 * coverage reaches `conf`. The binomial pmf is unimodal, so this yields the shortest such interval in ranks. The
 * interval may use neither rank 0 nor rank n + 1, so the largest attainable coverage is 1 − pⁿ − (1 − p)ⁿ; when that
 * is below `conf` the result is null ("insufficient n"). At 95 % this reproduces the §7 minimum-n table:
 * 6 / 29 / 59 / 299 / 2,995 for p50 / p90 / p95 / p99 / p99.9.
 *
 * @param p the quantile as a fraction in (0, 1), e.g. 0.99 for p99
 */
export function quantileCIRanks(n: number, p: number, conf = 0.95): QuantileCIRanks | null {
  if (!(p > 0 && p < 1)) throw new RangeError(`quantileCI: p = ${p} is not a fraction in (0, 1)`)
  if (!(conf > 0 && conf < 1)) throw new RangeError(`quantileCI: conf = ${conf} is not in (0, 1)`)
  if (n < 2) return null
  const pmf = binomialPmf(n, p)
  const mode = Math.min(n - 1, Math.max(1, Math.floor((n + 1) * p)))
  let lo = mode
  let hi = mode
  let coverage = pmf[mode] as number
  while (coverage < conf) {
    const left = lo - 1 >= 1 ? (pmf[lo - 1] as number) : -1
    const right = hi + 1 <= n - 1 ? (pmf[hi + 1] as number) : -1
    if (left < 0 && right < 0) return null
    if (left >= right) {
      lo--
      coverage += left
    }
    if (right >= left) {
      hi++
      coverage += right
    }
  }
  return { lowRank: lo, highRank: hi + 1, coverage: Math.min(1, coverage) }
}

/** A quantile's confidence interval in the sample's units, with its exact coverage. */
export interface QuantileInterval {
  low: number
  high: number
  coverage: number
}

/**
 * Distribution-free confidence interval for the p-quantile of the population `sorted` was drawn from (§7), or null
 * when n is too small for any two-sided interval at `conf`. See {@link quantileCIRanks} for the method.
 *
 * @param sorted the sample, sorted ascending
 * @param p the quantile as a fraction in (0, 1)
 */
export function quantileCI(sorted: readonly number[], p: number, conf = 0.95): QuantileInterval | null {
  const ranks = quantileCIRanks(sorted.length, p, conf)
  if (!ranks) return null
  return { low: sorted[ranks.lowRank - 1] as number, high: sorted[ranks.highRank - 1] as number, coverage: ranks.coverage }
}

// ---------------------------------------------------------------------------------------------------------------
// ECDF and the DKW band (§8)
// ---------------------------------------------------------------------------------------------------------------

/**
 * Half-width ε = √(ln(2/α) / (2n)) of the Dvoretzky–Kiefer–Wolfowitz simultaneous band F̂(x) ± ε (Massart's
 * constant, §8): with probability ≥ 1 − α the true CDF lies inside the band everywhere. Clip the band to [0, 1]
 * when drawing it. α = 0.05: n = 30 → 0.248, 100 → 0.136, 1,000 → 0.043.
 */
export function dkwEpsilon(n: number, alpha = 0.05): number {
  if (!(n >= 1)) throw new RangeError(`dkwEpsilon: n = ${n} must be at least 1`)
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`dkwEpsilon: alpha = ${alpha} is not in (0, 1)`)
  return Math.sqrt(Math.log(2 / alpha) / (2 * n))
}

/** The empirical CDF as a step function: distinct values ascending and the fraction of the sample ≤ each. */
export interface Ecdf {
  x: number[]
  y: number[]
}

/** The empirical CDF of `values` (any order): one step per distinct value, y = share of values ≤ x (§8). */
export function ecdf(values: readonly number[]): Ecdf {
  assertFinite(values, 'ecdf')
  const sorted = sortedAscending(values)
  const n = sorted.length
  const x: number[] = []
  const y: number[] = []
  for (let i = 0; i < n; i++) {
    const v = sorted[i] as number
    if (i + 1 < n && sorted[i + 1] === v) continue
    x.push(v)
    y.push((i + 1) / n)
  }
  return { x, y }
}

// ---------------------------------------------------------------------------------------------------------------
// Mann–Whitney U (§9)
// ---------------------------------------------------------------------------------------------------------------

/**
 * Samples below this size on both sides and without ties get the exact null distribution of U; larger ones the
 * normal approximation. 50 is R's `wilcox.test` default: the exact distribution costs O(n₁²n₂²/4) ≈ 1.6·10⁶ steps at
 * 50 × 50, and above that the normal approximation with continuity correction is accurate to a few per cent of p.
 */
export const EXACT_U_MAX_N = 50

const exactUCdfCache = new Map<string, Float64Array>()

/**
 * Exact null CDF of the Mann–Whitney U statistic for sample sizes n₁, n₂ without ties: element u is P(U ≤ u),
 * u = 0…n₁n₂. Computed with probabilities (not counts, which overflow) by the recurrence on the largest pooled
 * observation: it belongs to sample 1 with probability n₁/(n₁+n₂) and then beats all n₂ of sample 2, so
 * P_{n₁,n₂}(u) = n₁/(n₁+n₂)·P_{n₁−1,n₂}(u − n₂) + n₂/(n₁+n₂)·P_{n₁,n₂−1}(u) (Mann & Whitney 1947). Cached.
 */
export function exactUCdf(n1: number, n2: number): Float64Array {
  const key = `${Math.min(n1, n2)}x${Math.max(n1, n2)}` // the distribution is symmetric in the two sizes
  const cached = exactUCdfCache.get(key)
  if (cached) return cached
  // prev[b] = pmf for (m − 1, b); cur[b] = pmf for (m, b)
  let prev: Float64Array[] = Array.from({ length: n2 + 1 }, () => Float64Array.of(1))
  for (let m = 1; m <= n1; m++) {
    const cur: Float64Array[] = [Float64Array.of(1)]
    for (let b = 1; b <= n2; b++) {
      const pmf = new Float64Array(m * b + 1)
      const withTop = prev[b] as Float64Array // largest observation in sample 1: U gains b
      const withoutTop = cur[b - 1] as Float64Array // largest observation in sample 2: U gains 0
      const wTop = m / (m + b)
      const wOther = b / (m + b)
      for (let u = 0; u < withTop.length; u++) pmf[u + b] = (pmf[u + b] as number) + wTop * (withTop[u] as number)
      for (let u = 0; u < withoutTop.length; u++) pmf[u] = (pmf[u] as number) + wOther * (withoutTop[u] as number)
      cur.push(pmf)
    }
    prev = cur
  }
  const pmf = prev[n2] as Float64Array
  const cdf = new Float64Array(pmf.length)
  let acc = 0
  for (let u = 0; u < pmf.length; u++) {
    acc += pmf[u] as number
    cdf[u] = Math.min(1, acc)
  }
  if (exactUCdfCache.size >= 256) exactUCdfCache.clear() // at most a few MB; a gate run uses a handful of sizes
  exactUCdfCache.set(key, cdf)
  return cdf
}

/**
 * The smallest two-sided p-value a Mann–Whitney test can reach with n₁ and n₂ untied observations: 2 / C(n₁+n₂, n₁)
 * (§9: 0.1 at 3 per side, 0.0286 at 4, 0.0079 at 5). When it is not below α no sample can be significant.
 */
export function minimumTwoSidedP(n1: number, n2: number): number {
  let arrangements = 1
  for (let i = 1; i <= n1; i++) arrangements = (arrangements * (n2 + i)) / i
  return Math.min(1, 2 / arrangements)
}

export interface MannWhitneyResult {
  /** U₁ = R₁ − n₁(n₁ + 1)/2, R₁ the mid-rank sum of x; U₁/(n₁n₂) estimates P(X > Y) + ½P(X = Y). */
  u1: number
  /** Normal deviate (U₁ − n₁n₂/2 ∓ ½)/σ with the continuity correction and the tie-corrected σ (0 when σ = 0). */
  z: number
  /** Two-sided p-value: exact when both samples are below EXACT_U_MAX_N and there are no ties, else from z. */
  p: number
  /** Whether p came from the exact null distribution. */
  exact: boolean
}

/**
 * Two-sided Mann–Whitney U test of x against y (§9). Mid-ranks for ties; variance
 * Var U = (n₁n₂/12)·[(N + 1) − Σ(t³ − t)/(N(N − 1))]. Sorting both samples and merging makes it O(N log N), fine for
 * 10⁴ × 10⁴. Throws if a sample is empty or holds a non-finite value.
 */
export function mannWhitney(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  assertFinite(x, 'mannWhitney x')
  assertFinite(y, 'mannWhitney y')
  const n1 = x.length
  const n2 = y.length
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitney needs at least one value in each sample')
  const xs = Float64Array.from(x).sort()
  const ys = Float64Array.from(y).sort()
  let i = 0
  let j = 0
  let ranked = 0
  let rankSumX = 0
  let tieTerm = 0
  while (i < n1 || j < n2) {
    const v = Math.min(i < n1 ? (xs[i] as number) : Infinity, j < n2 ? (ys[j] as number) : Infinity)
    let inX = 0
    let inY = 0
    while (i < n1 && xs[i] === v) {
      i++
      inX++
    }
    while (j < n2 && ys[j] === v) {
      j++
      inY++
    }
    const t = inX + inY
    rankSumX += inX * (ranked + (t + 1) / 2)
    tieTerm += t * t * t - t
    ranked += t
  }
  const n = n1 + n2
  const u1 = rankSumX - (n1 * (n1 + 1)) / 2
  const centre = (n1 * n2) / 2
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)))
  const deviation = u1 - centre
  const z = variance > 0 ? (Math.sign(deviation) * Math.max(0, Math.abs(deviation) - 0.5)) / Math.sqrt(variance) : 0
  if (tieTerm === 0 && n1 < EXACT_U_MAX_N && n2 < EXACT_U_MAX_N) {
    const cdf = exactUCdf(n1, n2)
    const lowerTail = cdf[u1] as number // P(U ≤ u₁)
    const upperTail = cdf[n1 * n2 - u1] as number // P(U ≥ u₁) = P(U ≤ n₁n₂ − u₁) by symmetry
    return { u1, z, p: Math.min(1, 2 * Math.min(lowerTail, upperTail)), exact: true }
  }
  const p = variance > 0 ? Math.min(1, 2 * normalUpperTail(Math.abs(z))) : 1
  return { u1, z, p, exact: false }
}

// ---------------------------------------------------------------------------------------------------------------
// Hodges–Lehmann shift and Moses interval (§9)
// ---------------------------------------------------------------------------------------------------------------

/** Below this many candidate differences the selection stops bisecting and sorts them. */
const ENUMERATE_AT_MOST = 4096

/**
 * Selects order statistics of the implicit multiset {yⱼ − xᵢ} of all n₁n₂ pairwise differences without building it.
 * With x and y sorted ascending, for a value v the differences ≤ v in column j form a suffix of i, and that suffix
 * only shrinks as j grows, so counting them is one O(n₁ + n₂) two-pointer pass. The k-th smallest is found by
 * bisection on the value (keeping count(≤ lo) < k ≤ count(≤ hi)) until at most ENUMERATE_AT_MOST differences lie in
 * (lo, hi], which are then listed and sorted; if lo and hi become adjacent doubles, hi is the answer. Typically
 * 30–60 passes: 10⁴ × 10⁴ (10⁸ differences) takes milliseconds, not the gigabyte a full sort would.
 */
export class PairwiseDifferences {
  private readonly xs: Float64Array
  private readonly ys: Float64Array
  /** Number of differences, n₁n₂. */
  readonly count: number

  /** @param x baseline, @param y current: the differences are y − x. */
  constructor(x: readonly number[], y: readonly number[]) {
    assertFinite(x, 'pairwise differences x')
    assertFinite(y, 'pairwise differences y')
    if (x.length === 0 || y.length === 0) throw new RangeError('pairwise differences need at least one value in each sample')
    this.xs = Float64Array.from(x).sort()
    this.ys = Float64Array.from(y).sort()
    this.count = x.length * y.length
  }

  /** Number of differences yⱼ − xᵢ ≤ v. */
  countAtMost(v: number): number {
    const { xs, ys } = this
    const n1 = xs.length
    let i = 0
    let total = 0
    for (let j = 0; j < ys.length; j++) {
      const yj = ys[j] as number
      while (i < n1 && yj - (xs[i] as number) > v) i++
      total += n1 - i
    }
    return total
  }

  /** The k-th smallest difference, k = 1…n₁n₂. */
  kth(k: number): number {
    if (!Number.isInteger(k) || k < 1 || k > this.count) throw new RangeError(`kth: k = ${k} is not in 1…${this.count}`)
    const { xs, ys } = this
    let lo = (ys[0] as number) - (xs[xs.length - 1] as number)
    let hi = (ys[ys.length - 1] as number) - (xs[0] as number)
    let countLo = this.countAtMost(lo)
    if (countLo >= k) return lo
    let countHi = this.count
    for (;;) {
      if (countHi - countLo <= ENUMERATE_AT_MOST) return this.enumerateBetween(lo, hi, countHi - countLo)[k - countLo - 1] as number
      const mid = lo + (hi - lo) / 2
      if (!(mid > lo && mid < hi)) return hi
      const c = this.countAtMost(mid)
      if (c >= k) {
        hi = mid
        countHi = c
      } else {
        lo = mid
        countLo = c
      }
    }
  }

  /** The differences in (lo, hi], sorted ascending. */
  private enumerateBetween(lo: number, hi: number, expected: number): Float64Array {
    const { xs, ys } = this
    const n1 = xs.length
    const out = new Float64Array(expected)
    let filled = 0
    let firstAtMostHi = 0
    let firstAtMostLo = 0
    for (let j = 0; j < ys.length; j++) {
      const yj = ys[j] as number
      while (firstAtMostHi < n1 && yj - (xs[firstAtMostHi] as number) > hi) firstAtMostHi++
      while (firstAtMostLo < n1 && yj - (xs[firstAtMostLo] as number) > lo) firstAtMostLo++
      for (let i = firstAtMostHi; i < firstAtMostLo; i++) out[filled++] = yj - (xs[i] as number)
    }
    return out.subarray(0, filled).sort()
  }
}

export interface HodgesLehmannResult {
  /** Median of all pairwise differences current − baseline (not the difference of the medians). */
  shift: number
  /** Moses interval [D₍ₖ₎, D₍ₙ₁ₙ₂₊₁₋ₖ₎]; null when the samples are too small for any interval at `conf`. */
  low: number | null
  high: number | null
  /** The rank k used (0 when there is no interval). */
  k: number
}

/**
 * The rank k of the Moses interval: the largest integer with P(U ≤ k − 1) ≤ α/2 under H₀, α = 1 − conf. Exact null
 * distribution below EXACT_U_MAX_N per side; otherwise k = ⌊n₁n₂/2 − z₁₋α/₂·√(n₁n₂(n₁ + n₂ + 1)/12)⌋ (SAS PROC
 * NPAR1WAY, §9). Ties are ignored here, as in SAS and R.
 */
export function mosesRank(n1: number, n2: number, conf = 0.95): number {
  const halfAlpha = (1 - conf) / 2
  if (n1 < EXACT_U_MAX_N && n2 < EXACT_U_MAX_N) {
    const cdf = exactUCdf(n1, n2)
    let k = 0
    while (k < cdf.length && (cdf[k] as number) <= halfAlpha) k++
    return k
  }
  const nn = n1 * n2
  return Math.max(0, Math.floor(nn / 2 - normalQuantile(1 - halfAlpha) * Math.sqrt((nn * (n1 + n2 + 1)) / 12)))
}

/**
 * Hodges–Lehmann estimate of the shift current − baseline with its Moses confidence interval (§9), both from order
 * statistics of the n₁n₂ pairwise differences, selected without materialising them ({@link PairwiseDifferences}).
 */
export function hodgesLehmann(baseline: readonly number[], current: readonly number[], conf = 0.95): HodgesLehmannResult {
  if (!(conf > 0 && conf < 1)) throw new RangeError(`hodgesLehmann: conf = ${conf} is not in (0, 1)`)
  const diffs = new PairwiseDifferences(baseline, current)
  const nn = diffs.count
  const shift = nn % 2 === 1 ? diffs.kth((nn + 1) / 2) : (diffs.kth(nn / 2) + diffs.kth(nn / 2 + 1)) / 2
  const k = mosesRank(baseline.length, current.length, conf)
  if (k < 1) return { shift, low: null, high: null, k: 0 }
  return { shift, low: diffs.kth(k), high: diffs.kth(nn + 1 - k), k }
}
