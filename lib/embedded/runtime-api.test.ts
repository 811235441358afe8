/**
 * The embedded target's Runtime API, with the test itself acting as the runtime. Each case deploys a function whose
 * bootstrap only publishes its AWS_LAMBDA_RUNTIME_API (to a file under /var/tmp) and sleeps; the test then speaks
 * the Runtime API with fetch while an Invoke is in flight. Expected values come from ../lambda/protocol.ts and
 * lambda-behavior.md §1.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { InvokeCommand, type InvokeCommandInput, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  parseReportLine,
  platformErrors,
  RESPONSE_LIMIT,
  RUNTIME_API_VERSION,
  RUNTIME_HEADERS,
  runtimeApiErrors,
} from '../lambda/protocol.js'
import { type EmbeddedTarget, startEmbeddedTarget } from './index.js'
import {
  decodeLog,
  deploy,
  ECHO_RUNTIME,
  escapeRegExp,
  lambdaClient,
  lastReport,
  logLinesOf,
  payloadJson,
  payloadText,
  REGION,
  uniqueName,
  varTmpDir,
  waitUntil,
} from './test-support.js'

let target: EmbeddedTarget
let client: LambdaClient
let dir: string
const HEALTHY = uniqueName('rapi-healthy')
/** Functions are deployed with this timeout, so the deadline header can be checked against it. */
const TIMEOUT_S = 30

/** Publishes the Runtime API address (plus the pid, so a restarted environment is told apart) and waits. */
const PARKED_BOOTSTRAP = '#!/bin/sh\necho "$AWS_LAMBDA_RUNTIME_API $$" > "$RAPI_FILE"\nexec sleep 300\n'

beforeAll(async () => {
  target = await startEmbeddedTarget({ pendingMs: 0 })
  client = lambdaClient(target.endpoint)
  dir = varTmpDir('glc-rapi-test')
  await deploy(client, HEALTHY, ECHO_RUNTIME)
})

afterAll(async () => {
  await target?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

// ------------------------------------------------------------------ helpers

interface HttpResult {
  status: number
  headers: Headers
  text: string
}

/** The Runtime API of one execution environment, spoken with fetch. */
class RuntimeApi {
  private readonly parked: AbortController[] = []
  constructor(readonly address: string) {}

  url(p: string): string {
    return `http://${this.address}/${RUNTIME_API_VERSION}/runtime/${p}`
  }

  async request(method: string, p: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<HttpResult> {
    const res = await fetch(this.url(p), { method, headers, ...(body !== undefined ? { body } : {}) })
    return { status: res.status, headers: res.headers, text: await res.text() }
  }

  next(): Promise<HttpResult> {
    return this.request('GET', 'invocation/next')
  }

  respond(id: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<HttpResult> {
    return this.request('POST', `invocation/${id}/response`, body, { 'content-type': 'application/json', ...headers })
  }

  error(id: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<HttpResult> {
    return this.request('POST', `invocation/${id}/error`, body, { 'content-type': 'application/json', ...headers })
  }

  /** Asks for the next event without waiting for it: the platform writes END/REPORT and freezes the environment. */
  park(): void {
    const ac = new AbortController()
    this.parked.push(ac)
    fetch(this.url('invocation/next'), { signal: ac.signal }).catch(() => {})
  }

  release(): void {
    for (const ac of this.parked.splice(0)) ac.abort()
  }
}

interface Session {
  name: string
  rapiFile: string
  api: RuntimeApi
  /** The in-flight Invoke (rejections are observed by whoever awaits it). */
  invoke: Promise<InvokeCommandOutput>
}

/** Deploys a parked-bootstrap function and starts an Invoke (RequestResponse, LogType Tail) without awaiting it. */
async function startSession(input: Partial<InvokeCommandInput> = {}, payload: unknown = { case: crypto.randomUUID() }): Promise<Session> {
  const name = uniqueName('rapi')
  const rapiFile = path.join(dir, `${name}.addr`)
  await deploy(client, name, PARKED_BOOTSTRAP, { env: { RAPI_FILE: rapiFile }, timeout: TIMEOUT_S })
  const invoke = client.send(
    new InvokeCommand({ FunctionName: name, InvocationType: 'RequestResponse', LogType: 'Tail', Payload: Buffer.from(JSON.stringify(payload)), ...input }),
  )
  invoke.catch(() => {})
  const api = new RuntimeApi(addressOf(await waitForAddress(rapiFile)))
  return { name, rapiFile, api, invoke }
}

/** Waits until the bootstrap has written its Runtime API address (one different from `previous`, if given). */
async function waitForAddress(file: string, previous?: string): Promise<string> {
  const line = await waitUntil(
    () => {
      let text = ''
      try {
        text = fs.readFileSync(file, 'utf8')
      } catch {
        return undefined
      }
      const m = /^(\S+:\d+) (\d+)\n$/.exec(text)
      return m && m[0] !== previous ? m[0] : undefined
    },
    { what: `a Runtime API address in ${file}` },
  )
  return line
}

const addressOf = (line: string): string => line.split(' ')[0]!

/** Reads the event (GET /next must answer 200) and returns the request id. */
async function nextEvent(api: RuntimeApi): Promise<{ id: string; res: HttpResult }> {
  const res = await api.next()
  expect(res.status).toBe(200)
  const id = res.headers.get(RUNTIME_HEADERS.requestId)
  expect(id).toBeTruthy()
  return { id: id!, res }
}

/** The shape of runtimeApiErrors.invalidStateTransition (LB §1.4): the state names vary, so they are wildcards. */
function expectInvalidStateTransition(r: HttpResult): void {
  const shape = runtimeApiErrors.invalidStateTransition('\u0000', '\u0001')
  expect(r.status).toBe(shape.status)
  const body = JSON.parse(r.text) as Record<string, unknown>
  expect(Object.keys(body).sort()).toEqual(Object.keys(shape.body).sort())
  expect(body.errorType).toBe(shape.body.errorType)
  const pattern = new RegExp('^' + escapeRegExp(shape.body.errorMessage).replace('\u0000', '\\S+').replace('\u0001', '\\S+') + '$')
  expect(body.errorMessage).toMatch(/^State transition from /)
  expect(body.errorMessage).toMatch(pattern)
}

/** A normal invoke of a healthy function still works: the target keeps serving. */
async function expectStillServing(): Promise<void> {
  const event = { healthy: crypto.randomUUID() }
  const out = await client.send(new InvokeCommand({ FunctionName: HEALTHY, Payload: Buffer.from(JSON.stringify(event)) }))
  expect(out.StatusCode).toBe(200)
  expect(out.FunctionError).toBeUndefined()
  expect(payloadJson(out)).toEqual(event)
}

// ------------------------------------------------------------------ cases

describe('GET /runtime/invocation/next', () => {
  it('delivers the event body and the Lambda-Runtime-* headers of the invoke', async () => {
    const event = { hello: 'world', n: 42 }
    const clientContext = { client: { app_title: 'embedded-test' }, custom: { k: 'v' }, env: { locale: 'en' } }
    const s = await startSession({ ClientContext: Buffer.from(JSON.stringify(clientContext)).toString('base64') }, event)
    const before = Date.now()
    try {
      const r = await s.api.next()
      const after = Date.now()
      // LB §1.1: 200, body = the raw event bytes
      expect(r.status).toBe(200)
      expect(r.text).toBe(JSON.stringify(event))
      // LB §1.2: deadline is a ms epoch; the target sets it when the invoke starts, Timeout seconds ahead
      const deadline = Number(r.headers.get(RUNTIME_HEADERS.deadlineMs))
      expect(Number.isInteger(deadline)).toBe(true)
      expect(deadline).toBeGreaterThanOrEqual(before + TIMEOUT_S * 1000 - 5)
      expect(deadline).toBeLessThanOrEqual(after + TIMEOUT_S * 1000 + 5)
      // LB §1.2: ARN as invoked (no qualifier here)
      expect(r.headers.get(RUNTIME_HEADERS.invokedFunctionArn)).toBe(`arn:aws:lambda:${REGION}:${target.accountId}:function:${s.name}`)
      expect(r.headers.get(RUNTIME_HEADERS.traceId)).toBeTruthy()
      // LB §1.2: the client context arrives already base64-decoded
      expect(JSON.parse(r.headers.get(RUNTIME_HEADERS.clientContext) ?? 'null')).toEqual(clientContext)
      const id = r.headers.get(RUNTIME_HEADERS.requestId)!
      // LB §1.1: success response → 202 {"status":"OK"}
      const posted = await s.api.respond(id, '{"ok":true}')
      expect(posted.status).toBe(202)
      expect(JSON.parse(posted.text)).toEqual({ status: 'OK' })
      s.api.park()
      const out = await s.invoke
      // LB §1.2: the runtime's request id equals the Invoke's x-amzn-RequestId
      expect(out.$metadata.requestId).toBe(id)
      expect(payloadText(out)).toBe('{"ok":true}')
      expect(out.FunctionError).toBeUndefined()
    } finally {
      s.api.release()
    }
    await expectStillServing()
  })

  it('omits Lambda-Runtime-Client-Context when the invoke sent none', async () => {
    const s = await startSession()
    try {
      const { id, res } = await nextEvent(s.api)
      expect(res.headers.has(RUNTIME_HEADERS.clientContext)).toBe(false)
      expect((await s.api.respond(id, '1')).status).toBe(202)
      s.api.park()
      expect(payloadText(await s.invoke)).toBe('1')
    } finally {
      s.api.release()
    }
    await expectStillServing()
  })
})

describe('POST /runtime/invocation/{id}/response', () => {
  it('answers 400 InvalidRequestID for a wrong request id, then accepts the right one', async () => {
    const s = await startSession()
    try {
      const { id } = await nextEvent(s.api)
      const wrong = await s.api.respond(crypto.randomUUID(), '"wrong"')
      const expected = runtimeApiErrors.invalidRequestId() // LB §1.4
      expect(wrong.status).toBe(expected.status)
      expect(JSON.parse(wrong.text)).toEqual(expected.body)
      const right = await s.api.respond(id, '{"answer":"right"}')
      expect(right.status).toBe(202)
      expect(JSON.parse(right.text)).toEqual({ status: 'OK' }) // LB §1.1
      s.api.park()
      const out = await s.invoke
      expect(out.FunctionError).toBeUndefined()
      expect(payloadText(out)).toBe('{"answer":"right"}')
    } finally {
      s.api.release()
    }
    await expectStillServing()
  })

  it('answers 403 InvalidStateTransition to a second /response for the same id', async () => {
    const s = await startSession()
    try {
      const { id } = await nextEvent(s.api)
      expect((await s.api.respond(id, '"first"')).status).toBe(202)
      expectInvalidStateTransition(await s.api.respond(id, '"second"')) // LB §1.4
      s.api.park()
      expect(payloadText(await s.invoke)).toBe('"first"')
    } finally {
      s.api.release()
    }
    await expectStillServing()
  })

  it('answers 403 InvalidStateTransition to /error after /response', async () => {
    const s = await startSession()
    try {
      const { id } = await nextEvent(s.api)
      expect((await s.api.respond(id, '"ok"')).status).toBe(202)
      expectInvalidStateTransition(await s.api.error(id, '{"errorMessage":"late","errorType":"Late"}')) // LB §1.4
      s.api.park()
      const out = await s.invoke
      expect(out.FunctionError).toBeUndefined()
      expect(payloadText(out)).toBe('"ok"')
    } finally {
      s.api.release()
    }
    await expectStillServing()
  })

  it('answers 403 InvalidStateTransition to /response after /error', async () => {
    const s = await startSession()
    const errorBody = '{"errorMessage":"boom","errorType":"Boom"}'
    try {
      const { id } = await nextEvent(s.api)
      expect((await s.api.error(id, errorBody)).status).toBe(202)
      expectInvalidStateTransition(await s.api.respond(id, '"late"')) // LB §1.4
      s.api.park()
      const out = await s.invoke
      expect(out.FunctionError).toBe('Unhandled')
      expect(payloadText(out)).toBe(errorBody)
    } finally {
      s.api.release()
    }
    await expectStillServing()
  })

  it(`accepts a response of exactly ${RESPONSE_LIMIT} bytes and returns it to the caller`, async () => {
    const s = await startSession()
    // A JSON string of exactly RESPONSE_LIMIT bytes (LB §1.4: the limit itself is accepted).
    const body = `"${'r'.repeat(RESPONSE_LIMIT - 2)}"`
    expect(Buffer.byteLength(body)).toBe(RESPONSE_LIMIT)
    try {
      const { id } = await nextEvent(s.api)
      const r = await s.api.respond(id, body)
      expect(r.status).toBe(202)
      s.api.park()
      const out = await s.invoke
      expect(out.FunctionError).toBeUndefined()
      expect(out.Payload?.length).toBe(RESPONSE_LIMIT)
      expect(payloadText(out) === body).toBe(true)
    } finally {
      s.api.release()
    }
    await expectStillServing()
  })

  it(`answers 413 RequestEntityTooLarge to a ${RESPONSE_LIMIT + 1}-byte response; the caller gets Function.ResponseSizeTooLarge`, async () => {
    const s = await startSession()
    const body = `"${'r'.repeat(RESPONSE_LIMIT - 1)}"`
    expect(Buffer.byteLength(body)).toBe(RESPONSE_LIMIT + 1)
    try {
      const { id } = await nextEvent(s.api)
      const r = await s.api.respond(id, body)
      const expected = runtimeApiErrors.payloadTooLarge() // LB §1.4
      expect(r.status).toBe(expected.status)
      expect(JSON.parse(r.text)).toEqual(expected.body)
      s.api.park()
      const out = await s.invoke
      expect(out.StatusCode).toBe(200)
      expect(out.FunctionError).toBe('Unhandled')
      expect(payloadJson(out)).toEqual(platformErrors.responseTooLarge()) // LB §3.1
    } finally {
      s.api.release()
    }
    await expectStillServing()
  })
})

describe('POST /runtime/invocation/{id}/error', () => {
  it('returns the posted error body unchanged with FunctionError Unhandled, and REPORT parses', async () => {
    const s = await startSession()
    const errorBody = '{"errorMessage":"x","errorType":"MyError"}'
    try {
      const { id } = await nextEvent(s.api)
      const r = await s.api.error(id, errorBody, { 'Lambda-Runtime-Function-Error-Type': 'Function.MyError' })
      expect(r.status).toBe(202) // LB §1.1
      s.api.park()
      const out = await s.invoke
      expect(out.StatusCode).toBe(200)
      expect(out.FunctionError).toBe('Unhandled') // LB §2.1
      expect(payloadText(out)).toBe(errorBody)
      const log = decodeLog(out)
      const reportLine = logLinesOf(log).findLast((l) => l.startsWith('REPORT '))
      expect(reportLine).toBeDefined()
      const report = parseReportLine(reportLine!) // LB §5
      expect(report?.RequestId).toBe(id)
      expect(report?.Duration).toMatch(/^\d+\.\d{2} ms$/)
    } finally {
      s.api.release()
    }
    await expectStillServing()
  })
})

describe('POST /runtime/init/error', () => {
  it('is accepted during init; after the invoke-phase retry fails the same way, the caller gets the posted body', async () => {
    const s = await startSession()
    const body = '{"errorMessage":"init failed on purpose","errorType":"InitFailure"}'
    const headers = { 'content-type': 'application/json', 'Lambda-Runtime-Function-Error-Type': 'Runtime.MyInitError' }
    const first = await waitForAddress(s.rapiFile)
    // LB §1.1: /init/error → 202
    const r1 = await s.api.request('POST', 'init/error', body, headers)
    expect(r1.status).toBe(202)
    // LB §4: a failed Init is retried once in the invoke phase, in a fresh environment.
    const second = new RuntimeApi(addressOf(await waitForAddress(s.rapiFile, first)))
    const r2 = await second.request('POST', 'init/error', body, headers)
    expect(r2.status).toBe(202)
    const out = await s.invoke
    expect(out.StatusCode).toBe(200)
    expect(out.FunctionError).toBe('Unhandled')
    // LB §3.1 "Runtime posted /init/error": the runtime's body is returned unchanged
    expect(payloadText(out)).toBe(body)
    const lines = logLinesOf(decodeLog(out))
    // LB §5 INIT_REPORT; Phase init, then Phase invoke
    const initReports = lines.filter((l) => l.startsWith('INIT_REPORT '))
    expect(initReports.some((l) => l.includes('\tPhase: init\t'))).toBe(true)
    expect(initReports.some((l) => l.includes('\tPhase: invoke\t'))).toBe(true)
    for (const l of initReports) expect(l).toMatch(/^INIT_REPORT Init Duration: \d+\.\d{2} ms\tPhase: (init|invoke)\tStatus: error\tError Type: Runtime\.MyInitError$/)
    expect(lastReport(lines.join('\n'))?.RequestId).toBe(out.$metadata.requestId)
    await expectStillServing()
  })

  it('answers 403 after /next has been called', async () => {
    const s = await startSession()
    try {
      const { id } = await nextEvent(s.api)
      const r = await s.api.request('POST', 'init/error', '{"errorMessage":"too late","errorType":"Late"}', { 'content-type': 'application/json' })
      // LB §1.4: /init/error after /next → 403 (InvalidStateTransition)
      expectInvalidStateTransition(r)
      expect((await s.api.respond(id, '"still fine"')).status).toBe(202)
      s.api.park()
      const out = await s.invoke
      expect(out.FunctionError).toBeUndefined()
      expect(payloadText(out)).toBe('"still fine"')
    } finally {
      s.api.release()
    }
    await expectStillServing()
  })
})

describe('routing', () => {
  it('answers 405 to a wrong method and 404 "404 page not found\\n" to an unknown path', async () => {
    const s = await startSession()
    try {
      const { id } = await nextEvent(s.api)
      // LB §1.1 "Unknown path; wrong method"
      expect((await s.api.request('GET', `invocation/${id}/response`)).status).toBe(405)
      expect((await s.api.request('GET', `invocation/${id}/error`)).status).toBe(405)
      expect((await s.api.request('GET', 'init/error')).status).toBe(405)
      expect((await s.api.request('POST', 'invocation/next', '{}')).status).toBe(405)
      for (const url of [`http://${s.api.address}/nope`, `http://${s.api.address}/${RUNTIME_API_VERSION}/runtime/unknown`, `http://${s.api.address}/2099-01-01/runtime/invocation/next`]) {
        const res = await fetch(url)
        expect(res.status, url).toBe(404)
        expect(await res.text(), url).toBe('404 page not found\n')
      }
      // The misrouted requests changed nothing: the invocation is still answerable.
      expect((await s.api.respond(id, '"routed"')).status).toBe(202)
      s.api.park()
      expect(payloadText(await s.invoke)).toBe('"routed"')
    } finally {
      s.api.release()
    }
    await expectStillServing()
  })
})

describe('robustness of the listener', () => {
  it('survives a truncated request body; the invocation can still be answered', async () => {
    const s = await startSession()
    try {
      const { id } = await nextEvent(s.api)
      const [host, port] = [s.api.address.slice(0, s.api.address.lastIndexOf(':')), Number(s.api.address.slice(s.api.address.lastIndexOf(':') + 1))]
      await new Promise<void>((resolve, reject) => {
        const sock = net.connect(port, host, () => {
          sock.write(
            `POST /${RUNTIME_API_VERSION}/runtime/invocation/${id}/response HTTP/1.1\r\nHost: ${s.api.address}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n0123456789`,
          )
          setTimeout(() => {
            sock.destroy()
            resolve()
          }, 200)
        })
        sock.on('error', reject)
      })
      // The listener is still up.
      const probe = await fetch(`http://${s.api.address}/nope`)
      expect(probe.status).toBe(404)
      await probe.text()
      const r = await s.api.respond(id, '"after truncation"')
      if (r.status === 202) {
        s.api.park()
        const out = await s.invoke
        expect(out.FunctionError).toBeUndefined()
        expect(payloadText(out)).toBe('"after truncation"')
      } else {
        // The target chose to fail the invocation: the caller gets a function error, and a fresh invoke works.
        const out = await s.invoke
        expect(out.FunctionError).toBe('Unhandled')
      }
    } finally {
      s.api.release()
    }
    await expectStillServing()
  })
})
