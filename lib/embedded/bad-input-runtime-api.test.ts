/**
 * Bad input to a sandbox's Runtime API (issue #6, item 3). The test is the runtime: a function whose bootstrap only
 * publishes its AWS_LAMBDA_RUNTIME_API and sleeps is invoked, the test takes the event with GET /next, and while the
 * invocation runs it sends fuzzed requests (methods, paths, request ids, headers, bodies, framing), bodies that stop
 * half way and 1 GB responses to that listener. Every answer must be one the Runtime API documents (LB §1.1, §1.4;
 * protocol.ts runtimeApiErrors), never a 5xx or a hang, and the invocation must still be answerable afterwards.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { platformErrors, RESPONSE_LIMIT, RUNTIME_API_VERSION, RUNTIME_HEADERS, runtimeApiErrors } from '../lambda/protocol.js'
import { bodyReading } from './http-util.js'
import { type EmbeddedTarget, startEmbeddedTarget } from './index.js'
import {
  deploy,
  ECHO_RUNTIME,
  escapeRegExp,
  lambdaClient,
  lineSafe,
  parseHttpResponse,
  payloadJson,
  payloadText,
  rawExchange,
  postRaw,
  type RawAnswer,
  serverSideConnections,
  sleep,
  streamHuge,
  streamHugeWatched,
  uniqueName,
  varTmpDir,
  waitUntil,
} from './test-support.js'

const FULL = inject('config').profile === 'full'
const IDLE_MS = 1500
const PREFIX = `/${RUNTIME_API_VERSION}/runtime`
/** Publishes the Runtime API address and waits: the test speaks the Runtime API itself. */
const PARKED_BOOTSTRAP = '#!/bin/sh\necho "$AWS_LAMBDA_RUNTIME_API" > "$RAPI_FILE"\nexec sleep 600\n'

let target: EmbeddedTarget
let client: LambdaClient
let dir: string
const HEALTHY = uniqueName('br-healthy')
const savedReading = { ...bodyReading }

beforeAll(async () => {
  bodyReading.idleTimeoutMs = IDLE_MS
  target = await startEmbeddedTarget({ pendingMs: 0 })
  client = lambdaClient(target.endpoint)
  dir = varTmpDir('glc-bad-rapi')
  await deploy(client, HEALTHY, ECHO_RUNTIME)
})

afterAll(async () => {
  await target?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
  Object.assign(bodyReading, savedReading)
})

interface Session {
  port: number
  address: string
  /** The request id of the event the test took with GET /next. */
  id: string
  invoke: Promise<InvokeCommandOutput>
}

/** Deploys a parked function, invokes it (not awaited), and takes the event: the invocation is then running. */
async function startSession(): Promise<Session> {
  const name = uniqueName('br')
  const rapiFile = path.join(dir, `${name}.addr`)
  await deploy(client, name, PARKED_BOOTSTRAP, { env: { RAPI_FILE: rapiFile }, timeout: 600 })
  const invoke = client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify({ session: name })) }))
  invoke.catch(() => {})
  const address = await waitUntil(() => {
    try {
      return /^(\S+:\d+)\n$/.exec(fs.readFileSync(rapiFile, 'utf8'))?.[1]
    } catch {
      return undefined
    }
  }, { what: `the Runtime API address in ${rapiFile}` })
  const res = await fetch(`http://${address}${PREFIX}/invocation/next`)
  expect(res.status).toBe(200)
  expect(await res.text()).toBe(JSON.stringify({ session: name }))
  const id = res.headers.get(RUNTIME_HEADERS.requestId)!
  return { port: Number(address.slice(address.lastIndexOf(':') + 1)), address, id, invoke }
}

/** Answers the session's invocation and checks that the caller gets exactly that answer. */
async function finishSession(s: Session): Promise<void> {
  const answer = { answered: crypto.randomUUID() }
  const res = await fetch(`http://${s.address}${PREFIX}/invocation/${s.id}/response`, { method: 'POST', body: JSON.stringify(answer) })
  expect(res.status).toBe(202) // LB §1.1
  expect(await res.json()).toEqual({ status: 'OK' })
  const out = await s.invoke
  expect(out.FunctionError).toBeUndefined()
  expect(payloadJson(out)).toEqual(answer)
}

/** A normal invoke of another function still works, and this listener still answers (an unknown id → 400). */
async function expectStillServing(s?: Session): Promise<void> {
  const event = { healthy: crypto.randomUUID() }
  const out = await client.send(new InvokeCommand({ FunctionName: HEALTHY, Payload: Buffer.from(JSON.stringify(event)) }))
  expect(payloadJson(out)).toEqual(event)
  if (s) {
    const res = await fetch(`http://${s.address}${PREFIX}/invocation/${crypto.randomUUID()}/response`, { method: 'POST', body: '{}' })
    expect(res.status).toBe(runtimeApiErrors.invalidRequestId().status)
    expect(await res.json()).toEqual(runtimeApiErrors.invalidRequestId().body)
  }
}

// ------------------------------------------------------------------ what an answer may be

type Outcome = 'documented' | 'held' | 'parser' | 'unanswered'

/** The path the listener routes (dot segments resolved, as the sandbox parses it); null for a target it cannot. */
function routedPath(target: string): string | null {
  if (!target.startsWith('/')) return null
  try {
    return new URL(`http://runtime${target}`).pathname
  } catch {
    return null
  }
}

const transition = runtimeApiErrors.invalidStateTransition('\u0000', '\u0001')
const TRANSITION = new RegExp(`^${escapeRegExp(transition.body.errorMessage).replace('\u0000', '\\S+').replace('\u0001', '\\S+')}$`)

/**
 * The property for one Runtime API answer (LB §1.1, §1.4): 404 `404 page not found\n`; 405 with Allow; 400
 * InvalidRequestID or TruncatedHTTPRequest, 403 InvalidStateTransition, 413 RequestEntityTooLarge, bodies exactly as
 * protocol.ts has them; a GET /next may instead be held (the documented long poll); Node's parser may refuse bytes
 * that are no request. Never a 5xx, never a 2xx for a fuzzed request (it would have answered the invocation).
 */
function judgeRuntimeAnswer(r: RawAnswer, req: RtRequest): Outcome {
  const routed = routedPath(req.target)
  const isNext = req.method === 'GET' && routed === `${PREFIX}/invocation/next`
  if (r.malformed) throw new Error(`malformed response (${r.malformed})`)
  if (r.status === undefined) {
    if (isNext && r.ended === 'timeout') return 'held'
    if (req.framing === 'long-length-half-close') return 'unanswered'
    throw new Error(`no answer: connection ${r.ended}${r.error ? ` (${r.error})` : ''} after ${Math.round(r.ms)} ms`)
  }
  if (r.status >= 500) throw new Error(`a ${r.status} for bad input: ${r.body.toString('utf8').slice(0, 300)}`)
  if (r.status < 300) throw new Error(`a fuzzed request was accepted (${r.status}): ${r.body.toString('utf8').slice(0, 300)}`)
  const json = /application\/json/.test(r.headers['content-type'] ?? '')
  if (req.head && json) return 'documented' // the status and type of a GET's answer, without its body
  if (r.status === 404) {
    if (!req.head && r.body.toString('utf8') !== '404 page not found\n') throw new Error(`404 with body ${JSON.stringify(r.body.toString('utf8').slice(0, 100))}`)
    return 'documented'
  }
  if (r.status === 405) {
    if (!r.headers.allow) throw new Error('405 without Allow')
    return 'documented'
  }
  if (!json) {
    if ([400, 413, 414, 417, 431].includes(r.status)) return 'parser'
    throw new Error(`${r.status} with content-type ${r.headers['content-type']}`)
  }
  const body = JSON.parse(r.body.toString('utf8')) as Record<string, unknown>
  const same = (b: Record<string, unknown>): boolean => JSON.stringify(Object.entries(body).sort()) === JSON.stringify(Object.entries(b).sort())
  if (r.status === 400 && (same(runtimeApiErrors.invalidRequestId().body) || same(runtimeApiErrors.truncated().body))) return 'documented'
  if (r.status === 413 && same(runtimeApiErrors.payloadTooLarge().body)) return 'documented'
  if (r.status === transition.status && body.errorType === transition.body.errorType && TRANSITION.test(String(body.errorMessage))) return 'documented'
  throw new Error(`${r.status} with an undocumented body ${JSON.stringify(body).slice(0, 300)}`)
}

// ------------------------------------------------------------------ fuzzed requests

type Framing = 'length' | 'chunked' | 'short-length' | 'no-length' | 'long-length-half-close'

interface RtRequest {
  method: string
  target: string
  headers: [string, string][]
  body: Buffer
  framing: Framing
  head: boolean
}

function encode(r: RtRequest, address: string): Buffer {
  const lines = [`${r.method} ${r.target} HTTP/1.1`, `Host: ${address}`, 'Connection: close']
  for (const [k, v] of r.headers) lines.push(`${k}: ${v}`)
  let body = r.body
  if (r.framing === 'length') lines.push(`Content-Length: ${body.length}`)
  if (r.framing === 'short-length') lines.push(`Content-Length: ${Math.floor(body.length / 2)}`)
  if (r.framing === 'long-length-half-close') lines.push(`Content-Length: ${body.length + 17}`)
  if (r.framing === 'chunked') {
    lines.push('Transfer-Encoding: chunked')
    body = Buffer.concat([...(body.length > 0 ? [Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')] : []), Buffer.from('0\r\n\r\n')])
  }
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8'), body])
}

const describeRequest = (r: RtRequest): string =>
  `${r.method} ${r.target.slice(0, 200)} [${r.framing}] headers ${JSON.stringify(r.headers).slice(0, 300)} body ${r.body.length} B ${JSON.stringify(r.body.toString('latin1').slice(0, 100))}`

/** Request ids that are never the running one: UUIDs, junk, broken escapes, very long ones. */
const idArb = fc.oneof(
  fc.uuid(),
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map(encodeURIComponent),
  fc.constantFrom('%zz', '%E0%A4', '%', '..', '.', '%2F', 'x'.repeat(5000), '%00', 'next'),
)

const pathArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.constantFrom('invocation/next', 'invocation/next', 'init/error', 'init/error', 'invocation/ID/response', 'invocation/ID/response', 'invocation/ID/error', 'invocation/ID/error',
          'invocation//response', 'invocation/next/', 'invocation/ID/response/x', 'invocation/ID', 'unknown', 'INVOCATION/next', 'invocation/%6Eext', 'invocation/./next',
          'invocation/next/../next', 'init/../invocation/ID/error', 'invocation/ID/response?x=1', 'invocation/next?timeout=0'),
        idArb,
      )
      .map(([p, id]) => `${PREFIX}/${p.replace('ID', id)}`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom('/', '*', `/${RUNTIME_API_VERSION}`, PREFIX, `${PREFIX}/`, '/2020-01-01/extension/register', '/2020-01-01/extension/event/next', '/2020-08-15/logs',
      '/2022-07-01/telemetry', '/2099-01-01/runtime/invocation/next', `/${PREFIX}/invocation/next`, `http://127.0.0.1${PREFIX}/init/error`, 'http://[::1/x', '/%zz', `${PREFIX}/invocation/%/response`),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => `/${lineSafe(s)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 2_000, max: 20_000 }).map((n) => `${PREFIX}/invocation/${'i'.repeat(n)}/response`) },
)

const methodArb = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('GET', 'POST') },
  { weight: 3, arbitrary: fc.constantFrom('PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'PURGE', 'SEARCH') },
  { weight: 1, arbitrary: fc.constantFrom('get', 'P0ST', '-', 'POST2') },
)

const junkValueArb = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => s.replace(/[\x00-\x1f\x7f]/g, '')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'v'.repeat(n)) },
)

const headerArb: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(fc.constant('Content-Type'), fc.constantFrom('application/json', 'application/octet-stream', 'text/plain', '')),
  fc.tuple(fc.constant(RUNTIME_HEADERS.functionErrorType), fc.oneof(fc.constantFrom('Function.MyError', 'Runtime.X', 'Function.', 'x'), junkValueArb)),
  fc.tuple(fc.constant('Lambda-Runtime-Function-Response-Mode'), fc.constantFrom('streaming', 'buffered', 'junk')),
  fc.tuple(fc.constant('Lambda-Runtime-Function-Xray-Error-Cause'), junkValueArb),
  fc.tuple(fc.constant('Expect'), fc.constantFrom('100-continue', '100-continue', 'junk')),
  fc.tuple(fc.constantFrom('Trailer', 'User-Agent', 'Accept', 'X-Junk', 'Lambda-Runtime-Aws-Request-Id'), junkValueArb),
)

const bodyArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
  { weight: 1, arbitrary: fc.constant(Buffer.from('{"errorMessage":"boom","errorType":"Boom","stackTrace":[]}')) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 200_000 }).map((n) => Buffer.alloc(n, 0x7b)) },
)

const requestArb: fc.Arbitrary<RtRequest> = fc
  .record({
    method: methodArb,
    target: pathArb,
    headers: fc.array(headerArb, { maxLength: 4 }),
    body: bodyArb,
    framing: fc.constantFrom<Framing>('length', 'length', 'length', 'length', 'length', 'chunked', 'chunked', 'short-length', 'no-length', 'long-length-half-close'),
  })
  .map((r) => ({ ...r, head: r.method === 'HEAD' }))

describe('Runtime API fuzzed while an invocation runs', () => {
  it('every answer is one the Runtime API documents, never a 5xx or a hang; the invocation is still answerable', { timeout: FULL ? 1_800_000 : 300_000 }, async ({ task }) => {
    const s = await startSession()
    const numRuns = FULL ? 3000 : 400
    const counts: Record<Outcome, number> = { documented: 0, held: 0, parser: 0, unanswered: 0 }
    const statuses = new Map<string, number>()
    const seeds: number[] = []
    const started = performance.now()
    const base = Number(BigInt.asIntN(32, BigInt(Date.now()) ^ BigInt(crypto.randomInt(2 ** 31))))
    try {
      for (let done = 0, i = 0; done < numRuns; done += 100, i++) {
        const seed = (base + i) | 0
        seeds.push(seed)
        const property = fc.asyncProperty(requestArb, async (req) => {
          // Never the running invocation's id (that request would answer it).
          if (req.target.includes(s.id)) return
          const next = req.method === 'GET' && routedPath(req.target) === `${PREFIX}/invocation/next`
          const r = await rawExchange(s.port, encode(req, s.address), { halfClose: req.framing === 'long-length-half-close', head: req.head, timeoutMs: next ? 300 : 10_000 })
          let outcome: Outcome
          try {
            outcome = judgeRuntimeAnswer(r, req)
          } catch (e) {
            throw new Error(`${(e as Error).message}\n  request: ${describeRequest(req)}\n  answer: ${r.status ?? '-'} ${JSON.stringify(r.headers).slice(0, 300)}`)
          }
          counts[outcome]++
          const key = String(r.status ?? (outcome === 'held' ? 'held' : 'none'))
          statuses.set(key, (statuses.get(key) ?? 0) + 1)
        })
        await fc.assert(property, { numRuns: Math.min(100, numRuns - done), seed, plugins: [fc.timeout(15_000)], includeErrorInReport: true })
        await expectStillServing(s)
      }
      // Held GET /next requests were closed by the fuzz; let the listener notice before the real answer goes out.
      await sleep(200)
      await finishSession(s)
    } finally {
      task.meta.figures = {
        requestsFuzzed: Object.values(counts).reduce((a, b) => a + b, 0),
        answeredAsDocumented: counts.documented,
        heldAsLongPoll: counts.held,
        refusedByHttpParser: counts.parser,
        unansweredCutBodies: counts.unanswered,
        byStatus: [...statuses].sort().map(([k, v]) => `${k}:${v}`).join(' '),
        seeds: seeds.join(','),
        durationMs: Math.round(performance.now() - started),
      }
    }
    expect(counts.documented).toBeGreaterThan(numRuns / 4)
  })
})

// ------------------------------------------------------------------ bodies that stop half way

describe('a /response body that stops half way', () => {
  it.for(['half-close', 'reset', 'stall'] as const)('%s: the listener lets go of it and the invocation is still answerable', async (how, { task }) => {
    const s = await startSession()
    const sock = net.connect(s.port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject))
    const localPort = sock.localPort!
    let buf = Buffer.alloc(0)
    const t0 = performance.now()
    const closed = new Promise<number>((resolve) => {
      sock.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d])))
      sock.on('error', () => {})
      sock.on('close', () => resolve(performance.now() - t0))
    })
    await new Promise<void>((resolve) =>
      sock.write(`POST ${PREFIX}/invocation/${s.id}/response HTTP/1.1\r\nHost: ${s.address}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"half":`, () => resolve()),
    )
    if (how === 'half-close') sock.end()
    if (how === 'reset') sock.resetAndDestroy()
    const closedMs = await Promise.race([closed, sleep(IDLE_MS + 8_000).then(() => undefined)])
    sock.destroy()
    const p = parseHttpResponse(buf, { eof: true })
    const answer = 'complete' in p && p.complete ? p.status : undefined
    if (answer !== undefined) expect(answer).toBeLessThan(500)
    if (how === 'stall') {
      expect(closedMs, 'the listener kept a stalled body open').toBeDefined()
      expect(closedMs!).toBeLessThan(IDLE_MS + 5_000)
    }
    await waitUntil(() => !serverSideConnections(s.port).some((c) => c.peerPort === localPort && c.state !== 'TIME_WAIT'), {
      what: `the listener to release the connection from port ${localPort}`,
      timeoutMs: 5_000,
    })
    // The cut body answered nothing: the real answer still goes through.
    await finishSession(s)
    await expectStillServing()
    task.meta.figures = { requestsCut: 1, answer: answer ?? 'none', ...(closedMs !== undefined ? { closedAfterMs: Math.round(closedMs) } : {}) }
  })
})

describe('CONNECT to the Runtime API', () => {
  it('gets the unknown-route 404, and the listener lets go of the connection', async ({ task }) => {
    const s = await startSession()
    const r = await rawExchange(s.port, `CONNECT ${s.address} HTTP/1.1\r\nHost: ${s.address}\r\n\r\n`)
    expect(r.status).toBe(404) // LB §1.1
    expect(r.body.toString('utf8')).toBe('404 page not found\n')
    await waitUntil(() => !serverSideConnections(s.port).some((c) => c.peerPort === r.localPort && c.state !== 'TIME_WAIT'), { what: 'the listener to release the CONNECT socket', timeoutMs: 5_000 })
    await finishSession(s)
    task.meta.figures = { badRequests: 1 }
  })
})

// ------------------------------------------------------------------ 1 GB responses

describe('a 1 GB /response is refused right after the limit, with bounded memory', () => {
  const GiB = 1024 ** 3
  const MiB = 1024 * 1024
  const SLACK = 64 * MiB
  it.for(['content-length', 'chunked'] as const)('%s', async (framing, { task }) => {
    const s = await startSession()
    const chunked = framing === 'chunked'
    const head = `POST ${PREFIX}/invocation/${s.id}/response HTTP/1.1\r\nHost: ${s.address}\r\nContent-Type: application/json\r\n${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${GiB}`}\r\n\r\n`
    const { streamed: r, growth, figures } = await streamHugeWatched(s.port, head, GiB, chunked, RESPONSE_LIMIT)
    task.meta.figures = figures
    expect(r.bytesWritten, `the listener read on well past the limit (${r.ended})`).toBeLessThan(RESPONSE_LIMIT + SLACK)
    // The 413 itself, read before the connection closed (before, the listener reset the connection without one).
    const e = runtimeApiErrors.payloadTooLarge() // LB §1.4
    expect(r.status).toBe(e.status)
    expect(JSON.parse(r.body.toString('utf8'))).toEqual(e.body)
    expect(r.headers.connection).toBe('close')
    expect(r.bytesAtAnswer!).toBeLessThan(RESPONSE_LIMIT + SLACK)
    // Then the listener closes it, reading no more than its linger allows.
    expect(r.ended).toMatch(/^(error|closed)/)
    expect(growth, `RSS grew by ${Math.round(growth / MiB)} MB`).toBeLessThan((chunked ? RESPONSE_LIMIT : 0) + 64 * MiB)
    // The caller gets the platform's error for an oversized response (LB §3.1).
    const out = await s.invoke
    expect(out.FunctionError).toBe('Unhandled')
    expect(JSON.parse(payloadText(out))).toEqual(platformErrors.responseTooLarge())
    await expectStillServing()
  })
})

describe('an oversized /response from a runtime that asks to close the connection', () => {
  // Node's http without an agent sends `Connection: close`. Answered before its body is all in, such a request met a
  // connection Node closed at once, and the runtime could get EPIPE (or ECONNRESET) instead of the 413.
  const cases = [
    { framing: 'content-length', over: 1 },
    { framing: 'content-length', over: 3 * 1024 * 1024 },
    { framing: 'chunked', over: 1 },
    { framing: 'chunked', over: 3 * 1024 * 1024 },
  ] as const
  it.for(cases)('$framing, $over bytes over: the 413 arrives whole, never a reset; the caller gets Function.ResponseSizeTooLarge', async ({ framing, over }, { task }) => {
    const s = await startSession()
    const body = Buffer.alloc(RESPONSE_LIMIT + over, 0x20)
    const answer = await postRaw({ port: s.port, path: `${PREFIX}/invocation/${s.id}/response`, body, chunked: framing === 'chunked', agent: false })
    task.meta.figures = { bodyBytes: body.length, answer: answer.status ?? `error ${answer.error}` }
    const e = runtimeApiErrors.payloadTooLarge() // LB §1.4
    expect({ status: answer.status, connection: answer.headers.connection, error: answer.error }).toEqual({ status: e.status, connection: 'close', error: undefined })
    expect(JSON.parse(answer.body)).toEqual(e.body)
    const out = await s.invoke
    expect(out.FunctionError).toBe('Unhandled')
    expect(JSON.parse(payloadText(out))).toEqual(platformErrors.responseTooLarge()) // LB §3.1
  })

  // More than the socket buffers hold, so the runtime is still writing when the 413 goes out: the listener half-closes
  // after it and reads on (lingerOnClose), so the runtime's writes never meet a reset.
  it('24 MiB over with Content-Length: the runtime reads the 413 and the connection ends without a reset', async ({ task }) => {
    const s = await startSession()
    const total = 30 * 1024 * 1024
    const head = `POST ${PREFIX}/invocation/${s.id}/response HTTP/1.1\r\nHost: ${s.address}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\n\r\n`
    const r = await streamHuge(s.port, head, total, false)
    task.meta.figures = { bodyBytes: total, answer: r.status ?? 'none', bytesSentWhenAnswered: r.bytesAtAnswer ?? 'none', bytesSent: r.bytesWritten, ended: r.ended }
    const e = runtimeApiErrors.payloadTooLarge() // LB §1.4
    expect({ status: r.status, connection: r.headers.connection, ended: r.ended }).toEqual({ status: e.status, connection: 'close', ended: 'closed' })
    expect(JSON.parse(r.body.toString('utf8'))).toEqual(e.body)
    const out = await s.invoke
    expect(JSON.parse(payloadText(out))).toEqual(platformErrors.responseTooLarge()) // LB §3.1
  })
})
