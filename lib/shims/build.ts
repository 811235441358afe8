/**
 * Builds a shim's deployment package once per content: the cache key hashes the manifest, the build inputs and
 * the Go toolchain version, so a fresh clone builds and every later run reuses the zip.
 */
import { execFileSync, spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { hostSecretValues, REPO_ROOT } from '../config.js'
import { zipDirectory } from '../embedded/zip.js'
import { MANIFEST_FILE, type Shim, ShimError } from './manifest.js'

export const GO_HANDLERS_DIR = path.join(REPO_ROOT, 'go-handlers')

export interface BuiltArtifact {
  zipPath: string
  sha256: string
  bytes: number
  cached: boolean
  durationMs: number
}

const SKIP_DIRS = new Set(['.git', 'node_modules', '.cache', 'output'])

function hashTree(h: crypto.Hash, root: string, rel = ''): void {
  const abs = path.join(root, rel)
  const st = fs.statSync(abs)
  if (st.isFile()) {
    h.update(`f:${rel}:${st.mode & 0o111 ? 'x' : '-'}\n`)
    h.update(fs.readFileSync(abs))
    return
  }
  for (const name of fs.readdirSync(abs).sort()) {
    if (SKIP_DIRS.has(name)) continue
    const r = rel ? `${rel}/${name}` : name
    const s = fs.lstatSync(path.join(root, r))
    if (s.isDirectory()) hashTree(h, root, r)
    else if (s.isFile()) hashTree(h, root, r)
  }
}

let goVersion: string | undefined
function toolchainVersion(): string {
  if (goVersion === undefined) {
    try {
      goVersion = execFileSync('go', ['env', 'GOVERSION'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
    } catch {
      goVersion = 'no-go'
    }
  }
  return goVersion
}

function resolveInput(shim: Shim, input: string): string {
  const expanded = input.replace(/^\$GO_HANDLERS|^\$\{GO_HANDLERS\}/, GO_HANDLERS_DIR)
  return path.isAbsolute(expanded) ? expanded : path.join(shim.folder, expanded)
}

export function cacheKey(shim: Shim): string {
  const h = crypto.createHash('sha256')
  h.update(fs.readFileSync(path.join(shim.folder, MANIFEST_FILE)))
  h.update(`go:${toolchainVersion()}\n`)
  for (const input of shim.manifest.build.inputs) {
    const abs = resolveInput(shim, input)
    if (!fs.existsSync(abs)) throw new ShimError(`shim ${shim.manifest.name}: build input "${input}" (${abs}) does not exist`)
    h.update(`input:${input}\n`)
    hashTree(h, abs)
  }
  return h.digest('hex').slice(0, 24)
}

/** The build's environment: the host's (builds need PATH, HOME, Go caches) minus its AWS secrets. */
function buildEnv(shim: Shim, out: string): NodeJS.ProcessEnv {
  const secrets = new Set(hostSecretValues())
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !secrets.has(v) && !k.startsWith('AWS_')) env[k] = v
  return { ...env, ...shim.manifest.build.env, OUT: out, GO_HANDLERS: GO_HANDLERS_DIR, SHIM_DIR: shim.folder, KIT_ROOT: REPO_ROOT }
}

export async function buildShim(shim: Shim, cacheRoot: string, log: (line: string) => void = () => {}): Promise<BuiltArtifact> {
  const started = performance.now()
  const key = cacheKey(shim)
  const dir = path.resolve(cacheRoot, 'shims', shim.manifest.name, key)
  const zipPath = path.join(dir, 'package.zip')
  if (fs.existsSync(zipPath)) {
    const data = fs.readFileSync(zipPath)
    return { zipPath, sha256: sha256(data), bytes: data.length, cached: true, durationMs: performance.now() - started }
  }
  const work = `${dir}.tmp-${process.pid}`
  fs.rmSync(work, { recursive: true, force: true })
  const out = path.join(work, 'out')
  fs.mkdirSync(out, { recursive: true })
  log(`building shim ${shim.manifest.name}: ${shim.manifest.build.command}`)
  const output: Buffer[] = []
  const code = await new Promise<number>((resolve, reject) => {
    const p = spawn('/bin/sh', ['-c', shim.manifest.build.command], { cwd: shim.folder, env: buildEnv(shim, out), stdio: ['ignore', 'pipe', 'pipe'] })
    p.stdout.on('data', (c: Buffer) => output.push(c))
    p.stderr.on('data', (c: Buffer) => output.push(c))
    p.on('error', reject)
    p.on('exit', (c) => resolve(c ?? 1))
  })
  if (code !== 0) {
    fs.rmSync(work, { recursive: true, force: true })
    throw new ShimError(`building shim ${shim.manifest.name} failed (exit ${code}) in ${shim.folder}:\n${Buffer.concat(output).toString().trim()}\nFix the build command in ${MANIFEST_FILE}, or run it by hand with OUT, GO_HANDLERS and SHIM_DIR set.`)
  }
  const artifact = path.join(out, shim.manifest.artifact)
  if (!fs.existsSync(artifact)) {
    fs.rmSync(work, { recursive: true, force: true })
    throw new ShimError(`shim ${shim.manifest.name}: the build succeeded but did not produce its artifact "${shim.manifest.artifact}" under $OUT`)
  }
  const data = fs.statSync(artifact).isDirectory() ? await zipDirectory(artifact) : fs.readFileSync(artifact)
  fs.writeFileSync(path.join(work, 'package.zip'), data)
  fs.rmSync(out, { recursive: true, force: true })
  try {
    fs.renameSync(work, dir)
  } catch (e) {
    // Another run built the same content at the same time; its package is as good as ours.
    fs.rmSync(work, { recursive: true, force: true })
    if (!fs.existsSync(zipPath)) throw e
  }
  const durationMs = performance.now() - started
  log(`built shim ${shim.manifest.name} in ${(durationMs / 1000).toFixed(1)} s (${data.length} bytes)`)
  return { zipPath, sha256: sha256(data), bytes: data.length, cached: false, durationMs }
}

function sha256(b: Buffer): string {
  return crypto.createHash('sha256').update(b).digest('hex')
}
