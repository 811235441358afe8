/**
 * The kit tested end to end against a deliberately broken shim (kit-patterns.md §2.10): a real nested
 * `vitest run` must fail the behaviour, exit non-zero and write a results.json that validates; a listed known
 * departure turns the failure into `expected-fail`; an undeclared capability gives `unsupported`.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { REPO_ROOT } from '../config.js'
import type { ResultsDocument } from '../results/model.js'
import { validateResults } from '../../reports/validate-results.js'

const FIXTURE = path.join(REPO_ROOT, 'lib/conformance/fixtures/shims/stderr-dropped')
const LOGS_TEST = 'suites/robustness/stdout-and-stderr-reach-log-in-order.test.ts'

interface NestedRun {
  exitCode: number
  doc: ResultsDocument
  output: string
}

/** Runs `vitest run <file>` in a child process with its own output directory. */
async function nestedRun(shimDir: string, env: Record<string, string> = {}): Promise<NestedRun> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'glc-nested-'))
  const child = spawn(path.join(REPO_ROOT, 'node_modules/.bin/vitest'), ['run', LOGS_TEST], {
    cwd: REPO_ROOT,
    env: { ...withoutConformanceEnv(process.env), CONFORMANCE_SHIMS: shimDir, CONFORMANCE_OUTPUT_DIR: out, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (c: Buffer) => (output += c.toString()))
  child.stderr.on('data', (c: Buffer) => (output += c.toString()))
  const exitCode = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)))
  const file = path.join(out, 'results.json')
  if (!fs.existsSync(file)) throw new Error(`nested run wrote no results.json (exit ${exitCode}):\n${output}`)
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as ResultsDocument
  fs.rmSync(out, { recursive: true, force: true })
  return { exitCode, doc, output }
}

function withoutConformanceEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('CONFORMANCE_') && !k.startsWith('VITEST')))
}

/** A copy of the broken fixture, changed by `edit`, in a temporary folder. */
function fixtureCopy(edit: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glc-shim-'))
  fs.cpSync(FIXTURE, dir, { recursive: true })
  edit(dir)
  return dir
}

describe('status model, end to end with a shim that drops stderr', () => {
  test.concurrent('a failing behaviour fails the run (non-zero exit) and results.json validates', { timeout: 180_000 }, async () => {
    // A copy outside the repository, added through CONFORMANCE_SHIMS as a shim author's would be.
    const dir = fixtureCopy(() => {})
    const run = await nestedRun(dir)
    fs.rmSync(dir, { recursive: true, force: true })
    const logs = run.doc.tests.find((t) => t.behaviour === 'ROBUST-LOGS-001')
    expect(validateResults(run.doc)).toEqual({ valid: true, errors: [] })
    expect(logs?.status, run.output).toBe('fail')
    expect(logs?.shim).toBe('stderr-dropped')
    expect(run.exitCode).not.toBe(0)
    expect(run.output).toMatch(/^0 passed, 1 failed, 0 skipped$/m)
    // The failing test's name says which behaviour broke.
    expect(run.output).toMatch(/FAIL .*stderr-dropped › ROBUST-LOGS-001 stdout and stderr lines reach/)
  })

  test.concurrent('a departure listed in expectations.yaml is reported expected-fail and the run passes', { timeout: 180_000 }, async () => {
    const dir = fixtureCopy((d) =>
      fs.writeFileSync(path.join(d, 'expectations.yaml'), 'embedded:\n  ROBUST-LOGS-001:\n    expected: fail\n    reason: the launcher sends stderr to /dev/null\n'),
    )
    const run = await nestedRun(dir)
    fs.rmSync(dir, { recursive: true, force: true })
    const logs = run.doc.tests.find((t) => t.behaviour === 'ROBUST-LOGS-001')
    expect(validateResults(run.doc).valid).toBe(true)
    expect(logs?.status, run.output).toBe('expected-fail')
    expect(logs?.reason).toBe('the launcher sends stderr to /dev/null')
    expect(run.exitCode).toBe(0)
  })

  test.concurrent('a behaviour needing a capability the shim does not declare is unsupported, not failed', { timeout: 180_000 }, async () => {
    const dir = fixtureCopy((d) => {
      const file = path.join(d, 'shim.yaml')
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(' log-capture,', ''))
    })
    const run = await nestedRun(dir)
    fs.rmSync(dir, { recursive: true, force: true })
    const logs = run.doc.tests.find((t) => t.behaviour === 'ROBUST-LOGS-001')
    expect(validateResults(run.doc).valid).toBe(true)
    expect(logs?.status, run.output).toBe('unsupported')
    expect(logs?.reason).toMatch(/does not declare log-capture/)
    expect(run.exitCode).toBe(0)
  })
})
