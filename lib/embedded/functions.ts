/** Function records of the control plane: validation as the Lambda API does it, code storage, states. */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {
  type ApiError,
  apiErrors,
  CREATABLE_RUNTIMES,
  CREATE_FUNCTION_NAME_CONSTRAINT,
  CREATE_FUNCTION_NAME_PATTERN,
  DEFAULT_EPHEMERAL_STORAGE_MB,
  DEFAULT_MEMORY_MB,
  DEFAULT_TIMEOUT_S,
  FUNCTION_ARN_MAX_LENGTH,
  FUNCTION_NAME_CONSTRAINT,
  FUNCTION_NAME_MAX_LENGTH,
  FUNCTION_NAME_PARTS,
  FUNCTION_NAME_PATTERN,
  HANDLER_CONSTRAINT,
  HANDLER_MAX_LENGTH,
  HANDLER_PATTERN,
  LATEST,
  MEMORY_RANGE_MB,
  NAMESPACED_FUNCTION_NAME_MAX_LENGTH,
  QUALIFIER_CONSTRAINT,
  QUALIFIER_MAX_LENGTH,
  QUALIFIER_PATTERN,
  ROLE_PATTERN,
  TIMEOUT_RANGE_S,
  type ValidationFailure,
} from '../lambda/protocol.js'
import { ApiException } from './http-util.js'
import { LogStore } from './log-store.js'
import { FunctionPool, type PoolOptions } from './pool.js'
import { DEPRECATED_RUNTIMES, type RuntimeTable, runtimeTable } from './runtimes.js'
import type { FunctionSnapshot } from './sandbox.js'
import { extractZip, ZipError } from './zip.js'

// Defined beside sendApiError so that pool.ts can throw it without importing this module (which imports pool.ts).
export { ApiException }
const fail = (e: ApiError): never => {
  throw new ApiException(e)
}

/** Keys Lambda sets itself; a function may not override them. */
const RESERVED_ENV = [
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]

export interface CreateFunctionInput {
  FunctionName?: string
  Runtime?: string
  Role?: string
  Handler?: string
  Description?: string
  Timeout?: number
  MemorySize?: number
  Code?: { ZipFile?: string; S3Bucket?: string; ImageUri?: string }
  Environment?: { Variables?: Record<string, string> }
  Architectures?: string[]
  EphemeralStorage?: { Size?: number }
  PackageType?: string
  Publish?: boolean
  LoggingConfig?: { LogFormat?: string; LogGroup?: string }
}

export interface FunctionRecord {
  name: string
  arn: string
  runtime: string
  role: string
  handler: string
  description: string
  timeout: number
  memorySize: number
  env: Record<string, string>
  architectures: string[]
  ephemeralStorage: number
  codeSha256: string
  codeSize: number
  codeDir: string
  zipPath: string
  state: 'Pending' | 'Active' | 'Failed'
  stateReason?: string
  stateReasonCode?: string
  lastUpdateStatus: 'Successful' | 'InProgress' | 'Failed'
  lastModified: string
  revisionId: string
  revision: number
  pool: FunctionPool
}

export interface RegistryOptions extends Omit<PoolOptions, 'root'> {
  workDir: string
  region: string
  accountId: string
  /** How long a new or updated function stays Pending/InProgress (AWS: about a second). */
  pendingMs: number
  /** The runtimes this target runs (default: those that need no configuration). */
  runtimes?: RuntimeTable
}

/** Lambda prints LastModified as `2026-11-27T12:00:00.000+0000`. */
const lastModifiedNow = (): string => new Date().toISOString().replace('Z', '+0000')

export class FunctionRegistry {
  private readonly functions = new Map<string, FunctionRecord>()
  /** Pools of deleted functions whose running invokes have not finished yet. */
  private readonly draining = new Set<FunctionPool>()
  private codeCounter = 0
  private readonly runtimes: RuntimeTable

  constructor(private readonly opts: RegistryOptions) {
    this.runtimes = opts.runtimes ?? runtimeTable()
    fs.mkdirSync(path.join(opts.workDir, 'code'), { recursive: true })
    fs.mkdirSync(path.join(opts.workDir, 'sandboxes'), { recursive: true })
  }

  arn(name: string, qualifier?: string): string {
    return `arn:aws:lambda:${this.opts.region}:${this.opts.accountId}:function:${name}${qualifier ? `:${qualifier}` : ''}`
  }

  /**
   * Resolves a FunctionName (name, partial or full ARN) to a name and qualifier, or throws AWS's answer for it
   * (protocol.ts "bad input"). `create`: CreateFunction's own pattern and lengths. `earlier`: failures of members
   * checked before it (the Qualifier), reported in the same ValidationException.
   * Before: a name over 64 characters was a ValidationException for every operation (AWS: 404 except on
   * CreateFunction), and the region and account of an ARN were ignored (any ARN reached the local function).
   */
  parseName(raw: string, field = 'functionName', o: { create?: boolean; earlier?: ValidationFailure[] } = {}): { name: string; qualifier?: string } {
    const create = o.create === true
    const valid = (create ? CREATE_FUNCTION_NAME_PATTERN : FUNCTION_NAME_PATTERN).test(raw)
    const parts = valid ? FUNCTION_NAME_PARTS.exec(raw)?.groups : undefined
    if (valid && !parts) throw new Error(`FUNCTION_NAME_PARTS does not split ${raw}, which the printed pattern accepts`)
    const name = parts?.name
    const bare = valid && raw === name
    const errors = [...(o.earlier ?? [])]
    if (!bare) {
      const max = create ? FUNCTION_ARN_MAX_LENGTH : NAMESPACED_FUNCTION_NAME_MAX_LENGTH
      if (raw.length > max) errors.push({ value: raw, field, constraint: `Member must have length less than or equal to ${max}` })
      if (!valid) errors.push({ value: raw, field, constraint: create ? CREATE_FUNCTION_NAME_CONSTRAINT : FUNCTION_NAME_CONSTRAINT })
    }
    if (errors.length > 0) fail(apiErrors.validations(errors))
    if (create && name!.length > FUNCTION_NAME_MAX_LENGTH) fail(apiErrors.functionNameTooLong(raw))
    const region = parts!.region
    if (region && region !== this.opts.region) fail(apiErrors.regionNotReachable(region, this.opts.region))
    const account = parts!.account
    if (account && account !== this.opts.accountId) {
      fail(apiErrors.accessDenied(`The embedded target has one account (${this.opts.accountId}) and no cross-account access; ${raw} names account ${account}.`))
    }
    return { name: name!, qualifier: parts!.qualifier }
  }

  /**
   * The function a FunctionName (and Qualifier) names, or AWS's 404. `notFound` is how the 404's ARN ends, which
   * differs by operation (LS `test_lambda_api` recordings, 2025-11): Invoke names `:$LATEST` when no qualifier was
   * given ('latest'); GetFunction, GetFunctionConfiguration and the policy calls name the qualifier only when one was
   * given ('given'); DeleteFunction never names one ('none').
   */
  get(raw: string, qualifier?: string, notFound: 'latest' | 'given' | 'none' = 'given'): FunctionRecord {
    const r = this.resolve(raw, qualifier)
    if (!r.fn) fail(apiErrors.functionNotFound(this.arn(r.name, notFound === 'none' ? undefined : notFound === 'latest' ? r.qualifier || LATEST : r.qualifier)))
    return r.fn!
  }

  /**
   * What a FunctionName and Qualifier name: the name, the qualifier (from either) and the function when there is one
   * ($LATEST only). Bad names, foreign regions or accounts and qualifier conflicts throw AWS's answers; a function
   * that is not there does not (get() turns it into each operation's 404, and other operations word it their way).
   */
  resolve(raw: string, qualifier?: string): { name: string; qualifier?: string; fn?: FunctionRecord } {
    // The Qualifier parameter is checked with the name, and reported first (LS recordings, protocol.ts validations).
    const earlier: ValidationFailure[] = []
    if (qualifier !== undefined && qualifier !== '') {
      if (qualifier.length > QUALIFIER_MAX_LENGTH) earlier.push({ value: qualifier, field: 'qualifier', constraint: `Member must have length less than or equal to ${QUALIFIER_MAX_LENGTH}` })
      if (!QUALIFIER_PATTERN.test(qualifier)) earlier.push({ value: qualifier, field: 'qualifier', constraint: QUALIFIER_CONSTRAINT })
    }
    const { name, qualifier: q } = this.parseName(raw, 'functionName', { earlier })
    if (qualifier && q && qualifier !== q) fail(apiErrors.qualifierMismatch())
    const qual = qualifier || q || undefined
    const fn = this.functions.get(name)
    return { name, ...(qual ? { qualifier: qual } : {}), ...(fn && (!qual || qual === LATEST) ? { fn } : {}) }
  }

  list(): FunctionRecord[] {
    return [...this.functions.values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  async create(input: CreateFunctionInput): Promise<FunctionRecord> {
    checkShape(input, CREATE_SHAPE)
    if (typeof input.FunctionName !== 'string') fail(apiErrors.validation('null', 'functionName', 'Member must not be null'))
    const { name } = this.parseName(input.FunctionName!, 'functionName', { create: true })
    // Member constraints (ValidationException) come before the checks that look further (InvalidParameterValue).
    validateHandler(input.Handler)
    validateArchitectures(input.Architectures)
    if (this.functions.has(name)) fail(apiErrors.conflict(`Function already exist: ${name}`))
    if ((input.PackageType ?? 'Zip') !== 'Zip' || input.Code?.ImageUri) fail(apiErrors.invalidParameter('The embedded target runs Zip packages only; PackageType Image is not supported.'))
    const runtime = this.validateRuntime(input.Runtime)
    if (typeof input.Role !== 'string' || !ROLE_PATTERN.test(input.Role)) {
      fail(apiErrors.validation(String(input.Role ?? 'null'), 'role', `Member must satisfy regular expression pattern: ${ROLE_PATTERN.source.slice(1, -1)}`))
    }
    if (!input.Code?.ZipFile) fail(apiErrors.invalidParameter('Please provide a source for function code: Code.ZipFile is required by the embedded target (S3 code locations are not supported).'))
    const settings = this.validateSettings(input)
    const code = await this.storeCode(name, input.Code!.ZipFile!)
    const rec: FunctionRecord = {
      name,
      arn: this.arn(name),
      runtime,
      role: input.Role!,
      handler: input.Handler ?? '',
      description: input.Description ?? '',
      timeout: settings.timeout ?? DEFAULT_TIMEOUT_S,
      memorySize: settings.memorySize ?? DEFAULT_MEMORY_MB,
      env: settings.env ?? {},
      architectures: input.Architectures ?? ['x86_64'],
      ephemeralStorage: input.EphemeralStorage?.Size ?? DEFAULT_EPHEMERAL_STORAGE_MB,
      ...code,
      state: 'Pending',
      stateReason: 'The function is being created.',
      stateReasonCode: 'Creating',
      lastUpdateStatus: 'Successful',
      lastModified: lastModifiedNow(),
      revisionId: crypto.randomUUID(),
      revision: 1,
      pool: undefined as unknown as FunctionPool,
    }
    rec.pool = new FunctionPool(() => this.snapshot(rec), { ...this.opts, root: path.join(this.opts.workDir, 'sandboxes') })
    this.functions.set(name, rec)
    this.opts.logStore.declareGroup(LogStore.groupName(name))
    setTimeout(() => {
      if (this.functions.get(name) === rec) {
        rec.state = 'Active'
        rec.stateReason = undefined
        rec.stateReasonCode = undefined
      }
    }, this.opts.pendingMs).unref()
    return rec
  }

  async updateCode(raw: string, input: { ZipFile?: string }): Promise<FunctionRecord> {
    checkShape(input, UPDATE_CODE_SHAPE)
    const fn = this.get(raw)
    this.assertNoUpdateInProgress(fn)
    if (!input.ZipFile) fail(apiErrors.invalidParameter('Please provide a source for function code: ZipFile is required by the embedded target.'))
    const old = { codeDir: fn.codeDir, zipPath: fn.zipPath }
    Object.assign(fn, await this.storeCode(fn.name, input.ZipFile!))
    this.bump(fn)
    // Sandboxes copied the code when they started, so the old copy can go.
    fs.rmSync(old.codeDir, { recursive: true, force: true })
    fs.rmSync(old.zipPath, { force: true })
    return fn
  }

  updateConfiguration(raw: string, input: CreateFunctionInput): FunctionRecord {
    checkShape(input, CREATE_SHAPE)
    const fn = this.get(raw)
    this.assertNoUpdateInProgress(fn)
    // Validate everything before changing anything: a rejected update leaves the function as it was.
    const runtime = input.Runtime !== undefined ? this.validateRuntime(input.Runtime) : undefined
    validateHandler(input.Handler)
    if (input.Role !== undefined && !ROLE_PATTERN.test(input.Role)) fail(apiErrors.validation(input.Role, 'role', `Member must satisfy regular expression pattern: ${ROLE_PATTERN.source.slice(1, -1)}`))
    const s = this.validateSettings(input)
    if (runtime !== undefined) fn.runtime = runtime
    if (input.Role !== undefined) fn.role = input.Role
    if (s.timeout !== undefined) fn.timeout = s.timeout
    if (s.memorySize !== undefined) fn.memorySize = s.memorySize
    if (s.env !== undefined) fn.env = s.env
    if (input.Handler !== undefined) fn.handler = input.Handler
    if (input.Description !== undefined) fn.description = input.Description
    if (input.EphemeralStorage?.Size !== undefined) fn.ephemeralStorage = input.EphemeralStorage.Size
    this.bump(fn)
    return fn
  }

  /** A new revision: later invokes get fresh environments; LastUpdateStatus goes InProgress, then Successful. */
  private assertNoUpdateInProgress(fn: FunctionRecord): void {
    if (fn.lastUpdateStatus === 'InProgress' && fn.state === 'Active') fail(apiErrors.conflict(`The operation cannot be performed at this time. An update is in progress for resource: ${fn.arn}`))
  }

  private bump(fn: FunctionRecord): void {
    fn.revision++
    fn.revisionId = crypto.randomUUID()
    fn.lastModified = lastModifiedNow()
    fn.lastUpdateStatus = 'InProgress'
    fn.pool.retireStale()
    const rev = fn.revision
    setTimeout(() => {
      if (fn.revision === rev) fn.lastUpdateStatus = 'Successful'
    }, this.opts.pendingMs).unref()
  }

  /**
   * DeleteFunction. Invokes already running in an environment finish, as on AWS, and the environments go once they
   * have (FunctionPool.close with drain); the deletion does not wait for that. Before, the environments were killed
   * at once and a running invoke was never answered: its caller waited until the target shut down.
   * The function's log group stays, as on AWS (Lambda never deletes log groups; they belong to CloudWatch Logs), so
   * a draining invoke's END and REPORT lines land in it. Deleting the group here let those lines create it again.
   */
  async delete(raw: string): Promise<void> {
    const fn = this.get(raw, undefined, 'none')
    this.functions.delete(fn.name)
    const pool = fn.pool
    this.draining.add(pool)
    void pool
      .close({ drain: true })
      .catch((e: unknown) => console.error(`[embedded target] ${fn.name}: tearing down the deleted function's environments failed:`, e))
      .finally(() => this.draining.delete(pool))
    // Environments copied the code when they started, so it can go now.
    fs.rmSync(fn.codeDir, { recursive: true, force: true })
    fs.rmSync(fn.zipPath, { force: true })
  }

  /** Ends every environment now, those of deleted functions still finishing an invoke included. */
  async close(): Promise<void> {
    await Promise.all([...[...this.functions.values()].map((f) => f.pool), ...this.draining].map((p) => p.close()))
    this.functions.clear()
    this.draining.clear()
  }

  snapshot(fn: FunctionRecord): FunctionSnapshot {
    return {
      name: fn.name,
      arn: fn.arn,
      revision: fn.revision,
      runtime: this.runtimes.specs[fn.runtime]!,
      handler: fn.handler,
      timeoutS: fn.timeout,
      memoryMb: fn.memorySize,
      env: fn.env,
      codeDir: fn.codeDir,
      region: this.opts.region,
      logGroup: LogStore.groupName(fn.name),
    }
  }

  private validateRuntime(runtime: string | undefined): string {
    if (runtime === undefined) fail(apiErrors.invalidParameter('Runtime is required for Zip packages.'))
    if (DEPRECATED_RUNTIMES.has(runtime!)) {
      fail(apiErrors.invalidParameter(`The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`))
    }
    // Own keys only: "constructor" or "toString" found Object.prototype's and were accepted (then crashed the invoke).
    if (Object.hasOwn(this.runtimes.unavailable, runtime!)) fail(apiErrors.invalidParameter(this.runtimes.unavailable[runtime!]!))
    if (!Object.hasOwn(this.runtimes.specs, runtime!)) {
      // A value outside AWS's list gets AWS's answer; one AWS runs but the target does not, the target's.
      if (!(CREATABLE_RUNTIMES as readonly string[]).includes(runtime!)) fail(apiErrors.invalidRuntime(runtime!))
      fail(apiErrors.invalidParameter(`Value ${runtime} at 'runtime' is not supported by the embedded target; supported: ${Object.keys(this.runtimes.specs).join(', ')}`))
    }
    return runtime!
  }

  private validateSettings(input: CreateFunctionInput): { timeout?: number; memorySize?: number; env?: Record<string, string> } {
    const out: { timeout?: number; memorySize?: number; env?: Record<string, string> } = {}
    if (input.Timeout !== undefined) {
      if (!Number.isInteger(input.Timeout) || input.Timeout < TIMEOUT_RANGE_S[0]) fail(apiErrors.validation(String(input.Timeout), 'timeout', `Member must have value greater than or equal to ${TIMEOUT_RANGE_S[0]}`))
      if (input.Timeout > TIMEOUT_RANGE_S[1]) fail(apiErrors.validation(String(input.Timeout), 'timeout', `Member must have value less than or equal to ${TIMEOUT_RANGE_S[1]}`))
      out.timeout = input.Timeout
    }
    if (input.MemorySize !== undefined) {
      if (!Number.isInteger(input.MemorySize) || input.MemorySize < MEMORY_RANGE_MB[0]) fail(apiErrors.validation(String(input.MemorySize), 'memorySize', `Member must have value greater than or equal to ${MEMORY_RANGE_MB[0]}`))
      if (input.MemorySize > MEMORY_RANGE_MB[1]) fail(apiErrors.validation(String(input.MemorySize), 'memorySize', `Member must have value less than or equal to ${MEMORY_RANGE_MB[1]}`))
      out.memorySize = input.MemorySize
    }
    if (input.Environment !== undefined) {
      const vars = input.Environment.Variables ?? {}
      const reserved = Object.keys(vars).filter((k) => RESERVED_ENV.includes(k))
      if (reserved.length > 0) {
        fail(apiErrors.invalidParameter(`Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`))
      }
      for (const [k, v] of Object.entries(vars)) {
        if (!/^[a-zA-Z]([a-zA-Z0-9_])+$/.test(k) || typeof v !== 'string') fail(apiErrors.validation(k, 'environment.variables', 'Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+'))
      }
      out.env = { ...vars }
    }
    return out
  }

  private async storeCode(name: string, zipBase64: string): Promise<Pick<FunctionRecord, 'codeSha256' | 'codeSize' | 'codeDir' | 'zipPath'>> {
    const zip = Buffer.from(zipBase64, 'base64')
    const id = `${name}-${++this.codeCounter}`
    const codeDir = path.join(this.opts.workDir, 'code', id)
    try {
      await extractZip(zip, codeDir)
    } catch (e) {
      fs.rmSync(codeDir, { recursive: true, force: true })
      if (e instanceof ZipError) {
        if (/unzipped size/.test(e.message)) fail(apiErrors.unzippedTooLarge())
        const invalid = apiErrors.invalidZip()
        fail(apiErrors.invalidParameter(`${String(invalid.body.message)} (${e.message})`))
      }
      throw e
    }
    const zipPath = path.join(this.opts.workDir, 'code', `${id}.zip`)
    fs.writeFileSync(zipPath, zip)
    return { codeSha256: crypto.createHash('sha256').update(zip).digest('base64'), codeSize: zip.length, codeDir, zipPath }
  }
}

// ---------------------------------------------------------------- request members

/** A member's JSON type: a scalar, a list of strings, a map of strings, or a structure of members. */
type Shape = 'string' | 'number' | 'boolean' | 'strings' | 'map' | { [member: string]: Shape }

const CODE_SHAPE: Shape = { ZipFile: 'string', S3Bucket: 'string', S3Key: 'string', S3ObjectVersion: 'string', ImageUri: 'string' }
/** The members of CreateFunction and UpdateFunctionConfiguration the target reads (Lambda API model types). */
const CREATE_SHAPE = {
  FunctionName: 'string', Runtime: 'string', Role: 'string', Handler: 'string', Description: 'string', Timeout: 'number', MemorySize: 'number',
  Publish: 'boolean', PackageType: 'string', Code: CODE_SHAPE, Environment: { Variables: 'map' }, Architectures: 'strings',
  EphemeralStorage: { Size: 'number' }, LoggingConfig: { LogFormat: 'string', LogGroup: 'string', ApplicationLogLevel: 'string', SystemLogLevel: 'string' },
} satisfies Shape
const UPDATE_CODE_SHAPE = { ...(CODE_SHAPE as Record<string, Shape>), Publish: 'boolean', Architectures: 'strings' } satisfies Shape

const jsonType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Checks the JSON types of the members the target reads, so a wrong type is a 400 SerializationException rather
 * than a TypeError (500): before, `"Environment": null` or `"Code": {"ZipFile": 5}` crashed CreateFunction. A
 * null member counts as absent, as AWS's deserialisers treat it. Unknown members are ignored.
 */
function checkShape(input: object, shape: Shape, at = ''): void {
  const obj = input as Record<string, unknown>
  for (const [k, kind] of Object.entries(shape)) {
    const v = obj[k]
    if (v === undefined) continue
    if (v === null) {
      delete obj[k]
      continue
    }
    const path = at ? `${at}.${k}` : k
    const ok =
      kind === 'strings' ? Array.isArray(v) && v.every((e) => typeof e === 'string')
      : kind === 'map' ? isObject(v) && Object.values(v).every((e) => typeof e === 'string')
      : typeof kind === 'object' ? isObject(v)
      : typeof v === kind
    if (!ok) fail(apiErrors.serialization(`Unexpected JSON type at ${path}: expected ${typeof kind === 'object' ? 'a structure' : kind === 'strings' ? 'a list of strings' : kind === 'map' ? 'a map of strings' : `a ${kind}`}, got ${jsonType(v)}`))
    if (typeof kind === 'object') checkShape(v as object, kind, path)
  }
}

/** Handler: model pattern and length (protocol.ts HANDLER_*). Before, any string was stored, whitespace included. */
function validateHandler(handler: string | undefined): void {
  if (handler === undefined || handler === '') return
  const errors: ValidationFailure[] = []
  if (handler.length > HANDLER_MAX_LENGTH) errors.push({ value: handler, field: 'handler', constraint: `Member must have length less than or equal to ${HANDLER_MAX_LENGTH}` })
  if (!HANDLER_PATTERN.test(handler)) errors.push({ value: handler, field: 'handler', constraint: HANDLER_CONSTRAINT })
  if (errors.length > 0) fail(apiErrors.validations(errors))
}

/** Architectures: one of x86_64 or arm64 (LS `test_create_lambda_exceptions` "multiple_architectures", "uppercase_architecture", recorded 2026-01). */
function validateArchitectures(list: string[] | undefined): void {
  if (list === undefined) return
  const shown = `[${list.join(', ')}]`
  if (list.length > 1) fail(apiErrors.validation(shown, 'architectures', 'Member must have length less than or equal to 1'))
  if (list.length < 1) fail(apiErrors.validation(shown, 'architectures', 'Member must have length greater than or equal to 1'))
  if (!['x86_64', 'arm64'].includes(list[0]!)) {
    fail(apiErrors.validation(shown, 'architectures', 'Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]'))
  }
}

/** FunctionConfiguration as the Lambda API returns it. */
export function functionConfiguration(fn: FunctionRecord, region: string): Record<string, unknown> {
  return {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Runtime: fn.runtime,
    Role: fn.role,
    Handler: fn.handler,
    CodeSize: fn.codeSize,
    Description: fn.description,
    Timeout: fn.timeout,
    MemorySize: fn.memorySize,
    LastModified: fn.lastModified,
    CodeSha256: fn.codeSha256,
    Version: LATEST,
    Environment: { Variables: fn.env },
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: fn.revisionId,
    State: fn.state,
    ...(fn.stateReason ? { StateReason: fn.stateReason, StateReasonCode: fn.stateReasonCode } : {}),
    LastUpdateStatus: fn.lastUpdateStatus,
    PackageType: 'Zip',
    Architectures: fn.architectures,
    EphemeralStorage: { Size: fn.ephemeralStorage },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    RuntimeVersionConfig: { RuntimeVersionArn: `arn:aws:lambda:${region}::runtime:embedded` },
    LoggingConfig: { LogFormat: 'Text', LogGroup: LogStore.groupName(fn.name) },
  }
}
