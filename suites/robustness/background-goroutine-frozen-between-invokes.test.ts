import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-FREEZE-001',
  title: 'a goroutine left running after the handler returns does not advance while the environment is idle',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §4 "Success" (frozen once the runtime asks for the next event) and "Freeze / thaw" (LeanerCloud/CUDly#1170)',
})

const TICK_MS = 10
const IDLE_MS = 2000

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'background' })
  const started = await fn.invoke({ action: 'start', intervalMs: TICK_MS }, { tail: false })
  await new Promise((r) => setTimeout(r, IDLE_MS))
  const read = await fn.invoke({ action: 'read' }, { tail: false })
  const s = started.json as { count: number; nowMs: number }
  const r = read.json as { count: number; nowMs: number; started: boolean }
  const ticksWhileIdle = r.count - s.count
  // Running freely the counter would gain about IDLE_MS / TICK_MS; frozen it gains only while the two invokes
  // run, which on a loaded machine can take a while: a quarter of the free-running count separates the two.
  const unfrozen = IDLE_MS / TICK_MS
  t.expect({ started: true, ticksWhileIdle: `< ${unfrozen / 4} (unfrozen: about ${unfrozen})` })
  t.observe({ started: r.started, ticksWhileIdle, wallGapMs: r.nowMs - s.nowMs })
  expect(r.started).toBe(true)
  expect(ticksWhileIdle).toBeLessThan(unfrozen / 4)
})
