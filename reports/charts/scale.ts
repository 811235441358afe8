/**
 * Scales and tick positions for the report's static SVG charts: linear and base-10 logarithmic, with "nice"
 * ticks (1-2-5 steps) and compact tick labels. Pure; no DOM.
 */

export interface Tick {
  value: number
  /** Labelled tick; minor ticks get a short mark or a light grid line only. */
  major: boolean
  label: string
}

export interface Scale {
  readonly kind: 'linear' | 'log'
  readonly domain: readonly [number, number]
  readonly range: readonly [number, number]
  /** Data value → pixel. Log scales clamp values ≤ 0 to the domain's lower end. */
  map(v: number): number
  ticks(): Tick[]
}

/** Compact, locale-free number for a tick or a table: 0.05, 1.5, 12, 350, 2.5k, 1M. */
export function formatTick(v: number): string {
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1e6) return `${trim((v / 1e6).toPrecision(3))}M`
  if (a >= 1e4) return `${trim((v / 1e3).toPrecision(3))}k`
  if (a >= 100) return String(Math.round(v))
  return trim(v.toPrecision(a >= 1 ? 3 : 2))
}

function trim(s: string): string {
  return s.includes('e') ? String(Number(s)) : s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s
}

/** A step of 1, 2 or 5 × 10^k close to `span / count`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count)
  if (!(raw > 0) || !Number.isFinite(raw)) return 1
  const pow = 10 ** Math.floor(Math.log10(raw))
  const m = raw / pow
  return (m >= 5 ? 10 : m >= 2 ? 5 : m >= 1.5 ? 2 : 1) * pow
}

/** Linear domain widened to whole steps, so the first and last tick sit on the frame. */
export function niceLinearDomain(lo: number, hi: number, count = 5): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1]
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1
    return niceLinearDomain(lo - pad, hi + pad, count)
  }
  const step = niceStep(hi - lo, count)
  return [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step]
}

export function linearScale(domain: readonly [number, number], range: readonly [number, number], count = 5): Scale {
  const [d0, d1] = domain
  const [r0, r1] = range
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0)
  return {
    kind: 'linear',
    domain,
    range,
    map: (v) => r0 + (v - d0) * k,
    ticks: () => linearTicks(d0, d1, count),
  }
}

export function linearTicks(lo: number, hi: number, count = 5): Tick[] {
  const step = niceStep(hi - lo, count)
  const out: Tick[] = []
  const first = Math.ceil(lo / step - 1e-9)
  const last = Math.floor(hi / step + 1e-9)
  for (let i = first; i <= last && out.length < 50; i++) {
    const v = Number((i * step).toPrecision(12))
    out.push({ value: v, major: true, label: formatTick(v) })
  }
  return out
}

/**
 * Log domain around [lo, hi] (both > 0): widened a little, then to the nearest 1-2-5 values so the frame ends
 * on a labelled tick.
 */
export function niceLogDomain(lo: number, hi: number): [number, number] {
  let a = lo > 0 && Number.isFinite(lo) ? lo : 1
  let b = hi > 0 && Number.isFinite(hi) ? hi : a * 10
  if (b < a) [a, b] = [b, a]
  if (b / a < 2) {
    const mid = Math.sqrt(a * b)
    a = Math.min(a, mid / 1.5)
    b = Math.max(b, mid * 1.5)
  }
  return [down125(a), up125(b)]
}

const STEPS = [1, 2, 5, 10]

function down125(v: number): number {
  const pow = 10 ** Math.floor(Math.log10(v))
  let best = pow
  for (const m of STEPS) if (m * pow <= v * (1 + 1e-9)) best = m * pow
  return Number(best.toPrecision(12))
}

function up125(v: number): number {
  const pow = 10 ** Math.floor(Math.log10(v))
  for (const m of STEPS) if (m * pow >= v * (1 - 1e-9)) return Number((m * pow).toPrecision(12))
  return pow * 10
}

export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain
  const [r0, r1] = range
  const l0 = Math.log10(d0)
  const span = Math.log10(d1) - l0
  const k = span === 0 ? 0 : (r1 - r0) / span
  return {
    kind: 'log',
    domain,
    range,
    map: (v) => r0 + (Math.log10(v > 0 ? v : d0) - l0) * k,
    ticks: () => logTicks(d0, d1),
  }
}

/**
 * Ticks for a log axis: powers of ten when the axis spans several decades, 1-2-5 steps over a few, every digit
 * (labelled 1-2-5) over less than about one decade.
 */
export function logTicks(lo: number, hi: number): Tick[] {
  const decades = Math.log10(hi / lo)
  const labelled = decades > 4.5 ? [1] : decades > 1.6 ? [1, 2, 5] : decades > 0.7 ? [1, 2, 5] : [1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9]
  const marks = decades > 4.5 ? [1] : [1, 2, 3, 4, 5, 6, 7, 8, 9]
  const out: Tick[] = []
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)) + 1; e++) {
    const pow = 10 ** e
    const mantissas = [...new Set([...marks, ...labelled])].sort((a, b) => a - b)
    for (const m of mantissas) {
      const v = Number((m * pow).toPrecision(12))
      if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue
      const major = labelled.includes(m)
      out.push({ value: v, major, label: major ? formatTick(v) : '' })
    }
  }
  return out
}
