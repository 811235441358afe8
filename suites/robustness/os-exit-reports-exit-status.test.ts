import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { errorSummary, isColdStart } from '../../lib/conformance/observations.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-EXIT-001',
  title: 'os.Exit(n) in the handler is reported as Runtime.ExitError with exit status n',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §3.1 "Process exits with status N" (Go: os.Exit(n) → n), §5 REPORT on error',
  requires: ['process-exit'],
})

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'dispatch' })
  const r = await fn.invoke({ probe: 'exit', args: { code: 3 } })
  const after = await fn.invoke({ probe: 'state' })
  const p = (r.json ?? {}) as { errorType?: string; errorMessage?: string }
  t.expect({ functionError: 'Unhandled', errorType: 'Runtime.ExitError', errorMessage: 'RequestId: <id> Error: Runtime exited with error: exit status 3', reportStatus: 'error', reportErrorType: 'Runtime.ExitError', nextInvoke: { ok: true, coldStart: true } })
  t.observe({ ...errorSummary(r), nextInvoke: { ok: after.functionError === undefined, coldStart: isColdStart(after) } })
  expect(r.functionError).toBe('Unhandled')
  expect(p).toEqual({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${r.requestId} Error: Runtime exited with error: exit status 3` })
  expect(r.logLines).toContain('probe: exiting with status 3')
  expect(r.report?.Status).toBe('error')
  expect(r.report?.['Error Type']).toBe('Runtime.ExitError')
  expect(after.functionError).toBeUndefined()
  expect(isColdStart(after)).toBe(true)
})
