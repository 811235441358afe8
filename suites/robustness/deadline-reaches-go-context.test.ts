import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-DEADLINE-001',
  title: 'the Go context deadline is the invoke start plus the function timeout',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §1.2 "Lambda-Runtime-Deadline-Ms" (ctx.Deadline() is exactly that instant) and §3.3 "Deadline"',
  requires: ['context-deadline'],
})

const TIMEOUT_S = 7
/** Clocks of caller and function agree on local targets; elsewhere allow for offset (latency-methods.md §2.6). */
const CLOCK_TOLERANCE_MS = 1000

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'deadline', timeout: TIMEOUT_S })
  const sent = Date.now()
  const r = await fn.invoke({}, { tail: false })
  const received = Date.now()
  const d = r.json as { hasDeadline: boolean; deadlineMs: number; nowMs: number; remainingMs: number }
  const tolerance = t.target.name === 'embedded' ? 0 : CLOCK_TOLERANCE_MS
  t.expect({ hasDeadline: true, deadlineMs: `between ${sent + TIMEOUT_S * 1000} and ${received + TIMEOUT_S * 1000} (sent/received + ${TIMEOUT_S} s)`, remainingMs: `≤ ${TIMEOUT_S * 1000}` })
  t.observe(d)
  expect(d.hasDeadline).toBe(true)
  expect(d.deadlineMs).toBeGreaterThanOrEqual(sent + TIMEOUT_S * 1000 - tolerance)
  expect(d.deadlineMs).toBeLessThanOrEqual(received + TIMEOUT_S * 1000 + tolerance)
  expect(d.remainingMs).toBeGreaterThan(0)
  expect(d.remainingMs).toBeLessThanOrEqual(TIMEOUT_S * 1000)
})
