/**
 * Load (issue #6 item 6): sustained concurrent invokes across several functions, the Go echo probe through the
 * native shim, closed loops over keep-alive HTTP. Only correctness is asserted (no errors, every response present
 * and the caller's own); latency, throughput and the environments used are measured and reported as figures,
 * computed with lib/latency (distribution-free quantile intervals, HdrHistogram percentiles), never asserted.
 */
import { type LambdaClient } from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { buildHistogram, histogramPercentileMs } from '../latency/histogram.js'
import { quantileCI, sortedAscending } from '../latency/stats.js'
import { type EmbeddedTarget, startEmbeddedTarget } from './index.js'
import { deployPackage, lambdaClient, nativeProbePackage, RawInvoker, uniqueName } from './test-support.js'

const FULL = inject('config').profile === 'full'
const FUNCTIONS = 4
const CONCURRENCY_PER_FUNCTION = 4
const INVOCATIONS = FULL ? 40_000 : 8_000

let target: EmbeddedTarget
let lambda: LambdaClient
let raw: RawInvoker
let probeZip: Buffer

beforeAll(async () => {
  probeZip = await nativeProbePackage()
  target = await startEmbeddedTarget({ pendingMs: 0 })
  lambda = lambdaClient(target.endpoint, { freshConnections: true })
  raw = new RawInvoker(target.endpoint, FUNCTIONS * CONCURRENCY_PER_FUNCTION)
})

afterAll(async () => {
  raw?.close()
  lambda?.destroy()
  await target?.close()
})

const round = (ms: number): number => Math.round(ms * 100) / 100

describe('load', () => {
  it(`${INVOCATIONS.toLocaleString('en-US')} invokes, ${FUNCTIONS} functions × ${CONCURRENCY_PER_FUNCTION} closed loops: no errors, no lost responses; latency and throughput reported`, async ({ task }) => {
    const names = Array.from({ length: FUNCTIONS }, (_, i) => uniqueName(`load-${i}`))
    await Promise.all(names.map((n) => deployPackage(lambda, n, probeZip, { env: { PROBE: 'echo' } })))
    // Warm: each function's environments exist before the clock starts (cold starts are another experiment).
    await Promise.all(names.flatMap((n) => Array.from({ length: CONCURRENCY_PER_FUNCTION }, () => raw.invoke(n, '{"warm":true}'))))
    const reportsBefore = new Map(names.map((n) => [n, target.logStore.streams(`/aws/lambda/${n}`).length]))

    const perLoop = Math.floor(INVOCATIONS / (FUNCTIONS * CONCURRENCY_PER_FUNCTION))
    const latencies: number[] = []
    let errors = 0
    let lost = 0
    const errorSamples: string[] = []
    const maxSandboxes = new Map(names.map((n) => [n, 0]))
    let maxTotal = 0
    const sampler = setInterval(() => {
      let total = 0
      for (const n of names) {
        const c = target.registry.get(n).pool.sandboxCount
        total += c
        if (c > maxSandboxes.get(n)!) maxSandboxes.set(n, c)
      }
      maxTotal = Math.max(maxTotal, total)
    }, 10)
    const started = performance.now()
    await Promise.all(
      names.flatMap((name, f) =>
        Array.from({ length: CONCURRENCY_PER_FUNCTION }, async (_, loop) => {
          for (let i = 0; i < perLoop; i++) {
            // The caller's own bytes must come back: a response for another request counts as an error.
            const payload = `{"f":${f},"loop":${loop},"i":${i}}`
            try {
              const r = await raw.invoke(name, payload)
              latencies.push(r.ms)
              if (r.status !== 200 || r.functionError || r.body.toString() !== payload) {
                errors++
                if (errorSamples.length < 5) errorSamples.push(`${r.status} ${r.functionError ?? ''} ${r.body.toString().slice(0, 200)}`)
              }
            } catch (e) {
              lost++
              if (errorSamples.length < 5) errorSamples.push(`no response: ${(e as Error).message}`)
            }
          }
        }),
      ),
    )
    const wallMs = performance.now() - started
    clearInterval(sampler)

    const sent = perLoop * FUNCTIONS * CONCURRENCY_PER_FUNCTION
    const sorted = sortedAscending(latencies)
    const h = buildHistogram(latencies)
    const p99ci = quantileCI(sorted, 0.99)
    // New log streams are new environments: cold starts while the clock ran.
    const coldStarts = names.reduce((n, name) => n + target.logStore.streams(`/aws/lambda/${name}`).length - reportsBefore.get(name)!, 0)
    task.meta.figures = {
      invocations: sent,
      'functions × closed loops': `${FUNCTIONS} × ${CONCURRENCY_PER_FUNCTION}`,
      errors,
      'lost responses': lost,
      'throughput (invokes/s)': Math.round(sent / (wallMs / 1000)),
      'p50 ms': round(histogramPercentileMs(h, 50)),
      'p90 ms': round(histogramPercentileMs(h, 90)),
      'p99 ms': round(histogramPercentileMs(h, 99)),
      'p99 95% CI ms': p99ci ? `${round(p99ci.low)}–${round(p99ci.high)}` : 'n too small',
      'p99.9 ms': round(histogramPercentileMs(h, 99.9)),
      'max ms': round(sorted.at(-1) ?? 0),
      'max sandboxes (all functions)': maxTotal,
      'max sandboxes per function': [...maxSandboxes.values()].join(', '),
      'cold starts while measured': coldStarts,
      'wall ms': Math.round(wallMs),
      client: 'node:http keep-alive, one process with the target',
    }
    expect(errorSamples).toEqual([])
    expect([errors, lost]).toEqual([0, 0])
    expect(latencies).toHaveLength(sent)
  }, FULL ? 900_000 : 240_000)
})
