import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { observeFailure } from '../../lib/conformance/study.js'

export const behaviour = defineBehaviour({
  id: 'STUDY-PANIC-001',
  title: 'a Go panic in the handler is reported as a failed invoke, and the next invoke is served',
  level: 'MUST',
  suite: 'study',
  source: 'The 2017 study\'s malicious-behaviour experiment; go-shims.md §3 X3; lambda-behavior.md §3.2 "Panic flow"',
})

const TIMEOUT_S = 3

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'dispatch', timeout: TIMEOUT_S, memorySize: 128 })
  const failing = await fn.invoke({ probe: 'panic', args: { value: 'string' } })
  const view = await observeFailure(fn, failing)
  t.expect({ functionError: 'Unhandled', answeredInMs: `≤ ${TIMEOUT_S * 1000} + 2000`, nextInvokeOk: true })
  t.observe(view)
  expect(view.functionError).toBe('Unhandled')
  expect(view.answeredInMs).toBeLessThanOrEqual(TIMEOUT_S * 1000 + 2000)
  expect(view.nextInvokeOk).toBe(true)
})
