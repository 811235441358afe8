/**
 * `npm run serve` end to end: the CLI in a child process, driven from here as a user would drive it, with the
 * AWS SDK and (when installed) the AWS CLI.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../config.js'
import { lambdaClient, type TargetInfo } from '../targets/target.js'

const START_TIMEOUT_MS = 100_000
const ECHO = { probe: 'echo', args: { hello: 'world' } }

/** The AWS CLI's major version, or undefined when no working `aws` is on PATH. */
function awsCliMajor(): number | undefined {
  const r = spawnSync('aws', ['--version'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] })
  if (r.status !== 0) return undefined
  const m = /aws-cli\/(\d+)\./.exec(`${r.stdout}${r.stderr}`)
  return m ? Number(m[1]) : undefined
}
const CLI_MAJOR = awsCliMajor()

/** The environment for the child: the host's, less every AWS variable (no host credentials can leak in). */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && v !== undefined) env[k] = v
  return { ...env, ...extra }
}

interface Serve {
  child: ChildProcessWithoutNullStreams
  stdout: () => string
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

function startServe(): Serve {
  // `node --import tsx` runs the server in this very process: the tsx CLI would put a relay process in between
  // that turns a slow SIGTERM acknowledgement on a busy machine into exit 143.
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/serve.ts', '--port', '0'], {
    cwd: REPO_ROOT,
    env: childEnv({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }),
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group, so that cleanup can reach the server process tsx starts.
    detached: true,
  })
  child.stdin.end()
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return { child, stdout: () => out, stderr: () => err, exited }
}

/** Resolves with the endpoint once stdout has the `Endpoint:` line (and the block after it is complete). */
function waitForEndpoint(s: Serve): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`serve printed no Endpoint line within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS)
    const check = (): void => {
      const m = /^Endpoint: (http:\/\/127\.0\.0\.1:\d+)$/m.exec(s.stdout())
      if (m && /^Press Ctrl-C/m.test(s.stdout())) done(undefined, m[1])
    }
    const onExit = (code: number | null): void => done(new Error(`serve exited (code ${code}) before printing its Endpoint line`))
    function done(e?: Error, ep?: string): void {
      clearTimeout(timer)
      s.child.stdout.off('data', check)
      s.child.off('exit', onExit)
      if (e) reject(new Error(`${e.message}\n--- stdout ---\n${s.stdout()}\n--- stderr ---\n${s.stderr()}`))
      else resolve(ep!)
    }
    s.child.stdout.on('data', check)
    s.child.once('exit', onExit)
    check()
  })
}

function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port })
    sock.setTimeout(2000)
    sock.once('connect', () => {
      sock.destroy()
      resolve(true)
    })
    sock.once('timeout', () => {
      sock.destroy()
      resolve(false)
    })
    sock.once('error', () => resolve(false))
  })
}

describe('npm run serve', () => {
  let serve: Serve
  let endpoint: string
  let client: LambdaClient
  let zipPath: string
  const fnName = `glc-serve-test-${process.pid}`
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'glc-serve-test-'))

  beforeAll(async () => {
    serve = startServe()
    endpoint = await waitForEndpoint(serve)
    const target: TargetInfo = { name: 'endpoint', endpoint, region: 'us-east-1', accountId: '000000000000', roleArn: 'arn:aws:iam::000000000000:role/conformance', details: {} }
    client = lambdaClient(target)
    const m = /^ {2}Package native: (\S+\.zip)\s/m.exec(serve.stdout())
    if (!m) throw new Error(`serve did not print the native shim's package path:\n${serve.stdout()}\n--- stderr ---\n${serve.stderr()}`)
    zipPath = m[1]!
  }, START_TIMEOUT_MS + 5000)

  afterAll(async () => {
    fs.rmSync(tmp, { recursive: true, force: true })
    // Only when a test failed before the SIGTERM test: stop it politely, then kill its whole process group
    // (tsx runs the server in a grandchild, which a SIGKILL of the tsx process alone would leave running).
    if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
      serve.child.kill('SIGTERM')
      const exited = await Promise.race([serve.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10_000))])
      if (!exited && serve.child.pid !== undefined) {
        try {
          process.kill(-serve.child.pid, 'SIGKILL')
        } catch {
          // already gone
        }
        await serve.exited
      }
    }
  })

  it('prints the endpoint, region, account, role, the packages and copy-paste examples', () => {
    const out = serve.stdout()
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(Number(new URL(endpoint).port)).toBeGreaterThan(0)
    expect(out).toMatch(/^Region: us-east-1$/m)
    expect(out).toMatch(/^Account: 000000000000$/m)
    expect(out).toContain('arn:aws:iam::000000000000:role/conformance')
    expect(out).toContain(`aws --endpoint-url ${endpoint} lambda create-function`)
    expect(out).toContain(`--zip-file fileb://${zipPath}`)
    expect(out).toContain(`aws --endpoint-url ${endpoint} lambda invoke`)
    expect(out).toContain("from '@aws-sdk/client-lambda'")
    expect(fs.statSync(zipPath).size).toBeGreaterThan(0)
    expect(path.basename(zipPath)).toBe('package.zip')
  })

  it('deploys the native shim and invokes it with @aws-sdk/client-lambda', { timeout: 120_000 }, async () => {
    await client.send(
      new CreateFunctionCommand({
        FunctionName: fnName,
        Runtime: 'provided.al2023',
        Handler: 'bootstrap',
        Role: 'arn:aws:iam::000000000000:role/conformance',
        Code: { ZipFile: fs.readFileSync(zipPath) },
        Environment: { Variables: { PROBE: 'dispatch' } },
      }),
    )
    const deadline = Date.now() + 60_000
    for (;;) {
      const c = await client.send(new GetFunctionConfigurationCommand({ FunctionName: fnName }))
      if (c.State === 'Active') break
      if (c.State === 'Failed') throw new Error(`function failed: ${c.StateReason}`)
      if (Date.now() > deadline) throw new Error(`function still ${c.State} after 60 s`)
      await new Promise((r) => setTimeout(r, 50))
    }

    const echo = await client.send(new InvokeCommand({ FunctionName: fnName, Payload: Buffer.from(JSON.stringify(ECHO)) }))
    expect(echo.StatusCode).toBe(200)
    expect(echo.FunctionError).toBeUndefined()
    expect(Buffer.from(echo.Payload ?? new Uint8Array()).toString('utf8')).toBe('{"hello":"world"}')

    const failed = await client.send(new InvokeCommand({ FunctionName: fnName, Payload: Buffer.from(JSON.stringify({ probe: 'error', args: { kind: 'new' } })) }))
    expect(failed.StatusCode).toBe(200)
    expect(failed.FunctionError).toBe('Unhandled')
    expect(JSON.parse(Buffer.from(failed.Payload ?? new Uint8Array()).toString('utf8'))).toEqual({ errorMessage: 'probe: plain error', errorType: 'errorString' })
  })

  it.skipIf(CLI_MAJOR === undefined)(
    `invokes it with the AWS CLI${CLI_MAJOR === undefined ? ' (skipped: no working `aws` command on PATH; install the AWS CLI to run this)' : ` v${CLI_MAJOR}`}`,
    { timeout: 60_000 },
    () => {
      const outFile = path.join(tmp, 'out.json')
      // AWS CLI v2 reads --payload as base64 unless told otherwise; v1 has no such option and takes it raw.
      const binaryFormat = (CLI_MAJOR ?? 2) >= 2 ? ['--cli-binary-format', 'raw-in-base64-out'] : []
      const r = spawnSync(
        'aws',
        ['--endpoint-url', endpoint, '--region', 'us-east-1', 'lambda', 'invoke', '--function-name', fnName, ...binaryFormat, '--payload', JSON.stringify(ECHO), outFile],
        {
          encoding: 'utf8',
          timeout: 50_000,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: childEnv({
            AWS_ACCESS_KEY_ID: 'x',
            AWS_SECRET_ACCESS_KEY: 'y',
            // No profile or config file of the host's may add credentials, a region or a proxy setting.
            AWS_CONFIG_FILE: path.join(tmp, 'no-config'),
            AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, 'no-credentials'),
            AWS_PAGER: '',
            AWS_EC2_METADATA_DISABLED: 'true',
          }),
        },
      )
      expect(r.status, `aws exited ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({ StatusCode: 200 })
      expect(fs.readFileSync(outFile, 'utf8')).toBe('{"hello":"world"}')
    },
  )

  it('stops on SIGTERM within 10 s and frees the port', { timeout: 30_000 }, async () => {
    await client.send(new DeleteFunctionCommand({ FunctionName: fnName })).catch(() => undefined)
    const port = Number(new URL(endpoint).port)
    expect(await portAcceptsConnections(port)).toBe(true)
    serve.child.kill('SIGTERM')
    const exit = await Promise.race([serve.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))])
    expect(exit, `serve did not exit within 10 s of SIGTERM\n--- stderr ---\n${serve.stderr()}`).not.toBe('timeout')
    expect(exit).toEqual({ code: 0, signal: null })
    expect(serve.stderr()).toContain('SIGTERM')
    expect(await portAcceptsConnections(port)).toBe(false)
  })
})
