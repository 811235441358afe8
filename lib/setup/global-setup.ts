/**
 * Runs once per `npm test`: reads the configuration, builds every shim (cached by content), starts the target,
 * and hands both to the test workers (vitest provide/inject) and to the reporters (run-context file).
 */
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { ConfigError, effectiveConfig, loadConfig, resolveFromRoot } from '../config.js'
import { startEmbeddedTarget } from '../embedded/index.js'
import { ensurePythonVenv, PythonVenvError } from '../embedded/python-venv.js'
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
    const t = await startEmbeddedTarget({
      pythonVenv,
      region: cfg.region,
      workDir: cfg.workDir ? resolveFromRoot(cfg.workDir) : undefined,
      maxSandboxes: cfg.maxSandboxes,
      asyncRetryDelaysMs: cfg.asyncRetryDelaysMs.map(Number),
    })
    close = () => t.close()
    target = { name: 'embedded', endpoint: t.endpoint, region: t.region, accountId: t.accountId, roleArn: `arn:aws:iam::${t.accountId}:role/conformance`, details: t.details }
    say(`embedded target listening on ${t.endpoint}`)
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
