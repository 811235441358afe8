/**
 * `npm run serve [-- --port N]`: builds every shim, then runs the embedded Lambda service on its own, so the
 * probes can be deployed and invoked by hand (AWS CLI, SDKs) or by `CONFORMANCE_ENDPOINT=… npm test` from another
 * terminal. Binds 127.0.0.1 only. Ctrl-C (SIGINT) or SIGTERM closes it, which kills every sandbox.
 *
 * stdout carries the connection block (with a line `Endpoint: http://127.0.0.1:PORT` for tools to parse);
 * build progress and diagnostics go to stderr.
 */
import net from 'node:net'
import { ConfigError, loadConfig, resolveFromRoot } from '../config.js'
import { type EmbeddedTarget, EMBEDDED_ACCOUNT_ID } from '../embedded/index.js'
import { buildShim } from '../shims/build.js'
import { discoverShims, type Shim } from '../shims/manifest.js'
import { type EmbeddedStack, startEmbeddedStack } from '../targets/embedded.js'

export const DEFAULT_PORT = 9777
const ROLE_ARN = `arn:aws:iam::${EMBEDDED_ACCOUNT_ID}:role/conformance`
/** How long a shutdown may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 8000

const USAGE = `usage: npm run serve [-- --port N] [--no-build]

  --port N     port on 127.0.0.1 to listen on (default ${DEFAULT_PORT}; 0 picks a free port)
  --no-build   do not build the shims first (no package paths are printed)

The configuration comes from CONFORMANCE_* variables (README.md, "Configuration"); serve uses
CONFORMANCE_REGION, CONFORMANCE_WORK_DIR, CONFORMANCE_MAX_SANDBOXES, CONFORMANCE_ASYNC_RETRY_DELAYS_MS,
CONFORMANCE_SHIMS and CONFORMANCE_CACHE_DIR.
`

interface Options {
  port: number
  build: boolean
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Options | 'help' {
  const o: Options = { port: DEFAULT_PORT, build: true }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--help' || a === '-h') return 'help'
    if (a === '--no-build') {
      o.build = false
      continue
    }
    const m = /^--port(?:=(.*))?$/.exec(a)
    if (m) {
      const v = m[1] ?? argv[++i]
      if (v === undefined || !/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`--port needs a number from 0 to 65535, got ${v === undefined ? 'nothing' : `"${v}"`}`)
      o.port = Number(v)
      continue
    }
    throw new UsageError(`unknown argument "${a}"`)
  }
  return o
}

const err = (line: string): void => void process.stderr.write(`[serve] ${line}\n`)

function portHelp(port: number, code: string | undefined): string {
  const what = code === 'EACCES' ? `is not allowed to listen on port ${port} (privileged port)` : `cannot listen on 127.0.0.1:${port}: the port is already in use (another \`npm run serve\`?)`
  return (
    `serve ${what}.\n` +
    `Start it on a free port chosen by the system:   npm run serve -- --port 0\n` +
    `or on another port of your choice:              npm run serve -- --port 9778\n` +
    (code === 'EACCES' ? '' : `(to see what holds the port: ss -ltnp 'sport = :${port}')\n`)
  )
}

/** Fails fast (before the possibly long shim builds) when the port is taken. The real bind happens later. */
function probePort(port: number): Promise<NodeJS.ErrnoException | undefined> {
  if (port === 0) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    const s = net.createServer()
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(undefined)))
  })
}

interface BuiltShim {
  shim: Shim
  zipPath?: string
  bytes?: number
  error?: string
}

async function buildAll(cfg: ReturnType<typeof loadConfig>): Promise<BuiltShim[]> {
  let shims: Shim[]
  try {
    shims = discoverShims(cfg)
  } catch (e) {
    err(`cannot load the shims: ${(e as Error).message}`)
    return []
  }
  const out: BuiltShim[] = []
  for (const shim of shims) {
    try {
      const b = await buildShim(shim, resolveFromRoot(cfg.cacheDir), err)
      if (b.cached) err(`shim ${shim.manifest.name}: using cached package`)
      out.push({ shim, zipPath: b.zipPath, bytes: b.bytes })
    } catch (e) {
      err(`shim ${shim.manifest.name}: ${(e as Error).message}`)
      out.push({ shim, error: (e as Error).message.split('\n')[0] })
    }
  }
  return out
}

/** The venv python3.* functions run in (cached); without Python, serve still runs the other runtimes. */
function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

function connectionBlock(t: EmbeddedTarget, built: BuiltShim[], ownWorkDir: boolean): string {
  const ep = t.endpoint
  const r = t.region
  const ok = built.filter((b) => b.zipPath)
  const example = ok.find((b) => b.shim.manifest.name === 'native') ?? ok[0]
  const zip = example?.zipPath ?? '/path/to/package.zip'
  const runtime = example?.shim.manifest.runtime ?? 'provided.al2023'
  const handler = example?.shim.manifest.handler ?? 'bootstrap'
  const fn = `probe-${example?.shim.manifest.name ?? 'native'}`
  const env = { ...(example?.shim.manifest.environment ?? {}), PROBE: 'dispatch' }
  const cliEnv = `Variables={${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(',')}}`
  const payload = JSON.stringify({ probe: 'echo', args: { hello: 'world' } })
  const L: string[] = []
  L.push('', 'go-lambda-conformance: embedded Lambda service', '')
  L.push(`Endpoint: ${ep}`)
  const services = t.details.services
  if (services && typeof services === 'object') {
    const s = services as { server: string; services: string[] }
    L.push(`Services endpoint: ${ep}   (the same endpoint: ${s.server} answers ${s.services.join(', ')}; Lambda is the target's own)`)
  } else {
    L.push('Services endpoint: none (moto did not start; see the messages above)')
  }
  L.push(`Region: ${r}`)
  L.push(`Account: ${t.accountId}`)
  L.push(`Role ARN: ${ROLE_ARN}   (any role ARN of account ${t.accountId} is accepted)`)
  L.push('Credentials: any (signatures are not checked); the examples use conformance/conformance')
  L.push(`Work dir: ${String(t.details.workDir ?? '')}${ownWorkDir ? ' (removed when serve stops)' : ''}`)
  L.push(`Sandbox /tmp: ${String(t.details.tmpIsolation ?? '')}`)
  L.push('Runtimes (what runs them here):')
  const byInterpreter = new Map<string, string[]>()
  for (const [id, what] of Object.entries(t.details.runtimes as Record<string, string>)) byInterpreter.set(what, [...(byInterpreter.get(what) ?? []), id])
  for (const [what, ids] of byInterpreter) L.push(`  ${ids.join(', ')}: ${what}`)
  L.push('')
  if (built.length > 0) {
    L.push('Shim packages (deploy with the runtime and handler shown; select a probe with PROBE, see go-handlers/README.md):')
    for (const b of built) {
      const m = b.shim.manifest
      if (b.zipPath) L.push(`  Package ${m.name}: ${b.zipPath}   (runtime ${m.runtime}, handler ${m.handler}, ${b.bytes} bytes)`)
      else L.push(`  Package ${m.name}: not built (${b.error ?? 'build failed'}); see the messages above`)
    }
  } else {
    L.push('Shim packages: none built (--no-build, or no shims could be loaded); `npm run build:shims` builds them.')
  }
  L.push('')
  L.push('AWS CLI (v2; with v1 leave out --cli-binary-format):')
  L.push(`  export AWS_ACCESS_KEY_ID=conformance AWS_SECRET_ACCESS_KEY=conformance AWS_DEFAULT_REGION=${r}`)
  L.push(`  aws --endpoint-url ${ep} lambda create-function --function-name ${fn} \\`)
  L.push(`    --runtime ${runtime} --handler ${handler} --role ${ROLE_ARN} \\`)
  L.push(`    --zip-file fileb://${shellQuote(zip)} --environment ${shellQuote(cliEnv)}`)
  L.push(`  aws --endpoint-url ${ep} lambda wait function-active-v2 --function-name ${fn}`)
  L.push(`  aws --endpoint-url ${ep} lambda invoke --function-name ${fn} \\`)
  L.push(`    --cli-binary-format raw-in-base64-out --payload ${shellQuote(payload)} out.json && cat out.json`)
  L.push(`  aws --endpoint-url ${ep} lambda delete-function --function-name ${fn}`)
  L.push('')
  L.push('@aws-sdk/client-lambda (Node.js, ESM; save as try.mjs and run node try.mjs):')
  L.push(`  import { readFileSync } from 'node:fs'`)
  L.push(`  import { CreateFunctionCommand, InvokeCommand, LambdaClient, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda'`)
  L.push(`  const lambda = new LambdaClient({ endpoint: '${ep}', region: '${r}', credentials: { accessKeyId: 'conformance', secretAccessKey: 'conformance' } })`)
  L.push(`  await lambda.send(new CreateFunctionCommand({ FunctionName: '${fn}', Runtime: '${runtime}', Handler: '${handler}', Role: '${ROLE_ARN}',`)
  L.push(`    Code: { ZipFile: readFileSync(${JSON.stringify(zip)}) }, Environment: { Variables: ${JSON.stringify(env)} } }))`)
  L.push(`  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 60 }, { FunctionName: '${fn}' })`)
  L.push(`  const out = await lambda.send(new InvokeCommand({ FunctionName: '${fn}', Payload: JSON.stringify({ probe: 'echo', args: { hello: 'world' } }) }))`)
  L.push(`  console.log(out.StatusCode, out.FunctionError ?? '', new TextDecoder().decode(out.Payload))`)
  L.push('')
  L.push('Run the conformance suites against this service from another terminal:')
  L.push(`  CONFORMANCE_ENDPOINT=${ep} CONFORMANCE_REGION=${r} npm test`)
  L.push('')
  L.push('Press Ctrl-C to stop (every function and its sandboxes are removed).')
  L.push('')
  return L.join('\n')
}

async function main(argv: string[]): Promise<number> {
  let o: Options | 'help'
  try {
    o = parseArgs(argv)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    process.stderr.write(`serve: ${e.message}\n\n${USAGE}`)
    return 2
  }
  if (o === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  let cfg
  try {
    cfg = loadConfig()
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e
    process.stderr.write(`serve: configuration error: ${e.message}\n`)
    return 1
  }
  if (cfg.endpoint !== '' || cfg.target !== 'embedded') {
    err(`note: serve always runs the embedded target; CONFORMANCE_TARGET=${cfg.target} and CONFORMANCE_ENDPOINT=${cfg.endpoint || '(empty)'} are ignored here`)
  }

  const busy = await probePort(o.port)
  if (busy) {
    process.stderr.write(portHelp(o.port, busy.code))
    return 1
  }

  const built = o.build ? await buildAll(cfg) : []
  let stack: EmbeddedStack
  try {
    stack = await startEmbeddedStack(cfg, { log: err, port: o.port })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      process.stderr.write(portHelp(o.port, code))
      return 1
    }
    throw e
  }
  const target = stack.target

  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      err(`${signal} again: exiting without waiting for the sandboxes to stop`)
      process.exit(1)
    }
    stopping = true
    err(`${signal}: stopping the service and its sandboxes`)
    const guard = setTimeout(() => {
      err(`shutdown took longer than ${SHUTDOWN_GRACE_MS / 1000} s; exiting anyway`)
      process.exit(1)
    }, SHUTDOWN_GRACE_MS)
    guard.unref()
    stack.close().then(
      () => {
        err('stopped')
        process.exit(0)
      },
      (e: unknown) => {
        err(`error while stopping: ${(e as Error).message}`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)

  process.stdout.write(connectionBlock(target, built, !cfg.workDir))
  err(`listening on ${target.endpoint}`)
  // The HTTP server keeps the process alive until a signal arrives.
  return -1
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code)
  },
  (e: unknown) => {
    process.stderr.write(`serve: ${(e as Error).stack ?? String(e)}\n`)
    process.exit(1)
  },
)
