import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { invokeOutput } from '../../lib/conformance/observations.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-LOGS-001',
  title: 'stdout and stderr lines reach the LogType Tail result between START and END, in write order',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §2.2 "LogType: Tail", §5 "Go output" and "Multi-line writes"; go-shims.md §3 X10',
  requires: ['log-capture'],
})

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'log' })
  const marker = `m${Date.now()}`
  const r = await fn.invoke({ marker })
  const lines = invokeOutput(r).filter((l) => l.includes('probe-log'))
  const expected = [
    `probe-log 1 stdout ${marker}`,
    `probe-log 2 stderr ${marker}`,
    `probe-log 3 stdout ${marker}`,
    `probe-log 4 multi ${marker}`,
    `<YYYY/MM/DD HH:MM:SS> probe-log 5 log.Print ${marker}`,
  ]
  t.expect(expected)
  t.observe(lines)
  // The function's output must sit between the invoke's own START and END lines.
  expect(r.logLines.some((l) => l.startsWith('START RequestId: '))).toBe(true)
  expect(r.logLines.some((l) => l.startsWith('END RequestId: '))).toBe(true)
  expect(r.functionError).toBeUndefined()
  expect(lines.slice(0, 4)).toEqual(expected.slice(0, 4))
  expect(lines[4]).toMatch(new RegExp(`^\\d{4}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2} probe-log 5 log\\.Print ${marker}$`))
  expect(lines).toHaveLength(5)
})
