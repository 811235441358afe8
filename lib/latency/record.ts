/**
 * Hands a measured series to the reporters (`task.meta.latency`) and, when `CONFORMANCE_BASELINE` names an earlier
 * results.json, puts it through the regression gate. The verdicts are kept for the report; `assertNoRegression`
 * fails the test that measured a regressed series, naming the shift and its interval.
 */
import type { TestContext } from 'vitest'
import type { Config } from '../config.js'
import { KitError } from '../deploy.js'
import { resolveFromRoot } from '../config.js'
import { gateAlpha, gateSeries, machineChangedTooMuch, readBaseline } from './gate.js'
import type { GateVerdict, LatencySeriesData } from './model.js'

type Task = TestContext['task']

let baselineCache: { file: string; series: ReturnType<typeof readBaseline> } | undefined

function baseline(cfg: Config): ReturnType<typeof readBaseline> | undefined {
  if (cfg.baseline === '') return undefined
  const file = resolveFromRoot(cfg.baseline)
  if (baselineCache?.file !== file) {
    try {
      baselineCache = { file, series: readBaseline(file) }
    } catch (e) {
      throw new KitError(`CONFORMANCE_BASELINE: ${(e as Error).message}`)
    }
  }
  return baselineCache.series
}

/** Attaches the series to the test for the reporters and gates it against the baseline, if one is configured. */
export function recordSeries(task: Task, cfg: Config, data: LatencySeriesData): GateVerdict | undefined {
  const meta = (task.meta.latency ??= { series: [] })
  meta.series.push(data)
  const base = baseline(cfg)
  if (!base) return undefined
  const verdict = gateSeries(base.get(data.key), data, { alpha: gateAlpha(base.size) })
  ;(meta.gate ??= []).push(verdict)
  return verdict
}

/**
 * Fails the test when any of its series regressed beyond the noise threshold (the CI gate). A series the gate could
 * not judge because the machine's speed changed beyond ×/÷ SPEED_FACTOR_LIMIT fails it too, as a kit error: passing
 * quietly would let a regression through on exactly the runs where nothing could be compared.
 */
export function assertNoRegression(task: Task): void {
  const unjudged = (task.meta.latency?.gate ?? []).filter(machineChangedTooMuch)
  if (unjudged.length > 0) {
    throw new KitError(`latency gate against CONFORMANCE_BASELINE could not compare: ${unjudged.map((v) => `${v.key}: ${v.explanation}`).join('; ')}`)
  }
  const regressed = (task.meta.latency?.gate ?? []).filter((v) => v.verdict === 'regressed')
  if (regressed.length > 0) {
    throw new Error(`latency regression against CONFORMANCE_BASELINE: ${regressed.map((v) => `${v.key}: ${v.explanation}`).join('; ')}`)
  }
}
