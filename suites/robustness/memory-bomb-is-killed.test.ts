import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { errorSummary, isColdStart } from '../../lib/conformance/observations.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-OOM-001',
  title: 'a memory bomb is killed at MemorySize and reported as a failed invoke',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §3.1 "Out of memory" and "Killed by a signal" (variants: §9 #2), §5 REPORT on error; Max Memory Used at or just under Memory Size: reports quoted in OOM write-ups (smplogs.com, cloudwithgagan.com), the memory cgroup being the limit',
})

const OOM_VARIANTS: Record<string, RegExp> = {
  'Runtime.OutOfMemory': /Runtime exited with error: signal: killed|out of memory/i,
  'Runtime.ExitError': /Runtime exited with error: signal: killed$/,
}

const MEMORY_MB = 128
const STEP_MB = 8

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'dispatch', memorySize: MEMORY_MB, timeout: 10 })
  const r = await fn.invoke({ probe: 'alloc', args: { stepMb: STEP_MB } })
  const after = await fn.invoke({ probe: 'state' })
  const p = (r.json ?? {}) as { errorType?: string; errorMessage?: string }
  t.expect({ functionError: 'Unhandled', errorType: Object.keys(OOM_VARIANTS), reportStatus: 'error', maxMemoryUsedMb: `${MEMORY_MB - 2 * STEP_MB}–${MEMORY_MB} MB`, reportErrorType: Object.keys(OOM_VARIANTS), nextInvoke: { ok: true, coldStart: true } })
  t.observe({ ...errorSummary(r), maxMemoryUsedMb: r.report?.['Max Memory Used'] ?? null, nextInvoke: { ok: after.functionError === undefined, coldStart: isColdStart(after) } })
  expect(r.functionError).toBe('Unhandled')
  expect(Object.keys(OOM_VARIANTS)).toContain(p.errorType)
  t.variant(`errorType ${p.errorType}`)
  expect(p.errorMessage).toMatch(OOM_VARIANTS[p.errorType ?? '']!)
  expect(r.report?.Status).toBe('error')
  expect(Object.keys(OOM_VARIANTS)).toContain(r.report?.['Error Type'])
  // The bomb grew to the limit and no further: within two allocation steps below Memory Size, never above it.
  const maxUsed = Number.parseInt(r.report?.['Max Memory Used'] ?? '', 10)
  expect(maxUsed).toBeGreaterThanOrEqual(MEMORY_MB - 2 * STEP_MB)
  expect(maxUsed).toBeLessThanOrEqual(MEMORY_MB)
  expect(after.functionError).toBeUndefined()
  expect(isColdStart(after)).toBe(true)
})
