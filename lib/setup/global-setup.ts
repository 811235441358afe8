/**
 * Runs once per `npm test`: reads the configuration, builds every shim (cached by content), starts the target,
 * and hands both to the test workers (vitest provide/inject) and to the reporters (run-context file).
 */
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { ConfigError, effectiveConfig, loadConfig, resolveFromRoot } from '../config.js'
import { writeRunContext } from '../results/run-context.js'
import { buildShim } from '../shims/build.js'
import { discoverShims } from '../shims/manifest.js'
import { startTarget } from '../targets/start.js'
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

  const started = await startTarget(cfg, { log: say })
  const target: TargetInfo = started.info

  project.provide('target', target)
  project.provide('shims', shims)
  project.provide('config', cfg)
  writeRunContext(cfg, {
    startedAt: new Date().toISOString(),
    target: { name: target.name, endpoint: target.endpoint, details: { region: target.region, accountId: target.accountId, ...target.details, ...(target.unavailable ? { unavailable: target.unavailable } : {}) } },
    shims: shims.map((s) => ({
      name: s.name, description: s.description, runtime: s.runtime, handler: s.handler, capabilities: s.capabilities,
      folder: path.relative(resolveFromRoot('.'), s.folder).startsWith('..') ? s.folder : path.relative(resolveFromRoot('.'), s.folder),
      artifact: { file: path.basename(s.zipPath), sha256: s.sha256, bytes: s.bytes },
    })),
  })
  return started.close
}
