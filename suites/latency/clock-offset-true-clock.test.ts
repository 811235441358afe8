import { expect, inject } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { measureClockSeries } from '../../lib/latency/clock-experiment.js'
import { estimateClock } from '../../lib/latency/clock.js'
import { failureSummary, sampleSizes } from '../../lib/latency/measure.js'
import { assertNoRegression, recordSeries } from '../../lib/latency/record.js'

export const behaviour = defineBehaviour({
  id: 'LAT-CLOCK-001',
  title: 'one-way latency from NTP exchanges on the true clock: the offset interval holds the shared host clock\'s zero',
  level: 'SHOULD',
  suite: 'latency',
  source: 'latency-methods.md §2.1 (|θ − θ₀| ≤ δ/2), §2.6 (local targets share CLOCK_REALTIME, so θ₀ = 0), §2.7 step 4',
  timeoutMs: 30 * 60_000,
})

/** Targets whose functions run on the caller's host, so the true offset is 0 (latency-methods.md §2.6). */
const SHARED_CLOCK_TARGETS = ['embedded', 'localstack']

conformance(behaviour, async (t) => {
  const cfg = inject('config')
  const fn = await t.deploy({ probe: 'timestamps', label: 'lat-clock' })
  const r = await measureClockSeries(fn, {
    behaviour: behaviour.id, shim: t.shim.name, target: t.target.name, variant: 'true clock',
    count: sampleSizes(cfg).clockTrue, syntheticOffsetMs: 0, syntheticDriftPpm: 0,
  })
  recordSeries(t.task, cfg, r.data)
  expect(r.data.errors, failureSummary(r)).toBe(0)
  const a = estimateClock(r.clock)
  const observed = {
    offsetMs: a.offsetMs, offsetBoundMs: a.offsetBoundMs, driftPpm: a.driftPpm, driftBoundPpm: a.driftBoundPpm,
    deltaMinMs: a.deltaMinMs, rawNegativeFraction: a.rawNegativeFraction, correctedNegativeFraction: a.correctedNegativeFraction, impossibleFraction: a.impossibleFraction,
  }
  t.observe(observed)
  // Whatever the target, no corrected one-way interval may lie wholly below zero: that would contradict causality.
  expect(a.impossibleFraction).toBe(0)
  if (SHARED_CLOCK_TARGETS.includes(t.target.name)) {
    t.expect({ offsetInterval: 'contains 0', driftInterval: 'contains 0', rawNegativeFraction: 0 })
    expect(Math.abs(a.offsetMs), `θ̂ = ${a.offsetMs} ± ${a.offsetBoundMs} ms must contain 0`).toBeLessThanOrEqual(a.offsetBoundMs)
    expect(Math.abs(a.driftPpm), `drift ${a.driftPpm} ± ${a.driftBoundPpm} ppm must contain 0`).toBeLessThanOrEqual(a.driftBoundPpm)
    // With one clock, the handler cannot see the event before the caller sent it.
    expect(a.rawNegativeFraction).toBe(0)
  } else {
    t.expect({ impossibleFraction: 0 })
    t.variant('separate clocks: the offset is measured, not known')
  }
  assertNoRegression(t.task)
})
