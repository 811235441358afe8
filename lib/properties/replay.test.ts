/**
 * The replay promise of lib/properties/run.ts, proved without Lambda: a deliberately failing property reports its
 * seed and path, and running it again with the CONFORMANCE_REPLAY value its command prints reproduces exactly the
 * same counterexample, on the first and only run.
 */
import crypto from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../config.js'
import { SYNC_REQUEST_LIMIT } from '../lambda/protocol.js'
import { type JsonEvent, jsonEvent, type NearLimit, nearLimit, renderEvent, renderNearLimit } from './arbitraries.js'
import { checkProperty, failureMessage, parseReplay, PropertyFailure, type PropertyOptions, replayValue } from './run.js'

const BEHAVIOUR = 'KIT-REPLAY-001'
const command = (replay: string): string => `CONFORMANCE_SHIMS=native CONFORMANCE_REPLAY='${replay}' npx vitest run suites/event-bombs/x.test.ts -t '${BEHAVIOUR}'`

/** True when any string (value or key) of the event holds a character outside the Basic Multilingual Plane. */
function hasAstral(e: JsonEvent): boolean {
  const todo: unknown[] = [JSON.parse(renderEvent(e).toString('utf8'))]
  while (todo.length > 0) {
    const v = todo.pop()
    if (typeof v === 'string' && /[\u{10000}-\u{10ffff}]/u.test(v)) return true
    if (Array.isArray(v)) todo.push(...v)
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (/[\u{10000}-\u{10ffff}]/u.test(k)) return true
        todo.push(x)
      }
    }
  }
  return false
}

/** A property over real kit events that fails for every event with an astral character; it records what it saw. */
function astralProperty(seen: JsonEvent[], replay: string | null = null, seed?: number): PropertyOptions<JsonEvent> {
  return {
    behaviour: BEHAVIOUR,
    name: 'no event holds an astral character (deliberately false)',
    arbitrary: jsonEvent,
    payload: renderEvent,
    budget: { numRuns: 1_000, timeLimitMs: 60_000 },
    predicate: async (e) => {
      seen.push(e)
      if (hasAstral(e)) throw new Error(`the event holds an astral character: ${renderEvent(e).toString('utf8').slice(0, 60)}`)
    },
    seed,
    replay: replay === null ? null : parseReplay(replay),
    command,
  }
}

/** The CONFORMANCE_REPLAY value inside a printed command. */
function replayIn(cmd: string): string {
  const m = /CONFORMANCE_REPLAY='([^']+)'/.exec(cmd)
  if (!m) throw new Error(`no CONFORMANCE_REPLAY in ${cmd}`)
  return m[1]!
}

describe('replaying a failed property', () => {
  // Fixed seeds keep the test reproducible; a random one shows the mechanism does not depend on them.
  for (const seed of [1, 42, -7, 2_147_483_647, undefined]) {
    it(`reports seed and path, and CONFORMANCE_REPLAY reproduces the same counterexample on the first run (seed ${seed ?? 'random'})`, async () => {
      const seen: JsonEvent[] = []
      const first = await checkProperty(astralProperty(seen, null, seed))
      const { run } = first
      expect(run.failed).toBe(true)
      if (seed !== undefined) expect(run.seed).toBe(seed)
      expect(run.path).toMatch(/^\d+(:\d+)*$/)
      expect(run.runs).toBeGreaterThanOrEqual(1)
      expect(run.executions).toBe(seen.length)
      // fast-check's counterexample is the last value that failed while shrinking.
      const shrunk = seen.filter(hasAstral).at(-1)!
      expect(run.counterexample).toBe(fc.stringify(shrunk))
      const sent = renderEvent(shrunk)
      expect(run.event).toEqual({ head: expect.any(String), bytes: sent.length, sha256: crypto.createHash('sha256').update(sent).digest('hex') })
      expect(run.error).toMatch(/astral character/)
      expect(first.error).toBeInstanceOf(Error)
      expect(first.kitError).toBeNull()

      // The printed command carries exactly <behaviour>:<seed>:<path>, and the message prints all three.
      const replay = replayIn(run.command)
      expect(replay).toBe(`${BEHAVIOUR}:${run.seed}:${run.path}`)
      expect(replay).toBe(replayValue(BEHAVIOUR, run))
      const message = failureMessage(BEHAVIOUR, run)
      for (const part of [`seed ${run.seed}`, `path ${run.path}`, run.counterexample!, run.event!.sha256, 'Replay exactly this case:', run.command]) expect(message).toContain(part)

      // Replaying: the predicate runs once, with the very value that was the counterexample, and fails again.
      const again: JsonEvent[] = []
      const replayed = await checkProperty(astralProperty(again, replay))
      expect(again).toHaveLength(1)
      expect(again[0]).toEqual(shrunk)
      expect(replayed.run).toMatchObject({ failed: true, replay: 'case', seed: run.seed, path: run.path, numRuns: 1, runs: 1, executions: 1, shrinks: 0 })
      expect(replayed.run.counterexample).toBe(run.counterexample)
      expect(replayed.run.event).toEqual(run.event)
      expect(replayed.run.command).toBe(run.command)
    })
  }

  it('reruns the whole property with the same seed when CONFORMANCE_REPLAY has no path', async () => {
    const seen: JsonEvent[] = []
    const first = await checkProperty(astralProperty(seen))
    const again: JsonEvent[] = []
    const rerun = await checkProperty(astralProperty(again, `${BEHAVIOUR}:${first.run.seed}`))
    expect(rerun.run).toMatchObject({ replay: 'seed', seed: first.run.seed, path: first.run.path, runs: first.run.runs, shrinks: first.run.shrinks, counterexample: first.run.counterexample })
    expect(again).toEqual(seen)
  })

  it('ignores a replay that names another behaviour', async () => {
    const seen: JsonEvent[] = []
    const { run } = await checkProperty({ ...astralProperty(seen, 'OTHER-BEHAVIOUR-001:5:0'), seed: 99 })
    expect(run.replay).toBeUndefined()
    expect(run.seed).toBe(99)
    expect(run.runs).toBeGreaterThanOrEqual(1)
  })

  it('runs only the replayed case even when it passes now (a flaky case costs one invocation, not a shrink tree)', async () => {
    const seen: JsonEvent[] = []
    const first = await checkProperty(astralProperty(seen, null, 42))
    const calls: JsonEvent[] = []
    const { run } = await checkProperty({ ...astralProperty([], replayValue(BEHAVIOUR, first.run)), predicate: async (e) => void calls.push(e) })
    expect(calls).toHaveLength(1)
    expect(run).toMatchObject({ failed: false, replay: 'case', runs: 1, executions: 1 })
    expect(replayIn(run.command)).toBe(`${BEHAVIOUR}:${first.run.seed}`)
  })
})

describe('what a failure prints', () => {
  it('shortens a huge counterexample to 200 characters, its byte length and sha256', async () => {
    const { run, error } = await checkProperty<NearLimit>({
      behaviour: BEHAVIOUR,
      name: 'near-limit payloads are small (deliberately false)',
      arbitrary: nearLimit,
      payload: (c) => renderNearLimit(c, SYNC_REQUEST_LIMIT),
      budget: { numRuns: 5, timeLimitMs: 60_000 },
      predicate: async (c) => {
        throw new Error(`${renderNearLimit(c, SYNC_REQUEST_LIMIT).length} bytes`)
      },
      seed: 3,
      command,
    })
    expect(run.failed).toBe(true)
    expect(error).toBeInstanceOf(Error)
    expect(run.event!.bytes).toBeGreaterThanOrEqual(SYNC_REQUEST_LIMIT - 64)
    expect(run.event!.bytes).toBeLessThanOrEqual(SYNC_REQUEST_LIMIT + 64)
    expect([...run.event!.head.replace(/…$/, '').replace(/<U\+[0-9A-F]{4}>/g, 'x')].length).toBe(200)
    expect(run.event!.head.endsWith('…')).toBe(true)
    const failure = new PropertyFailure(run, BEHAVIOUR, error)
    expect(failure.message).toBe(failureMessage(BEHAVIOUR, run))
    expect(failure.message.length).toBeLessThan(5_000)
    expect(failure.cause).toBe(error)
  })

  it('tells the predicate which cases are shrink candidates, and cuts shrinking short after its time limit', async () => {
    const flags: boolean[] = []
    const { run } = await checkProperty({
      behaviour: BEHAVIOUR,
      name: 'arrays are empty (deliberately false)',
      arbitrary: fc.array(fc.nat(), { minLength: 50, maxLength: 50 }),
      budget: { numRuns: 10, timeLimitMs: 60_000, shrinkTimeLimitMs: 100 },
      predicate: async (xs, { shrinking }) => {
        flags.push(shrinking)
        await new Promise((r) => setTimeout(r, 10))
        if (xs.length > 0) throw new Error('not empty')
      },
      seed: 1,
      command,
    })
    expect(flags[0]).toBe(false)
    expect(flags.slice(1).every((f) => f)).toBe(true)
    expect(run).toMatchObject({ failed: true, interrupted: true, runs: 1, executions: flags.length })
    expect(flags.length).toBeLessThan(40)
    expect(run.path).toMatch(/^0(:\d+)+$/)
  })

  it('stops at a KitError (infrastructure, not the shim) and hands it back untouched', async () => {
    class KitError extends Error {
      override name = 'KitError'
    }
    let calls = 0
    const { run, kitError } = await checkProperty({
      behaviour: BEHAVIOUR,
      name: 'the target is reachable',
      arbitrary: fc.nat(),
      budget: { numRuns: 50, timeLimitMs: 60_000 },
      predicate: async (n) => {
        calls++
        if (n >= 0) throw new KitError('target unreachable')
      },
      seed: 1,
      command,
    })
    expect(kitError).toBeInstanceOf(KitError)
    expect(calls).toBe(1)
    expect(run.failed).toBe(true)
  })
})

describe('CONFORMANCE_REPLAY', () => {
  it('parses <behaviour>:<seed>[:<path>]', () => {
    expect(parseReplay('EVENT-ECHO-001:-1234567:12:0:3')).toEqual({ behaviour: 'EVENT-ECHO-001', seed: -1234567, path: '12:0:3' })
    expect(parseReplay('EVENT-ECHO-001:7')).toEqual({ behaviour: 'EVENT-ECHO-001', seed: 7 })
    expect(parseReplay('EVENT-ECHO-001:7:4')).toEqual({ behaviour: 'EVENT-ECHO-001', seed: 7, path: '4' })
    for (const bad of ['', '12:3', 'EVENT-ECHO-001', 'EVENT-ECHO-001:x', 'EVENT-ECHO-001:1:a', 'EVENT-ECHO-001:99999999999', 'event-echo-001:1']) {
      expect(() => parseReplay(bad), bad).toThrow(/CONFORMANCE_REPLAY/)
    }
  })

  it('is a validated setting', () => {
    expect(loadConfig({ CONFORMANCE_REPLAY: 'EVENT-ECHO-001:-5:1:2' }).replay).toBe('EVENT-ECHO-001:-5:1:2')
    expect(loadConfig({}).replay).toBe('')
    expect(() => loadConfig({ CONFORMANCE_REPLAY: '-5:1:2' })).toThrow(ConfigError)
  })
})
