/**
 * Latency samples for the benchmark: an HdrHistogram (integer µs, 3 significant digits) for the published
 * percentiles, plus the raw samples for distribution-free confidence intervals from order statistics
 * (latency-methods.md §6, §7).
 */
import * as hdr from 'hdr-histogram-js'
import { HDR_SETTINGS } from '../lib/latency/histogram.js'
import { quantileCIRanks } from '../lib/latency/stats.js'

export class Samples {
  readonly hist = hdr.build(HDR_SETTINGS)
  private raw = new Float64Array(1024)
  private n = 0

  get count(): number {
    return this.n
  }

  /** Records one latency in milliseconds (stored as integer µs, at least 1). */
  recordMs(ms: number): void {
    const us = Math.max(1, Math.round(ms * 1000))
    this.hist.recordValue(us)
    if (this.n === this.raw.length) {
      const bigger = new Float64Array(this.raw.length * 2)
      bigger.set(this.raw)
      this.raw = bigger
    }
    this.raw[this.n++] = us
  }

  /** Percentile in µs from the histogram (`getValueAtPercentile`, never `.summary`: §6). */
  percentileUs(p: number): number {
    return this.n === 0 ? NaN : this.hist.getValueAtPercentile(p)
  }

  sorted(): Float64Array {
    return this.raw.slice(0, this.n).sort()
  }

  meanUs(): number {
    let s = 0
    for (let i = 0; i < this.n; i++) s += this.raw[i]!
    return this.n === 0 ? NaN : s / this.n
  }

  summary(): LatencySummary {
    const sorted = this.sorted()
    return {
      n: this.n,
      p50Us: this.percentileUs(50),
      p50CiUs: quantileCi(sorted, 0.5),
      p90Us: this.percentileUs(90),
      p99Us: this.percentileUs(99),
      p99CiUs: quantileCi(sorted, 0.99),
      p999Us: this.percentileUs(99.9),
      maxUs: this.n === 0 ? NaN : this.hist.maxValue,
      meanUs: Math.round(this.meanUs()),
      histogram: this.n === 0 ? '' : hdr.encodeIntoCompressedBase64(this.hist),
    }
  }
}

export interface LatencySummary {
  n: number
  p50Us: number
  /** 95 % distribution-free interval [x(l), x(u)] of the raw samples, or null when n is too small. */
  p50CiUs: [number, number] | null
  p90Us: number
  p99Us: number
  p99CiUs: [number, number] | null
  p999Us: number
  maxUs: number
  meanUs: number
  /** The HdrHistogram, compressed base64 ("HISTF…" V2). */
  histogram: string
}

/** 95 % distribution-free CI for the p-quantile (the latency suites' exact-binomial order statistics), or null. */
export function quantileCi(sorted: Float64Array, p: number): [number, number] | null {
  const r = quantileCIRanks(sorted.length, p)
  return r ? [sorted[r.lowRank - 1]!, sorted[r.highRank - 1]!] : null
}

/** Median of plain numbers (small series such as cold starts), with its CI. */
export function medianWithCi(values: number[]): { median: number; ci: [number, number] | null } {
  const sorted = Float64Array.from(values).sort()
  const n = sorted.length
  const median = n === 0 ? NaN : n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2
  return { median, ci: quantileCi(sorted, 0.5) }
}

/**
 * Ratio a/b with a conservative interval from the two CIs (lo_a/hi_b, hi_a/lo_b): each CI covers at 95 %, so
 * the pair covers at ≥ 90 % (Bonferroni).
 */
export function ratio(a: number, b: number, ciA: [number, number] | null, ciB: [number, number] | null): { ratio: number; ci: [number, number] | null } {
  return { ratio: a / b, ci: ciA && ciB ? [ciA[0] / ciB[1], ciA[1] / ciB[0]] : null }
}
