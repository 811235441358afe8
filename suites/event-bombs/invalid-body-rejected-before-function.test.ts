import { inject } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { type InvalidBody, invalidBody, renderInvalidBody } from '../../lib/properties/arbitraries.js'
import { assertProperty, attempt, describeAttempt, expectRecovery, transport, withRecovery } from '../../lib/properties/conformance.js'
import { INVALID_JSON_PREFIX } from '../../lib/properties/echo.js'
import { classifyBody } from '../../lib/properties/json.js'
import { propertyTestTimeoutMs } from '../../lib/properties/run.js'

export const behaviour = defineBehaviour({
  id: 'EVENT-INVALID-001',
  title: 'a body that is not UTF-8 JSON is rejected with 400 InvalidRequestContentException and never reaches the function',
  level: 'MUST',
  suite: 'event-bombs',
  source: 'lambda-behavior.md §2.4 "Invalid JSON or invalid UTF-8" (recorded from AWS 2025-11); RFC 8259 (JSON text) and RFC 3629 (UTF-8) decide what is invalid',
  timeoutMs: propertyTestTimeoutMs(inject('config').profile),
})

interface State {
  pid: number
  invocations: number
}

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'dispatch', timeout: 5 })
  const stats = { rejected: { 'invalid-utf8': 0, 'invalid-json': 0 }, reachedTheFunction: 0, otherOutcome: 0, recipes: {} as Record<string, number> }
  const resetsBefore = transport.resetsRetried
  /** The function's own count of the invokes it served: every rejected body must leave it untouched. */
  let last: State | null = null
  const readState = async (after: string): Promise<State> => {
    const r = await expectRecovery(fn, after, { probe: 'state' }, (o) => {
      if (typeof (o.json as State | undefined)?.pid !== 'number') throw new Error(`the state probe answered ${o.text.slice(0, 200)}`)
    })
    return r.json as State
  }
  last = await readState('deploying')
  const recover = async (after: string): Promise<unknown> => (last = await readState(after))
  t.expect({
    everyBody: { name: 'InvalidRequestContentException', statusCode: 400, message: `${INVALID_JSON_PREFIX}…` },
    reachedTheFunction: 0,
    afterEachRejection: 'the next good payload is served by the same process, whose invocation count grew by exactly 1',
  })
  await assertProperty(t, behaviour, {
    kind: 'invalid',
    name: 'a body that is not UTF-8 JSON is rejected before the function',
    arbitrary: invalidBody,
    payload: renderInvalidBody,
    predicate: (b: InvalidBody, { shrinking }) =>
      withRecovery(async () => {
        // Statistics describe the generated cases; shrink candidates are not counted.
        const tally = (f: () => void): void => void (shrinking || f())
        const body = renderInvalidBody(b)
        const kind = classifyBody(body) as 'invalid-utf8' | 'invalid-json'
        tally(() => (stats.recipes[b.t] = (stats.recipes[b.t] ?? 0) + 1))
        const before = last!
        const a = await attempt(fn, body)
        const e = a.kind === 'api-error' ? a.error : null
        if (!e || e.name !== 'InvalidRequestContentException' || e.statusCode !== 400 || !e.message.startsWith(INVALID_JSON_PREFIX)) {
          tally(() => (a.kind === 'response' ? stats.reachedTheFunction++ : stats.otherOutcome++))
          throw new Error(`a body of ${body.length} bytes (${kind}) was not rejected with 400 InvalidRequestContentException "${INVALID_JSON_PREFIX}…": ${describeAttempt(a)}`)
        }
        tally(() => stats.rejected[kind]++)
        const now = await recover(`a rejected body (${kind})`)
        const s = now as State
        if (s.pid !== before.pid || s.invocations !== before.invocations + 1) {
          tally(() => stats.reachedTheFunction++)
          throw new Error(
            `the rejected body reached the function: before it the state probe saw pid ${before.pid} after ${before.invocations} invocations, after it pid ${s.pid} after ${s.invocations} (expected pid ${before.pid} after ${before.invocations + 1})`,
          )
        }
      }, recover),
    after: () => t.observe({ ...stats, connectionResetsRetried: transport.resetsRetried - resetsBefore }),
  })
})
