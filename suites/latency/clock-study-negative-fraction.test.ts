import { expect, inject } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { clockEnv, measureClockSeries } from '../../lib/latency/clock-experiment.js'
import { estimateClock, syntheticTruthAt } from '../../lib/latency/clock.js'
import { failureSummary, sampleSizes } from '../../lib/latency/measure.js'
import { median } from '../../lib/latency/stats.js'
import { assertNoRegression, recordSeries } from '../../lib/latency/record.js'

export const behaviour = defineBehaviour({
  id: 'LAT-CLOCK-002',
  title: 'the 2017 timestamp experiment: a function clock behind by the one-way delay gives ~half negative raw one-way times, and the NTP estimate recovers the offset',
  level: 'SHOULD',
  suite: 'latency',
  source: 'latency-methods.md §1 (46.38 % negative for Go, 6.68 % for Python: |θ| of the order of the median one-way delay), §2.1, §2.3, §3 (synthetic-offset sign test)',
  timeoutMs: 60 * 60_000,
})

// The first exchanges after a start are slower (caches, JIT): calibrate on the second half of 100.
const CALIBRATION_EXCHANGES = 100

conformance(behaviour, async (t) => {
  const cfg = inject('config')
  // Measure this shim's one-way request time on the true clock, then set the function's clock that far behind:
  // the situation the study could not see through, where offset and delay are of the same size.
  const fn = await t.deploy({ probe: 'timestamps', label: 'lat-study' })
  const calibration = await measureClockSeries(fn, {
    behaviour: behaviour.id, shim: t.shim.name, target: t.target.name, variant: 'calibration',
    count: CALIBRATION_EXCHANGES, syntheticOffsetMs: 0, syntheticDriftPpm: 0,
  })
  expect(calibration.data.errors, failureSummary(calibration)).toBe(0)
  const oneWay = median(calibration.clock.t2Ms.map((t2, i) => t2 - (calibration.clock.t1Ms[i] as number)).slice(CALIBRATION_EXCHANGES / 2))
  const offsetMs = -Math.round(oneWay * 1000) / 1000
  await fn.updateConfiguration({ env: { ...t.shim.environment, PROBE: 'timestamps', ...clockEnv(offsetMs, 0) } })

  const r = await measureClockSeries(fn, {
    behaviour: behaviour.id, shim: t.shim.name, target: t.target.name, variant: 'study: offset = −median one-way',
    count: sampleSizes(cfg).clockStudy, syntheticOffsetMs: offsetMs, syntheticDriftPpm: 0,
  })
  recordSeries(t.task, cfg, r.data)
  expect(r.data.errors, failureSummary(r)).toBe(0)
  const a = estimateClock(r.clock)
  const truth = syntheticTruthAt(r.clock, r.clock.t1Ms[0] as number)
  t.expect({ offsetMs: truth, within: '±offsetBoundMs', impossibleFraction: 0 })
  t.observe({
    offsetMs: a.offsetMs, offsetBoundMs: a.offsetBoundMs, deltaMinMs: a.deltaMinMs,
    rawNegativeFraction: a.rawNegativeFraction, correctedNegativeFraction: a.correctedNegativeFraction, impossibleFraction: a.impossibleFraction,
    study: { go: 0.4638, python: 0.0668 },
  })
  expect(Math.abs(a.offsetMs - truth), `θ̂ = ${a.offsetMs} ± ${a.offsetBoundMs} ms, truth ${truth} ms`).toBeLessThanOrEqual(a.offsetBoundMs)
  if (Math.abs(truth) > a.offsetBoundMs) expect(Math.sign(a.offsetMs), 'sign of the offset (§3 pitfall)').toBe(Math.sign(truth))
  expect(a.impossibleFraction).toBe(0)
  assertNoRegression(t.task)
})
