/**
 * SVG primitives for the report's charts: a frame with axes, grid and tick labels, a legend, markers, paths and
 * the accessible `<figure>` wrapper. Everything is a string of static SVG (no script, no external reference),
 * styled by the report's inline CSS (classes prefixed `c-`) so the charts print and read without colour: every
 * series has a colour from a colour-blind-safe palette *and* its own dash pattern and marker shape.
 */
import type { Scale } from './scale.js'

import { esc } from '../escape.js'

/** Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), dark enough on white. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'] as const
export const DASHES = ['', '6 3', '2 3', '8 3 2 3', '1 2', '10 4'] as const
export const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'cross', 'circle-open'] as const
export type Marker = (typeof MARKERS)[number]

export interface SeriesStyle {
  colour: string
  dash: string
  marker: Marker
}

export function styleAt(i: number): SeriesStyle {
  return { colour: PALETTE[i % PALETTE.length]!, dash: DASHES[i % DASHES.length]!, marker: MARKERS[i % MARKERS.length]! }
}

/** Pixel value with one decimal: keeps the file small and the drawing exact enough. */
export function px(v: number): string {
  return String(Math.round(v * 10) / 10)
}

export interface Frame {
  width: number
  height: number
  /** Plot area in pixels. */
  x0: number
  x1: number
  y0: number
  y1: number
  /** Top of the legend. */
  legendTop: number
}

export interface LegendEntry {
  label: string
  style: SeriesStyle
  /** How the swatch is drawn: a line with the series' marker, a plain line, a marker alone, a filled box or a band. */
  kind?: 'line' | 'plain' | 'marker' | 'box' | 'band'
}

const CHAR_W = 6.4
const LEGEND_ROW = 18

function legendWidth(e: LegendEntry): number {
  return 34 + e.label.length * CHAR_W + 18
}

function legendRows(entries: ReadonlyArray<LegendEntry>, width: number): number {
  let rows = entries.length > 0 ? 1 : 0
  let x = 0
  for (const e of entries) {
    const w = legendWidth(e)
    if (x > 0 && x + w > width) {
      rows++
      x = 0
    }
    x += w
  }
  return rows
}

export interface FrameOptions {
  width?: number
  height?: number
  legend?: ReadonlyArray<LegendEntry>
  /** Extra room on the left for long y tick labels. */
  left?: number
  right?: number
}

/** Plot area below the legend, with room for tick labels and axis titles. */
export function frame(options: FrameOptions = {}): Frame {
  const width = options.width ?? 640
  const rows = legendRows(options.legend ?? [], width - 70)
  const top = 10 + rows * LEGEND_ROW + (rows > 0 ? 6 : 0)
  const plotHeight = (options.height ?? 300) - 50
  return { width, height: top + plotHeight + 50, x0: options.left ?? 62, x1: width - (options.right ?? 16), y0: top + plotHeight, y1: top, legendTop: 10 }
}

export function marker(shape: Marker, x: number, y: number, colour: string, size = 3.2): string {
  const X = px(x)
  const Y = px(y)
  const s = size
  switch (shape) {
    case 'circle':
      return `<circle cx="${X}" cy="${Y}" r="${px(s)}" fill="${colour}"/>`
    case 'circle-open':
      return `<circle cx="${X}" cy="${Y}" r="${px(s)}" fill="#fff" stroke="${colour}" stroke-width="1.5"/>`
    case 'square':
      return `<rect x="${px(x - s)}" y="${px(y - s)}" width="${px(2 * s)}" height="${px(2 * s)}" fill="${colour}"/>`
    case 'triangle':
      return `<path d="M${px(x)} ${px(y - s * 1.2)}L${px(x + s * 1.1)} ${px(y + s * 0.9)}L${px(x - s * 1.1)} ${px(y + s * 0.9)}Z" fill="${colour}"/>`
    case 'diamond':
      return `<path d="M${px(x)} ${px(y - s * 1.3)}L${px(x + s * 1.1)} ${px(y)}L${px(x)} ${px(y + s * 1.3)}L${px(x - s * 1.1)} ${px(y)}Z" fill="${colour}"/>`
    case 'cross':
      return `<path d="M${px(x - s)} ${px(y - s)}L${px(x + s)} ${px(y + s)}M${px(x + s)} ${px(y - s)}L${px(x - s)} ${px(y + s)}" stroke="${colour}" stroke-width="1.8"/>`
  }
}

export function legend(entries: ReadonlyArray<LegendEntry>, f: Frame): string {
  if (entries.length === 0) return ''
  const maxW = f.width - 70
  let x = 0
  let row = 0
  const items = entries.map((e) => {
    const w = legendWidth(e)
    if (x > 0 && x + w > maxW) {
      row++
      x = 0
    }
    const gx = f.x0 + x
    const gy = f.legendTop + row * LEGEND_ROW + 8
    x += w
    const { colour, dash } = e.style
    const kind = e.kind ?? 'line'
    const swatch = kind === 'box'
      ? `<rect x="${px(gx)}" y="${px(gy - 5)}" width="26" height="10" fill="${colour}" fill-opacity=".75" stroke="${colour}"/>`
      : kind === 'band'
        ? `<rect x="${px(gx)}" y="${px(gy - 5)}" width="26" height="10" fill="${colour}" fill-opacity=".18"/>`
        : kind === 'marker'
          ? marker(e.style.marker, gx + 13, gy, colour)
          : `<path d="M${px(gx)} ${px(gy)}H${px(gx + 26)}" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>${kind === 'line' ? marker(e.style.marker, gx + 13, gy, colour) : ''}`
    return `<g>${swatch}<text x="${px(gx + 32)}" y="${px(gy + 4)}" class="c-legend">${esc(e.label)}</text></g>`
  })
  return `<g class="c-legend-box">${items.join('')}</g>`
}

export interface AxesOptions {
  xTitle: string
  yTitle: string
  /** Tick labels with a custom formatter (for example percentiles on a spectrum axis). */
  xLabel?: (v: number, fallback: string) => string
  yLabel?: (v: number, fallback: string) => string
  /** Category labels instead of numeric x ticks (bar charts). */
  xCategories?: ReadonlyArray<{ x: number; label: string }>
}

/** Grid lines, the frame, tick marks, tick labels and axis titles. */
export function axes(x: Scale | null, y: Scale, f: Frame, o: AxesOptions): string {
  const parts: string[] = []
  const xt = x ? x.ticks() : []
  const yt = y.ticks()
  for (const t of yt) {
    const Y = px(y.map(t.value))
    parts.push(`<path d="M${px(f.x0)} ${Y}H${px(f.x1)}" class="${t.major ? 'c-grid' : 'c-grid-minor'}"/>`)
  }
  for (const t of xt) {
    const X = px(x!.map(t.value))
    parts.push(`<path d="M${X} ${px(f.y0)}V${px(f.y1)}" class="${t.major ? 'c-grid' : 'c-grid-minor'}"/>`)
  }
  parts.push(`<rect x="${px(f.x0)}" y="${px(f.y1)}" width="${px(f.x1 - f.x0)}" height="${px(f.y0 - f.y1)}" class="c-frame"/>`)
  for (const t of yt) {
    const Y = y.map(t.value)
    parts.push(`<path d="M${px(f.x0 - (t.major ? 5 : 3))} ${px(Y)}H${px(f.x0)}" class="c-tick"/>`)
    const label = o.yLabel ? o.yLabel(t.value, t.label) : t.label
    if (t.major && label) parts.push(`<text x="${px(f.x0 - 8)}" y="${px(Y + 4)}" class="c-tl" text-anchor="end">${esc(label)}</text>`)
  }
  for (const t of xt) {
    const X = x!.map(t.value)
    parts.push(`<path d="M${px(X)} ${px(f.y0)}V${px(f.y0 + (t.major ? 5 : 3))}" class="c-tick"/>`)
    const label = o.xLabel ? o.xLabel(t.value, t.label) : t.label
    if (!t.major || !label) continue
    // Keep the label inside the drawing: flush against the tick at either edge.
    const half = (label.length * CHAR_W * 0.95) / 2
    const anchor = X + half > f.width - 2 ? 'end' : X - half < 2 ? 'start' : 'middle'
    parts.push(`<text x="${px(X)}" y="${px(f.y0 + 18)}" class="c-tl" text-anchor="${anchor}">${esc(label)}</text>`)
  }
  for (const c of o.xCategories ?? []) {
    parts.push(`<text x="${px(c.x)}" y="${px(f.y0 + 18)}" class="c-tl" text-anchor="middle">${esc(c.label)}</text>`)
  }
  parts.push(`<text x="${px((f.x0 + f.x1) / 2)}" y="${px(f.height - 8)}" class="c-title" text-anchor="middle">${esc(o.xTitle)}</text>`)
  const cy = (f.y0 + f.y1) / 2
  parts.push(`<text x="14" y="${px(cy)}" class="c-title" text-anchor="middle" transform="rotate(-90 14 ${px(cy)})">${esc(o.yTitle)}</text>`)
  return parts.join('')
}

/** `M x y L x y …` for a polyline (points in pixels); empty for fewer than one point. */
export function linePath(points: ReadonlyArray<readonly [number, number]>): string {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${px(x)} ${px(y)}`).join('')
}

/** A stroked series line in the series' style. */
export function seriesLine(d: string, s: SeriesStyle, width = 1.8): string {
  if (d === '') return ''
  return `<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="${width}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} stroke-linejoin="round"/>`
}

/** The plot area as a clip path, so out-of-range bands and lines stay inside the frame. */
export function clip(id: string, f: Frame): string {
  return `<defs><clipPath id="${esc(id)}"><rect x="${px(f.x0)}" y="${px(f.y1)}" width="${px(f.x1 - f.x0)}" height="${px(f.y0 - f.y1)}"/></clipPath></defs>`
}

export interface SvgOptions {
  /** Short accessible name; the figure caption says the rest. */
  label: string
  body: string
}

/** Inline SVG in HTML needs no namespace declaration (which would put a URL in the file). */
export function svg(f: Frame, o: SvgOptions): string {
  return `<svg viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img" aria-label="${esc(o.label)}" class="chart"><title>${esc(o.label)}</title>${o.body}</svg>`
}

export interface FigureOptions {
  id: string
  svg: string
  caption: string
  /** The chart's numbers as a table (HTML), shown under the chart in a collapsible block. */
  table?: string
  /** Summary line of the collapsible table block. */
  tableSummary?: string
}

export function figure(o: FigureOptions): string {
  const data = o.table ? `<details class="chart-data"><summary>${esc(o.tableSummary ?? 'The numbers behind this chart')}</summary>${o.table}</details>` : ''
  return `<figure class="chart-fig" id="${esc(o.id)}">${o.svg}<figcaption>${o.caption}</figcaption>${data}</figure>`
}
