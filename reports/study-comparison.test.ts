import { describe, expect, it } from 'vitest'
import { loadConfig } from '../lib/config.js'
import type { TestRecord } from '../lib/results/model.js'
import { buildResultsDocument } from './collect.js'
import { renderHtml } from './html-reporter.js'
import { integrationTable } from './integration-section.js'
import { comparisonRows } from './study-comparison.js'

const study = (behaviour: string, shim: string, observed: unknown, status: TestRecord['status'] = 'pass'): TestRecord => ({
  id: `${behaviour}/${shim}/embedded`, behaviour, title: behaviour, level: 'MUST', suite: 'study', file: `suites/study/${behaviour}.test.ts`,
  shim, target: 'embedded', status, observed, durationMs: 1,
})

function doc(tests: TestRecord[]) {
  return buildResultsDocument(tests, loadConfig({}), {
    startedAt: '2026-01-01T00:00:00.000Z',
    target: { name: 'embedded', details: {} },
    shims: ['native', 'node-proxy'].map((name, i) => ({ name, description: '', runtime: 'provided.al2023', handler: 'bootstrap', capabilities: [], folder: `shims/${name}`, artifact: { file: 'package.zip', sha256: 'ab', bytes: (i + 1) * 1_048_576 } })),
  }, 'passed', new Date('2026-01-01T00:01:00.000Z'), { env: {}, startedAt: '2026-01-01T00:00:00.000Z' })
}

describe('the study comparison table', () => {
  const d = doc([
    study('STUDY-PANIC-001', 'native', { summary: 'string: probe: panic string; Go trace in payload' }),
    study('STUDY-PANIC-001', 'node-proxy', { summary: 'Error: socket hang up; no Go trace' }, 'expected-fail'),
    study('STUDY-COST-001', 'native', { coldMedianMs: 50, coldInitMedianMs: 30, warmMedianMs: 2 }),
    study('STUDY-COST-001', 'node-proxy', { coldMedianMs: 150, warmMedianMs: 5 }),
  ])

  it('puts each shim in a row with its observed summaries, package size and ratios against native', () => {
    const t = comparisonRows(d)!
    expect(t.columns[0]).toBe('Go panic')
    const [native, proxy] = t.rows
    expect(native!.cells[0]).toEqual({ status: 'pass', summary: 'string: probe: panic string; Go trace in payload' })
    expect(proxy!.cells[0]!.status).toBe('expected-fail')
    expect(proxy!.cells[1]).toBeNull()
    expect(native!.cold).toEqual({ medianMs: 50, initMs: 30, ratio: 1 })
    expect(proxy!.cold!.ratio).toBe(3)
    expect(proxy!.warm!.ratio).toBe(2.5)
    expect(proxy!.packageBytes).toBe(2_097_152)
  })

  it('is rendered into report.html, and left out when the study suite did not run', () => {
    const html = renderHtml(d, { env: {} })
    expect(html).toContain('id="h-study"')
    expect(html).toContain('Error: socket hang up; no Go trace')
    expect(html).toContain('(×3.00)')
    expect(comparisonRows(doc([]))).toBeNull()
    expect(renderHtml(doc([]), { env: {} })).not.toContain('id="h-study"')
  })
})

describe('the triggers table', () => {
  const integ = (behaviour: string, shim: string, status: TestRecord['status'], observed?: unknown, reason?: string): TestRecord => ({
    ...study(behaviour, shim, observed, status), suite: 'integration', title: `${behaviour} title`, ...(reason ? { reason } : {}),
  })
  const d = doc([
    integ('INTEG-SQS-001', 'node-proxy', 'expected-fail', { summary: '0/12 handled' }, 'Sparta relays logs as JSON'),
    integ('INTEG-SQS-001', 'native', 'pass', { summary: '12/12 handled' }),
    integ('INTEG-KINESIS-001', 'native', 'skip', undefined, 'no AWS services on this target'),
  ])

  it('has a column per integration behaviour and a row per shim, oracle first, with summaries or reasons', () => {
    const t = integrationTable(d)!
    expect(t.columns.map((c) => c.behaviour)).toEqual(['INTEG-KINESIS-001', 'INTEG-SQS-001'])
    expect(t.rows.map((r) => r.shim)).toEqual(['native', 'node-proxy'])
    expect(t.rows[0]!.cells).toEqual([{ status: 'skip', summary: 'no AWS services on this target' }, { status: 'pass', summary: '12/12 handled' }])
    expect(t.rows[1]!.cells[0]).toBeNull()
    expect(renderHtml(d, { env: {} })).toContain('id="h-integration"')
  })
})
