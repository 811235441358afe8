import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { isColdStart } from '../../lib/conformance/observations.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-RECOVER-001',
  title: 'after a crash, timeout or OOM the next invoke succeeds in a re-initialised environment',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §4 "Handler panic (ALG)", "Timeout", "Exit / crash / OOM"',
  requires: ['process-exit'],
  timeoutMs: 120_000,
})

/** Each failure, and whether Lambda discards the environment after it (LB §4). */
const FAILURES: Record<string, { args: object; memorySize?: number }> = {
  panic: { args: { probe: 'panic', args: { value: 'string' } } },
  'goroutine panic': { args: { probe: 'goroutine-panic' } },
  'os.Exit(1)': { args: { probe: 'exit', args: { code: 1 } } },
  timeout: { args: { probe: 'spin' } },
  'out of memory': { args: { probe: 'alloc', args: { stepMb: 8 } } },
}

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'dispatch', timeout: 2, memorySize: 128 })
  const observed: Record<string, unknown> = {}
  for (const [label, f] of Object.entries(FAILURES)) {
    const before = await fn.invoke({ probe: 'state' }, { tail: false })
    const failed = await fn.invoke(f.args, { tail: false })
    const next = await fn.invoke({ probe: 'state' })
    const b = before.json as { pid: number }
    const n = next.json as { pid: number; invocations: number; coldStart: boolean }
    observed[label] = { failed: failed.functionError === 'Unhandled', nextOk: next.functionError === undefined, initDuration: next.report?.['Init Duration'] ?? null, newProcess: n?.pid !== b.pid, invocationsInNewProcess: n?.invocations }
  }
  t.expect(Object.fromEntries(Object.keys(FAILURES).map((k) => [k, { failed: true, nextOk: true, initDuration: '<ms>', newProcess: true, invocationsInNewProcess: 1 }])))
  t.observe(observed)
  for (const [label, o] of Object.entries(observed) as [string, { failed: boolean; nextOk: boolean; initDuration: string | null; newProcess: boolean; invocationsInNewProcess: number }][]) {
    expect(o.failed, label).toBe(true)
    expect(o.nextOk, label).toBe(true)
    expect(o.initDuration, `${label}: REPORT of the next invoke carries Init Duration`).not.toBeNull()
    expect(o.newProcess, label).toBe(true)
    expect(o.invocationsInNewProcess, label).toBe(1)
  }
})
