// The embedded target's Node.js runtime interface client: `node node-ric.mjs <handler>` inside a sandbox.
//
// It behaves as AWS's Node.js runtime does (aws/aws-lambda-nodejs-runtime-interface-client 3.x: src/index.mjs,
// Runtime.js, UserFunction.js, CallbackContext.js, InvokeContext.js, LogPatch.js, Errors.js; written anew, not
// copied). AWS's client needs a native addon (a 2-minute build); this one uses node:http and nothing else.
// Left out: response streaming (awslambda.streamifyResponse), the JSON log format, the telemetry log fd,
// TypeScript handlers (Node >= 24 only) and the X-Ray error-cause header.
import fs from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import util from 'node:util'

const require = createRequire(import.meta.url)
const [HOST, PORT] = (process.env.AWS_LAMBDA_RUNTIME_API ?? '').split(':')
// keepAlive like AWS's client; no socket limit, so an error can be posted while a /next is pending.
const agent = new http.Agent({ keepAlive: true })

// ------------------------------------------------------------------ Runtime API (LB §1)

/** One HTTP call to the Runtime API; resolves with status, headers and body text. No timeout: /next long-polls. */
function call(method, route, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(body, 'utf8')
    const h = data ? { 'content-type': 'application/json', 'content-length': data.length, ...headers } : headers
    const req = http.request({ host: HOST, port: Number(PORT), method, path: `/2018-06-01/runtime${route}`, agent, headers: h }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(data)
  })
}

/**
 * POSTs, then runs `then` whatever the answer: AWS's native client (aws-lambda-cpp `do_post`) logs a refused POST
 * (a 413 for an oversized response, say) with this line and carries on; a failed connection it does not log.
 */
function post(route, body, headers, then) {
  const refused = (r) => r.status >= 300 && process.stderr.write(`[ERROR] [${Date.now()}] LAMBDA_RUNTIME Failed to post handler success response. Http response code: ${r.status}.\n`)
  call('POST', route, body, headers).then(refused, () => {}).then(then)
}

/** JSON.stringify of a result; `undefined` is sent as null (RAPIDClient `_trySerializeResponse`). */
function serialize(value) {
  try {
    return JSON.stringify(value === undefined ? null : value)
  } catch {
    throw new Error('Unable to stringify response body')
  }
}

// ------------------------------------------------------------------ errors (Errors.js)

const runtimeError = (name, build) => {
  const C = build ?? class extends Error {}
  Object.defineProperty(C, 'name', { value: name })
  C.prototype.name = `Runtime.${name}`
  return C
}
const ImportModuleError = runtimeError('ImportModuleError')
const HandlerNotFound = runtimeError('HandlerNotFound')
const MalformedHandlerName = runtimeError('MalformedHandlerName')
const UserCodeSyntaxError = runtimeError('UserCodeSyntaxError')
const NodeJsExit = runtimeError('NodeJsExit', class extends Error {
  constructor() {
    super('The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes')
  }
})
const UnhandledPromiseRejection = runtimeError('UnhandledPromiseRejection', class extends Error {
  constructor(reason, promise) {
    super(reason)
    this.reason = reason
    this.promise = promise
  }
})

const looksLikeError = (e) => e && typeof e.name === 'string' && typeof e.message === 'string' && typeof e.stack === 'string' && e.name && e.message && e.stack
const escape7F = (s) => s?.replaceAll('\x7F', '%7F')

/** The body posted to /error and /init/error: `{errorType, errorMessage, trace}` (toRapidResponse). */
function toRapidResponse(error) {
  try {
    if (util.types.isNativeError(error) || looksLikeError(error)) {
      return { errorType: escape7F(error.name), errorMessage: escape7F(error.message), trace: escape7F(error.stack).split('\n') }
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] }
  } catch {
    return { errorType: 'handled', errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack' }
  }
}

/** How errors appear in the log: a tab, then JSON with name, message, code, own properties and the stack as lines. */
function toFormatted(error) {
  const expand = (_k, v) => (v instanceof Error ? { errorType: v.name, errorMessage: v.message, code: v.code, ...v, ...(typeof v.stack === 'string' ? { stack: v.stack.split('\n') } : {}) } : v)
  try {
    return '\t' + JSON.stringify(error, expand)
  } catch {
    return '\t' + JSON.stringify(toRapidResponse(error))
  }
}

const intoError = (e) => (e instanceof Error ? e : new Error(e))
const logError = (label, err) => console.error(label, toFormatted(intoError(err)))

// ------------------------------------------------------------------ logging (LogPatch.js, Text format)

// The request id lives under the same global symbol as in AWS's runtime, so libraries that read it still work.
const REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId')
const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 }
const minLevel = LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE

// `<ISO time>\t<request id>\t<LEVEL>\t<message>`. Written to stdout, AWS's runtime turns every '\n' of a message into
// '\r' so that a multi-line message stays one CloudWatch event (LogPatch.js `logTextToStdout`).
for (const level of Object.keys(LEVELS)) {
  const write = (message, ...params) => {
    const line = `${new Date().toISOString()}\t${globalThis[REQUEST_ID]}\t${level}\t${util.format(message, ...params)}`
    process.stdout.write(line.replace(/\n/g, '\r') + '\n')
  }
  console[level.toLowerCase()] = LEVELS[level] >= minLevel ? write : () => {}
}
console.log = console.info

// ------------------------------------------------------------------ loading the handler (UserFunction.js)

/** Whether the nearest package.json above `dir` says "type": "module" (a node_modules folder stops the search). */
function packageTypeModule(dir) {
  if (dir.endsWith('/node_modules')) return false
  const pj = path.join(dir, 'package.json')
  if (fs.existsSync(pj)) {
    try {
      return JSON.parse(fs.readFileSync(pj, 'utf8'))?.type === 'module'
    } catch (e) {
      console.warn(`${pj} cannot be read, it will be ignored for ES module detection purposes.`, e)
      return false
    }
  }
  return dir === '/' ? false : packageTypeModule(path.resolve(dir, '..'))
}

const requireIfExists = (file) => (fs.existsSync(file) ? require(file) : undefined)
const importIfExists = async (file) => (fs.existsSync(file) ? import(pathToFileURL(file).href) : undefined)

/** `dir/module.a.b` → the export a.b of dir/module(.js|.mjs|.cjs), CommonJS or ES module, from the task root. */
async function loadHandler(appRoot, fullHandler) {
  if (fullHandler.includes('..')) throw new MalformedHandlerName(`'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`)
  const base = path.basename(fullHandler)
  const moduleRoot = fullHandler.slice(0, fullHandler.indexOf(base))
  const m = /^([^.]*)\.(.*)$/.exec(base)
  if (!m) throw new MalformedHandlerName('Bad handler')
  const [, moduleName, exportPath] = m
  let app
  try {
    const file = path.resolve(appRoot, moduleRoot, moduleName)
    const esm = packageTypeModule(path.dirname(file))
    // In AWS's order: an extensionless file, .js (CommonJS unless "type": "module"), .mjs, .cjs.
    app = requireIfExists(file) ||
      (!esm && requireIfExists(`${file}.js`)) ||
      (esm && (await importIfExists(`${file}.js`))) ||
      (await importIfExists(`${file}.mjs`)) ||
      requireIfExists(`${file}.cjs`) ||
      // Last, Node's own resolution from the task root (a package in node_modules, say).
      require(require.resolve(moduleName, { paths: [appRoot, moduleRoot] }))
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserCodeSyntaxError(e)
    if (e?.code === 'MODULE_NOT_FOUND') throw new ImportModuleError(e)
    throw e
  }
  const fn = exportPath.split('.').reduce((o, k) => o && o[k], app)
  if (!fn) throw new HandlerNotFound(`${fullHandler} is undefined or not exported`)
  if (typeof fn !== 'function') throw new HandlerNotFound(`${fullHandler} is not a function`)
  return fn
}

// ------------------------------------------------------------------ the invoke loop (Runtime.js, CallbackContext.js)

// Until the first invoke, a crash is an init error; afterwards it is an error of the current invoke.
// Exit codes as AWS's runtime: 129 after an uncaught exception, 128 after an unhandled rejection.
let onCrash = (error, code) => {
  const body = toRapidResponse(error)
  post('/init/error', serialize(body), { 'Lambda-Runtime-Function-Error-Type': body.errorType }, () => process.exit(code))
}
process.on('uncaughtException', (error) => {
  logError('Uncaught Exception', error)
  onCrash(error, 129)
})
process.on('unhandledRejection', (reason, promise) => {
  const error = new UnhandledPromiseRejection(reason, promise)
  logError('Unhandled Promise Rejection', error)
  onCrash(error, 128)
})

// One 'beforeExit' hook whose job changes per invoke: it fires once the event loop has nothing left to do.
let beforeExit = () => {}
process.on('beforeExit', () => beforeExit())

// AWS's client sends no Lambda-Runtime-Function-Error-Type on /error (only on /init/error): the type is in the body.
const postResult = (id, kind, body, then) => post(`/invocation/${encodeURIComponent(id)}/${kind}`, body, {}, then)
const postError = (id, err, then) => {
  logError('Invoke Error', err)
  postResult(id, 'error', serialize(toRapidResponse(err)), then)
}

/** callback(err, result), and context.done/succeed/fail/callbackWaitsForEmptyEventLoop; only the first call counts. */
function callbackContext(id, scheduleNext) {
  let waitForEmptyEventLoop = true
  let completed = false
  let finished = false
  const complete = (result) => {
    if (completed) return console.error('Invocation has already been reported as done. Cannot call complete more than once per invocation.')
    completed = true
    postResult(id, 'response', serialize(result), scheduleNext)
  }
  const done = (err, result) => {
    beforeExit = () => {}
    if (err !== undefined && err !== null) postError(id, err, scheduleNext)
    else complete(result)
  }
  const callback = (err, result) => {
    beforeExit = () => {}
    if (err !== undefined && err !== null) postError(id, err, scheduleNext)
    else if (!waitForEmptyEventLoop) complete(result)
    // The default: answer only once the event loop is empty (timers, sockets, pending promises done).
    else beforeExit = () => setImmediate(() => complete(result))
  }
  const once = (f) => (...args) => {
    if (finished) return
    f(...args)
    finished = true
  }
  const context = {
    get callbackWaitsForEmptyEventLoop() { return waitForEmptyEventLoop },
    set callbackWaitsForEmptyEventLoop(v) { waitForEmptyEventLoop = v },
    succeed: once((result) => done(null, result)),
    fail: once((err) => (err === undefined || err === null ? done('handled') : done(err, null))),
    done: once(done),
  }
  return { callback: once(callback), context, markCompleted: () => (completed = true) }
}

const parseJson = (text, name) => {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${err.toString()}`)
  }
}

async function handleOnce(handler, isAsync) {
  const next = await call('GET', '/invocation/next')
  if (next.status !== 200) throw new Error(`Failed to get next invocation, error ${next.status}`)
  const h = next.headers
  const id = h['lambda-runtime-aws-request-id']
  globalThis[REQUEST_ID] = id
  const scheduleNext = () => scheduleIteration(handler, isAsync)
  const { callback, context, markCompleted } = callbackContext(id, scheduleNext)
  try {
    onCrash = (error, code) => postResult(id, 'error', serialize(toRapidResponse(error)), () => process.exit(code))
    // The event loop emptied before the callback or a settled promise: an async handler's promise can no longer
    // settle (Runtime.NodeJsExit); a callback handler that never called back answers null.
    beforeExit = () => {
      markCompleted()
      if (isAsync) postError(id, new NodeJsExit(), scheduleNext)
      else postResult(id, 'response', serialize(null), scheduleNext)
    }
    // X-Ray: the trace header of this invoke, or none (InvokeContext.js `_forwardXRay`).
    if (h['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id']
    else delete process.env._X_AMZN_TRACE_ID
    const deadline = Number(h['lambda-runtime-deadline-ms'])
    Object.assign(context, {
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext: parseJson(h['lambda-runtime-client-context'], 'ClientContext'),
      identity: parseJson(h['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
      invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
      awsRequestId: id,
      tenantId: h['lambda-runtime-aws-tenant-id'],
      getRemainingTimeInMillis: () => deadline - Date.now(),
    })
    const result = handler(JSON.parse(next.body), context, callback)
    if (result && typeof result.then === 'function') result.then(context.succeed, context.fail).catch(context.fail)
  } catch (err) {
    callback(err)
  }
}

function scheduleIteration(handler, isAsync) {
  setImmediate(() =>
    handleOnce(handler, isAsync).catch((err) => {
      console.log(`Unexpected Top Level Error: ${err.toString()}`)
      onCrash(err, 129)
    }),
  )
}

// ------------------------------------------------------------------ start (index.mjs)

const handlerName = process.argv[2] ?? process.env._HANDLER ?? ''
let handler
try {
  handler = await loadHandler(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), handlerName)
} catch (error) {
  // AWS's runtime lets this reach its uncaughtException handler: "Uncaught Exception", /init/error, exit 129.
  logError('Uncaught Exception', error)
  onCrash(error, 129)
}
if (handler) scheduleIteration(handler, handler.constructor?.name === 'AsyncFunction')
