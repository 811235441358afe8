import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { isColdStart } from '../../lib/conformance/observations.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-ERROR-001',
  title: 'a returned Go error is a failed invoke named by its type, without a stack trace, and the environment is reused',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §3.2 "Returned error" (recorded from AWS 2025-11) and "errorType naming rule"; §4 "Returned error (process alive)"',
  requires: ['error-type'],
})

/** Error kind → aws-lambda-go's payload: errorType is the reflect type name with one pointer level stripped. */
const CASES: Record<string, { errorMessage: string; errorType: string }> = {
  new: { errorMessage: 'probe: plain error', errorType: 'errorString' },
  custom: { errorMessage: 'probe: custom error 7', errorType: 'ProbeError' },
  pointer: { errorMessage: 'probe: pointer error', errorType: 'ProbePointerError' },
  wrapped: { errorMessage: 'probe: wrapped: probe: inner', errorType: 'wrapError' },
}

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'dispatch' })
  const observed: Record<string, unknown> = {}
  const warm: (boolean | null)[] = []
  for (const kind of Object.keys(CASES)) {
    const r = await fn.invoke({ probe: 'error', args: { kind } })
    observed[kind] = { functionError: r.functionError ?? null, payload: r.json }
    warm.push(isColdStart(r) === false)
  }
  const after = await fn.invoke({ probe: 'state' })
  t.expect({ ...Object.fromEntries(Object.entries(CASES).map(([k, v]) => [k, { functionError: 'Unhandled', payload: v }])), reusedEnvironment: true })
  t.observe({ ...observed, reusedEnvironment: isColdStart(after) === false && warm.slice(1).every(Boolean) })
  for (const [kind, want] of Object.entries(CASES)) {
    expect((observed[kind] as { functionError: string }).functionError, kind).toBe('Unhandled')
    expect((observed[kind] as { payload: unknown }).payload, kind).toEqual(want)
  }
  // A returned error does not end the runtime: every later invoke is warm.
  expect(warm.slice(1)).toEqual([true, true, true])
  expect(isColdStart(after)).toBe(false)
  expect((after.json as { invocations: number }).invocations).toBe(5)
})
