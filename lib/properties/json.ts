/**
 * JSON helpers for the property suites: what a body is (RFC 8259 JSON text, invalid UTF-8, ...), whether two JSON
 * values are the same, and a short, printable summary of a payload. Everything here is iterative, so a value nested
 * a million levels deep neither overflows the stack nor builds a million path strings.
 */
import crypto from 'node:crypto'

/** The UTF-8 byte order mark. RFC 8259 §8.1: senders MUST NOT add one; parsers MAY ignore it. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf])
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * What a request body is, by RFC 8259 (JSON text) and RFC 3629 (UTF-8):
 * - `empty`: no bytes (Lambda delivers `{}`, LB §2.1);
 * - `json`: UTF-8 JSON text;
 * - `bom-json`: a byte order mark, then UTF-8 JSON text (RFC 8259 §8.1 lets a parser accept or refuse it);
 * - `invalid-utf8`: not UTF-8;
 * - `invalid-json`: UTF-8, but not JSON text.
 */
export type BodyKind = 'empty' | 'json' | 'bom-json' | 'invalid-utf8' | 'invalid-json'

export function classifyBody(body: Buffer): BodyKind {
  if (body.length === 0) return 'empty'
  let text: string
  try {
    text = strictUtf8.decode(body)
  } catch {
    return 'invalid-utf8'
  }
  if (parses(text)) return 'json'
  if (body.subarray(0, 3).equals(BOM) && parses(text.slice(1))) return 'bom-json'
  return 'invalid-json'
}

function parses(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** A step from a value to one of its children: an array index or an object key. */
type Step = number | string

/**
 * The first place where two parsed JSON values differ, or null when they are the same JSON value: numbers compared
 * as IEEE 754 doubles with `===` (so `-0` equals `0`, and `9007199254740993` equals `9007199254740992` once
 * parsed: RFC 8259 §6), strings by code units, objects by their set of keys (order ignored), arrays in order.
 */
export function jsonDifference(expected: unknown, actual: unknown): string | null {
  // Parent links instead of path strings: the path is built only for the difference that is reported.
  const parents: number[] = [-1]
  const steps: Step[] = ['$']
  const todo: [unknown, unknown, number][] = [[expected, actual, 0]]
  const pathOf = (i: number): string => {
    const parts: Step[] = []
    for (let j = i; j > 0; j = parents[j]!) parts.push(steps[j]!)
    parts.reverse()
    const shown = parts.length > 12 ? [...parts.slice(0, 4), `…(${parts.length - 8} levels)…`, ...parts.slice(-4)] : parts
    return '$' + shown.map((p) => (typeof p === 'number' ? `[${p}]` : p.startsWith('…') ? p : `[${JSON.stringify(p)}]`)).join('')
  }
  const child = (parent: number, step: Step): number => {
    parents.push(parent)
    steps.push(step)
    return parents.length - 1
  }
  while (todo.length > 0) {
    const [x, y, at] = todo.pop()!
    if (typeof x !== 'object' || x === null || typeof y !== 'object' || y === null) {
      if (x !== y) return `${pathOf(at)}: expected ${show(x)}, got ${show(y)}`
      continue
    }
    if (Array.isArray(x) !== Array.isArray(y)) return `${pathOf(at)}: expected ${Array.isArray(x) ? 'an array' : 'an object'}, got ${Array.isArray(y) ? 'an array' : 'an object'}`
    if (Array.isArray(x)) {
      const ya = y as unknown[]
      if (x.length !== ya.length) return `${pathOf(at)}: expected an array of ${x.length}, got ${ya.length} elements`
      for (let i = x.length - 1; i >= 0; i--) todo.push([x[i], ya[i], child(at, i)])
      continue
    }
    const xo = x as Record<string, unknown>
    const yo = y as Record<string, unknown>
    const xk = Object.keys(xo)
    const yk = new Set(Object.keys(yo))
    for (const k of xk) if (!yk.has(k)) return `${pathOf(at)}: key ${JSON.stringify(k)} is missing`
    if (yk.size !== xk.length) {
      const extra = [...yk].find((k) => !Object.hasOwn(xo, k))
      return `${pathOf(at)}: unexpected key ${JSON.stringify(extra)}`
    }
    for (let i = xk.length - 1; i >= 0; i--) todo.push([xo[xk[i]!], yo[xk[i]!], child(at, xk[i]!)])
  }
  return null
}

function show(v: unknown): string {
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object'
  if (typeof v === 'number' && Object.is(v, -0)) return '-0'
  const s = JSON.stringify(v) ?? String(v)
  return s.length > 80 ? `${s.slice(0, 60)}…(${s.length} chars)` : s
}

/** Where two byte strings first differ, with a little context, or null when equal. */
export function byteDifference(expected: Buffer, actual: Buffer): string | null {
  if (expected.equals(actual)) return null
  let i = 0
  const n = Math.min(expected.length, actual.length)
  while (i < n && expected[i] === actual[i]) i++
  const around = (b: Buffer): string => JSON.stringify(b.subarray(Math.max(0, i - 16), i + 24).toString('utf8'))
  return `bytes differ at offset ${i} (sent ${expected.length} bytes, got ${actual.length}): sent …${around(expected)}…, got …${around(actual)}…`
}

/** A payload in a form fit for a failure message or a report: the first 200 characters, the byte length and sha256. */
export interface PayloadSummary {
  /**
   * First 200 characters of the UTF-8 decoding (invalid bytes as U+FFFD), with control and invisible characters
   * shown as `<U+XXXX>`, and `…` when there is more.
   */
  head: string
  bytes: number
  sha256: string
}

/** C0 and C1 controls, DEL, the line and paragraph separators and the byte order mark: shown, never printed raw. */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/g

export function summarisePayload(payload: Buffer, chars = 200): PayloadSummary {
  const text = payload.subarray(0, chars * 4).toString('utf8')
  const cut = [...text.slice(0, chars * 2)].slice(0, chars).join('')
  const more = Buffer.byteLength(cut) < payload.length
  const shown = cut.replace(INVISIBLE, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`)
  return { head: shown + (more ? '…' : ''), bytes: payload.length, sha256: crypto.createHash('sha256').update(payload).digest('hex') }
}

/** `{"a":…` (6291456 bytes, sha256 0123abcd…): one line. */
export function describePayload(p: PayloadSummary): string {
  return `${p.head} (${p.bytes.toLocaleString('en-US')} bytes, sha256 ${p.sha256})`
}
