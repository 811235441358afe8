/**
 * The embedded target's execution-environment lifecycle and limits, with small sh bootstraps: freezing between
 * invokes, timeouts, runtime exits, the memory limit, the init time limit, a missing bootstrap, private /tmp and the
 * sandbox environment. Expected values come from ../lambda/protocol.ts and lambda-behavior.md §1.1, §3.1, §4, §5.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_MEMORY_MB, formatSeconds, platformErrors } from '../lambda/protocol.js'
import { type EmbeddedTarget, startEmbeddedTarget } from './index.js'
import { RUNTIMES } from './runtimes.js'
import {
  decodeLog,
  deploy,
  ECHO_RUNTIME,
  escapeRegExp,
  lambdaClient,
  lastReport,
  liveProcessesInGroup,
  logLinesOf,
  payloadJson,
  payloadText,
  REGION,
  shRuntime,
  sleep,
  uniqueName,
  varTmpDir,
  waitUntil,
} from './test-support.js'

let target: EmbeddedTarget
let client: LambdaClient
let dir: string

const HOST_SECRET = 'HOSTSECRET123456'
const MARKER_KEY = `GLC_HOST_MARKER_${crypto.randomBytes(4).toString('hex').toUpperCase()}`
const MARKER_VALUE = `marker-${crypto.randomUUID()}`
const savedEnv: Record<string, string | undefined> = {}

beforeAll(async () => {
  // Host variables the sandboxes must never see (restored in afterAll).
  for (const k of ['AWS_SECRET_ACCESS_KEY', MARKER_KEY, 'HOME']) savedEnv[k] = process.env[k]
  process.env.AWS_SECRET_ACCESS_KEY = HOST_SECRET
  process.env[MARKER_KEY] = MARKER_VALUE
  process.env.HOME ??= '/root'
  target = await startEmbeddedTarget({ pendingMs: 0 })
  client = lambdaClient(target.endpoint)
  dir = varTmpDir('glc-lifecycle-test')
})

afterAll(async () => {
  await target?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
})

const invoke = (c: LambdaClient, name: string, payload: unknown = {}, tail = true): Promise<InvokeCommandOutput> =>
  c.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), ...(tail ? { LogType: 'Tail' as const } : {}) }))

/** A normal invoke of a fresh healthy function works: the target keeps serving. */
async function expectStillServing(): Promise<void> {
  const name = uniqueName('lc-healthy')
  await deploy(client, name, ECHO_RUNTIME)
  const event = { healthy: crypto.randomUUID() }
  const out = await invoke(client, name, event)
  expect(out.FunctionError).toBeUndefined()
  expect(payloadJson(out)).toEqual(event)
}

/** Reads the last counter value the background loop wrote (0 before the first write). */
function counterValue(file: string): number {
  let text = ''
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return 0
  }
  const lines = text.trim().split('\n')
  return Number(lines.at(-1) ?? 0) || 0
}

describe('freezing', () => {
  it('an idle environment is frozen: its background work does not advance between invokes', async () => {
    const name = uniqueName('lc-freeze')
    const counter = path.join(dir, `${name}.counter`)
    // A background loop appends an increasing counter every 10 ms; invokes answer with the current value.
    // An event containing "busy" makes the handler work for 1 s first, to show the loop runs while thawed.
    const script = shRuntime(
      '  if grep -q busy "$E"; then sleep 1; fi\n  tail -n 1 "$COUNTER_FILE" > "$R"',
      '( i=0; while :; do i=$((i+1)); echo $i >> "$COUNTER_FILE"; sleep 0.01; done ) &',
    )
    await deploy(client, name, script, { env: { COUNTER_FILE: counter }, timeout: 10 })

    // LogType Tail returns only after END/REPORT, i.e. after the runtime asked for the next event and was frozen.
    const first = await invoke(client, name, { n: 1 })
    expect(first.FunctionError).toBeUndefined()
    await sleep(50)
    const idleStart = counterValue(counter)
    await sleep(500)
    const idleEnd = counterValue(counter)
    // LB §4 "Freeze / thaw": nothing runs while idle (running, ~50 increments would happen in 500 ms)
    expect(idleEnd - idleStart).toBeLessThan(10)

    // Thawed for an invoke, the loop runs again.
    const busy = await invoke(client, name, { busy: true })
    const atBusyEnd = Number(payloadText(busy).trim())
    expect(atBusyEnd - idleEnd).toBeGreaterThanOrEqual(10)

    // And it is frozen again afterwards.
    await sleep(50)
    const again = counterValue(counter)
    await sleep(500)
    expect(counterValue(counter) - again).toBeLessThan(10)
    await expectStillServing()
  })
})

describe('timeout', () => {
  it('answers Sandbox.Timedout, writes REPORT Status: timeout, and kills every process of the environment', async () => {
    const name = uniqueName('lc-timeout')
    const pgidFile = path.join(dir, `${name}.pgid`)
    const childFile = path.join(dir, `${name}.child`)
    // The bootstrap records its process group; the handler starts a background child and then hangs.
    const script = shRuntime(
      '  sleep 300 &\n  echo $! > "$CHILD_FILE"\n  sleep 300',
      'cut -d" " -f5 /proc/$$/stat > "$PGID_FILE"',
    )
    await deploy(client, name, script, { env: { PGID_FILE: pgidFile, CHILD_FILE: childFile }, timeout: 1 })
    const out = await invoke(client, name, { hang: true })
    const id = out.$metadata.requestId!
    expect(out.StatusCode).toBe(200)
    expect(out.FunctionError).toBe('Unhandled')
    // LB §3.1 "Timeout (current format)"; protocol.ts platformErrors.timeout (seconds: \d+\.\d{2}, not asserted equal)
    const shape = platformErrors.timeout(id, 0)
    const body = payloadJson(out) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(Object.keys(shape).sort())
    expect(body.errorType).toBe(shape.errorType)
    expect(body.errorMessage).toMatch(new RegExp('^' + escapeRegExp(shape.errorMessage).replace(escapeRegExp(formatSeconds(0)), '\\d+\\.\\d{2}') + '$'))
    // LB §5 "REPORT on timeout"
    expect(lastReport(decodeLog(out))?.Status).toBe('timeout')

    const pgid = Number(fs.readFileSync(pgidFile, 'utf8').trim())
    const child = Number(fs.readFileSync(childFile, 'utf8').trim())
    expect(pgid).toBeGreaterThan(1)
    expect(child).toBeGreaterThan(1)
    // LB §4 "Timeout": the runtime is killed. No live process of the group remains (zombies are not running).
    await waitUntil(() => liveProcessesInGroup(pgid).length === 0, { what: `process group ${pgid} to be gone`, timeoutMs: 10_000 })
    expect(liveProcessesInGroup(pgid)).toEqual([])

    // The next invoke starts a fresh environment (LB §4) and still times out the same way.
    const next = await invoke(client, name, { hang: true })
    expect((payloadJson(next) as Record<string, unknown>).errorType).toBe('Sandbox.Timedout')
    expect(lastReport(decodeLog(next))?.['Init Duration']).toBeDefined()
    await expectStillServing()
  })
})

describe('runtime exits', () => {
  it('exit 3 during an invoke → Runtime.ExitError "exit status 3"', async () => {
    const name = uniqueName('lc-exit3')
    await deploy(client, name, shRuntime('  exit 3'))
    const out = await invoke(client, name)
    const id = out.$metadata.requestId!
    expect(out.FunctionError).toBe('Unhandled')
    // LB §3.1 "Process exits with status N"; protocol.ts platformErrors.exit
    expect(payloadJson(out)).toEqual(platformErrors.exit(id, { code: 3, signal: null }))
    const report = lastReport(decodeLog(out))
    expect(report?.Status).toBe('error') // LB §5 "REPORT on error"
    expect(report?.['Error Type']).toBe('Runtime.ExitError')
    await expectStillServing()
  })

  it('exit 0 during an invoke → Runtime.ExitError "Runtime exited without providing a reason"', async () => {
    const name = uniqueName('lc-exit0')
    await deploy(client, name, shRuntime('  exit 0'))
    const out = await invoke(client, name)
    const id = out.$metadata.requestId!
    expect(out.FunctionError).toBe('Unhandled')
    expect(payloadJson(out)).toEqual(platformErrors.exit(id, { code: 0, signal: null })) // LB §3.1 "Process exits 0"
    await expectStillServing()
  })
})

describe('memory limit', () => {
  it('a runtime that holds more than MemorySize is killed: Runtime.OutOfMemory, REPORT Status: error', async () => {
    const name = uniqueName('lc-oom')
    // bytes * n fills (touches) every page, so resident memory really grows to 400 MB.
    const script = shRuntime('  python3 -c "import time; b = b\'x\' * (400 * 1024 * 1024); time.sleep(30)"\n  echo \'"survived"\' > "$R"')
    await deploy(client, name, script, { memorySize: DEFAULT_MEMORY_MB, timeout: 20 })
    const out = await invoke(client, name)
    const id = out.$metadata.requestId!
    expect(out.FunctionError).toBe('Unhandled')
    // LB §3.1 "Out of memory" / §9 #2; protocol.ts platformErrors.outOfMemory is the variant the kit emits
    expect(payloadJson(out)).toEqual(platformErrors.outOfMemory(id))
    const report = lastReport(decodeLog(out))
    expect(report?.Status).toBe('error')
    expect(report?.['Error Type']).toBe('Runtime.OutOfMemory')
    await expectStillServing()
  })
})

describe('init', () => {
  it('an Init longer than the init limit is retried in the invoke phase within the function timeout', async () => {
    const slowInit = await startEmbeddedTarget({ pendingMs: 0, initTimeoutMs: 500 })
    try {
      const c = lambdaClient(slowInit.endpoint)
      const name = uniqueName('lc-init-timeout')
      await deploy(c, name, shRuntime('  cp "$E" "$R"', 'sleep 2'), { timeout: 5 })
      const event = { after: 'slow init' }
      const out = await invoke(c, name, event)
      expect(out.FunctionError).toBeUndefined()
      expect(payloadJson(out)).toEqual(event)
      const lines = logLinesOf(decodeLog(out))
      // LB §4 "Init time limit", §5 INIT_REPORT
      expect(lines.some((l) => /^INIT_REPORT Init Duration: \d+\.\d{2} ms\tPhase: init\tStatus: timeout$/.test(l)), lines.join('\n')).toBe(true)
      expect(lines.filter((l) => l.startsWith('INIT_START ')).length).toBe(2)
      expect(lastReport(lines.join('\n'))?.RequestId).toBe(out.$metadata.requestId)
    } finally {
      await slowInit.close()
    }
    await expectStillServing()
  })

  it('a runtime that exits 0 during init → Runtime.ExitError after the invoke-phase retry', async () => {
    const name = uniqueName('lc-init-exit')
    await deploy(client, name, '#!/bin/sh\necho "leaving before the first event"\nexit 0\n')
    const out = await invoke(client, name)
    const id = out.$metadata.requestId!
    expect(out.FunctionError).toBe('Unhandled')
    // LB §3.1 "Process exits 0 (during init or invoke)"; protocol.ts platformErrors.exit
    expect(payloadJson(out)).toEqual(platformErrors.exit(id, { code: 0, signal: null }))
    const lines = logLinesOf(decodeLog(out))
    // LB §4 "Init failure": INIT_REPORT for the init phase and for the retry in the invoke phase
    for (const phase of ['init', 'invoke']) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^INIT_REPORT Init Duration: \\d+\\.\\d{2} ms\\tPhase: ${phase}\\tStatus: error\\tError Type: Runtime\\.ExitError$`)))
    }
    expect(lines.filter((l) => l === 'leaving before the first event').length).toBe(2)
    const report = lastReport(lines.join('\n'))
    expect(report?.RequestId).toBe(id)
    expect(report?.Status).toBe('error')
    expect(report?.['Error Type']).toBe('Runtime.ExitError')
    await expectStillServing()
  })

  it('a package without bootstrap → Runtime.InvalidEntrypoint with Lambda\'s message', async () => {
    const name = uniqueName('lc-no-bootstrap')
    await deploy(client, name, '', { noBootstrap: true, files: { 'README.txt': 'no bootstrap here' } })
    const out = await invoke(client, name)
    const id = out.$metadata.requestId!
    expect(out.FunctionError).toBe('Unhandled')
    // The message runtimes.ts produces for a missing bootstrap (LB §3.1 "Bootstrap missing").
    const launch = RUNTIMES['provided.al2023']!.launch(path.join(dir, 'does-not-exist'), 'bootstrap')
    expect('error' in launch).toBe(true)
    const detail = (launch as { error: string }).error
    expect(payloadJson(out)).toEqual(platformErrors.invalidEntrypoint(id, detail))
    const lines = logLinesOf(decodeLog(out))
    // LB §4 "Init failure": INIT_REPORT in the init phase, then again in the invoke phase
    for (const phase of ['init', 'invoke']) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^INIT_REPORT Init Duration: \\d+\\.\\d{2} ms\\tPhase: ${phase}\\tStatus: error\\tError Type: Runtime\\.InvalidEntrypoint$`)))
    }
    const report = lastReport(lines.join('\n'))
    expect(report?.Status).toBe('error')
    expect(report?.['Error Type']).toBe('Runtime.InvalidEntrypoint')
    await expectStillServing()
  })
})

describe('isolation', () => {
  it('each environment has its own /tmp (or its own TMPDIR where no private mount is possible)', async () => {
    const name = uniqueName('lc-tmp')
    // Without a mount namespace (not root, or the kit itself under /tmp) the target's documented fallback is a
    // TMPDIR per sandbox: then the same relative name under $TMPDIR must stay apart.
    const isolated = String(target.details.tmpIsolation).startsWith('private')
    const base = `glc-same-${crypto.randomBytes(4).toString('hex')}.txt`
    const file = isolated ? `/tmp/${base}` : `"$TMPDIR/${base}"`
    // Each invoke writes its request id to the same /tmp path, waits, and answers with what it reads back.
    const script = shRuntime(`  echo "$ID" > ${file}\n  sleep 1.5\n  printf '"%s"' "$(cat ${file})" > "$R"`)
    await deploy(client, name, script, { timeout: 10 })
    const [a, b] = await Promise.all([invoke(client, name, {}, false), invoke(client, name, {}, false)])
    expect(a.FunctionError).toBeUndefined()
    expect(b.FunctionError).toBeUndefined()
    expect(a.$metadata.requestId).not.toBe(b.$metadata.requestId)
    expect(payloadJson(a)).toBe(a.$metadata.requestId)
    expect(payloadJson(b)).toBe(b.$metadata.requestId)
    // Two environments served them, and neither wrote to the host's /tmp.
    expect(target.registry.get(name).pool.sandboxCount).toBe(2)
    expect(fs.existsSync(`/tmp/${base}`)).toBe(false)
    await expectStillServing()
  })

  it('the environment has Lambda\'s variables and nothing from the host', async () => {
    const name = uniqueName('lc-env')
    await deploy(client, name, shRuntime('  env -0 > "$R"'), { memorySize: 256, env: { MY_FUNCTION_VAR: 'mine' } })
    const out = await invoke(client, name, {}, false)
    expect(out.FunctionError).toBeUndefined()
    const env: Record<string, string> = {}
    for (const entry of payloadText(out).split('\0')) {
      const i = entry.indexOf('=')
      if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1)
    }
    // LB §1.1 "Environment seen by a provided.al2023 bootstrap"
    expect(env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
      AWS_REGION: REGION,
      TZ: ':UTC',
      _HANDLER: 'bootstrap',
      MY_FUNCTION_VAR: 'mine',
    })
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/)
    expect(env.AWS_LAMBDA_RUNTIME_API).toMatch(/^[^:\s]+:\d+$/)
    expect(env.LAMBDA_TASK_ROOT).toBeTruthy()
    // Nothing from the host: not its secret, not its HOME, not a marker variable.
    expect(env.AWS_SECRET_ACCESS_KEY).not.toBe(HOST_SECRET)
    expect(Object.values(env).some((v) => v.includes(HOST_SECRET))).toBe(false)
    expect(env.HOME).toBeUndefined()
    expect(env[MARKER_KEY]).toBeUndefined()
    expect(Object.values(env).some((v) => v.includes(MARKER_VALUE))).toBe(false)
    // No other host variable either (same name and same value), apart from values Lambda itself defines.
    const lambdaDefined = new Set(['PATH', 'LANG', 'TZ', 'PWD', 'SHLVL', '_'])
    const leaked = Object.keys(env).filter((k) => !lambdaDefined.has(k) && process.env[k] !== undefined && process.env[k] === env[k])
    expect(leaked).toEqual([])
    await expectStillServing()
  })
})
