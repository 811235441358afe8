/**
 * Local AWS services for the embedded target: moto's server (PyPI `moto[server]`, pinned in requirements.txt beside
 * this file) in a venv of its own, on 127.0.0.1 and a free port. One port serves every service: moto routes by the
 * SigV4 credential scope (and `X-Amz-Target`), so the embedded target can forward anything that is not Lambda to it
 * unchanged (server.ts), the way LocalStack's edge port works.
 *
 * moto runs in its own process group and is stopped with it. It also exits by itself when this process dies
 * without stopping it: it watches its stdin, a pipe from this process, and exits when the pipe closes.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureVenv, type EnsuredVenv, PythonVenvError, type VenvSpec } from '../embedded/python-venv.js'

export const SERVICES_REQUIREMENTS_FILE = fileURLToPath(new URL('./requirements.txt', import.meta.url))

/** The venv moto runs in: separate from the python3.* runtime venv, so functions never import moto. */
export const SERVICES_VENV: VenvSpec = {
  cacheFolder: 'services-venv',
  label: 'services venv',
  requirementsFile: SERVICES_REQUIREMENTS_FILE,
  imports: ['moto.server', 'flask', 'flask_cors'],
  distributions: ['moto'],
  purpose: 'The embedded target runs its local AWS services (moto) from a venv.',
}

/** The services the kit uses through moto; moto serves more, but these are the ones the suites rely on. */
export const MOTO_SERVICES = ['sqs', 'sns', 'dynamodb', 'dynamodbstreams', 'kinesis', 'logs', 'iam', 'sts'] as const

export class MotoError extends Error {}

export interface MotoServer {
  /** `http://127.0.0.1:PORT`. */
  endpoint: string
  port: number
  /** e.g. `5.2.5`. */
  version: string
  pid: number
  services: readonly string[]
  /** How long the start took, until moto answered. */
  startMs: number
  /** Stops moto and everything it started (its process group). Idempotent. */
  stop(): Promise<void>
}

export interface StartMotoOptions {
  /** Port on 127.0.0.1; a free one when absent. */
  port?: number
  /**
   * moto's default account (requests that name no other through `x-moto-account-id`, which the embedded target's
   * edge sets from a 12-digit access key id); the embedded target's by default.
   */
  accountId?: string
  startTimeoutMs?: number
  log?: (line: string) => void
}

/** Creates (or finds) the services venv under the cache dir. Throws PythonVenvError when it cannot. */
export function ensureServicesVenv(cacheRoot: string, o: { python?: string; log?: (line: string) => void } = {}): Promise<EnsuredVenv> {
  return ensureVenv(cacheRoot, SERVICES_VENV, o)
}

/** Ensures the venv and starts moto from it: what global-setup and serve do. */
export async function startServices(cacheRoot: string, o: StartMotoOptions = {}): Promise<MotoServer & { venv: EnsuredVenv }> {
  const venv = await ensureServicesVenv(cacheRoot, { log: o.log })
  if (venv.cached) o.log?.(`services venv: using cached ${path.relative(process.cwd(), venv.dir)} (Python ${venv.pythonVersion}, moto ${venv.versions.moto ?? '?'})`)
  const moto = await startMoto(venv, o)
  return Object.assign(moto, { venv })
}

/**
 * Runs moto.server.main in the venv's Python, with a watchdog thread that exits when stdin (a pipe from this
 * process) reaches end of file, so an abandoned moto does not outlive the kit.
 */
const LAUNCHER = [
  'import os, sys, threading',
  'def _watch():',
  '    try:',
  '        while sys.stdin.buffer.read(65536): pass',
  '    finally:',
  '        os._exit(0)',
  'threading.Thread(target=_watch, daemon=True).start()',
  '# The default account (requests whose credentials name no other): set before any moto module binds it.',
  '# Not MOTO_ACCOUNT_ID, which would override every other way of choosing an account (x-moto-account-id).',
  'import moto.core, moto.core.models',
  'moto.core.DEFAULT_ACCOUNT_ID = moto.core.models.DEFAULT_ACCOUNT_ID = sys.argv[1]',
  'del sys.argv[1]',
  '# SNS subscriptions with protocol lambda: moto would invoke its own Lambda (unknown function: Publish fails',
  '# with 404); the embedded target delivers them itself (lib/embedded/sns-bridge.ts).',
  'import moto.sns.models as _sns',
  '_publish = _sns.Subscription.publish',
  'def _no_lambda(self, *a, **k):',
  '    if self.protocol == "lambda": return None',
  '    return _publish(self, *a, **k)',
  '_sns.Subscription.publish = _no_lambda',
  'from moto.server import main',
  'code = 0',
  'try:',
  '    main(sys.argv[1:])',
  'except SystemExit as e:',
  '    code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)',
  'except BaseException:',
  '    import traceback; traceback.print_exc(); code = 1',
  '# os._exit: a normal shutdown aborts while the watchdog thread holds stdin.',
  'sys.stdout.flush(); sys.stderr.flush()',
  'os._exit(code)',
].join('\n')

export async function startMoto(venv: { python: string; versions: Record<string, string> }, o: StartMotoOptions = {}): Promise<MotoServer> {
  // A free port can be taken between the probe and moto's bind; try a few.
  for (let attempt = 1; ; attempt++) {
    const port = o.port ?? (await freePort())
    try {
      return await startOnce(venv, port, o)
    } catch (e) {
      if (!(e instanceof MotoError) || o.port !== undefined || attempt >= 3 || !/address already in use/i.test(e.message)) throw e
    }
  }
}

async function startOnce(venv: { python: string; versions: Record<string, string> }, port: number, o: StartMotoOptions): Promise<MotoServer> {
  const started = performance.now()
  const timeoutMs = o.startTimeoutMs ?? 60_000
  const endpoint = `http://127.0.0.1:${port}`
  const child = spawn(venv.python, ['-c', LAUNCHER, o.accountId ?? '000000000000', '-H', '127.0.0.1', '-p', String(port)], {
    env: motoEnv(port),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  })
  const output: string[] = []
  const keep = (c: Buffer): void => {
    output.push(c.toString())
    if (output.length > 200) output.splice(0, output.length - 200)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  // Never write to stdin: it only tells moto that this process is alive.
  child.stdin!.on('error', () => {})
  const exited = new Promise<string>((resolve) => {
    child.once('error', (e) => resolve(`could not be started: ${e.message}`))
    child.once('exit', (code, signal) => resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`))
  })
  let exitReason: string | undefined
  void exited.then((r) => (exitReason = r))
  const tail = (): string => output.join('').trim().split('\n').slice(-20).join('\n')
  const fail = async (why: string): Promise<never> => {
    await stopGroup(child, exited)
    throw new MotoError(`moto server (${venv.python} -m moto.server -H 127.0.0.1 -p ${port}) ${why}${tail() ? `; its output:\n${tail()}` : ' (no output)'}`)
  }

  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (exitReason !== undefined) return fail(exitReason)
    if (await answers(endpoint)) break
    if (Date.now() > deadline) return fail(`did not answer GET ${endpoint}/moto-api/ within ${timeoutMs / 1000} s`)
    await Promise.race([new Promise((r) => setTimeout(r, 50)), exited])
  }
  // Keep the pipes drained so moto never blocks on a full pipe, but stop collecting.
  child.stdout!.removeListener('data', keep)
  child.stderr!.removeListener('data', keep)
  child.stdout!.resume()
  child.stderr!.resume()
  // The kit must not wait on moto to exit.
  child.unref()
  ;(child.stdout as unknown as net.Socket).unref?.()
  ;(child.stderr as unknown as net.Socket).unref?.()
  ;(child.stdin as unknown as net.Socket).unref?.()

  let stopping: Promise<void> | undefined
  const startMs = performance.now() - started
  o.log?.(`moto ${venv.versions.moto ?? '?'} listening on ${endpoint} (pid ${child.pid}, started in ${(startMs / 1000).toFixed(1)} s)`)
  return {
    endpoint,
    port,
    version: venv.versions.moto ?? 'unknown',
    pid: child.pid!,
    services: MOTO_SERVICES,
    startMs,
    stop: () => (stopping ??= stopGroup(child, exited)),
  }
}

/** SIGTERM to the process group, SIGKILL after 3 s. */
async function stopGroup(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.pid === undefined) return
  const kill = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal)
    } catch {
      // Already gone.
    }
  }
  if (child.exitCode !== null || child.signalCode !== null) {
    kill('SIGKILL')
    return
  }
  kill('SIGTERM')
  const t = setTimeout(() => kill('SIGKILL'), 3000)
  await exited
  clearTimeout(t)
  kill('SIGKILL')
  child.stdin?.destroy()
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const r = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2000) })
    await r.arrayBuffer()
    return r.status < 500
  } catch {
    return false
  }
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

/** The host environment without AWS credentials or settings (moto needs none), plus moto's own settings. */
function motoEnv(port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_') && !k.startsWith('MOTO_')) env[k] = v
  // AWS managed policies (AWSLambdaBasicExecutionRole, …) exist as on AWS, so the aws target's role setup can attach them.
  return { ...env, MOTO_PORT: String(port), MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' }
}

export { PythonVenvError }
