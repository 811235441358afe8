/**
 * The default target: the kit's own local Lambda service (lib/embedded/), with moto's server behind the same
 * endpoint for the AWS services besides Lambda. Either extra (Python runtimes, moto) may be missing: the target still
 * starts, and says what is unavailable.
 */
import path from 'node:path'
import type { Config } from '../config.js'
import { resolveFromRoot } from '../config.js'
import { type EmbeddedTarget, startEmbeddedTarget } from '../embedded/index.js'
import { ensurePythonVenv, PythonVenvError } from '../embedded/python-venv.js'
import { type MotoServer, startServices } from '../services/moto.js'
import type { StartedTarget, StartOptions } from './start.js'
import type { TargetInfo } from './target.js'

/** The embedded target with its extras (Python venv, moto), as both `npm test` and `npm run serve` start it. */
export interface EmbeddedStack {
  target: EmbeddedTarget
  moto?: MotoServer
  servicesUnavailable?: string
  /** Closes the target, then stops moto. */
  close(): Promise<void>
}

export async function startEmbeddedStack(cfg: Config, o: { log?: (line: string) => void; port?: number } = {}): Promise<EmbeddedStack> {
  const say = o.log ?? (() => {})
  const cacheRoot = resolveFromRoot(cfg.cacheDir)
  const pythonVenv = await pythonVenvOrWarning(cacheRoot, say)
  const services = await servicesOrWarning(cacheRoot, say)
  const moto = 'moto' in services ? services.moto : undefined
  let target: EmbeddedTarget
  try {
    target = await startEmbeddedTarget({
      pythonVenv,
      servicesEndpoint: moto?.endpoint,
      servicesInfo: moto ? { name: 'moto', version: moto.version, services: moto.services } : undefined,
      region: cfg.region,
      port: o.port,
      workDir: cfg.workDir ? resolveFromRoot(cfg.workDir) : undefined,
      maxSandboxes: cfg.maxSandboxes,
      asyncRetryDelaysMs: cfg.asyncRetryDelaysMs.map(Number),
    })
  } catch (e) {
    await moto?.stop()
    throw e
  }
  return {
    target,
    moto,
    ...('reason' in services ? { servicesUnavailable: services.reason } : {}),
    close: async () => {
      try {
        await target.close()
      } finally {
        await moto?.stop()
      }
    },
  }
}

export async function startEmbedded(cfg: Config, o: StartOptions = {}): Promise<StartedTarget> {
  const say = o.log ?? (() => {})
  const stack = await startEmbeddedStack(cfg, { log: say })
  const { target: t, moto } = stack
  const info: TargetInfo = {
    name: 'embedded', endpoint: t.endpoint, region: t.region, accountId: t.accountId, roleArn: `arn:aws:iam::${t.accountId}:role/conformance`, details: t.details,
    services: moto !== undefined, ...(stack.servicesUnavailable ? { servicesUnavailable: stack.servicesUnavailable } : {}),
    namePrefix: 'glc-',
  }
  say(`embedded target listening on ${t.endpoint}${moto ? ` (with moto ${moto.version} behind the same endpoint for ${moto.services.join(', ')})` : ''}`)
  return {
    info,
    close: () => stack.close(),
  }
}

/**
 * The venv python3.* functions run in (cached under the cache dir). Without Python the target still starts, and
 * CreateFunction for python3.* says why it cannot run them.
 */
async function pythonVenvOrWarning(cacheRoot: string, say: (line: string) => void): Promise<string | undefined> {
  try {
    const venv = await ensurePythonVenv(cacheRoot, { log: say })
    if (venv.cached) say(`python venv: using cached ${path.relative(process.cwd(), venv.dir)} (Python ${venv.pythonVersion}, awslambdaric ${venv.awslambdaricVersion})`)
    return venv.dir
  } catch (e) {
    if (!(e instanceof PythonVenvError)) throw e
    say(`WARNING: python3.* runtimes are unavailable on the embedded target: ${e.message}`)
    return undefined
  }
}

/**
 * moto's server (cached venv under the cache dir) for the AWS services besides Lambda. Without it the run goes on:
 * the target answers Lambda and its own Logs subset, and tests that need the services skip with the reason.
 */
async function servicesOrWarning(cacheRoot: string, say: (line: string) => void): Promise<{ moto: MotoServer } | { reason: string }> {
  try {
    return { moto: await startServices(cacheRoot, { log: say }) }
  } catch (e) {
    const reason = `the local AWS services (moto) could not start: ${(e as Error).message}`
    say(`WARNING: ${reason}. The run goes on without them; tests that need SQS, SNS, DynamoDB, Kinesis, CloudWatch Logs, IAM or STS are skipped.`)
    return { reason }
  }
}
