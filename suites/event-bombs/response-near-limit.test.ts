import { inject } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { platformErrors, RESPONSE_LIMIT } from '../../lib/lambda/protocol.js'
import { type NearResponse, nearResponse } from '../../lib/properties/arbitraries.js'
import { assertProperty, attempt, describeAttempt, expectRecovery, transport, withRecovery } from '../../lib/properties/conformance.js'
import { COMPARISON_MEANING, echoComparison } from '../../lib/properties/echo.js'
import { jsonDifference } from '../../lib/properties/json.js'
import { propertyTestTimeoutMs } from '../../lib/properties/run.js'

export const behaviour = defineBehaviour({
  id: 'EVENT-RESPONSE-001',
  title: `a response within 64 bytes of ${RESPONSE_LIMIT} bytes is returned below the limit, and fails with Function.ResponseSizeTooLarge above it`,
  level: 'MUST',
  suite: 'event-bombs',
  source:
    'lambda-behavior.md §2.3 "Sync response" and §3.1 "Response over 6291556 bytes" (recorded from AWS 2025-11); exactly 6291556 bytes: §9 #6 (accepted or rejected); the next invoke: §9 #7 (cold or warm); go-handlers/README.md `bytes`',
  timeoutMs: propertyTestTimeoutMs(inject('config').profile),
})

/** The request asking the `bytes` probe for n bytes: `"` + (n − 2) × fill + `"`. */
const request = (c: NearResponse): Buffer => Buffer.from(JSON.stringify({ probe: 'bytes', args: { n: RESPONSE_LIMIT + c.delta, fill: c.fill } }))
const TOO_LARGE = platformErrors.responseTooLarge()

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'dispatch', timeout: 30, memorySize: 512 })
  const mode = echoComparison(t.shim)
  const stats = {
    belowLimit: { returned: 0, failed: 0 },
    atLimit: { returned: 0, rejected: 0 },
    aboveLimit: { rejected: 0, other: 0 },
    nextInvokeAfterRejection: { cold: 0, warm: 0 },
  }
  const resetsBefore = transport.resetsRetried
  let shrinking = false
  // Statistics describe the generated cases; shrink candidates are not counted.
  const tally = (f: () => void): void => void (shrinking || f())
  const recover = async (after: string): Promise<unknown> => {
    const r = await expectRecovery(fn, after, { probe: 'state' }, (o) => {
      if (typeof (o.json as { pid?: unknown } | undefined)?.pid !== 'number') throw new Error(`the state probe answered ${o.text.slice(0, 200)}`)
    })
    const cold = (r.json as { coldStart?: boolean }).coldStart === true
    tally(() => (cold ? stats.nextInvokeAfterRejection.cold++ : stats.nextInvokeAfterRejection.warm++))
    return r
  }
  t.expect({
    [`below ${RESPONSE_LIMIT} bytes`]: `returned (${COMPARISON_MEANING[mode]})`,
    [`exactly ${RESPONSE_LIMIT} bytes`]: 'returned, or Function.ResponseSizeTooLarge (lambda-behavior.md §9 #6)',
    [`more than ${RESPONSE_LIMIT} bytes`]: { functionError: 'Unhandled', payload: TOO_LARGE },
    afterARejectionOrFailure: 'the next good payload succeeds, cold or warm (§9 #7)',
  })
  await assertProperty(t, behaviour, {
    kind: 'response',
    name: `a response of limit ± 64 bytes is returned or fails with Function.ResponseSizeTooLarge (limit ${RESPONSE_LIMIT})`,
    arbitrary: nearResponse,
    payload: request,
    predicate: (c: NearResponse, info) =>
      withRecovery(async () => {
        shrinking = info.shrinking
        const n = RESPONSE_LIMIT + c.delta
        const a = await attempt(fn, request(c))
        if (a.kind === 'api-error') throw new Error(`asking for a response of ${n} bytes failed at Invoke: ${describeAttempt(a)}`)
        const r = a.response
        const tooLarge = r.functionError === 'Unhandled' && jsonDifference(TOO_LARGE, r.json) === null
        if (n > RESPONSE_LIMIT || (n === RESPONSE_LIMIT && tooLarge)) {
          if (!tooLarge) {
            tally(() => stats.aboveLimit.other++)
            throw new Error(`a response of ${n} bytes (limit ${RESPONSE_LIMIT}) did not fail with ${JSON.stringify(TOO_LARGE)}: ${describeAttempt(a)}`)
          }
          tally(() => (n === RESPONSE_LIMIT ? stats.atLimit.rejected++ : stats.aboveLimit.rejected++))
          await recover(`a response of ${n} bytes rejected with Function.ResponseSizeTooLarge`)
          return
        }
        const want = Buffer.from(`"${c.fill.repeat(n - 2)}"`)
        const ok =
          r.functionError === undefined &&
          (mode === 'byte-exact' ? r.payload.equals(want) : typeof r.json === 'string' && r.json === want.toString('utf8').slice(1, -1))
        if (!ok) {
          tally(() => stats.belowLimit.failed++)
          throw new Error(`a response of ${n} bytes (limit ${RESPONSE_LIMIT}) was not returned as "${c.fill}"×${n - 2} in quotes: ${describeAttempt(a)}`)
        }
        tally(() => (n === RESPONSE_LIMIT ? stats.atLimit.returned++ : stats.belowLimit.returned++))
      }, recover),
    after: () => {
      const at = stats.atLimit
      t.variant(at.returned + at.rejected === 0 ? `exactly ${RESPONSE_LIMIT} bytes not drawn` : `exactly ${RESPONSE_LIMIT} bytes ${at.rejected > 0 ? 'rejected' : 'returned'}`)
      t.observe({ comparison: COMPARISON_MEANING[mode], ...stats, connectionResetsRetried: transport.resetsRetried - resetsBefore })
    },
  })
})
