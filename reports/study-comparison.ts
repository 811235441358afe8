/**
 * The comparison the 2017 study made, as one table: per shim, what the caller sees for a Go panic, an os.Exit, a
 * timeout and an OOM, whether stdout/stderr reach the log, and what the package, a cold start and a warm invoke
 * cost against the native oracle. Built from the `study` suite's observed values in the results document.
 */
import type { ResultsDocument, Status, TestRecord } from '../lib/results/model.js'

/** The oracle every ratio is taken against. */
export const ORACLE = 'native'

const COLUMNS: { behaviour: string; label: string }[] = [
  { behaviour: 'STUDY-PANIC-001', label: 'Go panic' },
  { behaviour: 'STUDY-EXIT-001', label: 'os.Exit(3)' },
  { behaviour: 'STUDY-TIMEOUT-001', label: 'Infinite loop' },
  { behaviour: 'STUDY-OOM-001', label: 'Memory bomb' },
  { behaviour: 'STUDY-LOGS-001', label: 'stdout / stderr' },
]
const COST = 'STUDY-COST-001'

interface Cost {
  coldMedianMs?: number
  coldInitMedianMs?: number
  warmMedianMs?: number
  samples?: { cold: number; warm: number }
}

export interface ComparisonCell {
  status: Status
  summary: string
  anchor?: string
}

export interface ComparisonRow {
  shim: string
  cells: (ComparisonCell | null)[]
  packageBytes: number | null
  cold: { medianMs: number; initMs?: number; ratio: number | null } | null
  warm: { medianMs: number; ratio: number | null } | null
}

/** Shims that ran any of `tests`: the oracle first, then the others in run order. */
export function orderedShims(doc: ResultsDocument, tests: ReadonlyArray<TestRecord>): string[] {
  return [...new Set([ORACLE, ...doc.shims.map((s) => s.name), ...tests.map((t) => t.shim!)])].filter((s) => tests.some((t) => t.shim === s))
}

/** Pure data for the table (also handy for tests). Null when the study suite did not run. */
export function comparisonRows(doc: ResultsDocument): { columns: string[]; rows: ComparisonRow[] } | null {
  const study = doc.tests.filter((t) => t.suite === 'study' && t.shim !== null)
  if (study.length === 0) return null
  const shims = orderedShims(doc, study)
  const find = (shim: string, behaviour: string): TestRecord | undefined => study.find((t) => t.shim === shim && t.behaviour === behaviour)
  const cost = (shim: string): Cost | undefined => find(shim, COST)?.observed as Cost | undefined
  const base = cost(ORACLE)
  const ratio = (x: number | undefined, b: number | undefined): number | null => (x !== undefined && b !== undefined && b > 0 ? x / b : null)
  const rows = shims.map((shim): ComparisonRow => {
    const c = cost(shim)
    return {
      shim,
      cells: COLUMNS.map(({ behaviour }) => {
        const t = find(shim, behaviour)
        if (!t) return null
        const observed = (t.observed ?? {}) as { summary?: string }
        return { status: t.status, summary: observed.summary ?? t.reason ?? t.message ?? '' }
      }),
      packageBytes: doc.shims.find((s) => s.name === shim)?.artifact?.bytes ?? null,
      cold: c?.coldMedianMs !== undefined ? { medianMs: c.coldMedianMs, initMs: c.coldInitMedianMs, ratio: ratio(c.coldMedianMs, base?.coldMedianMs) } : null,
      warm: c?.warmMedianMs !== undefined ? { medianMs: c.warmMedianMs, ratio: ratio(c.warmMedianMs, base?.warmMedianMs) } : null,
    }
  })
  return { columns: COLUMNS.map((c) => c.label), rows }
}

export function comparisonSection(doc: ResultsDocument, esc: (v: unknown) => string, badge: (s: Status) => string): string {
  const data = comparisonRows(doc)
  if (!data) return ''
  const times = (r: number | null): string => (r === null ? '' : ` <span class="muted">(×${r.toFixed(2)})</span>`)
  const body = data.rows.map((r) => {
    const cells = r.cells.map((c) => (c ? `<td>${badge(c.status)}<br><span class="small">${esc(c.summary)}</span></td>` : '<td class="muted">not run</td>'))
    const pkg = r.packageBytes === null ? '–' : `${(r.packageBytes / 1024 / 1024).toFixed(2)} MiB`
    const cold = r.cold ? `${r.cold.medianMs.toFixed(1)} ms${times(r.cold.ratio)}${r.cold.initMs !== undefined ? `<br><span class="small muted">init ${r.cold.initMs.toFixed(1)} ms</span>` : ''}` : '–'
    const warm = r.warm ? `${r.warm.medianMs.toFixed(2)} ms${times(r.warm.ratio)}` : '–'
    return `<tr><th scope="row">${esc(r.shim)}</th>${cells.join('')}<td class="num">${pkg}</td><td class="num">${cold}</td><td class="num">${warm}</td></tr>`
  })
  return `<section aria-labelledby="h-study">
<h2 id="h-study">Shim comparison <span class="sub">the 2017 study's experiments, measured</span></h2>
<p class="muted">What the caller sees when Go code misbehaves, whether a Go stack trace survives, and what each shim costs. Times are client round-trip medians of a small sample (cold starts forced by a configuration change); ratios are against <code>${ORACLE}</code>.</p>
<div class="matrix-wrap">
<table class="study">
<thead><tr><th scope="col">Shim</th>${data.columns.map((c) => `<th scope="col">${esc(c)}</th>`).join('')}<th scope="col">Package</th><th scope="col">Cold start</th><th scope="col">Warm invoke</th></tr></thead>
<tbody>
${body.join('\n')}
</tbody>
</table>
</div>
</section>`
}
