import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'

export const behaviour = defineBehaviour({
  id: 'STUDY-LOGS-001',
  title: 'what Go writes to stdout and to stderr reaches the function log',
  level: 'SHOULD',
  suite: 'study',
  source: 'The 2017 study (Sparta lost logs); go-shims.md §3 X10; lambda-behavior.md §5 "Go output"',
})

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'log' })
  const marker = `m${Date.now()}`
  const r = await fn.invoke({ marker })
  const has = (needle: string): boolean => r.logLines.some((l) => l.includes(needle))
  const verbatim = (line: string): boolean => r.logLines.includes(line)
  const stdout = has(`probe-log 1 stdout ${marker}`) && has(`probe-log 3 stdout ${marker}`)
  const stderr = has(`probe-log 2 stderr ${marker}`) && has(`probe-log 5 log.Print ${marker}`)
  // Present is what this behaviour asks; whether the lines arrive as written is shown too (ROBUST-LOGS-001 asserts it).
  const how = (kept: boolean, line: string): string => (!kept ? 'LOST' : verbatim(line) ? 'kept' : 'kept, reformatted')
  const summary = `stdout ${how(stdout, `probe-log 1 stdout ${marker}`)}, stderr ${how(stderr, `probe-log 2 stderr ${marker}`)}`
  t.expect({ summary: 'stdout kept, stderr kept (or kept, reformatted)', stdout: true, stderr: true })
  t.observe({ summary, stdout, stderr, lines: r.logLines.filter((l) => l.includes(marker)) })
  expect(r.functionError).toBeUndefined()
  expect(stdout).toBe(true)
  expect(stderr).toBe(true)
})
