import { expect, inject } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { SYNC_REQUEST_LIMIT } from '../../lib/lambda/protocol.js'
import { echoCheck, failureSummary, measureSeries, sampleSizes, type SeriesResult } from '../../lib/latency/measure.js'
import { assertNoRegression, recordSeries } from '../../lib/latency/record.js'

export const behaviour = defineBehaviour({
  id: 'LAT-PAYLOAD-001',
  title: 'payload-size scaling: echo round trip from 0 bytes to within 1 KiB of the 6 MB request limit',
  level: 'SHOULD',
  suite: 'latency',
  source: 'lambda-behavior.md §2 (6,291,456-byte synchronous request limit); latency-methods.md §11.2 (SeBS: ≈ 1.05 s/MB on AWS)',
  timeoutMs: 30 * 60_000,
})

/** 0 B (an empty body, which the function sees as {}), 1 KiB, 64 KiB, 1 MiB, and just under the limit. */
const NEAR_LIMIT = SYNC_REQUEST_LIMIT - 1024
const SIZES = [0, 1024, 65_536, 1_048_576, NEAR_LIMIT]

/** A JSON document of exactly `bytes` bytes: {"pad":"xxx…"} (needs no escaping, so bytes = characters). */
function payloadOf(bytes: number): Buffer | undefined {
  if (bytes === 0) return undefined
  const overhead = Buffer.byteLength('{"pad":""}')
  return Buffer.from(`{"pad":"${'x'.repeat(bytes - overhead)}"}`)
}

conformance(behaviour, async (t) => {
  const cfg = inject('config')
  const sizes = sampleSizes(cfg)
  // 1 GB of memory so a 6 MB payload copied a few times by a proxy shim is not what is measured.
  const fn = await t.deploy({ probe: 'echo', label: 'lat-payload', memorySize: 1024 })
  await fn.invoke('{}')
  const results: SeriesResult[] = []
  for (const bytes of SIZES) {
    const body = payloadOf(bytes)
    const expected = body ?? Buffer.from('{}')
    const r = await measureSeries({
      experiment: 'payload', behaviour: behaviour.id, shim: t.shim.name, target: t.target.name,
      variant: `${bytes} B`, x: bytes, count: bytes === NEAR_LIMIT ? sizes.payloadNearLimit : sizes.payload, expect: 'warm',
      invoke: () => fn.invoke(body),
      reference: () => fn.dryRunMs(),
      check: echoCheck(t.shim.capabilities, expected),
    })
    recordSeries(t.task, cfg, r.data)
    results.push(r)
  }
  t.expect(SIZES.map((bytes) => ({ bytes, errors: 0 })))
  t.observe(results.map((r) => ({ bytes: r.data.x, errors: r.data.errors, collected: r.data.collected, mislabelled: r.data.mislabelled })))
  for (const r of results) expect(r.data.errors, failureSummary(r)).toBe(0)
  assertNoRegression(t.task)
})
