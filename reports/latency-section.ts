/**
 * The latency part of report.html (latency-methods.md §10): provenance, per experiment and shim the sample counts
 * and quantiles with distribution-free 95 % intervals, charts (ECDF with DKW band, percentile spectrum, histogram,
 * decomposition, time series, scaling curves, clock offsets), shim/native ratios, the regression gate's verdicts and
 * links to the raw exports. Static HTML and inline SVG only; every chart has its numbers in a table as well.
 */
import type { Experiment, GateVerdict, LatencySeriesReport, Metric, MetricSummary, QuantileEstimate } from '../lib/latency/model.js'
import { METRIC_MEANING } from '../lib/latency/model.js'
import { REFERENCE_BLOCK, REFERENCE_WHAT } from '../lib/latency/measure.js'
import { SPEED_FACTOR_LIMIT } from '../lib/latency/gate.js'
import { dkwEpsilon, sortedAscending } from '../lib/latency/stats.js'
import type { ResultsDocument } from '../lib/results/model.js'
import { COLUMN_PX, DOTS_UP_TO, ecdfChart, histogramChart, lineChart, logBins, quantileOfSorted, scatterChart, spectrumChart, stackedBarChart, timeSeriesChart } from './charts/plots.js'
import { formatTick } from './charts/scale.js'
import { type SeriesStyle, figure, styleAt } from './charts/svg.js'

type Esc = (v: unknown) => string
type Series = LatencySeriesReport

/** Where the latency exports sit, relative to report.html (both in the output directory). */
export const LATENCY_EXPORTS = {
  dir: 'latency',
  samples: 'latency/samples.csv',
  histograms: 'latency/histograms.hdr.txt',
  clock: 'latency/clock.csv',
} as const

/** The shim every ratio is taken against. */
export const NATIVE = 'native'

/** What the 2017 study reported as negative one-way times (latency-methods.md §1). */
export const STUDY_NEGATIVE = { go: 0.4638, python: 0.0668 } as const

const EXPERIMENT_TITLE: Record<Experiment, string> = {
  warm: 'Warm invocations',
  cold: 'Cold starts',
  payload: 'Payload size',
  concurrency: 'Concurrency',
  clock: 'Clock synchronisation and one-way times',
}

const METRIC_LABEL: Record<Metric, string> = {
  clientMs: 'client round trip',
  durationMs: 'handler Duration',
  overheadMs: 'overhead (round trip − Duration)',
  initMs: 'Init Duration',
  maxMemoryMb: 'Max Memory Used',
}

const TABLE_METRICS: Metric[] = ['clientMs', 'durationMs', 'overheadMs', 'initMs', 'maxMemoryMb']
const PERCENTILES = [50, 90, 99, 99.9] as const

const unit = (m: Metric): string => (m === 'maxMemoryMb' ? 'MB' : 'ms')

/** Latency with sensible precision: 0.123, 1.23, 12.3, 123, 1234. */
export function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–'
  const a = Math.abs(v)
  if (a >= 100) return v.toFixed(0)
  if (a >= 10) return v.toFixed(1)
  if (a >= 1) return v.toFixed(2)
  return v.toFixed(3)
}

function fmtPct(share: number): string {
  return `${(share * 100).toFixed(share < 0.001 && share > 0 ? 3 : 2)} %`
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US')
}

function fmtBytes(b: number): string {
  if (b >= 1_048_576) return `${formatTick(b / 1_048_576)} MiB`
  if (b >= 1024) return `${formatTick(b / 1024)} KiB`
  return `${b} B`
}

function fmtDuration(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(0)} ms`
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`
  return `${(ms / 60_000).toFixed(1)} min`
}

function signed(v: number, digits: (x: number) => string = fmtMs): string {
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${digits(Math.abs(v))}`
}

function quantile(m: MetricSummary | undefined, p: number): QuantileEstimate | undefined {
  return m?.quantiles.find((q) => Math.abs(q.p - p) < 1e-9)
}

function hasCi(q: QuantileEstimate | undefined): q is QuantileEstimate & { low: number; high: number } {
  return q !== undefined && q.low !== null && q.high !== null
}

/** "1.23 ms" with its interval under it, or "not enough samples" for the interval. */
function qCell(esc: Esc, q: QuantileEstimate | undefined): string {
  if (!q) return '<td class="num muted">–</td>'
  const ci = hasCi(q)
    ? `<span class="ci">[${fmtMs(q.low)}, ${fmtMs(q.high)}]</span>`
    : '<span class="ci nes">not enough samples</span>'
  return `<td class="num">${esc(fmtMs(q.value))}${ci}</td>`
}

// ---------------------------------------------------------------- shared data

interface Ctx {
  doc: ResultsDocument
  esc: Esc
  series: Series[]
  shimOrder: string[]
  style: (shim: string) => SeriesStyle
  sorted: (s: Series) => number[]
  /** Running count of charts, for unique ids. */
  chart: number
}

function shimOrder(doc: ResultsDocument, series: ReadonlyArray<Series>): string[] {
  const present = new Set(series.map((s) => s.shim))
  const ordered = [NATIVE, ...doc.shims.map((s) => s.name), ...[...present].sort()]
  return [...new Set(ordered)].filter((s) => present.has(s))
}

function makeCtx(doc: ResultsDocument, esc: Esc): Ctx {
  const series = doc.latency?.series ?? []
  const order = shimOrder(doc, series)
  const cache = new WeakMap<Series, number[]>()
  return {
    doc,
    esc,
    series,
    shimOrder: order,
    style: (shim) => styleAt(Math.max(0, order.indexOf(shim))),
    sorted: (s) => {
      let v = cache.get(s)
      if (!v) cache.set(s, (v = sortedAscending(s.samples.clientMs.filter((x) => Number.isFinite(x)))))
      return v
    },
    chart: 0,
  }
}

function byExperiment(ctx: Ctx, e: Experiment): Series[] {
  return ctx.series.filter((s) => s.experiment === e).sort((a, b) => ctx.shimOrder.indexOf(a.shim) - ctx.shimOrder.indexOf(b.shim) || (a.x ?? 0) - (b.x ?? 0) || a.variant.localeCompare(b.variant))
}

function chartId(ctx: Ctx, name: string): string {
  ctx.chart += 1
  return `lat-fig-${ctx.chart}-${name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase()}`
}

function seriesName(s: Series): string {
  return s.variant === '' ? s.shim : `${s.shim} · ${s.variant}`
}

function table(esc: Esc, head: string[], rows: string[][], opts: { numFrom?: number; caption?: string } = {}): string {
  const numFrom = opts.numFrom ?? 1
  const th = head.map((h, i) => `<th scope="col"${i >= numFrom ? ' class="num"' : ''}>${esc(h)}</th>`).join('')
  const body = rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${c}</th>` : `<td${i >= numFrom ? ' class="num"' : ''}>${c}</td>`)).join('')}</tr>`).join('\n')
  return `<table class="lat-data">${opts.caption ? `<caption>${esc(opts.caption)}</caption>` : ''}<thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`
}

// ---------------------------------------------------------------- (a) provenance

function provenance(ctx: Ctx): string {
  const { doc, esc } = ctx
  const host = doc.latency?.host
  const cfg = doc.config
  /** `k` is markup written here, never data. */
  const row = (k: string, v: string): string => `<div><dt>${k}</dt><dd>${v}</dd></div>`
  const shims = ctx.shimOrder.map((name) => {
    const s = doc.shims.find((x) => x.name === name)
    const art = s?.artifact ? ` <span class="muted">package ${esc(fmtBytes(s.artifact.bytes))}, sha256 <code>${esc(s.artifact.sha256.slice(0, 12))}</code></span>` : ''
    return `<code>${esc(name)}</code>${s ? ` <span class="muted">${esc(s.runtime)}</span>` : ''}${art}`
  })
  const clocks = ctx.series.filter((s) => s.clockAnalysis)
  const deltaMin = clocks.length > 0 ? Math.min(...clocks.map((s) => s.clockAnalysis!.deltaMinMs)) : null
  const setting = (k: string): string => {
    const v = cfg[k]
    return v === undefined ? '<span class="muted">not set</span>' : v === '' ? '<span class="muted">(none)</span>' : `<code>${esc(typeof v === 'string' ? v : JSON.stringify(v))}</code>`
  }
  const latencySettings = Object.keys(cfg).filter((k) => /PROFILE|BASELINE|LATENCY|CLOCK|SAMPLE/.test(k))
  const rows = [
    row('Kit', `${esc(doc.kit.name)} ${esc(doc.kit.version)} <code>${esc(doc.kit.commit ?? 'not a git checkout')}</code>`),
    row('Run', `${esc(doc.run.startedAt)} → ${esc(doc.run.finishedAt)} <span class="muted">(${esc(fmtDuration(doc.run.durationMs))}, ended ${esc(doc.run.reason)})</span>`),
    row('Caller machine', host
      ? `${esc(host.cpuModel)}, ${esc(host.cores)} cores, ${esc((host.memoryBytes / 2 ** 30).toFixed(1))} GiB memory; ${esc(host.os)} ${esc(host.kernel)} ${esc(host.arch)}`
      : '<span class="muted">not recorded</span>'),
    row('Node.js', `<code>${esc(doc.run.node)}</code> <span class="muted">${esc(doc.run.platform)}</span>`),
    row('Target', `${esc(doc.target.name)}${doc.target.endpoint ? ` <code>${esc(doc.target.endpoint)}</code>` : ''}`),
    row('Shims', shims.join('<br>')),
    ...latencySettings.map((k) => row(`<code>${esc(k)}</code>`, setting(k))),
    row('Configuration', `<a href="#h-config">all ${Object.keys(cfg).length} effective settings</a> <span class="muted">(secret values redacted)</span>`),
    row('Caller ↔ function δ<sub>min</sub>', deltaMin === null ? '<span class="muted">no clock series</span>' : `${esc(fmtMs(deltaMin))} ms <span class="muted">(smallest NTP round trip of the clock series; one-way times carry ± δ<sub>min</sub>/2)</span>`),
    row('Series', `${fmtInt(ctx.series.length)} series, ${fmtInt(ctx.series.reduce((a, s) => a + s.collected, 0))} samples kept, ${fmtInt(ctx.series.reduce((a, s) => a + s.errors, 0))} errors, ${fmtInt(ctx.series.reduce((a, s) => a + s.mislabelled, 0))} mislabelled`),
  ]
  return `<h3 id="h-lat-provenance">Provenance</h3>
<dl class="kv lat-prov">${rows.join('')}</dl>`
}

// ---------------------------------------------------------------- (b) per-experiment summary tables

function gateBadge(esc: Esc, g: GateVerdict | undefined): string {
  if (!g) return ''
  const v = VERDICT[g.verdict]
  return ` <span class="gate v-${esc(g.verdict)}" title="${esc(g.explanation)}">${esc(`${v.symbol} ${v.label}`)}</span>`
}

function summaryTable(ctx: Ctx, list: ReadonlyArray<Series>): string {
  const { esc } = ctx
  const groups = list.map((s) => {
    const counts = `requested ${fmtInt(s.requested)} · collected ${fmtInt(s.collected)} · errors ${fmtInt(s.errors)} · mislabelled ${fmtInt(s.mislabelled)} · ${esc(fmtDuration(s.elapsedMs))}`
    const metrics = TABLE_METRICS.filter((m) => (s.summary[m]?.n ?? 0) > 0)
    const rows = metrics.map((m) => {
      const ms = s.summary[m]!
      return `<tr><th scope="row" title="${esc(METRIC_MEANING[m])}">${esc(METRIC_LABEL[m])} <span class="muted">${unit(m)}</span></th><td class="num">${fmtInt(ms.n)}</td>${PERCENTILES.map((p) => qCell(esc, quantile(ms, p))).join('')}<td class="num">${esc(fmtMs(ms.max))}</td><td class="num">${esc(fmtMs(ms.mean))}</td><td class="num">${esc(`${(ms.cv * 100).toFixed(1)} %`)}</td></tr>`
    })
    if (rows.length === 0) rows.push(`<tr><td colspan="9" class="muted">No summary: the series could not be summarised (its raw samples are in the exports).</td></tr>`)
    return `<tbody>
<tr class="group"><th scope="rowgroup" colspan="9"><span class="swatch" style="background:${ctx.style(s.shim).colour}"></span>${esc(seriesName(s))}${gateBadge(esc, s.gate)} <span class="sub">${counts}</span></th></tr>
${rows.join('\n')}
</tbody>`
  })
  return `<div class="table-wrap"><table class="lat">
<thead><tr><th scope="col">Series / metric</th><th scope="col" class="num">n</th>${PERCENTILES.map((p) => `<th scope="col" class="num">p${p} <span class="ci">[95 % CI]</span></th>`).join('')}<th scope="col" class="num">max</th><th scope="col" class="num">mean</th><th scope="col" class="num">CV</th></tr></thead>
${groups.join('\n')}
</table></div>`
}

// ---------------------------------------------------------------- (c) charts for warm and cold

function windowTable(ctx: Ctx, s: Series): string {
  const n = s.samples.clientMs.length
  const windows = Math.min(10, n)
  const rows: string[][] = []
  for (let w = 0; w < windows; w++) {
    const a = Math.floor((w * n) / windows)
    const b = Math.floor(((w + 1) * n) / windows)
    const part = sortedAscending(s.samples.clientMs.slice(a, b))
    if (part.length === 0) continue
    rows.push([`${fmtInt(a)}–${fmtInt(b - 1)}`, fmtInt(part.length), fmtMs(quantileOfSorted(part, 0.5)), fmtMs(quantileOfSorted(part, 0.99)), fmtMs(part.at(-1)!)])
  }
  return table(ctx.esc, ['Invocations', 'n', 'p50 ms', 'p99 ms', 'max ms'], rows)
}

function experimentCharts(ctx: Ctx, e: 'warm' | 'cold', list: ReadonlyArray<Series>): string {
  const { esc } = ctx
  const withData = list.filter((s) => ctx.sorted(s).length > 0)
  if (withData.length === 0) return ''
  const what = e === 'warm' ? 'warm invocations' : 'cold starts'
  const figs: string[] = []

  // ECDF with DKW band
  const eps = (s: Series): number => dkwEpsilon(ctx.sorted(s).length, 0.05)
  const ecdfId = chartId(ctx, `${e}-ecdf`)
  figs.push(figure({
    id: ecdfId,
    svg: ecdfChart(withData.map((s) => ({ name: s.shim, style: ctx.style(s.shim), sorted: ctx.sorted(s), epsilon: eps(s) })), {
      id: ecdfId, label: `ECDF of the client round trip of ${what}, per shim, log x axis`, xTitle: 'client round trip (ms, log scale)', yTitle: 'share of invocations ≤ x',
    }),
    caption: `<strong>Distribution of the client round trip</strong>, ${esc(what)}: the empirical CDF of every sample (no binning) on a log axis, with the Dvoretzky–Kiefer–Wolfowitz 95 % band F̂ ± ε, ε = √(ln(2/α)/2n). The horizontal gap between curves is the shift at that share.`,
    table: table(esc, ['Shim', 'n', 'DKW ε', 'min ms', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], withData.map((s) => {
      const v = ctx.sorted(s)
      return [esc(s.shim), fmtInt(v.length), eps(s).toFixed(3), fmtMs(v[0]), fmtMs(quantileOfSorted(v, 0.5)), fmtMs(quantileOfSorted(v, 0.9)), fmtMs(quantileOfSorted(v, 0.99)), fmtMs(v.at(-1))]
    })),
  }))

  // percentile spectrum
  const specId = chartId(ctx, `${e}-spectrum`)
  const levels = [0, 0.5, 0.9, 0.99, 0.999, 0.9999]
  figs.push(figure({
    id: specId,
    svg: spectrumChart(withData.map((s) => ({ name: s.shim, style: ctx.style(s.shim), sorted: ctx.sorted(s), marks: s.summary.clientMs?.quantiles ?? [] })), {
      id: specId, label: `Percentile spectrum of the client round trip of ${what}, per shim`, xTitle: 'percentile (log scale of 1/(1 − p))', yTitle: 'client round trip (ms, log)',
    }),
    caption: `<strong>Percentile spectrum</strong>: latency at each percentile, the tail stretched out (x = 1/(1 − p): p90, p99, p99.9 are equally spaced). Markers are the reported quantiles (from the HdrHistogram) with their distribution-free 95 % intervals; a curve ends where its samples run out.`,
    table: table(esc, ['Shim', 'n', ...levels.map((p) => (p === 0 ? 'min' : `p${p * 100}`)), 'max'], withData.map((s) => {
      const v = ctx.sorted(s)
      return [esc(s.shim), fmtInt(v.length), ...levels.map((p) => (p === 0 ? fmtMs(v[0]) : 1 / (1 - p) <= v.length ? fmtMs(quantileOfSorted(v, p)) : '<span class="muted">n too small</span>')), fmtMs(v.at(-1))]
    })),
    tableSummary: 'Empirical percentiles (ms)',
  }))

  // histogram on log-spaced bins
  const histId = chartId(ctx, `${e}-histogram`)
  // Rice rule on the smallest series (2·∛n bins), between 10 and 40: 30 cold starts get 10 bins, 10,000 warm ones 40.
  const minN = Math.min(...withData.map((s) => ctx.sorted(s).length))
  const bins = logBins(withData.map((s) => ctx.sorted(s)), Math.max(10, Math.min(40, Math.ceil(2 * Math.cbrt(minN)))))
  const binRows = bins.edges.slice(0, -1).map((lo, b) => ({ lo, hi: bins.edges[b + 1]!, counts: bins.counts.map((c) => c[b]!) })).filter((r) => r.counts.some((c) => c > 0))
  figs.push(figure({
    id: histId,
    svg: histogramChart(withData.map((s) => ({ name: s.shim, style: ctx.style(s.shim), values: ctx.sorted(s) })), bins, {
      id: histId, label: `Histogram of the client round trip of ${what}, log-spaced bins, per shim`, xTitle: 'client round trip (ms, log-spaced bins)', yTitle: 'share of invocations per bin',
    }),
    caption: `<strong>Histogram</strong> on ${bins.counts[0]?.length ?? 0} log-spaced bins (each shim as its share of samples per bin): shows modes, for example a cold/warm mix or a GC tail. Bin choice can hide or invent modes; the ECDF above is the reference.`,
    table: table(esc, ['Bin (ms)', ...withData.map((s) => s.shim)], binRows.map((r) => [`${fmtMs(r.lo)}–${fmtMs(r.hi)}`, ...r.counts.map((c) => fmtInt(c))])),
    tableSummary: 'Counts per bin',
  }))

  // decomposition (stacked medians)
  const decId = chartId(ctx, `${e}-decomposition`)
  const p50 = (s: Series, m: Metric): number | null => quantile(s.summary[m], 50)?.value ?? null
  /** Median of round trip − Duration − Init per cold sample: what is left for the shim, runtime API and platform. */
  const restP50 = (s: Series): number | null => {
    const rest = s.samples.overheadMs.flatMap((o, i) => {
      const init = s.samples.initMs[i]
      return o !== null && init !== null && init !== undefined ? [o - init] : []
    })
    return rest.length === 0 ? null : quantileOfSorted(sortedAscending(rest), 0.5)
  }
  const comps: Array<{ name: string; style: SeriesStyle; value: (s: Series) => number | null }> = e === 'cold'
    ? [
        { name: 'handler Duration p50', style: { colour: '#0072B2', dash: '', marker: 'square' }, value: (s) => p50(s, 'durationMs') },
        { name: 'Init Duration p50', style: { colour: '#CC79A7', dash: '', marker: 'square' }, value: (s) => p50(s, 'initMs') },
        { name: 'rest p50 (round trip − Duration − Init)', style: { colour: '#E69F00', dash: '', marker: 'square' }, value: restP50 },
      ]
    : [
        { name: 'handler Duration p50', style: { colour: '#0072B2', dash: '', marker: 'square' }, value: (s) => p50(s, 'durationMs') },
        { name: 'overhead p50', style: { colour: '#E69F00', dash: '', marker: 'square' }, value: (s) => p50(s, 'overheadMs') },
      ]
  figs.push(figure({
    id: decId,
    svg: stackedBarChart(comps, withData.map((s) => ({ category: s.shim, values: comps.map((c) => c.value(s)), reference: p50(s, 'clientMs') })), {
      id: decId, label: `Decomposition of the median round trip of ${what}, per shim`, xTitle: 'shim', yTitle: 'ms (medians)', referenceLabel: 'client round trip p50',
    }),
    caption: e === 'cold'
      ? '<strong>Where a cold start goes</strong>: median handler Duration and Init Duration (REPORT line) and the median of what remains of the round trip (shim, runtime API, sandbox start and network), stacked; the diamond is the median round trip. Medians of parts need not add up to the median of the whole.'
      : '<strong>Where the time goes</strong>: median handler Duration (REPORT line) and median overhead (round trip − Duration: shim, runtime API, platform and network), stacked; the diamond is the median round trip. Medians of parts need not add up to the median of the whole.',
    table: table(esc, ['Shim', ...comps.map((c) => `${c.name} ms`), 'round trip p50 ms'], withData.map((s) => [esc(s.shim), ...comps.map((c) => fmtMs(c.value(s))), fmtMs(p50(s, 'clientMs'))])),
  }))

  // time series per series
  for (const s of withData) {
    const id = chartId(ctx, `${e}-time-${s.shim}`)
    const ys = s.samples.clientMs
    const xs = ys.map((_, i) => i)
    const flagged = e === 'warm' ? s.samples.cold.flatMap((c, i) => (c === true ? [i] : [])) : []
    const input = { style: ctx.style(s.shim), x: xs, y: ys, flagged, flaggedLabel: 'cold start' }
    figs.push(figure({
      id,
      svg: timeSeriesChart(input, { id, label: `Client round trip of each ${e} invocation of ${s.shim} in send order, log y axis`, xTitle: 'invocation (send order)', yTitle: 'round trip (ms, log)' }),
      caption: `<strong>${esc(s.shim)}: round trip over the run</strong> (${fmtInt(ys.length)} ${esc(what)} in send order): drift, warm-up, GC pauses and stray cold starts show here. ${ys.length > DOTS_UP_TO ? `Each ${COLUMN_PX}-pixel column shows the range (light) and the median (line) of the invocations it holds.` : 'One dot per invocation.'}`,
      table: windowTable(ctx, s),
      tableSummary: 'The run in ten windows',
    }))
  }
  return `<div class="charts">${figs.join('\n')}</div>`
}

// ---------------------------------------------------------------- (c) scaling: payload and concurrency

function scalingPoints(ctx: Ctx, list: ReadonlyArray<Series>, p: number): Map<string, Array<{ x: number; y: number; low: number | null; high: number | null }>> {
  const out = new Map<string, Array<{ x: number; y: number; low: number | null; high: number | null }>>()
  for (const s of list) {
    const q = quantile(s.summary.clientMs, p)
    if (s.x === undefined || !q) continue
    const arr = out.get(s.shim) ?? []
    arr.push({ x: s.x, y: q.value, low: q.low, high: q.high })
    out.set(s.shim, arr)
  }
  return out
}

function p50p99Chart(ctx: Ctx, list: ReadonlyArray<Series>, o: { id: string; label: string; xTitle: string; xTicksAt?: number[]; xTickLabel?: (v: number) => string }): string {
  const p50 = scalingPoints(ctx, list, 50)
  const p99 = scalingPoints(ctx, list, 99)
  const lines = ctx.shimOrder.flatMap((shim) => {
    const st = ctx.style(shim)
    const out = []
    if (p50.has(shim)) out.push({ name: `${shim} p50`, style: { ...st, dash: '' }, points: p50.get(shim)! })
    if (p99.has(shim)) out.push({ name: `${shim} p99`, style: { ...st, dash: '5 3' }, points: p99.get(shim)! })
    return out
  })
  return lineChart(lines, { id: o.id, label: o.label, xTitle: o.xTitle, yTitle: 'client round trip (ms, log)', xLog: true, yLog: true, ...(o.xTicksAt ? { xTicksAt: o.xTicksAt } : {}), ...(o.xTickLabel ? { xTickLabel: o.xTickLabel } : {}) })
}

function scalingTable(ctx: Ctx, list: ReadonlyArray<Series>, xLabel: string, fmtX: (x: number) => string, extra?: { head: string; cell: (s: Series) => string }): string {
  const { esc } = ctx
  const xs = [...new Set(list.flatMap((s) => (s.x === undefined ? [] : [s.x])))].sort((a, b) => a - b)
  const shims = ctx.shimOrder.filter((sh) => list.some((s) => s.shim === sh))
  const head = [xLabel, ...shims.flatMap((sh) => [`${sh} p50 ms`, `${sh} p99 ms`, ...(extra ? [`${sh} ${extra.head}`] : [])])]
  const cell = (q: QuantileEstimate | undefined): string => (q ? `${fmtMs(q.value)}${hasCi(q) ? `<span class="ci">[${fmtMs(q.low)}, ${fmtMs(q.high)}]</span>` : '<span class="ci nes">no CI: n too small</span>'}` : '–')
  const rows = xs.map((x) => [esc(fmtX(x)), ...shims.flatMap((sh) => {
    const s = list.find((v) => v.shim === sh && v.x === x)
    if (!s) return ['–', '–', ...(extra ? ['–'] : [])]
    return [cell(quantile(s.summary.clientMs, 50)), cell(quantile(s.summary.clientMs, 99)), ...(extra ? [extra.cell(s)] : [])]
  })])
  return `<div class="table-wrap">${table(esc, head, rows)}</div>`
}

const throughput = (s: Series): number => (s.elapsedMs > 0 ? (s.collected / s.elapsedMs) * 1000 : 0)

function payloadPart(ctx: Ctx, list: ReadonlyArray<Series>): string {
  const { esc } = ctx
  const withX = list.filter((s) => s.x !== undefined)
  if (withX.length === 0) return ''
  const id = chartId(ctx, 'payload-scaling')
  const xs = [...new Set(withX.map((s) => s.x!))].sort((a, b) => a - b)
  const noCi = withX.some((s) => !hasCi(quantile(s.summary.clientMs, 99)))
  return `<div class="charts">${figure({
    id,
    svg: p50p99Chart(ctx, withX, { id, label: 'Client round trip p50 and p99 against payload size, per shim, log axes', xTitle: 'payload (bytes, log scale)', xTicksAt: xs, xTickLabel: fmtBytes }),
    caption: `<strong>Payload size against round trip</strong>: p50 (solid) and p99 (dashed) per shim, each with its 95 % interval as an error bar.${noCi ? ' A p99 without a bar had too few samples for an interval (at n below 299 it is close to the largest sample).' : ''}`,
    table: scalingTable(ctx, withX, 'Payload', fmtBytes),
    tableSummary: 'p50 and p99 per payload size',
  })}</div>`
    + `<details class="lat-more"><summary>Full summaries per payload size (${withX.length} series)</summary>${summaryTable(ctx, withX)}</details>`
    + (list.length > withX.length ? summaryTable(ctx, list.filter((s) => s.x === undefined)) : '')
}

function concurrencyPart(ctx: Ctx, list: ReadonlyArray<Series>): string {
  const { esc } = ctx
  const withX = list.filter((s) => s.x !== undefined)
  if (withX.length === 0) return ''
  const xs = [...new Set(withX.map((s) => s.x!))].sort((a, b) => a - b)
  const id = chartId(ctx, 'concurrency-latency')
  const tid = chartId(ctx, 'concurrency-throughput')
  const thr = ctx.shimOrder.filter((sh) => withX.some((s) => s.shim === sh)).map((shim) => ({
    name: shim,
    style: ctx.style(shim),
    points: withX.filter((s) => s.shim === shim).map((s) => ({ x: s.x!, y: throughput(s) })),
  }))
  return `<p class="muted">Each level runs that many closed loops (invoke, wait, invoke): it measures service time under that much parallelism, not latency at a fixed arrival rate (coordinated omission, latency-methods.md §6).</p>
<div class="charts">${figure({
    id,
    svg: p50p99Chart(ctx, withX, { id, label: 'Client round trip p50 and p99 against concurrency, per shim', xTitle: 'concurrent callers (log scale)', xTicksAt: xs, xTickLabel: (v) => String(v) }),
    caption: '<strong>Round trip under concurrency</strong>: p50 (solid) and p99 (dashed) per shim with 95 % intervals.',
    table: scalingTable(ctx, withX, 'Concurrency', (x) => String(x)),
    tableSummary: 'p50 and p99 per level',
  })}
${figure({
    id: tid,
    svg: lineChart(thr, { id: tid, label: 'Throughput (invocations per second) against concurrency, per shim', xTitle: 'concurrent callers (log scale)', yTitle: 'invocations per second', xLog: true, yLog: false, yFromZero: true, xTicksAt: xs, xTickLabel: (v) => String(v) }),
    caption: '<strong>Throughput</strong>: samples collected ÷ wall time of the series. It levels off where the target or the shim saturates.',
    table: table(esc, ['Concurrency', ...thr.map((t) => `${t.name} inv/s`)], xs.map((x) => [String(x), ...thr.map((t) => {
      const p = t.points.find((q) => q.x === x)
      return p ? p.y.toFixed(1) : '–'
    })])),
  })}</div>
<details class="lat-more"><summary>Full summaries per concurrency level (${withX.length} series)</summary>${summaryTable(ctx, withX)}</details>`
    + (list.length > withX.length ? summaryTable(ctx, list.filter((s) => s.x === undefined)) : '')
}

// ---------------------------------------------------------------- clock

function clockPart(ctx: Ctx, list: ReadonlyArray<Series>): string {
  const { esc, doc } = ctx
  const analysed = list.filter((s) => s.clockAnalysis)
  if (analysed.length === 0) return list.length > 0 ? '<p class="muted">Clock series were measured but not analysed (see the exports).</p>' : ''
  const sameHost = doc.target.name !== 'aws'
  const rows = analysed.map((s) => {
    const c = s.clockAnalysis!
    const synth = s.clock ? `${signed(s.clock.syntheticOffsetMs)} ms<span class="ci">${signed(s.clock.syntheticDriftPpm, (v) => v.toFixed(0))} ppm</span>` : '–'
    const violated = (c.modelViolationMs ?? 0) > 0
      ? `<span class="ci warn" title="No linear clock fits every exchange with non-negative delays: the bounds are stated under a relaxation and are not guaranteed.">model violated by ${esc(fmtMs(c.modelViolationMs))} ms</span>`
      : ''
    return `<tr><th scope="row"><span class="swatch" style="background:${ctx.style(s.shim).colour}"></span>${esc(s.shim)}${s.variant ? `<span class="ci">${esc(s.variant)}</span>` : ''}</th>`
      + `<td class="num">${fmtInt(c.n)}</td>`
      + `<td class="num">${esc(fmtMs(c.deltaMinMs))}</td>`
      + `<td class="num">${esc(signed(c.offsetMs))} <span class="ci">± ${esc(fmtMs(c.offsetBoundMs))}</span></td>`
      + `<td class="num">${esc(signed(c.driftPpm, (v) => v.toFixed(0)))} <span class="ci">± ${esc(c.driftBoundPpm.toFixed(0))}</span>${c.driftLsPpm !== undefined ? `<span class="ci" title="least-squares drift through each window's min-δ exchange: a second estimate, without a bound">LS ${esc(signed(c.driftLsPpm, (v) => v.toFixed(0)))}</span>` : ''}${violated}</td>`
      + `<td class="num">${synth}</td>`
      + `<td class="num">${esc(fmtPct(c.rawNegativeFraction))} → ${esc(fmtPct(c.correctedNegativeFraction))}<span class="ci">impossible ${esc(fmtPct(c.impossibleFraction))}</span></td>`
      + `<td class="num">${esc(fmtMs(c.requestOneWayMedianMs))} / ${esc(fmtMs(c.responseOneWayMedianMs))} <span class="ci">± ${esc(fmtMs(c.oneWayBoundMs))}</span></td></tr>`
  })
  const ref = `<tr class="ref"><th scope="row">2017 study<span class="ci">reference, as reported; ≈ 10,000 invocations each</span></th><td class="num">–</td><td class="num">–</td><td class="num">–</td><td class="num">–</td><td class="num">–</td><td class="num">Go → EC2 ${fmtPct(STUDY_NEGATIVE.go)}<span class="ci">Python → Python ${fmtPct(STUDY_NEGATIVE.python)}; not corrected</span></td><td class="num">–</td></tr>`
  const tableHtml = `<div class="table-wrap"><table class="lat clock">
<thead><tr><th scope="col">Series</th><th scope="col" class="num">exchanges</th><th scope="col" class="num">δ<sub>min</sub> ms</th><th scope="col" class="num">offset θ̂ at start, ms <span class="ci">± bound</span></th><th scope="col" class="num">drift, ppm <span class="ci">± bound</span></th><th scope="col" class="num">synthetic error <span class="ci">the probe added</span></th><th scope="col" class="num">T2 − T1 &lt; 0 <span class="ci">raw → corrected</span></th><th scope="col" class="num">one-way p50, ms <span class="ci">request / response ± bound</span></th></tr></thead>
<tbody>
${rows.join('\n')}
${ref}
</tbody></table></div>`
  const figs = analysed.map((s) => {
    const c = s.clockAnalysis!
    const id = chartId(ctx, `clock-${s.key}`)
    const points = c.tMs.map((t, i) => ({ x: t / 1000, y: c.thetaMs[i]!, err: (c.deltaMs[i] ?? 0) / 2 }))
    const t0 = 0
    const t1 = Math.max(...c.tMs, 1) / 1000
    const fit = (tS: number): number => c.offsetMs + c.driftPpm * 1e-6 * tS * 1000
    const fitted = { name: 'fitted θ̂(t) = θ̂ + drift · t', style: { colour: '#1f2328', dash: '', marker: 'circle' as const }, from: [t0, fit(t0)] as [number, number], to: [t1, fit(t1)] as [number, number], width: 1.8 }
    const lines = [fitted]
    if (s.clock && sameHost) {
      const origin = s.clock.processStartMs ?? s.clock.t1Ms[0] ?? 0
      const first = s.clock.t1Ms[0] ?? origin
      const truth = (tS: number): number => s.clock!.syntheticOffsetMs + s.clock!.syntheticDriftPpm * 1e-6 * (first + tS * 1000 - origin)
      // Wide and dashed, under the fit: where the two agree, the truth shows as a halo around the fitted line.
      lines.unshift({ name: 'true θ (synthetic error; same host clock)', style: { colour: '#8c959f', dash: '10 5', marker: 'circle' as const }, from: [t0, truth(t0)], to: [t1, truth(t1)], width: 5 })
    }
    return figure({
      id,
      svg: scatterChart({ points, pointStyle: { ...ctx.style(s.shim), marker: 'circle' }, pointLabel: 'θᵢ per exchange (bar: ± δᵢ/2)', lines }, {
        id, label: `Clock offset per NTP exchange against time for ${seriesName(s)}, with the fitted line`, xTitle: 'time since the first exchange (s)', yTitle: 'offset θ = function − client (ms)',
      }),
      caption: `<strong>${esc(seriesName(s))}: clock offset over the run.</strong> Each exchange gives θᵢ = ½[(T2 − T1) + (T3 − T4)], true within ± δᵢ/2; the line is the fit (offset ${esc(signed(c.offsetMs))} ± ${esc(fmtMs(c.offsetBoundMs))} ms, drift ${esc(signed(c.driftPpm, (v) => v.toFixed(0)))} ± ${esc(c.driftBoundPpm.toFixed(0))} ppm).${s.clock && sameHost ? ' The local target shares the host clock, so the true offset is exactly the synthetic error the probe added (wide grey dashes).' : ''}`,
      table: table(esc, ['Quantity', 'value'], [
        ['exchanges', fmtInt(c.n)],
        ['δ<sub>min</sub> ms', fmtMs(c.deltaMinMs)],
        ['θ̂ at start ms', `${signed(c.offsetMs)} ± ${fmtMs(c.offsetBoundMs)}`],
        ['drift ppm', `${signed(c.driftPpm, (v) => v.toFixed(1))} ± ${c.driftBoundPpm.toFixed(1)}`],
        ['θ at the end of the fit ms', fmtMs(fit(t1))],
        ['θᵢ range ms (all exchanges; the axis shows the central 98 %)', `${fmtMs(Math.min(...c.thetaMs))} … ${fmtMs(Math.max(...c.thetaMs))}`],
      ]),
    })
  })
  return `<p class="muted">The 2017 study timed one-way trips with two unsynchronised clocks and found ${fmtPct(STUDY_NEGATIVE.go)} (Go) and ${fmtPct(STUDY_NEGATIVE.python)} (Python) of them negative. Here every invocation carries one NTP exchange (T1 client send, T2 handler entry, T3 handler return, T4 client receive); the offset and drift fitted over the run correct T2 − T1, and each corrected one-way time carries ± δ/2. "Impossible" counts corrected times whose whole interval lies below zero: it should be 0 when the estimate is right.</p>
${tableHtml}
<div class="charts">${figs.join('\n')}</div>`
}

// ---------------------------------------------------------------- (d) shim against native

export interface RatioRow {
  experiment: Experiment
  variant: string
  shim: string
  p: number
  ratio: number
  /** [low_s / high_n, high_s / low_n]; null when either interval is missing. */
  low: number | null
  high: number | null
}

/** Shim/native ratios of p50 and p99 of the client round trip, per experiment and variant. */
export function nativeRatios(series: ReadonlyArray<Series>): RatioRow[] {
  const out: RatioRow[] = []
  for (const s of series) {
    if (s.shim === NATIVE || s.experiment === 'clock') continue
    const n = series.find((v) => v.shim === NATIVE && v.experiment === s.experiment && v.variant === s.variant && v.x === s.x)
    if (!n) continue
    for (const p of [50, 99]) {
      const qs = quantile(s.summary.clientMs, p)
      const qn = quantile(n.summary.clientMs, p)
      if (!qs || !qn || !(qn.value > 0)) continue
      const ok = hasCi(qs) && hasCi(qn) && qn.low > 0
      out.push({ experiment: s.experiment, variant: s.variant, shim: s.shim, p, ratio: qs.value / qn.value, low: ok ? qs.low! / qn.high! : null, high: ok ? qs.high! / qn.low! : null })
    }
  }
  return out
}

function ratioPart(ctx: Ctx): string {
  const { esc } = ctx
  const rows = nativeRatios(ctx.series)
  if (rows.length === 0) return ''
  const keyOf = (r: RatioRow): string => `${r.experiment}\u0000${r.variant}\u0000${r.shim}`
  const keys = [...new Set(rows.map(keyOf))]
  const cell = (r: RatioRow | undefined): string => {
    if (!r) return '<td class="num muted">–</td>'
    const ci = r.low !== null && r.high !== null ? `<span class="ci">[${r.low.toFixed(2)}, ${r.high.toFixed(2)}]</span>` : '<span class="ci nes">not enough samples</span>'
    return `<td class="num">×${r.ratio.toFixed(2)}${ci}</td>`
  }
  const variantLabel = (experiment: Experiment, variant: string): string => {
    const s = ctx.series.find((v) => v.experiment === experiment && v.variant === variant)
    return experiment === 'payload' && s?.x !== undefined ? fmtBytes(s.x) : variant
  }
  let group = ''
  const body = keys.flatMap((k) => {
    const [experiment, variant, shim] = k.split('\u0000') as [Experiment, string, string]
    const p50 = rows.find((r) => keyOf(r) === k && r.p === 50)
    const p99 = rows.find((r) => keyOf(r) === k && r.p === 99)
    const head = experiment !== group ? [`<tr class="group"><th scope="rowgroup" colspan="4">${esc(EXPERIMENT_TITLE[experiment])}</th></tr>`] : []
    group = experiment
    return [...head, `<tr><th scope="row">${variant ? esc(variantLabel(experiment, variant)) : '<span class="muted">main series</span>'}</th><td><span class="swatch" style="background:${ctx.style(shim).colour}"></span>${esc(shim)}</td>${cell(p50)}${cell(p99)}</tr>`]
  })
  return `<h3 id="h-lat-ratio">Shims against <code>${NATIVE}</code></h3>
<p class="muted">Ratio of each shim's client round-trip quantile to the same quantile of <code>${NATIVE}</code> in the same experiment and variant. The interval is [low<sub>shim</sub> ÷ high<sub>native</sub>, high<sub>shim</sub> ÷ low<sub>native</sub>] from the two distribution-free 95 % intervals: it holds whenever both do, so with probability at least 90 %.</p>
<div class="table-wrap"><table class="lat">
<thead><tr><th scope="col">Experiment / variant</th><th scope="col">Shim</th><th scope="col" class="num">p50 shim ÷ native <span class="ci">[interval]</span></th><th scope="col" class="num">p99 shim ÷ native <span class="ci">[interval]</span></th></tr></thead>
<tbody>
${body.join('\n')}
</tbody></table></div>`
}

// ---------------------------------------------------------------- (e) regression gate

const VERDICT: Record<GateVerdict['verdict'], { symbol: string; label: string }> = {
  regressed: { symbol: '▲', label: 'regressed' },
  improved: { symbol: '▼', label: 'improved' },
  'within-noise': { symbol: '≈', label: 'within noise' },
  'no-change': { symbol: '=', label: 'no change' },
  inconclusive: { symbol: '?', label: 'inconclusive' },
  'no-baseline': { symbol: '–', label: 'no baseline' },
}

function gatePart(ctx: Ctx): string {
  const { esc } = ctx
  const verdicts = ctx.series.flatMap((s) => (s.gate ? [s.gate] : []))
  if (verdicts.length === 0) return ''
  const baseline = ctx.doc.config['CONFORMANCE_BASELINE']
  const counts = Object.entries(VERDICT).map(([k, v]) => ({ k, v, n: verdicts.filter((g) => g.verdict === k).length })).filter((c) => c.n > 0)
  const p = (x: number | null): string => (x === null ? '–' : x < 1e-4 ? x.toExponential(1) : x.toFixed(4))
  const rows = verdicts.map((g) => `<tr class="v-row v-${esc(g.verdict)}"><th scope="row"><code>${esc(g.key)}</code><br><span class="small muted">${esc(METRIC_LABEL[g.metric] ?? g.metric)}</span></th>`
    + `<td><span class="gate v-${esc(g.verdict)}">${esc(`${VERDICT[g.verdict].symbol} ${VERDICT[g.verdict].label}`)}</span></td>`
    + `<td class="num">${g.baselineMedianMs === null ? '–' : esc(fmtMs(g.baselineMedianMs))} → ${g.currentMedianMs === null ? '–' : esc(fmtMs(g.currentMedianMs))}<span class="ci">n ${fmtInt(g.baselineN)} → ${fmtInt(g.currentN)}</span></td>`
    + `<td class="num">${g.shiftMs === null ? '–' : esc(signed(g.shiftMs))}${g.shiftLowMs !== null && g.shiftHighMs !== null ? `<span class="ci">[${esc(fmtMs(g.shiftLowMs))}, ${esc(fmtMs(g.shiftHighMs))}]</span>` : ''}</td>`
    + `<td class="num">${esc(p(g.p))}</td><td class="num">${esc(p(g.alpha))}</td>`
    + `<td class="num">${g.thresholdMs === null ? '–' : `± ${esc(fmtMs(g.thresholdMs))}`}</td>`
    + `<td class="num">${g.speedFactor === null || g.speedFactor === undefined ? '–' : `÷ ${esc(g.speedFactor.toFixed(3))}`}</td>`
    + `<td>${esc(g.explanation)}</td></tr>`)
  return `<h3 id="h-lat-gate">Regression gate</h3>
<p class="muted">Each series against the baseline ${typeof baseline === 'string' && baseline !== '' ? `<code>${esc(baseline)}</code>` : ''} (latency-methods.md §9): Hodges–Lehmann shift (current − baseline) with its Moses 95 % interval and a two-sided Mann–Whitney test. <em>Regressed</em> or <em>improved</em> only when p &lt; α (after the multiplicity correction) <em>and</em> the whole interval lies beyond the noise threshold. Each series is compared twice: as measured, and at equal machine speed, after dividing the current samples by the speed factor (median <code>${esc(REFERENCE_WHAT)}</code> round trip, current ÷ baseline; one taken after every sample, or ${REFERENCE_BLOCK} before and after a concurrent series). A verdict of regressed or improved needs both; a speed factor beyond ×/÷ ${SPEED_FACTOR_LIMIT} is inconclusive and fails the test as a kit error. So a busier or slower machine is not read as a slower shim. ${counts.map((c) => `<span class="gate v-${esc(c.k)}">${esc(`${c.v.symbol} ${c.v.label}`)}</span> ${c.n}`).join(' ')}</p>
<div class="table-wrap"><table class="lat gate-table">
<thead><tr><th scope="col">Series</th><th scope="col">Verdict</th><th scope="col" class="num">median ms <span class="ci">baseline → current</span></th><th scope="col" class="num">shift ms <span class="ci">[95 % interval]</span></th><th scope="col" class="num">p</th><th scope="col" class="num">α</th><th scope="col" class="num">threshold</th><th scope="col" class="num">speed factor</th><th scope="col">Why</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></div>`
}

// ---------------------------------------------------------------- raw data

function exportsPart(ctx: Ctx): string {
  const hasClock = ctx.series.some((s) => s.clock)
  const link = (f: string, what: string): string => `<li><a href="${f}"><code>${f}</code></a>: ${what}</li>`
  return `<h3 id="h-lat-raw">Raw data</h3>
<p class="muted">Written beside this report (relative links; they work while the files stay together). <code>results.json</code> holds the same samples under <code>latency.series[]</code>.</p>
<ul class="exports">
${link(LATENCY_EXPORTS.samples, 'one row per sample: key, experiment, shim, variant, x, index, tMs, clientMs, durationMs, initMs, overheadMs, maxMemoryMb, cold.')}
${link(LATENCY_EXPORTS.histograms, 'one line per series and metric with the HdrHistogram in compressed base64 (<code>HISTF…</code>, values in thousandths of the unit: µs for ms), readable by <code>hdr.decodeFromCompressedBase64</code> and the Java and Go ports.')}
${hasClock ? link(LATENCY_EXPORTS.clock, 'one row per NTP exchange of the clock series: T1–T4 in ms since the epoch, θ and δ.') : ''}
</ul>`
}

// ---------------------------------------------------------------- the section

/** How many charts the section draws for a document (the Chromium check compares it with what rendered). */
export function latencyChartCount(doc: ResultsDocument): number {
  const series = doc.latency?.series ?? []
  const n = (e: Experiment, f: (s: Series) => boolean = () => true): number => series.filter((s) => s.experiment === e && f(s)).length
  const perClass = (e: 'warm' | 'cold'): number => {
    const k = n(e, (s) => s.samples.clientMs.some((v) => Number.isFinite(v)))
    return k > 0 ? 4 + k : 0
  }
  return perClass('warm') + perClass('cold')
    + (n('payload', (s) => s.x !== undefined) > 0 ? 1 : 0)
    + (n('concurrency', (s) => s.x !== undefined) > 0 ? 2 : 0)
    + n('clock', (s) => s.clockAnalysis !== undefined)
}

export function latencySection(doc: ResultsDocument, esc: Esc): string {
  if (!doc.latency || doc.latency.series.length === 0) return ''
  const ctx = makeCtx(doc, esc)
  const parts: string[] = []
  const toc: Array<[string, string]> = [['h-lat-provenance', 'Provenance']]
  for (const e of ['warm', 'cold', 'payload', 'concurrency', 'clock'] as const) {
    const list = byExperiment(ctx, e)
    if (list.length === 0) continue
    const id = `h-lat-${e}`
    toc.push([id, EXPERIMENT_TITLE[e]])
    const intro = {
      warm: 'Sequential invokes of a warm environment (invoke, wait, invoke): service time per call. Every sample was checked to be warm (no Init Duration on its REPORT line); mislabelled samples are counted, not kept.',
      cold: 'Each sample is a forced cold start (a configuration change between invokes), checked by the Init Duration on the REPORT line.',
      payload: 'Echo round trips with growing payloads, the same bytes each way.',
      concurrency: '',
      clock: '',
    }[e]
    let body: string
    if (e === 'warm' || e === 'cold') body = `${summaryTable(ctx, list)}${experimentCharts(ctx, e, list)}`
    else if (e === 'payload') body = payloadPart(ctx, list)
    else if (e === 'concurrency') body = concurrencyPart(ctx, list)
    else body = clockPart(ctx, list)
    parts.push(`<h3 id="${id}">${esc(EXPERIMENT_TITLE[e])} <span class="sub">${list.length} series</span></h3>${intro ? `<p class="muted">${esc(intro)}</p>` : ''}${body}`)
  }
  const ratio = ratioPart(ctx)
  if (ratio) toc.push(['h-lat-ratio', `Against ${NATIVE}`])
  const gate = gatePart(ctx)
  if (gate) toc.push(['h-lat-gate', 'Regression gate'])
  toc.push(['h-lat-raw', 'Raw data'])
  const samples = ctx.series.reduce((a, s) => a + s.collected, 0)
  return `<section aria-labelledby="h-latency" class="latency">
<h2 id="h-latency">Latency <span class="sub">${fmtInt(ctx.series.length)} series, ${fmtInt(samples)} samples</span></h2>
<p class="muted">All times in milliseconds. Quantiles come from an HdrHistogram of each series (3 significant digits) with a distribution-free 95 % confidence interval from order statistics under them; "not enough samples" means n is below what any two-sided 95 % interval needs (p50 6, p90 29, p99 299, p99.9 2,995). Counts show every sample requested, kept, failed or discarded as mislabelled. Each chart's numbers are in the table under it.</p>
<nav class="lat-toc" aria-label="Latency sections">${toc.map(([id, label]) => `<a href="#${id}">${esc(label)}</a>`).join('')}</nav>
${provenance(ctx)}
${parts.join('\n')}
${ratio}
${gate}
${exportsPart(ctx)}
</section>`
}

export const LATENCY_CSS = `
.latency h3{font-size:16px;margin:28px 0 6px;padding-top:4px}
.lat-toc{margin:6px 0 10px;font-size:13px}
.lat-toc a{margin-right:14px}
.lat-prov{grid-template-columns:max-content 1fr}
.table-wrap{overflow:auto}
table.lat{font-size:13px}
table.lat td.num,table.lat th.num{font-variant-numeric:tabular-nums}
table.lat tbody th[scope=row]{font-weight:400;padding-left:22px}
table.lat tr.group th{padding-left:10px;font-weight:600}
table.lat tr.ref{background:#fff8c5}
table.lat-data{font-size:12px;width:auto;min-width:60%}
table.lat-data td,table.lat-data th{padding:3px 8px;font-variant-numeric:tabular-nums}
.ci{display:block;font-size:11px;font-weight:400;color:var(--muted);white-space:nowrap}
.nes{font-style:italic}
.warn{color:#9a6700;font-style:italic}
table.clock tbody th[scope=row]{padding-left:10px;min-width:150px}
table.clock .ci{white-space:normal}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:baseline}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:16px 20px;margin:12px 0 8px}
.chart-fig{border:1px solid var(--line);border-radius:6px;padding:10px 12px 8px;background:#fff}
.chart-fig figcaption{font-weight:400;font-size:12.5px;color:var(--fg);margin:6px 0 0;line-height:1.45}
svg.chart{display:block;width:100%;height:auto}
svg.chart text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;font-size:11px;fill:#1f2328}
svg.chart .c-tl{fill:#59636e}
svg.chart .c-title{font-size:11.5px;font-weight:600}
svg.chart .c-inbar{fill:#fff;font-weight:600}
svg.chart .c-grid{stroke:#d8dee4;stroke-width:1;fill:none}
svg.chart .c-grid-minor{stroke:#eff2f5;stroke-width:1;fill:none}
svg.chart .c-frame{fill:none;stroke:#8c959f;stroke-width:1}
svg.chart .c-tick{stroke:#8c959f;stroke-width:1}
details.chart-data,details.lat-more{margin:8px 0 0;box-shadow:none}
details.chart-data summary,details.lat-more summary{font-size:12px;color:var(--accent);padding:3px 8px}
details.chart-data table{margin:4px 8px 8px}
.gate{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600;border:1px solid;white-space:nowrap}
.v-regressed.gate{background:#ffebe9;border-color:#cf222e;color:#a40e26}
.v-improved.gate{background:#dafbe1;border-color:#1a7f37;color:#116329}
.v-within-noise.gate{background:#eaeef2;border-color:#afb8c1;color:#424a53}
.v-no-change.gate{background:#f6f8fa;border-color:#d1d9e0;color:#424a53}
.v-inconclusive.gate{background:#fff8c5;border-color:#d4a72c;color:#7d4e00}
.v-no-baseline.gate{background:#fff;border-color:#d1d9e0;border-style:dashed;color:#59636e}
tr.v-regressed{background:#fff5f5}
tr.v-improved{background:#f4fdf6}
ul.exports li{margin:2px 0}
@media print{
  .charts{grid-template-columns:1fr;gap:8px}
  .chart-fig{padding:4px;max-width:17cm}
  .table-wrap{overflow:visible}
}
`
