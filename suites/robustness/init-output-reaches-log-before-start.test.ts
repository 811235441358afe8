import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-LOGS-003',
  title: 'output written during init reaches the log of the first invoke, before its START line',
  level: 'SHOULD',
  suite: 'robustness',
  source: 'lambda-behavior.md §5 (INIT_START precedes init output; START follows); go-shims.md §3 X13',
  requires: ['init-logs'],
})

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'echo', env: { PROBE_INIT: 'log' } })
  const r = await fn.invoke({ first: true })
  const start = r.logLines.findIndex((l) => l.startsWith('START RequestId: '))
  const out = r.logLines.indexOf('probe-init stdout')
  const err = r.logLines.indexOf('probe-init stderr')
  const second = await fn.invoke({ second: true })
  t.expect({ initStdoutBeforeStart: true, initStderrBeforeStart: true, repeatedOnWarmInvoke: false })
  t.observe({ initStdoutBeforeStart: out >= 0 && out < start, initStderrBeforeStart: err >= 0 && err < start, repeatedOnWarmInvoke: second.logLines.includes('probe-init stdout'), lines: r.logLines.slice(0, Math.max(start + 1, 0)) })
  expect(out).toBeGreaterThanOrEqual(0)
  expect(out).toBeLessThan(start)
  expect(err).toBeGreaterThan(out)
  expect(err).toBeLessThan(start)
  expect(second.logLines).not.toContain('probe-init stdout')
})
