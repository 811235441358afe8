/**
 * Writes `<CONFORMANCE_OUTPUT_DIR>/junit.xml`: one <testsuite> per test file, one <testcase> per test, with the
 * kit version, target and effective configuration as properties so a CI dashboard shows what was run.
 */
import type { SerializedError, TestModule, TestRunEndReason } from 'vitest/node'
import { redact } from '../lib/config.js'
import type { ResultsDocument, TestRecord } from '../lib/results/model.js'
import { isStrict, OUTPUT_FILES } from './collect.js'
import { RunEndReporter, writeRunOutput } from './output.js'

export interface JunitOptions {
  /** File name inside the output directory, or an absolute path. Default `junit.xml`. */
  fileName?: string
  /** Environment for the configuration and for redaction. Default `process.env`. */
  env?: NodeJS.ProcessEnv
}

export interface RenderJunitOptions {
  /** Count unexpected passes as failures. Default: the document's CONFORMANCE_STRICT. */
  strict?: boolean
  /** Secrets in this environment are redacted once more before rendering. Default `process.env`. */
  env?: NodeJS.ProcessEnv
}

/** Characters XML 1.0 does not allow anywhere (C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF). */
const ILLEGAL_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

export function xmlText(value: unknown): string {
  return String(value).replace(ILLEGAL_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export function xmlAttr(value: unknown): string {
  return xmlText(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;')
}

function attrs(pairs: Record<string, unknown>): string {
  return Object.entries(pairs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlAttr(v)}"`)
    .join('')
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3)
}

function property(name: string, value: unknown): string {
  const v = typeof value === 'string' ? value : value === null || value === undefined ? '' : JSON.stringify(value)
  return `<property${attrs({ name, value: v })}/>`
}

type Outcome = 'passed' | 'failure' | 'error' | 'skipped'

function outcome(t: TestRecord, strict: boolean): Outcome {
  switch (t.status) {
    case 'fail':
      return 'failure'
    case 'unexpected-pass':
      return strict ? 'failure' : 'passed'
    case 'error':
      return 'error'
    case 'skip':
    case 'unsupported':
      return 'skipped'
    default:
      return 'passed'
  }
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? ''
}

function testcase(t: TestRecord, strict: boolean, indent: string): string {
  const classname = t.shim === null ? t.suite : `${t.suite}.${t.shim}`
  const name = t.behaviour === null ? t.title : `${t.behaviour} ${t.title}`
  const props = [
    property('id', t.id),
    property('behaviour', t.behaviour),
    property('level', t.level),
    property('shim', t.shim),
    property('target', t.target),
    property('status', t.status),
    ...(t.variant !== undefined ? [property('variant', t.variant)] : []),
    ...(t.source !== undefined ? [property('source', t.source)] : []),
  ]
  const inner: string[] = [`<properties>${props.join('')}</properties>`]
  const o = outcome(t, strict)
  if (o === 'failure') {
    const message = t.status === 'unexpected-pass'
      ? `unexpected pass: listed as an expected failure but passed (strict mode)${t.reason ? `; listed because: ${t.reason}` : ''}`
      : t.message ?? 'failed'
    inner.push(`<failure${attrs({ message: firstLine(message), type: t.status })}>${xmlText(message)}</failure>`)
  } else if (o === 'error') {
    const message = t.message ?? t.reason ?? 'error'
    inner.push(`<error${attrs({ message: firstLine(message), type: 'error' })}>${xmlText(message)}</error>`)
  } else if (o === 'skipped') {
    const reason = t.reason ?? (t.status === 'unsupported' ? 'capability not declared by the shim' : 'not run')
    inner.push(`<skipped${attrs({ message: t.status === 'unsupported' ? `unsupported: ${reason}` : reason })}/>`)
  }
  const out: string[] = []
  if (t.expected !== undefined) out.push(`expected: ${JSON.stringify(t.expected, null, 2)}`)
  if (t.observed !== undefined) out.push(`observed: ${JSON.stringify(t.observed, null, 2)}`)
  if (o === 'passed' && t.status !== 'pass') out.push(`status: ${t.status}${t.reason ? ` (${t.reason})` : ''}`)
  if (out.length > 0) inner.push(`<system-out>${xmlText(out.join('\n'))}</system-out>`)
  const head = `<testcase${attrs({ classname, name, time: seconds(t.durationMs) })}>`
  return `${indent}${head}\n${inner.map((l) => `${indent}  ${l}`).join('\n')}\n${indent}</testcase>`
}

function counts(tests: ReadonlyArray<TestRecord>, strict: boolean): { tests: number; failures: number; errors: number; skipped: number } {
  const o = tests.map((t) => outcome(t, strict))
  return {
    tests: tests.length,
    failures: o.filter((x) => x === 'failure').length,
    errors: o.filter((x) => x === 'error').length,
    skipped: o.filter((x) => x === 'skipped').length,
  }
}

/** The JUnit XML for a results document. Pure; the document is redacted again as a safety net. */
export function renderJunit(input: ResultsDocument, options: RenderJunitOptions = {}): string {
  const doc = redact(input, options.env ?? process.env)
  const strict = options.strict ?? isStrict(doc)
  const files = new Map<string, TestRecord[]>()
  for (const t of doc.tests) {
    const list = files.get(t.file) ?? []
    list.push(t)
    files.set(t.file, list)
  }
  const suiteProps = [
    property('kit.name', doc.kit.name),
    property('kit.version', doc.kit.version),
    property('kit.commit', doc.kit.commit),
    property('target', doc.target.name),
    ...(doc.target.endpoint !== undefined ? [property('target.endpoint', doc.target.endpoint)] : []),
    property('shims', doc.shims.map((s) => s.name).join(',')),
    property('run.reason', doc.run.reason),
    ...Object.entries(doc.config).map(([k, v]) => property(`config.${k}`, v)),
  ]
  const suites = [...files.entries()].map(([file, tests]) => {
    const time = tests.reduce((sum, t) => sum + t.durationMs, 0)
    const head = `<testsuite${attrs({ name: file === '' ? '(run)' : file, ...counts(tests, strict), time: seconds(time), timestamp: doc.run.startedAt })}>`
    const props = `    <properties>\n${suiteProps.map((p) => `      ${p}`).join('\n')}\n    </properties>`
    return `  ${head}\n${props}\n${tests.map((t) => testcase(t, strict, '    ')).join('\n')}\n  </testsuite>`
  })
  const total = counts(doc.tests, strict)
  const root = `<testsuites${attrs({ name: doc.kit.name, ...total, time: seconds(doc.run.durationMs), timestamp: doc.run.startedAt })}>`
  return ['<?xml version="1.0" encoding="UTF-8"?>', root, ...suites, '</testsuites>', ''].join('\n')
}

export default class JunitReporter extends RunEndReporter {
  constructor(private readonly options: JunitOptions = {}) {
    super()
  }

  protected finish(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const env = this.options.env ?? process.env
    const run = { testModules, unhandledErrors, reason, startedAt: this.run.startedAt, env }
    writeRunOutput(this.options.fileName ?? OUTPUT_FILES.junit, run, (doc) => renderJunit(doc, { env }))
  }
}
