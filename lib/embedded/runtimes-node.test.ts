/**
 * nodejs* functions on the embedded target, run by the kit's runtime interface client (runtimes/node-ric.mjs):
 * handler loading (CommonJS, ES modules), async and callback handlers, the context object, error payloads, init
 * errors, crashes and the Text log format, as AWS's Node.js runtime behaves
 * (aws/aws-lambda-nodejs-runtime-interface-client src/Runtime.js, CallbackContext.js, UserFunction.js,
 * InvokeContext.js, LogPatch.js, Errors.js) and as lambda-behavior.md §1, §3, §4 and §5 say.
 */
import crypto from 'node:crypto'
import { CreateFunctionCommand, InvokeCommand, type InvokeCommandOutput, type LambdaClient, type Runtime } from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { platformErrors } from '../lambda/protocol.js'
import { type EmbeddedTarget, startEmbeddedTarget } from './index.js'
import { decodeLog, lambdaClient, lastReport, logLinesOf, payloadJson, REGION, ROLE, sleep, uniqueName, waitForActive } from './test-support.js'
import { zipFiles } from './zip.js'

let target: EmbeddedTarget
let client: LambdaClient

beforeAll(async () => {
  target = await startEmbeddedTarget({ pendingMs: 0 })
  client = lambdaClient(target.endpoint)
})

afterAll(async () => {
  await target?.close()
})

/** Creates a nodejs20.x function from `files` and waits until it is Active; returns its name. */
async function deployNode(prefix: string, handler: string, files: Record<string, string>, o: { timeout?: number; memorySize?: number; runtime?: Runtime } = {}): Promise<string> {
  const name = uniqueName(prefix)
  await client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: o.runtime ?? 'nodejs20.x',
      Role: ROLE,
      Handler: handler,
      Code: { ZipFile: await zipFiles(files) },
      ...(o.timeout !== undefined ? { Timeout: o.timeout } : {}),
      ...(o.memorySize !== undefined ? { MemorySize: o.memorySize } : {}),
    }),
  )
  await waitForActive(client, name)
  return name
}

const invoke = (name: string, payload: unknown = {}, extra: { clientContext?: string } = {}): Promise<InvokeCommandOutput> =>
  client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), LogType: 'Tail', ...(extra.clientContext ? { ClientContext: extra.clientContext } : {}) }))

/** A function log line as AWS's Node runtime writes it in Text format: `<ISO time>\t<request id>\t<LEVEL>\t<message>`. */
const APP_LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\t([^\t]+)\t(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\t(.*)$/s

describe('handlers', () => {
  it('an async handler (CommonJS index.js) gets the event and its result is the response', async () => {
    const name = await deployNode('node-echo', 'index.handler', { 'index.js': 'exports.handler = async (event) => ({ echo: event })' })
    const event = { hello: 'world', n: [1, 2, 3], id: crypto.randomUUID() }
    const out = await invoke(name, event)
    expect(out.FunctionError).toBeUndefined()
    expect(payloadJson(out)).toEqual({ echo: event })
    expect(logLinesOf(decodeLog(out))[0]).toMatch(/^INIT_START Runtime Version: nodejs:20\.embedded\t/)
    // A result of undefined is sent as null (RAPIDClient `_trySerializeResponse`).
    const none = await deployNode('node-undef', 'index.handler', { 'index.js': 'exports.handler = async () => undefined' })
    expect(payloadJson(await invoke(none))).toBeNull()
  })

  it('a callback handler answers through callback(null, result)', async () => {
    const name = await deployNode('node-cb', 'index.handler', { 'index.js': 'exports.handler = (event, context, callback) => { setTimeout(() => callback(null, { got: event.v }), 10) }' })
    const out = await invoke(name, { v: 42 })
    expect(out.FunctionError).toBeUndefined()
    expect(payloadJson(out)).toEqual({ got: 42 })
  })

  it('callbackWaitsForEmptyEventLoop: true (default) answers once the event loop is empty; false answers at once', async () => {
    const name = await deployNode('node-wait', 'index.handler', {
      'index.js': [
        'exports.handler = (event, context, callback) => {',
        '  const before = context.callbackWaitsForEmptyEventLoop',
        '  context.callbackWaitsForEmptyEventLoop = event.wait',
        '  setTimeout(() => {}, 1000)',
        '  callback(null, { before })',
        '}',
      ].join('\n'),
    }, { timeout: 10 })
    const waiting = await invoke(name, { wait: true })
    expect(payloadJson(waiting)).toEqual({ before: true })
    expect(Number(lastReport(decodeLog(waiting))?.Duration?.split(' ')[0])).toBeGreaterThanOrEqual(950)
    const notWaiting = await invoke(name, { wait: false })
    expect(payloadJson(notWaiting)).toEqual({ before: true })
    expect(Number(lastReport(decodeLog(notWaiting))?.Duration?.split(' ')[0])).toBeLessThan(500)
  })

  it('loads ES modules (.mjs, and .js under "type": "module") and .cjs, with a directory in the handler', async () => {
    const mjs = await deployNode('node-mjs', 'app.handler', { 'app.mjs': 'export const handler = async (e) => ({ kind: "mjs", e })' })
    expect(payloadJson(await invoke(mjs, { a: 1 }))).toEqual({ kind: 'mjs', e: { a: 1 } })
    const esmJs = await deployNode('node-esmjs', 'src/app.nested.handler', {
      'src/package.json': '{"type":"module"}',
      'src/app.js': 'export const nested = { handler: async () => ({ kind: "esm-js", meta: typeof import.meta.url }) }',
    })
    expect(payloadJson(await invoke(esmJs))).toEqual({ kind: 'esm-js', meta: 'string' })
    const cjs = await deployNode('node-cjs', 'lib.handler', { 'lib.cjs': 'module.exports.handler = async () => ({ kind: "cjs", cjs: typeof require })' })
    expect(payloadJson(await invoke(cjs))).toEqual({ kind: 'cjs', cjs: 'function' })
  })

  it('the context object carries the invoke and function data', async () => {
    const name = await deployNode('node-ctx', 'index.handler', {
      'index.js': [
        'exports.handler = async (event, context) => ({',
        '  ...context, remaining: context.getRemainingTimeInMillis(), typeofMemory: typeof context.memoryLimitInMB,',
        '  env: { AWS_EXECUTION_ENV: process.env.AWS_EXECUTION_ENV, _X_AMZN_TRACE_ID: process.env._X_AMZN_TRACE_ID, _HANDLER: process.env._HANDLER },',
        '  legacy: [typeof context.done, typeof context.succeed, typeof context.fail],',
        '})',
      ].join('\n'),
    }, { timeout: 7, memorySize: 256 })
    const clientCtx = { custom: { tenant: 't-1' }, env: { platform: 'test' } }
    const out = await invoke(name, {}, { clientContext: Buffer.from(JSON.stringify(clientCtx)).toString('base64') })
    expect(out.FunctionError).toBeUndefined()
    const ctx = payloadJson(out) as Record<string, unknown>
    expect(ctx).toMatchObject({
      awsRequestId: out.$metadata.requestId,
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${REGION}:${target.accountId}:function:${name}`,
      memoryLimitInMB: '256',
      typeofMemory: 'string',
      logGroupName: `/aws/lambda/${name}`,
      callbackWaitsForEmptyEventLoop: true,
      clientContext: clientCtx,
      legacy: ['function', 'function', 'function'],
      env: { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x', _HANDLER: 'index.handler' },
    })
    expect(ctx.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/)
    expect(ctx.remaining).toBeGreaterThan(5000)
    expect(ctx.remaining).toBeLessThanOrEqual(7000)
    expect((ctx.env as Record<string, string>)._X_AMZN_TRACE_ID).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}/)
    expect(ctx.identity).toBeUndefined()
  })

  it('the runtime id selects AWS_EXECUTION_ENV and INIT_START; every nodejs id runs on the kit\'s node, started with AWS\'s flags', async () => {
    const name = await deployNode('node-18', 'index.handler', {
      'index.js': 'exports.handler = async () => [process.env.AWS_EXECUTION_ENV, process.version, process.execArgv, typeof gc, process.env.NODE_PATH.split(":").slice(0, 3)]',
    }, { runtime: 'nodejs18.x', memorySize: 512 })
    const out = await invoke(name)
    // As /var/runtime/bootstrap of AWS's nodejs images: heap from MemorySize (512 → 51 young, 25 per semi-space).
    expect(payloadJson(out)).toEqual([
      'AWS_Lambda_nodejs18.x',
      process.version,
      ['--expose-gc', '--max-http-header-size', '81920', '--max-semi-space-size=25', '--max-old-space-size=461'],
      'function',
      ['/opt/nodejs/node18/node_modules', '/opt/nodejs/node_modules', '/var/runtime/node_modules'],
    ])
    expect(decodeLog(out)).toMatch(/^INIT_START Runtime Version: nodejs:18\.embedded\t/m)
    expect(target.details.runtimes).toMatchObject({ 'nodejs18.x': expect.stringContaining(`node ${process.version}`), 'nodejs22.x': expect.stringContaining('node-ric.mjs') })
  })
})

describe('errors', () => {
  it('a thrown error → FunctionError Unhandled with {errorType, errorMessage, trace}, logged as "Invoke Error"', async () => {
    const name = await deployNode('node-throw', 'index.handler', {
      'index.js': 'class BadInput extends Error { constructor(m) { super(m); this.name = "BadInput" } }\nexports.handler = async () => { throw new BadInput("no good") }',
    })
    const out = await invoke(name)
    expect(out.FunctionError).toBe('Unhandled')
    const body = payloadJson(out) as { errorType: string; errorMessage: string; trace: string[] }
    expect(Object.keys(body)).toEqual(['errorType', 'errorMessage', 'trace'])
    expect(body.errorType).toBe('BadInput')
    expect(body.errorMessage).toBe('no good')
    expect(body.trace[0]).toBe('BadInput: no good')
    expect(body.trace.slice(1).every((l) => l.startsWith('    at '))).toBe(true)
    const line = logLinesOf(decodeLog(out)).find((l) => l.includes('Invoke Error'))!
    const [, , id, level, message] = APP_LINE.exec(line)!
    expect([id, level]).toEqual([out.$metadata.requestId, 'ERROR'])
    expect(message).toMatch(/^Invoke Error \t\{"errorType":"BadInput","errorMessage":"no good","name":"BadInput","stack":\["BadInput: no good",/)
    // The environment survives a handled error: the second invoke is warm.
    const again = await invoke(name)
    expect(decodeLog(again)).not.toContain('INIT_START')
  })

  it('callback(error) and callback("a string") follow the same shapes', async () => {
    const name = await deployNode('node-cberr', 'index.handler', { 'index.js': 'exports.handler = (e, c, cb) => cb(e.str ? "plain words" : new RangeError("out of range"))' })
    expect(payloadJson(await invoke(name, {}))).toMatchObject({ errorType: 'RangeError', errorMessage: 'out of range' })
    // A non-Error value: errorType is its typeof, and no trace (Errors.js `toRapidResponse`).
    expect(payloadJson(await invoke(name, { str: true }))).toEqual({ errorType: 'string', errorMessage: 'plain words', trace: [] })
  })

  it('a handler that is not exported → init error Runtime.HandlerNotFound with AWS\'s message', async () => {
    const name = await deployNode('node-nohandler', 'index.nope', { 'index.js': 'exports.handler = async () => 1' })
    const out = await invoke(name)
    expect(out.FunctionError).toBe('Unhandled')
    const body = payloadJson(out) as { errorType: string; errorMessage: string; trace: string[] }
    expect(body).toMatchObject({ errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.nope is undefined or not exported' })
    expect(body.trace[0]).toBe('Runtime.HandlerNotFound: index.nope is undefined or not exported')
    const log = decodeLog(out)
    // LB §4 "Init failure": INIT_REPORT for the init phase, then a second try in the invoke phase.
    expect(log).toMatch(/^INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\tError Type: Runtime\.HandlerNotFound$/m)
    expect(log).toMatch(/^INIT_REPORT Init Duration: [\d.]+ ms\tPhase: invoke\tStatus: error\tError Type: Runtime\.HandlerNotFound$/m)
    // Logged during init, so with the request id "undefined".
    expect(log).toMatch(/^\S+Z\tundefined\tERROR\tUncaught Exception \t\{"errorType":"Runtime\.HandlerNotFound"/m)
  })

  it('a missing module → Runtime.ImportModuleError; a syntax error → Runtime.UserCodeSyntaxError', async () => {
    const missing = await deployNode('node-nomodule', 'missing.handler', { 'index.js': 'exports.handler = async () => 1' })
    const m = payloadJson(await invoke(missing)) as { errorType: string; errorMessage: string }
    expect(m.errorType).toBe('Runtime.ImportModuleError')
    expect(m.errorMessage).toMatch(/^Error: Cannot find module 'missing'\nRequire stack:\n- /)
    const broken = await deployNode('node-syntax', 'index.handler', { 'index.js': 'exports.handler = async () => {{' })
    expect(payloadJson(await invoke(broken))).toMatchObject({ errorType: 'Runtime.UserCodeSyntaxError', errorMessage: expect.stringMatching(/^SyntaxError: /) })
  })

  it('process.exit(3) during an invoke → Runtime.ExitError "exit status 3", and the next invoke starts afresh', async () => {
    const name = await deployNode('node-exit', 'index.handler', { 'index.js': 'exports.handler = async (e) => { if (e.exit) process.exit(3); return "alive" }' })
    expect(payloadJson(await invoke(name))).toBe('alive')
    const out = await invoke(name, { exit: true })
    expect(out.FunctionError).toBe('Unhandled')
    expect(payloadJson(out)).toEqual(platformErrors.exit(out.$metadata.requestId!, { code: 3, signal: null }))
    expect(lastReport(decodeLog(out))).toMatchObject({ Status: 'error', 'Error Type': 'Runtime.ExitError' })
    const after = await invoke(name)
    expect(payloadJson(after)).toBe('alive')
    expect(decodeLog(after)).toContain('INIT_START')
  })

  it('an uncaught exception is reported as the invoke\'s error, then the runtime exits 129', async () => {
    const name = await deployNode('node-uncaught', 'index.handler', { 'index.js': 'exports.handler = (e, c, cb) => { setTimeout(() => { throw new Error("from a timer") }, 5) }' })
    const out = await invoke(name)
    expect(out.FunctionError).toBe('Unhandled')
    expect(payloadJson(out)).toMatchObject({ errorType: 'Error', errorMessage: 'from a timer' })
    const log = decodeLog(out)
    expect(log).toMatch(/\tERROR\tUncaught Exception \t\{"errorType":"Error","errorMessage":"from a timer"/)
    expect(log).toContain(`RequestId: ${out.$metadata.requestId} Error: Runtime exited with error: exit status 129`)
    expect(decodeLog(await invoke(name))).toContain('INIT_START')
  })

  it('an unhandled rejection → Runtime.UnhandledPromiseRejection, then the runtime exits 128', async () => {
    const name = await deployNode('node-rejection', 'index.handler', {
      'index.js': 'exports.handler = async () => { Promise.reject(new Error("nobody waits")); await new Promise((r) => setTimeout(r, 200)); return "too late" }',
    })
    const out = await invoke(name)
    expect(out.FunctionError).toBe('Unhandled')
    expect(payloadJson(out)).toMatchObject({ errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: 'Error: nobody waits' })
    expect(decodeLog(out)).toContain('Error: Runtime exited with error: exit status 128')
  })

  it('an async handler whose promise never settles → Runtime.NodeJsExit once the event loop is empty', async () => {
    const name = await deployNode('node-never', 'index.handler', { 'index.js': 'exports.handler = async () => new Promise(() => {})' })
    const out = await invoke(name)
    expect(out.FunctionError).toBe('Unhandled')
    expect(payloadJson(out)).toMatchObject({ errorType: 'Runtime.NodeJsExit', errorMessage: expect.stringContaining('a Promise that was never settled') })
  })
})

describe('logs and lifecycle', () => {
  it('console methods write `<ISO time>\\t<request id>\\t<LEVEL>\\t<message>`; a multi-line message stays one line (\\n → \\r)', async () => {
    const name = await deployNode('node-log', 'index.handler', {
      'index.js': 'exports.handler = async () => { console.log("plain %d", 7, { a: 1 }); console.info("info"); console.warn("warn"); console.error("error"); console.debug("debug"); console.log("two\\nlines"); return 1 }',
    })
    const out = await invoke(name)
    const id = out.$metadata.requestId!
    const app = logLinesOf(decodeLog(out)).map((l) => APP_LINE.exec(l)).filter((m): m is RegExpExecArray => m !== null)
    expect(app.map((m) => [m[2], m[3], m[4]])).toEqual([
      [id, 'INFO', 'plain 7 { a: 1 }'],
      [id, 'INFO', 'info'],
      [id, 'WARN', 'warn'],
      [id, 'ERROR', 'error'],
      [id, 'DEBUG', 'debug'],
      [id, 'INFO', 'two\rlines'],
    ])
    expect(Math.abs(Date.parse(app[0]![1]!) - Date.now())).toBeLessThan(60_000)
  })

  it('an idle environment is frozen: a timer started at init does not advance between invokes', async () => {
    const fn = await deployNode('node-freeze', 'index.handler', { 'index.mjs': 'let ticks = 0\nsetInterval(() => ticks++, 10)\nexport const handler = async () => ticks' }, { timeout: 5 })
    const first = payloadJson(await invoke(fn)) as number
    await sleep(1500)
    const second = payloadJson(await invoke(fn)) as number
    // Running, the timer would tick ~150 times in 1.5 s; frozen, only around the two invokes (more on a busy machine).
    expect(second - first).toBeLessThan(50)
  })
})
