import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { isColdStart } from '../../lib/conformance/observations.js'
import { platformErrors, RESPONSE_LIMIT, SYNC_REQUEST_LIMIT } from '../../lib/lambda/protocol.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-RESPONSE-001',
  title: 'a response over 6291556 bytes fails with Function.ResponseSizeTooLarge; 6291456 bytes succeed',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §2.3 "Sync response" and §3.1 "Response over 6291556 bytes" (recorded from AWS 2025-11); boundary: §9 #6; restart: §9 #7',
  timeoutMs: 120_000,
})

conformance(behaviour, async (t) => {
  // Enough memory that the payload limit, not memory headroom, decides (a proxy may hold several copies).
  const fn = await t.deploy({ probe: 'dispatch', timeout: 30, memorySize: 512 })
  const within = await fn.invoke({ probe: 'bytes', args: { n: SYNC_REQUEST_LIMIT } }, { tail: false })
  const over = await fn.invoke({ probe: 'bytes', args: { n: RESPONSE_LIMIT + 1 } })
  const after = await fn.invoke({ probe: 'state' })
  t.expect({
    [`${SYNC_REQUEST_LIMIT} bytes`]: { ok: true, bytes: SYNC_REQUEST_LIMIT },
    [`${RESPONSE_LIMIT + 1} bytes`]: { functionError: 'Unhandled', payload: platformErrors.responseTooLarge() },
    nextInvoke: { ok: true, coldStart: 'true or false (lambda-behavior.md §9 #7); aws-lambda-go exits after the 413' },
  })
  t.observe({
    [`${SYNC_REQUEST_LIMIT} bytes`]: { ok: within.functionError === undefined, bytes: within.payload.length },
    [`${RESPONSE_LIMIT + 1} bytes`]: { functionError: over.functionError ?? null, payload: over.json ?? over.text.slice(0, 200) },
    nextInvoke: { ok: after.functionError === undefined, coldStart: isColdStart(after) },
  })
  expect(within.functionError).toBeUndefined()
  expect(within.payload.length).toBe(SYNC_REQUEST_LIMIT)
  expect(over.functionError).toBe('Unhandled')
  expect(over.json).toEqual(platformErrors.responseTooLarge())
  expect(after.functionError).toBeUndefined()
  t.variant(isColdStart(after) ? 'next invoke cold (runtime exited after the 413)' : 'next invoke warm')
})
