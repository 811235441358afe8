/**
 * Writes `<CONFORMANCE_OUTPUT_DIR>/report.html`: one self-contained page (inline CSS, no script, no external
 * resource, no outbound link) that reads well with JavaScript disabled and prints cleanly.
 */
import type { SerializedError, TestModule, TestRunEndReason } from 'vitest/node'
import { redact } from '../lib/config.js'
import { type PropertyRun, type ResultsDocument, type Status, STATUSES, type TestRecord } from '../lib/results/model.js'
import { closingCounts, closingLine, countByStatus, isStrict, OUTPUT_FILES, STATUS_MEANING, worstStatus } from './collect.js'
import { RunEndReporter, writeRunOutput } from './output.js'
import { integrationSection } from './integration-section.js'
import { LATENCY_CSS, latencySection } from './latency-section.js'
import { comparisonSection } from './study-comparison.js'

export interface HtmlOptions {
  /** File name inside the output directory, or an absolute path. Default `report.html`. */
  fileName?: string
  /** Environment for the configuration and for redaction. Default `process.env`. */
  env?: NodeJS.ProcessEnv
}

export interface RenderHtmlOptions {
  /** Count unexpected passes as failures. Default: the document's CONFORMANCE_STRICT. */
  strict?: boolean
  /** Secrets in this environment are redacted once more before rendering. Default `process.env`. */
  env?: NodeJS.ProcessEnv
}

import { esc } from './escape.js'


function json(value: unknown): string {
  if (value === undefined) return '(not recorded)'
  try {
    return JSON.stringify(value, null, 2) ?? String(value)
  } catch {
    return String(value)
  }
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(1)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, ' UTC')
}

function badge(status: Status, href?: string, suffix = ''): string {
  const label = `${esc(status)}${suffix}`
  const title = `${status}: ${STATUS_MEANING[status]}`
  return href === undefined
    ? `<span class="badge st-${status}" title="${esc(title)}">${label}</span>`
    : `<a class="badge st-${status}" href="#${href}" title="${esc(title)}">${label}</a>`
}

/** Unique, attribute-safe anchors derived from the test ids. */
function anchors(tests: ReadonlyArray<TestRecord>): Map<TestRecord, string> {
  const used = new Set<string>()
  const out = new Map<TestRecord, string>()
  for (const t of tests) {
    const base = `t-${t.id.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '')}`
    let a = base
    for (let i = 2; used.has(a); i++) a = `${base}-${i}`
    used.add(a)
    out.set(t, a)
  }
  return out
}

const NO_SHIM = '(no shim)'

function header(doc: ResultsDocument, strict: boolean): string {
  const c = closingCounts(doc, strict)
  const ok = c.failed === 0 && doc.run.reason !== 'interrupted'
  const commit = doc.kit.commit === null ? 'not a git checkout' : doc.kit.commit.slice(0, 12)
  const interrupted = doc.run.reason === 'interrupted'
    ? '<p class="banner">The run was interrupted: these results are partial.</p>'
    : ''
  return `<header>
<h1>Conformance report <span class="sub">${esc(doc.kit.name)}</span></h1>
<dl class="facts">
<div><dt>Kit</dt><dd>${esc(doc.kit.version)} <code title="${esc(doc.kit.commit ?? '')}">${esc(commit)}</code></dd></div>
<div><dt>Target</dt><dd>${esc(doc.target.name)}${doc.target.endpoint ? ` <code>${esc(doc.target.endpoint)}</code>` : ''}</dd></div>
<div><dt>Shims</dt><dd>${doc.shims.length}</dd></div>
<div><dt>Started</dt><dd>${esc(when(doc.run.startedAt))}</dd></div>
<div><dt>Duration</dt><dd>${esc(duration(doc.run.durationMs))}</dd></div>
<div><dt>Run ended</dt><dd>${esc(doc.run.reason)}</dd></div>
</dl>
${interrupted}
<p class="verdict ${ok ? 'ok' : 'bad'}" id="verdict">${esc(closingLine(c))}${strict ? ' <span class="sub">(strict mode)</span>' : ''}</p>
</header>`
}

function meter(doc: ResultsDocument): string {
  const total = doc.summary.total
  const shown = [...STATUSES].reverse()
  const segments = total === 0 ? '' : shown
    .filter((s) => doc.summary.byStatus[s] > 0)
    .map((s) => {
      const n = doc.summary.byStatus[s]
      return `<span class="st-${s}" style="width:${((n / total) * 100).toFixed(3)}%" title="${esc(`${s}: ${n}`)}"></span>`
    })
    .join('')
  const label = shown.map((s) => `${s} ${doc.summary.byStatus[s]}`).join(', ')
  const legend = shown
    .map((s) => `<li>${badge(s)} <strong>${doc.summary.byStatus[s]}</strong> <span class="muted">${esc(STATUS_MEANING[s])}</span></li>`)
    .join('\n')
  return `<section aria-labelledby="h-summary">
<h2 id="h-summary">Summary <span class="sub">${total} test${total === 1 ? '' : 's'}</span></h2>
<div class="meter" role="img" aria-label="${esc(label)}">${segments}</div>
<ul class="legend">
${legend}
</ul>
</section>`
}

function shimColumns(doc: ResultsDocument, conformance: ReadonlyArray<TestRecord>): string[] {
  const cols = doc.shims.map((s) => s.name)
  const extra = [...new Set(conformance.map((t) => t.shim).filter((s): s is string => s !== null && !cols.includes(s)))].sort()
  const out = [...cols, ...extra]
  if (conformance.some((t) => t.shim === null)) out.push(NO_SHIM)
  return out
}

function matrix(doc: ResultsDocument, conformance: ReadonlyArray<TestRecord>, anchor: Map<TestRecord, string>, strict: boolean): string {
  if (conformance.length === 0) {
    return '<section aria-labelledby="h-matrix"><h2 id="h-matrix">Behaviours × shims</h2><p class="muted">No conformance test ran.</p></section>'
  }
  const cols = shimColumns(doc, conformance)
  const byBehaviour = new Map<string, TestRecord[]>()
  for (const t of conformance) {
    const key = t.behaviour ?? ''
    byBehaviour.set(key, [...(byBehaviour.get(key) ?? []), t])
  }
  const rows = [...byBehaviour.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([behaviour, tests]) => {
    const first = tests[0]!
    const cells = cols.map((col) => {
      const here = tests.filter((t) => (t.shim ?? NO_SHIM) === col)
      const worst = worstStatus(here.map((t) => t.status))
      if (worst === null) return '<td class="cell"><span class="none" title="not run">–</span></td>'
      const target = here.find((t) => t.status === worst) ?? here[0]!
      return `<td class="cell">${badge(worst, anchor.get(target), here.length > 1 ? ` ×${here.length}` : '')}</td>`
    })
    return `<tr><th scope="row"><a href="#${anchor.get(first)}"><code>${esc(behaviour)}</code></a></th><td>${esc(first.title)}</td><td>${first.level ? `<span class="level lv-${esc(first.level)}">${esc(first.level)}</span>` : ''}</td>${cells.join('')}</tr>`
  })
  const foot = cols.map((col) => {
    const c = closingCounts({ summary: { total: 0, byStatus: countByStatus(conformance.filter((t) => (t.shim ?? NO_SHIM) === col)) } }, strict)
    return `<td class="cell tally"><span class="ok-n">${c.passed}</span> / <span class="bad-n">${c.failed}</span> / <span>${c.skipped}</span></td>`
  })
  return `<section aria-labelledby="h-matrix">
<h2 id="h-matrix">Behaviours × shims</h2>
<p class="muted">Each cell links to its detail. A cell holding several tests shows the most severe status.</p>
<div class="matrix-wrap">
<table class="matrix">
<thead><tr><th scope="col">Behaviour</th><th scope="col">Title</th><th scope="col">Level</th>${cols.map((c) => `<th scope="col" class="cell">${esc(c)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
<tfoot><tr><th scope="row" colspan="3">passed / failed / skipped</th>${foot.join('')}</tr></tfoot>
</table>
</div>
</section>`
}

/** One word or phrase for how a property run ended. */
function propertyResult(p: PropertyRun): string {
  if (p.failed) return p.replay === 'case' ? 'failed (replayed case)' : p.interrupted ? 'failed (shrinking cut short by its time limit)' : 'failed'
  if (p.replay === 'case') return 'passed (replayed case did not fail)'
  if (p.interrupted) return `passed, interrupted after ${p.runs} of ${p.numRuns} runs`
  return 'passed'
}

/** The property runs of one test: seed, runs, result and the replay command; the shrunk case for a failure. */
function propertyRuns(t: TestRecord): string {
  const runs = t.properties ?? []
  if (runs.length === 0) return ''
  const rows = runs.map((p) => {
    const failure = p.failed
      ? `<tr class="sub-row"><td colspan="6"><dl class="kv">${[
          p.path !== undefined ? `<div><dt>Path</dt><dd><code>${esc(p.path)}</code></dd></div>` : '',
          p.counterexample !== undefined ? `<div><dt>Counterexample</dt><dd><code>${esc(p.counterexample)}</code></dd></div>` : '',
          p.event ? `<div><dt>Sent</dt><dd><code>${esc(p.event.head)}</code><br><span class="muted">${p.event.bytes.toLocaleString('en-US')} bytes · sha256 <code>${esc(p.event.sha256)}</code></span></dd></div>` : '',
          p.error !== undefined ? `<div><dt>Failure</dt><dd><pre class="message">${esc(p.error)}</pre></dd></div>` : '',
        ].join('')}</dl></td></tr>`
      : ''
    return `<tr><td>${esc(p.name)}</td><td class="num"><code>${esc(p.seed)}</code></td><td class="num">${p.runs} / ${p.numRuns}</td><td class="num">${p.shrinks}</td><td>${esc(propertyResult(p))}</td><td><code class="cmd">${esc(p.command)}</code></td></tr>${failure}`
  })
  return `<h4>Property runs</h4>
<table class="props">
<thead><tr><th scope="col">Property</th><th scope="col" class="num">Seed</th><th scope="col" class="num">Runs</th><th scope="col" class="num">Shrinks</th><th scope="col">Result</th><th scope="col">${runs.some((p) => p.failed && p.path !== undefined) ? 'Replay this case' : 'Rerun with this seed'}</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`
}

/** Every property run of the run, one row each, linking to the test's detail. */
function propertySection(conformance: ReadonlyArray<TestRecord>, anchor: Map<TestRecord, string>): string {
  const withRuns = conformance.filter((t) => (t.properties ?? []).length > 0)
  if (withRuns.length === 0) return ''
  const sorted = [...withRuns].sort((a, b) => (a.behaviour ?? '').localeCompare(b.behaviour ?? '') || (a.shim ?? '').localeCompare(b.shim ?? ''))
  const rows = sorted.flatMap((t) =>
    (t.properties ?? []).map(
      (p) =>
        `<tr><th scope="row"><a href="#${anchor.get(t)}"><code>${esc(t.behaviour ?? t.id)}</code></a></th><td>${esc(t.shim ?? NO_SHIM)}</td><td>${badge(t.status)}</td><td>${esc(p.name)}</td><td class="num"><code>${esc(p.seed)}</code></td><td class="num">${p.runs} / ${p.numRuns}</td><td>${esc(propertyResult(p))}${p.path !== undefined ? `<br><span class="muted">path <code>${esc(p.path)}</code></span>` : ''}</td><td><code class="cmd">${esc(p.command)}</code></td></tr>`,
    ),
  )
  const total = sorted.reduce((n, t) => n + (t.properties ?? []).reduce((m, p) => m + p.runs, 0), 0)
  return `<section aria-labelledby="h-properties">
<h2 id="h-properties">Property runs <span class="sub">${total.toLocaleString('en-US')} cases</span></h2>
<p class="muted">fast-check properties: the seed of each run, and one command that reruns it (CONFORMANCE_REPLAY). For a failed property the command replays exactly its shrunk counterexample, once.</p>
<table class="props">
<thead><tr><th scope="col">Behaviour</th><th scope="col">Shim</th><th scope="col">Status</th><th scope="col">Property</th><th scope="col" class="num">Seed</th><th scope="col" class="num">Runs</th><th scope="col">Result</th><th scope="col">Command</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>`
}

function detail(t: TestRecord, anchor: string): string {
  const open = t.status === 'fail' || t.status === 'error' || t.status === 'unexpected-pass' ? ' open' : ''
  const row = (k: string, v: string | undefined): string => (v === undefined || v === '' ? '' : `<div><dt>${k}</dt><dd>${v}</dd></div>`)
  const facts = [
    row('Status', `${badge(t.status)} <span class="muted">${esc(STATUS_MEANING[t.status])}</span>`),
    row('Level', t.level ? esc(t.level) : undefined),
    row('Shim', esc(t.shim ?? NO_SHIM)),
    row('Target', esc(t.target)),
    row('Suite', esc(t.suite)),
    row('Variant', t.variant === undefined ? undefined : esc(t.variant)),
    row('Source', t.source === undefined ? undefined : `<span class="src">${esc(t.source)}</span>`),
    row('Reason', t.reason === undefined ? undefined : esc(t.reason)),
    row('Duration', esc(duration(t.durationMs))),
    row('File', `<code>${esc(t.file)}</code>`),
    row('Id', `<code>${esc(t.id)}</code>`),
  ].join('')
  const message = t.message === undefined ? '' : `<h4>Message</h4><pre class="message">${esc(t.message)}</pre>`
  return `<details id="${anchor}"${open}>
<summary>${badge(t.status)} <code>${esc(t.behaviour ?? t.id)}</code> <span class="shim">${esc(t.shim ?? NO_SHIM)}</span> ${esc(t.title)}</summary>
<div class="detail">
<dl class="kv">${facts}</dl>
<div class="pair">
<figure><figcaption>Expected</figcaption><pre>${esc(json(t.expected))}</pre></figure>
<figure><figcaption>Observed</figcaption><pre>${esc(json(t.observed))}</pre></figure>
</div>
${propertyRuns(t)}
${message}
</div>
</details>`
}

function details(conformance: ReadonlyArray<TestRecord>, anchor: Map<TestRecord, string>): string {
  if (conformance.length === 0) return ''
  const sorted = [...conformance].sort((a, b) => (a.behaviour ?? '').localeCompare(b.behaviour ?? '') || (a.shim ?? '').localeCompare(b.shim ?? ''))
  return `<section aria-labelledby="h-details">
<h2 id="h-details">Details</h2>
<p class="muted">Failures, errors and unexpected passes are open; select any other line to expand it.</p>
${sorted.map((t) => detail(t, anchor.get(t)!)).join('\n')}
</section>`
}

function shimTable(doc: ResultsDocument): string {
  if (doc.shims.length === 0) {
    return '<section aria-labelledby="h-shims"><h2 id="h-shims">Shims</h2><p class="muted">No shim was loaded for this run.</p></section>'
  }
  const rows = doc.shims.map((s) => {
    const art = s.artifact
      ? `<code>${esc(s.artifact.file)}</code><br><span class="muted">${s.artifact.bytes.toLocaleString('en-US')} bytes · sha256 <code title="${esc(s.artifact.sha256)}">${esc(s.artifact.sha256.slice(0, 12))}</code></span>`
      : '<span class="muted">not built</span>'
    const caps = s.capabilities.length === 0 ? '<span class="muted">none</span>' : s.capabilities.map((c) => `<span class="cap">${esc(c)}</span>`).join(' ')
    return `<tr><th scope="row">${esc(s.name)}${s.description ? `<br><span class="muted">${esc(s.description)}</span>` : ''}</th><td><code>${esc(s.runtime)}</code></td><td><code>${esc(s.handler)}</code></td><td>${caps}</td><td>${art}</td></tr>`
  })
  return `<section aria-labelledby="h-shims">
<h2 id="h-shims">Shims</h2>
<table>
<thead><tr><th scope="col">Shim</th><th scope="col">Runtime</th><th scope="col">Handler</th><th scope="col">Capabilities</th><th scope="col">Artifact</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>`
}

/** The target's own description: isolation, enforcement, and which local interpreter stood in for each runtime. */
function targetTable(doc: ResultsDocument): string {
  const entries = Object.entries(doc.target.details)
  if (entries.length === 0) return ''
  const value = (v: unknown): string =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? `<table class="narrow">${Object.entries(v as Record<string, unknown>).map(([k, x]) => `<tr><th scope="row"><code>${esc(k)}</code></th><td>${esc(typeof x === 'string' ? x : JSON.stringify(x))}</td></tr>`).join('')}</table>`
      : esc(typeof v === 'string' ? v : JSON.stringify(v))
  return `<section aria-labelledby="h-target">
<h2 id="h-target">Target <span class="sub">${esc(doc.target.name)}</span></h2>
<table>
<tbody>
${entries.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${value(v)}</td></tr>`).join('\n')}
</tbody>
</table>
</section>`
}

/** Figures the kit's robustness tests measured (faults injected, requests fuzzed, events lost, load p99, …). */
function figuresSection(tests: ReadonlyArray<TestRecord>): string {
  const withFigures = tests.filter((t) => t.figures !== undefined)
  if (withFigures.length === 0) return ''
  const fmt = (v: number | string): string => (typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 3 }) : v)
  const rows = withFigures.map(
    (t) => `<tr><td>${badge(t.status)}</td><td>${esc(t.behaviour ?? t.title)}${t.shim ? ` <span class="shim">${esc(t.shim)}</span>` : ''}<br><code class="muted">${esc(t.file)}</code></td><td><dl class="kv">${Object.entries(t.figures ?? {})
      .map(([k, v]) => `<div><dt>${esc(k)}</dt><dd class="num">${esc(fmt(v))}</dd></div>`)
      .join('')}</dl></td></tr>`,
  )
  return `<section aria-labelledby="h-figures">
<h2 id="h-figures">Target robustness <span class="sub">figures measured by the tests</span></h2>
<p class="muted">What the fault, fuzz, loss, hygiene and load tests counted and measured. Numbers are reported, not asserted, except where the test's title says so.</p>
<table class="kit">
<thead><tr><th scope="col">Status</th><th scope="col">Test</th><th scope="col">Figures</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>`
}

function kitTests(kit: ReadonlyArray<TestRecord>): string {
  if (kit.length === 0) return ''
  const bySuite = new Map<string, TestRecord[]>()
  for (const t of kit) bySuite.set(t.suite, [...(bySuite.get(t.suite) ?? []), t])
  const groups = [...bySuite.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([suite, tests]) => {
    const worst = worstStatus(tests.map((t) => t.status))
    const rows = tests.map((t) => {
      const extra = t.message !== undefined ? `<pre class="message">${esc(t.message)}</pre>` : t.reason !== undefined ? `<br><span class="muted">${esc(t.reason)}</span>` : ''
      return `<tr><td>${badge(t.status)}</td><td>${esc(t.title)}${extra}</td><td><code>${esc(t.file)}</code></td><td class="num">${esc(duration(t.durationMs))}</td></tr>`
    })
    return `<tbody>
<tr class="group"><th scope="rowgroup" colspan="4">${esc(suite)} <span class="sub">${tests.length} test${tests.length === 1 ? '' : 's'}</span> ${worst ? badge(worst) : ''}</th></tr>
${rows.join('\n')}
</tbody>`
  })
  return `<section aria-labelledby="h-kit">
<h2 id="h-kit">The kit's own tests</h2>
<table class="kit">
<thead><tr><th scope="col">Status</th><th scope="col">Test</th><th scope="col">File</th><th scope="col" class="num">Duration</th></tr></thead>
${groups.join('\n')}
</table>
</section>`
}

function configTable(doc: ResultsDocument): string {
  const rows = Object.entries(doc.config).map(([k, v]) => {
    const shown = typeof v === 'string' ? (v === '' ? '<span class="muted">(empty)</span>' : esc(v)) : esc(JSON.stringify(v))
    return `<tr><th scope="row"><code>${esc(k)}</code></th><td><code>${shown}</code></td></tr>`
  })
  const target = Object.entries(doc.target.details).map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td><code>${esc(typeof v === 'string' ? v : JSON.stringify(v))}</code></td></tr>`)
  return `<section aria-labelledby="h-config">
<h2 id="h-config">Configuration</h2>
<p class="muted">Effective configuration of this run; secret values are redacted.</p>
<table class="narrow">
<tbody>
${rows.join('\n')}
</tbody>
</table>
<h3>Run and target</h3>
<table class="narrow">
<tbody>
<tr><th scope="row">Node.js</th><td><code>${esc(doc.run.node)}</code></td></tr>
<tr><th scope="row">Platform</th><td><code>${esc(doc.run.platform)}</code></td></tr>
<tr><th scope="row">Started</th><td>${esc(when(doc.run.startedAt))}</td></tr>
<tr><th scope="row">Finished</th><td>${esc(when(doc.run.finishedAt))}</td></tr>
<tr><th scope="row">Target</th><td>${esc(doc.target.name)}</td></tr>
${target.join('\n')}
</tbody>
</table>
</section>`
}

const CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;--accent:#0550ae}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:var(--bg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}
header,main,footer{max-width:1280px;margin:0 auto;padding:0 24px}
header{padding-top:24px}
h1{font-size:24px;margin:0 0 8px}
h2{font-size:19px;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:20px 0 6px}
h4{font-size:13px;margin:12px 0 4px}
.sub{font-weight:400;color:var(--muted);font-size:.8em}
.muted{color:var(--muted)}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
a{color:var(--accent)}
nav{max-width:1280px;margin:12px auto 0;padding:0 24px;font-size:13px}
nav a{margin-right:14px}
.facts{display:flex;flex-wrap:wrap;gap:4px 28px;margin:0}
.facts div{display:flex;gap:6px}
.facts dt{color:var(--muted)}
.facts dd{margin:0}
.verdict{font-size:20px;font-weight:600;margin:16px 0 0;padding:10px 14px;border-radius:6px;border-left:6px solid}
.verdict.ok{background:#dafbe1;border-color:#1a7f37}
.verdict.bad{background:#ffebe9;border-color:#cf222e}
.banner{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;border-radius:6px}
.meter{display:flex;height:18px;border-radius:4px;overflow:hidden;background:var(--soft);border:1px solid var(--line);margin:8px 0}
.meter span{display:block;height:100%}
.legend{list-style:none;padding:0;margin:8px 0;display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:4px 24px}
.badge{display:inline-block;min-width:5.5em;text-align:center;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;line-height:18px;text-decoration:none;white-space:nowrap;border:1px solid transparent}
.st-pass{background:#1a7f37;color:#fff}
.st-fail{background:#cf222e;color:#fff}
.st-error{background:#6639ba;color:#fff}
.st-expected-fail{background:#fff1c2;color:#7d4e00;border-color:#d4a72c}
.st-unexpected-pass{background:#0969da;color:#fff}
.st-unsupported{background:#eaeef2;color:#424a53;border-color:#afb8c1}
.st-skip{background:#fff;color:#59636e;border-color:#d1d9e0;border-style:dashed}
.meter .st-skip{background:#d1d9e0}
.level{font-size:11px;font-weight:700;padding:0 5px;border-radius:3px;border:1px solid var(--line)}
.lv-MUST{border-color:#cf222e;color:#a40e26}
.lv-SHOULD{border-color:#bf8700;color:#7d4e00}
.lv-MAY{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:8px 0}
table.narrow{width:auto;min-width:50%}
th,td{text-align:left;vertical-align:top;padding:5px 10px;border-bottom:1px solid var(--line)}
thead th{background:var(--soft);font-weight:600;border-bottom:2px solid var(--line)}
tbody tr:hover{background:#f6f8fa}
td.num,th.num{text-align:right;white-space:nowrap}
.small{font-size:12px}
table.study td{vertical-align:top;min-width:112px}
.matrix-wrap{overflow:auto;max-height:80vh;border:1px solid var(--line);border-radius:6px}
.matrix{margin:0}
.matrix thead th{position:sticky;top:0;z-index:2}
.matrix tbody th[scope=row]{position:sticky;left:0;background:var(--bg);z-index:1;white-space:nowrap}
.matrix tfoot th,.matrix tfoot td{background:var(--soft);font-size:12px;border-top:2px solid var(--line)}
.cell{text-align:center;white-space:nowrap}
.none{color:var(--muted)}
.ok-n{color:#1a7f37;font-weight:600}
.bad-n{color:#cf222e;font-weight:600}
tr.group th{background:var(--soft);font-size:13px}
th .muted{font-weight:400}
.cap{display:inline-block;background:var(--soft);border:1px solid var(--line);border-radius:10px;padding:0 7px;font-size:12px;margin:1px 0}
details{border:1px solid var(--line);border-radius:6px;margin:6px 0;background:var(--bg)}
details[open]{box-shadow:0 1px 3px rgba(31,35,40,.08)}
summary{cursor:pointer;padding:6px 10px;list-style-position:inside}
details[open] summary{border-bottom:1px solid var(--line);background:var(--soft)}
summary .shim{color:var(--muted);font-size:12px;margin:0 4px}
.detail{padding:8px 12px 12px}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0 0 8px}
.kv div{display:contents}
.kv dt{color:var(--muted)}
.kv dd{margin:0;overflow-wrap:anywhere}
.src{overflow-wrap:anywhere}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:12px}
figure{margin:0;min-width:0}
figcaption{font-weight:600;font-size:12px;color:var(--muted);margin-bottom:2px}
pre{margin:0;padding:8px 10px;background:var(--soft);border:1px solid var(--line);border-radius:4px;overflow:auto;max-height:420px;white-space:pre-wrap;overflow-wrap:anywhere}
pre.message{background:#fff5f5;border-color:#ffcecb;margin-top:4px}
table.props code.cmd{white-space:pre-wrap;overflow-wrap:anywhere;font-size:11.5px}
table.props tr.sub-row td{background:#fff5f5}
footer{margin-top:40px;padding-top:12px;padding-bottom:32px;border-top:1px solid var(--line);color:var(--muted);font-size:12px}
:target{outline:3px solid #0969da;outline-offset:2px}
@media (max-width:760px){.pair{grid-template-columns:1fr}}
@media print{
  body{font-size:10pt}
  nav{display:none}
  header,main,footer{max-width:none;padding:0}
  .matrix-wrap{max-height:none;overflow:visible;border:0}
  .matrix thead th,.matrix tbody th[scope=row]{position:static}
  thead{display:table-header-group}
  tr,details,figure{break-inside:avoid}
  a{color:inherit;text-decoration:none}
  pre{max-height:none}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  details::details-content{content-visibility:visible;display:block}
}
`

/** The HTML report for a results document. Pure; the document is redacted again as a safety net. */
export function renderHtml(input: ResultsDocument, options: RenderHtmlOptions = {}): string {
  const doc = redact(input, options.env ?? process.env)
  const strict = options.strict ?? isStrict(doc)
  const conformance = doc.tests.filter((t) => t.behaviour !== null)
  const kit = doc.tests.filter((t) => t.behaviour === null)
  const anchor = anchors(doc.tests)
  const title = `Conformance report: ${doc.kit.name} ${doc.kit.version}, target ${doc.target.name}`
  const hasLatency = (doc.latency?.series.length ?? 0) > 0
  const nav = [
    ['h-summary', 'Summary'],
    ['h-matrix', 'Matrix'],
    ...(doc.tests.some((t) => t.suite === 'study') ? [['h-study', 'Shim comparison']] : []),
    ...(doc.tests.some((t) => t.suite === 'integration') ? [['h-integration', 'Triggers']] : []),
    ...(hasLatency ? [['h-latency', 'Latency']] : []),
    ...(conformance.some((t) => (t.properties ?? []).length > 0) ? [['h-properties', 'Property runs']] : []),
    ...(doc.tests.some((t) => t.figures !== undefined) ? [['h-figures', 'Target robustness']] : []),
    ...(conformance.length > 0 ? [['h-details', 'Details']] : []),
    ['h-shims', 'Shims'],
    ...(Object.keys(doc.target.details).length > 0 ? [['h-target', 'Target']] : []),
    ...(kit.length > 0 ? [['h-kit', 'Kit tests']] : []),
    ['h-config', 'Configuration'],
  ].map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="generator" content="${esc(doc.kit.name)} ${esc(doc.kit.version)} reports/html-reporter.ts">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>${CSS}${hasLatency ? LATENCY_CSS : ''}</style>
</head>
<body>
${header(doc, strict)}
<nav aria-label="Sections">${nav}</nav>
<main>
${meter(doc)}
${matrix(doc, conformance, anchor, strict)}
${comparisonSection(doc, esc, (st) => badge(st))}
${integrationSection(doc, esc, (st) => badge(st))}
${latencySection(doc, esc)}
${propertySection(conformance, anchor)}
${figuresSection(doc.tests)}
${details(conformance, anchor)}
${shimTable(doc)}
${targetTable(doc)}
${kitTests(kit)}
${configTable(doc)}
</main>
<footer>
Produced by ${esc(doc.kit.name)} ${esc(doc.kit.version)}${doc.kit.commit ? ` (commit <code>${esc(doc.kit.commit.slice(0, 12))}</code>)` : ''} with <code>reports/html-reporter.ts</code> at ${esc(when(doc.run.finishedAt))},
from the same data as <code>results.json</code> (schema version ${doc.schemaVersion}).
This file is self-contained: no scripts, no external resources, secrets redacted.
</footer>
</body>
</html>
`
}

export default class HtmlReporter extends RunEndReporter {
  constructor(private readonly options: HtmlOptions = {}) {
    super()
  }

  protected finish(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const env = this.options.env ?? process.env
    const run = { testModules, unhandledErrors, reason, startedAt: this.run.startedAt, env }
    writeRunOutput(this.options.fileName ?? OUTPUT_FILES.html, run, (doc) => renderHtml(doc, { env }))
  }
}
