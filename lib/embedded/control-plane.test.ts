/**
 * The embedded target's control plane: CreateFunction (defaults, validation, safe unzipping), GetFunction,
 * GetFunctionConfiguration, UpdateFunctionConfiguration, UpdateFunctionCode, ListFunctions, DeleteFunction and
 * function states. Expected values come from ../lambda/protocol.ts and lambda-behavior.md §2.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {
  CreateFunctionCommand,
  type CreateFunctionCommandInput,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  type LambdaClient,
  ListFunctionsCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiErrors,
  DEFAULT_EPHEMERAL_STORAGE_MB,
  DEFAULT_MEMORY_MB,
  DEFAULT_TIMEOUT_S,
  LATEST,
} from '../lambda/protocol.js'
import { type EmbeddedTarget, startEmbeddedTarget } from './index.js'
import {
  decodeLog,
  deploy,
  ECHO_RUNTIME,
  expectSdkError,
  lambdaClient,
  lastReport,
  payloadJson,
  payloadText,
  REGION,
  ROLE,
  sdkError,
  shRuntime,
  uniqueName,
  varTmpDir,
  waitForActive,
  waitUntil,
} from './test-support.js'
import { zipFiles } from './zip.js'

let target: EmbeddedTarget
let client: LambdaClient
/** A second target whose functions stay Pending / InProgress for a while, to observe the states. */
let slow: EmbeddedTarget
let slowClient: LambdaClient
// Long enough that a second update reliably lands inside the first one's InProgress window on a busy machine.
const SLOW_PENDING_MS = 1500
let outside: string

beforeAll(async () => {
  target = await startEmbeddedTarget({ pendingMs: 0 })
  client = lambdaClient(target.endpoint)
  slow = await startEmbeddedTarget({ pendingMs: SLOW_PENDING_MS })
  slowClient = lambdaClient(slow.endpoint)
  outside = varTmpDir('glc-outside')
})

afterAll(async () => {
  await target?.close()
  await slow?.close()
  if (outside) fs.rmSync(outside, { recursive: true, force: true })
})

const fnArn = (name: string): string => `arn:aws:lambda:${REGION}:${target.accountId}:function:${name}`
const workDir = (): string => String(target.details.workDir)

function createInput(name: string, zip: Uint8Array, extra: Partial<CreateFunctionCommandInput> = {}): CreateFunctionCommandInput {
  return { FunctionName: name, Runtime: 'provided.al2023', Role: ROLE, Handler: 'bootstrap', Code: { ZipFile: zip }, ...extra }
}

/** Answers every event with the value of $GREETING as a JSON string. */
const GREETING_RUNTIME = shRuntime('  printf \'"%s"\' "$GREETING" > "$R"')
const constantRuntime = (value: string): string => shRuntime(`  printf '%s' '${JSON.stringify(value)}' > "$R"`)

async function expectNotFound(c: LambdaClient, name: string): Promise<void> {
  const e = await sdkError(c.send(new GetFunctionCommand({ FunctionName: name })))
  // GetFunction names no qualifier when none was given (LS test_ops_on_nonexisting_fn[get_function], 2025-11).
  const expected = apiErrors.functionNotFound(fnArn(name))
  expect(e.name).toBe(expected.code)
  expect(e.$metadata?.httpStatusCode).toBe(expected.status)
  expect(e.message).toBe(expected.body.Message)
}

/** Asserts the SDK error's code and HTTP status against a protocol.ts ApiError (and optionally its message prefix). */
async function expectApiError(p: Promise<unknown>, expected: { status: number; code: string; body: Record<string, unknown> }, messagePrefix?: string) {
  const e = await sdkError(p)
  expect(e.name).toBe(expected.code)
  expect(e.$metadata?.httpStatusCode).toBe(expected.status)
  if (messagePrefix !== undefined) expect(e.message.startsWith(messagePrefix), e.message).toBe(true)
  return e
}

/** Every path under `dir` (relative), to show that a rejected upload wrote nothing. */
function tree(dir: string): string[] {
  const out: string[] = []
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name)
      out.push(r)
      if (e.isDirectory()) walk(r)
    }
  }
  walk('')
  return out.sort()
}

/** Replaces every occurrence of `from` in a zip (file names live in the local header and the central directory). */
function patchZip(zip: Buffer, from: string, to: string): Buffer {
  expect(Buffer.byteLength(from)).toBe(Buffer.byteLength(to))
  const out = Buffer.from(zip)
  const a = Buffer.from(from)
  let n = 0
  for (let i = out.indexOf(a); i >= 0; i = out.indexOf(a, i + a.length)) {
    Buffer.from(to).copy(out, i)
    n++
  }
  expect(n).toBeGreaterThanOrEqual(2)
  return out
}

describe('CreateFunction', () => {
  it('answers State Pending, then the function becomes Active', async () => {
    const name = uniqueName('cp-pending')
    const created = await slowClient.send(new CreateFunctionCommand(createInput(name, await zipFiles({ bootstrap: ECHO_RUNTIME }))))
    expect(created.State).toBe('Pending')
    expect(created.StateReasonCode).toBe('Creating')
    const right = await slowClient.send(new GetFunctionConfigurationCommand({ FunctionName: name }))
    expect(right.State).toBe('Pending')
    await waitUntil(async () => (await slowClient.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).State === 'Active', { what: 'State Active' })
    const active = await slowClient.send(new GetFunctionConfigurationCommand({ FunctionName: name }))
    expect(active.StateReasonCode).toBeUndefined()
  })

  it('Invoke while Pending → 409 ResourceConflictException; it works once Active', async () => {
    const name = uniqueName('cp-pending-invoke')
    await slowClient.send(new CreateFunctionCommand(createInput(name, await zipFiles({ bootstrap: ECHO_RUNTIME }))))
    const expected = apiErrors.pending() // LB §2.4 "Function still Pending"
    await expectApiError(slowClient.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') })), expected, String(expected.body.message))
    await waitForActive(slowClient, name)
    const out = await slowClient.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{"now":"active"}') }))
    expect(payloadJson(out)).toEqual({ now: 'active' })
  })

  it('applies the documented defaults', async () => {
    const name = uniqueName('cp-defaults')
    const zip = await zipFiles({ bootstrap: ECHO_RUNTIME })
    const c = await client.send(new CreateFunctionCommand(createInput(name, zip)))
    // LB §2.3 "CreateFunction defaults"; protocol.ts DEFAULT_*
    expect(c.Timeout).toBe(DEFAULT_TIMEOUT_S)
    expect(c.MemorySize).toBe(DEFAULT_MEMORY_MB)
    expect(c.EphemeralStorage).toEqual({ Size: DEFAULT_EPHEMERAL_STORAGE_MB })
    expect(c.PackageType).toBe('Zip')
    expect(c.Architectures).toEqual(['x86_64'])
    expect(c.LoggingConfig?.LogFormat).toBe('Text')
    expect(c.Version).toBe(LATEST)
    expect(c.FunctionName).toBe(name)
    expect(c.FunctionArn).toBe(fnArn(name))
    expect(c.Runtime).toBe('provided.al2023')
    expect(c.Handler).toBe('bootstrap')
    expect(c.Role).toBe(ROLE)
    expect(c.CodeSize).toBe(zip.length)
    expect(c.CodeSha256).toBe(crypto.createHash('sha256').update(zip).digest('base64'))
  })

  it('a duplicate name → 409 ResourceConflictException', async () => {
    const name = uniqueName('cp-dup')
    await deploy(client, name, ECHO_RUNTIME)
    await expectApiError(client.send(new CreateFunctionCommand(createInput(name, await zipFiles({ bootstrap: ECHO_RUNTIME })))), apiErrors.conflict(''))
  })

  it('the deprecated runtime go1.x → 400 InvalidParameterValueException', async () => {
    const name = uniqueName('cp-go1x')
    await expectApiError(client.send(new CreateFunctionCommand(createInput(name, await zipFiles({ bootstrap: ECHO_RUNTIME }), { Runtime: 'go1.x' }))), apiErrors.invalidParameter(''))
    await expectNotFound(client, name)
  })

  it.each([
    ['Timeout', 0, 'timeout'],
    ['Timeout', 901, 'timeout'],
    ['MemorySize', 127, 'memorySize'],
  ] as const)('%s %i → 400 ValidationException', async (field, value, wireField) => {
    const name = uniqueName('cp-range')
    const expected = apiErrors.validation(String(value), wireField, '') // LB §2.3 ranges; protocol.ts TIMEOUT_RANGE_S / MEMORY_RANGE_MB
    await expectApiError(
      client.send(new CreateFunctionCommand(createInput(name, await zipFiles({ bootstrap: ECHO_RUNTIME }), { [field]: value }))),
      expected,
      String(expected.body.message),
    )
    await expectNotFound(client, name)
  })

  it('a reserved environment key (AWS_REGION) → 400 InvalidParameterValueException', async () => {
    const name = uniqueName('cp-reserved')
    await expectApiError(
      client.send(new CreateFunctionCommand(createInput(name, await zipFiles({ bootstrap: ECHO_RUNTIME }), { Environment: { Variables: { AWS_REGION: 'eu-west-1' } } }))),
      apiErrors.invalidParameter(''),
    )
    await expectNotFound(client, name)
  })
})

describe('CreateFunction rejects unsafe or broken packages and writes nothing outside', () => {
  async function expectRejected(zip: Buffer, mustNotExist: string[]): Promise<void> {
    const name = uniqueName('cp-zip')
    const codeDir = path.join(workDir(), 'code')
    const before = { top: fs.readdirSync(workDir()).sort(), code: tree(codeDir) }
    const outcome = await client.send(new CreateFunctionCommand(createInput(name, zip))).then(
      () => null,
      (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } },
    )
    // Nothing lands outside the package, whatever the answer was.
    for (const p of mustNotExist) expect.soft(fs.existsSync(p), `${p} was written outside the package`).toBe(false)
    expect.soft({ top: fs.readdirSync(workDir()).sort(), code: tree(codeDir) }).toEqual(before)
    const expected = apiErrors.invalidParameter('')
    expect(outcome, 'CreateFunction must be rejected').not.toBeNull()
    expect(outcome?.name).toBe(expected.code)
    expect(outcome?.$metadata?.httpStatusCode).toBe(expected.status)
    await expectNotFound(client, name)
  }

  it('an entry named ../evil', async () => {
    const evil = `ev${crypto.randomBytes(3).toString('hex')}`
    const zip = patchZip(await zipFiles({ bootstrap: ECHO_RUNTIME, [`xx/${evil}`]: 'pwned' }), `xx/${evil}`, `../${evil}`)
    await expectRejected(zip, [path.join(workDir(), 'code', evil), path.join(workDir(), evil)])
  })

  it('an entry with an absolute path', async () => {
    const abs = path.join(outside, `abs-${crypto.randomBytes(3).toString('hex')}`)
    const zip = patchZip(await zipFiles({ bootstrap: ECHO_RUNTIME, [`X${abs.slice(1)}`]: 'pwned' }), `X${abs.slice(1)}`, abs)
    await expectRejected(zip, [abs])
  })

  it('a symlink to an absolute directory outside, with a file written through it', async () => {
    const marker = `through-abs-${crypto.randomBytes(3).toString('hex')}`
    const zip = await zipFiles({ bootstrap: ECHO_RUNTIME, link: { data: outside, symlink: true }, [`link/${marker}`]: 'pwned' })
    await expectRejected(zip, [path.join(outside, marker)])
    expect(fs.readdirSync(outside).filter((f) => f.startsWith('through-'))).toEqual([])
  })

  it('a relative symlink that climbs out of the package, with a file written through it', async () => {
    const marker = `through-rel-${crypto.randomBytes(3).toString('hex')}`
    const zip = await zipFiles({ bootstrap: ECHO_RUNTIME, link: { data: '../..', symlink: true }, [`link/${marker}`]: 'pwned' })
    await expectRejected(zip, [path.join(workDir(), marker), path.join(workDir(), 'code', marker)])
  })

  it('a chain of symlinks that each look inside but together point outside, with a file written through them', async () => {
    // sub/up → ".." is the package root (inside); esc → "sub/up/.." is lexically "sub" (inside), but on disk it is
    // the package root's parent, so esc/<marker> lands outside the package.
    const marker = `through-chain-${crypto.randomBytes(3).toString('hex')}`
    const zip = await zipFiles({
      bootstrap: ECHO_RUNTIME,
      'sub/up': { data: '..', symlink: true },
      esc: { data: 'sub/up/..', symlink: true },
      [`esc/${marker}`]: 'pwned',
    })
    await expectRejected(zip, [path.join(workDir(), 'code', marker), path.join(workDir(), marker)])
  })

  it('bytes that are not a zip', async () => {
    await expectRejected(Buffer.from('this is not a zip archive, just text'), [])
  })
})

describe('GetFunction and GetFunctionConfiguration', () => {
  it('GetFunction returns the configuration and a Code.Location that serves the uploaded zip', async () => {
    const name = uniqueName('cp-get')
    const zip = await zipFiles({ bootstrap: ECHO_RUNTIME, 'data/readme.txt': 'hello' })
    await client.send(new CreateFunctionCommand(createInput(name, zip, { Timeout: 9, MemorySize: 256, Description: 'get me' })))
    await waitForActive(client, name)
    const g = await client.send(new GetFunctionCommand({ FunctionName: name }))
    expect(g.Configuration?.FunctionName).toBe(name)
    expect(g.Configuration?.FunctionArn).toBe(fnArn(name))
    expect(g.Configuration?.Timeout).toBe(9)
    expect(g.Configuration?.MemorySize).toBe(256)
    expect(g.Configuration?.Description).toBe('get me')
    expect(g.Configuration?.State).toBe('Active')
    expect(g.Code?.Location).toBeTruthy()
    const res = await fetch(g.Code!.Location!)
    expect(res.status).toBe(200)
    const downloaded = Buffer.from(await res.arrayBuffer())
    expect(downloaded.equals(zip)).toBe(true)
  })

  it('GetFunctionConfiguration returns the stored settings', async () => {
    const name = uniqueName('cp-getcfg')
    const zip = await zipFiles({ bootstrap: ECHO_RUNTIME })
    await client.send(new CreateFunctionCommand(createInput(name, zip, { Timeout: 11, MemorySize: 512, Environment: { Variables: { AA: '1', B_2: 'two' } } })))
    await waitForActive(client, name)
    const c = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }))
    expect(c).toMatchObject({
      FunctionName: name,
      FunctionArn: fnArn(name),
      Runtime: 'provided.al2023',
      Role: ROLE,
      Handler: 'bootstrap',
      Timeout: 11,
      MemorySize: 512,
      Environment: { Variables: { AA: '1', B_2: 'two' } },
      State: 'Active',
      LastUpdateStatus: 'Successful',
      CodeSha256: crypto.createHash('sha256').update(zip).digest('base64'),
      CodeSize: zip.length,
      Version: LATEST,
    })
    // By full ARN too (LB §2.4 name pattern accepts ARNs).
    expect((await client.send(new GetFunctionConfigurationCommand({ FunctionName: fnArn(name) }))).FunctionName).toBe(name)
  })
})

describe('UpdateFunctionConfiguration', () => {
  it('goes InProgress then Successful; the next invoke is a cold start that sees the new environment', async () => {
    const name = uniqueName('cp-update-cfg')
    await deploy(slowClient, name, GREETING_RUNTIME, { env: { GREETING: 'one' } })
    const invokeTail = () => slowClient.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}'), LogType: 'Tail' }))
    const first = await invokeTail()
    expect(payloadJson(first)).toBe('one')
    expect(lastReport(decodeLog(first))?.['Init Duration']).toBeDefined()
    const warm = await invokeTail()
    expect(payloadJson(warm)).toBe('one')
    expect(lastReport(decodeLog(warm))?.['Init Duration']).toBeUndefined() // LB §4 "Success": reused, no Init Duration

    const u = await slowClient.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Environment: { Variables: { GREETING: 'two' } }, Timeout: 7 }))
    expect(u.LastUpdateStatus).toBe('InProgress')
    expect(u.Timeout).toBe(7)
    expect((await slowClient.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).LastUpdateStatus).toBe('InProgress')
    await waitUntil(async () => (await slowClient.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).LastUpdateStatus === 'Successful', {
      what: 'LastUpdateStatus Successful',
    })
    const after = await invokeTail()
    expect(payloadJson(after)).toBe('two')
    expect(lastReport(decodeLog(after))?.['Init Duration']).toBeDefined() // a fresh environment
    const c = await slowClient.send(new GetFunctionConfigurationCommand({ FunctionName: name }))
    expect(c.Timeout).toBe(7)
    expect(c.Environment?.Variables).toEqual({ GREETING: 'two' })
  })

  it('an update while another is InProgress → 409 ResourceConflictException and changes nothing', async () => {
    const name = uniqueName('cp-update-conflict')
    await deploy(slowClient, name, GREETING_RUNTIME, { env: { GREETING: 'one' } })
    const u1 = await slowClient.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 10, Environment: { Variables: { GREETING: 'two' } } }))
    expect(u1.LastUpdateStatus).toBe('InProgress')
    await expectApiError(
      slowClient.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 20, MemorySize: 1024, Environment: { Variables: { GREETING: 'three' } } })),
      apiErrors.conflict(''),
    )
    await waitForActive(slowClient, name)
    const c = await slowClient.send(new GetFunctionConfigurationCommand({ FunctionName: name }))
    // The rejected update must not have been applied.
    expect.soft({ Timeout: c.Timeout, MemorySize: c.MemorySize, Environment: c.Environment?.Variables }).toEqual({ Timeout: 10, MemorySize: DEFAULT_MEMORY_MB, Environment: { GREETING: 'two' } })
    expect(payloadJson(await slowClient.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') })))).toBe('two')
  })
})

describe('UpdateFunctionCode', () => {
  it('the new code runs on the next invoke, and GetFunction serves the new zip', async () => {
    const name = uniqueName('cp-update-code')
    await deploy(client, name, constantRuntime('v1'))
    expect(payloadJson(await client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') })))).toBe('v1')
    const zip2 = await zipFiles({ bootstrap: constantRuntime('v2') })
    const u = await client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip2 }))
    expect(u.CodeSha256).toBe(crypto.createHash('sha256').update(zip2).digest('base64'))
    expect(u.CodeSize).toBe(zip2.length)
    await waitForActive(client, name)
    const out = await client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}'), LogType: 'Tail' }))
    expect(payloadJson(out)).toBe('v2')
    expect(lastReport(decodeLog(out))?.['Init Duration']).toBeDefined()
    const g = await client.send(new GetFunctionCommand({ FunctionName: name }))
    expect(Buffer.from(await (await fetch(g.Code!.Location!)).arrayBuffer()).equals(zip2)).toBe(true)
  })

  it('a code update while a configuration update is InProgress → 409 and the code is unchanged', async () => {
    const name = uniqueName('cp-code-conflict')
    const zip1 = await zipFiles({ bootstrap: constantRuntime('v1') })
    await slowClient.send(new CreateFunctionCommand(createInput(name, zip1)))
    await waitForActive(slowClient, name)
    await slowClient.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: 'in progress' }))
    await expectApiError(slowClient.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: await zipFiles({ bootstrap: constantRuntime('v2') }) })), apiErrors.conflict(''))
    await waitForActive(slowClient, name)
    const c = await slowClient.send(new GetFunctionConfigurationCommand({ FunctionName: name }))
    expect.soft(c.CodeSha256).toBe(crypto.createHash('sha256').update(zip1).digest('base64'))
    expect(payloadJson(await slowClient.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') })))).toBe('v1')
  })
})

describe('ListFunctions', () => {
  it('paginates with MaxItems 1 and Marker over every function', async () => {
    const prefix = uniqueName('cp-list')
    const names = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]
    for (const n of names) await deploy(client, n, ECHO_RUNTIME)
    const seen: string[] = []
    let marker: string | undefined
    let pages = 0
    do {
      const page = await client.send(new ListFunctionsCommand({ MaxItems: 1, ...(marker ? { Marker: marker } : {}) }))
      expect(page.Functions?.length).toBe(1)
      seen.push(...(page.Functions ?? []).map((f) => f.FunctionName!))
      marker = page.NextMarker
      pages++
      expect(pages).toBeLessThan(1000)
    } while (marker)
    expect(new Set(seen).size).toBe(seen.length) // no duplicates
    for (const n of names) expect(seen).toContain(n)
    const all = await client.send(new ListFunctionsCommand({}))
    expect(all.NextMarker).toBeUndefined()
    expect((all.Functions ?? []).map((f) => f.FunctionName).sort()).toEqual([...seen].sort())
  })

  // Not base64, base64 of nothing or of a space, of "1e2" and "0x10" (numbers, not markers), of an index far past the end.
  it.for(['not-a-marker', '!!!!', 'IA==', 'MWUy', 'MHgxMA==', 'OTk5OTk5'])('ListFunctions with a Marker it never handed out (%s) → 400 naming what to pass (before: a page anyway)', async (marker) => {
    await expectSdkError(
      client.send(new ListFunctionsCommand({ Marker: marker })),
      apiErrors.invalidParameter(`Invalid Marker "${marker}": pass the NextMarker of the previous ListFunctions answer, or none to start at the beginning.`),
    )
  })
})

describe('DeleteFunction', () => {
  it('removes the function: GetFunction and Invoke then answer 404', async () => {
    const name = uniqueName('cp-delete')
    await deploy(client, name, ECHO_RUNTIME)
    expect(payloadText(await client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('"x"') })))).toBe('"x"')
    const d = await client.send(new DeleteFunctionCommand({ FunctionName: name }))
    expect(d.$metadata.httpStatusCode).toBe(204)
    await expectNotFound(client, name)
    await expectApiError(client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') })), apiErrors.functionNotFound(`${fnArn(name)}:${LATEST}`))
    await expectApiError(client.send(new DeleteFunctionCommand({ FunctionName: name })), apiErrors.functionNotFound(fnArn(name)))
    const all = await client.send(new ListFunctionsCommand({}))
    expect((all.Functions ?? []).map((f) => f.FunctionName)).not.toContain(name)
  })
})
