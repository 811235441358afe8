/**
 * The latency report's chart types, as static SVG strings: ECDF with a DKW band, percentile spectrum, histogram on
 * log-spaced bins, time series (downsampled per pixel column), scaling lines with error bars, stacked bars and a
 * scatter with fitted lines. Inputs are plain numbers; the caller writes the caption and the data table.
 */
import { type Scale, type Tick, formatTick, linearScale, logScale, niceLinearDomain, niceLogDomain } from './scale.js'
import { esc } from '../escape.js'
import { type Frame, type LegendEntry, type SeriesStyle, axes, clip, frame, legend, linePath, marker, px, seriesLine, svg } from './svg.js'

/** Clip-path id from the chart's id (unique in the page), so a report renders the same every time. */
function clipId(chartId: string): string {
  return `${chartId.replace(/[^A-Za-z0-9_-]/g, '-')}-clip`
}

/** Min and max of the finite positive values (log axes), or null. */
function positiveExtent(values: Iterable<number>): [number, number] | null {
  let lo = Infinity
  let hi = -Infinity
  for (const v of values) {
    if (!(v > 0) || !Number.isFinite(v)) continue
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  return lo <= hi ? [lo, hi] : null
}

function extent(values: Iterable<number>): [number, number] | null {
  let lo = Infinity
  let hi = -Infinity
  for (const v of values) {
    if (!Number.isFinite(v)) continue
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  return lo <= hi ? [lo, hi] : null
}

function withTicks(s: Scale, ticks: Tick[]): Scale {
  return { kind: s.kind, domain: s.domain, range: s.range, map: s.map, ticks: () => ticks }
}

const percentTick = (v: number): string => `${Math.round(v * 100)} %`

// ---------------------------------------------------------------- ECDF

export interface EcdfCurve {
  name: string
  style: SeriesStyle
  /** Samples sorted ascending. */
  sorted: ReadonlyArray<number>
  /** DKW half-width ε of the simultaneous band; null draws no band. */
  epsilon: number | null
}

export interface ChartText {
  /** Accessible name of the SVG. */
  label: string
  xTitle: string
  yTitle: string
  /** Unique in the page; ids inside the SVG (clip paths) derive from it. */
  id: string
}

/**
 * Step points of an ECDF in pixels, at most two per pixel column: the level before the column's first sample and
 * after its last, so a 10,000-sample curve costs a few hundred points and looks the same.
 */
export function ecdfSteps(sorted: ReadonlyArray<number>, x: Scale): Array<[number, number]> {
  const n = sorted.length
  const out: Array<[number, number]> = []
  if (n === 0) return out
  let i = 0
  while (i < n) {
    const col = Math.round(x.map(sorted[i]!) * 2) / 2
    let j = i
    while (j + 1 < n && Math.round(x.map(sorted[j + 1]!) * 2) / 2 === col) j++
    out.push([col, i / n], [col, (j + 1) / n])
    i = j + 1
  }
  return out
}

export function ecdfChart(curves: ReadonlyArray<EcdfCurve>, t: ChartText): string {
  const entries: LegendEntry[] = curves.map((c) => ({ label: `${c.name} (n = ${c.sorted.length.toLocaleString('en-US')})`, style: c.style, kind: 'plain' }))
  if (curves.some((c) => c.epsilon !== null)) entries.push({ label: 'DKW 95 % band', style: { colour: '#59636e', dash: '', marker: 'circle' }, kind: 'band' })
  const f = frame({ legend: entries, height: 320 })
  const ext = positiveExtent(curves.flatMap((c) => [c.sorted[0] ?? NaN, c.sorted.at(-1) ?? NaN])) ?? [1, 10]
  const x = logScale(niceLogDomain(ext[0], ext[1]), [f.x0, f.x1])
  const y = withTicks(linearScale([0, 1], [f.y0, f.y1]), [0, 0.25, 0.5, 0.75, 0.9, 1].map((v) => ({ value: v, major: true, label: percentTick(v) })))
  const id = clipId(t.id)
  const bands: string[] = []
  const lines: string[] = []
  for (const c of curves) {
    const steps = ecdfSteps(c.sorted, x)
    if (steps.length === 0) continue
    const pts: Array<[number, number]> = [[f.x0, 0], ...steps, [f.x1, 1]]
    if (c.epsilon !== null) {
      // The band holds everywhere, but is drawn over the observed range only: outside it, overlapping bands of
      // several small samples would cover the plot without telling anything.
      const e = c.epsilon
      const upper = steps.map(([px_, F]) => [px_, y.map(Math.min(1, F + e))] as [number, number])
      const lower = steps.map(([px_, F]) => [px_, y.map(Math.max(0, F - e))] as [number, number]).reverse()
      bands.push(`<path d="${linePath([...upper, ...lower])}Z" fill="${c.style.colour}" fill-opacity=".12" stroke="none"/>`)
    }
    const line = pts.map(([px_, F]) => [px_, y.map(F)] as [number, number])
    lines.push(seriesLine(linePath(line), c.style))
  }
  const body = `${clip(id, f)}${axes(x, y, f, { xTitle: t.xTitle, yTitle: t.yTitle })}<g clip-path="url(#${id})">${bands.join('')}${lines.join('')}</g>${legend(entries, f)}`
  return svg(f, { label: t.label, body })
}

// ---------------------------------------------------------------- percentile spectrum

export interface SpectrumCurve {
  name: string
  style: SeriesStyle
  sorted: ReadonlyArray<number>
  /** Reported quantiles with their intervals, drawn as error bars. */
  marks: ReadonlyArray<{ p: number; value: number; low: number | null; high: number | null }>
}

/** Empirical quantile (the smallest sample with at least p of the data at or below it). */
export function quantileOfSorted(sorted: ReadonlyArray<number>, p: number): number {
  const n = sorted.length
  const k = Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))
  return sorted[k]!
}

function spectrumLabel(v: number): string {
  if (v <= 1) return 'p0'
  const p = (1 - 1 / v) * 100
  return `p${Number(p.toFixed(p >= 99.9 ? 3 : p >= 99 ? 2 : 1))}`
}

export function spectrumChart(curves: ReadonlyArray<SpectrumCurve>, t: ChartText): string {
  const entries: LegendEntry[] = curves.map((c) => ({ label: c.name, style: c.style }))
  entries.push({ label: 'reported quantile, 95 % CI', style: { colour: '#1f2328', dash: '', marker: 'circle' }, kind: 'marker' })
  const f = frame({ legend: entries, height: 320 })
  const maxN = Math.max(2, ...curves.map((c) => c.sorted.length))
  const top = 10 ** Math.max(1, Math.ceil(Math.log10(maxN)))
  const x = withTicks(logScale([1, top], [f.x0, f.x1]), [1, 2, 10, 100, 1000, 10_000, 100_000].filter((v) => v <= top).map((v) => ({ value: v, major: true, label: spectrumLabel(v) })))
  const ext = positiveExtent(curves.flatMap((c) => [c.sorted[0] ?? NaN, c.sorted.at(-1) ?? NaN, ...c.marks.flatMap((m) => [m.low ?? NaN, m.high ?? NaN])])) ?? [1, 10]
  const y = logScale(niceLogDomain(ext[0], ext[1]), [f.y0, f.y1])
  const id = clipId(t.id)
  const parts: string[] = []
  for (const c of curves) {
    const n = c.sorted.length
    if (n === 0) continue
    const pts: Array<[number, number]> = []
    const steps = 160
    const last = n // 1/(1-p) = n is the largest level the data supports
    for (let k = 0; k <= steps; k++) {
      const lv = 10 ** ((Math.log10(last) * k) / steps)
      const p = 1 - 1 / lv
      pts.push([x.map(lv), y.map(quantileOfSorted(c.sorted, p))])
    }
    pts.push([x.map(last), y.map(c.sorted[n - 1]!)])
    parts.push(seriesLine(linePath(pts), c.style))
    for (const m of c.marks) {
      const lv = 1 / (1 - m.p / 100)
      // Beyond 1/(1 − p) = n the quantile is the largest sample: nothing to mark.
      if (lv > n) continue
      const X = x.map(lv)
      if (m.low !== null && m.high !== null) parts.push(`<path d="M${px(X)} ${px(y.map(m.low))}V${px(y.map(m.high))}M${px(X - 4)} ${px(y.map(m.low))}h8M${px(X - 4)} ${px(y.map(m.high))}h8" stroke="${c.style.colour}" stroke-width="1.4"/>`)
      parts.push(marker(c.style.marker, X, y.map(m.value), c.style.colour, 3.4))
    }
  }
  const body = `${clip(id, f)}${axes(x, y, f, { xTitle: t.xTitle, yTitle: t.yTitle })}<g clip-path="url(#${id})">${parts.join('')}</g>${legend(entries, f)}`
  return svg(f, { label: t.label, body })
}

// ---------------------------------------------------------------- histogram

export interface HistogramSeries {
  name: string
  style: SeriesStyle
  values: ReadonlyArray<number>
}

export interface Bins {
  edges: number[]
  /** counts[series][bin] */
  counts: number[][]
}

/** Log-spaced bins over the positive range of all series (values ≤ 0 are left out). */
export function logBins(series: ReadonlyArray<ReadonlyArray<number>>, bins = 36): Bins {
  const ext = positiveExtent(series.flat()) ?? [1, 10]
  const lo = Math.log10(ext[0])
  const hi = Math.log10(ext[1] === ext[0] ? ext[0] * 1.01 : ext[1])
  const w = (hi - lo) / bins
  const edges = Array.from({ length: bins + 1 }, (_, i) => 10 ** (lo + i * w))
  const counts = series.map((vals) => {
    const c = new Array<number>(bins).fill(0)
    for (const v of vals) {
      if (!(v > 0)) continue
      const i = Math.min(bins - 1, Math.max(0, Math.floor((Math.log10(v) - lo) / w)))
      c[i]! += 1
    }
    return c
  })
  return { edges, counts }
}

export function histogramChart(series: ReadonlyArray<HistogramSeries>, bins: Bins, t: ChartText): string {
  const entries: LegendEntry[] = series.map((s) => ({ label: s.name, style: s.style, kind: 'plain' }))
  const f = frame({ legend: entries, height: 300 })
  const shares = bins.counts.map((c, i) => {
    const n = series[i]!.values.length || 1
    return c.map((k) => k / n)
  })
  const top = Math.max(0.01, ...shares.flat())
  const x = logScale(niceLogDomain(bins.edges[0]!, bins.edges.at(-1)!), [f.x0, f.x1])
  const y = withTicks(linearScale(niceLinearDomain(0, top, 4), [f.y0, f.y1]), [])
  const yTicks = linearScale(niceLinearDomain(0, top, 4), [f.y0, f.y1]).ticks().map((tk) => ({ ...tk, label: `${formatTick(tk.value * 100)} %` }))
  const ys = withTicks(y, yTicks)
  const id = clipId(t.id)
  const parts = shares.map((sh, i) => {
    const s = series[i]!.style
    const pts: Array<[number, number]> = [[x.map(bins.edges[0]!), ys.map(0)]]
    sh.forEach((v, b) => {
      pts.push([x.map(bins.edges[b]!), ys.map(v)], [x.map(bins.edges[b + 1]!), ys.map(v)])
    })
    pts.push([x.map(bins.edges.at(-1)!), ys.map(0)])
    const d = linePath(pts)
    return `<path d="${d}Z" fill="${s.colour}" fill-opacity=".10" stroke="none"/>${seriesLine(d, s, 1.6)}`
  })
  const body = `${clip(id, f)}${axes(x, ys, f, { xTitle: t.xTitle, yTitle: t.yTitle })}<g clip-path="url(#${id})">${parts.join('')}</g>${legend(entries, f)}`
  return svg(f, { label: t.label, body })
}

// ---------------------------------------------------------------- time series

export interface TimeSeriesInput {
  style: SeriesStyle
  /** x per sample (invocation index or send time) and y per sample. */
  x: ReadonlyArray<number>
  y: ReadonlyArray<number>
  /** Samples to mark (for example cold starts), by index. */
  flagged?: ReadonlyArray<number>
  flaggedLabel?: string
}

export interface ColumnStats {
  x: number
  min: number
  max: number
  median: number
  n: number
}

/** Per pixel column: min, max and median of the samples that fall in it (x in pixels already). */
export function columnStats(xs: ReadonlyArray<number>, ys: ReadonlyArray<number>, columnWidth = 1): ColumnStats[] {
  const byCol = new Map<number, number[]>()
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i]!
    if (!Number.isFinite(y)) continue
    const c = Math.round(xs[i]! / columnWidth) * columnWidth
    let arr = byCol.get(c)
    if (!arr) byCol.set(c, (arr = []))
    arr.push(y)
  }
  return [...byCol.entries()].sort(([a], [b]) => a - b).map(([x, arr]) => {
    arr.sort((a, b) => a - b)
    return { x, min: arr[0]!, max: arr.at(-1)!, median: arr[(arr.length - 1) >> 1]!, n: arr.length }
  })
}

/** Flagged samples (for example a cold start in a warm series): neutral, so no shim's colour is taken. */
const FLAG_COLOUR = '#1f2328'

/** Below this many samples every sample is drawn as a dot; above, the min–max range and median per column. */
export const DOTS_UP_TO = 600
/** Width of the columns a long series is summarised in, px: enough samples per column for a steady median. */
export const COLUMN_PX = 2

export function timeSeriesChart(s: TimeSeriesInput, t: ChartText): string {
  const many = s.y.length > DOTS_UP_TO
  const flagged = s.flagged ?? []
  const entries: LegendEntry[] = many
    ? [{ label: 'min–max per column', style: s.style, kind: 'band' }, { label: 'median per column', style: { ...s.style, dash: '' }, kind: 'plain' }]
    : [{ label: 'one invocation', style: { ...s.style, marker: 'circle' }, kind: 'marker' }]
  if (flagged.length > 0) entries.push({ label: s.flaggedLabel ?? 'flagged', style: { colour: FLAG_COLOUR, dash: '', marker: 'triangle' }, kind: 'marker' })
  const f = frame({ legend: entries, height: 260 })
  const xe = extent(s.x) ?? [0, 1]
  const x = linearScale(niceLinearDomain(xe[0], xe[1], 8), [f.x0, f.x1], 8)
  const ye = positiveExtent(s.y) ?? [1, 10]
  const y = logScale(niceLogDomain(ye[0], ye[1]), [f.y0, f.y1])
  const id = clipId(t.id)
  const parts: string[] = []
  if (many) {
    const cols = columnStats(s.x.map((v) => x.map(v)), s.y.map((v) => (v > 0 ? y.map(v) : NaN)), COLUMN_PX)
    // In pixels, y grows downwards: the smallest latency has the largest pixel value.
    parts.push(`<path d="${cols.map((c) => `M${px(c.x)} ${px(c.max + 0.6)}V${px(c.min - 0.6)}`).join('')}" stroke="${s.style.colour}" stroke-opacity=".35" stroke-width="1.2"/>`)
    parts.push(seriesLine(linePath(cols.map((c) => [c.x, c.median])), { ...s.style, dash: '' }, 1.3))
  } else {
    parts.push(`<g fill="${s.style.colour}" fill-opacity=".75">${s.y.map((v, i) => (v > 0 ? `<circle cx="${px(x.map(s.x[i]!))}" cy="${px(y.map(v))}" r="2.2"/>` : '')).join('')}</g>`)
  }
  for (const i of flagged) {
    const v = s.y[i]
    if (v === undefined || !(v > 0)) continue
    parts.push(marker('triangle', x.map(s.x[i]!), y.map(v), FLAG_COLOUR, 4))
  }
  const body = `${clip(id, f)}${axes(x, y, f, { xTitle: t.xTitle, yTitle: t.yTitle })}<g clip-path="url(#${id})">${parts.join('')}</g>${legend(entries, f)}`
  return svg(f, { label: t.label, body })
}

// ---------------------------------------------------------------- lines with error bars (scaling curves)

export interface LinePoint {
  x: number
  y: number
  low?: number | null
  high?: number | null
}

export interface LineSeries {
  name: string
  style: SeriesStyle
  points: ReadonlyArray<LinePoint>
}

export interface LineChartOptions extends ChartText {
  xLog: boolean
  yLog: boolean
  /** Ticks exactly at these x values (for example concurrency 1, 2, 4, 8). */
  xTicksAt?: ReadonlyArray<number>
  xTickLabel?: (v: number) => string
  /** Include zero on a linear y axis. */
  yFromZero?: boolean
}

export function lineChart(series: ReadonlyArray<LineSeries>, o: LineChartOptions): string {
  const entries: LegendEntry[] = series.map((s) => ({ label: s.name, style: s.style }))
  const f = frame({ legend: entries, height: 300 })
  const xs = series.flatMap((s) => s.points.map((p) => p.x))
  const ys = series.flatMap((s) => s.points.flatMap((p) => [p.y, p.low ?? NaN, p.high ?? NaN]))
  let x: Scale
  if (o.xLog) {
    const e = positiveExtent(xs) ?? [1, 10]
    const lo = o.xTicksAt ? e[0] / 1.25 : niceLogDomain(e[0], e[1])[0]
    const hi = o.xTicksAt ? e[1] * 1.25 : niceLogDomain(e[0], e[1])[1]
    x = logScale([lo, hi], [f.x0, f.x1])
  } else {
    const e = extent(xs) ?? [0, 1]
    x = linearScale(niceLinearDomain(e[0], e[1]), [f.x0, f.x1])
  }
  if (o.xTicksAt) x = withTicks(x, o.xTicksAt.map((v) => ({ value: v, major: true, label: o.xTickLabel ? o.xTickLabel(v) : formatTick(v) })))
  else if (o.xTickLabel) x = withTicks(x, x.ticks().map((tk) => ({ ...tk, label: tk.major ? o.xTickLabel!(tk.value) : '' })))
  let y: Scale
  if (o.yLog) {
    const e = positiveExtent(ys) ?? [1, 10]
    y = logScale(niceLogDomain(e[0], e[1]), [f.y0, f.y1])
  } else {
    const e = extent(ys) ?? [0, 1]
    y = linearScale(niceLinearDomain(o.yFromZero ? Math.min(0, e[0]) : e[0], e[1]), [f.y0, f.y1])
  }
  const id = clipId(o.id)
  const parts = series.map((s) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x)
    const bars = pts
      .filter((p) => p.low !== undefined && p.low !== null && p.high !== undefined && p.high !== null)
      .map((p) => {
        const X = x.map(p.x)
        return `M${px(X)} ${px(y.map(p.low!))}V${px(y.map(p.high!))}M${px(X - 3)} ${px(y.map(p.low!))}h6M${px(X - 3)} ${px(y.map(p.high!))}h6`
      })
      .join('')
    return `${bars ? `<path d="${bars}" stroke="${s.style.colour}" stroke-width="1.2" fill="none"/>` : ''}${seriesLine(linePath(pts.map((p) => [x.map(p.x), y.map(p.y)])), s.style)}${pts.map((p) => marker(s.style.marker, x.map(p.x), y.map(p.y), s.style.colour)).join('')}`
  })
  const body = `${clip(id, f)}${axes(x, y, f, { xTitle: o.xTitle, yTitle: o.yTitle })}<g clip-path="url(#${id})">${parts.join('')}</g>${legend(entries, f)}`
  return svg(f, { label: o.label, body })
}

// ---------------------------------------------------------------- stacked bars (decomposition)

export interface StackedBar {
  category: string
  /** One value per component, in component order; null = not measured. */
  values: ReadonlyArray<number | null>
  /** A reference value drawn as a marker on the bar (for example the whole round trip). */
  reference?: number | null
}

export function stackedBarChart(
  components: ReadonlyArray<{ name: string; style: SeriesStyle }>,
  bars: ReadonlyArray<StackedBar>,
  t: ChartText & { referenceLabel?: string },
): string {
  const entries: LegendEntry[] = components.map((c) => ({ label: c.name, style: c.style, kind: 'box' }))
  if (t.referenceLabel) entries.push({ label: t.referenceLabel, style: { colour: '#1f2328', dash: '', marker: 'diamond' }, kind: 'marker' })
  const f = frame({ legend: entries, height: 300 })
  const totals = bars.map((b) => Math.max(b.values.reduce<number>((a, v) => a + (v ?? 0), 0), b.reference ?? 0))
  const y = linearScale(niceLinearDomain(0, Math.max(0.001, ...totals), 5), [f.y0, f.y1])
  const slot = (f.x1 - f.x0) / Math.max(1, bars.length)
  const w = Math.min(90, slot * 0.55)
  const parts: string[] = []
  const cats: Array<{ x: number; label: string }> = []
  bars.forEach((b, i) => {
    const cx = f.x0 + slot * (i + 0.5)
    cats.push({ x: cx, label: b.category })
    let acc = 0
    b.values.forEach((v, k) => {
      if (v === null || !(v > 0)) return
      const yTop = y.map(acc + v)
      const yBot = y.map(acc)
      const c = components[k]!.style.colour
      parts.push(`<rect x="${px(cx - w / 2)}" y="${px(yTop)}" width="${px(w)}" height="${px(Math.max(0.5, yBot - yTop))}" fill="${c}" fill-opacity=".8" stroke="#fff" stroke-width="1"/>`)
      if (yBot - yTop >= 14) parts.push(`<text x="${px(cx)}" y="${px((yTop + yBot) / 2 + 4)}" class="c-inbar" text-anchor="middle">${esc(formatTick(v))}</text>`)
      acc += v
    })
    if (b.reference !== undefined && b.reference !== null) parts.push(marker('diamond', cx + w / 2 + 8, y.map(b.reference), '#1f2328', 4))
  })
  const body = `${axes(null, y, f, { xTitle: t.xTitle, yTitle: t.yTitle, xCategories: cats })}${parts.join('')}${legend(entries, f)}`
  return svg(f, { label: t.label, body })
}

// ---------------------------------------------------------------- scatter with fitted lines (clock)

export interface ScatterInput {
  points: ReadonlyArray<{ x: number; y: number; err?: number }>
  pointStyle: SeriesStyle
  pointLabel: string
  /** Drawn in order, so a wide line listed first shows as a halo around a thin one drawn on it. */
  lines: ReadonlyArray<{ name: string; style: SeriesStyle; from: [number, number]; to: [number, number]; width?: number }>
}

/** At most this many points are drawn (evenly strided); the CSV export has them all. */
export const SCATTER_MAX = 1200

export function scatterChart(s: ScatterInput, t: ChartText): string {
  const entries: LegendEntry[] = [{ label: s.pointLabel, style: s.pointStyle, kind: 'marker' }, ...s.lines.map((l): LegendEntry => ({ label: l.name, style: l.style, kind: 'plain' }))]
  const f = frame({ legend: entries, height: 300 })
  const stride = Math.max(1, Math.ceil(s.points.length / SCATTER_MAX))
  const pts = s.points.filter((_, i) => i % stride === 0)
  const xe = extent([...pts.map((p) => p.x), ...s.lines.flatMap((l) => [l.from[0], l.to[0]])]) ?? [0, 1]
  // The y axis fits the central 98 % of the points and the lines, not the error bars or a few wild exchanges (those
  // are clipped at the frame; the caller's table gives the full range).
  const ys = pts.map((p) => p.y).filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  const core = ys.length >= 20 ? [quantileOfSorted(ys, 0.01), quantileOfSorted(ys, 0.99)] : ys
  const ye0 = extent([...core, ...s.lines.flatMap((l) => [l.from[1], l.to[1]])]) ?? [0, 1]
  const pad = Math.max((ye0[1] - ye0[0]) * 0.25, 1e-3)
  const ye: [number, number] = [ye0[0] - pad, ye0[1] + pad]
  const x = linearScale(niceLinearDomain(xe[0], xe[1], 8), [f.x0, f.x1], 8)
  const y = linearScale(niceLinearDomain(ye[0], ye[1], 6), [f.y0, f.y1], 6)
  const id = clipId(t.id)
  const whiskers = pts.filter((p) => p.err !== undefined && p.err > 0).map((p) => `M${px(x.map(p.x))} ${px(y.map(p.y - p.err!))}V${px(y.map(p.y + p.err!))}`).join('')
  const dots = pts.map((p) => marker(s.pointStyle.marker, x.map(p.x), y.map(p.y), s.pointStyle.colour, 2.4)).join('')
  const lines = s.lines.map((l) => seriesLine(linePath([[x.map(l.from[0]), y.map(l.from[1])], [x.map(l.to[0]), y.map(l.to[1])]]), l.style, l.width ?? 2)).join('')
  const body = `${clip(id, f)}${axes(x, y, f, { xTitle: t.xTitle, yTitle: t.yTitle })}<g clip-path="url(#${id})">${whiskers ? `<path d="${whiskers}" stroke="${s.pointStyle.colour}" stroke-opacity=".3" stroke-width="1"/>` : ''}<g fill-opacity=".8">${dots}</g>${lines}</g>${legend(entries, f)}`
  return svg(f, { label: t.label, body })
}

export type { Frame }
