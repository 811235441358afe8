/**
 * Bad packages and bad names for the embedded target (issue #6, item 3). Packages: a zip of a few KB that expands
 * past the unzipped limit, a bomb whose headers lie about its size, corrupted zips (CRC mismatch, truncated central
 * directory, encryption, unknown compression) and entries the file system refuses (the ../, absolute and symlink
 * cases are in control-plane.test.ts). Names: every part of the function name pattern, the lengths, ARNs of other
 * regions and accounts, qualifiers, handlers, runtimes and members of the wrong JSON type. Expected answers come
 * from protocol.ts, which cites the AWS recordings; each group ends by showing that the target still serves.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import {
  CreateFunctionCommand,
  type CreateFunctionCommandInput,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  type LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ApiError,
  apiErrors,
  CREATE_FUNCTION_NAME_CONSTRAINT,
  FUNCTION_NAME_CONSTRAINT,
  HANDLER_CONSTRAINT,
  LATEST,
  QUALIFIER_CONSTRAINT,
  UNZIPPED_CODE_LIMIT,
} from '../lambda/protocol.js'
import { EMBEDDED_ACCOUNT_ID, type EmbeddedTarget, startEmbeddedTarget } from './index.js'
import { deploy, ECHO_RUNTIME, expectSdkError, lambdaClient, memoryWatch, payloadJson, REGION, ROLE, sdkError, sleep, uniqueName } from './test-support.js'
import { zipFiles } from './zip.js'

let target: EmbeddedTarget
let client: LambdaClient
/** A function the name and qualifier cases look up. */
const KNOWN = uniqueName('bp-known')

beforeAll(async () => {
  target = await startEmbeddedTarget({ pendingMs: 0 })
  client = lambdaClient(target.endpoint)
  await deploy(client, KNOWN, ECHO_RUNTIME)
})

afterAll(async () => {
  await target?.close()
})

const MiB = 1024 * 1024
const codeDir = (): string => path.join(String(target.details.workDir), 'code')
const arn = (name: string, region = REGION, account = EMBEDDED_ACCOUNT_ID): string => `arn:aws:lambda:${region}:${account}:function:${name}`

async function expectStillServing(): Promise<void> {
  const name = uniqueName('bp-health')
  await deploy(client, name, ECHO_RUNTIME)
  const event = { healthy: crypto.randomUUID() }
  const out = await client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)) }))
  expect(payloadJson(out)).toEqual(event)
  await client.send(new DeleteFunctionCommand({ FunctionName: name }))
}

/** A request with a raw JSON body (members of any JSON type), answered with status, error type and body. */
async function rawJson(method: string, p: string, body: string): Promise<{ status: number; code: string | null; body: Record<string, unknown> }> {
  const res = await fetch(`${target.endpoint}${p}`, { method, body, headers: { 'content-type': 'application/json' } })
  return { status: res.status, code: res.headers.get('x-amzn-errortype'), body: (await res.json()) as Record<string, unknown> }
}

// ------------------------------------------------------------------ zips at the byte level

interface RawEntry {
  name: string
  /** The bytes stored for the entry (deflated when method is 8). */
  data: Buffer
  method: number
  crc: number
  /** Uncompressed size the headers declare. */
  size: number
  /** Unix mode for the external attributes. */
  mode?: number
  /** General purpose flags (bit 0: encrypted). */
  flags?: number
}

/**
 * Writes a zip: local headers with data, then the central directory, then its end record. With `sharedData`, one
 * local entry holds the data and every central directory entry points at it (overlapping entries).
 */
function buildZip(entries: RawEntry[], o: { sharedData?: boolean } = {}): Buffer {
  const local = (e: RawEntry): Buffer => {
    const name = Buffer.from(e.name, 'utf8')
    const h = Buffer.alloc(30)
    h.writeUInt32LE(0x04034b50, 0)
    h.writeUInt16LE(20, 4)
    h.writeUInt16LE(e.flags ?? 0, 6)
    h.writeUInt16LE(e.method, 8)
    h.writeUInt16LE(0x21, 12) // 1980-01-01
    h.writeUInt32LE(e.crc >>> 0, 14)
    h.writeUInt32LE(e.data.length, 18)
    h.writeUInt32LE(e.size, 22)
    h.writeUInt16LE(name.length, 26)
    return Buffer.concat([h, name, e.data])
  }
  const central = (e: RawEntry, offset: number): Buffer => {
    const name = Buffer.from(e.name, 'utf8')
    const h = Buffer.alloc(46)
    h.writeUInt32LE(0x02014b50, 0)
    h.writeUInt16LE((3 << 8) | 20, 4) // made by Unix
    h.writeUInt16LE(20, 6)
    h.writeUInt16LE(e.flags ?? 0, 8)
    h.writeUInt16LE(e.method, 10)
    h.writeUInt16LE(0x21, 14)
    h.writeUInt32LE(e.crc >>> 0, 16)
    h.writeUInt32LE(e.data.length, 20)
    h.writeUInt32LE(e.size, 24)
    h.writeUInt16LE(name.length, 28)
    h.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38)
    h.writeUInt32LE(offset, 42)
    return Buffer.concat([h, name])
  }
  const locals: Buffer[] = []
  const offsets: number[] = []
  let at = 0
  for (const [i, e] of entries.entries()) {
    if (o.sharedData && i > 0) {
      offsets.push(0)
      continue
    }
    offsets.push(at)
    const l = local(e)
    locals.push(l)
    at += l.length
  }
  const cd = Buffer.concat(entries.map((e, i) => central(e, offsets[i]!)))
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(cd.length, 12)
  end.writeUInt32LE(at, 16)
  return Buffer.concat([...locals, cd, end])
}

const stored = (name: string, data: Buffer | string, mode?: number): RawEntry => {
  const d = Buffer.from(data)
  return { name, data: d, method: 0, crc: zlib.crc32(d), size: d.length, ...(mode !== undefined ? { mode } : {}) }
}

const deflated = new Map<number, Promise<{ data: Buffer; crc: number }>>()
/** `total` zero bytes deflated (once per size), streamed through zlib one MiB at a time, with their CRC-32. */
function deflatedZeros(total: number): Promise<{ data: Buffer; crc: number }> {
  if (!deflated.has(total)) deflated.set(total, deflateZeros(total))
  return deflated.get(total)!
}

async function deflateZeros(total: number): Promise<{ data: Buffer; crc: number }> {
  const zero = Buffer.alloc(MiB)
  const d = zlib.createDeflateRaw({ level: 9 })
  const out: Buffer[] = []
  d.on('data', (c: Buffer) => out.push(c))
  const done = new Promise<void>((resolve, reject) => d.on('end', resolve).on('error', reject))
  let crc = 0
  for (let n = 0; n < total; n += MiB) {
    const piece = zero.subarray(0, Math.min(MiB, total - n))
    crc = zlib.crc32(piece, crc)
    if (!d.write(piece)) await new Promise((r) => d.once('drain', r))
  }
  d.end()
  await done
  return { data: Buffer.concat(out), crc }
}

/** Bytes under `dir` (regular files, not following links). */
function bytesUnder(dir: string): number {
  let total = 0
  const walk = (p: string): void => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(p, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const q = path.join(p, e.name)
      if (e.isDirectory()) walk(q)
      else if (e.isFile()) {
        try {
          total += fs.statSync(q).size
        } catch {
          // removed meanwhile
        }
      }
    }
  }
  walk(dir)
  return total
}

/**
 * CreateFunction with `zip`, which must be refused with `expected` (message prefix): while it runs, the disk under
 * the code directory and this process's memory are watched; afterwards nothing of it is left.
 */
async function expectZipRefused(zip: Buffer, expected: ApiError): Promise<{ ms: number; diskMaxBytes: number; rssGrowthMB: number }> {
  const name = uniqueName('bp-zip')
  const before = fs.readdirSync(codeDir()).sort()
  const base = bytesUnder(codeDir())
  let diskMax = 0
  const rss0 = process.memoryUsage.rss()
  let rssMax = rss0
  const watch = setInterval(() => {
    diskMax = Math.max(diskMax, bytesUnder(codeDir()) - base)
    rssMax = Math.max(rssMax, process.memoryUsage.rss())
  }, 5)
  const t0 = performance.now()
  try {
    const input: CreateFunctionCommandInput = { FunctionName: name, Runtime: 'provided.al2023', Role: ROLE, Handler: 'bootstrap', Code: { ZipFile: zip } }
    await expectSdkError(client.send(new CreateFunctionCommand(input)), expected, { prefix: true })
  } finally {
    clearInterval(watch)
  }
  const ms = performance.now() - t0
  expect(fs.readdirSync(codeDir()).sort(), 'a refused package leaves nothing behind').toEqual(before)
  await expectSdkError(client.send(new GetFunctionCommand({ FunctionName: name })), apiErrors.functionNotFound(arn(name)))
  return { ms: Math.round(ms), diskMaxBytes: diskMax, rssGrowthMB: Math.round(((rssMax - rss0) / MiB) * 10) / 10 }
}

describe('zips that expand past the unzipped limit', () => {
  it(`a zip of a few KB whose entries overlap expands to more than ${UNZIPPED_CODE_LIMIT} bytes: refused before a byte is written`, async ({ task }) => {
    const { data, crc } = await deflatedZeros(MiB)
    const count = Math.floor(UNZIPPED_CODE_LIMIT / MiB) + 1
    const entries = Array.from({ length: count }, (_, i) => ({ name: `zeros-${String(i).padStart(3, '0')}`, data, method: 8, crc, size: MiB }))
    const zip = buildZip(entries, { sharedData: true })
    expect(zip.length).toBeLessThan(20 * 1024)
    const r = await expectZipRefused(zip, apiErrors.unzippedTooLarge())
    expect(r.diskMaxBytes).toBe(0)
    task.meta.figures = { badPackages: 1, zipBytes: zip.length, expandsToBytes: count * MiB, ...r }
    await expectStillServing()
  })

  it('one honest 300 MB entry (a 300 KB zip): refused from its declared size, nothing written', async ({ task }) => {
    const total = 300 * MiB
    const { data, crc } = await deflatedZeros(total)
    const zip = buildZip([stored('bootstrap', ECHO_RUNTIME, 0o100755), { name: 'zeros', data, method: 8, crc, size: total }])
    const r = await expectZipRefused(zip, apiErrors.unzippedTooLarge())
    expect(r.diskMaxBytes).toBe(0)
    task.meta.figures = { badPackages: 1, zipBytes: zip.length, expandsToBytes: total, ...r }
  })

  it('a 300 MB entry whose headers claim 1000 bytes: cut off while it inflates, with bounded disk and memory', async ({ task }) => {
    const total = 300 * MiB
    const { data, crc } = await deflatedZeros(total)
    const zip = buildZip([stored('bootstrap', ECHO_RUNTIME, 0o100755), { name: 'liar', data, method: 8, crc, size: 1000 }])
    // The bytes that inflate are counted against what was declared (and the limit): the entry is refused as
    // corrupt after its declared 1000 bytes; it never reaches the disk whole.
    const r = await expectZipRefused(zip, apiErrors.invalidZip())
    expect(r.diskMaxBytes).toBeLessThan(MiB)
    expect(r.rssGrowthMB).toBeLessThan(64)
    task.meta.figures = { badPackages: 1, zipBytes: zip.length, inflatesToBytes: total, declaredBytes: 1000, ...r }
    await expectStillServing()
  })
})

describe('a large package under the limit', () => {
  it('one 200 MB entry is extracted as a stream: memory stays bounded (before, the entry was inflated in memory whole)', async ({ task }) => {
    const total = 200 * MiB
    const { data, crc } = await deflatedZeros(total)
    const zip = buildZip([stored('bootstrap', ECHO_RUNTIME, 0o100755), { name: 'zeros', data, method: 8, crc, size: total }])
    const name = uniqueName('bp-large')
    const mem = memoryWatch()
    const t0 = performance.now()
    await client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'provided.al2023', Role: ROLE, Handler: 'bootstrap', Code: { ZipFile: zip } }))
    const ms = performance.now() - t0
    const m = mem.stop()
    expect(m.peak - m.baseline, `RSS grew by ${Math.round((m.peak - m.baseline) / MiB)} MB`).toBeLessThan(100 * MiB)
    task.meta.figures = { zipBytes: zip.length, unzippedBytes: total, ms: Math.round(ms), rssGrowthMB: Math.round(((m.peak - m.baseline) / MiB) * 10) / 10, rssMethod: m.method }
    await client.send(new DeleteFunctionCommand({ FunctionName: name }))
  })
})

describe('corrupted zips and entries the file system refuses → InvalidParameterValueException', () => {
  const bootstrap = (): RawEntry => stored('bootstrap', ECHO_RUNTIME, 0o100755)
  const cases: [string, () => Promise<Buffer> | Buffer][] = [
    ['CRC-32 mismatch', () => buildZip([bootstrap(), { ...stored('data.txt', 'the stored bytes'), crc: zlib.crc32('other bytes') }])],
    ['CRC-32 mismatch in a deflated entry', () => {
      const raw = Buffer.from('x'.repeat(5000))
      return buildZip([bootstrap(), { name: 'data.txt', data: zlib.deflateRawSync(raw), method: 8, crc: zlib.crc32(raw) ^ 1, size: raw.length }])
    }],
    ['end of central directory cut off', async () => {
      const z = await zipFiles({ bootstrap: ECHO_RUNTIME, 'a.txt': 'a', 'b.txt': 'b' })
      return z.subarray(0, z.length - 10)
    }],
    ['central directory shorter than its end record says', () => {
      const z = buildZip([bootstrap(), stored('a.txt', 'a'), stored('b.txt', 'b')])
      const end = z.subarray(z.length - 22)
      const cdOffset = end.readUInt32LE(16)
      const cdSize = end.readUInt32LE(12)
      // Drop the last central directory record but keep the end record's count and size.
      const lastRecord = 46 + 'b.txt'.length
      return Buffer.concat([z.subarray(0, cdOffset + cdSize - lastRecord), end])
    }],
    ['central directory pointing past the end of the file', () => {
      const z = buildZip([bootstrap(), stored('a.txt', 'a')])
      z.writeUInt32LE(z.length + 1000, z.length - 22 + 16)
      return z
    }],
    ['local header offset pointing into the middle of data', () => {
      const z = buildZip([bootstrap(), stored('a.txt', 'aaaaaaaaaaaaaaaaaaaaaaaa')])
      const cdOffset = z.readUInt32LE(z.length - 22 + 16)
      const second = cdOffset + 46 + 'bootstrap'.length
      z.writeUInt32LE(z.readUInt32LE(second + 42) + 35, second + 42)
      return z
    }],
    ['an encrypted entry', () => buildZip([bootstrap(), { ...stored('secret.txt', 'xxxx'), flags: 1 }])],
    ['an unknown compression method', () => buildZip([bootstrap(), { ...stored('odd.txt', 'xxxx'), method: 99 }])],
    ['a NUL byte in an entry name', () => buildZip([bootstrap(), stored('a\u0000b', 'x')])],
    ['a name component longer than the file system allows', () => buildZip([bootstrap(), stored(`${'n'.repeat(300)}.txt`, 'x')])],
    ['a file where a later entry needs a directory', () => buildZip([bootstrap(), stored('conf', 'x'), stored('conf/inner.txt', 'y')])],
    ['a directory where a later entry is a file', () => buildZip([bootstrap(), stored('lib/', '', 0o040755), stored('lib', 'y')])],
    ['a symlink whose target is longer than PATH_MAX', () => buildZip([bootstrap(), stored('link', 'a/'.repeat(3000), 0o120777)])],
    ['a backslash path climbing out', () => buildZip([bootstrap(), stored('..\\evil.txt', 'x')])],
  ]
  it.for(cases)('%s', async ([, make], { task }) => {
    const zip = await make()
    const r = await expectZipRefused(zip, apiErrors.invalidZip())
    task.meta.figures = { badPackages: 1, zipBytes: zip.length, ...r }
  })

  it('the target still serves after all of them', async () => {
    await expectStillServing()
  })
})

// ------------------------------------------------------------------ names, qualifiers, handlers, runtimes

const validInput = (name: string, extra: Partial<CreateFunctionCommandInput> = {}): CreateFunctionCommandInput => ({
  FunctionName: name, Runtime: 'provided.al2023', Role: ROLE, Handler: 'bootstrap', Code: { ZipFile: Buffer.alloc(0) }, ...extra,
})
let echoZip: Buffer
beforeAll(async () => {
  echoZip = await zipFiles({ bootstrap: ECHO_RUNTIME })
})
const create = (name: string, extra: Partial<CreateFunctionCommandInput> = {}) =>
  client.send(new CreateFunctionCommand({ ...validInput(name, extra), Code: { ZipFile: echoZip } }))

describe('CreateFunction: invalid function names', () => {
  const longArn = arn('a'.repeat(141 - arn('').length), REGION, '000000000000')
  const cases: [string, string, () => ApiError][] = [
    ['a bare name of 65 characters', 'a'.repeat(65), () => apiErrors.functionNameTooLong('a'.repeat(65))],
    ['a bad character', 'my-function!', () => apiErrors.validations([{ value: 'my-function!', field: 'functionName', constraint: CREATE_FUNCTION_NAME_CONSTRAINT }])],
    ['a single *', '*', () => apiErrors.validations([{ value: '*', field: 'functionName', constraint: CREATE_FUNCTION_NAME_CONSTRAINT }])],
    ['a dot (allowed by the other operations, not by CreateFunction)', 'my.function', () => apiErrors.validations([{ value: 'my.function', field: 'functionName', constraint: CREATE_FUNCTION_NAME_CONSTRAINT }])],
    ['an ARN of 141 characters', longArn, () => apiErrors.validations([{ value: longArn, field: 'functionName', constraint: 'Member must have length less than or equal to 140' }])],
    ['an ARN of another region', arn('bp-other-region', 'ap-southeast-1'), () => apiErrors.regionNotReachable('ap-southeast-1', REGION)],
    ['a partial ARN with a bad account', 'invalid-account:function:my-function', () => apiErrors.validations([{ value: 'invalid-account:function:my-function', field: 'functionName', constraint: CREATE_FUNCTION_NAME_CONSTRAINT }])],
    ['an ARN without its region', 'arn:aws:lambda::000000000000:function:x', () => apiErrors.validations([{ value: 'arn:aws:lambda::000000000000:function:x', field: 'functionName', constraint: CREATE_FUNCTION_NAME_CONSTRAINT }])],
    ['a partial ARN with two qualifiers', 'function:my-function:$LATEST:extra', () => apiErrors.validations([{ value: 'function:my-function:$LATEST:extra', field: 'functionName', constraint: CREATE_FUNCTION_NAME_CONSTRAINT }])],
    ['a lower-case $latest', 'my-function:$latest', () => apiErrors.validations([{ value: 'my-function:$latest', field: 'functionName', constraint: CREATE_FUNCTION_NAME_CONSTRAINT }])],
    ['a non-Lambda ARN', `arn:aws:ec2:${REGION}:000000000000:instance:i-1234567890abcdef0`, () => apiErrors.validations([{ value: `arn:aws:ec2:${REGION}:000000000000:instance:i-1234567890abcdef0`, field: 'functionName', constraint: CREATE_FUNCTION_NAME_CONSTRAINT }])],
  ]
  it.for(cases)('%s', async ([, name, expected], { task }) => {
    await expectSdkError(create(name), expected())
    task.meta.figures = { badRequests: 1 }
  })

  it('an ARN of another account → 403 AccessDeniedException', async ({ task }) => {
    task.meta.figures = { badRequests: 1 }
    const e = await sdkError(create(arn('bp-other-account', REGION, '123456789012')))
    const expected = apiErrors.accessDenied('')
    expect(e.name).toBe(expected.code)
    expect(e.$metadata?.httpStatusCode).toBe(expected.status)
  })

  it('a partial ARN of this account creates the function under its name', async () => {
    const name = uniqueName('bp-partial')
    const c = await create(`${target.accountId}:function:${name}`)
    expect(c.FunctionName).toBe(name)
    expect(c.FunctionArn).toBe(arn(name))
  })
})

type Op = 'GetFunction' | 'Invoke'

describe('GetFunction, Invoke: invalid names and qualifiers', () => {
  const badRegionArn = `arn:aws:lambda:invalid-region:000000000000:function:my-function-${'a'.repeat(170)}`
  const get = (FunctionName: string, Qualifier?: string) => client.send(new GetFunctionCommand({ FunctionName, ...(Qualifier !== undefined ? { Qualifier } : {}) }))
  const invoke = (FunctionName: string, Qualifier?: string) => client.send(new InvokeCommand({ FunctionName, Payload: Buffer.from('{}'), ...(Qualifier !== undefined ? { Qualifier } : {}) }))
  // Invoke's 404 names $LATEST when no qualifier was given, GetFunction's does not (LS recordings, 2025-11).
  const notFound = (name: string) => (op: Op): ApiError => apiErrors.functionNotFound(op === 'Invoke' ? `${arn(name)}:${LATEST}` : arn(name))
  const cases: [string, string, string | undefined, (op: Op) => ApiError][] = [
    ['a name of 65 characters is simply not found', 'a'.repeat(65), undefined, notFound('a'.repeat(65))],
    ['a bad character', 'my-function!', undefined, () => apiErrors.validations([{ value: 'my-function!', field: 'functionName', constraint: FUNCTION_NAME_CONSTRAINT }])],
    ['an ARN of another region', arn(KNOWN, 'eu-west-1'), undefined, () => apiErrors.regionNotReachable('eu-west-1', REGION)],
    ['an ARN ending in "function" names a function called "function"', `arn:aws:lambda:${REGION}:000000000000:function`, undefined, notFound('function')],
    ['a qualifier in the ARN and a different Qualifier', `${arn(KNOWN)}:$LATEST`, '1', () => apiErrors.qualifierMismatch()],
    ['a Qualifier of 129 characters', KNOWN, 'q'.repeat(129), () => apiErrors.validations([{ value: 'q'.repeat(129), field: 'qualifier', constraint: 'Member must have length less than or equal to 128' }])],
    ['a Qualifier with a bad character', KNOWN, 'invalid!', () => apiErrors.validations([{ value: 'invalid!', field: 'qualifier', constraint: QUALIFIER_CONSTRAINT }])],
    ['a bad Qualifier and a bad ARN: both in one message, qualifier first', badRegionArn, 'q'.repeat(129), () => apiErrors.validations([
      { value: 'q'.repeat(129), field: 'qualifier', constraint: 'Member must have length less than or equal to 128' },
      { value: badRegionArn, field: 'functionName', constraint: FUNCTION_NAME_CONSTRAINT },
    ])],
    ['a lower-case $latest is another qualifier, not found', KNOWN, '$latest', () => apiErrors.functionNotFound(`${arn(KNOWN)}:$latest`)],
    // The 2025 pattern: ISO and EUSC regions and the $LATEST.PUBLISHED qualifier are valid names, not validation errors.
    ['an ARN of an ISO region is valid, and not reachable here', arn(KNOWN, 'us-isob-east-1'), undefined, () => apiErrors.regionNotReachable('us-isob-east-1', REGION)],
    ['an ARN of a European Sovereign Cloud region is valid, and not reachable here', arn(KNOWN, 'eusc-de-east-1'), undefined, () => apiErrors.regionNotReachable('eusc-de-east-1', REGION)],
    ['$LATEST.PUBLISHED is a valid qualifier, not found here', `${KNOWN}:$LATEST.PUBLISHED`, undefined, () => apiErrors.functionNotFound(`${arn(KNOWN)}:$LATEST.PUBLISHED`)],
  ]
  it.for(cases)('GetFunction: %s', async ([, name, qualifier, expected], { task }) => {
    await expectSdkError(get(name, qualifier), expected('GetFunction'))
    task.meta.figures = { badRequests: 1 }
  })
  it.for(cases)('Invoke: %s', async ([, name, qualifier, expected], { task }) => {
    await expectSdkError(invoke(name, qualifier), expected('Invoke'))
    task.meta.figures = { badRequests: 1 }
  })
  it('an ARN of another account → 403 AccessDeniedException; a full ARN of this account works', async ({ task }) => {
    task.meta.figures = { badRequests: 1 }
    const e = await sdkError(get(arn(KNOWN, REGION, '123456789012')))
    expect(e.name).toBe(apiErrors.accessDenied('').code)
    expect(e.$metadata?.httpStatusCode).toBe(apiErrors.accessDenied('').status)
    expect((await get(arn(KNOWN))).Configuration?.FunctionName).toBe(KNOWN)
    expect((await get(`${target.accountId}:function:${KNOWN}`)).Configuration?.FunctionName).toBe(KNOWN)
  })
  it('the target still serves', async () => {
    await expectStillServing()
  })
})

describe('invalid handlers and runtimes', () => {
  const handlerCases: [string, string, () => ApiError][] = [
    ['a space', 'index handler', () => apiErrors.validations([{ value: 'index handler', field: 'handler', constraint: HANDLER_CONSTRAINT }])],
    ['a tab', 'index\thandler', () => apiErrors.validations([{ value: 'index\thandler', field: 'handler', constraint: HANDLER_CONSTRAINT }])],
    ['129 characters', 'h'.repeat(129), () => apiErrors.validations([{ value: 'h'.repeat(129), field: 'handler', constraint: 'Member must have length less than or equal to 128' }])],
    ['129 characters and a space', `${'h'.repeat(128)} `, () => apiErrors.validations([
      { value: `${'h'.repeat(128)} `, field: 'handler', constraint: 'Member must have length less than or equal to 128' },
      { value: `${'h'.repeat(128)} `, field: 'handler', constraint: HANDLER_CONSTRAINT },
    ])],
  ]
  it.for(handlerCases)('CreateFunction with a handler with %s', async ([, handler, expected], { task }) => {
    task.meta.figures = { badRequests: 1 }
    const name = uniqueName('bp-handler')
    await expectSdkError(create(name, { Handler: handler }), expected())
    await expectSdkError(client.send(new GetFunctionCommand({ FunctionName: name })), apiErrors.functionNotFound(arn(name)))
  })
  it.for(handlerCases)('UpdateFunctionConfiguration with a handler with %s changes nothing', async ([, handler, expected], { task }) => {
    task.meta.figures = { badRequests: 1 }
    await expectSdkError(client.send(new UpdateFunctionConfigurationCommand({ FunctionName: KNOWN, Handler: handler })), expected())
    expect((await client.send(new GetFunctionConfigurationCommand({ FunctionName: KNOWN }))).Handler).toBe('bootstrap')
  })

  const runtimeCases: [string, () => ApiError, { prefix?: boolean }?][] = [
    ['cobol', () => apiErrors.invalidRuntime('cobol')],
    ['PYTHON3.9', () => apiErrors.invalidRuntime('PYTHON3.9')],
    // Names of Object.prototype members: before, these found inherited properties of the runtime table.
    ['constructor', () => apiErrors.invalidRuntime('constructor')],
    ['toString', () => apiErrors.invalidRuntime('toString')],
    ['__proto__', () => apiErrors.invalidRuntime('__proto__')],
    ['hasOwnProperty', () => apiErrors.invalidRuntime('hasOwnProperty')],
    // One AWS runs and the target does not: the target says so in its own words.
    ['java21', () => apiErrors.invalidParameter("Value java21 at 'runtime' is not supported by the embedded target"), { prefix: true }],
  ]
  it.for(runtimeCases)('CreateFunction with Runtime %s', async ([runtime, expected, o], { task }) => {
    task.meta.figures = { badRequests: 1 }
    const name = uniqueName('bp-runtime')
    await expectSdkError(create(name, { Runtime: runtime as never }), expected(), o ?? {})
    await expectSdkError(client.send(new GetFunctionCommand({ FunctionName: name })), apiErrors.functionNotFound(arn(name)))
  })

  it('Architectures: two, or an unknown one → ValidationException as AWS words it', async ({ task }) => {
    task.meta.figures = { badRequests: 2 }
    await expectSdkError(create(uniqueName('bp-arch'), { Architectures: ['x86_64', 'arm64'] }), apiErrors.validation('[x86_64, arm64]', 'architectures', 'Member must have length less than or equal to 1'))
    await expectSdkError(
      create(uniqueName('bp-arch'), { Architectures: ['X86_64' as never] }),
      apiErrors.validation('[X86_64]', 'architectures', 'Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]'),
    )
  })
})

describe('members of the wrong JSON type → 400 SerializationException, never a 500', () => {
  const base = (name: string): Record<string, unknown> => ({ FunctionName: name, Runtime: 'provided.al2023', Role: ROLE, Handler: 'bootstrap', Code: { ZipFile: echoZip.toString('base64') } })
  const serialization = apiErrors.serialization('')
  const cases: [string, (name: string) => unknown][] = [
    ['a body that is null', () => null],
    ['a body that is an array', () => [1, 2]],
    ['a body that is a number', () => 5],
    ['Code.ZipFile a number', (n) => ({ ...base(n), Code: { ZipFile: 5 } })],
    ['Code a string', (n) => ({ ...base(n), Code: 'zip' })],
    ['Runtime a number', (n) => ({ ...base(n), Runtime: 5 })],
    ['FunctionName an object', (n) => ({ ...base(n), FunctionName: { name: n } })],
    ['Timeout a string', (n) => ({ ...base(n), Timeout: '5' })],
    ['Environment.Variables with a number', (n) => ({ ...base(n), Environment: { Variables: { A1: 5 } } })],
    ['Environment a string', (n) => ({ ...base(n), Environment: 'A1=x' })],
    ['Architectures a string', (n) => ({ ...base(n), Architectures: 'x86_64' })],
  ]
  it.for(cases)('CreateFunction with %s', async ([, make], { task }) => {
    task.meta.figures = { badRequests: 1 }
    const name = uniqueName('bp-type')
    const r = await rawJson('POST', '/2015-03-31/functions', JSON.stringify(make(name)))
    expect(r.status).toBe(serialization.status)
    expect(r.code).toBe(serialization.code)
    expect(Object.keys(r.body)).toEqual(Object.keys(serialization.body))
    expect(typeof r.body.message).toBe('string')
  })

  it('null members count as absent (Environment: null, Timeout: null)', async () => {
    const name = uniqueName('bp-null')
    const r = await rawJson('POST', '/2015-03-31/functions', JSON.stringify({ ...base(name), Environment: null, Timeout: null, Description: null }))
    expect(r.status).toBe(201)
    expect(r.body.Timeout).toBe(3)
  })

  it('UpdateFunctionConfiguration, UpdateFunctionCode, AddPermission, event source mappings and Logs with a null body', async ({ task }) => {
    task.meta.figures = { badRequests: 5 }
    for (const [method, p, headers] of [
      ['PUT', `/2015-03-31/functions/${KNOWN}/configuration`, {}],
      ['PUT', `/2015-03-31/functions/${KNOWN}/code`, {}],
      ['POST', `/2015-03-31/functions/${KNOWN}/policy`, {}],
      ['POST', '/2015-03-31/event-source-mappings', {}],
      ['POST', '/', { 'x-amz-target': 'Logs_20140328.DescribeLogStreams' }],
    ] as const) {
      const res = await fetch(`${target.endpoint}${p}`, { method, body: 'null', headers: { 'content-type': 'application/json', ...headers } })
      expect(res.status, `${method} ${p}`).toBe(serialization.status)
      expect(res.headers.get('x-amzn-errortype'), `${method} ${p}`).toBe(serialization.code)
      await res.text()
    }
    await sleep(10)
    await expectStillServing()
  })
})
