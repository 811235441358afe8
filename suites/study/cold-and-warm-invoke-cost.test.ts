import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { isColdStart } from '../../lib/conformance/observations.js'
import { median } from '../../lib/conformance/study.js'

export const behaviour = defineBehaviour({
  id: 'STUDY-COST-001',
  title: 'cold starts and warm invokes of an echo are measured, each classified by its REPORT line',
  level: 'SHOULD',
  suite: 'study',
  source: 'The 2017 study\'s latency experiment (small sample; the latency suite deepens it); latency-methods.md §4 (forcing and detecting cold starts), §5 (REPORT)',
  timeoutMs: 180_000,
})

/** Small on purpose: the comparison needs medians, not distributions (issue #5 measures those). */
const COLD = 5
const WARM = 30

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'echo' })
  const cold: { clientMs: number; initMs: number; durationMs: number; classified: boolean | null }[] = []
  for (let i = 0; i < COLD; i++) {
    // A configuration change retires every environment, so the next invoke must initialise (lambda-perf, SeBS).
    await fn.updateConfiguration({ env: { PROBE: 'echo', FORCE_COLD: String(i) } })
    const r = await fn.invoke({ i })
    cold.push({ clientMs: r.clientMs, initMs: Number.parseFloat(r.report?.['Init Duration'] ?? 'NaN'), durationMs: Number.parseFloat(r.report?.Duration ?? 'NaN'), classified: isColdStart(r) })
  }
  const warm: { clientMs: number; durationMs: number; classified: boolean | null }[] = []
  for (let i = 0; i < WARM; i++) {
    const r = await fn.invoke({ i })
    warm.push({ clientMs: r.clientMs, durationMs: Number.parseFloat(r.report?.Duration ?? 'NaN'), classified: isColdStart(r) })
  }
  const coldMedianMs = median(cold.map((c) => c.clientMs))
  const warmMedianMs = median(warm.map((w) => w.clientMs))
  const observed = {
    summary: `cold ${coldMedianMs.toFixed(1)} ms (init ${median(cold.map((c) => c.initMs)).toFixed(1)} ms), warm ${warmMedianMs.toFixed(2)} ms (medians, n=${COLD}/${WARM})`,
    coldMedianMs: round(coldMedianMs),
    coldInitMedianMs: round(median(cold.map((c) => c.initMs))),
    warmMedianMs: round(warmMedianMs),
    warmDurationMedianMs: round(median(warm.map((w) => w.durationMs))),
    coldClassifiedCold: cold.filter((c) => c.classified === true).length,
    warmClassifiedWarm: warm.filter((w) => w.classified === false).length,
    samples: { cold: COLD, warm: WARM },
  }
  t.expect({ coldClassifiedCold: COLD, warmClassifiedWarm: WARM })
  t.observe(observed)
  // Every forced cold start carries Init Duration and no warm invoke does: the classification is checked.
  expect(observed.coldClassifiedCold).toBe(COLD)
  expect(observed.warmClassifiedWarm).toBe(WARM)
})

const round = (x: number): number => Math.round(x * 100) / 100
