import { inject } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { jsonEvent, type JsonEvent, nodeDepth, renderEvent } from '../../lib/properties/arbitraries.js'
import { assertProperty, attempt, describeAttempt, expectRecovery, transport, withRecovery } from '../../lib/properties/conformance.js'
import { COMPARISON_MEANING, echoComparison, echoDifference } from '../../lib/properties/echo.js'
import { propertyTestTimeoutMs } from '../../lib/properties/run.js'

export const behaviour = defineBehaviour({
  id: 'EVENT-ECHO-001',
  title: 'the echo probe returns any JSON event unchanged: byte for byte where the shim declares byte-exact-payload, as the same JSON value otherwise',
  level: 'MUST',
  suite: 'event-bombs',
  source:
    'lambda-behavior.md §2.1 "RequestResponse, success" (body = the bytes posted to /response) and "Non-object JSON … Delivered verbatim" (recorded-from-AWS); go-handlers/README.md `echo`; RFC 8259 §6 and §8.2 for what "the same JSON value" means',
  timeoutMs: propertyTestTimeoutMs(inject('config').profile),
})

const GOOD = Buffer.from('{"good":"payload","n":[1,2,3]}')

conformance(behaviour, async (t) => {
  // A short timeout: a case the shim never answers (node-proxy drops falsy events) costs this much, shrinking included.
  const fn = await t.deploy({ probe: 'echo', timeout: 3, memorySize: 512 })
  const mode = echoComparison(t.shim)
  const stats = { cases: 0, byteIdentical: 0, sameValueOnly: 0, failed: 0, largestEventBytes: 0, deepestNesting: 0 }
  const resetsBefore = transport.resetsRetried
  const recover = (after: string): Promise<unknown> =>
    expectRecovery(fn, after, GOOD, (r) => {
      const d = echoDifference(GOOD, r.payload, mode)
      if (d) throw new Error(d)
    })
  t.expect({ comparison: COMPARISON_MEANING[mode], everyEvent: 'returned unchanged', afterAFailingCase: 'the next good payload is echoed' })
  await assertProperty(t, behaviour, {
    kind: 'echo',
    name: `echo returns the event unchanged (${mode})`,
    arbitrary: jsonEvent,
    payload: renderEvent,
    predicate: (e: JsonEvent, { shrinking }) =>
      withRecovery(async () => {
        // Statistics describe the generated cases; shrink candidates are not counted.
        const tally = (f: () => void): void => void (shrinking || f())
        const body = renderEvent(e)
        tally(() => {
          stats.cases++
          stats.largestEventBytes = Math.max(stats.largestEventBytes, body.length)
          stats.deepestNesting = Math.max(stats.deepestNesting, nodeDepth(e.value))
        })
        const a = await attempt(fn, body)
        if (a.kind === 'api-error' || a.response.functionError !== undefined) {
          tally(() => stats.failed++)
          throw new Error(`a valid JSON event of ${body.length} bytes was not echoed: ${describeAttempt(a)}`)
        }
        const d = echoDifference(body, a.response.payload, mode)
        if (d) {
          tally(() => stats.failed++)
          throw new Error(`the echo is not the event (${mode}): ${d}`)
        }
        const identical = a.response.payload.equals(body)
        tally(() => (identical ? stats.byteIdentical++ : stats.sameValueOnly++))
      }, recover),
    after: () => {
      t.variant(mode === 'byte-exact' ? 'compared byte for byte' : 'compared as JSON values')
      t.observe({ comparison: COMPARISON_MEANING[mode], ...stats, connectionResetsRetried: transport.resetsRetried - resetsBefore })
    },
  })
})
