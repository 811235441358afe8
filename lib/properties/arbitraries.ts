/**
 * fast-check arbitraries for Lambda events. They generate small *recipes* (a JSON tree with its formatting, a depth
 * and a shape, a core and a byte count) that the property turns into bytes: counterexamples stay short enough to
 * print, shrinking is cheap, and megabyte payloads are built by padding, never generated (kit-patterns.md §3.5).
 *
 * A recipe must not depend on anything but the seed (not on the shim, the target or the profile): replaying a
 * seed and path (lib/properties/run.ts) regenerates the same recipe only if the arbitrary is the same.
 */
import fc from 'fast-check'
import { classifyBody } from './json.js'

// ---------------------------------------------------------------- JSON text with chosen spelling

/**
 * How a string's characters are spelt in JSON text (RFC 8259 §7). Every style spells the same string:
 * - `minimal`: only `"`, `\` and U+0000–U+001F escaped (short forms `\b \f \n \r \t` where they exist);
 * - `controls-u`: like minimal, but every control character as `\u00XX` (uppercase hex);
 * - `ascii`: also everything from U+007F up as `\uxxxx` (lowercase hex; astral characters as surrogate pairs);
 * - `ascii-upper`: the same with uppercase hex;
 * - `all`: every character as `\uXXXX`;
 * - `solidus`: minimal, plus `/` as `\/`;
 * - `alternate`: every other character as `\uXXXX`, the rest minimal.
 */
export const ESCAPE_STYLES = ['minimal', 'controls-u', 'ascii', 'ascii-upper', 'all', 'solidus', 'alternate'] as const
export type EscapeStyle = (typeof ESCAPE_STYLES)[number]

export type JsonNode =
  | { t: 'lit'; v: 'true' | 'false' | 'null' }
  /** A number exactly as spelt in the text (an RFC 8259 §6 number, within the range of a double). */
  | { t: 'num'; lex: string }
  | StrNode
  /** `ws` goes after `[`, around every `,` and before `]`. */
  | { t: 'arr'; items: JsonNode[]; ws: string }
  /** `ws` goes after `{`, around every `:` and `,`, and before `}`. Keys are unique. */
  | { t: 'obj'; entries: { k: StrNode; v: JsonNode }[]; ws: string }
  /** A huge container: `item` repeated `n` times (at most BIG_BYTES of text), as an array or as an object `{"k0":…}`. */
  | { t: 'big'; kind: 'arr' | 'obj'; n: number; item: JsonNode }
  /** `inner` wrapped in `depth` containers: arrays `[…]`, objects `{"a":…}`, or both alternately. */
  | { t: 'deep'; kind: DeepKind; depth: number; inner: JsonNode }
export type StrNode = { t: 'str'; s: string; esc: EscapeStyle }
export type DeepKind = 'arr' | 'obj' | 'mixed'

/** A whole event: a value with whitespace before and after it. */
export interface JsonEvent {
  lead: string
  value: JsonNode
  trail: string
}

/** Largest text a `big` node renders to, so a huge array stays far below the 6 MB request limit. */
export const BIG_BYTES = 1_000_000

const hex4 = (n: number, upper: boolean): string => {
  const h = n.toString(16).padStart(4, '0')
  return upper ? h.toUpperCase() : h
}

/** `\uXXXX`, or a surrogate pair of them for an astral code point. */
function uEscape(cp: number, upper: boolean): string {
  if (cp <= 0xffff) return `\\u${hex4(cp, upper)}`
  const v = cp - 0x10000
  return `\\u${hex4(0xd800 + (v >> 10), upper)}\\u${hex4(0xdc00 + (v & 0x3ff), upper)}`
}

const SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** The string as JSON text in the given style, quotes included. */
export function renderString(s: string, style: EscapeStyle): string {
  let out = '"'
  let i = 0
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    const odd = i++ % 2 === 1
    if (style === 'all' || (style === 'alternate' && odd)) out += uEscape(cp, true)
    else if (cp < 0x20) out += style === 'controls-u' ? uEscape(cp, true) : (SHORT[ch] ?? uEscape(cp, false))
    else if (ch === '"' || ch === '\\') out += SHORT[ch]
    else if (ch === '/' && style === 'solidus') out += '\\/'
    else if (cp >= 0x7f && (style === 'ascii' || style === 'ascii-upper')) out += uEscape(cp, style === 'ascii-upper')
    else out += ch
  }
  return out + '"'
}

/** JSON text of a node. Recursion is bounded by the generators (trees are shallow; `deep` and `big` are built flat). */
export function renderNode(n: JsonNode): string {
  switch (n.t) {
    case 'lit':
      return n.v
    case 'num':
      return n.lex
    case 'str':
      return renderString(n.s, n.esc)
    case 'arr':
      return n.items.length === 0 ? `[${n.ws}]` : `[${n.ws}${n.items.map(renderNode).join(`${n.ws},${n.ws}`)}${n.ws}]`
    case 'obj':
      return n.entries.length === 0
        ? `{${n.ws}}`
        : `{${n.ws}${n.entries.map((e) => `${renderString(e.k.s, e.k.esc)}${n.ws}:${n.ws}${renderNode(e.v)}`).join(`${n.ws},${n.ws}`)}${n.ws}}`
    case 'big': {
      const item = renderNode(n.item)
      const count = Math.max(1, Math.min(n.n, Math.floor(BIG_BYTES / (Buffer.byteLength(item) + 8))))
      if (n.kind === 'arr') return `[${new Array<string>(count).fill(item).join(',')}]`
      const parts: string[] = []
      for (let i = 0; i < count; i++) parts.push(`"k${i}":${item}`)
      return `{${parts.join(',')}}`
    }
    case 'deep': {
      const { open, close } = deepShell(n.kind, n.depth)
      return open + renderNode(n.inner) + close
    }
  }
}

/** The openers and closers of `depth` nested containers. */
export function deepShell(kind: DeepKind, depth: number): { open: string; close: string } {
  if (kind === 'arr') return { open: '['.repeat(depth), close: ']'.repeat(depth) }
  if (kind === 'obj') return { open: '{"a":'.repeat(depth), close: '}'.repeat(depth) }
  const pairs = Math.floor(depth / 2)
  const odd = depth % 2 === 1
  return { open: '[{"a":'.repeat(pairs) + (odd ? '[' : ''), close: (odd ? ']' : '') + '}]'.repeat(pairs) }
}

export function renderEvent(e: JsonEvent): Buffer {
  return Buffer.from(e.lead + renderNode(e.value) + e.trail, 'utf8')
}

/** Nesting depth of a node's containers (a `big` counts one level; its item is not looked into further than once). */
export function nodeDepth(n: JsonNode): number {
  switch (n.t) {
    case 'arr':
      return 1 + Math.max(0, ...n.items.map(nodeDepth))
    case 'obj':
      return 1 + Math.max(0, ...n.entries.map((e) => nodeDepth(e.v)))
    case 'big':
      return 1 + nodeDepth(n.item)
    case 'deep':
      return n.depth + nodeDepth(n.inner)
    default:
      return 0
  }
}

// ---------------------------------------------------------------- leaves

/** Whitespace between tokens (RFC 8259 §2: space, tab, line feed, carriage return), often none. */
export const whitespace = fc.constantFrom('', '', '', ' ', '\n', '\t', '\r\n', ' \n\t ')

/**
 * Characters that break naive handling: line and paragraph separators (invalid in JavaScript string literals
 * before ES2019), NUL and other controls, HTML-significant `<>&` (Go escapes them), quote, backslash and solidus,
 * BOM, non-characters, the replacement character, astral characters from plane 1 to 16, a combining sequence
 * and a ZWJ emoji sequence.
 */
export const TRICKY_CHARACTERS = [
  '\u2028', '\u2029', '\u0000', '\u0001', '\u0008', '\u001f', '\u007f', '\u0080', '\u0085', '\u00a0', '\u00ff',
  '<', '>', '&', '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', '\u00e9', 'e\u0301', '\u20ac', '\u200d', '\ufeff',
  '\ufffd', '\ufffe', '\uffff', '\u{10000}', '\u{1f600}', '\u{1f469}\u200d\u{1f4bb}', '\u{2a6d6}', '\u{e0001}',
  '\u{f0000}', '\u{10fffd}', '\u{10ffff}',
] as const

/** Strings from every Unicode plane (never a lone surrogate: RFC 8259 §8.2 leaves those unpredictable). */
export const unicodeString = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...TRICKY_CHARACTERS) },
      { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
      { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''))

export const stringNode: fc.Arbitrary<StrNode> = fc.record({
  t: fc.constant('str' as const),
  s: unicodeString,
  esc: fc.constantFrom(...ESCAPE_STYLES),
})

/**
 * Numbers at the edges of float64 and of the integer types, in several spellings: ±2^53±1, ±2^63, 2^64, the
 * largest double, the smallest normal and subnormal doubles, ±0 and -0.0, exponents in every case and sign. All
 * are within the range of a double (RFC 8259 §6 lets implementations limit range, so 1e400 is left out).
 */
export const EDGE_NUMBERS = [
  '0', '-0', '0.0', '-0.0', '0e0', '-0E-0', '1', '-1', '0.1', '1.0', '1e2', '1E+2', '1e-2', '100',
  '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740991', '-9007199254740992', '-9007199254740993',
  '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809',
  '18446744073709551615', '18446744073709551616', '123456789012345678901234567890',
  '1e308', '1E308', '-1e308', '1.7976931348623157e308', '-1.7976931348623157E+308', '1.7976931348623157e+308',
  '5e-324', '-5e-324', '4.9406564584124654e-324', '2.2250738585072014e-308', '2.225073858507201e-308',
  '1e-7', '1e21', '1e+21', '0.000001', '123456789.123456789', '3.141592653589793238462643383279',
] as const

const digits = (max: number): fc.Arbitrary<string> => fc.array(fc.constantFrom(...'0123456789'), { minLength: 1, maxLength: max }).map((d) => d.join(''))

/** A number spelt by the JSON grammar: optional minus, integer part without leading zeros, fraction, exponent. */
const spelledNumber = fc
  .record({
    minus: fc.boolean(),
    int: fc.oneof(fc.constant('0'), fc.integer({ min: 1, max: 999_999_999 }).map(String)),
    frac: fc.option(digits(20), { nil: undefined }),
    exp: fc.option(fc.record({ e: fc.constantFrom('e', 'E'), sign: fc.constantFrom('', '+', '-'), value: fc.integer({ min: 0, max: 290 }), zeros: fc.nat(2) }), { nil: undefined }),
  })
  .map(({ minus, int, frac, exp }) => `${minus ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}${exp === undefined ? '' : `${exp.e}${exp.sign}${'0'.repeat(exp.zeros)}${exp.value}`}`)

export const numberNode: fc.Arbitrary<JsonNode> = fc
  .oneof(
    { weight: 3, arbitrary: fc.constantFrom(...EDGE_NUMBERS) },
    { weight: 2, arbitrary: fc.integer().map(String) },
    { weight: 1, arbitrary: fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }).map(String) },
    { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? '-0' : JSON.stringify(d))) },
    { weight: 2, arbitrary: spelledNumber },
  )
  .map((lex) => ({ t: 'num' as const, lex }))

export const literalNode: fc.Arbitrary<JsonNode> = fc.constantFrom('true', 'false', 'null').map((v) => ({ t: 'lit' as const, v: v as 'true' | 'false' | 'null' }))

export const leafNode: fc.Arbitrary<JsonNode> = fc.oneof({ weight: 1, arbitrary: literalNode }, { weight: 3, arbitrary: numberNode }, { weight: 3, arbitrary: stringNode })

// ---------------------------------------------------------------- trees and events

/** JSON trees up to `maxDepth` levels, containers up to `maxLength` entries. */
export function jsonTree(maxDepth: number, maxLength: number): fc.Arbitrary<JsonNode> {
  const { value } = fc.letrec<{ value: JsonNode; arr: JsonNode; obj: JsonNode }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', maxDepth, withCrossShrink: true }, leafNode, tie('arr'), tie('obj')),
    arr: fc.record({ t: fc.constant('arr' as const), items: fc.array(tie('value'), { maxLength }), ws: whitespace }),
    obj: fc.record({
      t: fc.constant('obj' as const),
      entries: fc.uniqueArray(fc.record({ k: stringNode, v: tie('value') }), { maxLength, selector: (e) => e.k.s }),
      ws: whitespace,
    }),
  }))
  return value
}

const bigNode: fc.Arbitrary<JsonNode> = fc.record({
  t: fc.constant('big' as const),
  kind: fc.constantFrom('arr' as const, 'obj' as const),
  n: fc.integer({ min: 1_000, max: 200_000 }),
  item: fc.oneof(leafNode, jsonTree(2, 3)),
})

const moderatelyDeep: fc.Arbitrary<JsonNode> = fc.record({
  t: fc.constant('deep' as const),
  kind: fc.constantFrom<DeepKind>('arr', 'obj', 'mixed'),
  depth: fc.integer({ min: 1, max: 200 }),
  inner: fc.oneof(leafNode, jsonTree(2, 3)),
})

/**
 * Any JSON event: mostly trees of every value type (strings from every plane, edge numbers, varied escapes and
 * whitespace), sometimes a huge array or object (up to BIG_BYTES) or a value nested up to 200 levels (deeper
 * nesting is `depthBomb`'s).
 */
export const jsonEvent: fc.Arbitrary<JsonEvent> = fc.record({
  lead: whitespace,
  value: fc.oneof({ weight: 14, arbitrary: jsonTree(6, 6) }, { weight: 1, arbitrary: bigNode }, { weight: 1, arbitrary: moderatelyDeep }),
  trail: whitespace,
})

// ---------------------------------------------------------------- depth bombs

/** Go's encoding/json refuses nesting deeper than this (`maxNestingDepth` in encoding/json/scanner.go). */
export const GO_JSON_MAX_DEPTH = 10_000

export interface DepthBomb {
  depth: number
  kind: DeepKind
  inner: JsonNode
}

/**
 * Nesting around Go's limit (9,990–10,010 levels), below it, and far beyond it (20,000 to 1,000,000 levels; the
 * deepest object bomb is 6,000,000 bytes, still under the request limit), as arrays, objects or both.
 */
export const depthBomb: fc.Arbitrary<DepthBomb> = fc.record({
  depth: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: GO_JSON_MAX_DEPTH - 10, max: GO_JSON_MAX_DEPTH + 10 }) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: GO_JSON_MAX_DEPTH - 11 }) },
    { weight: 1, arbitrary: fc.constantFrom(20_000, 100_000, 1_000_000) },
  ),
  kind: fc.constantFrom<DeepKind>('arr', 'obj', 'mixed'),
  inner: fc.oneof(literalNode, fc.constantFrom<JsonNode>({ t: 'num', lex: '0' }, { t: 'str', s: 'x', esc: 'minimal' }), fc.constant<JsonNode>({ t: 'arr', items: [], ws: '' })),
})

export function renderDepthBomb(b: DepthBomb): Buffer {
  return renderEvent({ lead: '', trail: '', value: { t: 'deep', kind: b.kind, depth: b.depth, inner: b.inner } })
}

/** Containers from the outside to the innermost value, as Go's scanner counts them. */
export function depthBombLevels(b: DepthBomb): number {
  return b.depth + nodeDepth(b.inner)
}

// ---------------------------------------------------------------- near-limit payloads

/**
 * A byte delta in [-64, 64]: exactly 0 (the limit itself) a third of the time, ±1 or ±64 a sixth, any value in
 * the range the rest: 12 runs draw the limit itself, and a case on each side of it, each with 99 % probability.
 */
const nearDelta: fc.Arbitrary<number> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constantFrom(1, -1, 64, -64) },
  { weight: 3, arbitrary: fc.integer({ min: -64, max: 64 }) },
)

/**
 * Fillers that need no JSON escaping, of 1, 2, 3 and 4 UTF-8 bytes (U+2028 needs none in JSON, only in old
 * JavaScript; `<` is escaped by Go's encoder, but not by JSON).
 */
export const FILLERS = ['a', '~', '<', '\u00e9', '\u20ac', '\u2028', '\u{1f600}'] as const

export interface NearLimit {
  /** A small JSON value carried beside the padding. */
  core: JsonNode
  /** Bytes above (positive) or below (negative) the limit. */
  delta: number
  filler: string
}

/**
 * A small random core, a byte delta in [-64, 64] (`nearDelta`: the boundary cases often) and a filler; the
 * property pads it to exactly limit + delta bytes with `padToBytes` (kit-patterns.md §3.5). The core is at most
 * two levels of at most four entries, so a shim that re-encodes it (adding a space after every `,` and `:`)
 * grows it by well under the 100 bytes between the request and the response limit.
 */
export const nearLimit: fc.Arbitrary<NearLimit> = fc.record({
  core: jsonTree(2, 4),
  delta: nearDelta,
  filler: fc.constantFrom(...FILLERS),
})

/**
 * `{"core":<core>,"pad":"<filler…>"}` of exactly `bytes` bytes (measured in UTF-8, never in UTF-16 units): the
 * filler repeated, then `x` for the bytes a multi-byte filler cannot fill.
 */
export function padToBytes(coreText: string, bytes: number, filler: string): Buffer {
  const head = Buffer.from(`{"core":${coreText},"pad":"`, 'utf8')
  const tail = Buffer.from('"}', 'utf8')
  const budget = bytes - head.length - tail.length
  if (budget < 0) throw new Error(`padToBytes: the core alone is ${head.length + tail.length} bytes, more than ${bytes}`)
  const unit = Buffer.from(filler, 'utf8')
  const fill = Math.floor(budget / unit.length) * unit.length
  const out = Buffer.concat([head, Buffer.alloc(fill, unit), Buffer.alloc(budget - fill, 'x'), tail])
  if (out.length !== bytes) throw new Error(`padToBytes: built ${out.length} bytes instead of ${bytes}`)
  return out
}

export function renderNearLimit(c: NearLimit, limit: number): Buffer {
  return padToBytes(renderNode(c.core), limit + c.delta, c.filler)
}

/** A response size near a limit and the `bytes` probe's fill character (printable ASCII other than `"` and `\`). */
export interface NearResponse {
  delta: number
  fill: string
}

export const nearResponse: fc.Arbitrary<NearResponse> = fc.record({
  delta: nearDelta,
  fill: fc.integer({ min: 0x20, max: 0x7e }).filter((c) => c !== 0x22 && c !== 0x5c).map((c) => String.fromCharCode(c)),
})

// ---------------------------------------------------------------- bodies that are not JSON

/** Byte sequences that are never UTF-8 (RFC 3629 §3-4): stray continuations, overlongs, surrogates, >U+10FFFF, cut sequences. */
export const INVALID_UTF8 = [
  [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
  [0xf0, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe], [0xff],
  [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc3, 0x28], [0xe2, 0x28, 0xa1],
] as const

/**
 * Texts that are not JSON although something accepts them: JavaScript and Python literals, comments, trailing
 * commas, hex, leading zeros and signs, bad escapes, raw control characters in strings, whitespace JSON does not
 * allow (NBSP, ideographic space, vertical tab, form feed), unbalanced brackets, two values, nothing at all.
 */
export const NOT_JSON = [
  'NaN', 'Infinity', '-Infinity', 'undefined', 'True', 'None', "'single'", '{a:1}', "{'a':1}", '[1,]', '{"a":1,}', '/* c */ 1',
  '// c\n1', '# c\n1', '0x10', '01', '-01', '+1', '.5', '1.', '1e', '1e+', '-', '--1', '"\\x41"', '"\\u12"', '"\\uZZZZ"', '"\\a"', '"\\\'"',
  'tru', 'nul', 'fals', '{"a" 1}', '{"a":1 "b":2}', '[1 2]', '"abc', '{', '[', ']', '}', '{}}', '[]]', '{} {}', '1 2', '"a" "b"',
  '"\t"', '"\n"', '"\u0000"', '"\u001f"', '\u00a0{}', '\u3000[]', '\u000b{}', '\f{}', '{}\u00a0', ' ', '\n\t', '\ufeff', ':', ',',
  '{"a":}', '{:1}', '[,1]', '{"a"}', '{1:2}', '{"a":1}]', '<xml/>', 'null null',
] as const

export type InvalidBody =
  | { t: 'bytes'; bytes: number[] }
  | { t: 'text'; text: string }
  | { t: 'not-json'; text: string; lead: string; trail: string }
  | { t: 'truncated'; json: JsonEvent; keep: number }
  | { t: 'appended'; json: JsonEvent; junk: string }
  | { t: 'bad-utf8-in-string'; before: string; seq: number[]; after: string }
  | { t: 'bad-utf8-anywhere'; json: JsonEvent; at: number; seq: number[] }

const smallEvent: fc.Arbitrary<JsonEvent> = fc.record({ lead: whitespace, value: jsonTree(3, 4), trail: whitespace })
const badSequence = fc.constantFrom(...INVALID_UTF8).map((s) => [...s])

/**
 * Candidate bodies that are not JSON: random bytes, random text, known non-JSON texts, truncated or extended
 * JSON, and JSON with invalid UTF-8 in a string or anywhere. Use `invalidBody`, which keeps only those that
 * `classifyBody` calls invalid (a truncation can leave valid JSON: `12` → `1`).
 */
export const invalidBodyCandidate: fc.Arbitrary<InvalidBody> = fc.oneof(
  fc.record({ t: fc.constant('bytes' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 48 }) }),
  fc.record({ t: fc.constant('text' as const), text: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }) }),
  fc.record({ t: fc.constant('not-json' as const), text: fc.constantFrom(...NOT_JSON), lead: whitespace, trail: whitespace }),
  fc.record({ t: fc.constant('truncated' as const), json: smallEvent, keep: fc.nat() }),
  fc.record({ t: fc.constant('appended' as const), json: smallEvent, junk: fc.constantFrom('}', ']', ',', 'x', '\u0000', ' 1', '{}', '"', '\\', ' //', '\u00a0') }),
  fc.record({ t: fc.constant('bad-utf8-in-string' as const), before: unicodeString, seq: badSequence, after: unicodeString }),
  fc.record({ t: fc.constant('bad-utf8-anywhere' as const), json: smallEvent, at: fc.nat(), seq: badSequence }),
)

export function renderInvalidBody(b: InvalidBody): Buffer {
  switch (b.t) {
    case 'bytes':
      return Buffer.from(b.bytes)
    case 'text':
      return Buffer.from(b.text, 'utf8')
    case 'not-json':
      return Buffer.from(b.lead + b.text + b.trail, 'utf8')
    case 'truncated': {
      const full = renderEvent(b.json)
      return full.subarray(0, full.length <= 1 ? 0 : 1 + (b.keep % (full.length - 1)))
    }
    case 'appended':
      return Buffer.concat([renderEvent(b.json), Buffer.from(b.junk, 'utf8')])
    case 'bad-utf8-in-string':
      return Buffer.concat([Buffer.from(`{"s":${renderString(b.before, 'minimal').slice(0, -1)}`, 'utf8'), Buffer.from(b.seq), Buffer.from(`${renderString(b.after, 'minimal').slice(1)}}`, 'utf8')])
    case 'bad-utf8-anywhere': {
      const full = renderEvent(b.json)
      const at = b.at % (full.length + 1)
      return Buffer.concat([full.subarray(0, at), Buffer.from(b.seq), full.subarray(at)])
    }
  }
}

/** Bodies that are not JSON text: invalid UTF-8 or invalid JSON, never empty and never JSON behind a byte order mark. */
export const invalidBody: fc.Arbitrary<InvalidBody> = invalidBodyCandidate.filter((b) => {
  const kind = classifyBody(renderInvalidBody(b))
  return kind === 'invalid-utf8' || kind === 'invalid-json'
})
