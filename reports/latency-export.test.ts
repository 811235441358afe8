import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as hdr from 'hdr-histogram-js'
import { describe, expect, it } from 'vitest'
import { loadConfig, REPO_ROOT } from '../lib/config.js'
import { EXPERIMENTS, type GateVerdict, type LatencySeriesData } from '../lib/latency/model.js'
import type { ResultsDocument } from '../lib/results/model.js'
import { writeRunContext } from '../lib/results/run-context.js'
import { buildResultsDocument, latencyMeta, summariseLatency } from './collect.js'
import { FIXTURE_CONTEXT, fixtureLatencyDocument } from './fixtures/latency-document.js'
import { fixtureLatency, RUN_SIZES } from './fixtures/latency-series.js'
import { renderHtml } from './html-reporter.js'
import { csvField, HISTOGRAM_COLUMNS, latencyExports, renderClockCsv, renderHistograms, renderSamplesCsv, SAMPLE_COLUMNS } from './latency-export-reporter.js'
import { nativeRatios } from './latency-section.js'
import { validateResults } from './validate-results.js'

const SMALL = { warm: 400, cold: 12, payload: 6, concurrency: 30, clock: 60 }

/** Minimal RFC 4180 parser: enough to read back what the exporter writes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += ch
  }
  if (field !== '' || row.length > 0) rows.push([...row, field])
  return rows
}

describe('collecting latency series', () => {
  it('sorts by experiment, shim and x, and attaches the client round-trip verdict for each key', () => {
    const { series, gate } = fixtureLatency(SMALL)
    const extra: GateVerdict = { ...gate[0]!, metric: 'durationMs', verdict: 'regressed', explanation: 'Duration verdict' }
    const reports = summariseLatency(series, [extra, ...gate])
    expect(reports).toHaveLength(series.length)
    const order = reports.map((r) => [EXPERIMENTS.indexOf(r.experiment), r.shim, r.x ?? -1] as const)
    for (let i = 1; i < order.length; i++) {
      const [a, b] = [order[i - 1]!, order[i]!]
      expect(a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] <= b[2])))).toBe(true)
    }
    expect(reports.find((r) => r.key === 'warm/native')?.gate).toMatchObject({ metric: 'clientMs', verdict: 'no-change' })
    expect(reports.find((r) => r.key === 'warm/go1x-rpc')?.gate?.verdict).toBe('regressed')
    expect(reports.filter((r) => r.gate).length).toBe(gate.length)
    for (const r of reports) {
      expect(r.summary.clientMs?.n).toBe(r.collected)
      expect(r.summary.clientMs?.hdr).toMatch(/^HISTF/)
    }
    expect(reports.filter((r) => r.clockAnalysis)).toHaveLength(2)
  })

  it('reads task.meta.latency of every test and skips tests without it', () => {
    const a: LatencySeriesData[] = fixtureLatency(SMALL).series.slice(0, 2)
    const got = latencyMeta([{ meta: () => ({}) }, { meta: () => ({ latency: { series: a, gate: [] } }) }, { meta: () => ({ latency: { series: [] } }) }])
    expect(got.series).toEqual(a)
    expect(got.gate).toEqual([])
  })

  it('leaves the latency field out when nothing was measured, and validates with it', () => {
    const none = buildResultsDocument([], loadConfig({}), FIXTURE_CONTEXT, 'passed', new Date('2026-01-15T10:01:00Z'), { env: {} })
    expect(none.latency).toBeUndefined()
    const d = fixtureLatencyDocument(SMALL)
    expect(d.latency?.series.length).toBeGreaterThan(0)
    expect(validateResults(d)).toEqual({ valid: true, errors: [] })
    expect(validateResults(JSON.parse(JSON.stringify(d)))).toEqual({ valid: true, errors: [] })
  })

  it('rejects an unknown field, a column of the wrong length and a duplicate key', () => {
    const d = fixtureLatencyDocument(SMALL)
    const unknown = structuredClone(d) as unknown as { latency: { series: Record<string, unknown>[] } }
    unknown.latency.series[0]!['colour'] = 'green'
    expect(validateResults(unknown).errors.join('\n')).toMatch(/latency\/series\/0.*colour/)
    const short = structuredClone(d)
    short.latency!.series[1]!.samples.clientMs.pop()
    expect(validateResults(short).errors.join('\n')).toMatch(/series\/1\/samples\/clientMs has \d+ values but collected is/)
    const dup = structuredClone(d)
    dup.latency!.series[2]!.key = dup.latency!.series[1]!.key
    expect(validateResults(dup).errors.join('\n')).toMatch(/series\/2\/key .* is not unique/)
  })
})

describe('latency exports', () => {
  const doc = fixtureLatencyDocument(SMALL)
  const series = doc.latency!.series

  it('samples.csv: a header, then one row per sample that reads back to the same numbers', () => {
    const rows = parseCsv(renderSamplesCsv(doc))
    expect(rows[0]).toEqual([...SAMPLE_COLUMNS])
    expect(rows.length - 1).toBe(series.reduce((a, s) => a + s.collected, 0))
    const clock = series.find((s) => s.experiment === 'clock' && s.variant.includes(','))!
    const row = rows.find((r) => r[0] === clock.key && r[5] === '3')!
    expect(row[3]).toBe(clock.variant)
    expect(Number(row[7])).toBe(clock.samples.clientMs[3])
    const cold = rows.find((r) => r[1] === 'cold')!
    expect(cold[12]).toBe('true')
    expect(Number(cold[9])).toBeGreaterThan(0)
    const payload = rows.find((r) => r[1] === 'payload')!
    expect(Number(payload[4])).toBeGreaterThan(0)
    expect(rows.find((r) => r[1] === 'warm')![9]).toBe('')
  })

  it('csvField quotes commas, quotes, line breaks and outer spaces', () => {
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField(' x')).toBe('" x"')
    expect(csvField(null)).toBe('')
    expect(csvField(1.5)).toBe('1.5')
    expect(csvField(Number.NaN)).toBe('')
  })

  it('histograms.hdr.txt: one line per series and metric that hdr-histogram-js decodes to the same count', () => {
    const text = renderHistograms(doc)
    const lines = text.trimEnd().split('\n').filter((l) => !l.startsWith('#'))
    expect(lines[0]!.split('\t')).toEqual([...HISTOGRAM_COLUMNS])
    const data = lines.slice(1).map((l) => l.split('\t'))
    expect(data.length).toBe(series.reduce((a, s) => a + Object.keys(s.summary).length, 0))
    for (const [key, metric, unit, count, b64] of data) {
      expect(unit).toBe(metric === 'maxMemoryMb' ? 'MB/1000' : 'us')
      const h = hdr.decodeFromCompressedBase64(b64!, 32, false)
      expect(h.totalCount, `${key} ${metric}`).toBe(Number(count))
    }
    const warm = series.find((s) => s.key === 'warm/native')!
    const line = data.find((r) => r[0] === 'warm/native' && r[1] === 'clientMs')!
    const h = hdr.decodeFromCompressedBase64(line[4]!, 32, false)
    expect(h.getValueAtPercentile(50) / 1000).toBeCloseTo(warm.summary.clientMs!.quantiles[0]!.value, 2)
  })

  it('clock.csv: every exchange with θ and δ recomputed from T1–T4', () => {
    const rows = parseCsv(renderClockCsv(doc)!)
    const clocks = series.filter((s) => s.clock)
    expect(rows.length - 1).toBe(clocks.reduce((a, s) => a + s.clock!.t1Ms.length, 0))
    const [, , , , t1, t2, t3, t4, theta, delta] = rows[1]!.map(Number)
    expect(theta).toBeCloseTo(((t2! - t1!) + (t3! - t4!)) / 2, 5)
    expect(delta).toBeCloseTo((t4! - t1!) - (t3! - t2!), 5)
    expect(delta).toBeGreaterThan(0)
  })

  it('writes nothing for a document without latency', () => {
    const none = buildResultsDocument([], loadConfig({}), FIXTURE_CONTEXT, 'passed', new Date('2026-01-15T10:01:00Z'), { env: {} })
    expect(latencyExports(none)).toEqual([])
    expect(renderHtml(none, { env: {} })).not.toContain('h-latency')
  })
})

describe('shim/native ratios', () => {
  it('divide the quantiles and bound the ratio by the two intervals', () => {
    const doc = fixtureLatencyDocument(SMALL)
    const rows = nativeRatios(doc.latency!.series)
    const r = rows.find((x) => x.experiment === 'warm' && x.shim === 'node-proxy' && x.p === 50)!
    const s = doc.latency!.series.find((x) => x.key === 'warm/node-proxy')!.summary.clientMs!.quantiles[0]!
    const n = doc.latency!.series.find((x) => x.key === 'warm/native')!.summary.clientMs!.quantiles[0]!
    expect(r.ratio).toBeCloseTo(s.value / n.value, 10)
    expect(r.low).toBeCloseTo(s.low! / n.high!, 10)
    expect(r.high).toBeCloseTo(s.high! / n.low!, 10)
    expect(r.low!).toBeLessThanOrEqual(r.ratio)
    expect(r.high!).toBeGreaterThanOrEqual(r.ratio)
    // p99 of 12 cold starts has no interval: the ratio is shown without one.
    expect(rows.find((x) => x.experiment === 'cold' && x.p === 99)).toMatchObject({ low: null, high: null })
    expect(rows.some((x) => x.shim === 'native' || x.experiment === 'clock')).toBe(false)
  })
})

describe('the latency reporters in a real vitest run', () => {
  it('put task.meta.latency into results.json, report.html and the exports', { timeout: 120_000 }, () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-latency-'))
    try {
      const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && !k.startsWith('CONFORMANCE_') && k !== 'NODE_OPTIONS'),
      )
      Object.assign(childEnv, { CONFORMANCE_OUTPUT_DIR: path.join(tmp, 'out'), CONFORMANCE_CACHE_DIR: path.join(tmp, 'cache'), NO_COLOR: '1' })
      writeRunContext(loadConfig(childEnv), FIXTURE_CONTEXT)
      const reporters = ['results-json-reporter.ts', 'html-reporter.ts', 'latency-export-reporter.ts', 'summary-line-reporter.ts'].map((f) => path.join(REPO_ROOT, 'reports', f))
      const config = path.join(tmp, 'vitest.config.mjs')
      fs.writeFileSync(config, `export default ${JSON.stringify({ root: REPO_ROOT, test: { include: ['reports/fixtures/latency-run.fixture.ts'], pool: 'forks', reporters: ['default', ...reporters] } })}\n`)
      const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', config], { cwd: REPO_ROOT, env: childEnv, encoding: 'utf8', timeout: 90_000 })
      expect(run.status, run.stderr).toBe(0)
      expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('3 passed, 0 failed, 0 skipped')

      const out = path.join(tmp, 'out')
      const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsDocument
      expect(validateResults(results)).toEqual({ valid: true, errors: [] })
      const { series, gate } = fixtureLatency(RUN_SIZES)
      expect(results.latency?.series.map((s) => s.key)).toEqual(summariseLatency(series).map((s) => s.key))
      expect(results.latency?.series.filter((s) => s.gate).map((s) => s.key).sort()).toEqual(gate.map((g) => g.key).sort())
      expect(results.latency?.host?.cores).toBeGreaterThan(0)
      expect(results.latency?.series.find((s) => s.key === 'warm/native')?.samples.clientMs).toEqual(series.find((s) => s.key === 'warm/native')!.samples.clientMs)

      const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8')
      expect(html).toContain('id="h-latency"')
      expect(html).toContain('href="latency/samples.csv"')
      for (const f of ['samples.csv', 'histograms.hdr.txt', 'clock.csv']) expect(fs.statSync(path.join(out, 'latency', f)).size).toBeGreaterThan(100)
      const csv = fs.readFileSync(path.join(out, 'latency', 'samples.csv'), 'utf8')
      expect(csv.split('\r\n').filter((l) => l !== '').length - 1).toBe(series.reduce((a, s) => a + s.collected, 0))
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true })
    }
  })
})
