/** The property suites' generators and JSON helpers, checked without Lambda. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SYNC_REQUEST_LIMIT } from '../lambda/protocol.js'
import {
  BIG_BYTES,
  deepShell,
  depthBomb,
  depthBombLevels,
  ESCAPE_STYLES,
  FILLERS,
  invalidBody,
  jsonEvent,
  type JsonNode,
  padToBytes,
  renderDepthBomb,
  renderEvent,
  renderInvalidBody,
  renderString,
  unicodeString,
} from './arbitraries.js'
import { byteDifference, classifyBody, jsonDifference, summarisePayload } from './json.js'

/** The JSON value a node stands for, computed from the tree, independently of how it is spelt. */
function valueOf(n: JsonNode): unknown {
  switch (n.t) {
    case 'lit':
      return n.v === 'null' ? null : n.v === 'true'
    case 'num':
      return Number(n.lex)
    case 'str':
      return n.s
    case 'arr':
      return n.items.map(valueOf)
    case 'obj': {
      const o: Record<string, unknown> = {}
      for (const e of n.entries) Object.defineProperty(o, e.k.s, { value: valueOf(e.v), enumerable: true, writable: true, configurable: true })
      return o
    }
    case 'big':
    case 'deep':
      throw new Error('not used here')
  }
}

describe('JSON events', () => {
  it('are UTF-8 JSON text that means exactly the tree they were built from, whatever the spelling', () => {
    fc.assert(
      fc.property(jsonEvent, (e) => {
        const body = renderEvent(e)
        expect(classifyBody(body)).toBe('json')
        expect(body.length).toBeLessThan(2 * BIG_BYTES)
        if (e.value.t === 'big' || e.value.t === 'deep') return
        expect(jsonDifference(valueOf(e.value), JSON.parse(body.toString('utf8')))).toBeNull()
      }),
      { numRuns: 300, seed: 1 },
    )
  })

  it('spell every string the same in every escape style', () => {
    fc.assert(
      fc.property(unicodeString, (s) => {
        for (const style of ESCAPE_STYLES) expect(JSON.parse(renderString(s, style)), style).toBe(s)
        expect(JSON.parse(renderString(s, 'all'))).toBe(s)
      }),
      { numRuns: 300, seed: 2 },
    )
  })

  it('reach astral planes, U+2028/U+2029, NUL, <>& and number edges within a default run', () => {
    const texts = fc.sample(jsonEvent, { numRuns: 150, seed: 3 }).map((e) => renderEvent(e).toString('utf8'))
    const all = texts.join('\n')
    expect(all).toMatch(/[\u{10000}-\u{10ffff}]|\\u[dD][89abAB]/u)
    expect(all).toMatch(/\u2028|\\u2028/)
    expect(all).toMatch(/\\u0000/)
    expect(all).toMatch(/[<>&]/)
    expect(all).toMatch(/9007199254740993|1\.7976931348623157e\+?308|5e-324|-0\b/i)
  })
})

describe('depth bombs', () => {
  it('nest exactly as deep as they say, parse, and stay under the request limit even at 1,000,000 levels', () => {
    for (const kind of ['arr', 'obj', 'mixed'] as const) {
      const b = { depth: 1_000_000, kind, inner: { t: 'str', s: 'x', esc: 'minimal' } as JsonNode }
      const body = renderDepthBomb(b)
      expect(body.length, kind).toBeLessThan(SYNC_REQUEST_LIMIT)
      if (kind === 'mixed') expect(() => JSON.parse(body.toString('utf8'))).not.toThrow()
    }
    for (const depth of [1, 2, 3, 9_999, 10_000, 10_001]) {
      for (const kind of ['arr', 'obj', 'mixed'] as const) {
        const { open } = deepShell(kind, depth)
        expect((open.match(/[[{]/g) ?? []).length, `${kind} ${depth}`).toBe(depth)
      }
    }
  })

  it('cover both sides of Go\'s 10,000-level limit', () => {
    const levels = fc.sample(depthBomb, { numRuns: 200, seed: 4 }).map(depthBombLevels)
    expect(levels.some((l) => l >= 9_990 && l <= 10_000)).toBe(true)
    expect(levels.some((l) => l > 10_000 && l <= 10_010)).toBe(true)
    expect(levels.some((l) => l >= 100_000)).toBe(true)
    expect(levels.some((l) => l < 9_990)).toBe(true)
  })
})

describe('near-limit padding', () => {
  it('builds exactly the byte count asked for, with every filler', () => {
    for (const filler of FILLERS) {
      for (const delta of [-64, -3, -1, 0, 1, 2, 3, 64]) {
        const body = padToBytes('{"k":[1,"é",null]}', SYNC_REQUEST_LIMIT + delta, filler)
        expect(body.length, `${filler} ${delta}`).toBe(SYNC_REQUEST_LIMIT + delta)
        if (delta === 0) expect(classifyBody(body)).toBe('json')
      }
    }
    expect(() => padToBytes('[1,2,3]', 10, 'a')).toThrow(/more than 10/)
  })
})

describe('invalid bodies', () => {
  it('are never UTF-8 JSON, never empty, never JSON behind a byte order mark', () => {
    const kinds = new Set<string>()
    fc.assert(
      fc.property(invalidBody, (b) => {
        const kind = classifyBody(renderInvalidBody(b))
        expect(['invalid-utf8', 'invalid-json']).toContain(kind)
        kinds.add(kind)
        kinds.add(b.t)
      }),
      { numRuns: 400, seed: 5 },
    )
    for (const k of ['invalid-utf8', 'invalid-json', 'bytes', 'text', 'not-json', 'truncated', 'appended', 'bad-utf8-in-string', 'bad-utf8-anywhere']) expect(kinds).toContain(k)
  })

  it('are told apart from JSON by classifyBody', () => {
    expect(classifyBody(Buffer.alloc(0))).toBe('empty')
    expect(classifyBody(Buffer.from('{"a":[1,2]}'))).toBe('json')
    expect(classifyBody(Buffer.from(' null '))).toBe('json')
    expect(classifyBody(Buffer.from('\ufeff{}'))).toBe('bom-json')
    expect(classifyBody(Buffer.from('\ufeff'))).toBe('invalid-json')
    expect(classifyBody(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).toBe('invalid-utf8')
    expect(classifyBody(Buffer.from(' '))).toBe('invalid-json')
    expect(classifyBody(Buffer.from('\u00a0{}'))).toBe('invalid-json')
    expect(classifyBody(Buffer.from('"\t"'))).toBe('invalid-json')
  })
})

describe('jsonDifference', () => {
  it('compares numbers as doubles, keys in any order, and finds the first difference', () => {
    expect(jsonDifference(JSON.parse('[-0, 9007199254740993, 1E308]'), JSON.parse('[0, 9007199254740992, 1e+308]'))).toBeNull()
    expect(jsonDifference(JSON.parse('{"b":1,"a":{"x":[true]}}'), JSON.parse('{"a":{"x":[true]},"b":1}'))).toBeNull()
    expect(jsonDifference({ a: [1, 2] }, { a: [1, 3] })).toBe('$["a"][1]: expected 2, got 3')
    expect(jsonDifference({ a: 1 }, { a: 1, b: 2 })).toMatch(/unexpected key "b"/)
    expect(jsonDifference({ a: 1 }, {})).toMatch(/key "a" is missing/)
    expect(jsonDifference(['x'], { 0: 'x' })).toMatch(/expected an array/)
    expect(jsonDifference(null, 0)).toMatch(/expected null, got 0/)
  })

  it('walks 200,000 levels without overflowing the stack (recursion fails near 10,000), and names the place briefly', () => {
    const deep = (leaf: string): unknown => JSON.parse(`${'['.repeat(200_000)}${leaf}${']'.repeat(200_000)}`)
    expect(jsonDifference(deep('1'), deep('1'))).toBeNull()
    const d = jsonDifference(deep('1'), deep('2'))
    expect(d).toMatch(/^\$\[0\]\[0\]\[0\]\[0\]…\(199992 levels\)…\[0\]\[0\]\[0\]\[0\]: expected 1, got 2$/)
  })
})

describe('byteDifference and summarisePayload', () => {
  it('point at the first differing byte', () => {
    expect(byteDifference(Buffer.from('abc'), Buffer.from('abc'))).toBeNull()
    expect(byteDifference(Buffer.from('{"a":1}'), Buffer.from('{"a": 1}'))).toMatch(/^bytes differ at offset 5 \(sent 7 bytes, got 8\)/)
  })

  it('keep 200 characters, the byte length and the sha256', () => {
    const s = summarisePayload(Buffer.from('😀'.repeat(1_000)))
    expect([...s.head.replace(/…$/, '')]).toHaveLength(200)
    expect(s.head.endsWith('…')).toBe(true)
    expect(s).toMatchObject({ bytes: 4_000, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })
    expect(summarisePayload(Buffer.from('{"a":"\\n"}\n\u2028\u0000')).head).toBe('{"a":"\\n"}<U+000A><U+2028><U+0000>')
  })
})
