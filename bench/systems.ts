/**
 * The three systems the benchmark compares, each started on 127.0.0.1 with the same `bootstrap` (the native
 * shim's build of go-handlers):
 *   embedded  the kit's own Lambda service (lib/embedded/) in a child Node process;
 *   floor     the bootstrap itself answering plain HTTP (PROBE_HTTP_FLOOR_ADDR, go-handlers/README.md);
 *   rie       AWS's Runtime Interface Emulator running the bootstrap, built from source through the module proxy.
 */
import { type ChildProcess, execFile, fork, spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { REPO_ROOT } from '../lib/config.js'
import { readZipEntry } from '../lib/embedded/zip.js'
import { freePort } from '../lib/services/moto.js'
import { buildShim } from '../lib/shims/build.js'
import { loadShim } from '../lib/shims/manifest.js'
import type { Endpoint } from './client.js'

const execFileP = promisify(execFile)

export const RIE_MODULE = 'github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie'
/**
 * Pinned RIE version. The repository's tags (v1.x) are not semver, so the Go module proxy serves pseudo-versions
 * only; this is the one `go list -m …@latest` resolved to on 2026-11-27 (commit bef5c4ba774d of 2026-10-30, as
 * kit-patterns.md §3.9 gives). Change it deliberately: the cached binary is rebuilt when its module version differs.
 */
export const RIE_VERSION = 'v0.0.0-20261030222936-bef5c4ba774d'

export type Say = (line: string) => void

/** The native shim's package (built or taken from the cache), with its `bootstrap` extracted next to it. */
export async function nativeBootstrap(cacheRoot: string, say: Say): Promise<{ bootstrap: string; zipPath: string; zip: Buffer }> {
  const shim = loadShim(path.join(REPO_ROOT, 'shims', 'native'))
  const built = await buildShim(shim, cacheRoot, say)
  const zip = fs.readFileSync(built.zipPath)
  const dir = path.join(cacheRoot, 'bench', `native-${built.sha256.slice(0, 16)}`)
  const bootstrap = path.join(dir, 'bootstrap')
  if (!fs.existsSync(bootstrap)) {
    const data = await readZipEntry(zip, 'bootstrap')
    if (!data) throw new Error(`${built.zipPath} has no bootstrap`)
    fs.mkdirSync(dir, { recursive: true })
    const tmp = `${bootstrap}.tmp-${process.pid}`
    fs.writeFileSync(tmp, data, { mode: 0o755 })
    fs.renameSync(tmp, bootstrap)
  }
  return { bootstrap, zipPath: built.zipPath, zip }
}

/** The module version a Go binary was built from (`go version -m`), or undefined. */
async function builtVersion(bin: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileP('go', ['version', '-m', bin])
    return /^\s*mod\s+\S+\s+(\S+)/m.exec(stdout)?.[1]
  } catch {
    return undefined
  }
}

/**
 * `aws-lambda-rie` at RIE_VERSION under <cache>/tools/bin, compiled from source with `go install` through the
 * module proxy on first use (never a prebuilt download). Prints go's progress and a heartbeat while it builds.
 */
export async function ensureRie(cacheRoot: string, say: Say): Promise<string> {
  const gobin = path.join(cacheRoot, 'tools', 'bin')
  const bin = path.join(gobin, 'aws-lambda-rie')
  if (fs.existsSync(bin)) {
    const v = await builtVersion(bin)
    if (v === RIE_VERSION) return bin
    say(`cached ${bin} is ${v ?? 'of unknown version'}, want ${RIE_VERSION}: rebuilding`)
  }
  fs.mkdirSync(gobin, { recursive: true })
  const started = performance.now()
  say(`building the Runtime Interface Emulator from source: GOBIN=${gobin} go install -v ${RIE_MODULE}@${RIE_VERSION}`)
  const output: string[] = []
  const code = await new Promise<number>((resolve, reject) => {
    const p = spawn('go', ['install', '-v', `${RIE_MODULE}@${RIE_VERSION}`], { env: { ...process.env, GOBIN: gobin }, stdio: ['ignore', 'pipe', 'pipe'] })
    const beat = setInterval(() => say(`  still building the RIE (${Math.round((performance.now() - started) / 1000)} s)`), 5000)
    for (const s of [p.stdout, p.stderr]) {
      readline.createInterface({ input: s }).on('line', (l) => {
        output.push(l)
        say(`  ${l}`)
      })
    }
    p.on('error', (e) => (clearInterval(beat), reject(e)))
    p.on('exit', (c) => (clearInterval(beat), resolve(c ?? 1)))
  })
  if (code !== 0 || !fs.existsSync(bin)) {
    throw new Error(`go install ${RIE_MODULE}@${RIE_VERSION} failed (exit ${code}):\n${output.slice(-30).join('\n')}\nThe RIE needs Go ≥ 1.25 and the module proxy (GOPROXY).`)
  }
  say(`built the RIE in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return bin
}

async function waitForPort(port: number, child: ChildProcess, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening on ${port}`)
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1')
      c.once('connect', () => (c.destroy(), resolve(true)))
      c.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export interface RunningSystem {
  endpoint: Endpoint
  pid: number
  stop(): Promise<void>
}

/** Keeps the last few KB of a stream for error messages. */
function tail(stream: NodeJS.ReadableStream | null): () => string {
  let text = ''
  stream?.on('data', (c: Buffer) => {
    text = (text + c.toString('utf8')).slice(-4096)
  })
  return () => text
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    child.kill('SIGTERM')
    const t = setTimeout(() => child.kill('SIGKILL'), 2000)
    await exited
    clearTimeout(t)
  }
}

/** Only what a probe needs: no host variables beyond PATH. */
const probeEnv = (extra: Record<string, string>): Record<string, string> => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', PROBE: 'echo', ...extra })

/** The bootstrap serving POST / itself (PROBE_HTTP_FLOOR_ADDR=127.0.0.1:0); it prints its address first. */
export async function startFloor(bootstrap: string): Promise<RunningSystem> {
  const child = spawn(bootstrap, [], { cwd: path.dirname(bootstrap), env: probeEnv({ PROBE_HTTP_FLOOR_ADDR: '127.0.0.1:0' }), stdio: ['ignore', 'pipe', 'pipe'] })
  const errTail = tail(child.stderr)
  const addr = await new Promise<string>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! })
    rl.once('line', (l) => resolve(l.trim()))
    child.once('exit', (c, s) => reject(new Error(`floor process exited (${c ?? s}) before printing its address: ${errTail()}`)))
    child.once('error', reject)
  })
  const m = /^127\.0\.0\.1:(\d+)$/.exec(addr)
  if (!m) throw new Error(`floor process printed "${addr}", not 127.0.0.1:PORT`)
  child.stdout!.resume()
  return { endpoint: { host: '127.0.0.1', port: Number(m[1]), path: '/' }, pid: child.pid!, stop: stopper(child) }
}

/** The RIE with the bootstrap as its runtime; both of its addresses on 127.0.0.1, free ports. */
export async function startRie(rie: string, bootstrap: string): Promise<RunningSystem> {
  const [apiPort, runtimePort] = [await freePort(), await freePort()]
  const child = spawn(
    rie,
    ['--runtime-interface-emulator-address', `127.0.0.1:${apiPort}`, '--runtime-api-address', `127.0.0.1:${runtimePort}`, '--log-level', 'error', bootstrap],
    // stdout carries START/END/REPORT per invoke (and the runtime's output): discarded, as the embedded target
    // keeps its logs in memory instead.
    { cwd: path.dirname(bootstrap), env: probeEnv({}), stdio: ['ignore', 'ignore', 'pipe'] },
  )
  const errTail = tail(child.stderr)
  try {
    await waitForPort(apiPort, child, 'aws-lambda-rie')
  } catch (e) {
    await stopper(child)()
    throw new Error(`${(e as Error).message}: ${errTail()}`)
  }
  return { endpoint: { host: '127.0.0.1', port: apiPort, path: '/2015-03-31/functions/function/invocations' }, pid: child.pid!, stop: stopper(child) }
}

export interface EmbeddedChild {
  endpoint: string
  pid: number
  details: Record<string, unknown>
  call(op: 'gc' | 'close'): Promise<Record<string, unknown>>
  call(op: 'logStats', groups: string[]): Promise<{ events: number; chars: number }>
  stop(): Promise<void>
}

/** bench/embedded-child.ts in its own Node (with --expose-gc, and --cpu-prof into `cpuProfDir` if given). */
export async function startEmbeddedChild(o: { cpuProfDir?: string } = {}): Promise<EmbeddedChild> {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'embedded-child.ts')
  const execArgv = ['--expose-gc', '--import', 'tsx', ...(o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : [])]
  const child = fork(file, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const waiting = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>()
  let nextId = 1
  let ready: (m: { endpoint: string; details: Record<string, unknown> }) => void = () => {}
  const readyP = new Promise<{ endpoint: string; details: Record<string, unknown> }>((resolve, reject) => {
    ready = resolve
    child.once('exit', (c, s) => reject(new Error(`embedded target process exited (${c ?? s}) before it was ready`)))
  })
  child.on('message', (raw) => {
    const m = raw as { type?: string; id?: number; ok?: boolean; error?: string; endpoint?: string; details?: Record<string, unknown> }
    if (m.type === 'ready') return ready({ endpoint: m.endpoint!, details: m.details ?? {} })
    const w = m.id !== undefined ? waiting.get(m.id) : undefined
    if (!w) return
    waiting.delete(m.id!)
    if (m.ok) w.resolve(m as Record<string, unknown>)
    else w.reject(new Error(m.error ?? 'embedded target process failed'))
  })
  child.on('exit', () => {
    for (const w of waiting.values()) w.reject(new Error('embedded target process exited'))
    waiting.clear()
  })
  const { endpoint, details } = await readyP
  const call = (op: string, groups?: string[]): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = nextId++
      waiting.set(id, { resolve, reject })
      child.send({ id, op, groups })
    })
  return {
    endpoint,
    pid: child.pid!,
    details,
    call: call as EmbeddedChild['call'],
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((r) => child.once('exit', () => r()))
      await call('close').catch(() => {})
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(t)
    },
  }
}

/** Resident memory of a process (VmRSS of /proc/<pid>/status), in bytes. */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'))
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(m[1]) * 1024
}
