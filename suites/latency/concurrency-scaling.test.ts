import { expect, inject } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { echoCheck, failureSummary, measureSeries, sampleSizes, type SeriesResult } from '../../lib/latency/measure.js'
import { assertNoRegression, recordSeries } from '../../lib/latency/record.js'

export const behaviour = defineBehaviour({
  id: 'LAT-CONCURRENCY-001',
  title: 'concurrency scaling: round trip and throughput with 1, 2, 4 and 8 invocations in flight',
  level: 'SHOULD',
  suite: 'latency',
  source: 'lambda-behavior.md §4 (one invoke per environment at a time; concurrency adds environments); latency-methods.md §6 (closed loops measure service time)',
  timeoutMs: 30 * 60_000,
})

const LEVELS = [1, 2, 4, 8]
const PAYLOAD = '{"latency":"concurrency"}'

conformance(behaviour, async (t) => {
  const cfg = inject('config')
  const fn = await t.deploy({ probe: 'echo', label: 'lat-conc' })
  const results: SeriesResult[] = []
  for (const c of LEVELS) {
    // Start c environments first, so the series measures warm invokes at this level, not their cold starts.
    await Promise.all(Array.from({ length: c }, () => fn.invoke(PAYLOAD)))
    const r = await measureSeries({
      experiment: 'concurrency', behaviour: behaviour.id, shim: t.shim.name, target: t.target.name,
      variant: `c=${c}`, x: c, concurrency: c, count: sampleSizes(cfg).concurrencyPerLevel, expect: 'warm',
      invoke: () => fn.invoke(PAYLOAD),
      reference: () => fn.dryRunMs(),
      check: echoCheck(t.shim.capabilities, Buffer.from(PAYLOAD)),
    })
    recordSeries(t.task, cfg, r.data)
    results.push(r)
  }
  const throughput = (r: SeriesResult): number => Math.round((r.data.collected / r.data.elapsedMs) * 1000)
  t.expect(LEVELS.map((c) => ({ concurrency: c, errors: 0 })))
  t.observe(results.map((r) => ({ concurrency: r.data.x, errors: r.data.errors, collected: r.data.collected, coldInSeries: r.data.mislabelled, invocationsPerSecond: throughput(r) })))
  // Lambda adds environments under concurrency (throttling only beyond the account limit); none may fail here.
  for (const r of results) expect(r.data.errors, failureSummary(r)).toBe(0)
  assertNoRegression(t.task)
})
