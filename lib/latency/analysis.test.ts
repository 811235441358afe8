import { describe, expect, it } from 'vitest'
import { summariseMetric, summariseSeries, SUMMARY_PERCENTILES } from './analysis.js'
import { decodeHistogram, encodeValuesMs, histogramPercentileMs } from './histogram.js'
import type { LatencySeriesData } from './model.js'
import { quantileCI } from './stats.js'
import { seededRandom as seeded } from './seeded-random.js'


/** A warm-like series: ~1 ms client round trips with an exponential tail, REPORT fields where a REPORT line came. */
function series(n: number, seed = 1, withClock = false): LatencySeriesData {
  const rand = seeded(seed)
  const clientMs = Array.from({ length: n }, () => 0.8 + -Math.log(1 - rand()) * 0.3)
  const durationMs = clientMs.map((c, i) => (i % 50 === 7 ? null : c * 0.4))
  const data: LatencySeriesData = {
    key: 'warm/native',
    experiment: 'warm',
    behaviour: 'LAT-WARM-001',
    shim: 'native',
    target: 'embedded',
    variant: '',
    requested: n,
    collected: n,
    errors: 0,
    mislabelled: 0,
    startedAtMs: 1_760_000_000_000,
    elapsedMs: n * 2,
    samples: {
      tMs: clientMs.map((_, i) => i * 2),
      clientMs,
      durationMs,
      initMs: clientMs.map(() => null),
      overheadMs: clientMs.map((c, i) => (durationMs[i] === null ? null : c - (durationMs[i] as number))),
      maxMemoryMb: clientMs.map(() => 3008),
      cold: clientMs.map(() => false),
    },
  }
  if (withClock) {
    const t1Ms = Array.from({ length: n }, (_, i) => 1_760_000_000_000 + i * 2)
    data.clock = {
      t1Ms,
      t2Ms: t1Ms.map((t) => t + 0.2),
      t3Ms: t1Ms.map((t) => t + 0.3),
      t4Ms: t1Ms.map((t) => t + 0.6),
      syntheticOffsetMs: 0,
      syntheticDriftPpm: 0,
      processStartMs: null,
    }
  }
  return data
}

describe('histogram wrappers (latency-methods.md §6)', () => {
  it('records ms as integer µs and round-trips through the compressed base64 form', () => {
    const values = Array.from({ length: 10_001 }, (_, i) => i * 0.01) // 0…100 ms in 10 µs steps
    const encoded = encodeValuesMs(values)
    expect(encoded.startsWith('HISTF')).toBe(true)
    const back = decodeHistogram(encoded)
    expect(back.totalCount).toBe(10_001)
    // The §6 quirk: getValueAtPercentile(50) is 50.015 ms on this data (the JS .summary says 50.000).
    expect(histogramPercentileMs(back, 50)).toBe(50.015)
    expect(histogramPercentileMs(back, 100)).toBeCloseTo(100, 1)
  })
})

describe('summariseMetric', () => {
  it('is undefined for no values', () => {
    expect(summariseMetric([])).toBeUndefined()
  })

  it('1…1000 ms: exact n, min, max, mean; quantiles within the histogram\'s 0.1 %; CIs from order statistics', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1000 - i) // reversed: the summary must sort
    const s = summariseMetric(values)!
    expect(s).toMatchObject({ n: 1000, min: 1, max: 1000, mean: 500.5 })
    expect(s.cv).toBeCloseTo(Math.sqrt((1000 * 1001) / 12) / 500.5, 12) // sd of 1…n is √(n(n+1)/12)
    expect(s.quantiles.map((q) => q.p)).toEqual([...SUMMARY_PERCENTILES])
    const sorted = Array.from({ length: 1000 }, (_, i) => i + 1)
    for (const q of s.quantiles) {
      const raw = sorted[Math.ceil((q.p / 100) * 1000) - 1]!
      expect(Math.abs(q.value - raw) / raw).toBeLessThanOrEqual(0.001)
      const ci = quantileCI(sorted, q.p / 100)
      expect({ low: q.low, high: q.high }).toEqual({ low: ci?.low ?? null, high: ci?.high ?? null })
    }
    // P(469 ≤ B ≤ 531 | n = 1000, p = ½) = 0.95371 (mpmath); one rank narrower covers only 0.94632
    expect(s.quantiles.find((q) => q.p === 50)).toMatchObject({ low: 469, high: 532 })
    expect(s.quantiles.find((q) => q.p === 99.9)).toMatchObject({ low: null, high: null }) // needs n ≥ 2,995
    expect(decodeHistogram(s.hdr).totalCount).toBe(1000)
  })

  it('takes quantile values from the raw sample when there are negative values (which a histogram cannot hold)', () => {
    const s = summariseMetric([-3, -2, -1, 0, 1, 2, 3])!
    expect(s.min).toBe(-3)
    expect(s.quantiles.find((q) => q.p === 50)?.value).toBe(0)
    expect(s.quantiles.find((q) => q.p === 50)).toMatchObject({ low: -3, high: 3 }) // n = 7: [x₍₂₎, x₍₆₎] covers only 0.875
  })

  it('ignores non-finite values', () => {
    expect(summariseMetric([1, Number.NaN, 3])?.n).toBe(2)
  })
})

describe('summariseSeries', () => {
  it('summarises every metric that has values and leaves out those that have none', () => {
    const data = series(500)
    const r = summariseSeries(data)
    expect(Object.keys(r.summary).sort()).toEqual(['clientMs', 'durationMs', 'maxMemoryMb', 'overheadMs'])
    expect(r.summary.clientMs?.n).toBe(500)
    expect(r.summary.durationMs?.n).toBe(490) // 10 samples without a REPORT line
    expect(Math.abs(r.summary.maxMemoryMb!.quantiles[0]!.value - 3008) / 3008).toBeLessThanOrEqual(0.001)
    expect(r.clockAnalysis).toBeUndefined()
    expect(r.key).toBe(data.key)
    expect(r.samples).toBe(data.samples)
  })

  it('adds the clock analysis when the series carries NTP exchanges, and stays JSON-safe', () => {
    const r = summariseSeries(series(200, 2, true))
    expect(r.clockAnalysis?.n).toBe(200)
    // T2 − T1 = 0.2 ms, T3 − T4 = −0.3 ms on every exchange: θ ∈ [−0.3, 0.2], θ̂ = −0.05, one-way 0.25 ms each way
    expect(r.clockAnalysis?.offsetMs).toBeCloseTo(-0.05, 2)
    expect(r.clockAnalysis?.offsetBoundMs).toBeCloseTo(0.25, 2)
    expect(r.clockAnalysis?.requestOneWayMedianMs).toBeCloseTo(0.25, 2)
    expect(r.clockAnalysis?.responseOneWayMedianMs).toBeCloseTo(0.25, 2)
    expect(JSON.parse(JSON.stringify(r))).toEqual(r)
  })

  // Speed is the benchmark's business (npm run bench), never a timed assertion; this checks the large case works.
  it('summarises a 10,000-sample series with 10,000 clock exchanges, with a p99.9 interval', () => {
    const data = series(10_000, 4, true)
    expect(summariseSeries(data).summary.clientMs?.quantiles.find((q) => q.p === 99.9)?.low).not.toBeNull()
  })
})
