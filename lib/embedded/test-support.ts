/**
 * Shared helpers for the embedded target's own tests: SDK clients with fixed credentials, tiny `sh` runtimes that
 * speak the Runtime API with curl, deployment, polling and log parsing. Expected values never live here: the
 * tests take them from ../lambda/protocol.ts.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import http from 'node:http'
import path from 'node:path'
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { CreateFunctionCommand, GetFunctionConfigurationCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { expect } from 'vitest'
import { type ApiError, parseReportLine } from '../lambda/protocol.js'
import type { EmbeddedTarget } from './index.js'
import { type ProcessInfo, processesUsing } from './process-tree.js'
import { zipFiles } from './zip.js'

export const CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'y' }
export const REGION = 'us-east-1'
export const ROLE = 'arn:aws:iam::000000000000:role/embedded-target-test'

/**
 * A Lambda client for the target's tests: no retries, so every answer is the target's own. `freshConnections`: a
 * connection per call (see freshConnectionHandler), for the few control-plane calls of a long test.
 */
export function lambdaClient(endpoint: string, o: { freshConnections?: boolean } = {}): LambdaClient {
  return new LambdaClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1, ...(o.freshConnections ? { requestHandler: freshConnectionHandler() } : {}) })
}

export function logsClient(endpoint: string): CloudWatchLogsClient {
  return new CloudWatchLogsClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 })
}

/** A function name unique to this run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomBytes(4).toString('hex')}`
}

/** A fresh directory under /var/tmp (sandboxes get a private /tmp, so /tmp is not shared with them). */
export function varTmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join('/var/tmp', `${prefix}-`))
}

/**
 * A provided.* `bootstrap` in sh that serves invokes with curl. `handle` runs once per event with:
 * `$E` the event file, `$H` the /next response headers, `$ID` the request id, `$R` the result file (initially
 * empty) whose bytes are posted to /response. `handle` may post itself and `continue`. `prelude` runs once at start.
 */
export function shRuntime(handle: string, prelude = ''): string {
  return [
    '#!/bin/sh',
    'API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"',
    'T="${TMPDIR:-/tmp}"',
    'H="$T/.glc-headers"; E="$T/.glc-event"; R="$T/.glc-result"',
    prelude,
    'while :; do',
    '  curl -sS -D "$H" -o "$E" "$API/invocation/next" || exit 1',
    `  ID=$(grep -i '^lambda-runtime-aws-request-id:' "$H" | tr -d '\\r' | cut -d' ' -f2)`,
    '  : > "$R"',
    handle,
    '  curl -sS -o /dev/null -X POST -H "Content-Type: application/json" --data-binary @"$R" "$API/invocation/$ID/response" || exit 1',
    'done',
    '',
  ].join('\n')
}

/** Echoes the event back unchanged. */
export const ECHO_RUNTIME = shRuntime('  cp "$E" "$R"')

export interface DeployOptions {
  env?: Record<string, string>
  timeout?: number
  memorySize?: number
  /** Extra files in the zip besides `bootstrap`. */
  files?: Record<string, string | Buffer | { data: string | Buffer; mode?: number; symlink?: boolean }>
  /** Leave `bootstrap` out (only `files`). */
  noBootstrap?: boolean
  /** Do not wait for State Active. */
  noWait?: boolean
}

/** Creates a provided.al2023 function whose `bootstrap` is `script`, and waits until it is Active. */
export async function deploy(client: LambdaClient, name: string, script: string, o: DeployOptions = {}): Promise<void> {
  const zip = await zipFiles({ ...(o.noBootstrap ? {} : { bootstrap: script }), ...(o.files ?? {}) })
  await client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'provided.al2023',
      Role: ROLE,
      Handler: 'bootstrap',
      Code: { ZipFile: zip },
      ...(o.timeout !== undefined ? { Timeout: o.timeout } : {}),
      ...(o.memorySize !== undefined ? { MemorySize: o.memorySize } : {}),
      ...(o.env ? { Environment: { Variables: o.env } } : {}),
    }),
  )
  if (!o.noWait) await waitForActive(client, name)
}

export async function waitForActive(client: LambdaClient, name: string): Promise<void> {
  await waitUntil(async () => {
    const c = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }))
    return c.State === 'Active' && c.LastUpdateStatus === 'Successful'
  }, { what: `${name} to become Active` })
}

/** Polls `probe` until it returns a truthy value; fails after `timeoutMs`. */
export async function waitUntil<T>(probe: () => T | Promise<T>, o: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (o.timeoutMs ?? 20_000)
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v) return v as NonNullable<T>
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${o.what ?? 'a condition'}${last ? ` (last error: ${(last as Error).message})` : ''}`)
    await sleep(o.intervalMs ?? 25)
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** The decoded `LogResult` of an invoke ('' when absent). */
export function decodeLog(out: Pick<InvokeCommandOutput, 'LogResult'>): string {
  return out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8') : ''
}

/** Log lines without the trailing empty element. */
export function logLinesOf(log: string): string[] {
  const lines = log.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines
}

/** The last REPORT line of a log, parsed by field name. */
export function lastReport(log: string): Record<string, string> | null {
  const line = logLinesOf(log).filter((l) => l.startsWith('REPORT ')).at(-1)
  return line ? parseReportLine(line) : null
}

export function payloadText(out: Pick<InvokeCommandOutput, 'Payload'>): string {
  return out.Payload ? Buffer.from(out.Payload).toString('utf8') : ''
}

export function payloadJson(out: Pick<InvokeCommandOutput, 'Payload'>): unknown {
  return JSON.parse(payloadText(out))
}

/** The SDK error a promise rejects with (fails if it resolves). */
export async function sdkError(p: Promise<unknown>): Promise<Error & { name: string; message: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await p
  } catch (e) {
    return e as Error & { $metadata?: { httpStatusCode?: number } }
  }
  throw new Error('expected the call to fail, but it succeeded')
}

/**
 * The SDK error a promise rejects with, against a protocol.ts ApiError: error code, HTTP status and exact message
 * (with `prefix`, the message starts with the expected one).
 */
export async function expectSdkError(p: Promise<unknown>, expected: ApiError, o: { prefix?: boolean } = {}): Promise<void> {
  const e = await sdkError(p)
  const message = String(expected.body.message ?? expected.body.Message)
  expect({ code: e.name, status: e.$metadata?.httpStatusCode }).toEqual({ code: expected.code, status: expected.status })
  if (o.prefix) expect(e.message.startsWith(message), e.message).toBe(true)
  else expect(e.message).toBe(message)
}

/** Escapes a string for use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Processes (not zombies) whose process group is `pgid`, from /proc. */
export function liveProcessesInGroup(pgid: number): number[] {
  const out: number[] = []
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'latin1')
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') out.push(Number(e))
    } catch {
      // gone meanwhile
    }
  }
  return out
}

/**
 * A provided.* `bootstrap` in Node.js (the `node` running the kit) for runtimes that misbehave at an exact moment,
 * which sh and curl cannot time. `body` is the body of an async function (CommonJS) with these in scope:
 *
 * - `attempt`: which start of the function's runtime this is (1, 2, …, counted in `$FAULT_DIR/starts`);
 * - `request(method, path, body?, headers?)` → `{ status, headers, body }` (path under /2018-06-01/runtime, one
 *   connection per request); `next()` → the same plus `id`; `respond(id, body)`; `fail(id, body)` (/error);
 * - `postPart(path, { total, sent, chunked })`: starts a POST of a `total`-byte body (or a chunked one), sends only
 *   `sent` bytes of it, and resolves once they are written;
 * - `child()`: starts `sleep 300` in the same process group; `killSelf()` / `killGroup()`: SIGKILL to the runtime
 *   process only / to its whole process group; `note(...words)`: one line in `$FAULT_DIR/notes`; `sleep(ms)`.
 *
 * Every start writes `attempt pid pgid` to `$FAULT_DIR/starts` first; `readFaultLog` reads both files back. Deploy
 * with `env: { FAULT_DIR: <a directory under /var/tmp> }`.
 */
export function nodeRuntime(body: string): string {
  return `#!${process.execPath}
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const { spawn } = require('node:child_process');
const API = process.env.AWS_LAMBDA_RUNTIME_API;
const HOST = API.slice(0, API.lastIndexOf(':'));
const PORT = Number(API.slice(API.lastIndexOf(':') + 1));
const BASE = '/2018-06-01/runtime';
const DIR = process.env.FAULT_DIR;
const note = (...words) => fs.appendFileSync(DIR + '/notes', words.join(' ') + '\\n');
const stat = fs.readFileSync('/proc/self/stat', 'latin1');
const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
const startsFile = DIR + '/starts';
const attempt = (fs.existsSync(startsFile) ? fs.readFileSync(startsFile, 'utf8').split('\\n').filter(Boolean).length : 0) + 1;
fs.appendFileSync(startsFile, attempt + ' ' + process.pid + ' ' + pgid + '\\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function request(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const h = body === undefined ? headers : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers };
    const req = http.request({ host: HOST, port: PORT, method, path: BASE + path, agent: false, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
async function next() {
  const r = await request('GET', '/invocation/next');
  return { ...r, id: r.headers['lambda-runtime-aws-request-id'] };
}
const respond = (id, body) => request('POST', '/invocation/' + id + '/response', body);
const fail = (id, body) => request('POST', '/invocation/' + id + '/error', body);
function postPart(path, { total, sent, chunked }) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(PORT, HOST, () => {
      const head = 'POST ' + BASE + path + ' HTTP/1.1\\r\\nHost: ' + API + '\\r\\nContent-Type: application/json\\r\\n' +
        (chunked ? 'Transfer-Encoding: chunked\\r\\n' : 'Content-Length: ' + total + '\\r\\n') + '\\r\\n';
      const part = Buffer.alloc(sent, 'x');
      const data = chunked ? Buffer.concat([Buffer.from(sent.toString(16) + '\\r\\n'), part, Buffer.from('\\r\\n')]) : part;
      sock.write(Buffer.concat([Buffer.from(head), data]), () => resolve(sock));
    });
    sock.on('error', reject);
  });
}
function child() {
  const c = spawn('sleep', ['300'], { stdio: 'ignore' });
  note('child', attempt, c.pid);
  return c;
}
const killSelf = () => process.kill(process.pid, 'SIGKILL');
const killGroup = () => process.kill(0, 'SIGKILL');
(async () => {
${body}
})().catch((e) => {
  note('runtime-error', attempt, JSON.stringify(String((e && e.stack) || e)));
  process.exit(70);
});
`
}

export interface FaultLog {
  /** One per start of the runtime, in order. */
  starts: { attempt: number; pid: number; pgid: number }[]
  /** The runtime's `note` lines, split into words. */
  notes: string[][]
}

/** What `nodeRuntime` bootstraps wrote to `dir` (their FAULT_DIR). */
export function readFaultLog(dir: string): FaultLog {
  const lines = (f: string): string[] => {
    try {
      return fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean)
    } catch {
      return []
    }
  }
  return {
    starts: lines('starts').map((l) => {
      const [attempt, pid, pgid] = l.split(' ').map(Number)
      return { attempt: attempt!, pid: pid!, pgid: pgid! }
    }),
    notes: lines('notes').map((l) => l.split(' ')),
  }
}

// ------------------------------------------------------------------ Go probes, bulk clients, /proc (nothing-lost, hygiene, load)

/**
 * The native shim's package: the Go probes (go-handlers/) built with aws-lambda-go as a provided.al2023 `bootstrap`.
 * The run's own build when the global setup provided it, else built here from shims/native (cached by content).
 */
export async function nativeProbePackage(): Promise<Buffer> {
  const { inject } = await import('vitest')
  let shims: readonly { name: string; zipPath: string }[] = []
  try {
    shims = inject('shims')
  } catch {
    // not under the global setup
  }
  const built = shims.find((s) => s.name === 'native')
  if (built) return fs.readFileSync(built.zipPath)
  const [{ loadConfig, resolveFromRoot }, { buildShim }, { discoverShims }] = await Promise.all([import('../config.js'), import('../shims/build.js'), import('../shims/manifest.js')])
  const cfg = loadConfig({ CONFORMANCE_SHIMS: 'native' })
  const shim = discoverShims(cfg).find((s) => s.manifest.name === 'native')
  if (!shim) throw new Error('shims/native not found')
  return fs.readFileSync((await buildShim(shim, resolveFromRoot(cfg.cacheDir))).zipPath)
}

/** Creates a function from a whole package (e.g. `nativeProbePackage()`), provided.al2023 unless told, and waits until it is Active. */
export async function deployPackage(client: LambdaClient, name: string, zip: Buffer, o: Omit<DeployOptions, 'files' | 'noBootstrap'> & { runtime?: string; handler?: string } = {}): Promise<void> {
  await client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: (o.runtime ?? 'provided.al2023') as never,
      Role: ROLE,
      Handler: o.handler ?? 'bootstrap',
      Code: { ZipFile: zip },
      ...(o.timeout !== undefined ? { Timeout: o.timeout } : {}),
      ...(o.memorySize !== undefined ? { MemorySize: o.memorySize } : {}),
      ...(o.env ? { Environment: { Variables: o.env } } : {}),
    }),
  )
  if (!o.noWait) await waitForActive(client, name)
}

export interface RawInvokeResult {
  status: number
  /** x-amzn-requestid: for Invoke, the request id the function sees (and every retry of an Event invoke). */
  requestId: string
  functionError?: string
  body: Buffer
  /** Round trip on the monotonic clock, request written to answer read. */
  ms: number
}

/**
 * Invoke over plain node:http with keep-alive, without SigV4 (the embedded target does not check signatures): for
 * thousands of invokes the SDK's own cost would be most of what is measured (DryRun invokes from this process:
 * ~280/s through @aws-sdk/client-lambda, ~1,100/s with this). Idle sockets are closed after 1 s, well before the
 * server's 5 s keep-alive timeout even when the event loop lags, so a request is never written to a socket the
 * server is closing (no retries: every request is sent exactly once).
 */
export class RawInvoker {
  private readonly agent: http.Agent
  private readonly url: URL

  constructor(endpoint: string, maxSockets = 64) {
    this.url = new URL(endpoint)
    this.agent = new http.Agent({ keepAlive: true, maxSockets, timeout: 1000, scheduling: 'lifo' })
  }

  invoke(name: string, payload: string | Buffer, type: 'RequestResponse' | 'Event' = 'RequestResponse'): Promise<RawInvokeResult> {
    const data = typeof payload === 'string' ? Buffer.from(payload) : payload
    return new Promise((resolve, reject) => {
      const started = performance.now()
      const req = http.request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method: 'POST',
          path: `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`,
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': data.length, 'x-amz-invocation-type': type },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', reject)
          res.on('end', () => {
            const fe = res.headers['x-amz-function-error']
            resolve({
              status: res.statusCode ?? 0,
              requestId: String(res.headers['x-amzn-requestid'] ?? ''),
              ...(typeof fe === 'string' ? { functionError: fe } : {}),
              body: Buffer.concat(chunks),
              ms: performance.now() - started,
            })
          })
        },
      )
      req.on('error', reject)
      req.end(data)
    })
  }

  close(): void {
    this.agent.destroy()
  }
}

/**
 * An SDK request handler that opens a connection per call. Pooled keep-alive connections race the target's
 * keep-alive timeout (5 s): a call written just as the server closes its idle connection fails with ECONNRESET
 * ("socket hang up"), which the test clients (maxAttempts 1) do not retry. Seen after a long CPU-bound test had
 * kept the event loop busy past the client's reuse of such a connection. For the few control-plane calls of a test.
 */
export function freshConnectionHandler(): NodeHttpHandler {
  return new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: false }) })
}

/** Runs `task(0)` … `task(count − 1)` with at most `concurrency` running at once; resolves when all have settled. */
export async function runBounded(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++)
    }),
  )
}

export interface TcpListener {
  /** Dotted IPv4, or IPv6 ('::', '::1', '::ffff:127.0.0.1', …). */
  address: string
  port: number
  inode: number
}

/** Socket inodes among the open file descriptors of `pid` (empty when it is gone). */
export function socketInodes(pid: number): Set<number> {
  const out = new Set<number>()
  for (const link of openFds(pid).values()) {
    const m = /^socket:\[(\d+)\]$/.exec(link)
    if (m) out.add(Number(m[1]))
  }
  return out
}

/** /proc/net/tcp's hex address (host byte order per 32-bit word, little-endian here) as text. */
function procNetAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? []
  const bytes = words.flatMap((w) => [6, 4, 2, 0].map((i) => parseInt(w.slice(i, i + 2), 16)))
  if (bytes.length === 4) return bytes.join('.')
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`
  if (bytes.slice(0, 15).every((b) => b === 0)) return bytes[15] === 0 ? '::' : `::${bytes[15]!.toString(16)}`
  // Other addresses uncompressed: enough to tell them from loopback.
  return Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(':')
}

/** One row of /proc/net/tcp or tcp6: both ends, the state (hex, `0A` = LISTEN) and the socket's inode. */
export interface TcpRow {
  local: { address: string; port: number }
  remote: { address: string; port: number }
  state: string
  inode: number
}

/** Every TCP socket of this network namespace, IPv4 and IPv6, from /proc/net/tcp{,6}. */
export function procNetTcp(): TcpRow[] {
  const out: TcpRow[] = []
  const end = (field: string): { address: string; port: number } => {
    const [addr, port] = field.split(':') as [string, string]
    return { address: procNetAddress(addr), port: parseInt(port, 16) }
  }
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = fs.readFileSync(file, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/)
      if (f.length < 10) continue
      out.push({ local: end(f[1]!), remote: end(f[2]!), state: f[3]!, inode: Number(f[9]) })
    }
  }
  return out
}

/** Every listening TCP socket (IPv4 and IPv6) held open by one of `pids`, from /proc/net/tcp{,6} and /proc/<pid>/fd. */
export function tcpListenersOf(pids: readonly number[]): TcpListener[] {
  const inodes = new Set<number>()
  for (const pid of pids) for (const i of socketInodes(pid)) inodes.add(i)
  return procNetTcp()
    .filter((r) => r.state === '0A' && inodes.has(r.inode))
    .map((r) => ({ address: r.local.address, port: r.local.port, inode: r.inode }))
}

/** Every socket listening on `port`, whoever holds it. */
export function tcpListenersOn(port: number): TcpListener[] {
  return procNetTcp()
    .filter((r) => r.state === '0A' && r.local.port === port)
    .map((r) => ({ address: r.local.address, port: r.local.port, inode: r.inode }))
}

/** Whether a listener's address is the loopback interface only. */
export const isLoopback = (address: string): boolean => address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.')

/** What each open file descriptor of `pid` points at (fd number → readlink), from /proc/<pid>/fd. */
export function openFds(pid: number = process.pid): Map<number, string> {
  const out = new Map<number, string>()
  let fds: string[] = []
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`)
  } catch {
    return out
  }
  for (const fd of fds) {
    try {
      out.set(Number(fd), fs.readlinkSync(`/proc/${pid}/fd/${fd}`))
    } catch {
      // the fd readdir itself used, or closed meanwhile
    }
  }
  return out
}

// ------------------------------------------------------------------ raw HTTP (the bad-input tests)

/** One HTTP exchange at the byte level, for requests no client library would send. */
export interface RawAnswer {
  /** Status of the first final (non-1xx) response, when one arrived whole. */
  status?: number
  reason?: string
  /** Response headers, names in lower case (repeated ones joined with ", "). */
  headers: Record<string, string>
  body: Buffer
  /** What the bytes that came back were, when they were not a well-formed response. */
  malformed?: string
  /** How it ended: we had the answer (`answered`), the peer closed or reset the connection, or nothing came in time. */
  ended: 'answered' | 'closed' | 'error' | 'timeout'
  error?: string
  ms: number
  /** Our end's port, to find the server's side of the connection (serverSideConnections). */
  localPort?: number
}

type Parsed =
  | { complete: false; /** Only interim (1xx) responses so far, or nothing. */ nothingFinal?: boolean }
  | { complete: true; status: number; reason: string; headers: Record<string, string>; body: Buffer }
  | { malformed: string }

/** Parses the first final response in `buf` (1xx responses are skipped). `eof`: the peer has closed. */
export function parseHttpResponse(buf: Buffer, o: { head?: boolean; eof?: boolean } = {}): Parsed {
  let at = 0
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', at)
    if (end < 0) return buf.length - at > 65536 ? { malformed: 'no end of the header block in 64 KB' } : { complete: false, nothingFinal: at === buf.length }
    const lines = buf.subarray(at, end).toString('latin1').split('\r\n')
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]!)
    if (!m) return { malformed: `bad status line ${JSON.stringify(lines[0]!.slice(0, 80))}` }
    const headers: Record<string, string> = {}
    for (const line of lines.slice(1)) {
      const h = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line)
      if (!h) return { malformed: `bad header line ${JSON.stringify(line.slice(0, 80))}` }
      const k = h[1]!.toLowerCase()
      headers[k] = headers[k] === undefined ? h[2]! : `${headers[k]}, ${h[2]}`
    }
    const status = Number(m[1])
    const bodyAt = end + 4
    if (status >= 100 && status < 200) {
      at = bodyAt
      continue
    }
    const done = (body: Buffer): Parsed => ({ complete: true, status, reason: m[2] ?? '', headers, body })
    if (o.head || status === 204 || status === 304) return done(Buffer.alloc(0))
    if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = []
      let p = bodyAt
      for (;;) {
        const eol = buf.indexOf('\r\n', p)
        if (eol < 0) return { complete: false }
        const size = parseInt(buf.subarray(p, eol).toString('latin1').split(';')[0]!, 16)
        if (!Number.isFinite(size)) return { malformed: 'bad chunk size' }
        if (size === 0) return buf.indexOf('\r\n\r\n', eol) >= 0 || buf.length >= eol + 4 ? done(Buffer.concat(parts)) : { complete: false }
        if (buf.length < eol + 2 + size + 2) return { complete: false }
        parts.push(buf.subarray(eol + 2, eol + 2 + size))
        p = eol + 2 + size + 2
      }
    }
    if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length'])
      if (!Number.isInteger(n) || n < 0) return { malformed: `bad content-length ${headers['content-length']}` }
      return buf.length - bodyAt >= n ? done(buf.subarray(bodyAt, bodyAt + n)) : o.eof ? { malformed: `body cut at ${buf.length - bodyAt} of ${n} bytes` } : { complete: false }
    }
    return o.eof ? done(buf.subarray(bodyAt)) : { complete: false }
  }
}

/**
 * Sends `request` (bytes as they are) to 127.0.0.1:`port` and reads the first answer. `halfClose` ends the sending
 * side after the request (a body cut short then reads as end of stream). The socket is always closed at the end.
 */
export function rawExchange(port: number, request: Buffer | string, o: { halfClose?: boolean; timeoutMs?: number; head?: boolean } = {}): Promise<RawAnswer> {
  const t0 = performance.now()
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1')
    let localPort: number | undefined
    sock.once('connect', () => (localPort = sock.localPort))
    let buf = Buffer.alloc(0)
    let settled = false
    const finish = (ended: RawAnswer['ended'], error?: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      sock.destroy()
      const p = parseHttpResponse(buf, { head: o.head, eof: ended !== 'answered' })
      const base = { ended, ms: performance.now() - t0, ...(error ? { error } : {}), ...(localPort ? { localPort } : {}) }
      if ('malformed' in p) resolve({ headers: {}, body: buf, malformed: p.malformed, ...base })
      else if (!p.complete) resolve({ headers: {}, body: buf, ...(p.nothingFinal ? {} : { malformed: 'incomplete response' }), ...base })
      else resolve({ status: p.status, reason: p.reason, headers: p.headers, body: p.body, ...base })
    }
    const timer = setTimeout(() => finish('timeout'), o.timeoutMs ?? 10_000)
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      const p = parseHttpResponse(buf, { head: o.head })
      if ('malformed' in p || p.complete) finish('answered')
    })
    sock.on('error', (e: NodeJS.ErrnoException) => finish('error', e.code ?? e.message))
    sock.on('close', () => finish('closed'))
    sock.write(request, () => {
      if (o.halfClose) sock.end()
    })
  })
}

/** TCP connections whose local end is `port` (the server's side), by peer port, from /proc/net/tcp{,6}. */
export function serverSideConnections(port: number): { peerPort: number; state: string }[] {
  const STATES: Record<string, string> = { '01': 'ESTABLISHED', '06': 'TIME_WAIT', '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0B': 'CLOSING', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2' }
  return procNetTcp()
    .filter((r) => r.local.port === port && r.state !== '0A')
    .map((r) => ({ peerPort: r.remote.port, state: STATES[r.state] ?? r.state }))
}

/** How a streamed body ended (streamHuge). */
export interface Streamed {
  status?: number
  headers: Record<string, string>
  body: Buffer
  /** Body bytes written when the answer had arrived. */
  bytesAtAnswer?: number
  /** Body bytes written before the connection was closed or reset (or the whole body). */
  bytesWritten: number
  ended: string
  ms: number
}

/**
 * Sends `head`, then streams `total` generated body bytes (never held in memory: one 1 MiB buffer written again and
 * again), chunked or not, to 127.0.0.1:`port`; reads the answer while writing and goes on until the peer cuts the
 * connection or the body is out. Nothing is buffered beyond one chunk (writes wait for drain).
 */
export function streamHuge(port: number, head: string, total: number, chunked: boolean): Promise<Streamed> {
  const CHUNK = 1024 * 1024
  const payload = Buffer.alloc(CHUNK, 0x61)
  const frame = chunked ? Buffer.concat([Buffer.from(`${CHUNK.toString(16)}\r\n`), payload, Buffer.from('\r\n')]) : payload
  const t0 = performance.now()
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1')
    let inBuf = Buffer.alloc(0)
    let written = 0
    let answer: { status: number; headers: Record<string, string>; body: Buffer } | undefined
    let bytesAtAnswer: number | undefined
    let done = false
    let progress = performance.now()
    const finish = (ended: string): void => {
      if (done) return
      done = true
      clearInterval(guard)
      sock.destroy()
      resolve({ ...(answer ?? { headers: {}, body: Buffer.alloc(0) }), ...(bytesAtAnswer !== undefined ? { bytesAtAnswer } : {}), bytesWritten: written, ended, ms: performance.now() - t0 })
    }
    const guard = setInterval(() => {
      if (performance.now() - progress > 10_000) finish('no progress for 10 s')
    }, 250)
    sock.on('data', (d: Buffer) => {
      progress = performance.now()
      if (answer) return
      inBuf = Buffer.concat([inBuf, d])
      const p = parseHttpResponse(inBuf)
      if ('complete' in p && p.complete) {
        answer = { status: p.status, headers: p.headers, body: p.body }
        bytesAtAnswer = written
      }
    })
    sock.on('error', (e: NodeJS.ErrnoException) => finish(`error ${e.code ?? e.message}`))
    sock.on('close', () => finish('closed'))
    const pump = (): void => {
      while (!done && written < total) {
        const ok = sock.write(frame)
        written += CHUNK
        progress = performance.now()
        if (!ok) {
          sock.once('drain', pump)
          return
        }
      }
      if (!done && written >= total) {
        if (chunked) sock.write('0\r\n\r\n')
        // The whole body went out: wait for the answer, then stop.
        const wait = setInterval(() => {
          if (answer || done) {
            clearInterval(wait)
            finish('whole body sent')
          }
        }, 20)
      }
    }
    sock.once('connect', () => {
      sock.write(head)
      pump()
    })
  })
}

/**
 * Watches this process's resident memory (the embedded target runs in the test's process): the baseline now, and the
 * peak until stop() (VmHWM, reset with clear_refs 5, where the kernel allows it; sampled every 10 ms in any case).
 */
export function memoryWatch(): { stop(): { baseline: number; peak: number; method: string } } {
  const status = (field: string): number => Number(/(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? 0) * 1024
  let hwm = false
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5')
    hwm = true
  } catch {
    // not allowed here: sampling only
  }
  const baseline = process.memoryUsage.rss()
  let peak = baseline
  const iv = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10)
  return {
    stop() {
      clearInterval(iv)
      if (hwm) peak = Math.max(peak, status('VmHWM:'))
      return { baseline, peak: Math.max(peak, process.memoryUsage.rss()), method: hwm ? 'VmHWM (reset with clear_refs) and sampling' : 'sampling every 10 ms' }
    },
  }
}

/**
 * Streams a huge body (streamHuge) while watching this process's memory (memoryWatch): what came back, how much RSS
 * grew, and the figures the report shows for it (task.meta.figures).
 */
export async function streamHugeWatched(port: number, head: string, total: number, chunked: boolean, limit: number): Promise<{ streamed: Streamed; growth: number; figures: Record<string, string | number> }> {
  const mem = memoryWatch()
  const streamed = await streamHuge(port, head, total, chunked)
  await sleep(50)
  const m = mem.stop()
  const growth = m.peak - m.baseline
  const MiB = 1024 * 1024
  const figures = {
    bodyBytes: total,
    limitBytes: limit,
    answer: streamed.status ?? 'none',
    bytesSentWhenAnswered: streamed.bytesAtAnswer ?? 'none',
    bytesSentBeforeCut: streamed.bytesWritten,
    ended: streamed.ended,
    rssBaselineMB: Math.round(m.baseline / MiB),
    rssGrowthMB: Math.round((growth / MiB) * 10) / 10,
    rssMethod: m.method,
    durationMs: Math.round(streamed.ms),
  }
  return { streamed, growth, figures }
}

/** What postRaw got: the answer, or the socket error that took its place. */
export interface PostAnswer {
  status?: number
  headers: http.IncomingHttpHeaders
  body: string
  error?: string
}

/**
 * POSTs `body` with Node's http (no SDK, no retry) and resolves with the answer or the socket error, never rejects.
 * `chunked` sends it in 1 MiB writes without Content-Length, as a runtime streaming its response would; `agent`
 * false is a connection per request, which Node sends with `Connection: close`.
 */
export function postRaw(o: { port: number; path: string; body: Buffer; chunked: boolean; agent: http.Agent | false }): Promise<PostAnswer> {
  return new Promise((resolve) => {
    const failed = (e: NodeJS.ErrnoException): void => resolve({ headers: {}, body: '', error: e.code ?? e.message })
    const req = http.request(
      {
        host: '127.0.0.1',
        port: o.port,
        method: 'POST',
        path: o.path,
        agent: o.agent,
        headers: { 'content-type': 'application/json', ...(o.chunked ? {} : { 'content-length': o.body.length }) },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', failed)
      },
    )
    req.on('error', failed)
    if (!o.chunked) return void req.end(o.body)
    for (let at = 0; at < o.body.length; at += 1024 * 1024) req.write(o.body.subarray(at, at + 1024 * 1024))
    req.end()
  })
}

/** A sandbox process's initial environment, from /proc/<pid>/environ. */
export function environOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {}
  for (const entry of fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')) {
    const i = entry.indexOf('=')
    if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1)
  }
  return env
}

/** Sandbox processes of one target, optionally of one function (by AWS_LAMBDA_FUNCTION_NAME). */
export function sandboxProcesses(target: EmbeddedTarget, fn?: string): ProcessInfo[] {
  const all = processesUsing(path.join(String(target.details.workDir), 'sandboxes'))
  if (!fn) return all
  return all.filter((p) => {
    try {
      return environOf(p.pid).AWS_LAMBDA_FUNCTION_NAME === fn
    } catch {
      return false
    }
  })
}

/** Whitespace and control characters percent-encoded, so a fuzzed path segment stays on one request line. */
export const lineSafe = (s: string): string => s.replace(/[\s\x00-\x1f\x7f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`)
