import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { gateAlpha, gateSeries, type GateSeries, NOISE_THRESHOLDS, noiseThresholdMs, machineChangedTooMuch, readBaseline, SPEED_FACTOR_LIMIT, SPEED_REFERENCE_MIN_SAMPLES, speedFactor } from './gate.js'
import type { Experiment } from './model.js'
import { seededRandom as seeded } from './seeded-random.js'


/** ~1 ms warm round trips: 0.8 ms floor plus an exponential tail of mean 0.3 ms, shifted by `shiftMs`. */
function warmSamples(n: number, seed: number, shiftMs = 0): number[] {
  const rand = seeded(seed)
  return Array.from({ length: n }, () => 0.8 + -Math.log(1 - rand()) * 0.3 + shiftMs)
}

function gateInput(clientMs: number[], experiment: Experiment = 'warm', key = `${experiment}/native`): GateSeries {
  return { key, experiment, samples: { clientMs } }
}

const ALPHA = gateAlpha(4) // four gated series: 0.0125 each

describe('thresholds and α', () => {
  it('warm-like experiments: max(10 %, 0.3 ms); cold: max(20 %, 2 ms)', () => {
    expect(noiseThresholdMs('warm', 1)).toBe(0.3)
    expect(noiseThresholdMs('warm', 12)).toBeCloseTo(1.2, 12)
    expect(noiseThresholdMs('cold', 5)).toBe(2)
    expect(noiseThresholdMs('cold', 100)).toBeCloseTo(20, 12)
    for (const e of ['payload', 'concurrency', 'clock'] as const) expect(NOISE_THRESHOLDS[e]).toEqual(NOISE_THRESHOLDS.warm)
  })

  it('Bonferroni: 0.05 / number of gated series', () => {
    expect(gateAlpha(4)).toBe(0.0125)
    expect(gateAlpha(1)).toBe(0.05)
    expect(gateAlpha(0)).toBe(0.05)
  })
})

describe('gateSeries (latency-methods.md §9)', () => {
  it('identical distributions: no-change', () => {
    const v = gateSeries(gateInput(warmSamples(300, 1)), gateInput(warmSamples(300, 2)), { alpha: ALPHA })
    expect(v.verdict).toBe('no-change')
    expect(v.p).toBeGreaterThanOrEqual(ALPHA)
    expect(v.explanation).toMatch(/not significant: no-change$/)
  })

  it('+3 ms on ~1 ms samples: regressed, with the shift and its interval in the explanation', () => {
    const v = gateSeries(gateInput(warmSamples(300, 1)), gateInput(warmSamples(300, 2, 3)), { alpha: ALPHA })
    expect(v.verdict).toBe('regressed')
    expect(v.metric).toBe('clientMs')
    expect(v.shiftMs).toBeCloseTo(3, 1)
    expect(v.shiftLowMs!).toBeGreaterThan(0.3)
    expect(v.shiftLowMs!).toBeLessThanOrEqual(v.shiftMs!)
    expect(v.shiftHighMs!).toBeGreaterThanOrEqual(v.shiftMs!)
    expect(v.thresholdMs).toBe(0.3)
    expect(v.p!).toBeLessThan(1e-50)
    expect(v).toMatchObject({ key: 'warm/native', baselineN: 300, currentN: 300, alpha: ALPHA })
    expect(v.currentMedianMs! - v.baselineMedianMs!).toBeCloseTo(3, 0)
    expect(v.explanation).toMatch(/^warm clientMs shift \+3\.\d\d ms \[\+\d\.\d\d, \+\d\.\d\d\], p = .* < α = 0\.0125 \(Hodges–Lehmann, 95 %; median .* n = 300 → 300\); at equal machine speed: not compared, no speed reference on both sides: beyond the noise threshold ±0\.30 ms: regressed$/)
  })

  it('−3 ms: improved', () => {
    const v = gateSeries(gateInput(warmSamples(300, 1, 3)), gateInput(warmSamples(300, 2)), { alpha: ALPHA })
    expect(v.verdict).toBe('improved')
    expect(v.shiftHighMs!).toBeLessThan(-0.3)
  })

  it('a tiny but significant shift: within-noise', () => {
    // 0.05 ms on 2,000 samples per side is overwhelmingly significant and far below the 0.3 ms threshold.
    const v = gateSeries(gateInput(warmSamples(2000, 3)), gateInput(warmSamples(2000, 4, 0.05)), { alpha: ALPHA })
    expect(v.p!).toBeLessThan(ALPHA)
    expect(v.verdict).toBe('within-noise')
    expect(v.shiftLowMs!).toBeLessThan(0.3)
    expect(v.explanation).toMatch(/does not clear the noise threshold/)
  })

  it('cold: a 10 % shift of a 50 ms start is within the 20 % threshold', () => {
    const base = warmSamples(200, 5).map((v) => v * 50)
    const cur = warmSamples(200, 6).map((v) => v * 55)
    const v = gateSeries(gateInput(base, 'cold'), gateInput(cur, 'cold'), { alpha: ALPHA })
    expect(v.thresholdMs!).toBeGreaterThan(8)
    expect(['within-noise', 'no-change']).toContain(v.verdict)
  })

  it('fewer than 4 samples on a side: inconclusive', () => {
    const v = gateSeries(gateInput([1, 1.1, 1.2]), gateInput(warmSamples(100, 1)), { alpha: 0.05 })
    expect(v.verdict).toBe('inconclusive')
    expect(v).toMatchObject({ baselineN: 3, currentN: 100, p: null, shiftMs: null })
    expect(v.explanation).toMatch(/at least 4/)
  })

  it('4 per side at α = 0.0125: inconclusive, since the smallest attainable p is 0.029', () => {
    const v = gateSeries(gateInput([1, 1.1, 1.2, 1.3]), gateInput([9, 9.1, 9.2, 9.3]), { alpha: ALPHA })
    expect(v.verdict).toBe('inconclusive')
    expect(v.explanation).toMatch(/smallest attainable p is 0\.029/)
  })

  it('no baseline series with this key: no-baseline', () => {
    const v = gateSeries(undefined, gateInput(warmSamples(50, 1)), { alpha: ALPHA })
    expect(v).toMatchObject({ verdict: 'no-baseline', baselineN: 0, currentN: 50, p: null })
  })

  it('verdicts are JSON-safe', () => {
    for (const v of [
      gateSeries(gateInput(warmSamples(300, 1)), gateInput(warmSamples(300, 2, 3)), { alpha: ALPHA }),
      gateSeries(gateInput([1, 2, 3, 4, 5]), gateInput([1, 2, 3, 4, 6]), { alpha: 0.05 }),
      gateSeries(undefined, gateInput([1]), { alpha: 0.05 }),
    ]) {
      expect(JSON.parse(JSON.stringify(v))).toEqual(v)
    }
  })

  it('gates two 10,000-sample series in well under a second', () => {
    const started = performance.now()
    const v = gateSeries(gateInput(warmSamples(10_000, 7)), gateInput(warmSamples(10_000, 8, 0.5)), { alpha: ALPHA })
    expect(performance.now() - started).toBeLessThan(1000)
    expect(v.verdict).toBe('regressed')
  })
})

describe('machine-speed reference (DryRun round trips around each series)', () => {
  /** ~3 ms round trips (the SDK's share included), as a warm invoke measures on a shared 2-core machine. */
  const sdkWarm = (n: number, seed: number, scale = 1, shiftMs = 0): number[] => warmSamples(n, seed).map((v) => (v + 2) * scale + shiftMs)
  const reference = (seed: number, scale = 1): { ms: number[] } => ({ ms: warmSamples(100, seed).map((v) => (v + 1) * scale) })
  const withRef = (clientMs: number[], ref?: { ms: number[] }): GateSeries => ({ ...gateInput(clientMs), ...(ref ? { reference: ref } : {}) })

  it('a whole machine 25 % slower (invokes and reference alike): the two comparisons disagree, so within-noise, not regressed', () => {
    const v = gateSeries(withRef(sdkWarm(400, 1), reference(11)), withRef(sdkWarm(400, 2, 1.25), reference(12, 1.25)), { alpha: ALPHA })
    expect(v.speedFactor!).toBeGreaterThan(1.15)
    expect(v.speedFactor!).toBeLessThan(1.35)
    expect(['no-change', 'within-noise']).toContain(v.equalSpeed?.verdict)
    expect(v.verdict).toBe('within-noise')
    expect(v.explanation).toMatch(/at equal machine speed \(current ÷ 1\.\d{3}, the factor from DryRun round trips\) [+−]0\.\d\d ms .*: the comparisons as measured \(regressed\) and at equal machine speed \((no-change|within-noise)\) disagree.*: within-noise$/)
  })

  it('the same slower machine without a reference on one side is compared as measured only, and reads as regressed', () => {
    const v = gateSeries(withRef(sdkWarm(400, 1)), withRef(sdkWarm(400, 2, 1.25), reference(12, 1.25)), { alpha: ALPHA })
    expect(v.speedFactor).toBeNull()
    expect(v.equalSpeed).toBeNull()
    expect(v.verdict).toBe('regressed')
    expect(v.explanation).toMatch(/at equal machine speed: not compared, no speed reference on both sides/)
  })

  it('a shim 3 ms slower on an equally fast machine: regressed both ways, shift ≈ 3 ms', () => {
    const v = gateSeries(withRef(sdkWarm(400, 1), reference(11)), withRef(sdkWarm(400, 2, 1, 3), reference(12)), { alpha: ALPHA })
    expect(v.speedFactor!).toBeGreaterThan(0.9)
    expect(v.speedFactor!).toBeLessThan(1.1)
    expect(v.equalSpeed?.verdict).toBe('regressed')
    expect(v.verdict).toBe('regressed')
    expect(v.shiftMs!).toBeGreaterThan(2.5)
    expect(v.shiftMs!).toBeLessThan(3.5)
  })

  it('a shim 3 ms slower on a machine 25 % slower: regressed, ≈ 3 ms at equal speed and more as measured', () => {
    const v = gateSeries(withRef(sdkWarm(400, 1), reference(11)), withRef(sdkWarm(400, 2, 1.25, 3 * 1.25), reference(12, 1.25)), { alpha: ALPHA })
    expect(v.verdict).toBe('regressed')
    expect(v.equalSpeed!.shiftMs).toBeGreaterThan(2.5)
    expect(v.equalSpeed!.shiftMs).toBeLessThan(3.5)
    expect(v.shiftMs!).toBeGreaterThan(v.equalSpeed!.shiftMs)
  })

  it(`a machine more than ${SPEED_FACTOR_LIMIT}× slower or faster than for the baseline: inconclusive, saying what to do`, () => {
    const slower = gateSeries(withRef(sdkWarm(400, 1), reference(11)), withRef(sdkWarm(400, 2, 2.5), reference(12, 2.5)), { alpha: ALPHA })
    expect(slower.verdict).toBe('inconclusive')
    expect(slower.speedFactor!).toBeGreaterThan(SPEED_FACTOR_LIMIT)
    expect(slower.explanation).toMatch(/the machine's speed changed 2\.\d\d× slower between the runs .* rerun when the machine is as busy/)
    const faster = gateSeries(withRef(sdkWarm(400, 1), reference(11)), withRef(sdkWarm(400, 2, 0.4), reference(12, 0.4)), { alpha: ALPHA })
    expect(faster.verdict).toBe('inconclusive')
    expect(faster.explanation).toMatch(/2\.\d\d× faster/)
    // Told apart from the too-few-samples kind, which the test that measured the series lets pass.
    expect(machineChangedTooMuch(slower)).toBe(true)
    expect(machineChangedTooMuch(faster)).toBe(true)
    const few = gateSeries(withRef([1, 2, 3], reference(11)), withRef(sdkWarm(400, 2), reference(12)), { alpha: ALPHA })
    expect(few.verdict).toBe('inconclusive')
    expect(machineChangedTooMuch(few)).toBe(false)
  })

  it(`fewer than ${SPEED_REFERENCE_MIN_SAMPLES} reference samples on a side: no factor`, () => {
    const few = { ms: reference(3).ms.slice(0, SPEED_REFERENCE_MIN_SAMPLES - 1) }
    expect(speedFactor(withRef([1], reference(1)), withRef([1], few))).toBeNull()
    expect(speedFactor(withRef([1], reference(1)), withRef([1], reference(1, 2)))).toBeCloseTo(2, 12)
  })
})

describe('readBaseline', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-test-'))
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, text)
    return file
  }

  it('reads latency.series into a map by key', () => {
    const file = write(
      'ok.json',
      JSON.stringify({
        tests: [],
        latency: {
          series: [
            { key: 'warm/native', experiment: 'warm', samples: { clientMs: [1, 2, 3] }, summary: {}, reference: { what: 'Invoke DryRun', ms: [0.5, 0.6] } },
            { key: 'cold/native', experiment: 'cold', samples: { clientMs: [50, 60], initMs: [40, 45] }, summary: {} },
          ],
        },
      }),
    )
    const m = readBaseline(file)
    expect([...m.keys()]).toEqual(['warm/native', 'cold/native'])
    expect(m.get('warm/native')?.reference).toEqual({ ms: [0.5, 0.6] })
    expect(m.get('cold/native')).toEqual({ key: 'cold/native', experiment: 'cold', samples: { clientMs: [50, 60], initMs: [40, 45] } })
  })

  it('says what to do when the file is missing, is not JSON or has no latency series', () => {
    expect(() => readBaseline(path.join(dir, 'missing.json'))).toThrow(/does not exist; run `npm run baseline:save`/)
    expect(() => readBaseline(write('bad.json', '{"latency": '))).toThrow(/is not JSON .*npm run baseline:save/)
    expect(() => readBaseline(write('none.json', '{"tests": []}'))).toThrow(/holds no latency series.*npm run baseline:save/)
    expect(() => readBaseline(write('empty.json', '{"latency": {"series": []}}'))).toThrow(/holds no latency series/)
    expect(() => readBaseline(write('shape.json', '{"latency": {"series": [{"key": "x"}]}}'))).toThrow(/latency\.series\[0\] lacks/)
  })
})
