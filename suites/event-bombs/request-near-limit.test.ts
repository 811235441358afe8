import { inject } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { apiErrors, SYNC_REQUEST_LIMIT } from '../../lib/lambda/protocol.js'
import { type NearLimit, nearLimit, renderNearLimit } from '../../lib/properties/arbitraries.js'
import { assertProperty, attempt, describeAttempt, expectRecovery, transport, withRecovery } from '../../lib/properties/conformance.js'
import { COMPARISON_MEANING, echoComparison, echoDifference } from '../../lib/properties/echo.js'
import { propertyTestTimeoutMs } from '../../lib/properties/run.js'

export const behaviour = defineBehaviour({
  id: 'EVENT-REQUEST-001',
  title: `a request within 64 bytes of ${SYNC_REQUEST_LIMIT} bytes is echoed at or below the limit, and rejected with 413 RequestEntityTooLargeException above it`,
  level: 'MUST',
  suite: 'event-bombs',
  source: 'lambda-behavior.md §2.3 "Sync request" (AWS-docs) and §2.4 "Sync request too large" (issue reports); kit-patterns.md §3.5 (near-limit payloads by padding)',
  timeoutMs: propertyTestTimeoutMs(inject('config').profile),
})

const GOOD = Buffer.from('{"good":"small"}')
const TOO_LARGE = apiErrors.requestTooLarge()

conformance(behaviour, async (t) => {
  // Enough memory that the payload limit, not memory headroom, decides (a proxy holds several copies).
  const fn = await t.deploy({ probe: 'echo', timeout: 30, memorySize: 512 })
  const mode = echoComparison(t.shim)
  const stats = { atOrBelowLimit: { echoed: 0, failed: 0 }, aboveLimit: { rejected: 0, other: 0 }, smallestBytes: 0, largestBytes: 0, fillers: {} as Record<string, number> }
  const resetsBefore = transport.resetsRetried
  const recover = (after: string): Promise<unknown> =>
    expectRecovery(fn, after, GOOD, (r) => {
      const d = echoDifference(GOOD, r.payload, mode)
      if (d) throw new Error(d)
    })
  t.expect({
    [`at most ${SYNC_REQUEST_LIMIT} bytes`]: `echoed (${COMPARISON_MEANING[mode]})`,
    [`more than ${SYNC_REQUEST_LIMIT} bytes`]: { name: TOO_LARGE.code, statusCode: TOO_LARGE.status, message: TOO_LARGE.body.Message },
    afterARejectionOrFailure: 'the next good payload is echoed',
  })
  await assertProperty(t, behaviour, {
    kind: 'request',
    name: `a request of limit ± 64 bytes is echoed or rejected with 413 (limit ${SYNC_REQUEST_LIMIT})`,
    arbitrary: nearLimit,
    payload: (c) => renderNearLimit(c, SYNC_REQUEST_LIMIT),
    predicate: (c: NearLimit, { shrinking }) =>
      withRecovery(async () => {
        // Statistics describe the generated cases; shrink candidates are not counted.
        const tally = (f: () => void): void => void (shrinking || f())
        const body = renderNearLimit(c, SYNC_REQUEST_LIMIT)
        tally(() => {
          stats.smallestBytes = stats.smallestBytes === 0 ? body.length : Math.min(stats.smallestBytes, body.length)
          stats.largestBytes = Math.max(stats.largestBytes, body.length)
          stats.fillers[c.filler] = (stats.fillers[c.filler] ?? 0) + 1
        })
        const a = await attempt(fn, body)
        if (body.length <= SYNC_REQUEST_LIMIT) {
          if (a.kind === 'api-error' || a.response.functionError !== undefined) {
            tally(() => stats.atOrBelowLimit.failed++)
            throw new Error(`a request of ${body.length} bytes (limit ${SYNC_REQUEST_LIMIT}) was not echoed: ${describeAttempt(a)}`)
          }
          const d = echoDifference(body, a.response.payload, mode)
          if (d) {
            tally(() => stats.atOrBelowLimit.failed++)
            throw new Error(`the echo of a request of ${body.length} bytes is not the request (${mode}): ${d}`)
          }
          tally(() => stats.atOrBelowLimit.echoed++)
          return
        }
        const e = a.kind === 'api-error' ? a.error : null
        if (!e || e.name !== TOO_LARGE.code || e.statusCode !== TOO_LARGE.status || e.message !== TOO_LARGE.body.Message) {
          tally(() => stats.aboveLimit.other++)
          throw new Error(`a request of ${body.length} bytes (limit ${SYNC_REQUEST_LIMIT}) was not rejected with ${TOO_LARGE.status} ${TOO_LARGE.code} "${String(TOO_LARGE.body.Message)}": ${describeAttempt(a)}`)
        }
        tally(() => stats.aboveLimit.rejected++)
        await recover(`a request of ${body.length} bytes rejected with 413`)
      }, recover),
    after: () => t.observe({ comparison: COMPARISON_MEANING[mode], ...stats, connectionResetsRetried: transport.resetsRetried - resetsBefore }),
  })
})
