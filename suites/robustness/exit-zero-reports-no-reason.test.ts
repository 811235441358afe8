import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { errorSummary, isColdStart } from '../../lib/conformance/observations.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-EXIT-002',
  title: 'os.Exit(0) in the handler is a failed invoke: "Runtime exited without providing a reason"',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §3.1 "Process exits 0" (recorded from AWS 2025-11)',
  requires: ['process-exit'],
})

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'dispatch' })
  const r = await fn.invoke({ probe: 'exit', args: { code: 0 } })
  const after = await fn.invoke({ probe: 'state' })
  t.expect({ functionError: 'Unhandled', errorType: 'Runtime.ExitError', errorMessage: 'RequestId: <id> Error: Runtime exited without providing a reason', nextInvoke: { ok: true, coldStart: true } })
  t.observe({ ...errorSummary(r), nextInvoke: { ok: after.functionError === undefined, coldStart: isColdStart(after) } })
  expect(r.functionError).toBe('Unhandled')
  expect(r.json).toEqual({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${r.requestId} Error: Runtime exited without providing a reason` })
  expect(after.functionError).toBeUndefined()
  expect(isColdStart(after)).toBe(true)
})
