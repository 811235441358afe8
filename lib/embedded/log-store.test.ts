/** The log store's per-stream bound: the oldest lines go first, in order, and the listeners see every line. */
import { describe, expect, it } from 'vitest'
import { LogStore, MAX_EVENTS_PER_STREAM } from './log-store.js'

describe('LogStore', () => {
  it('keeps lines in order and tells listeners of each', () => {
    const store = new LogStore()
    const seen: string[] = []
    store.subscribe({ event: (_g, _s, m) => seen.push(m) })
    for (const m of ['a', 'b', 'c']) store.append('/aws/lambda/f', 's1', m, 1)
    store.append('/aws/lambda/f', 's2', 'other', 2)
    const streams = store.streams('/aws/lambda/f')
    expect(streams.map((s) => s.name)).toEqual(['s1', 's2'])
    expect(streams[0]!.events.map((e) => e.message)).toEqual(['a', 'b', 'c'])
    expect(streams[0]!.events[0]).toMatchObject({ timestamp: 1, message: 'a' })
    expect(streams[0]!.dropped).toBe(0)
    expect(seen).toEqual(['a', 'b', 'c', 'other'])
  })

  it(`keeps the last ${MAX_EVENTS_PER_STREAM} lines of a stream, oldest first, and counts the dropped ones`, () => {
    const store = new LogStore()
    const extra = 2 * MAX_EVENTS_PER_STREAM + 7
    for (let i = 0; i < extra; i++) store.append('/aws/lambda/f', 's', `line ${i}`, i)
    const [s] = store.streams('/aws/lambda/f')
    expect(s!.events).toHaveLength(MAX_EVENTS_PER_STREAM)
    expect(s!.dropped).toBe(extra - MAX_EVENTS_PER_STREAM)
    expect(s!.events[0]!.message).toBe(`line ${extra - MAX_EVENTS_PER_STREAM}`)
    expect(s!.events.at(-1)!.message).toBe(`line ${extra - 1}`)
    expect(s!.events.every((e, i) => e.timestamp === extra - MAX_EVENTS_PER_STREAM + i)).toBe(true)
    // A read after more lines sees them.
    store.append('/aws/lambda/f', 's', 'last', extra)
    expect(s!.events.at(-1)!.message).toBe('last')
    expect(s!.events[0]!.message).toBe(`line ${extra - MAX_EVENTS_PER_STREAM + 1}`)
  })

  it('forgets a deleted group', () => {
    const store = new LogStore()
    store.append('/aws/lambda/f', 's', 'x')
    store.deleteGroup('/aws/lambda/f')
    expect(store.streams('/aws/lambda/f')).toEqual([])
  })
})
