import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-EMPTY-001',
  title: 'an empty payload reaches the function as {}',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §2.1 "Empty request body" (recorded from AWS 2026-01, provided.al2023)',
  requires: ['byte-exact-payload'],
})

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'echo' })
  const r = await fn.invoke(undefined, { tail: false })
  t.expect({ statusCode: 200, payload: '{}' })
  t.observe({ statusCode: r.statusCode, payload: r.text })
  expect(r.functionError).toBeUndefined()
  expect(r.text).toBe('{}')
})
