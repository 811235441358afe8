/**
 * Thin wrappers over hdr-histogram-js 3.0.1 (JS mode, not WASM) for latency values in milliseconds
 * (latency-methods.md §6). Values are recorded as integer microseconds, because HdrHistogram records integers only;
 * the compressed base64 form ("HISTF…", V2 encoding) is what results.json and the report carry, and it is readable by
 * the Java and Go ports too.
 */
import * as hdr from 'hdr-histogram-js'
import type { Histogram } from 'hdr-histogram-js'

/**
 * Histogram settings for latency in µs: 1 µs resolution, up to 1 h (3.6·10⁹ µs), 3 significant digits (≤ 0.1 %
 * quantisation), 32-bit counts, auto-resizing so that an outlier above an hour is still recorded, JS implementation
 * (the WASM one needs an async init, §6).
 */
export const HDR_SETTINGS = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3_600_000_000,
  numberOfSignificantValueDigits: 3,
  bitBucketSize: 32,
  autoResize: true,
  useWebAssembly: false,
} as const

/** Milliseconds → the integer microseconds the histogram records. Negative values (a histogram cannot hold them) become 0. */
export function msToHistogramUnits(ms: number): number {
  return Math.max(0, Math.round(ms * 1000))
}

/** A histogram of `valuesMs`, recorded as integer µs; negative values are recorded as 0. Throws on non-finite values. */
export function buildHistogram(valuesMs: readonly number[]): Histogram {
  const h = hdr.build(HDR_SETTINGS)
  for (const v of valuesMs) {
    if (!Number.isFinite(v)) throw new RangeError(`buildHistogram: ${String(v)} is not a finite number of ms`)
    h.recordValue(msToHistogramUnits(v))
  }
  return h
}

/** The compressed base64 V2 encoding ("HISTF…") of a histogram. */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h)
}

/** Records `valuesMs` and returns the compressed base64 string in one step. */
export function encodeValuesMs(valuesMs: readonly number[]): string {
  return encodeHistogram(buildHistogram(valuesMs))
}

/** Decodes a compressed base64 histogram (as written by {@link encodeHistogram}) back into a JS-mode histogram. */
export function decodeHistogram(base64: string): Histogram {
  return hdr.decodeFromCompressedBase64(base64, HDR_SETTINGS.bitBucketSize, false)
}

/**
 * The value at `percentile` (0–100) in ms, from `getValueAtPercentile`. Never from `.summary`: in 3.0.1 the JS
 * summary's p50 disagrees with getValueAtPercentile for the same data (§6 quirk), and the WASM summary and the other
 * ports agree with getValueAtPercentile.
 */
export function histogramPercentileMs(h: Histogram, percentile: number): number {
  if (!(percentile >= 0 && percentile <= 100)) throw new RangeError(`histogramPercentileMs: ${percentile} is not in [0, 100]`)
  return h.getValueAtPercentile(percentile) / 1000
}
