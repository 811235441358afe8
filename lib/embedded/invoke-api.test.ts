/**
 * The embedded target's Invoke API (POST /2015-03-31/functions/{name}/invocations): every caller-side error and
 * every invocation variant, each followed by a successful invoke to show the target keeps serving.
 * Expected values come from ../lambda/protocol.ts and lambda-behavior.md §2, §5.
 */
import crypto from 'node:crypto'
import { FilterLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { type InvocationType, InvokeCommand, type LambdaClient, type LogType } from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiErrors,
  ASYNC_REQUEST_LIMIT,
  DEFAULT_MEMORY_MB,
  FUNCTION_NAME_CONSTRAINT,
  LATEST,
  LOG_TAIL_BYTES,
  logLines,
  SYNC_REQUEST_LIMIT,
} from '../lambda/protocol.js'
import { type EmbeddedTarget, startEmbeddedTarget } from './index.js'
import {
  decodeLog,
  deploy,
  ECHO_RUNTIME,
  escapeRegExp,
  lambdaClient,
  logLinesOf,
  logsClient,
  payloadJson,
  payloadText,
  REGION,
  sdkError,
  shRuntime,
  sleep,
  uniqueName,
  waitUntil,
} from './test-support.js'

let target: EmbeddedTarget
let client: LambdaClient
let logs: CloudWatchLogsClient

const ECHO = uniqueName('inv-echo')
const FAILING = uniqueName('inv-fail')
const CONTEXT = uniqueName('inv-ctx')

const ERROR_BODY = '{"errorMessage":"boom","errorType":"Boom"}'
/** Posts ERROR_BODY to /error for every event. */
const FAILING_RUNTIME = shRuntime(
  `  curl -sS -o /dev/null -X POST -H "Content-Type: application/json" -H "Lambda-Runtime-Function-Error-Type: Function.Boom" --data-binary '${ERROR_BODY}' "$API/invocation/$ID/error" || exit 1\n  continue`,
)
/** Answers with the Lambda-Runtime-Client-Context header it received (empty when absent). */
const CONTEXT_RUNTIME = shRuntime(`  grep -i '^lambda-runtime-client-context:' "$H" | cut -d' ' -f2- | tr -d '\\r' > "$R"`)
/** Writes ~10 KB of output before echoing, so the log is longer than the 4 KB tail. */
const CHATTY_RUNTIME = shRuntime('  i=0; while [ $i -lt 200 ]; do echo "chatty line $i: the quick brown fox jumps over the lazy dog"; i=$((i+1)); done\n  cp "$E" "$R"')

beforeAll(async () => {
  target = await startEmbeddedTarget({ pendingMs: 0 })
  client = lambdaClient(target.endpoint)
  logs = logsClient(target.endpoint)
  await Promise.all([deploy(client, ECHO, ECHO_RUNTIME), deploy(client, FAILING, FAILING_RUNTIME), deploy(client, CONTEXT, CONTEXT_RUNTIME)])
})

afterAll(async () => {
  await target?.close()
})

const fnArn = (name: string, qualifier?: string): string => `arn:aws:lambda:${REGION}:${target.accountId}:function:${name}${qualifier ? `:${qualifier}` : ''}`

function invoke(name: string, payload?: Uint8Array | string, o: { type?: string; logType?: string; clientContext?: string } = {}) {
  return client.send(
    new InvokeCommand({
      FunctionName: name,
      ...(payload !== undefined ? { Payload: typeof payload === 'string' ? Buffer.from(payload) : payload } : {}),
      ...(o.type ? { InvocationType: o.type as InvocationType } : {}),
      ...(o.logType ? { LogType: o.logType as LogType } : {}),
      ...(o.clientContext ? { ClientContext: o.clientContext } : {}),
    }),
  )
}

/** A normal invoke still works: the target keeps serving. */
async function expectStillServing(): Promise<void> {
  const event = { healthy: crypto.randomUUID() }
  const out = await invoke(ECHO, JSON.stringify(event))
  expect(out.StatusCode).toBe(200)
  expect(out.FunctionError).toBeUndefined()
  expect(payloadJson(out)).toEqual(event)
}

/** Asserts an SDK error against a protocol.ts ApiError: code, HTTP status and message. */
async function expectApiError(p: Promise<unknown>, expected: { status: number; code: string; body: Record<string, unknown> }, o: { messagePrefix?: boolean } = {}) {
  const e = await sdkError(p)
  expect(e.name).toBe(expected.code)
  expect(e.$metadata?.httpStatusCode).toBe(expected.status)
  const message = String(expected.body.message ?? expected.body.Message)
  if (o.messagePrefix) expect(e.message.startsWith(message), e.message).toBe(true)
  else expect(e.message).toBe(message)
  return e
}

describe('Invoke API errors', () => {
  it('unknown function → 404 ResourceNotFoundException naming the $LATEST ARN', async () => {
    const name = uniqueName('missing')
    // LB §2.4 "Function not found"; protocol.ts apiErrors.functionNotFound
    await expectApiError(invoke(name, '{}'), apiErrors.functionNotFound(fnArn(name, LATEST)))
    await expectStillServing()
  })

  it('invalid function name → 400 ValidationException', async () => {
    // LB §2.4 "Bad function name"; protocol.ts apiErrors.validation + FUNCTION_NAME_CONSTRAINT
    await expectApiError(invoke('bad name!', '{}'), apiErrors.validation('bad name!', 'functionName', FUNCTION_NAME_CONSTRAINT))
    await expectStillServing()
  })

  it(`sync body of ${SYNC_REQUEST_LIMIT + 1} bytes → 413 RequestEntityTooLargeException`, async () => {
    const body = Buffer.alloc(SYNC_REQUEST_LIMIT + 1, 0x20)
    // LB §2.4 "Sync request too large"; protocol.ts apiErrors.requestTooLarge
    await expectApiError(invoke(ECHO, body), apiErrors.requestTooLarge())
    await expectStillServing()
  })

  it(`Event body of ${ASYNC_REQUEST_LIMIT + 1} bytes → 413 with the Event-invocation message`, async () => {
    const body = Buffer.from(`"${'e'.repeat(ASYNC_REQUEST_LIMIT - 1)}"`)
    expect(body.length).toBe(ASYNC_REQUEST_LIMIT + 1)
    // LB §2.4 "Async request too large"; protocol.ts apiErrors.asyncRequestTooLarge
    await expectApiError(invoke(ECHO, body, { type: 'Event' }), apiErrors.asyncRequestTooLarge(body.length))
    await expectStillServing()
  })

  it('invalid JSON → 400 InvalidRequestContentException "Could not parse request body into json: …"', async () => {
    // LB §2.4 "Invalid JSON or invalid UTF-8"; protocol.ts apiErrors.invalidJson (prefix, then the parser's detail)
    await expectApiError(invoke(ECHO, '{"a":'), apiErrors.invalidJson(''), { messagePrefix: true })
    await expectStillServing()
  })

  it('invalid UTF-8 inside a JSON string → 400 InvalidRequestContentException', async () => {
    const body = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])
    await expectApiError(invoke(ECHO, body), apiErrors.invalidJson(''), { messagePrefix: true }) // LB §2.4
    await expectStillServing()
  })

  it('invalid X-Amz-Invocation-Type → 400 ValidationException', async () => {
    // LB §2.2 (enum RequestResponse | Event | DryRun); protocol.ts apiErrors.validation names the value and field
    const e = await sdkError(invoke(ECHO, '{}', { type: 'Bogus' }))
    const expected = apiErrors.validation('Bogus', 'invocationType', '')
    expect(e.name).toBe(expected.code)
    expect(e.$metadata?.httpStatusCode).toBe(expected.status)
    expect(e.message.startsWith(String(expected.body.message))).toBe(true)
    await expectStillServing()
  })

  it('invalid X-Amz-Log-Type → 400 ValidationException', async () => {
    const e = await sdkError(invoke(ECHO, '{}', { logType: 'Everything' }))
    const expected = apiErrors.validation('Everything', 'logType', '') // LB §2.2 (None | Tail)
    expect(e.name).toBe(expected.code)
    expect(e.$metadata?.httpStatusCode).toBe(expected.status)
    expect(e.message.startsWith(String(expected.body.message))).toBe(true)
    await expectStillServing()
  })
})

describe('Invoke API variants', () => {
  it(`a ${SYNC_REQUEST_LIMIT}-byte valid JSON body is accepted and delivered intact`, async () => {
    const body = `"${'p'.repeat(SYNC_REQUEST_LIMIT - 2)}"`
    expect(Buffer.byteLength(body)).toBe(SYNC_REQUEST_LIMIT) // LB §2.3
    const out = await invoke(ECHO, body)
    expect(out.StatusCode).toBe(200)
    expect(out.FunctionError).toBeUndefined()
    expect(out.Payload?.length).toBe(SYNC_REQUEST_LIMIT)
    expect(payloadText(out) === body).toBe(true)
    await expectStillServing()
  })

  it('an empty body reaches the function as {}', async () => {
    const out = await invoke(ECHO) // LB §2.1 "Empty request body"
    expect(out.StatusCode).toBe(200)
    expect(payloadText(out)).toBe('{}')
    const out2 = await invoke(ECHO, new Uint8Array(0))
    expect(payloadText(out2)).toBe('{}')
    await expectStillServing()
  })

  it('non-object JSON is delivered verbatim', async () => {
    for (const v of ['true', 'null', '[1,2]', '1', '"s"']) {
      const out = await invoke(ECHO, v) // LB §2.1 "Non-object JSON"
      expect(payloadText(out), v).toBe(v)
    }
    await expectStillServing()
  })

  it('DryRun → 204, empty body, and nothing runs', async () => {
    const name = uniqueName('inv-dry')
    await deploy(client, name, ECHO_RUNTIME)
    const out = await invoke(name, '{}', { type: 'DryRun' })
    expect(out.StatusCode).toBe(204) // LB §2.1 "DryRun"
    expect(out.Payload?.length ?? 0).toBe(0)
    await sleep(300)
    expect(target.registry.get(name).pool.sandboxCount).toBe(0)
    expect(target.logStore.streams(`/aws/lambda/${name}`)).toEqual([])
    await expectStillServing()
  })

  it('Event → 202 with an empty body; the function runs in the background (END in CloudWatch Logs)', async () => {
    const name = uniqueName('inv-event')
    await deploy(client, name, ECHO_RUNTIME)
    const out = await invoke(name, '{"async":true}', { type: 'Event' })
    expect(out.StatusCode).toBe(202) // LB §2.1 "Event"
    expect(out.Payload?.length ?? 0).toBe(0)
    expect(out.ExecutedVersion).toBeUndefined()
    const id = out.$metadata.requestId
    expect(id).toBeTruthy()
    const end = logLines.end(id!) // LB §5 END
    await waitUntil(
      async () => {
        const r = await logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${name}`, filterPattern: `"${id}"` }))
        return r.events?.some((e) => e.message === end)
      },
      { what: `"${end}" in /aws/lambda/${name}`, timeoutMs: 30_000, intervalMs: 100 },
    )
    await expectStillServing()
  })

  it('LogType Tail → base64 of at most 4096 bytes ending with REPORT; Init Duration on the first invoke only', async () => {
    const name = uniqueName('inv-tail')
    await deploy(client, name, CHATTY_RUNTIME)
    // LB §5 REPORT (cold / warm): tab-separated, trailing tab; Memory Size = the default MemorySize
    const reportRe = (id: string, cold: boolean): RegExp =>
      new RegExp(
        `^REPORT RequestId: ${escapeRegExp(id)}\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: \\d+ ms\\tMemory Size: ${DEFAULT_MEMORY_MB} MB\\tMax Memory Used: \\d+ MB\\t` +
          (cold ? 'Init Duration: \\d+\\.\\d{2} ms\\t' : '') +
          '$',
      )
    for (const cold of [true, false]) {
      const out = await invoke(name, '{"tail":1}', { logType: 'Tail' })
      expect(out.StatusCode).toBe(200)
      expect(out.LogResult).toBeTruthy()
      const raw = Buffer.from(out.LogResult!, 'base64')
      expect(raw.toString('base64')).toBe(out.LogResult) // well-formed base64
      expect(raw.length).toBeGreaterThan(0)
      expect(raw.length).toBeLessThanOrEqual(LOG_TAIL_BYTES) // LB §2.2, §9 #10
      const lines = logLinesOf(decodeLog(out))
      expect(lines.at(-1)).toMatch(reportRe(out.$metadata.requestId!, cold))
      // The function's own output is in the tail too (LB §2.2).
      expect(lines.some((l) => l.startsWith('chatty line 199:'))).toBe(true)
    }
    await expectStillServing()
  })

  it('x-amzn-RequestId equals the id of START, END and REPORT', async () => {
    const out = await invoke(ECHO, '{"id":1}', { logType: 'Tail' })
    const id = out.$metadata.requestId!
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/) // LB §2.2: UUID v4
    const lines = logLinesOf(decodeLog(out))
    // LB §5 START / END / REPORT
    expect(lines).toContain(logLines.start(id))
    expect(lines).toContain(logLines.end(id))
    expect(lines.filter((l) => l.startsWith('START RequestId: '))).toEqual([logLines.start(id)])
    expect(lines.at(-1)?.startsWith(`REPORT RequestId: ${id}\t`)).toBe(true)
    expect(out.ExecutedVersion).toBe(LATEST) // LB §2.1
    await expectStillServing()
  })

  it('a function error → status 200 with FunctionError Unhandled and the error body', async () => {
    const out = await invoke(FAILING, '{}')
    expect(out.StatusCode).toBe(200) // LB §2.1 "Any function error"
    expect(out.FunctionError).toBe('Unhandled')
    expect(payloadText(out)).toBe(ERROR_BODY)
    await expectStillServing()
  })

  it('the client context reaches the runtime base64-decoded', async () => {
    const ctx = { client: { installation_id: 'i-1', app_title: 'T' }, custom: { tenant: 'x', n: 1 }, env: { platform: 'test' } }
    const out = await invoke(CONTEXT, '{}', { clientContext: Buffer.from(JSON.stringify(ctx)).toString('base64') })
    expect(out.FunctionError).toBeUndefined()
    expect(JSON.parse(payloadText(out))).toEqual(ctx) // LB §1.2 Lambda-Runtime-Client-Context
    // Without a client context the header is absent (LB §1.2).
    expect(payloadText(await invoke(CONTEXT, '{}'))).toBe('')
    await expectStillServing()
  })
})
