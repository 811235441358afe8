import { expect, inject } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { clockEnv, measureClockSeries } from '../../lib/latency/clock-experiment.js'
import { estimateClock, syntheticTruthAt } from '../../lib/latency/clock.js'
import { failureSummary, sampleSizes } from '../../lib/latency/measure.js'
import { assertNoRegression, recordSeries } from '../../lib/latency/record.js'

export const behaviour = defineBehaviour({
  id: 'LAT-CLOCK-003',
  title: 'a synthetic clock offset and drift are recovered within the estimator\'s stated bounds, with the right signs',
  level: 'SHOULD',
  suite: 'latency',
  source: 'latency-methods.md §2.4 (skew: θ(t) = θ₀ + s·(t − t₀), bracketing), §3 (unit-test the sign with a synthetic offset)',
  timeoutMs: 30 * 60_000,
})

// Far larger than real clocks (Huygens: 5–30 ppm) so that a run of a second or two resolves the drift: 3,000 ppm
// moves the offset by 3 ms per second, several times the loopback delay.
const OFFSET_MS = 37.5
const DRIFT_PPM = -3_000

conformance(behaviour, async (t) => {
  const cfg = inject('config')
  const fn = await t.deploy({ probe: 'timestamps', label: 'lat-drift', env: clockEnv(OFFSET_MS, DRIFT_PPM) })
  const r = await measureClockSeries(fn, {
    behaviour: behaviour.id, shim: t.shim.name, target: t.target.name, variant: `offset ${OFFSET_MS} ms, drift ${DRIFT_PPM} ppm`,
    count: sampleSizes(cfg).clockDrift, syntheticOffsetMs: OFFSET_MS, syntheticDriftPpm: DRIFT_PPM,
  })
  recordSeries(t.task, cfg, r.data)
  expect(r.data.errors, failureSummary(r)).toBe(0)
  const a = estimateClock(r.clock)
  const truthOffset = syntheticTruthAt(r.clock, r.clock.t1Ms[0] as number)
  t.expect({ offsetMs: truthOffset, driftPpm: DRIFT_PPM, within: 'the stated bounds' })
  t.observe({ offsetMs: a.offsetMs, offsetBoundMs: a.offsetBoundMs, driftPpm: a.driftPpm, driftBoundPpm: a.driftBoundPpm, deltaMinMs: a.deltaMinMs, exchanges: a.n })
  expect(Math.abs(a.offsetMs - truthOffset), `θ̂ = ${a.offsetMs} ± ${a.offsetBoundMs} ms, truth ${truthOffset} ms`).toBeLessThanOrEqual(a.offsetBoundMs)
  expect(Math.abs(a.driftPpm - DRIFT_PPM), `drift ${a.driftPpm} ± ${a.driftBoundPpm} ppm, truth ${DRIFT_PPM} ppm`).toBeLessThanOrEqual(a.driftBoundPpm)
  expect(Math.sign(a.offsetMs), 'sign of the offset').toBe(Math.sign(truthOffset))
  if (a.driftBoundPpm < Math.abs(DRIFT_PPM)) expect(Math.sign(a.driftPpm), 'sign of the drift').toBe(Math.sign(DRIFT_PPM))
  expect(a.impossibleFraction).toBe(0)
  assertNoRegression(t.task)
})
