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

/**
 * Runtimes that misbehave inside their sandbox, beyond the single-request codes above. AWS documents the outcomes
 * of exits, kills and timeouts (LB §3.1, §4); it does not document the Runtime API sequences below, so they follow
 * RAPID, the Runtime API code AWS ships in the RIE (LB §1.4; RIE commit 4fa2157, `internal/lambda/`). source-code.
 */
export const runtimeFaults = {
  /**
   * Several GET /next open at once (two poller loops, say): every one is held; each event goes to exactly one of
   * them, the oldest, and the others stay open for later events. RAPID: each /next waits in `Ready()` on the
   * runtime's condition variable (`core/states.go`, `RuntimeStartedState`/`RuntimeReadyState.Ready` →
   * `ManagedThread.SuspendUnsafe`), an invoke releases it once (`rapid/handlers.go`, `runtime.Release()`), and Go's
   * `sync.Cond.Signal` wakes waiters in the order they began to wait (`runtime/sema.go`, `notifyListNotifyOne`).
   */
  concurrentNext: { eachEventGoesTo: 'oldest-open-next', othersStayOpen: true },
  /**
   * GET /next while the invoke's event is out and not answered. RAPID answers 200 with that same event again
   * (`RuntimeRunningState.Ready` returns nil; `rapi/router_test.go` `TestInvokeNextTwice`). The embedded target
   * departs: it holds the request for the next event, as in `concurrentNext`, so an event goes out once. On the
   * embedded target a cold start's event goes out in the same turn as the runtime's first /next, so a second
   * /next sent at the same moment lands here, where on AWS it would almost always still find the runtime Ready.
   */
  nextWhileRunning: { rapid: 'same-event-again', embedded: 'held-for-next-event' },
  /**
   * After its 413 (above) the runtime may go on: the invoke is over (Function.ResponseSizeTooLarge, LB §3.1), an
   * `/error` for the same id gets 403 InvalidStateTransition, and /next gets the next event in the same environment.
   * RAPID moves the runtime to ResponseSent when it answers 413 (`rapi/handler/invocationresponse.go`,
   * `ErrorResponseTooLarge` branch → `runtime.ResponseSent()`), from which /next is allowed
   * (`RuntimeResponseSentState.Ready`). LB §9 #7 (next invoke cold) concerns aws-lambda-go, which exits on the 413.
   */
  afterOversizedResponse: { errorAfterwards: 403, nextEnvironment: 'same' },
  /**
   * Killed (or exited) after /response got its 202: the caller keeps the posted answer (LB §1.1), and the next
   * invoke starts a new environment (LB §4 "Exit / crash / OOM").
   */
  exitAfterAnswer: { callerGets: 'posted-answer', nextEnvironment: 'new' },
  /**
   * Killed while posting /response, part of the body sent: the part is never the caller's answer. RAPID's buffered
   * path reads the whole body before it answers (`rapidcore/server.go` `sendResponseUnsafe`, `io.ReadAll`), so the
   * failed read leaves the invoke open and the exit ends it: Runtime.ExitError, as for any exit during an invoke
   * (LB §3.1). (AWS's streaming path can report `Runtime.TruncatedResponse`, `fatalerror/fatalerror.go`; unconfirmed.)
   */
  killedWhilePosting: { errorType: 'Runtime.ExitError', nextEnvironment: 'new' },
} as const

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
    body: { message: validationMessage([{ value, field, constraint }]) },
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

  // ------------------------------------------------ bad input (LS = localstack tests/aws/services/lambda_/test_lambda_api.snapshot.json)
  /**
   * Several constraint failures in one ValidationException, as Coral words them: `2 validation errors detected: A; B`
   * (LS `TestLambdaFunction::test_function_name_and_qualifier_validation[full_arn_and_qualifier_too_long_and_invalid_region-*]`,
   * recorded 2025-11: qualifier first, then functionName).
   */
  validations: (errors: readonly ValidationFailure[]): ApiError => ({
    status: 400,
    code: 'ValidationException',
    body: { message: validationMessage(errors) },
  }),
  /**
   * CreateFunction with a bare name over 64 characters: the validation wording, but as InvalidParameterValueException
   * (LS `test_function_arns` "long_function_name_exc" and `…[function_name_too_long-create_function]`, recorded 2025-11).
   * GetFunction, Invoke and DeleteFunction answer such a name with 404 Function not found instead (same recordings).
   */
  functionNameTooLong: (value: string): ApiError =>
    userError(400, 'InvalidParameterValueException', validationMessage([{ value, field: 'functionName', constraint: `Member must have length less than or equal to ${FUNCTION_NAME_MAX_LENGTH}` }])),
  /** A full ARN naming another region (LS `test_get_function_wrong_region[*]`, `test_function_arns`, recorded 2025-11). */
  regionNotReachable: (arnRegion: string, region: string): ApiError => ({
    status: 404,
    code: 'ResourceNotFoundException',
    body: { Type: 'User', Message: `Functions from '${arnRegion}' are not reachable in this region ('${region}')` },
  }),
  /**
   * A full or partial ARN naming another account: 403 AccessDeniedException (LS `test_function_arns`
   * "function_arn_other_account_exc", recorded 2025-11, for CreateFunction; AWS sent no message there). The target
   * has one account and no cross-account policies, so every operation answers so; the message is the kit's.
   */
  accessDenied: (message: string): ApiError => ({ status: 403, code: 'AccessDeniedException', body: { Message: message } }),
  /** An ARN with a qualifier plus a different Qualifier parameter (LS `…[latest_version_with_additional_qualifier-*]`, recorded 2025-11). */
  qualifierMismatch: (): ApiError => userError(400, 'InvalidParameterValueException', 'The derived qualifier from the function name does not match the specified qualifier.'),
  /** A Runtime outside the enum, any case (LS `test_create_lambda_exceptions` "invalid_runtime_exc", "uppercase_runtime_exc", recorded 2026-01). */
  invalidRuntime: (value: string): ApiError =>
    userError(400, 'InvalidParameterValueException', `Value ${value} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [${CREATABLE_RUNTIMES.join(', ')}] or be a valid ARN`),
  /** LS `test_create_lambda_exceptions` "invalid_zip_exc" (recorded 2026-01). The target may append its reason in parentheses. */
  invalidZip: (): ApiError => userError(400, 'InvalidParameterValueException', 'Could not unzip uploaded file. Please check your file, then try to upload again.'),
  /** LS `test_oversized_unzipped_lambda` (recorded 2025-11). */
  unzippedTooLarge: (): ApiError => userError(400, 'InvalidParameterValueException', `Unzipped size must be smaller than ${UNZIPPED_CODE_LIMIT} bytes`),
  /** A code upload over the limit (LS `test_oversized_zipped_create_lambda`, recorded 2025-11: code and message only, no `Type`). */
  zippedTooLarge: (): ApiError => ({ status: 413, code: 'RequestEntityTooLargeException', body: { message: `Zipped size must be smaller than ${ZIPPED_CODE_LIMIT} bytes` } }),
  /**
   * A body that is not a JSON object, or a member of the wrong JSON type. The code is what AWS's JSON protocols send
   * for an unreadable request; the message is the kit's (unconfirmed for Lambda).
   */
  serialization: (message: string): ApiError => ({ status: 400, code: 'SerializationException', body: { message } }),

  // ------------------------------------------------ async invocation configuration (EIC = LS `test_lambda_api.snapshot.json`
  // `TestLambdaEventInvokeConfig::test_lambda_eventinvokeconfig_exceptions` and `…_lifecycle`, recorded 2025-11-25)
  /** Put, Update or List for a function (or a qualifier) that does not exist (EIC "put_functionname_name_notfound", "put_alias_doesnotexist", "list_function_doesnotexist"). */
  eventInvokeFunctionNotFound: (): ApiError => ({ status: 404, code: 'ResourceNotFoundException', body: { Type: 'User', Message: "The function doesn't exist." } }),
  /**
   * Get, Delete or Update with no configuration set; Get and Delete also for a function that does not exist. The ARN
   * is qualified, `:$LATEST` when no qualifier was given (EIC "get_function_doesnotexist", "delete_function_not_found",
   * "update_eventinvokeconfig_config_doesnotexist_without_qualifier", "get_qualifier_doesnotexist").
   */
  eventInvokeConfigNotFound: (qualifiedArn: string): ApiError => ({
    status: 404,
    code: 'ResourceNotFoundException',
    body: { Type: 'User', Message: `The function ${qualifiedArn} doesn't have an EventInvokeConfig` },
  }),
  /** Put or Update with none of MaximumRetryAttempts, MaximumEventAgeInSeconds, DestinationConfig; checked before the function is looked up (EIC "put_functionname_nootherargs"). */
  eventInvokeConfigEmpty: (): ApiError => userError(400, 'InvalidParameterValueException', 'You must specify at least one of error handling or destination setting.'),
  /** A Lambda destination that does not exist (EIC "put_destination_lambda_doesntexist"). */
  destinationNotFound: (arn: string): ApiError => userError(400, 'InvalidParameterValueException', `The destination ARN ${arn} is invalid.`),
  /** The function as its own destination (EIC "put_destination_recursive"). */
  destinationIsSelf: (): ApiError => userError(400, 'InvalidParameterValueException', "You can't specify the function as a destination for itself."),
  /** A destination of a service that cannot be one, e.g. IAM (EIC "put_destination_invalid_service_arn"). */
  destinationConfigInvalid: (onSuccess?: string, onFailure?: string): ApiError =>
    userError(
      400,
      'InvalidParameterValueException',
      `The provided destination config DestinationConfig(onSuccess=${onSuccess ? `OnSuccess(destination=${onSuccess})` : 'null'}, ` +
        `onFailure=${onFailure ? `OnFailure(destination=${onFailure})` : 'null'}) is invalid.`,
    ),
} as const

/** One failed constraint of a request member, as a ValidationException names it. */
export interface ValidationFailure {
  value: string
  field: string
  constraint: string
}

const validationMessage = (errors: readonly ValidationFailure[]): string =>
  `${errors.length} validation error${errors.length === 1 ? '' : 's'} detected: ` +
  errors.map((e) => `Value '${e.value}' at '${e.field}' failed to satisfy constraint: ${e.constraint}`).join('; ')

/**
 * FunctionName pattern of GetFunction, Invoke, DeleteFunction and the other operations on an existing function, as
 * AWS prints it (model `NamespacedFunctionName`, botocore 1.43; LS `test_function_name_and_qualifier_validation[*-get_function|
 * delete_function|invoke]` and `test_invalid_invoke`, recorded 2025-11). The kit once used the model's older pattern,
 * without the `eusc-`/`-iso` regions and the `$LATEST.PUBLISHED` qualifier, so its message differed from AWS's.
 */
export const FUNCTION_NAME_PATTERN =
  /^(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?$/
export const FUNCTION_NAME_CONSTRAINT = `Member must satisfy regular expression pattern: ${FUNCTION_NAME_PATTERN.source.slice(1, -1)}`
export const ROLE_PATTERN = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/

// ---------------------------------------------------------------- bad input: names, qualifiers, handlers, runtimes, code
/**
 * CreateFunction's FunctionName pattern as AWS prints it (no `.` in the name, only `$LATEST` or an alias/version
 * after it): LS `test_function_arns` "invalid_function_name_exc" and `test_function_name_and_qualifier_validation[*-create_function]`
 * (recorded 2025-11). Other operations use FUNCTION_NAME_PATTERN.
 */
export const CREATE_FUNCTION_NAME_PATTERN =
  /^(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$/
export const CREATE_FUNCTION_NAME_CONSTRAINT = `Member must satisfy regular expression pattern: ${CREATE_FUNCTION_NAME_PATTERN.source.slice(1, -1)}`
/**
 * The parts of a FunctionName that matched FUNCTION_NAME_PATTERN or CREATE_FUNCTION_NAME_PATTERN (both have this
 * structure; they differ in the characters allowed), by name rather than by the printed patterns' group numbers.
 */
export const FUNCTION_NAME_PARTS =
  /^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:(?<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(?<account>\d{12}):)?(?:function:)?(?<name>[a-zA-Z0-9-_.]+)(?::(?<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9-_]+))?$/
/** A bare function name (CreateFunction; LS recordings above). */
export const FUNCTION_NAME_MAX_LENGTH = 64
/** CreateFunction's FunctionName as a full or partial ARN (model `FunctionName` max 140; LS `test_function_arns` "long_function_arn_exc"). */
export const FUNCTION_ARN_MAX_LENGTH = 140
/** FunctionName of GetFunction, Invoke, DeleteFunction (model `NamespacedFunctionName` max 256). */
export const NAMESPACED_FUNCTION_NAME_MAX_LENGTH = 256
/** Qualifier parameter as AWS prints its pattern (LS `…[invalid_characters_in_qualifier-*]`, `…[qualifier_too_long-*]`, recorded 2025-11). */
export const QUALIFIER_PATTERN = /^(\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+)$/
export const QUALIFIER_CONSTRAINT = 'Member must satisfy regular expression pattern: \\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+'
export const QUALIFIER_MAX_LENGTH = 128
/** Handler: model shape `Handler` (max 128, pattern `[^\s]+`, matched whole as AWS matches FunctionName). */
export const HANDLER_PATTERN = /^[^\s]+$/
export const HANDLER_CONSTRAINT = 'Member must satisfy regular expression pattern: [^\\s]+'
export const HANDLER_MAX_LENGTH = 128
/** The runtimes AWS lists when it refuses a Runtime value, in its order (LS `test_create_lambda_exceptions`, recorded 2026-01-12). */
export const CREATABLE_RUNTIMES = [
  'nodejs20.x', 'python3.14', 'provided.al2023', 'python3.12', 'python3.13', 'nodejs24.x', 'nodejs22.x', 'java25', 'python3.10', 'python3.11',
  'java21', 'ruby3.3', 'ruby3.4', 'ruby3.2', 'python3.8', 'python3.9', 'java17', 'nodejs16.x', 'dotnet10', 'dotnet8', 'java11', 'dotnet6',
  'nodejs18.x', 'provided.al2', 'java8.al2',
] as const
/** Largest deployment package (zip) in a request (LS `test_oversized_zipped_create_lambda`, recorded 2025-11). */
export const ZIPPED_CODE_LIMIT = 52_428_800

// ---------------------------------------------------------------- async invocation configuration (LB §6)
/**
 * Put/Get/Update/DeleteFunctionEventInvokeConfig and ListFunctionEventInvokeConfigs have their own API version
 * (model `requestUri`): PUT/GET/POST/DELETE `/2019-09-25/functions/{FunctionName}/event-invoke-config`, GET `…/list`.
 */
export const EVENT_INVOKE_CONFIG_API = '/2019-09-25/functions'
export const EVENT_INVOKE_CONFIG_SEGMENT = 'event-invoke-config'
export const EVENT_INVOKE_CONFIG_LIST_SEGMENT = 'list'
/** Model shapes `MaximumRetryAttempts` and `MaximumEventAgeInSeconds`; unset means 2 retries and 6 h (LB §6). */
export const MAX_RETRY_ATTEMPTS_RANGE = [0, 2] as const
export const DEFAULT_MAX_RETRY_ATTEMPTS = 2
export const MAX_EVENT_AGE_RANGE_S = [60, 21_600] as const
export const DEFAULT_MAX_EVENT_AGE_S = 21_600
/** ListFunctionEventInvokeConfigs MaxItems (model `MaxFunctionEventInvokeConfigListItems`). */
export const EVENT_INVOKE_CONFIG_LIST_MAX_ITEMS = [1, 50] as const
/**
 * DestinationArn's pattern as AWS prints it (EIC "put_destination_invalid_arn_pattern", recorded 2025-11-25; the
 * model in botocore 1.43 lacks `(eusc-)?`), matched whole; its length is at most 350 (model `DestinationArn`).
 */
const DESTINATION_ARN_SOURCE = '$|kafka://([^.]([a-zA-Z0-9\\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)'
export const DESTINATION_ARN_PATTERN = new RegExp(`^(?:${DESTINATION_ARN_SOURCE})$`)
export const DESTINATION_ARN_CONSTRAINT = `Member must satisfy regular expression pattern: ${DESTINATION_ARN_SOURCE}`
export const DESTINATION_ARN_MAX_LENGTH = 350
/**
 * Services a destination may name (model `DestinationConfig` doc: function, SQS queue, SNS topic, EventBridge bus,
 * and an S3 bucket for on-failure only); any other gets destinationConfigInvalid.
 */
export const DESTINATION_SERVICES = { onSuccess: ['lambda', 'sqs', 'sns', 'events'], onFailure: ['lambda', 'sqs', 'sns', 'events', 's3'] } as const

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

/** A REPORT field in ms or MB ("8.40 ms", "66 MB") as a number, or null when absent or not a number. */
export function reportNumber(report: Record<string, string> | null | undefined, field: string): number | null {
  const raw = report?.[field]
  if (raw === undefined) return null
  const n = Number.parseFloat(raw)
  return Number.isFinite(n) ? n : null
}
