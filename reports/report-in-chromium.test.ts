/**
 * The report as a reader gets it: a report with latency series (synthetic but realistic series, summarised by the real
 * analysis and rendered by the real renderer) opened in headless Chromium, offline and without JavaScript. Every chart
 * must render, nothing may leave the file, the page must raise no error. The report, its exports and a full-page
 * screenshot are kept under <CONFORMANCE_OUTPUT_DIR>/report-in-chromium/ for a person to look at.
 */
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../lib/config.js'
import { outputDir } from './collect.js'
import { CHROMIUM_MISSING, CHROMIUM_PATH, checkReportInChromium, chromiumAvailable } from './chromium-check.js'
import { fixtureLatencyDocument } from './fixtures/latency-document.js'
import { renderHtml } from './html-reporter.js'
import { writeLatencyExports } from './latency-export-reporter.js'
import { latencyChartCount } from './latency-section.js'

/** Charts the fixture must have, counted from its series (independently of the section's own count). */
function expectedCharts(series: ReadonlyArray<{ experiment: string; shim: string; x?: number; clockAnalysis?: unknown }>): number {
  const shims = (e: string): number => new Set(series.filter((s) => s.experiment === e).map((s) => s.shim)).size
  // warm and cold: ECDF, percentile spectrum, histogram, decomposition, then one time series per shim
  const perClass = (e: string): number => (shims(e) > 0 ? 4 + shims(e) : 0)
  const payload = series.some((s) => s.experiment === 'payload' && s.x !== undefined) ? 1 : 0 // p50/p99 against size
  const concurrency = series.some((s) => s.experiment === 'concurrency' && s.x !== undefined) ? 2 : 0 // latency and throughput
  const clock = series.filter((s) => s.experiment === 'clock' && s.clockAnalysis).length // one offset scatter each
  return perClass('warm') + perClass('cold') + payload + concurrency + clock
}

describe('report.html in headless Chromium', () => {
  it('renders every latency chart offline, without JavaScript, errors or requests leaving the file', { timeout: 120_000 }, async (ctx) => {
    if (!chromiumAvailable()) ctx.skip(`no Chromium at ${CHROMIUM_PATH}: ${CHROMIUM_MISSING}`)
    const doc = fixtureLatencyDocument()
    const series = doc.latency!.series
    const expected = expectedCharts(series)
    expect(expected).toBe(19)
    expect(latencyChartCount(doc)).toBe(expected)

    const html = renderHtml(doc, { env: {} })
    // Static checks first: a figure per chart, each an accessible SVG with a caption; nothing by URL.
    const figures = [...html.matchAll(/<figure class="chart-fig" id="([^"]+)">([\s\S]*?)<\/figure>/g)]
    expect(figures).toHaveLength(expected)
    for (const [, id, body] of figures) {
      expect(body, id).toMatch(/^<svg [^>]*role="img" aria-label="[^"]+"/)
      expect(body, id).toMatch(/<figcaption>[\s\S]+<\/figcaption>/)
      expect(body, id).toMatch(/<text [^>]*class="c-legend"/)
      expect(body, id).toMatch(/<table class="lat-data">/)
    }
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toContain('://')
    expect(html).not.toMatch(/@import|url\((?!#)/i)
    const hrefs = [...html.matchAll(/\s(src|href|srcset|action|poster)="([^"]*)"/g)].map((m) => `${m[1]}=${m[2]}`)
    for (const h of hrefs) expect(h).toMatch(/^href=(#[A-Za-z][\w-]*|data:,|latency\/[a-z.]+)$/)
    const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]))
    for (const m of html.matchAll(/href="#([^"]+)"/g)) expect(ids.has(m[1])).toBe(true)
    expect(html.length).toBeLessThan(1_500_000)
    for (const text of ['46.38 %', '6.68 %', 'not enough samples', '▲ regressed', 'DKW', 'Synthetic CPU']) expect(html).toContain(text)

    const dir = path.join(outputDir(loadConfig()), 'report-in-chromium')
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { recursive: true })
    const reportFile = path.join(dir, 'report.html')
    fs.writeFileSync(reportFile, html)
    const exported = writeLatencyExports(doc, path.join(dir, 'latency'))
    for (const h of hrefs.filter((x) => x.startsWith('href=latency/'))) expect(exported).toContain(path.join(dir, h.slice('href='.length)))

    const result = await checkReportInChromium(reportFile, path.join(dir, 'report.png'))
    expect(result.external).toEqual([])
    expect(result.errors).toEqual([])
    expect(result.charts).toHaveLength(expected)
    expect(result.charts.filter((c) => !c.rendered)).toEqual([])
    expect(result.charts.map((c) => c.id)).toEqual(figures.map((f) => f[1]))
    for (const c of result.charts) expect(c.width, c.id).toBeGreaterThan(300)
    expect(fs.statSync(result.screenshot).size).toBeGreaterThan(50_000)
  })
})
