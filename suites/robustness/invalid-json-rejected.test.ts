import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-JSON-001',
  title: 'a payload that is not JSON is rejected with InvalidRequestContentException before any code runs',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §2.4 "Invalid JSON or invalid UTF-8" (recorded from AWS 2025-11)',
})

const PREFIX = 'Could not parse request body into json: Could not parse payload into json: '

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'dispatch' })
  const bodies: Record<string, Buffer> = {
    'truncated object': Buffer.from('{"probe":'),
    'bare word': Buffer.from('hello'),
    'invalid UTF-8': Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
  }
  const observed: Record<string, unknown> = {}
  for (const [label, body] of Object.entries(bodies)) observed[label] = await fn.invokeError(body, { tail: false })
  const state = await fn.invoke({ probe: 'state' }, { tail: false })
  t.expect({ ...Object.fromEntries(Object.keys(bodies).map((k) => [k, { name: 'InvalidRequestContentException', statusCode: 400, message: `${PREFIX}…` }])), invocationsThatRan: 1 })
  t.observe({ ...observed, invocationsThatRan: (state.json as { invocations?: number }).invocations })
  for (const [label, e] of Object.entries(observed) as [string, { name: string; statusCode?: number; message: string }][]) {
    expect(e.name, label).toBe('InvalidRequestContentException')
    expect(e.statusCode, label).toBe(400)
    expect(e.message.startsWith(PREFIX), `${label}: ${e.message}`).toBe(true)
  }
  // None of the rejected payloads reached the function: the state probe is the first invoke it sees.
  expect((state.json as { invocations: number }).invocations).toBe(1)
})
