/**
 * Summaries of measured latency series for results.json and the report (latency-methods.md §6, §7, §10): per metric
 * n, min, max, mean, CV, p50/p90/p99/p99.9 with distribution-free 95 % intervals, and the HdrHistogram; the clock
 * analysis for series that carry NTP exchanges.
 */
import { estimateClock } from './clock.js'
import { buildHistogram, encodeHistogram, histogramPercentileMs } from './histogram.js'
import { METRICS, type LatencySeriesData, type LatencySeriesReport, type Metric, type MetricSummary, type QuantileEstimate } from './model.js'
import { cv, mean, quantileCI, sortedAscending } from './stats.js'

/** The percentiles every metric summary carries (the report adds max; p95 is left to the ECDF). */
export const SUMMARY_PERCENTILES = [50, 90, 99, 99.9] as const

/** Confidence level of the quantile intervals (§7). */
export const QUANTILE_CONFIDENCE = 0.95

/**
 * The empirical p-quantile as HdrHistogram defines it: the smallest sample value with at least p % of the sample at
 * or below it, x₍⌈p·n/100⌉₎. Used only when a metric has negative values, which the histogram cannot hold.
 */
function empiricalPercentile(sorted: readonly number[], percentile: number): number {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((percentile / 100) * sorted.length)))
  return sorted[rank - 1] as number
}

/**
 * Summary of one metric's values (ms; MB for memory), or undefined when there are none. Quantile values come from the
 * HdrHistogram (getValueAtPercentile, never `.summary`, §6), so they carry its ≤ 0.1 % quantisation; their intervals
 * come from the raw sorted values by exact binomial order statistics (§7) and are null when n is too small (below
 * 6 / 29 / 299 / 2,995 for p50 / p90 / p99 / p99.9). A metric with negative values (an overhead can be, when a
 * target's Duration exceeds the client's view) is recorded at 0 in the histogram, so its quantile values then come
 * from the raw sample instead. Non-finite values are ignored.
 */
export function summariseMetric(values: readonly number[]): MetricSummary | undefined {
  const finite = values.filter((v) => Number.isFinite(v))
  if (finite.length === 0) return undefined
  const sorted = sortedAscending(finite)
  const histogram = buildHistogram(sorted)
  const min = sorted[0] as number
  const quantiles: QuantileEstimate[] = SUMMARY_PERCENTILES.map((p) => {
    const ci = quantileCI(sorted, p / 100, QUANTILE_CONFIDENCE)
    const value = min < 0 ? empiricalPercentile(sorted, p) : histogramPercentileMs(histogram, p)
    return { p, value, low: ci?.low ?? null, high: ci?.high ?? null }
  })
  return {
    n: sorted.length,
    min,
    max: sorted[sorted.length - 1] as number,
    mean: mean(sorted),
    cv: cv(sorted),
    quantiles,
    hdr: encodeHistogram(histogram),
  }
}

/** The non-null values of one metric of a series. */
export function metricValues(data: LatencySeriesData, metric: Metric): number[] {
  const column: readonly (number | null)[] = data.samples[metric]
  return column.filter((v): v is number => v !== null)
}

/**
 * A series as results.json carries it: the data, a summary for every metric with at least one value, and the clock
 * analysis when the series carries NTP exchanges (§2). 10,000 samples take a few milliseconds.
 */
export function summariseSeries(data: LatencySeriesData): LatencySeriesReport {
  const summary: LatencySeriesReport['summary'] = {}
  for (const metric of METRICS) {
    const s = summariseMetric(metricValues(data, metric))
    if (s) summary[metric] = s
  }
  const report: LatencySeriesReport = { ...data, summary }
  if (data.clock && data.clock.t1Ms.length > 0) report.clockAnalysis = estimateClock(data.clock)
  return report
}
