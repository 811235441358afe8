/**
 * One behaviour per test file (test262's rule): `defineBehaviour` states what must hold, with its level and the
 * source of the expected value; `conformance` registers one vitest test per shim and records expected and
 * observed values, known departures (expectations files) and unsupported capabilities for the reporters.
 */
import { inject, test, type TestContext } from 'vitest'
import type { Config } from '../config.js'
import { deploy, type DeployedFunction, type DeployOptions, KitError } from '../deploy.js'
import type { ConformanceMeta, Level } from '../results/model.js'
import { CAPABILITIES, type Capability } from '../shims/capabilities.js'
import type { ShimInfo, TargetInfo } from '../targets/target.js'

export interface Behaviour {
  /** Stable catalogue id, e.g. ROBUST-TIMEOUT-001. */
  id: string
  title: string
  level: Level
  /** Suite (folder under suites/). */
  suite: string
  /** Where the expected value comes from (reference section, AWS doc, recording). */
  source: string
  /** Capabilities a shim must declare for this behaviour to apply. */
  requires?: Capability[]
  /** Per-test timeout in ms (default: the vitest config's). */
  timeoutMs?: number
  /** Needs the AWS services besides Lambda (SQS, SNS, DynamoDB, Kinesis, Logs): skipped, with the reason, without. */
  needsServices?: boolean
}

const ID = /^[A-Z]+(-[A-Z0-9]+)+-\d{3}$/

export function defineBehaviour(b: Behaviour): Behaviour {
  if (!ID.test(b.id)) throw new Error(`behaviour id "${b.id}" must look like AREA-NAME-001`)
  for (const c of b.requires ?? []) if (!(c in CAPABILITIES)) throw new Error(`behaviour ${b.id} requires unknown capability "${c}"`)
  return b
}

export interface ConformanceContext {
  shim: ShimInfo
  target: TargetInfo
  /** Deploys a probe function through this shim; it is deleted when the test ends. */
  deploy(o: DeployOptions): Promise<DeployedFunction>
  /** Records the expected value shown in the report (call before asserting). */
  expect(value: unknown): void
  /** Records the observed value shown in the report (call before asserting). */
  observe(value: unknown): void
  /** Records which documented variant was seen, where AWS documents more than one. */
  variant(name: string): void
  task: TestContext['task']
}

declare module 'vitest' {
  export interface ProvidedContext {
    target: TargetInfo
    shims: ShimInfo[]
    config: Config
  }
}

/** Registers the behaviour's test for every shim under test. */
export function conformance(b: Behaviour, body: (ctx: ConformanceContext) => Promise<void>): void {
  const shims = inject('shims')
  const target = inject('target')
  const strict = inject('config').strict
  for (const shim of shims) {
    const base: ConformanceMeta = { behaviour: b.id, title: b.title, level: b.level, suite: b.suite, source: b.source, shim: shim.name, target: target.name }
    // Static meta reaches the reporters even when the test is skipped before its body runs.
    test(`${shim.name} › ${b.id} ${b.title}`, { timeout: b.timeoutMs, meta: { conformance: base } }, async (t) => {
      const meta: ConformanceMeta = { ...base }
      t.task.meta.conformance = meta
      if (target.unavailable) {
        meta.status = 'skip'
        meta.reason = target.unavailable
        t.skip(meta.reason)
        return
      }
      if (b.needsServices && !target.services) {
        meta.status = 'skip'
        meta.reason = target.servicesUnavailable ?? `target ${target.name} has no AWS services besides Lambda`
        t.skip(meta.reason)
        return
      }
      const missing = (b.requires ?? []).filter((c) => !shim.capabilities.includes(c))
      if (missing.length > 0) {
        meta.status = 'unsupported'
        meta.reason = `shim ${shim.name} does not declare ${missing.join(', ')}`
        t.skip(`unsupported: ${meta.reason}`)
        return
      }
      const deployed: DeployedFunction[] = []
      t.onTestFinished(async () => {
        await Promise.all(deployed.map((d) => d.delete()))
      })
      const ctx: ConformanceContext = {
        shim,
        target,
        task: t.task,
        deploy: async (o) => {
          const d = await deploy(target, shim, { ...o, label: o.label ?? `${b.id.split('-')[1]?.toLowerCase()}` })
          deployed.push(d)
          return d
        },
        expect: (v) => (meta.expected = jsonSafe(v)),
        observe: (v) => (meta.observed = jsonSafe(v)),
        variant: (v) => (meta.variant = v),
      }
      const known = shim.expectations[target.name]?.[b.id]
      try {
        await body(ctx)
      } catch (e) {
        if (e instanceof KitError) {
          meta.status = 'error'
          meta.reason = e.message
          throw e
        }
        if (known) {
          meta.status = 'expected-fail'
          meta.reason = known.reason
          return
        }
        throw e
      }
      if (known?.expected === 'fail') {
        meta.status = 'unexpected-pass'
        meta.reason = `listed as a known failure (${known.reason}) but passed; remove it from ${shim.folder}/expectations.yaml`
        if (strict) throw new Error(meta.reason)
      }
    })
  }
}

/** Report-safe copy: Buffers become text, long strings are shortened so reports stay readable. */
function jsonSafe(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x: unknown) => {
      if (x && typeof x === 'object' && (x as { type?: string }).type === 'Buffer') return Buffer.from((x as { data: number[] }).data).toString('utf8')
      if (typeof x === 'string' && x.length > 2000) return `${x.slice(0, 1000)}… (${x.length} chars) …${x.slice(-200)}`
      return x
    }) ?? 'null',
  )
}
