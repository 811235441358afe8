import { describe, expect, it } from 'vitest'
import {
  binomialPmf,
  cv,
  dkwEpsilon,
  ecdf,
  exactUCdf,
  hodgesLehmann,
  mannWhitney,
  mean,
  median,
  minimumTwoSidedP,
  mosesRank,
  normalCdf,
  normalQuantile,
  normalUpperTail,
  PairwiseDifferences,
  quantileCI,
  quantileCIRanks,
  sd,
  sortedAscending,
} from './stats.js'
import { seededRandom as seeded } from './seeded-random.js'


function expectRelativelyClose(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected) / Math.abs(expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance)
}

/** Binomial(n, p) probability of k computed independently of binomialPmf, through log-factorial sums. */
function binomialProbability(n: number, k: number, p: number): number {
  let logChoose = 0
  for (let i = 1; i <= k; i++) logChoose += Math.log(n - k + i) - Math.log(i)
  return Math.exp(logChoose + k * Math.log(p) + (n - k) * Math.log(1 - p))
}

describe('location and spread', () => {
  it('median, mean, sd and cv on hand-computed inputs', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(mean([1, 2, 3, 4])).toBe(2.5)
    // Σ(x − 5)² = 32 over n − 1 = 7
    expect(sd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 14)
    expect(cv([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7) / 5, 14)
    expect(sd([7])).toBe(0)
    expect(cv([0, 0])).toBe(0)
  })

  it('sd loses no digits to a large common offset', () => {
    expect(sd([1e9 + 1, 1e9 + 2, 1e9 + 3])).toBeCloseTo(1, 12)
  })

  it('rejects empty input rather than returning NaN', () => {
    expect(() => median([])).toThrow(RangeError)
    expect(() => mean([])).toThrow(RangeError)
  })

  it('sortedAscending sorts numerically and leaves the input alone', () => {
    const input = [10, 9, 100, 1]
    expect(sortedAscending(input)).toEqual([1, 9, 10, 100])
    expect(input).toEqual([10, 9, 100, 1])
  })
})

describe('standard normal', () => {
  // References: erfc(x/√2)/2 and √2·erfinv(2p − 1) from mpmath 1.3.0 at 40 significant digits.
  it.each([
    [1, 0.1586552539314570514148],
    [1.96, 0.02499789514822043413658],
    [2.5, 0.006209665325776135166978],
    [3, 0.001349898031630094526652],
    [5, 2.866515718791939116738e-7],
    [10, 7.619853024160526065973e-24],
    [20, 2.753624118606233695076e-89],
  ])('Q(%d) to 1e-13 relative', (x, q) => {
    expectRelativelyClose(normalUpperTail(x), q, 1e-13)
    expectRelativelyClose(normalCdf(-x), q, 1e-13)
    expectRelativelyClose(normalCdf(x), 1 - q, 1e-15)
  })

  it.each([
    [0.975, 1.959963984540054235525],
    [0.001, -3.09023230616781354154],
    [1e-10, -6.361340902404056204695],
    [0.3, -0.5244005127080407840383],
  ])('Φ⁻¹(%d) to 1e-13 relative', (p, x) => {
    expectRelativelyClose(normalQuantile(p), x, 1e-13)
  })

  it('quantile inverts the CDF across 30 orders of magnitude', () => {
    for (const p of [1e-30, 1e-12, 1e-5, 0.01, 0.2, 0.5, 0.7, 0.99, 1 - 1e-9]) {
      const x = normalQuantile(p)
      if (p === 0.5) expect(x).toBe(0)
      else expectRelativelyClose(p < 0.5 ? normalCdf(x) : normalUpperTail(x), p < 0.5 ? p : 1 - p, 1e-9)
    }
    expect(normalQuantile(0)).toBe(-Infinity)
    expect(normalQuantile(1)).toBe(Infinity)
  })
})

describe('quantileCI (latency-methods.md §7)', () => {
  it('Binomial(4, ½) is 1, 4, 6, 4, 1 sixteenths', () => {
    expect(Array.from(binomialPmf(4, 0.5)).map((v) => v * 16)).toEqual([1, 4, 6, 4, 1].map((v) => expect.closeTo(v, 12)))
  })

  it('binomialPmf sums to 1 and matches an independent computation for n = 10,000', () => {
    const pmf = binomialPmf(10_000, 0.999)
    expect(pmf.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    for (const k of [9_970, 9_990, 9_999, 10_000]) expectRelativelyClose(pmf[k] as number, binomialProbability(10_000, k, 0.999), 1e-9)
  })

  // The minimum-n table of §7: the smallest n for which [x₍₁₎, x₍ₙ₎] covers with probability 1 − pⁿ − (1 − p)ⁿ ≥ 0.95.
  it.each([
    [0.5, 6],
    [0.9, 29],
    [0.95, 59],
    [0.99, 299],
    [0.999, 2995],
  ])('p = %d needs n ≥ %d for a two-sided 95 %% interval', (p, minN) => {
    expect(quantileCIRanks(minN - 1, p)).toBeNull()
    const r = quantileCIRanks(minN, p)
    expect(r).not.toBeNull()
    expect(r?.highRank).toBe(minN) // at the minimum n the interval must reach the sample maximum
    expect(1 - p ** minN - (1 - p) ** minN).toBeGreaterThanOrEqual(0.95)
    expect(1 - p ** (minN - 1) - (1 - p) ** (minN - 1)).toBeLessThan(0.95)
  })

  it('reproduces the textbook median intervals: n = 10 → [x₍₂₎, x₍₉₎], n = 100 → [x₍₄₀₎, x₍₆₁₎]', () => {
    // P(2 ≤ B ≤ 8 | n = 10) = 1 − 2·11/1024; P(40 ≤ B ≤ 60 | n = 100) = 0.9648 (Conover, Practical Nonparametric
    // Statistics, 3rd ed., §3.2 example and table A3).
    expect(quantileCIRanks(10, 0.5)).toEqual({ lowRank: 2, highRank: 9, coverage: expect.closeTo(1 - 22 / 1024, 12) })
    expect(quantileCIRanks(100, 0.5)).toEqual({ lowRank: 40, highRank: 61, coverage: expect.closeTo(0.96479979978229518405, 12) })
    const sample = Array.from({ length: 10 }, (_, i) => (i + 1) * 1.5)
    expect(quantileCI(sample, 0.5)).toEqual({ low: 3, high: 13.5, coverage: expect.closeTo(1 - 22 / 1024, 12) })
  })

  it('states an exact coverage that is at least the level asked for, for many n and p', () => {
    for (const p of [0.5, 0.9, 0.99]) {
      for (const n of [30, 101, 300, 1000]) {
        const r = quantileCIRanks(n, p)
        if (!r) continue
        let coverage = 0
        for (let b = r.lowRank; b <= r.highRank - 1; b++) coverage += binomialProbability(n, b, p)
        expect(coverage).toBeCloseTo(r.coverage, 9)
        expect(r.coverage).toBeGreaterThanOrEqual(0.95)
        // and it is the shortest: dropping the less probable end (both ends for the median, which grows
        // symmetrically) falls below 95 %
        const lowEnd = binomialProbability(n, r.lowRank, p)
        const highEnd = binomialProbability(n, r.highRank - 1, p)
        expect(coverage - (p === 0.5 ? lowEnd + highEnd : Math.min(lowEnd, highEnd))).toBeLessThan(0.95)
      }
    }
  })

  it('returns null for n below 2 and rejects p outside (0, 1)', () => {
    expect(quantileCI([], 0.5)).toBeNull()
    expect(quantileCI([1], 0.5)).toBeNull()
    expect(() => quantileCI([1, 2, 3], 50)).toThrow(RangeError)
  })

  it('is fast for n = 10,000 (under 50 ms, typically 1 ms)', () => {
    const sorted = Array.from({ length: 10_000 }, (_, i) => i)
    const started = performance.now()
    const r = quantileCI(sorted, 0.999)
    expect(performance.now() - started).toBeLessThan(50)
    expect(r).not.toBeNull()
  })
})

describe('ECDF and DKW (§8)', () => {
  it.each([
    [30, 0.248],
    [100, 0.136],
    [300, 0.078],
    [1000, 0.043],
    [10_000, 0.014],
  ])('ε at n = %d is %d', (n, eps) => {
    expect(dkwEpsilon(n)).toBeCloseTo(eps, 3)
  })

  it('ecdf has one step per distinct value', () => {
    expect(ecdf([3, 1, 2, 2])).toEqual({ x: [1, 2, 3], y: [0.25, 0.75, 1] })
    expect(ecdf([])).toEqual({ x: [], y: [] })
  })
})

describe('Mann–Whitney U (§9)', () => {
  it.each([
    [3, 0.1],
    [4, 2 / 70],
    [5, 2 / 252],
  ])('the smallest two-sided p with %d per side is %d (benchstat)', (n, p) => {
    const low = Array.from({ length: n }, (_, i) => i)
    const high = Array.from({ length: n }, (_, i) => 100 + i)
    const r = mannWhitney(low, high)
    expect(r.exact).toBe(true)
    expect(r.u1).toBe(0)
    expect(r.p).toBeCloseTo(p, 14)
    expect(minimumTwoSidedP(n, n)).toBeCloseTo(p, 14)
    expect(mannWhitney(high, low)).toMatchObject({ u1: n * n, p: expect.closeTo(p, 14) })
  })

  it('exact p matches enumeration of all 252 splits (computed independently in Python)', () => {
    // x = 1.1…5.5, y = 2, 4, …, 10: U₁ = 6; of the C(10, 5) = 252 equally likely splits 28 give U ≤ 6, so p = 56/252.
    const r = mannWhitney([1.1, 2.2, 3.3, 4.4, 5.5], [2, 4, 6, 8, 10])
    expect(r).toMatchObject({ u1: 6, exact: true })
    expect(r.p).toBeCloseTo(56 / 252, 14)
  })

  it('uses mid-ranks and the tie-corrected variance with continuity correction', () => {
    // Pooled: 1x 2x 3x 3y 4x 5y 6y 7y → ranks of x 1, 2, 3.5, 5: R₁ = 11.5, U₁ = 1.5; one tie pair: Σ(t³ − t) = 6;
    // Var = (16/12)(9 − 6/56) = 11.857142857; z = (1.5 − 8 + 0.5)/√Var = −1.742453608654547; p = 2Φ(z).
    // R: wilcox.test(c(1,2,3,4), c(3,5,6,7), exact = FALSE) gives W = 1.5, p-value = 0.08143.
    const r = mannWhitney([1, 2, 3, 4], [3, 5, 6, 7])
    expect(r.exact).toBe(false)
    expect(r.u1).toBe(1.5)
    expect(r.z).toBeCloseTo(-1.742453608654547, 12)
    expect(r.p).toBeCloseTo(0.081429102359891121361, 12) // mpmath
  })

  it('normal approximation on 100 vs 100 with 50 tied pairs', () => {
    // x = 0…99, y = 50…149: U₁ = 1225 + 50·½ = 1250; Σ(t³ − t) = 50·6; Var = (10⁴/12)(201 − 300/(200·199)).
    const x = Array.from({ length: 100 }, (_, i) => i)
    const y = Array.from({ length: 100 }, (_, i) => i + 50)
    const r = mannWhitney(x, y)
    expect(r.u1).toBe(1250)
    expect(r.z).toBeCloseTo((1250 - 5000 + 0.5) / Math.sqrt(167493.71859296484), 12)
    expectRelativelyClose(r.p, 5.1105782352776283042e-20, 1e-12) // mpmath
  })

  it('is symmetric and says p = 1 for identical samples', () => {
    const rand = seeded(7)
    const x = Array.from({ length: 80 }, () => rand())
    const y = Array.from({ length: 60 }, () => rand() + 0.1)
    const xy = mannWhitney(x, y)
    const yx = mannWhitney(y, x)
    expect(xy.u1 + yx.u1).toBe(80 * 60)
    expect(xy.p).toBeCloseTo(yx.p, 15)
    expect(mannWhitney([5, 5, 5], [5, 5, 5, 5])).toMatchObject({ z: 0, p: 1 })
  })

  it('the exact null distribution is a distribution, symmetric about n₁n₂/2', () => {
    const cdf = exactUCdf(7, 9)
    expect(cdf.length).toBe(64)
    expect(cdf[63]).toBeCloseTo(1, 14)
    for (let u = 0; u < 63; u++) expect(cdf[u] as number).toBeCloseTo(1 - (cdf[62 - u] as number), 12)
  })

  it('rejects non-finite values and empty samples', () => {
    expect(() => mannWhitney([1, NaN], [2])).toThrow(RangeError)
    expect(() => mannWhitney([], [2])).toThrow(RangeError)
  })
})

describe('Hodges–Lehmann shift with Moses interval (§9)', () => {
  it('3 vs 3 by hand: the median of the nine differences, no 95 % interval possible', () => {
    // current − baseline: 2−1, 2−2, 2−3, 4−1, 4−2, 4−3, 6−1, 6−2, 6−3 = −1 0 1 1 2 3 3 4 5 → median 2. P(U ≤ 0) = 1/20 > 0.025.
    expect(hodgesLehmann([1, 2, 3], [2, 4, 6])).toEqual({ shift: 2, low: null, high: null, k: 0 })
  })

  it('4 vs 4 by hand: k = 1, the interval spans all sixteen differences', () => {
    // Differences 7 (×1), 8 (×2), 9 (×3), 10 (×4), 11 (×3), 12 (×2), 13 (×1): D₈ = D₉ = 10. P(U ≤ 0) = 1/70 ≤ 0.025 < 2/70.
    expect(hodgesLehmann([1, 2, 3, 4], [11, 12, 13, 14])).toEqual({ shift: 10, low: 7, high: 13, k: 1 })
  })

  it.each([
    [5, 2],
    [6, 5],
    [7, 8],
    [8, 13],
    [9, 17],
    [10, 23],
    [20, 127],
  ])('Moses rank at n₁ = n₂ = %d is the tabled critical U %d plus 1', (n, criticalU) => {
    // Two-sided α = 0.05 critical values of U (e.g. Siegel & Castellan, Nonparametric Statistics, table J).
    expect(mosesRank(n, n)).toBe(criticalU + 1)
  })

  it('the normal-approximation rank agrees with the exact one at the switch-over (49 → 50 per side)', () => {
    expect(Math.abs(mosesRank(49, 49) - (49 * 49) / 2 + 1.959964 * Math.sqrt((49 * 49 * 99) / 12))).toBeLessThan(2)
    expect(mosesRank(50, 50)).toBe(Math.floor(1250 - normalQuantile(0.975) * Math.sqrt((2500 * 101) / 12)))
  })

  it('selection agrees with sorting every difference, with ties, at 300 × 200', () => {
    const rand = seeded(11)
    const x = Array.from({ length: 300 }, () => Math.round(rand() * 200) / 10)
    const y = Array.from({ length: 200 }, () => Math.round(rand() * 200) / 10 + 1)
    const all: number[] = []
    for (const yj of y) for (const xi of x) all.push(yj - xi)
    all.sort((a, b) => a - b)
    const diffs = new PairwiseDifferences(x, y)
    for (const k of [1, 2, 777, 29_999, 30_000, 30_001, 45_678, 59_999, 60_000]) expect(diffs.kth(k)).toBe(all[k - 1])
    const k = mosesRank(300, 200)
    expect(hodgesLehmann(x, y)).toEqual({ shift: ((all[29_999] as number) + (all[30_000] as number)) / 2, low: all[k - 1], high: all[60_000 - k], k })
  })

  it('is shift-equivariant', () => {
    const rand = seeded(3)
    const x = Array.from({ length: 40 }, () => rand() * 10)
    const y = Array.from({ length: 30 }, () => rand() * 10)
    const a = hodgesLehmann(x, y)
    const b = hodgesLehmann(x, y.map((v) => v + 4))
    expect(b.shift).toBeCloseTo(a.shift + 4, 12)
    expect(b.low as number).toBeCloseTo((a.low as number) + 4, 12)
    expect(b.high as number).toBeCloseTo((a.high as number) + 4, 12)
  })

  it('10,000 × 10,000 (10⁸ differences) in well under a second, interval around the true shift', () => {
    const rand = seeded(5)
    const baseline = Array.from({ length: 10_000 }, () => 1 + rand())
    const current = Array.from({ length: 10_000 }, () => 1.25 + rand())
    const started = performance.now()
    const hl = hodgesLehmann(baseline, current)
    const u = mannWhitney(baseline, current)
    const elapsed = performance.now() - started
    expect(elapsed).toBeLessThan(1000)
    expect(hl.low as number).toBeLessThan(0.25)
    expect(hl.high as number).toBeGreaterThan(0.25)
    expect(hl.shift).toBeCloseTo(0.25, 1)
    expect(u.p).toBeLessThan(1e-100)
  })
})
