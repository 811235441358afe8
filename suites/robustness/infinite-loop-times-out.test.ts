import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { errorSummary, escapeRegExp, isColdStart } from '../../lib/conformance/observations.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-TIMEOUT-001',
  title: 'an infinite loop ends in a timeout, and the next invoke starts a fresh environment',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §3.1 "Timeout" (recorded from AWS 2025-11; older variant §9 #1), §4 "Timeout"',
})

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'dispatch', timeout: 1 })
  const r = await fn.invoke({ probe: 'spin' })
  const current = new RegExp(`^RequestId: ${escapeRegExp(r.requestId ?? '')} Error: Task timed out after \\d+\\.\\d{2} seconds$`)
  const older = /^\S+ \S+ Task timed out after \d+\.\d{2} seconds$/
  const after = await fn.invoke({ probe: 'state' })
  t.expect({
    functionError: 'Unhandled',
    errorType: 'Sandbox.Timedout (or absent in the older format)',
    errorMessage: current.source,
    reportStatus: 'timeout',
    nextInvoke: { ok: true, coldStart: true },
  })
  t.observe({ ...errorSummary(r), nextInvoke: { ok: after.functionError === undefined, coldStart: isColdStart(after), state: after.json } })
  const p = r.json as { errorType?: string; errorMessage?: string }
  expect(r.functionError).toBe('Unhandled')
  if (p.errorType === 'Sandbox.Timedout') {
    t.variant('current: Sandbox.Timedout with RequestId prefix')
    expect(p.errorMessage).toMatch(current)
  } else {
    t.variant('older: timestamp, request id, no errorType')
    expect(p.errorType).toBeUndefined()
    expect(p.errorMessage).toMatch(older)
  }
  expect(r.report?.Status).toBe('timeout')
  expect(after.functionError).toBeUndefined()
  expect(isColdStart(after)).toBe(true)
})
