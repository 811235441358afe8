import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { errorSummary, escapeRegExp, isColdStart } from '../../lib/conformance/observations.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-GOPANIC-001',
  title: 'a panic in a goroutine the handler started ends the runtime with exit status 2 and logs the Go trace',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §3.2 "Panic in a goroutine the handler started", §3.1 "Process exits with status N"; go-shims.md §1.7',
  requires: ['process-exit'],
})

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'dispatch' })
  const r = await fn.invoke({ probe: 'goroutine-panic' })
  const after = await fn.invoke({ probe: 'state' })
  const p = (r.json ?? {}) as { errorType?: string; errorMessage?: string }
  const tracePrinted = r.logLines.some((l) => l === 'panic: probe: goroutine panic')
  const goroutineHeader = r.logLines.some((l) => /^goroutine \d+ \[running\]:$/.test(l))
  t.expect({ functionError: 'Unhandled', errorType: 'Runtime.ExitError', errorMessage: `RequestId: <id> Error: Runtime exited with error: exit status 2`, tracePrinted: true, goroutineHeader: true, nextInvoke: { ok: true, coldStart: true } })
  t.observe({ ...errorSummary(r), tracePrinted, goroutineHeader, nextInvoke: { ok: after.functionError === undefined, coldStart: isColdStart(after) } })
  expect(r.functionError).toBe('Unhandled')
  expect(p.errorType).toBe('Runtime.ExitError')
  expect(p.errorMessage).toBe(`RequestId: ${r.requestId} Error: Runtime exited with error: exit status 2`)
  expect(r.logLines).toContain(`RequestId: ${r.requestId} Error: Runtime exited with error: exit status 2`)
  expect(tracePrinted).toBe(true)
  expect(goroutineHeader).toBe(true)
  expect(r.report?.['Error Type']).toMatch(new RegExp(`^${escapeRegExp('Runtime.ExitError')}$`))
  expect(after.functionError).toBeUndefined()
  expect(isColdStart(after)).toBe(true)
})
