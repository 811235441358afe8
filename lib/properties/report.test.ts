/** Property runs travel from a test's meta to results.json (schema-valid) and report.html. */
import { describe, expect, it } from 'vitest'
import { buildResultsDocument, type TestCaseLike, toTestRecord } from '../../reports/collect.js'
import { renderHtml } from '../../reports/html-reporter.js'
import { validateResults } from '../../reports/validate-results.js'
import { loadConfig } from '../config.js'
import type { ConformanceMeta, PropertyRun, RunContext } from '../results/model.js'

const cfg = loadConfig({})
const CMD = "CONFORMANCE_SHIMS=python-cgo CONFORMANCE_REPLAY='EVENT-DEPTH-001:-878041529:0:0:0:0:0' npx vitest run suites/event-bombs/deep-nesting-echoed-or-rejected.test.ts -t 'EVENT-DEPTH-001'"

const failed: PropertyRun = {
  name: 'a depth bomb is echoed or rejected with InvalidRequestContentException',
  seed: -878041529,
  numRuns: 30,
  runs: 1,
  shrinks: 4,
  executions: 9,
  failed: true,
  interrupted: false,
  path: '0:0:0:0:0',
  counterexample: '{"depth":9990,"kind":"arr","inner":{"t":"lit","v":"true"}}',
  event: { head: '[[[[…', bytes: 19_984, sha256: '90b589b64d48b7d2bc9a6fafe7d0b7a87ce126ecb2ff5f438bbd66658e8c0522' },
  error: 'a bomb of 9990 levels <script> was not echoed',
  command: CMD,
  durationMs: 812.5,
}
const passed: PropertyRun = {
  name: 'echo returns the event unchanged (byte-exact)',
  seed: 12345,
  numRuns: 150,
  runs: 150,
  shrinks: 0,
  executions: 150,
  failed: false,
  interrupted: false,
  command: "CONFORMANCE_SHIMS=native CONFORMANCE_REPLAY='EVENT-ECHO-001:12345' npx vitest run suites/event-bombs/echo-returns-any-json-event.test.ts -t 'EVENT-ECHO-001'",
  durationMs: 3000,
}

function testCase(meta: ConformanceMeta, state = 'passed'): TestCaseLike {
  return {
    fullName: `${meta.shim} › ${meta.behaviour} ${meta.title}`,
    module: { moduleId: `${process.cwd()}/suites/event-bombs/x.test.ts` },
    meta: () => ({ conformance: meta }),
    result: () => ({ state }),
    diagnostic: () => ({ duration: 10 }),
  }
}

const base = { title: 't', level: 'MUST' as const, suite: 'event-bombs', source: 's', target: 'embedded' }
const runContext: RunContext = { startedAt: '2025-06-01T12:00:00.000Z', target: { name: 'embedded', details: {} }, shims: [] }

function document(runs: PropertyRun[][]) {
  const records = runs.map((p, i) =>
    toTestRecord(testCase({ ...base, behaviour: `EVENT-X-00${i + 1}`, shim: 'native', ...(p.length > 0 ? { properties: p } : {}), status: p.some((r) => r.failed) ? 'expected-fail' : undefined }), cfg),
  )
  return buildResultsDocument(records, cfg, runContext, 'passed', new Date('2025-06-01T12:01:00.000Z'), { env: {} })
}

describe('property runs in the outputs', () => {
  it('reach results.json, which validates against the schema', () => {
    const doc = document([[failed], [passed], []])
    expect(doc.tests[0]!.properties).toEqual([failed])
    expect(doc.tests[1]!.properties).toEqual([passed])
    expect(doc.tests[2]).not.toHaveProperty('properties')
    expect(validateResults(JSON.parse(JSON.stringify(doc)))).toEqual({ valid: true, errors: [] })
  })

  it('are checked across fields: a failure has an error and replays its own path; a pass has no counterexample', () => {
    const bad = document([[{ ...failed, error: undefined, command: CMD.replace(':0:0:0:0:0', ':1') }], [{ ...passed, path: '3' }]])
    const { valid, errors } = validateResults(JSON.parse(JSON.stringify(bad)))
    expect(valid).toBe(false)
    expect(errors).toEqual(
      expect.arrayContaining([
        '/tests/0/properties/0 failed but has no error',
        '/tests/0/properties/0/command does not replay path 0:0:0:0:0',
        '/tests/1/properties/0 passed but has path',
      ]),
    )
    const schema = validateResults(JSON.parse(JSON.stringify(document([[{ ...passed, seed: 1.5, command: 'npx vitest' } as PropertyRun]]))))
    expect(schema.valid).toBe(false)
  })

  it('show in report.html: a Property runs section and the details, with the command escaped', () => {
    const html = renderHtml(document([[failed], [passed]]), { env: {} })
    expect(html).toContain('<a href="#h-properties">Property runs</a>')
    expect(html).toContain('<h2 id="h-properties">Property runs <span class="sub">151 cases</span></h2>')
    expect(html).toContain('<code>-878041529</code>')
    expect(html).toContain('CONFORMANCE_REPLAY=&#39;EVENT-DEPTH-001:-878041529:0:0:0:0:0&#39;')
    expect(html).toContain('Replay this case')
    expect(html).toContain('{&quot;depth&quot;:9990')
    expect(html).toContain('a bomb of 9990 levels &lt;script&gt; was not echoed')
    expect(html).not.toContain('<script')
    expect((html.match(/<h4>Property runs<\/h4>/g) ?? []).length).toBe(2)
  })

  it('leave report.html without the section when no property ran', () => {
    expect(renderHtml(document([[]]), { env: {} })).not.toContain('h-properties')
  })
})
