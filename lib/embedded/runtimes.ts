/**
 * Lambda runtime identifiers the embedded target accepts, and how each starts inside a sandbox.
 * `provided.*` runs the package's `bootstrap`; interpreted runtimes arrive with the shims issue (#3).
 */
import fs from 'node:fs'
import path from 'node:path'

export interface LaunchSpec {
  command: string
  args: string[]
}

export interface RuntimeSpec {
  id: string
  /** What INIT_START prints; the embedded target says so instead of imitating AWS's version numbers. */
  runtimeVersion: string
  /** What stands in locally for the managed runtime (shown in reports). */
  interpreter: string
  /** Returns how to start the runtime, or an entrypoint error message (Runtime.InvalidEntrypoint). */
  launch(taskDir: string, handler: string): LaunchSpec | { error: string }
}

const providedBootstrap = (taskDir: string): LaunchSpec | { error: string } => {
  const bootstrap = path.join(taskDir, 'bootstrap')
  try {
    const st = fs.statSync(bootstrap)
    if (!st.isFile()) throw new Error('not a file')
  } catch {
    // Lambda's wording names its own paths, not the sandbox's (LB §3.1).
    return { error: "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]" }
  }
  return { command: bootstrap, args: [] }
}

const provided = (id: string, label: string): RuntimeSpec => ({
  id,
  runtimeVersion: `${label}.embedded`,
  interpreter: 'none (the package bootstrap runs as a host process)',
  launch: providedBootstrap,
})

export const RUNTIMES: Record<string, RuntimeSpec> = {
  'provided.al2023': provided('provided.al2023', 'provided:al2023'),
  'provided.al2': provided('provided.al2', 'provided:al2'),
  provided: provided('provided', 'provided:al1'),
}

/** Runtimes Lambda has deprecated for creation; named so the error says what to do instead. */
export const DEPRECATED_RUNTIMES = new Set(['go1.x', 'nodejs', 'nodejs4.3', 'nodejs6.10', 'nodejs8.10', 'nodejs10.x', 'nodejs12.x', 'python2.7', 'python3.6', 'python3.7', 'dotnetcore1.0', 'dotnetcore2.0', 'dotnetcore2.1', 'ruby2.5'])
