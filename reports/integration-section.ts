/**
 * One table per trigger experiment (the study's second experiment): per shim, what the function received and
 * logged for each integration, read from the `integration` suite's observed summaries, and where a shim cannot
 * serve a trigger at all (its cells fail, or say why they were skipped).
 */
import type { ResultsDocument, Status, TestRecord } from '../lib/results/model.js'
import { orderedShims } from './study-comparison.js'

export interface IntegrationTable {
  columns: { behaviour: string; title: string }[]
  rows: { shim: string; cells: ({ status: Status; summary: string } | null)[] }[]
}

export function integrationTable(doc: ResultsDocument): IntegrationTable | null {
  const tests = doc.tests.filter((t) => t.suite === 'integration' && t.shim !== null)
  if (tests.length === 0) return null
  const columns = [...new Map(tests.map((t) => [t.behaviour!, { behaviour: t.behaviour!, title: t.title }])).values()].sort((a, b) => a.behaviour.localeCompare(b.behaviour))
  const find = (shim: string, behaviour: string): TestRecord | undefined => tests.find((t) => t.shim === shim && t.behaviour === behaviour)
  const rows = orderedShims(doc, tests).map((shim) => ({
    shim,
    cells: columns.map(({ behaviour }) => {
      const t = find(shim, behaviour)
      if (!t) return null
      const summary = (t.observed as { summary?: string } | undefined)?.summary
      return { status: t.status, summary: summary ?? t.reason ?? t.message ?? '' }
    }),
  }))
  return { columns, rows }
}

export function integrationSection(doc: ResultsDocument, esc: (v: unknown) => string, badge: (s: Status) => string): string {
  const data = integrationTable(doc)
  if (!data) return ''
  const head = data.columns.map((c) => `<th scope="col"><code>${esc(c.behaviour)}</code><br><span class="small muted">${esc(c.title)}</span></th>`).join('')
  const body = data.rows.map((r) => `<tr><th scope="row">${esc(r.shim)}</th>${r.cells.map((c) => (c ? `<td>${badge(c.status)}<br><span class="small">${esc(c.summary)}</span></td>` : '<td class="muted">not run</td>')).join('')}</tr>`)
  return `<section aria-labelledby="h-integration">
<h2 id="h-integration">Triggers <span class="sub">what each shim received and logged from AWS services</span></h2>
<p class="muted">Each function was wired to the service as on AWS (event source mappings, subscriptions); the evidence is read back through CloudWatch Logs and the services' own APIs, never from the emulator's internals.</p>
<div class="matrix-wrap">
<table class="study">
<thead><tr><th scope="col">Shim</th>${head}</tr></thead>
<tbody>
${body.join('\n')}
</tbody>
</table>
</div>
</section>`
}
