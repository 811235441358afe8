/** The embedded target: a local Lambda service in this process, no Docker and no AWS account. */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { REPO_ROOT } from '../config.js'
import { CloudWatchLogsShipper } from '../services/moto-logs.js'
import { EventSourceMappings } from './esm/mappings.js'
import { FunctionRegistry } from './functions.js'
import { LogStore } from './log-store.js'
import { isSameProcessAlive, killProcessesUsing, processInfo } from './process-tree.js'
import { runtimeTable } from './runtimes.js'
import { LambdaApiServer } from './server.js'
import { SnsBridge } from './sns-bridge.js'

export const EMBEDDED_ACCOUNT_ID = '000000000000'

export interface EmbeddedTargetOptions {
  region?: string
  port?: number
  /** Directory for code and sandboxes; a fresh temp dir (removed on close) when absent. */
  workDir?: string
  maxSandboxes?: number
  asyncRetryDelaysMs?: number[]
  /**
   * How long one second of a MaximumEventAgeInSeconds set through PutFunctionEventInvokeConfig lasts, in ms (1000).
   * Tests shorten it as they shorten asyncRetryDelaysMs: the API takes no age under 60 s.
   */
  asyncEventAgeSecondMs?: number
  /** Init phase limit; Lambda's is 10 s. Lowered only by the target's own tests. */
  initTimeoutMs?: number
  /** How long functions stay Pending after create/update. */
  pendingMs?: number
  /** Force (true/false) or auto-detect (undefined) private /tmp mounts for sandboxes. */
  isolateTmp?: boolean
  /**
   * A Python venv with awslambdaric (`ensurePythonVenv` in python-venv.ts makes one) that runs python3.*
   * functions; without it CreateFunction rejects those runtimes and says how to enable them.
   */
  pythonVenv?: string
  /**
   * Local AWS services (moto's server, lib/services/moto.ts): every request the target does not answer itself is
   * forwarded there, CloudWatch Logs included, and function logs are written into its CloudWatch Logs.
   */
  servicesEndpoint?: string
  /** For `details`: what serves servicesEndpoint, e.g. `{ name: 'moto', version: '5.2.5', services: [...] }`. */
  servicesInfo?: { name: string; version: string; services: readonly string[] }
  /** Event source mapping timings (tests lower them): poll interval when idle, retry delay, state transitions. */
  eventSourceMappings?: { pollIntervalMs?: number; retryDelayMs?: number; transitionMs?: number }
}

export interface EmbeddedTarget {
  endpoint: string
  region: string
  accountId: string
  registry: FunctionRegistry
  eventSourceMappings: EventSourceMappings
  logStore: LogStore
  details: Record<string, unknown>
  /** Resolves when every function log line so far is in the services' CloudWatch Logs (at once without them). */
  flushLogs(): Promise<void>
  close(): Promise<void>
}

let isolationProbe: boolean | undefined
/** Whether sandboxes can get a private /tmp through a mount namespace (needs root and util-linux unshare). */
export function canIsolateTmp(): boolean {
  if (isolationProbe === undefined) {
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', 'mount --bind /tmp /tmp'], { stdio: 'ignore', timeout: 5000 })
    isolationProbe = r.status === 0
  }
  return isolationProbe
}

/** /var/tmp when writable (it survives a private /tmp mount), else the system temp dir. */
function defaultWorkParent(): string {
  try {
    fs.accessSync('/var/tmp', fs.constants.W_OK)
    return '/var/tmp'
  } catch {
    return os.tmpdir()
  }
}

/** Names the process that made a work dir, so a later run can tell a dead owner's leftovers from a live run's. */
const OWNER_FILE = 'owner.json'
const WORK_DIR_PREFIX = 'glc-embedded-'

interface WorkDirOwner {
  pid: number
  /** Start time of `pid` (clock ticks since boot): a reused PID is another process. */
  startTime: string
}

/**
 * Removes what hard-killed earlier runs left in `parent` (the default work dirs' parent): for each
 * `glc-embedded-*` directory whose owner file names a process that no longer runs, its sandbox processes (frozen
 * ones included, found by working directory or LAMBDA_TASK_ROOT) are killed and the directory deleted. A directory
 * without an owner file (made before owner files, or by someone else) or with a live owner is never touched.
 * Returns the directories removed.
 */
export async function reapStaleWorkDirs(parent = defaultWorkParent()): Promise<string[]> {
  let names: string[]
  try {
    names = fs.readdirSync(parent).filter((n) => n.startsWith(WORK_DIR_PREFIX))
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    const dir = path.join(parent, name)
    let owner: WorkDirOwner
    try {
      owner = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8')) as WorkDirOwner
    } catch {
      continue
    }
    if (!Number.isInteger(owner.pid) || typeof owner.startTime !== 'string' || owner.startTime === '') continue
    // /proc unreadable means no verdict: leave it.
    if (processInfo(process.pid) === undefined || isSameProcessAlive(owner)) continue
    try {
      await killProcessesUsing(dir)
      fs.rmSync(dir, { recursive: true, force: true })
      removed.push(dir)
    } catch {
      // another run is reaping it too, or it is not ours to remove: leave it
    }
  }
  return removed
}

export async function startEmbeddedTarget(o: EmbeddedTargetOptions = {}): Promise<EmbeddedTarget> {
  const region = o.region ?? 'us-east-1'
  // Before anything is created: a bad venv path is the caller's error.
  const runtimes = runtimeTable({ pythonVenv: o.pythonVenv })
  const ownWorkDir = !o.workDir
  // A run that was SIGKILLed never closed its target: its frozen sandboxes and work dir would stay for good.
  if (ownWorkDir) {
    const reaped = await reapStaleWorkDirs()
    if (reaped.length > 0) console.error(`[embedded target] removed ${reaped.length} work dir(s) of earlier runs that did not shut down: ${reaped.join(', ')}`)
  }
  const workDir = o.workDir ?? fs.mkdtempSync(path.join(defaultWorkParent(), WORK_DIR_PREFIX))
  if (ownWorkDir) {
    const self = processInfo(process.pid)
    if (self) fs.writeFileSync(path.join(workDir, OWNER_FILE), JSON.stringify({ pid: process.pid, startTime: self.startTime } satisfies WorkDirOwner))
  }
  const logStore = new LogStore()
  // Sandboxes read the work dir, the kit's own runtime client and the Python venv; a private /tmp hides any of
  // them that live under /tmp (a clone in a temp dir, say), so isolation then falls back to TMPDIR.
  const hostPaths = [workDir, REPO_ROOT, o.pythonVenv].filter((p): p is string => typeof p === 'string')
  const underTmp = hostPaths.filter((p) => path.resolve(p) === '/tmp' || path.resolve(p).startsWith('/tmp/'))
  const isolateTmp = (o.isolateTmp ?? canIsolateTmp()) && underTmp.length === 0
  const registry = new FunctionRegistry({
    workDir,
    region,
    accountId: EMBEDDED_ACCOUNT_ID,
    logStore,
    isolateTmp,
    maxSandboxes: o.maxSandboxes ?? 16,
    asyncRetryDelaysMs: o.asyncRetryDelaysMs ?? [60_000, 120_000],
    initTimeoutMs: o.initTimeoutMs,
    pendingMs: o.pendingMs ?? 50,
    runtimes,
  })
  const eventSourceMappings = new EventSourceMappings({
    registry,
    region,
    accountId: EMBEDDED_ACCOUNT_ID,
    servicesEndpoint: o.servicesEndpoint,
    ...o.eventSourceMappings,
    onPollerError: (m) => console.error('[embedded target]', m),
  })
  const shipper = o.servicesEndpoint ? new CloudWatchLogsShipper({ endpoint: o.servicesEndpoint, region }).attach(logStore) : undefined
  const flushLogs = async (): Promise<void> => {
    await shipper?.flush()
  }
  const server = new LambdaApiServer({
    eventSourceMappings,
    servicesEndpoint: o.servicesEndpoint,
    flushLogs,
    snsBridge: o.servicesEndpoint
      ? new SnsBridge({ registry, region, accountId: EMBEDDED_ACCOUNT_ID, servicesEndpoint: o.servicesEndpoint, log: (m) => console.error('[embedded target]', m) })
      : undefined,
    registry,
    logStore,
    region,
    accountId: EMBEDDED_ACCOUNT_ID,
    eventAgeSecondMs: o.asyncEventAgeSecondMs,
    onInternalError: (e) => console.error('[embedded target] internal error:', e),
  })
  let endpoint: string
  try {
    endpoint = await server.listen(o.port ?? 0)
  } catch (e) {
    await eventSourceMappings.close()
    await registry.close()
    await shipper?.close()
    if (ownWorkDir) fs.rmSync(workDir, { recursive: true, force: true })
    throw e
  }
  return {
    endpoint,
    region,
    accountId: EMBEDDED_ACCOUNT_ID,
    registry,
    eventSourceMappings,
    logStore,
    details: {
      tmpIsolation: isolateTmp
        ? 'private mount namespace (/tmp bind-mounted per sandbox)'
        : underTmp.length > 0
          ? `TMPDIR per sandbox (a private /tmp would hide ${underTmp.join(', ')})`
          : 'TMPDIR per sandbox (no mount namespace available: needs root and util-linux unshare)',
      memoryEnforcement: 'resident memory of the sandbox process group, sampled every 20 ms',
      freeze: 'SIGSTOP/SIGCONT of the sandbox process group',
      workDir,
      // Which local interpreter stands in for which Lambda runtime.
      runtimes: {
        ...Object.fromEntries(Object.values(runtimes.specs).map((r) => [r.id, r.interpreter])),
        ...Object.fromEntries(Object.keys(runtimes.unavailable).map((id) => [id, 'unavailable (no Python venv configured)'])),
      },
      services: o.servicesEndpoint
        ? {
            endpoint: o.servicesEndpoint,
            server: o.servicesInfo ? `${o.servicesInfo.name} ${o.servicesInfo.version}` : 'unknown',
            services: o.servicesInfo?.services ?? [],
            routing: 'one endpoint: the Lambda API is answered by the target, every other request is forwarded unchanged',
            functionLogs: 'CloudWatch Logs of the services (group /aws/lambda/<name>, one stream per execution environment)',
            accounts: 'a 12-digit access key id selects that account; any other selects the target\'s',
            snsToLambda: 'delivered by the target after moto accepts Publish/PublishBatch: async invoke (retries apply), when the function policy allows sns.amazonaws.com',
          }
        : 'none (Lambda API and a read-only CloudWatch Logs subset only)',
    },
    flushLogs,
    async close() {
      // Pollers first: they stop taking records before the functions they invoke go away.
      await eventSourceMappings.close()
      await server.close()
      await registry.close()
      await shipper?.close()
      // A process a function started in a session of its own (setsid, a daemon) is outside its sandbox's process
      // group, so the group kill at teardown misses it: without this it outlived the target.
      await killProcessesUsing(path.join(workDir, 'sandboxes'))
      if (ownWorkDir) fs.rmSync(workDir, { recursive: true, force: true })
    },
  }
}
