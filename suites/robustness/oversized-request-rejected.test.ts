import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { apiErrors, SYNC_REQUEST_LIMIT } from '../../lib/lambda/protocol.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-REQUEST-001',
  title: 'a request over 6291456 bytes is rejected with RequestEntityTooLargeException; 6291456 bytes arrive intact',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §2.3 "Sync request" (AWS-docs) and §2.4 "Sync request too large" (issue reports)',
  requires: ['byte-exact-payload'],
  timeoutMs: 120_000,
})

/** A JSON document of exactly `bytes` bytes. */
function jsonOfSize(bytes: number): Buffer {
  const shell = Buffer.byteLength('{"pad":""}')
  return Buffer.from(`{"pad":"${'x'.repeat(bytes - shell)}"}`)
}

conformance(behaviour, async (t) => {
  // Enough memory that the payload limit, not memory headroom, decides (a proxy may hold several copies).
  const fn = await t.deploy({ probe: 'echo', timeout: 30, memorySize: 512 })
  const atLimit = jsonOfSize(SYNC_REQUEST_LIMIT)
  const ok = await fn.invoke(atLimit, { tail: false })
  const err = await fn.invokeError(jsonOfSize(SYNC_REQUEST_LIMIT + 1), { tail: false })
  const next = await fn.invoke({ still: 'serving' }, { tail: false })
  const want = apiErrors.requestTooLarge()
  t.expect({ atLimit: { ok: true, identical: true }, overLimit: { name: want.code, statusCode: want.status, message: want.body.Message }, nextInvoke: { ok: true } })
  t.observe({ atLimit: { ok: ok.functionError === undefined, identical: ok.payload.equals(atLimit) }, overLimit: err, nextInvoke: { ok: next.functionError === undefined } })
  expect(ok.functionError).toBeUndefined()
  expect(ok.payload.equals(atLimit)).toBe(true)
  expect(err).toEqual({ name: want.code, statusCode: want.status, message: want.body.Message })
  expect(next.json).toEqual({ still: 'serving' })
})
