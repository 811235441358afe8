/**
 * The regression gate end to end, as a shim's CI uses it (README "Latency regression gate"): a real run of the warm
 * latency test saved with `npm run baseline:save`, then compared by two more real runs. The same shim again must pass
 * the gate, even when the machine's load changed between the runs (that is what failed CI before the gate compared at
 * equal machine speed too); the native shim slowed on purpose by 3 ms per invoke (fixtures/slowed/native) must fail
 * it, by name.
 * It runs in the latency project, after every other suite, so the three runs do not share the cores with them.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { REPO_ROOT } from '../config.js'
import type { ResultsDocument } from '../results/model.js'
import { machineChangedTooMuch } from './gate.js'
import type { GateVerdict } from './model.js'
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

/** Attempts of the whole protocol, each with a fresh baseline, while the machine's speed swings beyond the limit. */
const ATTEMPTS = 3

test('latency gate: a saved baseline passes a rerun of the same shim and fails the shim slowed by 3 ms', { timeout: 900_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glc-gate-'))
  try {
    for (let attempt = 1; ; attempt++) {
      const at = path.join(dir, `attempt-${attempt}`)
      const retry = (v: GateVerdict | undefined, what: string): boolean => {
        if (!machineChangedTooMuch(v) || attempt >= ATTEMPTS) return false
        console.log(`[gate] attempt ${attempt}: ${what}: ${v?.explanation}; again with a fresh baseline`)
        return true
      }
      const first = await nestedRun(path.join(at, 'first'), { CONFORMANCE_SHIMS: 'native' })
      expect(first.exitCode, first.output).toBe(0)
      const baseline = path.join(at, 'baseline.json')
      expect(saveBaseline(path.join(at, 'first', 'results.json'), baseline).series).toBe(1)

      const same = await nestedRun(path.join(at, 'same'), { CONFORMANCE_SHIMS: 'native', CONFORMANCE_BASELINE: baseline })
      const sameVerdict = same.doc.latency?.series[0]?.gate
      if (retry(sameVerdict, 'same shim')) continue
      expect(sameVerdict?.key).toBe('warm/native')
      // Both runs carry the DryRun speed reference, so the comparison is made at equal machine speed too.
      expect(sameVerdict?.speedFactor, sameVerdict?.explanation).toBeGreaterThan(0)
      console.log(`[gate] same shim: ${sameVerdict?.explanation}`)
      expect(['no-change', 'within-noise', 'improved'], sameVerdict?.explanation).toContain(sameVerdict?.verdict)
      expect(same.exitCode, same.output).toBe(0)

      const slowed = await nestedRun(path.join(at, 'slowed'), { CONFORMANCE_SHIMS: SLOWED_NATIVE, CONFORMANCE_BASELINE: baseline })
      const slowedVerdict = slowed.doc.latency?.series[0]?.gate
      if (retry(slowedVerdict, 'slowed by 3 ms')) continue
      console.log(`[gate] slowed by 3 ms: ${slowedVerdict?.explanation}`)
      expect(slowedVerdict?.verdict, slowedVerdict?.explanation).toBe('regressed')
      // Both comparisons see the added delay: 3 ms came out as +1.9 to +2.9 ms at equal speed and +3.6 to +4.7 ms as
      // measured on a loaded 2-core machine (the correction understates it; see gate.ts `combine`).
      expect(slowedVerdict?.equalSpeed?.verdict, slowedVerdict?.explanation).toBe('regressed')
      expect(slowedVerdict?.equalSpeed?.shiftMs ?? 0).toBeGreaterThan(1)
      expect(slowedVerdict?.shiftMs ?? 0).toBeGreaterThan(1)
      expect(slowed.exitCode).not.toBe(0)
      const failed = slowed.doc.tests.find((t) => t.behaviour === 'LAT-WARM-001')
      expect(failed?.status).toBe('fail')
      expect(failed?.message).toMatch(/latency regression against CONFORMANCE_BASELINE: warm\/native/)
      break
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
