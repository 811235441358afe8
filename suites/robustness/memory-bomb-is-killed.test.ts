import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { errorSummary, isColdStart } from '../../lib/conformance/observations.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-OOM-001',
  title: 'a memory bomb is killed at MemorySize and reported as a failed invoke',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §3.1 "Out of memory" and "Killed by a signal" (variants: §9 #2), §5 REPORT on error',
})

const OOM_VARIANTS: Record<string, RegExp> = {
  'Runtime.OutOfMemory': /Runtime exited with error: signal: killed|out of memory/i,
  'Runtime.ExitError': /Runtime exited with error: signal: killed$/,
}

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'dispatch', memorySize: 128, timeout: 10 })
  const r = await fn.invoke({ probe: 'alloc', args: { stepMb: 8 } })
  const after = await fn.invoke({ probe: 'state' })
  const p = (r.json ?? {}) as { errorType?: string; errorMessage?: string }
  t.expect({ functionError: 'Unhandled', errorType: Object.keys(OOM_VARIANTS), reportStatus: 'error', maxMemoryUsedMb: '<= 128 plus one sampling step', nextInvoke: { ok: true, coldStart: true } })
  t.observe({ ...errorSummary(r), maxMemoryUsedMb: r.report?.['Max Memory Used'] ?? null, nextInvoke: { ok: after.functionError === undefined, coldStart: isColdStart(after) } })
  expect(r.functionError).toBe('Unhandled')
  expect(Object.keys(OOM_VARIANTS)).toContain(p.errorType)
  t.variant(`errorType ${p.errorType}`)
  expect(p.errorMessage).toMatch(OOM_VARIANTS[p.errorType ?? '']!)
  expect(r.report?.Status).toBe('error')
  expect(after.functionError).toBeUndefined()
  expect(isColdStart(after)).toBe(true)
})
