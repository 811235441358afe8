/**
 * `npm run build:shims`: builds the package of every configured shim (CONFORMANCE_SHIMS, default every folder in
 * shims/), reusing the content-addressed cache, and prints one line per shim: name, package path, bytes and
 * whether it was built now or taken from the cache. Build output goes to stderr; exits 1 if any shim failed.
 */
import path from 'node:path'
import { ConfigError, loadConfig, resolveFromRoot } from '../config.js'
import { buildShim } from '../shims/build.js'
import { discoverShims, type Shim, ShimError } from '../shims/manifest.js'

const USAGE = `usage: npm run build:shims

Builds every shim named by CONFORMANCE_SHIMS (empty: every folder in shims/) into CONFORMANCE_CACHE_DIR
(default .cache), reusing packages whose inputs have not changed.
`

interface Row {
  name: string
  zipPath: string
  bytes: string
  state: string
  seconds: string
}

function table(rows: Row[]): string {
  const head: Row = { name: 'shim', zipPath: 'package', bytes: 'bytes', state: 'state', seconds: 'seconds' }
  const all = [head, ...rows]
  const w = (k: keyof Row): number => Math.max(...all.map((r) => r[k].length))
  return all
    .map((r) => [r.name.padEnd(w('name')), r.zipPath.padEnd(w('zipPath')), r.bytes.padStart(w('bytes')), r.state.padEnd(w('state')), r.seconds.padStart(w('seconds'))].join('  ').trimEnd())
    .join('\n')
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE)
    return 0
  }
  if (argv.length > 0) {
    process.stderr.write(`build:shims: unknown argument "${argv[0]}"\n\n${USAGE}`)
    return 2
  }
  let shims: Shim[]
  let cacheRoot: string
  try {
    const cfg = loadConfig()
    cacheRoot = resolveFromRoot(cfg.cacheDir)
    shims = discoverShims(cfg)
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ShimError) {
      process.stderr.write(`build:shims: ${e.message}\n`)
      return 1
    }
    throw e
  }
  if (shims.length === 0) {
    process.stderr.write('build:shims: no shims found (no folder with a shim.yaml under shims/, and CONFORMANCE_SHIMS is empty)\n')
    return 1
  }
  const rows: Row[] = []
  let failed = 0
  for (const shim of shims) {
    const name = shim.manifest.name
    try {
      const b = await buildShim(shim, cacheRoot, (line) => void process.stderr.write(`[build:shims] ${line}\n`))
      const rel = path.relative(process.cwd(), b.zipPath)
      rows.push({ name, zipPath: rel.startsWith('..') ? b.zipPath : rel, bytes: String(b.bytes), state: b.cached ? 'cached' : 'built', seconds: (b.durationMs / 1000).toFixed(1) })
    } catch (e) {
      failed++
      process.stderr.write(`build:shims: ${(e as Error).message}\n`)
      rows.push({ name, zipPath: '-', bytes: '-', state: 'FAILED', seconds: '-' })
    }
  }
  process.stdout.write(`${table(rows)}\n`)
  if (failed > 0) process.stderr.write(`build:shims: ${failed} of ${shims.length} shim(s) failed to build; see the messages above\n`)
  return failed > 0 ? 1 : 0
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    process.stderr.write(`build:shims: ${(e as Error).stack ?? String(e)}\n`)
    process.exitCode = 1
  },
)
