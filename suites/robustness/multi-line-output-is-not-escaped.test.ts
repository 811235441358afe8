import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { invokeOutput } from '../../lib/conformance/observations.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-LOGS-002',
  title: 'a multi-line write appears as separate log lines, with no escaped newlines',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §5 "Multi-line writes" (each \\n becomes its own event; recorded from AWS 2025-11)',
  requires: ['log-capture'],
})

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'log' })
  const marker = `m${Date.now()}`
  const r = await fn.invoke({ marker })
  const out = invokeOutput(r)
  const i = out.indexOf(`probe-log 4 multi ${marker}`)
  const block = i < 0 ? [] : out.slice(i, i + 3)
  t.expect([`probe-log 4 multi ${marker}`, 'line two', 'line three'])
  t.observe(block)
  // The function's output must sit between the invoke's own START and END lines.
  expect(r.logLines.some((l) => l.startsWith('START RequestId: '))).toBe(true)
  expect(r.logLines.some((l) => l.startsWith('END RequestId: '))).toBe(true)
  expect(block).toEqual([`probe-log 4 multi ${marker}`, 'line two', 'line three'])
  expect(out.some((l) => l.includes('\\n'))).toBe(false)
})
