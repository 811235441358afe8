import { expect, inject } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { failureSummary, measureSeries, sampleSizes } from '../../lib/latency/measure.js'
import { assertNoRegression, recordSeries } from '../../lib/latency/record.js'

export const behaviour = defineBehaviour({
  id: 'LAT-COLD-001',
  title: 'cold starts forced by a configuration change: Init Duration on every one, and the function agrees it is new',
  level: 'SHOULD',
  suite: 'latency',
  source: 'latency-methods.md §4 (forcing by configuration change as SeBS and lambda-perf do; Init Duration only on a new environment\'s first invoke; in-function flag cross-check)',
  timeoutMs: 30 * 60_000,
})

conformance(behaviour, async (t) => {
  const cfg = inject('config')
  const fn = await t.deploy({ probe: 'state', label: 'lat-cold' })
  const r = await measureSeries({
    experiment: 'cold', behaviour: behaviour.id, shim: t.shim.name, target: t.target.name,
    count: sampleSizes(cfg).cold, expect: 'cold',
    // A changed environment variable retires every environment of the function (as SeBS's ForceColdStart).
    before: (i) => fn.updateConfiguration({ env: { ...t.shim.environment, PROBE: 'state', FORCE_COLD_START: String(i) } }),
    invoke: () => fn.invoke({}),
    reference: () => fn.dryRunMs(),
    functionSaysCold: (o) => (o.json as { coldStart?: boolean } | undefined)?.coldStart,
  })
  recordSeries(t.task, cfg, r.data)
  const d = r.data
  const withInit = d.samples.initMs.filter((v) => v !== null).length
  t.expect({ errors: 0, mislabelled: 0, samplesWithInitDuration: d.requested })
  t.observe({ errors: d.errors, mislabelled: d.mislabelled, samplesWithInitDuration: withInit, missingReports: r.missingReports })
  expect(d.errors, failureSummary(r)).toBe(0)
  // A forced cold start without Init Duration, or one the function calls warm, is an error (lambda-perf's rule).
  expect(d.mislabelled, 'forced cold starts labelled warm by the REPORT line or the function').toBe(0)
  expect(withInit).toBe(d.requested)
  assertNoRegression(t.task)
})
