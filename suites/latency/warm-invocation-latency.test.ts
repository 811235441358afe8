import { expect, inject } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { echoCheck, failureSummary, measureSeries, sampleSizes } from '../../lib/latency/measure.js'
import { assertNoRegression, recordSeries } from '../../lib/latency/record.js'

export const behaviour = defineBehaviour({
  id: 'LAT-WARM-001',
  title: 'warm invocations: round trip, handler time, shim overhead and memory per invoke',
  level: 'SHOULD',
  suite: 'latency',
  source: 'latency-methods.md §4 (warm = no Init Duration on REPORT), §5 (REPORT fields), §7 (≥ 300 samples for a p99 interval)',
  timeoutMs: 30 * 60_000,
})

const PAYLOAD = '{"latency":"warm","n":1}'

conformance(behaviour, async (t) => {
  const cfg = inject('config')
  const fn = await t.deploy({ probe: 'echo', label: 'lat-warm' })
  // The first invoke starts the environment; it belongs to the cold experiment, not here.
  const first = await fn.invoke(PAYLOAD)
  expect(echoCheck(t.shim.capabilities, Buffer.from(PAYLOAD))(first), 'warm-up invoke').toBeUndefined()

  const r = await measureSeries({
    experiment: 'warm', behaviour: behaviour.id, shim: t.shim.name, target: t.target.name,
    count: sampleSizes(cfg).warm, expect: 'warm',
    invoke: () => fn.invoke(PAYLOAD),
    reference: () => fn.dryRunMs(),
    check: echoCheck(t.shim.capabilities, Buffer.from(PAYLOAD)),
  })
  recordSeries(t.task, cfg, r.data)
  const d = r.data
  t.expect({ errors: 0, missingReports: 0, mislabelledAtMost: Math.floor(d.requested / 100) })
  t.observe({ requested: d.requested, collected: d.collected, errors: d.errors, missingReports: r.missingReports, mislabelled: d.mislabelled })
  expect(d.errors, failureSummary(r)).toBe(0)
  expect(r.missingReports, 'every invoke has a REPORT line in its log tail').toBe(0)
  // Lambda may recycle an environment mid-run; such samples are cold, discarded and counted, but must stay rare.
  expect(d.mislabelled).toBeLessThanOrEqual(Math.floor(d.requested / 100))
  assertNoRegression(t.task)
})
