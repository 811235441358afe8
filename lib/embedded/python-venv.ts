/**
 * The Python virtual environments the kit builds from pinned requirements files: the one the embedded target runs
 * `python3.*` functions in (AWS's runtime interface client `awslambdaric`, pinned with its dependencies in
 * runtimes/requirements.txt), and the one the local AWS services run in (moto, lib/services/requirements.txt).
 *
 * `ensureVenv` creates each once (`python3 -m venv`, then the venv's pip installs the pinned wheels) under
 * `<cache dir>/<folder>/<key>`, where the key hashes the requirements file and the interpreter (version,
 * implementation, machine, executable). Later calls find it there. Concurrent callers (two runs starting at once)
 * wait on a lock directory instead of building twice.
 */
import { spawn, spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REQUIREMENTS_FILE = fileURLToPath(new URL('./runtimes/requirements.txt', import.meta.url))
/** Written last, so a directory without it is an interrupted build. */
const MARKER = '.glc-venv.json'
/** Bump when the way the venv is made changes, so old caches are not reused. */
const RECIPE = 'venv+pip --only-binary=:all: v1'
const STEP_TIMEOUT_MS = 5 * 60_000
const LOCK_WAIT_MS = 10 * 60_000

export interface PythonVenv {
  /** The venv directory. */
  dir: string
  /** `<dir>/bin/python`, the interpreter functions run under. */
  python: string
  /** e.g. `3.11.7`. */
  pythonVersion: string
  /** e.g. `4.2.2`. */
  awslambdaricVersion: string
}

export interface EnsuredPythonVenv extends PythonVenv {
  cached: boolean
  durationMs: number
}

export class PythonVenvError extends Error {}

const INSTALL_HINT = 'Install Python 3 with its venv module (Debian/Ubuntu: apt-get install python3 python3-venv), or put a python3 that has it first on PATH.'

interface BasePython {
  executable: string
  version: string
  cacheTag: string
  machine: string
}

/** Asks the base interpreter who it is and whether it can make venvs with pip. */
function probeBasePython(python: string, purpose: string): BasePython {
  const code = [
    'import sys, platform',
    'print(sys.executable); print(platform.python_version()); print(sys.implementation.cache_tag); print(platform.machine())',
    'import venv, ensurepip',
  ].join('\n')
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 60_000 })
  if (r.error) {
    const e = r.error as NodeJS.ErrnoException
    throw new PythonVenvError(e.code === 'ENOENT' ? `"${python}" was not found on PATH. ${purpose} ${INSTALL_HINT}` : `cannot run "${python}": ${e.message}`)
  }
  const [executable, version, cacheTag, machine] = r.stdout.split('\n').map((l) => l.trim())
  if (!executable || !version || !cacheTag) throw new PythonVenvError(`"${python}" did not answer as a Python 3 interpreter (exit ${r.status}): ${r.stderr.trim() || r.stdout.trim()}. ${INSTALL_HINT}`)
  if (r.status !== 0) {
    throw new PythonVenvError(`Python ${version} (${executable}) cannot create virtual environments with pip: ${lastLine(r.stderr)}. ${INSTALL_HINT}`)
  }
  return { executable, version, cacheTag, machine: machine ?? '' }
}

function venvKey(base: BasePython, requirements: Buffer): string {
  const h = crypto.createHash('sha256')
  h.update(`${RECIPE}\n${base.executable}\n${base.version}\n${base.cacheTag}\n${base.machine}\n`)
  h.update(requirements)
  return `${base.cacheTag}-${h.digest('hex').slice(0, 16)}`
}

/**
 * A venv the kit builds from a pinned requirements file. Each spec gets its own cache folder, so the packages of
 * one (moto, say) are never importable from another (the venv python3.* functions run in).
 */
export interface VenvSpec {
  /** Folder under the cache dir, e.g. `python-venv`. */
  cacheFolder: string
  /** Prefix of progress lines, e.g. `python venv`. */
  label: string
  requirementsFile: string
  /** Modules that must import in the new venv. */
  imports: string[]
  /** Distributions whose installed versions are recorded (and returned as `versions`). */
  distributions: string[]
  /** What the venv is for, in the error when no Python can make it. */
  purpose: string
}

export interface EnsuredVenv {
  dir: string
  python: string
  pythonVersion: string
  /** Installed version of each of the spec's distributions. */
  versions: Record<string, string>
  cached: boolean
  durationMs: number
}

/** The venv python3.* functions run in: awslambdaric and nothing else. */
export const PYTHON_RUNTIME_VENV: VenvSpec = {
  cacheFolder: 'python-venv',
  label: 'python venv',
  requirementsFile: REQUIREMENTS_FILE,
  imports: ['awslambdaric'],
  distributions: ['awslambdaric'],
  purpose: 'The embedded target runs python3.* functions under awslambdaric in a venv.',
}

/** Creates (or finds) the venv python3.* functions run in. `log` gets progress lines like the shim builds print. */
export async function ensurePythonVenv(cacheRoot: string, o: { python?: string; log?: (line: string) => void } = {}): Promise<EnsuredPythonVenv> {
  const v = await ensureVenv(cacheRoot, PYTHON_RUNTIME_VENV, o)
  return { ...describePythonVenv(v.dir), cached: v.cached, durationMs: v.durationMs }
}

/**
 * Creates (or finds) a venv from `spec`: `python3 -m venv`, then the venv's pip installs the pinned wheels, under
 * `<cache dir>/<spec.cacheFolder>/<key>`, the key hashing the requirements file and the interpreter.
 */
export async function ensureVenv(cacheRoot: string, spec: VenvSpec, o: { python?: string; log?: (line: string) => void } = {}): Promise<EnsuredVenv> {
  const started = performance.now()
  const log = o.log ?? (() => {})
  const base = probeBasePython(o.python ?? 'python3', spec.purpose)
  const requirements = fs.readFileSync(spec.requirementsFile)
  const dir = path.resolve(cacheRoot, spec.cacheFolder, venvKey(base, requirements))
  const done = (cached: boolean): EnsuredVenv => ({ ...readMarker(dir), cached, durationMs: performance.now() - started })

  if (isComplete(dir)) return done(true)
  fs.mkdirSync(path.dirname(dir), { recursive: true })
  const release = await acquireLock(`${dir}.lock`, log, spec.label)
  try {
    // Someone else may have finished it while we waited for the lock.
    if (isComplete(dir)) return done(true)
    fs.rmSync(dir, { recursive: true, force: true })
    const env = pipEnv()
    log(`${spec.label}: creating ${dir} with Python ${base.version} (${base.executable} -m venv)`)
    await run(base.executable, ['-m', 'venv', dir], env, `creating the venv failed. ${INSTALL_HINT}`)
    const python = path.join(dir, 'bin', 'python')
    const pins = requirementLines(requirements)
    log(`${spec.label}: installing ${pins.length > 8 ? `${pins.slice(0, 3).join(' ')} and ${pins.length - 3} pinned dependencies` : pins.join(' ')} (pip, wheels only)`)
    await run(python, ['-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '--only-binary=:all:', '-r', spec.requirementsFile], env,
      `pip could not install ${path.relative(process.cwd(), spec.requirementsFile)}: it needs PyPI (or an index set with PIP_INDEX_URL) and wheels for Python ${base.version} on ${base.machine}`)
    const code = [
      'import importlib, importlib.metadata as m, json',
      ...spec.imports.map((i) => `importlib.import_module(${JSON.stringify(i)})`),
      `print(json.dumps({d: m.version(d) for d in ${JSON.stringify(spec.distributions)}}))`,
    ].join('\n')
    const check = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 120_000 })
    if (check.status !== 0) throw new PythonVenvError(`${spec.imports.join(', ')} does not import in the new venv ${dir}: ${lastLine(check.stderr)}`)
    const versions = JSON.parse(check.stdout.trim()) as Record<string, string>
    fs.writeFileSync(path.join(dir, MARKER), JSON.stringify({ pythonVersion: base.version, ...flatVersions(versions), versions, basePython: base.executable, requirements: pins, createdAt: new Date().toISOString() }, null, 2) + '\n')
    const result = done(false)
    log(`${spec.label}: ready in ${(result.durationMs / 1000).toFixed(1)} s (Python ${result.pythonVersion}, ${Object.entries(versions).map(([d, v]) => `${d} ${v}`).join(', ')})`)
    return result
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw e
  } finally {
    release()
  }
}

/** `awslambdaric` → `awslambdaricVersion`: the marker field describePythonVenv has always read. */
function flatVersions(versions: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(versions).filter(([d]) => /^[a-z]+$/.test(d)).map(([d, v]) => [`${d}Version`, v]))
}

function readMarker(dir: string): Omit<EnsuredVenv, 'cached' | 'durationMs'> {
  const m = JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8')) as { pythonVersion: string; versions?: Record<string, string>; awslambdaricVersion?: string }
  // Markers written before `versions` existed record awslambdaric only.
  const versions = m.versions ?? (m.awslambdaricVersion ? { awslambdaric: m.awslambdaricVersion } : {})
  return { dir, python: path.join(dir, 'bin', 'python'), pythonVersion: m.pythonVersion, versions }
}

function isComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, MARKER)) && fs.existsSync(path.join(dir, 'bin', 'python'))
}

/**
 * What a venv holds: from the marker `ensurePythonVenv` writes, or for any other venv from `pyvenv.cfg` and the
 * installed awslambdaric's metadata. Throws PythonVenvError if `dir` is not a venv with awslambdaric.
 */
export function describePythonVenv(dir: string): PythonVenv {
  const python = path.join(dir, 'bin', 'python')
  if (!fs.existsSync(python)) throw new PythonVenvError(`${dir} is not a Python virtual environment (no bin/python)`)
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8')) as { pythonVersion: string; awslambdaricVersion: string }
    return { dir, python, pythonVersion: m.pythonVersion, awslambdaricVersion: m.awslambdaricVersion }
  } catch {
    // Not made by ensurePythonVenv: read what the venv itself records.
  }
  let pythonVersion = ''
  try {
    pythonVersion = /^version(?:_info)?\s*=\s*(\S+)/m.exec(fs.readFileSync(path.join(dir, 'pyvenv.cfg'), 'utf8'))?.[1] ?? ''
  } catch {
    throw new PythonVenvError(`${dir} is not a Python virtual environment (no pyvenv.cfg)`)
  }
  let awslambdaricVersion = ''
  for (const lib of fs.readdirSync(path.join(dir, 'lib'), { withFileTypes: true })) {
    const site = path.join(dir, 'lib', lib.name, 'site-packages')
    if (!lib.isDirectory() || !fs.existsSync(site)) continue
    const dist = fs.readdirSync(site).find((f) => /^awslambdaric-[^-]+\.dist-info$/.test(f))
    if (dist) awslambdaricVersion = dist.slice('awslambdaric-'.length, -'.dist-info'.length)
  }
  if (!awslambdaricVersion) throw new PythonVenvError(`the virtual environment ${dir} has no awslambdaric installed`)
  return { dir, python, pythonVersion, awslambdaricVersion }
}

function requirementLines(text: Buffer): string[] {
  return text.toString('utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
}

/** The host environment (pip needs its proxy and index settings) without AWS credentials. */
function pipEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v
  return { ...env, PIP_NO_INPUT: '1' }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, failure: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const output: Buffer[] = []
    const p = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    const timer = setTimeout(() => p.kill('SIGKILL'), STEP_TIMEOUT_MS)
    p.stdout.on('data', (c: Buffer) => output.push(c))
    p.stderr.on('data', (c: Buffer) => output.push(c))
    p.on('error', (e) => {
      clearTimeout(timer)
      reject(new PythonVenvError(`${failure}\n${command}: ${e.message}`))
    })
    p.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) return resolve()
      const how = signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` after ${STEP_TIMEOUT_MS / 1000} s` : ''}` : `exit ${code}`
      const text = Buffer.concat(output).toString().trim().split('\n').slice(-25).join('\n')
      reject(new PythonVenvError(`${failure} (${how}).\n$ ${[command, ...args].join(' ')}\n${text}`))
    })
  })
}

/** A lock directory holding the owner's pid; a lock whose owner is gone is taken over. */
async function acquireLock(lock: string, log: (line: string) => void, label: string): Promise<() => void> {
  const deadline = Date.now() + LOCK_WAIT_MS
  let said = false
  for (;;) {
    try {
      fs.mkdirSync(lock)
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid))
      return () => fs.rmSync(lock, { recursive: true, force: true })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    const owner = Number(readOr(path.join(lock, 'pid'), ''))
    if (owner > 0 && !alive(owner)) {
      fs.rmSync(lock, { recursive: true, force: true })
      continue
    }
    if (Date.now() > deadline) throw new PythonVenvError(`waited ${LOCK_WAIT_MS / 1000} s for another process (pid ${owner || '?'}) to finish the ${label}; remove ${lock} if no such process runs`)
    if (!said) log(`${label}: waiting for process ${owner || '?'} that is creating it`)
    said = true
    await new Promise((r) => setTimeout(r, 250))
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return fallback
  }
}

function lastLine(s: string): string {
  return s.trim().split('\n').at(-1) ?? ''
}
