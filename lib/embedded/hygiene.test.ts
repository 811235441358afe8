/**
 * Isolation and hygiene of the embedded target (issue #6 item 5), read from /proc rather than taken on trust:
 * every listener of the kit (the target's API, each sandbox's Runtime API, moto) is bound to 127.0.0.1; a sandbox's
 * environment holds Lambda's documented variables and the function's own and nothing of the host's (fake host
 * credentials and a secret are set before the target starts); each sandbox has its own /tmp; after 10,000 invokes
 * and a set of faults nothing is left behind (processes, file descriptors, directories); and a new target removes
 * what a hard-killed earlier run left in /var/tmp, never a live run's.
 *
 * lifecycle.test.ts checks the environment as an `sh` bootstrap prints it; here it is each sandbox process's
 * initial environment (/proc/<pid>/environ) and what the Go `context` probe sees, with the host's credentials set.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs'
import { DeleteFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { loadConfig, resolveFromRoot } from '../config.js'
import { apiErrors, LATEST } from '../lambda/protocol.js'
import { type MotoServer, startServices } from '../services/moto.js'
import { EMBEDDED_ACCOUNT_ID, type EmbeddedTarget, reapStaleWorkDirs, startEmbeddedTarget } from './index.js'
import { descendantsOf, isSameProcessAlive, type ProcessInfo, processesUsing, processInfo, signalGroup } from './process-tree.js'
import {
  deploy,
  deployPackage,
  ECHO_RUNTIME,
  environOf,
  isLoopback,
  lambdaClient,
  logsClient,
  nativeProbePackage,
  openFds,
  parseHttpResponse,
  RawInvoker,
  runBounded,
  sandboxProcesses,
  shRuntime,
  sleep,
  tcpListenersOf,
  uniqueName,
  varTmpDir,
  waitUntil,
} from './test-support.js'

const FULL = inject('config').profile === 'full'
const INVOCATIONS = FULL ? 50_000 : 10_000

let moto: MotoServer | undefined
let motoUnavailable = ''
let probeZip: Buffer

beforeAll(async () => {
  probeZip = await nativeProbePackage()
  try {
    moto = await startServices(resolveFromRoot(loadConfig().cacheDir))
  } catch (e) {
    motoUnavailable = `the local AWS services (moto) could not start: ${(e as Error).message}`
  }
}, 120_000)

afterAll(async () => {
  await moto?.stop()
})

const dispatch = (probe: string, args: unknown = {}): string => JSON.stringify({ probe, args })

describe('isolation', () => {
  let target: EmbeddedTarget
  let lambda: LambdaClient
  let raw: RawInvoker
  const saved: Record<string, string | undefined> = {}
  // Fake host credentials and a secret, in the target's own process environment before it starts.
  const host = {
    AWS_ACCESS_KEY_ID: `AKIAHOST${crypto.randomBytes(6).toString('hex').toUpperCase()}`,
    AWS_SECRET_ACCESS_KEY: `host-secret-${crypto.randomBytes(12).toString('hex')}`,
    AWS_SESSION_TOKEN: `host-token-${crypto.randomBytes(24).toString('hex')}`,
    HOST_ONLY_SECRET: `host-only-${crypto.randomUUID()}`,
  }
  let fnName: string

  beforeAll(async () => {
    for (const [k, v] of Object.entries(host)) {
      saved[k] = process.env[k]
      process.env[k] = v
    }
    target = await startEmbeddedTarget({ pendingMs: 0, servicesEndpoint: moto?.endpoint })
    lambda = lambdaClient(target.endpoint, { freshConnections: true })
    raw = new RawInvoker(target.endpoint, 8)
    fnName = uniqueName('hy-iso')
    await deployPackage(lambda, fnName, probeZip, { timeout: 10, env: { PROBE: 'dispatch', MY_FUNCTION_VAR: 'mine' } })
    // Three environments at once, so there are several sandboxes (and Runtime API listeners) to look at.
    const outs = await Promise.all([0, 1, 2].map(() => raw.invoke(fnName, dispatch('sleep', { ms: 400 }))))
    expect(outs.map((o) => o.functionError)).toEqual([undefined, undefined, undefined])
  }, 60_000)

  afterAll(async () => {
    raw?.close()
    lambda?.destroy()
    await target?.close()
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })

  it('every listener of the kit (target API, each sandbox\'s Runtime API, moto) is bound to 127.0.0.1, none to 0.0.0.0 or ::', ({ task }) => {
    const sandboxes = sandboxProcesses(target)
    expect(sandboxes.length).toBeGreaterThanOrEqual(3)
    const motoPids = moto ? [moto.pid, ...descendantsOf(moto.pid).map((p) => p.pid)] : []
    const inProcess = tcpListenersOf([process.pid])
    const ofSandboxes = tcpListenersOf(sandboxes.map((p) => p.pid))
    const ofMoto = tcpListenersOf(motoPids)
    const all = [...inProcess, ...ofSandboxes, ...ofMoto]
    task.meta.figures = {
      'listeners checked': all.length,
      'in the target process (API + one Runtime API per sandbox)': inProcess.length,
      'in sandbox processes': ofSandboxes.length,
      'in moto': ofMoto.length,
      'not on loopback': all.filter((l) => !isLoopback(l.address)).length,
      ...(motoUnavailable ? { moto: motoUnavailable } : {}),
    }
    expect(all.filter((l) => !isLoopback(l.address))).toEqual([])
    // The API itself, one Runtime API per sandbox, and moto were all found (so the check looked at something).
    expect(inProcess.map((l) => l.port)).toContain(Number(new URL(target.endpoint).port))
    expect(inProcess.length).toBeGreaterThanOrEqual(1 + sandboxes.length)
    if (moto) expect(ofMoto.map((l) => l.port)).toContain(moto.port)
  })

  it('a sandbox\'s environment is Lambda\'s documented variables and the function\'s own: no host credentials, no host secret', async ({ task }) => {
    const out = await raw.invoke(fnName, dispatch('context'))
    expect(out.functionError).toBeUndefined()
    const seenByProbe = (JSON.parse(out.body.toString()) as { env: Record<string, string> }).env
    const environs = sandboxProcesses(target, fnName).map((p) => environOf(p.pid))
    expect(environs.length).toBeGreaterThanOrEqual(3)
    // LB §1.1 "Environment seen by a provided.al2023 bootstrap", plus what a process needs to run (PATH,
    // LD_LIBRARY_PATH), the sandbox's own fake session credentials, TMPDIR where /tmp cannot be private, what
    // sh adds on the way to exec (PWD, SHLVL, _), and the function's own variables.
    const documented = ['AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_LAMBDA_RUNTIME_API', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'TZ', 'LANG', '_HANDLER']
    const allowed = new Set([...documented, '_X_AMZN_TRACE_ID', 'PATH', 'LD_LIBRARY_PATH', 'TMPDIR', 'PWD', 'SHLVL', '_', 'PROBE', 'MY_FUNCTION_VAR'])
    const hostValues = Object.values(host)
    const problems: string[] = []
    for (const [where, env] of [['context probe', seenByProbe], ...environs.map((e, i) => [`/proc/<sandbox ${i}>/environ`, e] as const)] as const) {
      for (const k of documented) if (env[k] === undefined) problems.push(`${where}: ${k} missing`)
      for (const k of Object.keys(env)) if (!allowed.has(k)) problems.push(`${where}: unexpected ${k}`)
      for (const [k, v] of Object.entries(env)) if (hostValues.some((h) => v.includes(h))) problems.push(`${where}: ${k} carries a host value`)
      if (env.HOST_ONLY_SECRET !== undefined) problems.push(`${where}: HOST_ONLY_SECRET present`)
      if (env.MY_FUNCTION_VAR !== 'mine' || env.AWS_LAMBDA_FUNCTION_NAME !== fnName) problems.push(`${where}: function variables wrong`)
    }
    // Each environment has session credentials of its own.
    expect(new Set(environs.map((e) => e.AWS_ACCESS_KEY_ID)).size).toBe(environs.length)
    task.meta.figures = { 'environments read (/proc environ + context probe)': environs.length + 1, 'host values found': problems.filter((p) => p.includes('host')).length, 'unexpected variables': problems.filter((p) => p.includes('unexpected')).length }
    expect(problems).toEqual([])
  })

  it('each sandbox has its own /tmp (a private mount, or its own TMPDIR where that is not possible)', ({ task }) => {
    const sandboxes = sandboxProcesses(target, fnName)
    expect(sandboxes.length).toBeGreaterThanOrEqual(3)
    const isolated = String(target.details.tmpIsolation).startsWith('private')
    const hostTmp = fs.statSync('/tmp')
    const tmps = sandboxes.map((p) => {
      const env = environOf(p.pid)
      const own = path.join(path.dirname(env.LAMBDA_TASK_ROOT!), 'tmp')
      // /proc/<pid>/root resolves paths in the process's own mount namespace.
      const seen = isolated ? fs.statSync(`/proc/${p.pid}/root/tmp`) : fs.statSync(env.TMPDIR!)
      const expected = fs.statSync(own)
      return { key: `${seen.dev}:${seen.ino}`, matchesOwn: seen.dev === expected.dev && seen.ino === expected.ino, isHost: seen.dev === hostTmp.dev && seen.ino === hostTmp.ino }
    })
    task.meta.figures = { sandboxes: tmps.length, 'distinct /tmp': new Set(tmps.map((t) => t.key)).size, 'sharing the host /tmp': tmps.filter((t) => t.isHost).length, isolation: isolated ? 'mount namespace' : 'TMPDIR' }
    expect(new Set(tmps.map((t) => t.key)).size).toBe(tmps.length)
    expect(tmps.every((t) => t.matchesOwn && !t.isHost)).toBe(true)
  })
})

describe('hygiene: nothing left behind', () => {
  it(`after ${INVOCATIONS.toLocaleString('en-US')} invokes and faults (kill mid-invoke, timeout, OOM, init failure, deletion mid-invoke, an escaped daemon, shutdown mid-invoke): no process, fd or directory left`, async ({ task }) => {
    const started = performance.now()
    // Baseline: this worker's fds and descendant processes (moto's among them) before the target starts.
    const fdsBefore = openFds()
    const childrenBefore = new Set(descendantsOf(process.pid).map((p) => `${p.pid}:${p.startTime}`))
    const target = await startEmbeddedTarget({ pendingMs: 0, servicesEndpoint: moto?.endpoint, maxSandboxes: 8 })
    const workDir = String(target.details.workDir)
    const lambda = lambdaClient(target.endpoint, { freshConnections: true })
    const raw = new RawInvoker(target.endpoint, 16)
    const figures: Record<string, number | string> = {}
    try {
      const echo = [uniqueName('hy-echo'), uniqueName('hy-echo')]
      const slow = uniqueName('hy-slow')
      const spin = uniqueName('hy-spin')
      const oom = uniqueName('hy-oom')
      const badInit = uniqueName('hy-init')
      const doomed = uniqueName('hy-doomed')
      const daemon = uniqueName('hy-daemon')
      await Promise.all([
        ...echo.map((n) => deployPackage(lambda, n, probeZip, { env: { PROBE: 'echo' } })),
        deployPackage(lambda, slow, probeZip, { timeout: 10, env: { PROBE: 'sleep' } }),
        deployPackage(lambda, spin, probeZip, { timeout: 1, env: { PROBE: 'spin' } }),
        deployPackage(lambda, oom, probeZip, { memorySize: 128, env: { PROBE: 'alloc' } }),
        deployPackage(lambda, badInit, probeZip, { env: { PROBE: 'echo', PROBE_INIT: 'exit:3' } }),
        deployPackage(lambda, doomed, probeZip, { timeout: 10, env: { PROBE: 'sleep' } }),
        // A function that leaves a process in a session of its own, outside its sandbox's process group.
        deploy(lambda, daemon, shRuntime('  echo \'"ok"\' > "$R"', 'setsid sleep 300 </dev/null >/dev/null 2>&1 &')),
      ])

      const errorTypeOf = (body: Buffer): string => (JSON.parse(body.toString()) as { errorType?: string }).errorType ?? '?'
      let bad = 0
      const bulk = runBounded(INVOCATIONS, 8, async (i) => {
        const payload = `{"n":${i}}`
        const r = await raw.invoke(echo[i % 2]!, payload)
        if (r.status !== 200 || r.functionError || r.body.toString() !== payload) bad++
      })
      const faults = (async () => {
        // Killed mid-invoke: SIGKILL to the group of the sandbox while its sleep runs.
        const killed = raw.invoke(slow, JSON.stringify({ ms: 2000 }))
        const victim = await waitUntil(() => sandboxProcesses(target, slow).find((p) => p.state !== 'T'), { what: 'the slow sandbox' })
        await sleep(200)
        signalGroup(victim.pgrp, 'SIGKILL')
        const k = await killed
        figures['kill mid-invoke →'] = errorTypeOf(k.body)
        expect(k.functionError).toBe('Unhandled')
        const t = await raw.invoke(spin, '{}')
        figures['timeout →'] = errorTypeOf(t.body)
        expect(errorTypeOf(t.body)).toBe('Sandbox.Timedout')
        const o = await raw.invoke(oom, JSON.stringify({ stepMb: 16 }))
        figures['OOM →'] = errorTypeOf(o.body)
        expect(errorTypeOf(o.body)).toBe('Runtime.OutOfMemory')
        const b = await raw.invoke(badInit, '{}')
        figures['init failure →'] = errorTypeOf(b.body)
        expect(errorTypeOf(b.body)).toBe('Runtime.ExitError')
        const d = await raw.invoke(daemon, '{}')
        expect(d.functionError).toBeUndefined()
        // Deleted mid-invoke: the invoke finishes (as on AWS), then its environment goes.
        const pending = raw.invoke(doomed, JSON.stringify({ ms: 3000 })).then(
          (r) => `HTTP ${r.status} ${r.functionError ? errorTypeOf(r.body) : 'ok'}`,
          (e: Error) => `connection error: ${e.message}`,
        )
        await waitUntil(() => sandboxProcesses(target, doomed).length > 0, { what: 'the doomed sandbox' })
        await sleep(200)
        await lambda.send(new DeleteFunctionCommand({ FunctionName: doomed }))
        figures['deleted mid-invoke →'] = await Promise.race([pending, sleep(8000).then(() => 'no answer within 8 s')])
        expect(figures['deleted mid-invoke →']).toBe('HTTP 200 ok')
        await waitUntil(() => sandboxProcesses(target, doomed).length === 0, { what: 'the deleted function\'s environment to go', timeoutMs: 5000 }).catch(() => false)
        figures['processes of the deleted function left'] = sandboxProcesses(target, doomed).length
        expect(figures['processes of the deleted function left']).toBe(0)
      })()
      await Promise.all([bulk, faults])
      figures['invocations'] = INVOCATIONS
      figures['invocation errors'] = bad
      expect(bad).toBe(0)

      // Quiet now: the only sandbox processes are those of live environments, plus the escaped daemon.
      await sleep(300)
      const live = target.registry.list().reduce((n, f) => n + f.pool.sandboxCount, 0)
      const procs = processesUsing(path.join(workDir, 'sandboxes'))
      const dirs = fs.readdirSync(path.join(workDir, 'sandboxes'))
      figures['environments alive before shutdown'] = live
      figures['sandbox processes before shutdown'] = procs.length
      figures['sandbox dirs before shutdown'] = dirs.length
      expect(dirs.length).toBe(live)
      const zombies = descendantsOf(process.pid).filter((p) => p.state === 'Z')
      figures['zombie children before shutdown'] = zombies.length

      // Shut down with invokes in flight: three slow ones and queued events.
      const inFlight = [0, 1, 2].map(() => raw.invoke(slow, JSON.stringify({ ms: 5000 })).catch(() => undefined))
      for (let i = 0; i < 20; i++) await raw.invoke(slow, JSON.stringify({ ms: 1000 }), 'Event')
      await waitUntil(() => sandboxProcesses(target, slow).filter((p) => p.state !== 'T').length >= 3, { what: 'three slow invokes running' })
    } finally {
      raw.close()
      lambda.destroy()
      const closing = performance.now()
      await target.close()
      figures['close ms'] = Math.round(performance.now() - closing)
    }

    // After close: no sandbox process, no new child, no new fd, no directory.
    const leftProcs = processesUsing(workDir)
    await waitUntil(() => descendantsOf(process.pid).filter((p) => !childrenBefore.has(`${p.pid}:${p.startTime}`)).length === 0, { timeoutMs: 5000 }).catch(() => false)
    const newChildren = descendantsOf(process.pid).filter((p) => !childrenBefore.has(`${p.pid}:${p.startTime}`))
    const fdKey = (m: Map<number, string>): Set<string> => new Set([...m].map(([fd, t]) => `${fd} ${t}`))
    // Sockets close a moment after their last use; give them that.
    const before = fdKey(fdsBefore)
    await waitUntil(() => [...fdKey(openFds())].filter((k) => !before.has(k)).length === 0, { timeoutMs: 5000 }).catch(() => false)
    const newFds = [...fdKey(openFds())].filter((k) => !before.has(k))
    Object.assign(figures, {
      'sandbox processes left': leftProcs.length,
      'child processes left': newChildren.length,
      'fds left': newFds.length,
      'fds before / after': `${fdsBefore.size} / ${openFds().size}`,
      'work dir left': fs.existsSync(workDir) ? 1 : 0,
      'total ms': Math.round(performance.now() - started),
    })
    task.meta.figures = figures
    expect(leftProcs.map((p) => `${p.pid} ${p.state}`)).toEqual([])
    expect(newChildren.map((p) => `${p.pid} ${p.state}`)).toEqual([])
    expect(newFds).toEqual([])
    expect(fs.existsSync(workDir)).toBe(false)
  }, FULL ? 900_000 : 240_000)
})

describe('deletion mid-invoke', () => {
  const notFound = (name: string): Record<string, unknown> => apiErrors.functionNotFound(`arn:aws:lambda:us-east-1:${EMBEDDED_ACCOUNT_ID}:function:${name}:${LATEST}`).body

  it('a running invoke finishes with its own answer, DeleteFunction does not wait for it, and its environment goes afterwards', async ({ task }) => {
    const target = await startEmbeddedTarget({ pendingMs: 0 })
    const lambda = lambdaClient(target.endpoint, { freshConnections: true })
    const raw = new RawInvoker(target.endpoint, 2)
    try {
      const name = uniqueName('hy-delete')
      await deployPackage(lambda, name, probeZip, { timeout: 10, env: { PROBE: 'sleep' } })
      const pool = target.registry.get(name).pool
      let answeredAt = 0
      const pending = raw.invoke(name, JSON.stringify({ ms: 1500 })).then(
        (r) => {
          answeredAt = performance.now()
          return `HTTP ${r.status}${r.functionError ? ` ${r.functionError}` : ''} ${r.body.toString()}`
        },
        (e: Error) => `connection error: ${e.message}`,
      )
      await waitUntil(() => sandboxProcesses(target, name).some((p) => p.state !== 'T'), { what: 'the invoke to run' })
      await lambda.send(new DeleteFunctionCommand({ FunctionName: name }))
      const deletedAt = performance.now()
      // The sleep alone ends 1.5 s after it began. Before, the environment was killed and the caller never answered.
      const answer = await Promise.race([pending, sleep(8000).then(() => 'no answer within 8 s')])
      await waitUntil(() => sandboxProcesses(target, name).length === 0 && pool.sandboxCount === 0, { what: 'the deleted function\'s environment to go', timeoutMs: 5000 })
      const after = await raw.invoke(name, '{}')
      task.meta.figures = { 'caller saw': answer, 'answered after DeleteFunction returned (ms)': Math.round(answeredAt - deletedAt), 'invoke after deletion': after.status }
      expect(answer).toBe('HTTP 200 {"sleptMs":1500}')
      expect(answeredAt).toBeGreaterThan(deletedAt)
      expect(after.status).toBe(404)
      expect(JSON.parse(after.body.toString())).toEqual(notFound(name))
      // The log group outlives the function, as on AWS, and holds the drained invoke's REPORT line.
      const logs = logsClient(target.endpoint)
      const events = await logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${name}` }))
      logs.destroy()
      expect((events.events ?? []).filter((e) => e.message?.startsWith('REPORT RequestId: ')).length).toBe(1)
    } finally {
      raw.close()
      lambda.destroy()
      await target.close()
    }
  }, 30_000)

  it('an invoke waiting for an environment that is finishing gets ResourceNotFoundException, not a new environment', async ({ task }) => {
    const target = await startEmbeddedTarget({ pendingMs: 0 })
    const lambda = lambdaClient(target.endpoint, { freshConnections: true })
    const raw = new RawInvoker(target.endpoint, 2)
    try {
      const name = uniqueName('hy-linger')
      // Answers, then takes 3 s before it asks for the next event: the environment is finishing all that time.
      await deploy(lambda, name, shRuntime('  curl -sS -o /dev/null -X POST --data-binary @"$E" "$API/invocation/$ID/response"\n  sleep 3\n  continue'), { timeout: 10 })
      const first = await raw.invoke(name, '{"first":1}')
      expect(first.body.toString()).toBe('{"first":1}')
      // Waits for that environment (FunctionPool.waitForFinishing, up to 2 s) rather than starting a second one.
      const queued = raw.invoke(name, '{"second":2}')
      await sleep(500)
      await lambda.send(new DeleteFunctionCommand({ FunctionName: name }))
      const r = await Promise.race([queued, sleep(8000).then(() => undefined)])
      task.meta.figures = { 'queued invoke saw': r ? `HTTP ${r.status}` : 'no answer within 8 s' }
      expect(r?.status).toBe(404)
      expect(JSON.parse(r!.body.toString())).toEqual(notFound(name))
      await waitUntil(() => sandboxProcesses(target, name).length === 0, { what: 'the deleted function\'s environment to go', timeoutMs: 8000 })
    } finally {
      raw.close()
      lambda.destroy()
      await target.close()
    }
  }, 30_000)

  it.for(['RequestResponse', 'Event'] as const)('%s: an invoke whose body is still arriving when the function is deleted gets ResourceNotFoundException', { timeout: 30_000 }, async (type, { task }) => {
    const target = await startEmbeddedTarget({ pendingMs: 0 })
    const lambda = lambdaClient(target.endpoint, { freshConnections: true })
    try {
      const name = uniqueName('hy-body')
      await deploy(lambda, name, ECHO_RUNTIME)
      const pool = target.registry.get(name).pool
      const body = '{"late":"' + 'x'.repeat(1000) + '"}'
      const sock = net.connect(Number(new URL(target.endpoint).port), '127.0.0.1')
      await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject))
      let buf = Buffer.alloc(0)
      const answered = new Promise<ReturnType<typeof parseHttpResponse>>((resolve) => {
        sock.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d])
          const p = parseHttpResponse(buf)
          if (!('complete' in p) || p.complete) resolve(p)
        })
        sock.on('close', () => resolve(parseHttpResponse(buf, { eof: true })))
        sock.on('error', () => {})
      })
      sock.write(`POST /2015-03-31/functions/${name}/invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Amz-Invocation-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 100)}`)
      // The target has found the function and is reading the body.
      await sleep(300)
      await lambda.send(new DeleteFunctionCommand({ FunctionName: name }))
      sock.write(body.slice(100))
      const p = await Promise.race([answered, sleep(8000).then(() => undefined)])
      sock.destroy()
      const status = p && 'complete' in p && p.complete ? p.status : undefined
      task.meta.figures = { answer: status ?? 'none' }
      // Before: a sync invoke got 500 ServiceException ("function deleted"), an Event invoke 202 and was dropped silently.
      expect(status).toBe(404)
      const done = p as { headers: Record<string, string>; body: Buffer }
      expect(done.headers['x-amzn-errortype']).toBe('ResourceNotFoundException')
      expect(JSON.parse(done.body.toString())).toEqual(notFound(name))
      expect(pool.asyncStats).toMatchObject({ queued: 0, dropped: 0, succeeded: 0 })
    } finally {
      lambda.destroy()
      await target.close()
    }
  })

  it('queued asynchronous events are dropped with an on-failure record and a log line; the one already running finishes', async ({ task }) => {
    // One environment, so one event runs while the others wait in the queue.
    const target = await startEmbeddedTarget({ pendingMs: 0, maxSandboxes: 1 })
    const lambda = lambdaClient(target.endpoint, { freshConnections: true })
    const raw = new RawInvoker(target.endpoint, 2)
    const logged: string[] = []
    // Watched, and passed on: the lines still reach stderr.
    const print = console.error.bind(console)
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '))
      print(...args)
    })
    try {
      const name = uniqueName('hy-events')
      await deployPackage(lambda, name, probeZip, { timeout: 10, env: { PROBE: 'sleep' } })
      const pool = target.registry.get(name).pool
      for (let i = 0; i < 5; i++) expect((await raw.invoke(name, JSON.stringify({ ms: 800 }), 'Event')).status).toBe(202)
      await waitUntil(() => pool.asyncStats.running === 1 && sandboxProcesses(target, name).some((p) => p.state !== 'T'), { what: 'the first event to run' })
      await lambda.send(new DeleteFunctionCommand({ FunctionName: name }))
      await waitUntil(() => pool.asyncStats.queued === 0 && pool.sandboxCount === 0, { what: 'every event to be final and the environment gone', timeoutMs: 8000 })
      task.meta.figures = { 'events sent': 5, ...pool.asyncStats, 'log lines': logged.filter((l) => l.includes(name)).join(' | ') }
      expect(pool.asyncStats).toMatchObject({ queued: 0, running: 0, succeeded: 1, failed: 0, expired: 0, dropped: 4 })
      expect(pool.asyncFailures.map((r) => [r.requestContext.condition, r.requestContext.approximateInvokeCount, r.requestPayload])).toEqual(
        Array.from({ length: 4 }, () => ['FunctionDeleted', 0, { ms: 800 }]),
      )
      expect(logged.filter((l) => l.includes(name))).toEqual([
        `[embedded target] ${name}: 4 queued asynchronous event(s) dropped: the function was deleted (on-failure records kept, condition FunctionDeleted)`,
      ])
    } finally {
      spy.mockRestore()
      raw.close()
      lambda.destroy()
      await target.close()
    }
  }, 30_000)
})

describe('startup reaper: what hard-killed runs leave behind', () => {
  const started: ChildProcess[] = []
  afterAll(() => {
    for (const c of started) if (c.pid) signalGroup(c.pid, 'SIGKILL')
  })

  /**
   * A detached `sleep` in `cwd` with LAMBDA_TASK_ROOT=`taskRoot` (default `cwd`, as a sandbox's runtime has it; null:
   * none, like someone's shell in that directory), optionally SIGSTOPped like a frozen sandbox.
   */
  async function fakeSandbox(cwd: string, o: { stopped?: boolean; taskRoot?: string | null } = {}): Promise<ProcessInfo> {
    fs.mkdirSync(cwd, { recursive: true })
    const taskRoot = o.taskRoot === undefined ? cwd : o.taskRoot
    const c = spawn('sleep', ['300'], { cwd, detached: true, stdio: 'ignore', env: { PATH: process.env.PATH, ...(taskRoot !== null ? { LAMBDA_TASK_ROOT: taskRoot } : {}) } })
    started.push(c)
    c.unref()
    // Its own process group once setsid has run (before that a group signal would miss it).
    const info = await waitUntil(() => {
      const p = processInfo(c.pid!)
      return p?.pgrp === c.pid ? p : undefined
    })
    if (o.stopped) {
      signalGroup(c.pid!, 'SIGSTOP')
      await waitUntil(() => processInfo(c.pid!)?.state === 'T', { what: 'the fake sandbox to stop' })
    }
    return info
  }

  /** A PID that ran and is gone (its start time is kept, so a reused PID does not count as it). */
  async function deadOwner(): Promise<{ pid: number; startTime: string }> {
    const c = spawn('sleep', ['0.01'], { stdio: 'ignore' })
    const info = await waitUntil(() => processInfo(c.pid!))
    await new Promise((r) => c.once('exit', r))
    return { pid: info.pid, startTime: info.startTime }
  }

  function workDirWithOwner(parent: string, name: string, owner?: { pid: number; startTime: string }): string {
    const d = path.join(parent, name)
    fs.mkdirSync(path.join(d, 'sandboxes'), { recursive: true })
    if (owner) fs.writeFileSync(path.join(d, 'owner.json'), JSON.stringify(owner))
    return d
  }

  it('removes work dirs of dead owners with their frozen sandboxes (also one that left the dir), never a live or an unowned run\'s', async ({ task }) => {
    const parent = varTmpDir('glc-hygiene-reap')
    try {
      const dead = workDirWithOwner(parent, 'glc-embedded-dead', await deadOwner())
      const frozen = await fakeSandbox(path.join(dead, 'sandboxes', 'a', 'task'), { stopped: true })
      // A process that left the sandbox's directory but still carries its LAMBDA_TASK_ROOT.
      const wandered = await fakeSandbox(parent, { taskRoot: path.join(dead, 'sandboxes', 'b', 'task') })
      // Someone's shell looking at the leftovers: in the directory, but no sandbox's.
      const bystander = await fakeSandbox(path.join(dead, 'sandboxes'), { taskRoot: null })
      const self = processInfo(process.pid)!
      const live = workDirWithOwner(parent, 'glc-embedded-live', { pid: self.pid, startTime: self.startTime })
      const liveSandbox = await fakeSandbox(path.join(live, 'sandboxes', 'a', 'task'), { stopped: true })
      const unowned = workDirWithOwner(parent, 'glc-embedded-unowned')
      const unownedSandbox = await fakeSandbox(path.join(unowned, 'sandboxes', 'a', 'task'))
      const notOurs = workDirWithOwner(parent, 'something-else', await deadOwner())

      const removed = await reapStaleWorkDirs(parent)
      task.meta.figures = {
        'dirs removed': removed.length,
        'dead-owner processes left': [frozen, wandered].filter(isSameProcessAlive).length,
        'live and unowned runs touched': [live, unowned].filter((d) => !fs.existsSync(d)).length + [liveSandbox, unownedSandbox].filter((p) => !isSameProcessAlive(p)).length,
        'bystander processes killed': isSameProcessAlive(bystander) ? 0 : 1,
      }
      expect(removed).toEqual([dead])
      expect(fs.existsSync(dead)).toBe(false)
      expect(isSameProcessAlive(frozen)).toBe(false)
      expect(isSameProcessAlive(wandered)).toBe(false)
      expect(isSameProcessAlive(bystander)).toBe(true)
      expect([live, unowned, notOurs].every((d) => fs.existsSync(d))).toBe(true)
      expect(isSameProcessAlive(liveSandbox)).toBe(true)
      expect(isSameProcessAlive(unownedSandbox)).toBe(true)
    } finally {
      for (const c of started.splice(0)) if (c.pid) signalGroup(c.pid, 'SIGKILL')
      fs.rmSync(parent, { recursive: true, force: true })
    }
  })

  it('a starting target reaps a dead run\'s dir in /var/tmp and names itself the owner of its own', async ({ task }) => {
    const stale = workDirWithOwner('/var/tmp', `glc-embedded-${crypto.randomBytes(4).toString('hex')}`, await deadOwner())
    const frozen = await fakeSandbox(path.join(stale, 'sandboxes', 'x', 'task'), { stopped: true })
    let target: EmbeddedTarget | undefined
    try {
      target = await startEmbeddedTarget({ pendingMs: 0 })
      const own = JSON.parse(fs.readFileSync(path.join(String(target.details.workDir), 'owner.json'), 'utf8')) as { pid: number; startTime: string }
      task.meta.figures = { 'stale dirs left': fs.existsSync(stale) ? 1 : 0, 'stale processes left': isSameProcessAlive(frozen) ? 1 : 0 }
      expect(fs.existsSync(stale)).toBe(false)
      expect(isSameProcessAlive(frozen)).toBe(false)
      expect(own).toEqual({ pid: process.pid, startTime: processInfo(process.pid)!.startTime })
    } finally {
      await target?.close()
      for (const c of started.splice(0)) if (c.pid) signalGroup(c.pid, 'SIGKILL')
      fs.rmSync(stale, { recursive: true, force: true })
    }
  })
})

