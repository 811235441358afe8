/**
 * The 2017 study's timestamp experiment, redone as NTP exchanges (latency-methods.md §2): every invoke of the
 * `timestamps` probe is one exchange, T1/T4 read by the caller around the Invoke call and T2/T3 by the handler.
 */
import type { DeployedFunction } from '../deploy.js'
import { measureSeries, type SeriesResult } from './measure.js'
import type { ClockExchanges } from './model.js'

interface TimestampsReply {
  receivedAtUs: number
  sentAtUs: number
  invocation: number
  processStartUs: number
}

export interface ClockSeriesSpec {
  behaviour: string
  shim: string
  target: string
  variant: string
  count: number
  /** The clock error the probe was deployed with (PROBE_CLOCK_OFFSET_MS / PROBE_CLOCK_DRIFT_PPM). */
  syntheticOffsetMs: number
  syntheticDriftPpm: number
}

/** Runs `count` warm exchanges against a deployed timestamps probe (the first, cold invoke is made here and dropped). */
export async function measureClockSeries(fn: DeployedFunction, spec: ClockSeriesSpec): Promise<SeriesResult & { clock: ClockExchanges }> {
  await fn.invoke({})
  const clock: ClockExchanges = {
    t1Ms: [], t2Ms: [], t3Ms: [], t4Ms: [],
    syntheticOffsetMs: spec.syntheticOffsetMs, syntheticDriftPpm: spec.syntheticDriftPpm, processStartMs: null,
  }
  const r = await measureSeries({
    experiment: 'clock', behaviour: spec.behaviour, shim: spec.shim, target: spec.target, variant: spec.variant,
    count: spec.count, expect: 'warm',
    invoke: () => fn.invoke({}),
    reference: () => fn.dryRunMs(),
    check: (o) => {
      const j = o.json as Partial<TimestampsReply> | undefined
      return typeof j?.receivedAtUs === 'number' && typeof j.sentAtUs === 'number' ? undefined : `not a timestamps reply: ${o.text.slice(0, 200)}`
    },
    onSample: (o) => {
      const j = o.json as TimestampsReply
      clock.t1Ms.push(o.sentAtMs)
      clock.t2Ms.push(j.receivedAtUs / 1000)
      clock.t3Ms.push(j.sentAtUs / 1000)
      clock.t4Ms.push(o.receivedAtMs)
      clock.processStartMs = j.processStartUs / 1000
    },
  })
  r.data.clock = clock
  return { ...r, clock }
}

/** Probe environment for a synthetic clock error. */
export function clockEnv(offsetMs: number, driftPpm: number): Record<string, string> {
  return { PROBE_CLOCK_OFFSET_MS: String(offsetMs), PROBE_CLOCK_DRIFT_PPM: String(driftPpm) }
}

