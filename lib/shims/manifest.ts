/**
 * A shim is a folder with a `shim.yaml` manifest (contract: shims/README.md). Shims outside the repository
 * plug in the same way through CONFORMANCE_SHIMS.
 */
import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { type Config, REPO_ROOT } from '../config.js'
import { CAPABILITIES, type Capability, isCapability } from './capabilities.js'

export const MANIFEST_FILE = 'shim.yaml'
export const EXPECTATIONS_FILE = 'expectations.yaml'
export const SHIMS_DIR = path.join(REPO_ROOT, 'shims')

export interface ShimManifest {
  name: string
  description: string
  /** Lambda runtime identifier the package is deployed with, e.g. provided.al2023. */
  runtime: string
  handler: string
  architectures: string[]
  build: {
    /** Shell command run in the shim folder; it writes into $OUT. */
    command: string
    env: Record<string, string>
    /** Paths whose content decides whether a cached build is still good ($GO_HANDLERS, or relative to the shim folder). */
    inputs: string[]
  }
  /** Path under $OUT: a directory the kit zips, or a .zip file used as is. */
  artifact: string
  capabilities: Capability[]
  /** Environment variables every function of this shim gets (besides the probe selection). */
  environment: Record<string, string>
}

/**
 * A known departure of a shim from the expected behaviour, on one target (LocalStack's skip-with-reason).
 * `fail`: it fails every time. `intermittent`: a race in the shim's own design makes it fail sometimes (wpt's
 * `[PASS, FAIL]`); a pass is then a pass, not an unexpected pass.
 */
export interface Expectation {
  expected: 'fail' | 'intermittent'
  reason: string
}

export interface Shim {
  manifest: ShimManifest
  folder: string
  /** behaviour id -> expectation, per target name. */
  expectations: Record<string, Record<string, Expectation>>
}

export class ShimError extends Error {
  override name = 'ShimError'
}

const NAME = /^[a-z0-9][a-z0-9-]{0,30}$/

/** Validates a parsed manifest; every problem is reported at once with the file it came from. */
export function parseManifest(raw: unknown, file: string): ShimManifest {
  const problems: string[] = []
  const o = (raw ?? {}) as Record<string, unknown>
  const str = (k: string, required = true): string => {
    const v = o[k]
    if (typeof v === 'string' && v.trim() !== '') return v
    if (required) problems.push(`"${k}" must be a non-empty string`)
    return ''
  }
  const name = str('name')
  if (name && !NAME.test(name)) problems.push(`"name" must match ${NAME.source} (it is used in function names)`)
  const build = (o.build ?? {}) as Record<string, unknown>
  if (typeof build.command !== 'string' || build.command.trim() === '') problems.push('"build.command" must be a shell command')
  const caps = Array.isArray(o.capabilities) ? (o.capabilities as unknown[]) : []
  if (!Array.isArray(o.capabilities)) problems.push('"capabilities" must be a list (it may be empty)')
  for (const c of caps) {
    if (typeof c !== 'string' || !isCapability(c)) problems.push(`unknown capability "${String(c)}"; known: ${Object.keys(CAPABILITIES).join(', ')}`)
  }
  const stringMap = (v: unknown, key: string): Record<string, string> => {
    if (v === undefined) return {}
    if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
      problems.push(`"${key}" must be a map of strings`)
      return {}
    }
    return v as Record<string, string>
  }
  const manifest: ShimManifest = {
    name,
    description: str('description'),
    runtime: str('runtime'),
    handler: str('handler'),
    architectures: Array.isArray(o.architectures) ? (o.architectures as string[]) : ['x86_64'],
    build: {
      command: typeof build.command === 'string' ? build.command : '',
      env: stringMap(build.env, 'build.env'),
      inputs: Array.isArray(build.inputs) ? (build.inputs as string[]) : ['.'],
    },
    artifact: str('artifact'),
    capabilities: caps.filter((c): c is Capability => typeof c === 'string' && isCapability(c)),
    environment: stringMap(o.environment, 'environment'),
  }
  if (problems.length > 0) throw new ShimError(`${file} is not a valid shim manifest:\n  - ${problems.join('\n  - ')}\nSee shims/README.md for the format.`)
  return manifest
}

function parseExpectations(file: string): Shim['expectations'] {
  if (!fs.existsSync(file)) return {}
  const raw = (YAML.parse(fs.readFileSync(file, 'utf8')) ?? {}) as Record<string, Record<string, Expectation>>
  for (const [target, entries] of Object.entries(raw)) {
    for (const [id, e] of Object.entries(entries ?? {})) {
      if ((e?.expected !== 'fail' && e?.expected !== 'intermittent') || typeof e.reason !== 'string' || e.reason.trim() === '') {
        throw new ShimError(`${file}: ${target}.${id} needs "expected: fail" (or "intermittent") and a non-empty "reason" (cite the source)`)
      }
    }
  }
  return raw
}

export function loadShim(folder: string): Shim {
  const file = path.join(folder, MANIFEST_FILE)
  if (!fs.existsSync(file)) throw new ShimError(`${folder} has no ${MANIFEST_FILE}; a shim is a folder with a manifest (see shims/README.md)`)
  let raw: unknown
  try {
    raw = YAML.parse(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    throw new ShimError(`${file} is not valid YAML: ${(e as Error).message}`)
  }
  return { manifest: parseManifest(raw, file), folder: path.resolve(folder), expectations: parseExpectations(path.join(folder, EXPECTATIONS_FILE)) }
}

/** The shims named by CONFORMANCE_SHIMS (folder names under shims/ or paths), or every shim in shims/. */
export function discoverShims(cfg: Config): Shim[] {
  const entries = cfg.shims.length > 0
    ? cfg.shims
    : fs.readdirSync(SHIMS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory() && fs.existsSync(path.join(SHIMS_DIR, d.name, MANIFEST_FILE))).map((d) => d.name).sort()
  const shims = entries.map((e) => {
    const folder = e.includes('/') || e.startsWith('.') ? path.resolve(e) : path.join(SHIMS_DIR, e)
    if (!fs.existsSync(folder)) throw new ShimError(`CONFORMANCE_SHIMS names "${e}", but ${folder} does not exist; use a folder name under shims/ or a path to a shim folder`)
    return loadShim(folder)
  })
  const seen = new Set<string>()
  for (const s of shims) {
    if (seen.has(s.manifest.name)) throw new ShimError(`two shims are named "${s.manifest.name}"; shim names must be unique`)
    seen.add(s.manifest.name)
  }
  return shims
}
