/**
 * `npm run bench`: how fast the embedded target (lib/embedded/) itself is, for the native echo probe, against
 *   floor  the same Go binary answering plain HTTP (nothing can be faster), and
 *   rie    AWS's Runtime Interface Emulator running that binary.
 * One keep-alive Node `http` client measures all three, in small interleaved rounds in random order, so machine
 * noise hits them alike. It reports warm latency (HdrHistogram, µs, distribution-free CIs), throughput at
 * concurrency 1 and 4, native cold starts, and the target's resident memory across many invocations, checks
 * each against its target (PASS/MISS), prints a table and writes output/bench.json. A benchmark, never a test.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig, resolveFromRoot } from '../lib/config.js'
import { INVOKE_HEADERS, parseReportLine, reportNumber } from '../lib/lambda/protocol.js'
import { callJson, type Endpoint, post } from './client.js'
import { childPids, type CpuGroups, CpuMeter, type CpuPerInvoke, pidsWithExeUnder } from './cpu.js'
import { topSelfTime } from './cpuprofile.js'
import { ci, fixed, int, mb, ms, Progress, table } from './format.js'
import { type LatencySummary, medianWithCi, ratio, Samples } from './stats.js'
import { type EmbeddedChild, ensureRie, nativeBootstrap, RIE_VERSION, type RunningSystem, rssBytes, startEmbeddedChild, startFloor, startRie } from './systems.js'

const USAGE = `usage: npm run bench [-- options]

  --invocations N       warm latency samples per system (default 10000; --quick 1000)
  --round N             invocations per system per interleaved round (default 50)
  --warmup N            unmeasured invocations per system first (default 500; --quick 100)
  --throughput-ms N     length of one throughput slice (default 2000; --quick 1000)
  --throughput-slices N slices per system and concurrency, interleaved (default 3; --quick 1)
  --cold N              forced cold starts on the embedded target (default 50; --quick 10)
  --rss-invocations N   invocations between the two RSS readings (default 100000; --quick 3000)
  --rss-fill N          invocations before the first RSS reading (default 20000: fills the
                        function's log stream to the log store's 50,000-line bound; --quick 500)
  --quick               small sizes everywhere: a smoke run of under a minute
  --no-rie              leave out the Runtime Interface Emulator
  --cpu-prof            profile the embedded target's process (node --cpu-prof) into <output>/bench-profile/
  --out FILE            JSON output (default <output dir>/bench.json)
  -h, --help            this text
`

interface Options {
  invocations: number
  round: number
  warmup: number
  throughputMs: number
  throughputSlices: number
  cold: number
  rssInvocations: number
  rssFill: number
  quick: boolean
  rie: boolean
  cpuProf: boolean
  out?: string
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Options | 'help' {
  const quick = argv.includes('--quick')
  const o: Options = {
    invocations: quick ? 1000 : 10_000,
    round: 50,
    warmup: quick ? 100 : 500,
    throughputMs: quick ? 1000 : 2000,
    throughputSlices: quick ? 1 : 3,
    cold: quick ? 10 : 50,
    rssInvocations: quick ? 3000 : 100_000,
    rssFill: quick ? 500 : 20_000,
    quick,
    rie: true,
    cpuProf: false,
  }
  const numeric: Record<string, keyof Options> = {
    '--invocations': 'invocations', '--round': 'round', '--warmup': 'warmup', '--throughput-ms': 'throughputMs',
    '--throughput-slices': 'throughputSlices', '--cold': 'cold', '--rss-invocations': 'rssInvocations', '--rss-fill': 'rssFill',
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-h' || a === '--help') return 'help'
    if (a === '--quick') continue
    if (a === '--no-rie') {
      o.rie = false
      continue
    }
    if (a === '--cpu-prof') {
      o.cpuProf = true
      continue
    }
    const [flag, inline] = a.split('=', 2) as [string, string | undefined]
    if (flag === '--out') {
      o.out = inline ?? argv[++i]
      if (!o.out) throw new UsageError('--out needs a file name')
      continue
    }
    const key = numeric[flag]
    if (!key) throw new UsageError(`unknown argument "${a}"`)
    const v = inline ?? argv[++i]
    if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`${flag} needs a whole number, got ${v === undefined ? 'nothing' : `"${v}"`}`)
    ;(o as unknown as Record<string, number>)[key] = Number(v)
  }
  if (o.invocations < 1 || o.round < 1 || o.throughputMs < 1 || o.throughputSlices < 1) throw new UsageError('--invocations, --round, --throughput-ms and --throughput-slices must be at least 1')
  return o
}

const say = (line: string): void => void process.stderr.write(`[bench] ${line}\n`)
const sleep = (msec: number): Promise<void> => new Promise((r) => setTimeout(r, msec))

function shuffle<T>(a: T[]): T[] {
  const out = [...a]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const PAYLOAD = Buffer.from('{"n":1}')
const ROLE = 'arn:aws:iam::000000000000:role/bench'
const API = '/2015-03-31/functions'

interface System {
  name: 'embedded' | 'floor' | 'rie'
  endpoint: Endpoint
  /** Its processes, for CPU accounting (absent for the functions the cold-start and RSS phases create). */
  cpu?: () => CpuGroups
}

/** One invoke; throws unless it is a 200 echoing the payload byte for byte (and no function error). */
async function invokeOnce(s: System, body = PAYLOAD): Promise<{ ms: number; requestId?: string }> {
  const t0 = performance.now()
  const a = await post(s.endpoint, body)
  const elapsed = performance.now() - t0
  const functionError = a.headers[INVOKE_HEADERS.functionError]
  if (a.status !== 200 || !a.body.equals(body) || functionError !== undefined) {
    throw new Error(`${s.name}: invoke answered HTTP ${a.status}${functionError ? ` (function error ${String(functionError)})` : ''}: ${a.body.toString('utf8').slice(0, 300)}`)
  }
  const rid = a.headers[INVOKE_HEADERS.requestId]
  return { ms: elapsed, requestId: typeof rid === 'string' ? rid : undefined }
}

/** `concurrency` workers invoking back to back until `count` invokes are done or `forMs` has passed. */
async function closedLoop(s: System, concurrency: number, until: { count?: number; forMs?: number }, o: { record?: Samples; progress?: Progress } = {}): Promise<{ count: number; elapsedMs: number }> {
  let issued = 0
  let done = 0
  const started = performance.now()
  const stopAt = until.forMs !== undefined ? started + until.forMs : Infinity
  const more = (): boolean => (until.count === undefined || issued < until.count) && performance.now() < stopAt
  const worker = async (): Promise<void> => {
    while (more()) {
      issued++
      const r = await invokeOnce(s)
      o.record?.recordMs(r.ms)
      done++
      o.progress?.add()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { count: done, elapsedMs: performance.now() - started }
}

// ------------------------------------------------------------------ embedded target control plane

function fnEndpoint(base: Endpoint, p: string): Endpoint {
  return { ...base, path: p }
}

async function createFunction(base: Endpoint, name: string, zip: Buffer, env: Record<string, string>): Promise<Endpoint> {
  await callJson('POST', fnEndpoint(base, API), {
    FunctionName: name, Runtime: 'provided.al2023', Role: ROLE, Handler: 'bootstrap', Code: { ZipFile: zip.toString('base64') }, Environment: { Variables: env },
  })
  await waitUpdated(base, name)
  return fnEndpoint(base, `${API}/${name}/invocations`)
}

async function waitUpdated(base: Endpoint, name: string): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const c = (await callJson('GET', fnEndpoint(base, `${API}/${name}/configuration`))) as { State?: string; LastUpdateStatus?: string }
    if (c.State === 'Active' && c.LastUpdateStatus === 'Successful') return
    if (Date.now() > deadline) throw new Error(`${name} did not become Active/Successful`)
    await sleep(2)
  }
}

/** REPORT lines of a log group by request id (from the target's CloudWatch Logs subset). */
async function reportLines(base: Endpoint, group: string): Promise<Map<string, Record<string, string>>> {
  const out = (await callJson('POST', fnEndpoint(base, '/'), { logGroupName: group, filterPattern: 'REPORT' }, {
    'x-amz-target': 'Logs_20140328.FilterLogEvents', 'content-type': 'application/x-amz-json-1.1',
  })) as { events: { message: string }[] }
  const byId = new Map<string, Record<string, string>>()
  for (const e of out.events) {
    const r = parseReportLine(e.message)
    if (r?.RequestId) byId.set(r.RequestId, r)
  }
  return byId
}


// ------------------------------------------------------------------ phases

async function latencyPhase(systems: System[], o: Options): Promise<Map<string, Samples>> {
  const samples = new Map(systems.map((s) => [s.name, new Samples()]))
  const progress = new Progress('warm latency, interleaved', o.invocations * systems.length)
  let round = 0
  for (;;) {
    const pending = systems.filter((s) => samples.get(s.name)!.count < o.invocations)
    if (pending.length === 0) break
    round++
    for (const s of shuffle(pending)) {
      const rec = samples.get(s.name)!
      const k = Math.min(o.round, o.invocations - rec.count)
      for (let i = 0; i < k; i++) {
        rec.recordMs((await invokeOnce(s)).ms)
        progress.add()
      }
    }
  }
  progress.finish()
  say(`warm latency: ${round} rounds of up to ${o.round} per system`)
  return samples
}

interface Throughput {
  invocations: number
  seconds: number
  perSecond: number
  /** CPU µs per invocation (ms per 1,000) of the client, the emulator and the function processes. */
  cpuUsPerInvoke: CpuPerInvoke
}

async function throughputPhase(systems: System[], concurrency: number, o: Options): Promise<Map<string, Throughput>> {
  const acc = new Map(systems.map((s) => [s.name, { invocations: 0, ms: 0, cpu: new CpuMeter(s.cpu ?? (() => ({ emulator: [], function: [] }))) }]))
  for (let slice = 0; slice < o.throughputSlices; slice++) {
    for (const s of shuffle(systems)) {
      const a = acc.get(s.name)!
      const before = a.cpu.start()
      const r = await closedLoop(s, concurrency, { forMs: o.throughputMs })
      a.cpu.stop(before, r.count)
      a.invocations += r.count
      a.ms += r.elapsedMs
      say(`throughput c=${concurrency} ${s.name}, slice ${slice + 1}/${o.throughputSlices}: ${int(r.count / (r.elapsedMs / 1000))}/s`)
    }
  }
  return new Map([...acc].map(([k, v]) => [k, { invocations: v.invocations, seconds: v.ms / 1000, perSecond: v.invocations / (v.ms / 1000), cpuUsPerInvoke: v.cpu.perInvoke() }]))
}

interface ColdStarts {
  n: number
  /** Sandbox spawn to first response, on the target's clock: REPORT Init Duration + Duration. */
  spawnToResponseMs: number[]
  initDurationMs: number[]
  /** The client's round trip of the first invoke of a new environment. */
  clientMs: number[]
}

async function coldPhase(base: Endpoint, zip: Buffer, o: Options): Promise<ColdStarts> {
  const name = 'bench-cold'
  const system: System = { name: 'embedded', endpoint: await createFunction(base, name, zip, { PROBE: 'echo' }) }
  const requestIds: string[] = []
  const clientMs: number[] = []
  const progress = new Progress('cold starts', o.cold, 2000)
  // The first is unmeasured: the first spawn of the run pays for cold disk caches and unoptimised JS.
  for (let i = -1; i < o.cold; i++) {
    // A configuration change retires the function's environments (as on AWS), so the next invoke starts a new one.
    await callJson('PUT', fnEndpoint(base, `${API}/${name}/configuration`), { Environment: { Variables: { PROBE: 'echo', BENCH_GENERATION: String(i + 1) } } })
    await waitUpdated(base, name)
    // Let the retired environment's teardown (kill, directory removal) finish first.
    await sleep(100)
    const r = await invokeOnce(system)
    if (i < 0) continue
    clientMs.push(r.ms)
    if (!r.requestId) throw new Error('the embedded target sent no x-amzn-requestid')
    requestIds.push(r.requestId)
    progress.add()
  }
  progress.finish()
  await sleep(200)
  const reports = await reportLines(base, `/aws/lambda/${name}`)
  const spawnToResponseMs: number[] = []
  const initDurationMs: number[] = []
  for (const id of requestIds) {
    const r = reports.get(id)
    const init = reportNumber(r, 'Init Duration') ?? NaN
    if (!r || !Number.isFinite(init)) throw new Error(`no REPORT with Init Duration for cold invoke ${id}`)
    initDurationMs.push(init)
    spawnToResponseMs.push(init + (reportNumber(r, 'Duration') ?? NaN))
  }
  await callJson('DELETE', fnEndpoint(base, `${API}/${name}`))
  return { n: clientMs.length, spawnToResponseMs, initDurationMs, clientMs }
}

interface RssPoint {
  afterInvocations: number
  rssBytes: number
  logEvents: number
  logChars: number
}

async function rssPhase(child: EmbeddedChild, base: Endpoint, zip: Buffer, o: Options): Promise<{ points: RssPoint[]; gcExposed: boolean; invokesPerSecond: number }> {
  const name = 'bench-rss'
  const system: System = { name: 'embedded', endpoint: await createFunction(base, name, zip, { PROBE: 'echo' }) }
  const group = `/aws/lambda/${name}`
  let total = 0
  let gcExposed = false
  const points: RssPoint[] = []
  const read = async (): Promise<void> => {
    gcExposed = (await child.call('gc')).gc === true
    await sleep(300)
    const logs = await child.call('logStats', [group])
    points.push({ afterInvocations: total, rssBytes: rssBytes(child.pid), logEvents: logs.events, logChars: logs.chars })
    say(`embedded target RSS after ${int(total)} invocations: ${mb(points.at(-1)!.rssBytes)} MB (log store: ${int(logs.events)} lines of this function)`)
  }
  const run = async (n: number, label: string): Promise<number> => {
    const progress = new Progress(label, n)
    const r = await closedLoop(system, 1, { count: n }, { progress })
    progress.finish()
    total += r.count
    return r.count / (r.elapsedMs / 1000)
  }
  const warm = Math.min(1000, o.rssFill)
  await run(warm, 'RSS warm-up')
  await read()
  if (o.rssFill > warm) {
    await run(o.rssFill - warm, 'RSS log-store fill')
    await read()
  }
  const rate = await run(o.rssInvocations, 'RSS run')
  await read()
  return { points, gcExposed, invokesPerSecond: rate }
}

// ------------------------------------------------------------------ report

interface Check {
  ok: boolean
  what: string
  detail: string
}

function check(ok: boolean, what: string, detail: string): Check {
  return { ok, what, detail }
}

function commandOutput(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
  } catch {
    return 'unknown'
  }
}

/**
 * The profile of the embedded target's main thread from this run, summarised (the whole run: start-up, every
 * phase, shutdown). tsx's loader thread writes a profile of its own; the main thread's is the busiest.
 */
function printProfile(dir: string, since: number): void {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).mtimeMs >= since)
  const read = files.map((f) => ({ file: f, ...topSelfTime(f, 20) })).sort((a, b) => b.busyMs - a.busyMs)
  const p = read[0]
  if (!p) {
    say(`no .cpuprofile in ${dir} from this run (the embedded target's process did not exit normally?)`)
    return
  }
  const lines = [`embedded target CPU profile ${p.file} (open it in Chrome DevTools for call trees)`, `  busy ${int(p.busyMs)} ms, idle ${int(p.idleMs)} ms; self time by function, share of busy time:`]
  lines.push(table(p.rows.map((r) => [int(r.ms), `${fixed(r.share * 100, 1)} %`, r.frame]), 'rrl', '    '))
  process.stdout.write(`\n${lines.join('\n')}\n`)
}

async function main(argv: string[]): Promise<number> {
  let o: Options | 'help'
  try {
    o = parseArgs(argv)
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bench: ${e.message}\n\n${USAGE}`)
      return 2
    }
    throw e
  }
  if (o === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  const cfg = loadConfig()
  const cacheRoot = resolveFromRoot(cfg.cacheDir)
  const outputDir = resolveFromRoot(cfg.outputDir)
  const outFile = path.resolve(o.out ?? path.join(outputDir, 'bench.json'))
  const profDir = path.join(outputDir, 'bench-profile')
  const startedAt = new Date()

  const { bootstrap, zip } = await nativeBootstrap(cacheRoot, say)
  const rieBin = o.rie ? await ensureRie(cacheRoot, say) : undefined

  const running: { stop(): Promise<void> }[] = []
  const stopAll = async (): Promise<void> => {
    for (const r of running.reverse()) await r.stop().catch(() => {})
  }
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)))
  try {
    if (o.cpuProf) fs.mkdirSync(profDir, { recursive: true })
    const child = await startEmbeddedChild({ cpuProfDir: o.cpuProf ? profDir : undefined })
    running.push(child)
    const base: Endpoint = { host: '127.0.0.1', port: Number(new URL(child.endpoint).port), path: '/' }
    say(`embedded target (pid ${child.pid}) on ${child.endpoint}`)
    const floor: RunningSystem = await startFloor(bootstrap)
    running.push(floor)
    say(`floor: ${bootstrap} serving plain HTTP on 127.0.0.1:${floor.endpoint.port}`)
    let rie: RunningSystem | undefined
    if (rieBin) {
      rie = await startRie(rieBin, bootstrap)
      running.push(rie)
      say(`rie: aws-lambda-rie ${RIE_VERSION} on 127.0.0.1:${rie.endpoint.port}`)
    }
    const workDir = String(child.details.workDir ?? '')
    const systems: System[] = [
      {
        name: 'embedded',
        endpoint: await createFunction(base, 'bench-echo', zip, { PROBE: 'echo' }),
        cpu: () => ({ emulator: [child.pid], function: workDir ? pidsWithExeUnder(workDir) : [] }),
      },
      { name: 'floor', endpoint: floor.endpoint, cpu: () => ({ emulator: [], function: [floor.pid] }) },
      ...(rie ? [{ name: 'rie' as const, endpoint: rie.endpoint, cpu: () => ({ emulator: [rie.pid], function: childPids(rie.pid) }) }] : []),
    ]
    const sys = (n: System['name']): System | undefined => systems.find((s) => s.name === n)

    say(`warm-up: ${o.warmup} invocations per system`)
    for (const s of systems) await closedLoop(s, 1, { count: o.warmup })
    const latency = await latencyPhase(systems, o)

    const tp1 = await throughputPhase(systems, 1, o)
    const c4 = systems.filter((s) => s.name !== 'rie')
    // The embedded target needs four environments for four concurrent invokes: start them unmeasured.
    await closedLoop(sys('embedded')!, 4, { count: Math.max(200, o.warmup) })
    const tp4 = await throughputPhase(c4, 4, o)

    say(`cold starts: ${o.cold} new environments of a native function (configuration change before each)`)
    const cold = await coldPhase(base, zip, o)
    const rss = await rssPhase(child, base, zip, o)

    // ---------------------------------------------------------------- numbers
    const lat: Record<string, LatencySummary> = Object.fromEntries([...latency].map(([k, v]) => [k, v.summary()]))
    const e = lat.embedded!
    const f = lat.floor!
    const r = lat.rie
    const ratios = {
      embeddedToFloor: { p50: ratio(e.p50Us, f.p50Us, e.p50CiUs, f.p50CiUs), p99: ratio(e.p99Us, f.p99Us, e.p99CiUs, f.p99CiUs) },
      ...(r ? { embeddedToRie: { p50: ratio(e.p50Us, r.p50Us, e.p50CiUs, r.p50CiUs), p99: ratio(e.p99Us, r.p99Us, e.p99CiUs, r.p99CiUs) } } : {}),
    }
    const coldSpawn = medianWithCi(cold.spawnToResponseMs)
    const coldInit = medianWithCi(cold.initDurationMs)
    const coldClient = medianWithCi(cold.clientMs)
    const rssFirst = rss.points.at(-2)!
    const rssLast = rss.points.at(-1)!
    const rssGrowth = rssLast.rssBytes - rssFirst.rssBytes
    const emb4 = tp4.get('embedded')!.perSecond

    const checks: Check[] = [
      check(e.p50Us <= 2 * f.p50Us, 'warm p50 at most 2x the floor', `embedded ${ms(e.p50Us)} ms vs 2 x floor ${ms(2 * f.p50Us)} ms (ratio ${fixed(ratios.embeddedToFloor.p50.ratio)})`),
      ...(r ? [check(e.p50Us <= r.p50Us, 'warm p50 no slower than the RIE', `embedded ${ms(e.p50Us)} ms vs rie ${ms(r.p50Us)} ms (ratio ${fixed(e.p50Us / r.p50Us)})`)] : []),
      check(emb4 >= 2000, '>= 2,000 invocations/s at concurrency 4', `embedded ${int(emb4)}/s`),
      check(coldSpawn.median < 20, 'native cold start < 20 ms p50 (spawn -> first response)', `p50 ${fixed(coldSpawn.median)} ms over ${cold.n}${cold.n < 30 ? ' (n < 30: indicative only)' : ''}`),
      check(rssGrowth < 10 * 1024 * 1024, `RSS growth < 10 MB over ${int(o.rssInvocations)} invocations`, `${rssGrowth >= 0 ? '+' : ''}${mb(rssGrowth)} MB (${mb(rssFirst.rssBytes)} -> ${mb(rssLast.rssBytes)} MB)${o.rssInvocations < 100_000 ? ' (fewer than 100,000: indicative only)' : ''}`),
    ]

    // ---------------------------------------------------------------- table
    const lines: string[] = []
    lines.push(`emulator speed — native echo probe (aws-lambda-go), payload ${PAYLOAD.toString()} (${PAYLOAD.length} bytes), one keep-alive node:http client`)
    lines.push(`${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}, ${commandOutput('go', ['env', 'GOVERSION'])}, ${o.quick ? 'QUICK run (smoke sizes)' : 'default sizes'}`)
    lines.push('')
    lines.push(`warm invoke round trip, ms (interleaved rounds of ${o.round}, random order; 95 % CIs from order statistics)`)
    lines.push(table([
      ['system', 'n', 'p50', 'p50 CI', 'p90', 'p99', 'p99 CI', 'p99.9', 'max', 'mean'],
      ...systems.map((s) => {
        const x = lat[s.name]!
        return [s.name, int(x.n), ms(x.p50Us), ci(x.p50CiUs, ms), ms(x.p90Us), ms(x.p99Us), ci(x.p99CiUs, ms), ms(x.p999Us), ms(x.maxUs), ms(x.meanUs)]
      }),
    ]))
    lines.push('')
    lines.push('ratios (CI: from the two CIs, >= 90 % joint coverage)')
    lines.push(table([
      ['', 'p50', 'p50 CI', 'p99', 'p99 CI'],
      ['embedded/floor', fixed(ratios.embeddedToFloor.p50.ratio), ci(ratios.embeddedToFloor.p50.ci, fixed), fixed(ratios.embeddedToFloor.p99.ratio), ci(ratios.embeddedToFloor.p99.ci, fixed)],
      ...('embeddedToRie' in ratios && ratios.embeddedToRie
        ? [['embedded/rie', fixed(ratios.embeddedToRie.p50.ratio), ci(ratios.embeddedToRie.p50.ci, fixed), fixed(ratios.embeddedToRie.p99.ratio), ci(ratios.embeddedToRie.p99.ci, fixed)]]
        : []),
    ]))
    lines.push('')
    lines.push(`throughput, invocations/s (closed loop, ${o.throughputSlices} interleaved slices of ${o.throughputMs} ms per system)`)
    lines.push(table([
      ['system', 'c=1', 'c=4'],
      ...systems.map((s) => [s.name, int(tp1.get(s.name)!.perSecond), s.name === 'rie' ? 'N/A (one invocation at a time; a concurrent one gets 400)' : int(tp4.get(s.name)!.perSecond)]),
    ], 'lrl'))
    lines.push('')
    lines.push(`CPU per invocation during the throughput slices, µs (utime+stime; ${os.cpus().length} CPUs bound throughput at ${os.cpus().length},000,000 / total)`)
    const cpuRow = (name: string, c: number, t: Throughput | undefined): string[] => {
      const u = t?.cpuUsPerInvoke
      return u ? [name, `c=${c}`, int(u.client), int(u.emulator), int(u.function), int(u.total), int((os.cpus().length * 1e6) / u.total)] : [name, `c=${c}`, 'N/A', '', '', '', '']
    }
    lines.push(table([
      ['system', '', 'client', 'emulator', 'function', 'total', 'CPU-bound /s'],
      ...systems.flatMap((s) => [cpuRow(s.name, 1, tp1.get(s.name)), ...(s.name === 'rie' ? [] : [cpuRow(s.name, 4, tp4.get(s.name))])]),
    ]))
    lines.push('')
    lines.push(`cold start, native, new execution environment (n=${cold.n}, forced by a configuration change), ms`)
    const coldRow = (label: string, v: number[], m: { median: number; ci: [number, number] | null }): string[] => {
      const sorted = [...v].sort((a, b) => a - b)
      return [label, fixed(m.median), ci(m.ci, (x) => fixed(x)), fixed(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))] ?? NaN), fixed(sorted.at(-1) ?? NaN)]
    }
    lines.push(table([
      ['', 'p50', 'p50 CI', 'p90', 'max'],
      coldRow('spawn -> first response (REPORT Init Duration + Duration)', cold.spawnToResponseMs, coldSpawn),
      coldRow('  of which Init Duration (spawn -> first /next)', cold.initDurationMs, coldInit),
      coldRow('client round trip of the first invoke', cold.clientMs, coldClient),
    ]))
    lines.push('')
    lines.push(`embedded target RSS (its own process, VmRSS of /proc/${child.pid}/status after a full GC${rss.gcExposed ? '' : ' — gc() NOT exposed'}; sandboxes are separate processes)`)
    lines.push(table([
      ['after invocations', 'RSS MB', 'log lines kept (this function)'],
      ...rss.points.map((p) => [int(p.afterInvocations), mb(p.rssBytes), int(p.logEvents)]),
      ['growth over the last ' + int(o.rssInvocations), `${rssGrowth >= 0 ? '+' : ''}${mb(rssGrowth)}`, `at ${int(rss.invokesPerSecond)} invocations/s, c=1`],
    ], 'lrr'))
    lines.push('')
    lines.push('targets')
    lines.push(table(checks.map((c) => [c.ok ? 'PASS' : 'MISS', c.what, c.detail]), 'lll'))
    const text = lines.join('\n') + '\n'
    process.stdout.write(`\n${text}`)

    const result = {
      kind: 'emulator-speed',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options: o,
      environment: {
        cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, kernel: os.release(), node: process.version,
        go: commandOutput('go', ['env', 'GOVERSION']),
      },
      payload: PAYLOAD.toString(),
      client: 'node:http, one keep-alive Agent, unsigned POST, content-type application/json',
      systems: {
        embedded: { pid: child.pid, endpoint: child.endpoint, details: child.details, runsIn: 'child Node process (bench/embedded-child.ts)' },
        floor: { binary: bootstrap, mode: 'PROBE_HTTP_FLOOR_ADDR=127.0.0.1:0' },
        ...(rie ? { rie: { module: 'github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie', version: RIE_VERSION, concurrency4: 'N/A: one invocation at a time' } } : {}),
      },
      latencyUs: lat,
      ratios,
      throughput: { c1: Object.fromEntries(tp1), c4: Object.fromEntries(tp4) },
      coldStart: {
        n: cold.n,
        spawnToFirstResponseMs: { p50: coldSpawn.median, p50Ci: coldSpawn.ci, samples: cold.spawnToResponseMs },
        initDurationMs: { p50: coldInit.median, p50Ci: coldInit.ci, samples: cold.initDurationMs },
        clientFirstInvokeMs: { p50: coldClient.median, p50Ci: coldClient.ci, samples: cold.clientMs },
      },
      rss: { gcExposed: rss.gcExposed, points: rss.points, growthBytes: rssGrowth, invocations: o.rssInvocations, concurrency: 1, invokesPerSecond: rss.invokesPerSecond },
      targets: checks,
      ...(o.cpuProf ? { cpuProfileDir: profDir } : {}),
    }
    fs.mkdirSync(path.dirname(outFile), { recursive: true })
    fs.writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n')
    say(`wrote ${path.relative(process.cwd(), outFile) || outFile}`)
  } finally {
    await stopAll()
  }
  if (o.cpuProf) printProfile(profDir, startedAt.getTime())
  return 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`)
    process.exit(1)
  },
)
