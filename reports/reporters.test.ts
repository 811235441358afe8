import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig, REPO_ROOT } from '../lib/config.js'
import { type ResultsDocument, type RunContext, type Status, STATUSES, type TestRecord } from '../lib/results/model.js'
import { writeRunContext } from '../lib/results/run-context.js'
import { buildResultsDocument, closingCounts, closingLine, type TestCaseLike, toTestRecord } from './collect.js'
import { renderHtml } from './html-reporter.js'
import { renderJunit } from './junit-reporter.js'
import { renderResultsJson } from './results-json-reporter.js'
import { validateResults } from './validate-results.js'

const SECRET = 'FAKESECRETVALUE1234'
const env: NodeJS.ProcessEnv = { AWS_SECRET_ACCESS_KEY: SECRET }
const cfg = loadConfig({})
const FINISHED = new Date('2025-06-01T12:00:30.000Z')

const runContext: RunContext = {
  startedAt: '2025-06-01T12:00:00.000Z',
  target: { name: 'embedded', endpoint: 'http://127.0.0.1:9001', details: { sandboxes: 16 } },
  shims: [
    {
      name: 'aws-lambda-go',
      description: 'lambda.Start from aws-lambda-go',
      runtime: 'provided.al2023',
      handler: 'bootstrap',
      capabilities: ['response-streaming', 'init-error'],
      folder: 'shims/aws-lambda-go',
      artifact: { file: '.cache/shims/aws-lambda-go.zip', sha256: 'a'.repeat(64), bytes: 5_432_100 },
    },
    { name: 'broken-deadline', description: 'deliberately wrong deadline', runtime: 'provided.al2023', handler: 'bootstrap', capabilities: [], folder: 'shims/broken-deadline' },
  ],
}

function conf(behaviour: string, shim: string | null, status: Status, extra: Partial<TestRecord> = {}): TestRecord {
  return {
    id: `${behaviour}/${shim ?? '-'}/embedded`,
    behaviour,
    title: `Behaviour ${behaviour}`,
    level: 'MUST',
    suite: 'runtime-api',
    file: `suites/runtime-api/${behaviour.toLowerCase()}.test.ts`,
    shim,
    target: 'embedded',
    status,
    expected: { deadlineMs: 3000 },
    observed: { deadlineMs: 3000 },
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html',
    durationMs: 12.3,
    ...extra,
  }
}

function kit(title: string, status: Status, extra: Partial<TestRecord> = {}): TestRecord {
  return { id: `lib/x.test.ts > ${title}`, behaviour: null, title, level: null, suite: 'kit', file: 'lib/x.test.ts', shim: null, target: 'embedded', status, durationMs: 1, ...extra }
}

/** Every status at least once, a secret in observed and in a message, markup and a control character in text. */
function records(): TestRecord[] {
  return [
    conf('RAPI-DEADLINE-001', 'aws-lambda-go', 'pass', { variant: 'ms-epoch' }),
    conf('RAPI-DEADLINE-001', 'broken-deadline', 'fail', {
      observed: { deadlineMs: 0, leaked: `key=${SECRET}`, authorization: 'Bearer abc' },
      message: `expected 3000, got 0 <&"'>\u0001 ${SECRET}`,
    }),
    conf('RAPI-INIT-002', 'aws-lambda-go', 'expected-fail', { level: 'SHOULD', reason: 'known: init error type differs' }),
    conf('RAPI-INIT-002', 'broken-deadline', 'unexpected-pass', { level: 'SHOULD', reason: 'listed in expectations' }),
    conf('STREAM-001', 'broken-deadline', 'unsupported', { level: 'MAY', reason: 'needs capability response-streaming' }),
    conf('STREAM-001', 'aws-lambda-go', 'error', { level: 'MAY', message: 'emulator unreachable' }),
    conf('TARGET-REGION-001', null, 'skip', { reason: 'no AWS credentials' }),
    kit('config > parses booleans', 'pass'),
    kit('config > rejects <unknown> & "odd" names', 'fail', { message: 'boom' }),
    kit('docker > starts localstack', 'skip', { reason: 'no Docker engine' }),
  ]
}

function doc(strictEnv: NodeJS.ProcessEnv = {}): ResultsDocument {
  return buildResultsDocument(records(), loadConfig(strictEnv), runContext, 'failed', FINISHED, { env })
}

/** Minimal XML 1.0 well-formedness check: balanced tags, escaped text and attributes, legal characters. */
function checkXml(xml: string): string[] {
  const problems: string[] = []
  if (/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(xml)) problems.push('illegal character')
  if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(xml)) problems.push('unescaped &')
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '')
  const stack: string[] = []
  const tag = /<(\/?)([A-Za-z][\w.:-]*)((?:\s+[\w.:-]+="[^"<]*")*)\s*(\/?)>|<|>/g
  let m: RegExpExecArray | null
  let last = 0
  while ((m = tag.exec(body)) !== null) {
    if (/[<>]/.test(body.slice(last, m.index))) problems.push(`stray markup near ${m.index}`)
    last = tag.lastIndex
    if (m[2] === undefined) {
      problems.push(`unescaped ${m[0]} at ${m.index}`)
      continue
    }
    if (m[1] === '/') {
      const open = stack.pop()
      if (open !== m[2]) problems.push(`</${m[2]}> closes <${open}>`)
    } else if (m[4] !== '/') stack.push(m[2])
  }
  if (stack.length > 0) problems.push(`unclosed ${stack.join(', ')}`)
  return problems
}

function attr(xml: string, element: string, name: string): number {
  const m = new RegExp(`<${element}\\b[^>]*\\s${name}="(\\d+)"`).exec(xml)
  return Number(m?.[1])
}

describe('results document and schema', () => {
  it('holds every status, counts them, and validates against the schema', () => {
    const d = doc()
    expect(d.summary.total).toBe(10)
    expect(Object.keys(d.summary.byStatus).sort()).toEqual([...STATUSES].sort())
    for (const s of STATUSES) expect(d.summary.byStatus[s]).toBeGreaterThan(0)
    expect(d.run.startedAt).toBe(runContext.startedAt)
    expect(d.run.durationMs).toBe(30_000)
    expect(d.config['CONFORMANCE_TARGET']).toBe('embedded')
    expect(validateResults(d)).toEqual({ valid: true, errors: [] })
    expect(validateResults(JSON.parse(renderResultsJson(d)))).toEqual({ valid: true, errors: [] })
  })

  it('falls back to the config target and no shims without a run context', () => {
    const d = buildResultsDocument([], cfg, null, 'passed', FINISHED, { env })
    expect(d.target).toEqual({ name: 'embedded', details: {} })
    expect(d.shims).toEqual([])
    expect(d.run.startedAt).toBe(FINISHED.toISOString())
    expect(Object.values(d.summary.byStatus).every((n) => n === 0)).toBe(true)
    expect(validateResults(d).valid).toBe(true)
  })

  it('rejects a wrong status, a missing field, an unknown field and a summary that does not add up', () => {
    const wrongStatus = structuredClone(doc()) as unknown as { tests: Record<string, unknown>[] }
    wrongStatus.tests[0]!['status'] = 'passed'
    const r1 = validateResults(wrongStatus)
    expect(r1.valid).toBe(false)
    expect(r1.errors.join('\n')).toMatch(/\/tests\/0\/status/)

    const missing = structuredClone(doc()) as unknown as { run: Record<string, unknown> }
    delete missing.run['finishedAt']
    expect(validateResults(missing).errors.join('\n')).toMatch(/finishedAt/)

    const extra = structuredClone(doc()) as unknown as { tests: Record<string, unknown>[] }
    extra.tests[0]!['colour'] = 'green'
    expect(validateResults(extra).errors.join('\n')).toMatch(/colour/)

    const badLevel = structuredClone(doc()) as unknown as { tests: Record<string, unknown>[] }
    badLevel.tests[0]!['level'] = 'MUSTN\'T'
    expect(validateResults(badLevel).valid).toBe(false)

    const miscount = structuredClone(doc())
    miscount.summary.byStatus.pass += 1
    expect(validateResults(miscount).errors.join('\n')).toMatch(/byStatus\/pass/)
  })
})

describe('closingCounts', () => {
  it('counts an unexpected pass as passed, or as failed in strict mode', () => {
    const d = doc()
    // pass 2, expected-fail 1, unexpected-pass 1, fail 2, error 1, skip 2, unsupported 1
    expect(closingCounts(d, false)).toEqual({ passed: 4, failed: 3, skipped: 3 })
    expect(closingCounts(d, true)).toEqual({ passed: 3, failed: 4, skipped: 3 })
    expect(closingLine(closingCounts(d, true))).toBe('3 passed, 4 failed, 3 skipped')
  })
})

describe('toTestRecord', () => {
  const file = path.join(REPO_ROOT, 'suites', 'robustness', 'deadline.test.ts')
  const tc = (over: Partial<{ meta: ReturnType<TestCaseLike['meta']>; state: string; errors: { message: string }[]; note: string; duration: number }>): TestCaseLike => ({
    fullName: 'deadline > holds',
    module: { moduleId: file },
    meta: () => over.meta ?? {},
    result: () => ({ state: over.state ?? 'passed', errors: over.errors, note: over.note }),
    diagnostic: () => (over.duration === undefined ? undefined : { duration: over.duration }),
  })

  it('maps conformance meta, preferring the status the wrapper decided', () => {
    const conformance = { behaviour: 'RAPI-1', title: 'T', level: 'MUST' as const, suite: 'runtime-api', source: 's', shim: 'go', target: 'embedded', observed: { a: SECRET }, variant: 'v1', reason: 'r' }
    const a = toTestRecord(tc({ meta: { conformance }, state: 'failed', errors: [{ message: `bad ${SECRET}` }], duration: 12.345 }), cfg, env)
    expect(a).toMatchObject({ id: 'RAPI-1/go/embedded', behaviour: 'RAPI-1', level: 'MUST', suite: 'runtime-api', shim: 'go', status: 'fail', variant: 'v1', reason: 'r', file: 'suites/robustness/deadline.test.ts', durationMs: 12.3 })
    expect(a.message).toBe('bad <redacted>')
    const b = toTestRecord(tc({ meta: { conformance: { ...conformance, shim: null, status: 'expected-fail' } } }), cfg, env)
    expect(b).toMatchObject({ id: 'RAPI-1/-/embedded', status: 'expected-fail', durationMs: 0 })
    expect(b.message).toBeUndefined()
  })

  it('maps the kit\'s own tests by file, suite folder and vitest state', () => {
    const a = toTestRecord(tc({ state: 'skipped', note: 'no Docker engine' }), cfg, env)
    expect(a).toMatchObject({ id: 'suites/robustness/deadline.test.ts > deadline > holds', behaviour: null, level: null, shim: null, title: 'deadline > holds', suite: 'robustness', target: 'embedded', status: 'skip', reason: 'no Docker engine' })
    const b = toTestRecord({ ...tc({ state: 'pending' }), module: { moduleId: path.join(REPO_ROOT, 'lib', 'config.test.ts') } }, cfg, env)
    expect(b).toMatchObject({ suite: 'kit', status: 'skip', file: 'lib/config.test.ts' })
  })
})

describe('renderJunit', () => {
  it('is well-formed, escapes markup, drops illegal characters, and counts like the document', () => {
    const d = doc()
    const xml = renderJunit(d, { env })
    expect(checkXml(xml)).toEqual([])
    expect(xml).toContain('&lt;&amp;&quot;&apos;&gt;')
    expect(xml).not.toContain('\u0001')
    expect(xml.match(/<testcase\b/g)).toHaveLength(d.tests.length)
    expect(attr(xml, 'testsuites', 'tests')).toBe(10)
    expect(attr(xml, 'testsuites', 'failures')).toBe(2)
    expect(attr(xml, 'testsuites', 'errors')).toBe(1)
    expect(attr(xml, 'testsuites', 'skipped')).toBe(3)
    expect(xml.match(/<failure\b/g)).toHaveLength(2)
    expect(xml).toContain('<skipped message="unsupported: needs capability response-streaming"/>')
    expect(xml).toContain('classname="runtime-api.aws-lambda-go" name="RAPI-DEADLINE-001 Behaviour RAPI-DEADLINE-001"')
    expect(xml).toContain('<property name="config.CONFORMANCE_TARGET" value="embedded"/>')
    expect(xml).toContain('<property name="kit.version" value="0.1.0"/>')
  })

  it('fails an unexpected pass only in strict mode', () => {
    const strict = renderJunit(doc({ CONFORMANCE_STRICT: '1' }), { env })
    expect(checkXml(strict)).toEqual([])
    expect(attr(strict, 'testsuites', 'failures')).toBe(3)
    expect(strict).toMatch(/<failure message="unexpected pass[^"]*" type="unexpected-pass">/)
  })
})

describe('renderHtml', () => {
  const d = doc()
  const html = renderHtml(d, { env })

  it('is self-contained: no script, no URL, links only to anchors inside the page', () => {
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/https?:\/\//i)
    expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}/i)
    expect(html).not.toMatch(/@import|url\(/i)
    for (const m of html.matchAll(/\s(src|href|action|srcset|poster)\s*=\s*"([^"]*)"/gi)) {
      expect(`${m[1]}=${m[2]}`).toMatch(/^href=(#[A-Za-z][\w-]*|data:.*)$/)
    }
    const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]))
    for (const m of html.matchAll(/href="#([^"]+)"/g)) expect(ids.has(m[1])).toBe(true)
    expect(html).not.toMatch(/\son[a-z]+\s*=/i)
  })

  it('shows every behaviour, every shim column, the statuses and a text legend', () => {
    for (const t of d.tests) if (t.behaviour !== null) expect(html).toContain(t.behaviour)
    const head = /<table class="matrix">\s*<thead>(.*?)<\/thead>/s.exec(html)?.[1] ?? ''
    for (const s of [...runContext.shims.map((x) => x.name), '(no shim)']) expect(head).toContain(`>${s}</th>`)
    for (const s of STATUSES) expect(html).toContain(`class="badge st-${s}"`)
    expect(html).toContain('4 passed, 3 failed, 3 skipped')
    expect(html).toContain('&lt;unknown&gt; &amp; &quot;odd&quot;')
    expect(html).not.toContain('\u0001')
    expect(html).toMatch(/<details id="t-RAPI-DEADLINE-001-broken-deadline-embedded" open>/)
    expect(html).toMatch(/<details id="t-RAPI-DEADLINE-001-aws-lambda-go-embedded">/)
    expect(html).toContain('aaaaaaaaaaaa')
    expect(html).toContain('CONFORMANCE_OUTPUT_DIR')
  })
})

describe('redaction', () => {
  it('keeps a host secret out of every output, even when handed an unredacted document', () => {
    const d = doc()
    const raw: ResultsDocument = { ...d, tests: [...d.tests, conf('LEAK-1', 'aws-lambda-go', 'fail', { observed: SECRET, message: SECRET })] }
    raw.summary = { total: raw.tests.length, byStatus: { ...d.summary.byStatus, fail: d.summary.byStatus.fail + 1 } }
    const outputs = {
      results: renderResultsJson(d),
      junit: renderJunit(raw, { env }),
      html: renderHtml(raw, { env }),
    }
    for (const [name, text] of Object.entries(outputs)) {
      expect(text, name).not.toContain(SECRET)
      expect(text, name).toContain(name === 'results' ? '<redacted>' : '&lt;redacted&gt;')
      expect(text, name).not.toContain('Bearer abc')
    }
  })
})

interface NestedRun {
  status: number | null
  lines: string[]
  out: string
}

/** Runs reports/fixtures/run.fixture.ts in a separate vitest with the kit's reporters, outputs in a temp dir. */
function nestedRun(tmp: string, extraEnv: NodeJS.ProcessEnv = {}): NestedRun {
  const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && !k.startsWith('CONFORMANCE_') && k !== 'NODE_OPTIONS'),
  )
  Object.assign(childEnv, {
    AWS_SECRET_ACCESS_KEY: SECRET,
    CONFORMANCE_OUTPUT_DIR: path.join(tmp, 'out'),
    CONFORMANCE_CACHE_DIR: path.join(tmp, 'cache'),
    NO_COLOR: '1',
    ...extraEnv,
  })
  writeRunContext(loadConfig(childEnv), runContext)
  const here = path.join(REPO_ROOT, 'reports')
  const reporters = ['results-json-reporter.ts', 'junit-reporter.ts', 'html-reporter.ts', 'summary-line-reporter.ts'].map((f) => path.join(here, f))
  const config = path.join(tmp, 'vitest.config.mjs')
  const settings = { root: REPO_ROOT, test: { include: ['reports/fixtures/run.fixture.ts'], pool: 'forks', reporters: ['default', ...reporters] } }
  fs.writeFileSync(config, `export default ${JSON.stringify(settings)}\n`)
  const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', config], {
    cwd: REPO_ROOT,
    env: childEnv,
    encoding: 'utf8',
    timeout: 90_000,
  })
  return { status: run.status, lines: run.stdout.trimEnd().split('\n'), out: path.join(tmp, 'out') }
}

function readOutputs(out: string): { results: ResultsDocument; junit: string; html: string } {
  return {
    results: JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsDocument,
    junit: fs.readFileSync(path.join(out, 'junit.xml'), 'utf8'),
    html: fs.readFileSync(path.join(out, 'report.html'), 'utf8'),
  }
}

describe('the reporters in a real vitest run', () => {
  it('write all three files on a failing run and end with the closing line', { timeout: 120_000 }, () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-reporters-'))
    try {
      const run = nestedRun(tmp)
      expect(run.status).toBe(1)
      expect(run.lines.at(-1)).toBe('4 passed, 3 failed, 3 skipped')
      for (const f of ['results.json', 'junit.xml', 'report.html']) expect(run.lines).toContain(`  ${path.join(run.out, f)}`)

      const { results, junit, html } = readOutputs(run.out)
      expect(validateResults(results)).toEqual({ valid: true, errors: [] })
      expect(results.run.reason).toBe('failed')
      expect(results.run.startedAt).toBe(runContext.startedAt)
      expect(results.shims.map((s) => s.name)).toEqual(['aws-lambda-go', 'broken-deadline'])
      const byTitle = new Map(results.tests.map((t) => [`${t.shim ?? '-'} ${t.title}`, t]))
      expect(byTitle.get('- kit fixture > passes')?.figures).toEqual({ faultsInjected: 7, leftover: 'none' })
      expect(html).toContain('id="h-figures"')
      expect(byTitle.get('- kit fixture > skips with a note')).toMatchObject({ status: 'skip', reason: 'no Docker engine', suite: 'kit', file: 'reports/fixtures/run.fixture.ts' })
      expect(byTitle.get('broken The handler echoes the payload')).toMatchObject({ id: 'FIX-ECHO-001/broken/embedded', status: 'fail' })
      expect(results.tests.find((t) => t.status === 'error')).toMatchObject({ behaviour: 'FIX-STREAM-001', message: 'target unreachable' })
      expect(checkXml(junit)).toEqual([])
      expect(html).toContain('FIX-ECHO-001')
      // vitest's own 'default' reporter prints raw error messages; the kit's outputs must not.
      for (const text of [run.lines.slice(-5).join('\n'), JSON.stringify(results), junit, html]) expect(text).not.toContain(SECRET)
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true })
    }
  })

  it('write the outputs and the closing line when the run is stopped by SIGINT', { timeout: 120_000 }, () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-reporters-'))
    try {
      const run = nestedRun(tmp, { FIXTURE_INTERRUPT: '1' })
      expect(run.status).toBe(130)
      expect(run.lines.at(-2)).toMatch(/interrupted/)
      expect(run.lines.at(-1)).toBe('4 passed, 3 failed, 3 skipped')
      const { results, junit } = readOutputs(run.out)
      expect(validateResults(results)).toEqual({ valid: true, errors: [] })
      expect(results.run.reason).toBe('interrupted')
      expect(results.tests.find((t) => t.title.endsWith('interrupts the run'))).toMatchObject({ status: 'skip', reason: expect.stringMatching(/not run/) })
      expect(checkXml(junit)).toEqual([])
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true })
    }
  })
})
