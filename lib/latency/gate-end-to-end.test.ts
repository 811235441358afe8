/**
 * The regression gate end to end, as a shim's CI uses it (README "Latency regression gate"): a real run of the warm
 * latency test saved with `npm run baseline:save`, then compared by two more real runs. The same shim again must pass
 * the gate; the native shim slowed on purpose by 3 ms per invoke (fixtures/slowed/native) must fail it, by name.
 * It runs in the latency project, after every other suite, so the three runs do not share the cores with them.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { REPO_ROOT } from '../config.js'
import type { ResultsDocument } from '../results/model.js'
import { saveBaseline } from '../cli/baseline-save.js'

const WARM_TEST = 'suites/latency/warm-invocation-latency.test.ts'
const SLOWED_NATIVE = path.join(REPO_ROOT, 'lib/latency/fixtures/slowed/native')

interface NestedRun {
  exitCode: number
  doc: ResultsDocument
  output: string
}

async function nestedRun(outDir: string, env: Record<string, string>): Promise<NestedRun> {
  const child = spawn(path.join(REPO_ROOT, 'node_modules/.bin/vitest'), ['run', WARM_TEST], {
    cwd: REPO_ROOT,
    env: { ...withoutKitEnv(process.env), CONFORMANCE_OUTPUT_DIR: outDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (c: Buffer) => (output += c.toString()))
  child.stderr.on('data', (c: Buffer) => (output += c.toString()))
  const exitCode = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)))
  const file = path.join(outDir, 'results.json')
  if (!fs.existsSync(file)) throw new Error(`nested run wrote no results.json (exit ${exitCode}):\n${output}`)
  return { exitCode, doc: JSON.parse(fs.readFileSync(file, 'utf8')) as ResultsDocument, output }
}

function withoutKitEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('CONFORMANCE_') && !k.startsWith('VITEST')))
}

test('latency gate: a saved baseline passes a rerun of the same shim and fails the shim slowed by 3 ms', { timeout: 600_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glc-gate-'))
  try {
    const first = await nestedRun(path.join(dir, 'first'), { CONFORMANCE_SHIMS: 'native' })
    expect(first.exitCode, first.output).toBe(0)
    const baseline = path.join(dir, 'baseline.json')
    expect(saveBaseline(path.join(dir, 'first', 'results.json'), baseline).series).toBe(1)

    const same = await nestedRun(path.join(dir, 'same'), { CONFORMANCE_SHIMS: 'native', CONFORMANCE_BASELINE: baseline })
    const sameVerdict = same.doc.latency?.series[0]?.gate
    expect(sameVerdict?.key).toBe('warm/native')
    expect(['no-change', 'within-noise', 'improved'], sameVerdict?.explanation).toContain(sameVerdict?.verdict)
    expect(same.exitCode, same.output).toBe(0)

    const slowed = await nestedRun(path.join(dir, 'slowed'), { CONFORMANCE_SHIMS: SLOWED_NATIVE, CONFORMANCE_BASELINE: baseline })
    const slowedVerdict = slowed.doc.latency?.series[0]?.gate
    expect(slowedVerdict?.verdict, slowedVerdict?.explanation).toBe('regressed')
    // The shift the gate found is the delay that was added, within its interval's reach.
    expect(slowedVerdict?.shiftMs ?? 0).toBeGreaterThan(2)
    expect(slowed.exitCode).not.toBe(0)
    const failed = slowed.doc.tests.find((t) => t.behaviour === 'LAT-WARM-001')
    expect(failed?.status).toBe('fail')
    expect(failed?.message).toMatch(/latency regression against CONFORMANCE_BASELINE: warm\/native/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
