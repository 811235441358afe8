/**
 * The Lambda protocol rules, in one place: limits, defaults, header names, error shapes and log-line formats.
 * Every value cites its source in ../shared/reference/lambda-behavior.md (LB §n) so a reader can check it.
 * The embedded target emits these values and the suites assert them; neither hard-codes its own copy.
 */
import { randomBytes } from 'node:crypto'

// ---------------------------------------------------------------- limits (LB §2.3, §1.4)
/** Largest synchronous Invoke request body. LB §2.3 (AWS-docs). */
export const SYNC_REQUEST_LIMIT = 6_291_456
/** Largest response a runtime may post; one byte more gets 413. LB §1.4 (source-code), §2.3 (recorded-from-AWS). */
export const RESPONSE_LIMIT = 6_291_556
/** Largest asynchronous (Event) Invoke request body: "1 MB" since Oct 2025; exact bytes unconfirmed (LB §9 #5). */
export const ASYNC_REQUEST_LIMIT = 1_048_576
/** Largest X-Amz-Client-Context header (base64). LB §2.2. */
export const CLIENT_CONTEXT_LIMIT = 3_583
/** "The Init phase is limited to 10 seconds." LB §4. */
export const INIT_TIMEOUT_MS = 10_000
/** LogType Tail returns "the last 4 KB of the execution log". LB §2.2. */
export const LOG_TAIL_BYTES = 4_096
/** A CreateFunction/UpdateFunctionCode request carrying a 50 MB zip in base64 JSON. */
export const CODE_REQUEST_LIMIT = 69_905_067
/** Unzipped deployment package limit. */
export const UNZIPPED_CODE_LIMIT = 262_144_000

// ---------------------------------------------------------------- defaults (LB §2.3)
export const DEFAULT_TIMEOUT_S = 3
export const DEFAULT_MEMORY_MB = 128
export const DEFAULT_EPHEMERAL_STORAGE_MB = 512
export const TIMEOUT_RANGE_S = [1, 900] as const
export const MEMORY_RANGE_MB = [128, 10_240] as const
export const LATEST = '$LATEST'

// ---------------------------------------------------------------- Runtime API (LB §1)
export const RUNTIME_API_VERSION = '2018-06-01'
export const RUNTIME_HEADERS = {
  requestId: 'lambda-runtime-aws-request-id',
  deadlineMs: 'lambda-runtime-deadline-ms',
  invokedFunctionArn: 'lambda-runtime-invoked-function-arn',
  traceId: 'lambda-runtime-trace-id',
  clientContext: 'lambda-runtime-client-context',
  cognitoIdentity: 'lambda-runtime-cognito-identity',
  functionErrorType: 'lambda-runtime-function-error-type',
} as const

/** Bodies the Runtime API answers with on misuse. LB §1.4 (RAPID source). */
export const runtimeApiErrors = {
  invalidRequestId: () => ({ status: 400, body: { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' } }),
  invalidStateTransition: (from: string, to: string) => ({
    status: 403,
    body: {
      errorType: 'InvalidStateTransition',
      errorMessage: `State transition from ${from} to ${to} failed for runtime. Error: State transition is not allowed`,
    },
  }),
  payloadTooLarge: () => ({
    status: 413,
    body: { errorMessage: `Exceeded maximum allowed payload size (${RESPONSE_LIMIT} bytes).`, errorType: 'RequestEntityTooLarge' },
  }),
  truncated: () => ({ status: 400, body: { errorMessage: 'HTTP request detected as truncated', errorType: 'TruncatedHTTPRequest' } }),
} as const

/**
 * RAPID keeps a runtime-supplied error type only if it matches this (unanchored) pattern; otherwise it becomes
 * Function.Unknown or Runtime.Unknown. LB §1.3.
 */
export function classifyRuntimeErrorType(header: string | undefined): string {
  if (!header) return 'Runtime.Unknown'
  const m = /(Runtime|Function)\.[A-Z][a-zA-Z]+/.exec(header)
  if (m) return m[0]
  return header.startsWith('Function.') ? 'Function.Unknown' : 'Runtime.Unknown'
}

// ---------------------------------------------------------------- function errors the platform generates (LB §3.1)
export interface FunctionErrorPayload {
  errorType?: string
  errorMessage: string
  [k: string]: unknown
}

/** Seconds as Lambda prints them in timeout messages: two decimals. */
export const formatSeconds = (ms: number): string => (ms / 1000).toFixed(2)

export const platformErrors = {
  /** Current timeout payload (LB §3.1, recorded 2025-11; §9 #1 lists the older variant). */
  timeout: (requestId: string, elapsedMs: number): FunctionErrorPayload => ({
    errorType: 'Sandbox.Timedout',
    errorMessage: `RequestId: ${requestId} Error: Task timed out after ${formatSeconds(elapsedMs)} seconds`,
  }),
  /** Runtime process ended during the invoke. LB §3.1. */
  exit: (requestId: string, exit: ProcessExit): FunctionErrorPayload => ({
    errorType: 'Runtime.ExitError',
    errorMessage: `RequestId: ${requestId} Error: ${describeExit(exit)}`,
  }),
  /** Killed for exceeding MemorySize. Payload errorType is one of LB §9 #2's variants; the kit emits Runtime.OutOfMemory. */
  outOfMemory: (requestId: string): FunctionErrorPayload => ({
    errorType: 'Runtime.OutOfMemory',
    errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`,
  }),
  invalidEntrypoint: (requestId: string, detail: string): FunctionErrorPayload => ({
    errorType: 'Runtime.InvalidEntrypoint',
    errorMessage: `RequestId: ${requestId} Error: ${detail}`,
  }),
  /** LB §3.1 (recorded 2025-11): errorMessage first, no request id. */
  responseTooLarge: (): FunctionErrorPayload => ({
    errorMessage: `Response payload size exceeded maximum allowed payload size (${RESPONSE_LIMIT} bytes).`,
    errorType: 'Function.ResponseSizeTooLarge',
  }),
} as const

export interface ProcessExit {
  code: number | null
  signal: NodeJS.Signals | null
}

const SIGNAL_TEXT: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: 'killed',
  SIGSEGV: 'segmentation fault',
  SIGABRT: 'aborted',
  SIGTERM: 'terminated',
  SIGBUS: 'bus error',
  SIGILL: 'illegal instruction',
  SIGFPE: 'floating point exception',
  SIGINT: 'interrupt',
  SIGQUIT: 'quit',
  SIGPIPE: 'broken pipe',
}

/** Go's os.ProcessState wording, which Lambda's messages reuse. LB §3.1. */
export function describeExit(exit: ProcessExit): string {
  if (exit.signal) return `Runtime exited with error: signal: ${SIGNAL_TEXT[exit.signal] ?? exit.signal.toLowerCase()}`
  if (exit.code === 0) return 'Runtime exited without providing a reason'
  return `Runtime exited with error: exit status ${exit.code}`
}

// ---------------------------------------------------------------- Invoke API (LB §2)
export const INVOKE_HEADERS = {
  invocationType: 'x-amz-invocation-type',
  logType: 'x-amz-log-type',
  clientContext: 'x-amz-client-context',
  functionError: 'x-amz-function-error',
  logResult: 'x-amz-log-result',
  executedVersion: 'x-amz-executed-version',
  requestId: 'x-amzn-requestid',
  errorType: 'x-amzn-errortype',
  traceId: 'x-amzn-trace-id',
} as const

export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun'

/** A control-plane error as Lambda sends it: HTTP status, `X-Amzn-ErrorType`, and a JSON body. LB §2.2, §2.4. */
export interface ApiError {
  status: number
  code: string
  body: Record<string, unknown>
}

const userError = (status: number, code: string, message: string): ApiError => ({ status, code, body: { Type: 'User', message } })

export const apiErrors = {
  /** LB §2.4: body uses `Message`, and the 2025 recording ends with the qualifier. */
  functionNotFound: (arn: string): ApiError => ({
    status: 404,
    code: 'ResourceNotFoundException',
    body: { Type: 'User', Message: `Function not found: ${arn}` },
  }),
  requestTooLarge: (): ApiError => ({
    status: 413,
    code: 'RequestEntityTooLargeException',
    body: { Message: `Request must be smaller than ${SYNC_REQUEST_LIMIT} bytes for the InvokeFunction operation` },
  }),
  asyncRequestTooLarge: (bytes: number): ApiError => ({
    status: 413,
    code: 'RequestEntityTooLargeException',
    body: { Type: 'User', message: `${bytes} byte payload is too large for the Event invocation type (limit ${ASYNC_REQUEST_LIMIT} bytes)` },
  }),
  /** A control-plane request body over its limit (CODE_REQUEST_LIMIT for code uploads). */
  requestBodyTooLarge: (operation: string, limit = CODE_REQUEST_LIMIT): ApiError => ({
    status: 413,
    code: 'RequestEntityTooLargeException',
    body: { Message: `Request must be smaller than ${limit} bytes for the ${operation} operation` },
  }),
  /** LB §2.4 (recorded 2025-11): prefix then the parser's detail. */
  invalidJson: (detail: string): ApiError =>
    userError(400, 'InvalidRequestContentException', `Could not parse request body into json: Could not parse payload into json: ${detail}`),
  invalidRequestContent: (message: string): ApiError => userError(400, 'InvalidRequestContentException', message),
  validation: (value: string, field: string, constraint: string): ApiError => ({
    status: 400,
    code: 'ValidationException',
    body: { message: `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}` },
  }),
  invalidParameter: (message: string): ApiError => userError(400, 'InvalidParameterValueException', message),
  conflict: (message: string): ApiError => userError(409, 'ResourceConflictException', message),
  pending: (): ApiError =>
    userError(409, 'ResourceConflictException', 'The operation cannot be performed at this time. The function is currently in the following state: Pending'),
  throttled: (): ApiError => ({
    status: 429,
    code: 'TooManyRequestsException',
    body: { Type: 'User', message: 'Rate Exceeded.', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' },
  }),
  unsupportedOperation: (method: string, path: string): ApiError =>
    userError(404, 'UnknownOperationException', `The embedded target does not implement ${method} ${path}`),
  service: (message: string): ApiError => ({ status: 500, code: 'ServiceException', body: { Type: 'Service', Message: message } }),
} as const

/** Function name pattern from the Lambda API model (name, partial ARN or full ARN, optional qualifier). */
export const FUNCTION_NAME_PATTERN =
  /^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$/
export const FUNCTION_NAME_CONSTRAINT = `Member must satisfy regular expression pattern: ${FUNCTION_NAME_PATTERN.source.slice(1, -1)}`
export const ROLE_PATTERN = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/

// ---------------------------------------------------------------- log lines (LB §5)
const ms2 = (ms: number): string => ms.toFixed(2)

/** An X-Ray trace header for an invoke whose caller sent none (LB §1.2 "Lambda-Runtime-Trace-Id"). */
export function newTraceId(now = Date.now()): string {
  const t = Math.floor(now / 1000).toString(16).padStart(8, '0')
  const r = traceRandom(20)
  return `Root=1-${t}-${r.subarray(0, 12).toString('hex')};Parent=${r.subarray(12).toString('hex')};Sampled=0`
}

/** Random bytes cut from a pooled block: one randomBytes call per ~200 invokes instead of two per invoke (bench). */
let tracePool = Buffer.alloc(0)
function traceRandom(n: number): Buffer {
  if (tracePool.length < n) tracePool = randomBytes(4096)
  const out = tracePool.subarray(0, n)
  tracePool = tracePool.subarray(n)
  return out
}

export const logLines = {
  initStart: (runtimeVersion: string, runtimeVersionArn: string) =>
    `INIT_START Runtime Version: ${runtimeVersion}\tRuntime Version ARN: ${runtimeVersionArn}`,
  start: (requestId: string, version = LATEST) => `START RequestId: ${requestId} Version: ${version}`,
  end: (requestId: string) => `END RequestId: ${requestId}`,
  report: (r: ReportFields) =>
    `REPORT RequestId: ${r.requestId}\tDuration: ${ms2(r.durationMs)} ms\tBilled Duration: ${r.billedMs} ms\tMemory Size: ${r.memorySizeMb} MB\tMax Memory Used: ${r.maxMemoryUsedMb} MB\t` +
    (r.initDurationMs !== undefined ? `Init Duration: ${ms2(r.initDurationMs)} ms\t` : '') +
    (r.status ? `Status: ${r.status}\t` + (r.errorType ? `Error Type: ${r.errorType}` : '') : ''),
  initReport: (initDurationMs: number, phase: 'init' | 'invoke', status: 'error' | 'timeout', errorType?: string) =>
    `INIT_REPORT Init Duration: ${ms2(initDurationMs)} ms\tPhase: ${phase}\tStatus: ${status}` + (errorType ? `\tError Type: ${errorType}` : ''),
  /** The platform's two error lines after a runtime exit. LB §5 "Platform error lines". */
  runtimeExit: (requestId: string, exit: ProcessExit, errorType: string) => [`RequestId: ${requestId} Error: ${describeExit(exit)}`, errorType],
  timeout: (requestId: string, elapsedMs: number, at: Date) => `${at.toISOString()} ${requestId} Task timed out after ${formatSeconds(elapsedMs)} seconds`,
} as const

export interface ReportFields {
  requestId: string
  durationMs: number
  billedMs: number
  memorySizeMb: number
  maxMemoryUsedMb: number
  initDurationMs?: number
  status?: 'error' | 'timeout'
  errorType?: string
}

/** Parses a REPORT line by field name (never by position: emulators order fields differently). */
export function parseReportLine(line: string): Record<string, string> | null {
  if (!line.startsWith('REPORT RequestId: ')) return null
  const out: Record<string, string> = {}
  for (const part of line.split('\t')) {
    const i = part.indexOf(': ')
    if (i > 0) out[part.slice(0, i).replace(/^REPORT /, '')] = part.slice(i + 2)
  }
  return out
}
