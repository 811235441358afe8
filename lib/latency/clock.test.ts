import { describe, expect, it } from 'vitest'
import { estimateClock, MAX_DRIFT_PPM, ntpExchange, syntheticTruthAt } from './clock.js'
import type { ClockExchanges } from './model.js'
import { median } from './stats.js'
import { seededRandom as seeded } from './seeded-random.js'


/** An exponential variate with the given mean. */
function exponential(rand: () => number, meanMs: number): number {
  return -Math.log(1 - rand()) * meanMs
}

const EPOCH_MS = 1_760_000_000_000

interface Simulation {
  ex: ClockExchanges
  trueRequestMs: number[]
  trueResponseMs: number[]
}

/**
 * Exchanges against a function whose clock reads true + offset + drift·(true − processStart)/10⁶, the probe's
 * synthetic clock, with the given one-way delays and hold time; timestamps rounded to µs as the probe reports them.
 */
function simulate(opts: {
  n: number
  offsetMs: number
  driftPpm: number
  spacingMs: number
  requestMs: (i: number) => number
  responseMs: (i: number) => number
  holdMs?: (i: number) => number
  processStartMs?: number
  roundToUs?: boolean
}): Simulation {
  const processStartMs = opts.processStartMs ?? EPOCH_MS - 2_000
  const functionClock = (t: number): number => t + opts.offsetMs + (opts.driftPpm * (t - processStartMs)) / 1e6
  const round = (v: number): number => (opts.roundToUs === false ? v : Math.round(v * 1000) / 1000)
  const ex: ClockExchanges = { t1Ms: [], t2Ms: [], t3Ms: [], t4Ms: [], syntheticOffsetMs: opts.offsetMs, syntheticDriftPpm: opts.driftPpm, processStartMs }
  const trueRequestMs: number[] = []
  const trueResponseMs: number[] = []
  for (let i = 0; i < opts.n; i++) {
    const sent = EPOCH_MS + i * opts.spacingMs
    const request = opts.requestMs(i)
    const response = opts.responseMs(i)
    const hold = opts.holdMs?.(i) ?? 0.05
    ex.t1Ms.push(round(sent))
    ex.t2Ms.push(round(functionClock(sent + request)))
    ex.t3Ms.push(round(functionClock(sent + request + hold)))
    ex.t4Ms.push(round(sent + request + hold + response))
    trueRequestMs.push(request)
    trueResponseMs.push(response)
  }
  return { ex, trueRequestMs, trueResponseMs }
}

describe('ntpExchange (RFC 5905 §8)', () => {
  it('server 50 ms ahead, 10 ms each way, 5 ms hold: θ = +50, δ = 20', () => {
    expect(ntpExchange(100, 160, 165, 125)).toEqual({ thetaMs: 50, deltaMs: 20 })
  })

  it('asymmetric delays: |θ − θ₀| ≤ δ/2, with equality when one direction takes all the delay', () => {
    const rand = seeded(1)
    for (let i = 0; i < 200; i++) {
      const theta0 = (rand() - 0.5) * 100
      const out = exponential(rand, 2)
      const back = exponential(rand, 0.2)
      const t1 = 1000
      const { thetaMs, deltaMs } = ntpExchange(t1, t1 + out + theta0, t1 + out + 1 + theta0, t1 + out + 1 + back)
      expect(deltaMs).toBeCloseTo(out + back, 9)
      expect(Math.abs(thetaMs - theta0)).toBeLessThanOrEqual(deltaMs / 2 + 1e-9)
    }
    expect(ntpExchange(0, 8 + 3, 8 + 3, 8)).toEqual({ thetaMs: 3 + 4, deltaMs: 8 }) // all 8 ms outbound: θ off by δ/2
  })
})

describe('the sign pitfall (latency-methods.md §3)', () => {
  // Function clock θ = +50 ms ahead of the caller, symmetric delay L = 10 ms, hold 2 ms. A request sent at S reaches
  // the handler at E = S + L + θ on the function clock: the correct one-way time is E − θ − S = L = 10 ms; SeBS's
  // sign (adding its clock_drift, which equals −θ_NTP) yields L + 2θ = 110 ms.
  const theta = 50
  const latency = 10
  const sim = simulate({ n: 20, offsetMs: theta, driftPpm: 0, spacingMs: 500, requestMs: () => latency, responseMs: () => latency, holdMs: () => 2 })

  it('a correct implementation gives 10 ms, not 110 ms', () => {
    const a = estimateClock(sim.ex)
    // At the first T1 only that exchange's upper constraint binds directly, so the bound there is δ/2 plus a little.
    expect(Math.abs(a.offsetMs - theta)).toBeLessThanOrEqual(a.offsetBoundMs)
    expect(a.offsetBoundMs).toBeLessThan(latency + 0.1)
    expect(a.requestOneWayMedianMs).toBeCloseTo(latency, 6)
    expect(a.responseOneWayMedianMs).toBeCloseTo(latency, 6)
    const { t1Ms, t2Ms, t3Ms, t4Ms } = sim.ex
    // SeBS's clock_drift is function − driver, which is θ_NTP here (the caller is the NTP client): +50 ms.
    const clockDrift = ntpExchange(t1Ms[0]!, t2Ms[0]!, t3Ms[0]!, t4Ms[0]!).thetaMs
    expect(clockDrift).toBeCloseTo(theta, 6)
    expect(t2Ms[0]! - clockDrift - t1Ms[0]!).toBeCloseTo(latency, 6) // correct: E − clock_drift − S
    expect(t2Ms[0]! + clockDrift - t1Ms[0]!).toBeCloseTo(latency + 2 * theta, 6) // SeBS's sign: 110 ms
  })

  it('one exchange alone already gives 10 ms; drift unknown, so the offset at T1 is only loosely bounded', () => {
    const one: ClockExchanges = { ...sim.ex, t1Ms: sim.ex.t1Ms.slice(0, 1), t2Ms: sim.ex.t2Ms.slice(0, 1), t3Ms: sim.ex.t3Ms.slice(0, 1), t4Ms: sim.ex.t4Ms.slice(0, 1) }
    const a = estimateClock(one)
    expect(a.n).toBe(1)
    expect(a.requestOneWayMedianMs).toBeCloseTo(latency, 6) // θ̂ at the exchange's midpoint is exact by symmetry
    // θ(T1) ≤ T2 − T1 = 60 ms; θ(T4) ≥ T3 − T4 = 40 ms with T4 − T1 = 22 ms and drift up to 10⁶ ppm: θ(T1) ≥ 18 ms.
    expect(a.offsetMs - a.offsetBoundMs).toBeCloseTo(18, 2)
    expect(a.offsetMs + a.offsetBoundMs).toBeCloseTo(60, 2)
    expect(a.driftPpm).toBe(0)
    expect(a.driftBoundPpm).toBe(MAX_DRIFT_PPM) // "drift unknown", finite
    expect(JSON.parse(JSON.stringify(a))).toEqual(a) // JSON-safe: no Infinity, no NaN
  })
})

describe('estimateClock', () => {
  it('θ = 0 (every local target): offset within its bound, no negative raw times, nothing impossible', () => {
    const rand = seeded(2)
    const sim = simulate({ n: 300, offsetMs: 0, driftPpm: 0, spacingMs: 10, requestMs: () => 0.05 + exponential(rand, 0.2), responseMs: () => 0.05 + exponential(rand, 0.4) })
    const a = estimateClock(sim.ex)
    expect(Math.abs(a.offsetMs)).toBeLessThanOrEqual(a.offsetBoundMs)
    expect(a.offsetBoundMs).toBeLessThan(0.1)
    expect(Math.abs(a.driftPpm)).toBeLessThanOrEqual(a.driftBoundPpm)
    expect(a.rawNegativeFraction).toBe(0)
    expect(a.impossibleFraction).toBe(0)
    expect(a.modelViolationMs).toBe(0)
    expect(a.deltaMinMs).toBeCloseTo(Math.min(...sim.trueRequestMs.map((r, i) => r + sim.trueResponseMs[i]!)), 2)
  })

  it('asymmetric delays, constant offset: |θ̂ − θ| within the stated bound and per exchange within δ/2', () => {
    const rand = seeded(3)
    const theta = -12.345
    const sim = simulate({ n: 200, offsetMs: theta, driftPpm: 0, spacingMs: 25, requestMs: () => 0.1 + exponential(rand, 3), responseMs: () => 0.02 + exponential(rand, 0.1) })
    const a = estimateClock(sim.ex)
    expect(Math.abs(a.offsetMs - theta)).toBeLessThanOrEqual(a.offsetBoundMs)
    for (let i = 0; i < a.n; i++) expect(Math.abs(a.thetaMs[i]! - theta)).toBeLessThanOrEqual(a.deltaMs[i]! / 2 + 0.002)
    expect(a.tMs[0]).toBe(0)
    expect(a.tMs[10]).toBeCloseTo(250, 6)
  })

  it.each([
    [1, 2_000, 37.5],
    [2, -3_000, 37.5],
    [3, 5, -0.4],
    [4, 0, 1.25],
    [5, 150, -200],
  ])('seed %d: drift %d ppm and offset %d ms recovered, truth inside every stated bound, signs right', (seed, driftPpm, offsetMs) => {
    const rand = seeded(seed)
    const sim = simulate({
      n: 400,
      offsetMs,
      driftPpm,
      spacingMs: 5 + rand() * 20,
      requestMs: () => 0.08 + exponential(rand, rand() < 0.1 ? 5 : 0.3), // asymmetric, with a queueing tail
      responseMs: () => 0.03 + exponential(rand, 0.8),
      holdMs: () => 0.02 + rand() * 0.5,
    })
    const a = estimateClock(sim.ex)
    const truthAtStart = syntheticTruthAt(sim.ex, sim.ex.t1Ms[0]!)
    expect(Math.abs(a.offsetMs - truthAtStart), `offset ${a.offsetMs} ± ${a.offsetBoundMs}, truth ${truthAtStart}`).toBeLessThanOrEqual(a.offsetBoundMs)
    expect(Math.abs(a.driftPpm - driftPpm), `drift ${a.driftPpm} ± ${a.driftBoundPpm}, truth ${driftPpm}`).toBeLessThanOrEqual(a.driftBoundPpm)
    expect(a.driftBoundPpm).toBeLessThan(100) // 400 exchanges over several seconds pin the drift down well
    if (a.driftBoundPpm < Math.abs(driftPpm)) expect(Math.sign(a.driftPpm)).toBe(Math.sign(driftPpm))
    expect(Math.sign(a.offsetMs)).toBe(Math.sign(truthAtStart))
    expect(Math.abs(a.driftLsPpm! - driftPpm)).toBeLessThan(200) // the least-squares estimate is close, without a guarantee
    expect(a.modelViolationMs).toBe(0)
    expect(a.impossibleFraction).toBe(0)
    expect(Math.abs(a.requestOneWayMedianMs - median(sim.trueRequestMs))).toBeLessThanOrEqual(a.oneWayBoundMs)
    expect(Math.abs(a.responseOneWayMedianMs - median(sim.trueResponseMs))).toBeLessThanOrEqual(a.oneWayBoundMs)
    expect(a.requestOneWayMedianMs + a.responseOneWayMedianMs).toBeGreaterThan(0)
  })

  it('corrected one-way times sum to δ exactly: their medians sit inside the round trip', () => {
    const rand = seeded(9)
    const sim = simulate({ n: 101, offsetMs: 3, driftPpm: 0, spacingMs: 10, requestMs: () => 1, responseMs: () => 1 + rand() })
    const a = estimateClock(sim.ex)
    expect(a.requestOneWayMedianMs + a.responseOneWayMedianMs).toBeCloseTo(median(a.deltaMs), 0)
    expect(a.requestOneWayMedianMs).toBeGreaterThan(0)
  })

  it('reproduces the 2017 study\'s symptom: an offset of the order of the delay makes about half the raw times negative', () => {
    const rand = seeded(4)
    const sim = simulate({ n: 1000, offsetMs: -0.35, driftPpm: 0, spacingMs: 5, requestMs: () => 0.05 + exponential(rand, 0.45), responseMs: () => 0.05 + exponential(rand, 0.45) })
    const a = estimateClock(sim.ex)
    const trulyNegative = sim.ex.t2Ms.filter((t2, i) => t2 - sim.ex.t1Ms[i]! < 0).length / 1000
    expect(a.rawNegativeFraction).toBe(trulyNegative)
    expect(a.rawNegativeFraction).toBeGreaterThan(0.3)
    expect(a.correctedNegativeFraction).toBeLessThan(0.05)
    expect(a.impossibleFraction).toBe(0)
  })

  it('a clock step breaks the linear model: the violation is reported, not hidden', () => {
    const rand = seeded(6)
    const sim = simulate({ n: 200, offsetMs: 0, driftPpm: 0, spacingMs: 10, requestMs: () => 0.05 + exponential(rand, 0.1), responseMs: () => 0.05 + exponential(rand, 0.1) })
    for (let i = 100; i < 200; i++) {
      sim.ex.t2Ms[i] = sim.ex.t2Ms[i]! + 5 // the function clock steps 5 ms forward half-way
      sim.ex.t3Ms[i] = sim.ex.t3Ms[i]! + 5
    }
    const a = estimateClock(sim.ex)
    expect(a.modelViolationMs).toBeGreaterThan(1)
    expect(Number.isFinite(a.offsetBoundMs) && Number.isFinite(a.driftBoundPpm)).toBe(true)
  })

  it('handles 10,000 exchanges quickly', () => {
    const rand = seeded(8)
    const sim = simulate({ n: 10_000, offsetMs: 1, driftPpm: 20, spacingMs: 2, requestMs: () => 0.05 + exponential(rand, 0.2), responseMs: () => 0.05 + exponential(rand, 0.2) })
    const started = process.cpuUsage() // CPU time: other test files keep a CI machine busy
    const a = estimateClock(sim.ex)
    const used = process.cpuUsage(started)
    expect((used.user + used.system) / 1000).toBeLessThan(200)
    expect(Math.abs(a.driftPpm - 20)).toBeLessThanOrEqual(a.driftBoundPpm)
  })

  it('rejects empty and ragged input', () => {
    const empty: ClockExchanges = { t1Ms: [], t2Ms: [], t3Ms: [], t4Ms: [], syntheticOffsetMs: 0, syntheticDriftPpm: 0, processStartMs: null }
    expect(() => estimateClock(empty)).toThrow(/no exchanges/)
    expect(() => estimateClock({ ...empty, t1Ms: [1, 2], t2Ms: [1], t3Ms: [1], t4Ms: [1] })).toThrow(/differ in length/)
    expect(() => estimateClock({ ...empty, t1Ms: [NaN], t2Ms: [1], t3Ms: [1], t4Ms: [1] })).toThrow(/not finite/)
  })
})

describe('syntheticTruthAt', () => {
  const ex: ClockExchanges = { t1Ms: [], t2Ms: [], t3Ms: [], t4Ms: [], syntheticOffsetMs: -0.4, syntheticDriftPpm: 2_000, processStartMs: 1_000_000 }

  it('is offset + drift·(t − processStart)/10⁶', () => {
    expect(syntheticTruthAt(ex, 1_000_000)).toBe(-0.4)
    expect(syntheticTruthAt(ex, 1_010_000)).toBeCloseTo(-0.4 + 20, 12) // 2,000 ppm of 10 s = 20 ms
  })

  it('needs the process start only when there is drift', () => {
    expect(syntheticTruthAt({ ...ex, syntheticDriftPpm: 0, processStartMs: null }, 5)).toBe(-0.4)
    expect(() => syntheticTruthAt({ ...ex, processStartMs: null }, 5)).toThrow(/processStartMs/)
  })
})
