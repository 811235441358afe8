import { inject } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { type DepthBomb, depthBomb, depthBombLevels, GO_JSON_MAX_DEPTH, renderDepthBomb } from '../../lib/properties/arbitraries.js'
import { assertProperty, attempt, describeAttempt, expectRecovery, transport, withRecovery } from '../../lib/properties/conformance.js'
import { COMPARISON_MEANING, echoComparison, echoDifference, INVALID_JSON_PREFIX } from '../../lib/properties/echo.js'
import { propertyTestTimeoutMs } from '../../lib/properties/run.js'

export const behaviour = defineBehaviour({
  id: 'EVENT-DEPTH-001',
  title: `an event nested up to and far beyond Go's ${GO_JSON_MAX_DEPTH.toLocaleString('en-US')}-level JSON limit is echoed, or rejected by Invoke with InvalidRequestContentException`,
  level: 'SHOULD',
  suite: 'event-bombs',
  source:
    'lambda-behavior.md §2.1 "Non-object JSON … Delivered verbatim" and §2.4 "Invalid JSON or invalid UTF-8" (the one documented rejection); RFC 8259 §9 (a parser may limit nesting depth); Go encoding/json scanner.go maxNestingDepth = 10000; go-handlers/README.md `echo` (the Go handler never decodes the event)',
  timeoutMs: propertyTestTimeoutMs(inject('config').profile),
})

const GOOD = Buffer.from('{"good":[[[{"nested":true}]]]}')

/** Where a bomb falls relative to Go's limit. */
function band(levels: number): string {
  if (levels < GO_JSON_MAX_DEPTH - 10) return `below ${GO_JSON_MAX_DEPTH - 10}`
  if (levels <= GO_JSON_MAX_DEPTH + 10) return `${GO_JSON_MAX_DEPTH - 10}–${GO_JSON_MAX_DEPTH + 10}`
  return `beyond ${GO_JSON_MAX_DEPTH + 10}`
}

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'echo', timeout: 10, memorySize: 512 })
  const mode = echoComparison(t.shim)
  /** Per band, per outcome: how many cases, and the shallowest and deepest of them. */
  const seen: Record<string, Record<string, { cases: number; minLevels: number; maxLevels: number }>> = {}
  const resetsBefore = transport.resetsRetried
  let shrinking = false
  const note = (levels: number, outcome: string): void => {
    if (shrinking) return
    const b = (seen[band(levels)] ??= {})
    const o = (b[outcome] ??= { cases: 0, minLevels: levels, maxLevels: levels })
    o.cases++
    o.minLevels = Math.min(o.minLevels, levels)
    o.maxLevels = Math.max(o.maxLevels, levels)
  }
  const recover = (after: string): Promise<unknown> =>
    expectRecovery(fn, after, GOOD, (r) => {
      const d = echoDifference(GOOD, r.payload, mode)
      if (d) throw new Error(d)
    })
  t.expect({
    everyBomb: `echoed (${COMPARISON_MEANING[mode]}), or rejected by Invoke: 400 InvalidRequestContentException "${INVALID_JSON_PREFIX}…"`,
    afterARejectionOrFailure: 'the next good payload is echoed',
  })
  await assertProperty(t, behaviour, {
    kind: 'depth',
    name: 'a depth bomb is echoed or rejected with InvalidRequestContentException',
    arbitrary: depthBomb,
    payload: renderDepthBomb,
    predicate: (b: DepthBomb, info) =>
      withRecovery(async () => {
        shrinking = info.shrinking
        const body = renderDepthBomb(b)
        const levels = depthBombLevels(b)
        const a = await attempt(fn, body)
        if (a.kind === 'api-error') {
          const e = a.error
          if (e.name === 'InvalidRequestContentException' && e.statusCode === 400 && e.message.startsWith(INVALID_JSON_PREFIX)) {
            note(levels, 'rejected: 400 InvalidRequestContentException')
            await recover(`a rejected bomb of ${levels} levels`)
            return
          }
          note(levels, `Invoke error ${e.statusCode ?? '?'} ${e.name}`)
          throw new Error(`a bomb of ${levels} levels (${body.length} bytes) got an undocumented Invoke error: ${describeAttempt(a)}`)
        }
        if (a.response.functionError !== undefined) {
          const type = (a.response.json as { errorType?: string } | undefined)?.errorType ?? 'unknown'
          note(levels, `function error ${type}`)
          throw new Error(`a bomb of ${levels} levels (${body.length} bytes) that Invoke accepted was not echoed: ${describeAttempt(a)}`)
        }
        const d = echoDifference(body, a.response.payload, mode)
        if (d) {
          note(levels, 'echoed wrongly')
          throw new Error(`the echo of a bomb of ${levels} levels is not the bomb (${mode}): ${d}`)
        }
        note(levels, 'echoed')
      }, recover),
    after: () => {
      t.observe({ comparison: COMPARISON_MEANING[mode], byDepth: seen, levels: 'nested containers, as Go counts them', connectionResetsRetried: transport.resetsRetried - resetsBefore })
    },
  })
})
