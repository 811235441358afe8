/**
 * Runs once per `npm test`: reads the configuration, builds every shim (cached by content), starts the target,
 * and hands both to the test workers (vitest provide/inject) and to the reporters (run-context file).
 */
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { ConfigError, effectiveConfig, loadConfig, resolveFromRoot } from '../config.js'
import { startEmbeddedTarget } from '../embedded/index.js'
import { ensurePythonVenv, PythonVenvError } from '../embedded/python-venv.js'
import { type MotoServer, startServices } from '../services/moto.js'
import { writeRunContext } from '../results/run-context.js'
import { buildShim } from '../shims/build.js'
import { discoverShims } from '../shims/manifest.js'
import type { ShimInfo, TargetInfo } from '../targets/target.js'
import { kitInfo } from '../kit-info.js'

const say = (line: string): void => void process.stderr.write(`[conformance] ${line}\n`)

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let cfg
  try {
    cfg = loadConfig()
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(`configuration error: ${e.message}`)
    throw e
  }
  const kit = kitInfo()
  say(`${kit.name} ${kit.version}${kit.commit ? ` (${kit.commit.slice(0, 12)})` : ''}; configuration: ${JSON.stringify(effectiveConfig(cfg))}`)

  const shims: ShimInfo[] = []
  for (const shim of discoverShims(cfg)) {
    const built = await buildShim(shim, resolveFromRoot(cfg.cacheDir), say)
    if (built.cached) say(`shim ${shim.manifest.name}: using cached package ${path.relative(process.cwd(), built.zipPath)}`)
    const m = shim.manifest
    shims.push({
      name: m.name, description: m.description, runtime: m.runtime, handler: m.handler, architectures: m.architectures, capabilities: m.capabilities,
      environment: m.environment, folder: shim.folder, zipPath: built.zipPath, sha256: built.sha256, bytes: built.bytes,
      expectations: shim.expectations,
    })
  }

  let close = async (): Promise<void> => {}
  let target: TargetInfo
  if (cfg.endpoint) {
    target = { name: cfg.target === 'embedded' ? 'endpoint' : cfg.target, endpoint: cfg.endpoint, region: cfg.region, accountId: '000000000000', roleArn: 'arn:aws:iam::000000000000:role/conformance', details: { note: 'a Lambda API started outside this run' } }
  } else {
    const pythonVenv = await pythonVenvOrWarning(resolveFromRoot(cfg.cacheDir))
    const services = await servicesOrWarning(resolveFromRoot(cfg.cacheDir))
    const moto = 'moto' in services ? services.moto : undefined
    let t
    try {
      t = await startEmbeddedTarget({
        pythonVenv,
        servicesEndpoint: moto?.endpoint,
        servicesInfo: moto ? { name: 'moto', version: moto.version, services: moto.services } : undefined,
      region: cfg.region,
      workDir: cfg.workDir ? resolveFromRoot(cfg.workDir) : undefined,
      maxSandboxes: cfg.maxSandboxes,
      asyncRetryDelaysMs: cfg.asyncRetryDelaysMs.map(Number),
      })
    } catch (e) {
      await moto?.stop()
      throw e
    }
    const started = t
    close = async () => {
      try {
        await started.close()
      } finally {
        await moto?.stop()
      }
    }
    target = {
      name: 'embedded', endpoint: t.endpoint, region: t.region, accountId: t.accountId, roleArn: `arn:aws:iam::${t.accountId}:role/conformance`, details: t.details,
      services: moto !== undefined, ...('reason' in services ? { servicesUnavailable: services.reason } : {}),
    }
    say(`embedded target listening on ${t.endpoint}${moto ? ` (with moto ${moto.version} behind the same endpoint for ${moto.services.join(', ')})` : ''}`)
  }

  project.provide('target', target)
  project.provide('shims', shims)
  project.provide('config', cfg)
  writeRunContext(cfg, {
    startedAt: new Date().toISOString(),
    target: { name: target.name, endpoint: target.endpoint, details: { region: target.region, accountId: target.accountId, ...target.details } },
    shims: shims.map((s) => ({
      name: s.name, description: s.description, runtime: s.runtime, handler: s.handler, capabilities: s.capabilities,
      folder: path.relative(resolveFromRoot('.'), s.folder).startsWith('..') ? s.folder : path.relative(resolveFromRoot('.'), s.folder),
      artifact: { file: path.basename(s.zipPath), sha256: s.sha256, bytes: s.bytes },
    })),
  })
  return close
}

/**
 * The venv python3.* functions run in (cached under the cache dir). Without Python the target still starts, and
 * CreateFunction for python3.* says why it cannot run them.
 */
async function pythonVenvOrWarning(cacheRoot: string): Promise<string | undefined> {
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
async function servicesOrWarning(cacheRoot: string): Promise<{ moto: MotoServer } | { reason: string }> {
  try {
    return { moto: await startServices(cacheRoot, { log: say }) }
  } catch (e) {
    const reason = `the local AWS services (moto) could not start: ${(e as Error).message}`
    say(`WARNING: ${reason}. The run goes on without them; tests that need SQS, SNS, DynamoDB, Kinesis, CloudWatch Logs, IAM or STS are skipped.`)
    return { reason }
  }
}
