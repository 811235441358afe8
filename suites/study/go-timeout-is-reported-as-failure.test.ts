import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { observeFailure } from '../../lib/conformance/study.js'

export const behaviour = defineBehaviour({
  id: 'STUDY-TIMEOUT-001',
  title: 'an infinite loop is stopped at the function timeout and reported as a failed invoke',
  level: 'MUST',
  suite: 'study',
  source: 'The 2017 study\'s malicious-behaviour experiment; go-shims.md §3 X7; lambda-behavior.md §3.1 "Timeout"',
})

const TIMEOUT_S = 1

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'dispatch', timeout: TIMEOUT_S, memorySize: 128 })
  const failing = await fn.invoke({ probe: 'spin' })
  const view = await observeFailure(fn, failing)
  t.expect({ functionError: 'Unhandled', answeredInMs: `≤ ${TIMEOUT_S * 1000} + 2000`, nextInvokeOk: true })
  t.observe(view)
  expect(view.functionError).toBe('Unhandled')
  expect(view.answeredInMs).toBeLessThanOrEqual(TIMEOUT_S * 1000 + 2000)
  expect(view.nextInvokeOk).toBe(true)
})
