/**
 * Lambda runtime identifiers the embedded target accepts, and how each starts inside a sandbox.
 *
 * - `provided.*` runs the package's `bootstrap`.
 * - `nodejs*` runs the kit's own Node.js runtime interface client (runtimes/node-ric.mjs) under the `node` that
 *   runs the kit, whatever version the runtime id names.
 * - `python3.*` runs AWS's `awslambdaric` (PyPI) under the Python of the venv made by python-venv.ts, whatever
 *   version the runtime id names. Without a venv these ids are known but unavailable (CreateFunction says why).
 *
 * Each spec's `interpreter` says what really stands in for the managed runtime, for the reports.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_MEMORY_MB } from '../lambda/protocol.js'
import { describePythonVenv, type PythonVenv } from './python-venv.js'

export interface LaunchSpec {
  command: string
  args: string[]
  /** Variables the runtime adds to Lambda's base environment; the function's own variables still win. */
  env?: Record<string, string>
}

export interface RuntimeSpec {
  id: string
  /** What INIT_START prints; the embedded target says so instead of imitating AWS's version numbers. */
  runtimeVersion: string
  /** What stands in locally for the managed runtime (shown in reports). */
  interpreter: string
  /** Returns how to start the runtime, or an entrypoint error message (Runtime.InvalidEntrypoint). */
  launch(taskDir: string, handler: string, memoryMb?: number): LaunchSpec | { error: string }
}

/** PATH of Lambda's environment (LB §1.1); managed runtimes put their interpreter's directory first (AWS: /var/lang/bin). */
export const LAMBDA_PATH = '/usr/local/bin:/usr/bin/:/bin:/opt/bin'

// ---------------------------------------------------------------- provided.*

const providedBootstrap = (taskDir: string): LaunchSpec | { error: string } => {
  const bootstrap = path.join(taskDir, 'bootstrap')
  try {
    const st = fs.statSync(bootstrap)
    if (!st.isFile()) throw new Error('not a file')
  } catch {
    // Lambda's wording names its own paths, not the sandbox's (LB §3.1).
    return { error: "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]" }
  }
  // No AWS_EXECUTION_ENV for OS-only runtimes (LB §1.1).
  return { command: bootstrap, args: [] }
}

const provided = (id: string, label: string): RuntimeSpec => ({
  id,
  runtimeVersion: `${label}.embedded`,
  interpreter: 'none (the package bootstrap runs as a host process)',
  launch: providedBootstrap,
})

// ---------------------------------------------------------------- nodejs*

export const NODE_RIC = fileURLToPath(new URL('./runtimes/node-ric.mjs', import.meta.url))
export const NODE_RUNTIME_IDS = ['nodejs18.x', 'nodejs20.x', 'nodejs22.x'] as const

/**
 * As AWS's /var/runtime/bootstrap of the nodejs images starts node: `--expose-gc --max-http-header-size 81920`, and
 * the heap sized from the memory setting (a tenth for the young generation, half of that per semi-space).
 */
const nodejs = (id: string): RuntimeSpec => {
  const major = /^nodejs(\d+)\.x$/.exec(id)![1]!
  return {
    id,
    runtimeVersion: `nodejs:${major}.embedded`,
    interpreter: `node ${process.version} (${process.execPath}, the kit's lib/embedded/runtimes/node-ric.mjs)`,
    launch: (taskDir, handler, memoryMb = DEFAULT_MEMORY_MB) => ({
      command: process.execPath,
      args: [
        '--expose-gc', '--max-http-header-size', '81920',
        `--max-semi-space-size=${Math.floor(Math.floor(memoryMb / 10) / 2)}`, `--max-old-space-size=${memoryMb - Math.floor(memoryMb / 10)}`,
        NODE_RIC, handler,
      ],
      env: {
        AWS_EXECUTION_ENV: `AWS_Lambda_${id}`,
        PATH: `${path.dirname(process.execPath)}:${LAMBDA_PATH}`,
        // Lambda's NODE_PATH, with the task directory in place of /var/task.
        NODE_PATH: `/opt/nodejs/node${major}/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:${taskDir}`,
      },
    }),
  }
}

// ---------------------------------------------------------------- python3.*

export const PYTHON_RUNTIME_IDS = ['python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13'] as const

const python = (id: string, venv: PythonVenv): RuntimeSpec => ({
  id,
  runtimeVersion: `python:${id.slice('python'.length)}.embedded`,
  interpreter: `Python ${venv.pythonVersion} + awslambdaric ${venv.awslambdaricVersion} (venv ${venv.dir})`,
  launch: (taskDir, handler) => ({
    command: venv.python,
    args: ['-m', 'awslambdaric', handler],
    env: {
      AWS_EXECUTION_ENV: `AWS_Lambda_${id}`,
      PATH: `${path.join(venv.dir, 'bin')}:${LAMBDA_PATH}`,
      // AWS's bootstrap.py puts LAMBDA_TASK_ROOT first on sys.path; here the task directory is the working
      // directory, which `-m` puts first, and PYTHONPATH. (AWS sets PYTHONPATH=/var/runtime, for child processes.)
      PYTHONPATH: taskDir,
      // awslambdaric makes stdout and stderr unbuffered itself; this covers output written before it does.
      PYTHONUNBUFFERED: '1',
    },
  }),
})

// ---------------------------------------------------------------- the table

/** Runtimes that need no configuration: provided.* and nodejs*. */
export const RUNTIMES: Record<string, RuntimeSpec> = {
  'provided.al2023': provided('provided.al2023', 'provided:al2023'),
  'provided.al2': provided('provided.al2', 'provided:al2'),
  provided: provided('provided', 'provided:al1'),
  ...Object.fromEntries(NODE_RUNTIME_IDS.map((id) => [id, nodejs(id)])),
}

export interface RuntimeTable {
  specs: Record<string, RuntimeSpec>
  /** Runtime ids the target knows but cannot run as configured, with what to do about it. */
  unavailable: Record<string, string>
}

/** The runtimes of one target. `pythonVenv`: a venv with awslambdaric (python-venv.ts); without it python3.* is unavailable. */
export function runtimeTable(o: { pythonVenv?: string } = {}): RuntimeTable {
  const specs: Record<string, RuntimeSpec> = { ...RUNTIMES }
  const unavailable: Record<string, string> = {}
  if (o.pythonVenv) {
    const venv = describePythonVenv(o.pythonVenv)
    for (const id of PYTHON_RUNTIME_IDS) specs[id] = python(id, venv)
  } else {
    for (const id of PYTHON_RUNTIME_IDS) {
      unavailable[id] =
        `The runtime ${id} is not enabled on this embedded target: it runs python3.* functions under awslambdaric in a Python venv, and none was configured. ` +
        'npm test and npm run serve create it (ensurePythonVenv in lib/embedded/python-venv.ts, which needs python3 with the venv module: apt-get install python3 python3-venv); ' +
        'when starting the target yourself, pass its directory as startEmbeddedTarget({ pythonVenv }).'
    }
  }
  return { specs, unavailable }
}

/** Runtimes Lambda has deprecated for creation; named so the error says what to do instead. */
export const DEPRECATED_RUNTIMES = new Set(['go1.x', 'nodejs', 'nodejs4.3', 'nodejs6.10', 'nodejs8.10', 'nodejs10.x', 'nodejs12.x', 'python2.7', 'python3.6', 'python3.7', 'dotnetcore1.0', 'dotnetcore2.0', 'dotnetcore2.1', 'ruby2.5'])
