/**
 * python3.* functions on the embedded target, run by AWS's runtime interface client awslambdaric (PyPI) in the
 * venv that python-venv.ts creates (the same call the global setup makes; cached, so it is quick here):
 * events and results, the context, error payloads in awslambdaric's shape, print() output, import errors and
 * the managed-runtime environment (lambda-behavior.md §1, §3).
 */
import crypto from 'node:crypto'
import { CreateFunctionCommand, InvokeCommand, type InvokeCommandOutput, type LambdaClient, type Runtime } from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, resolveFromRoot } from '../config.js'
import { type EmbeddedTarget, startEmbeddedTarget } from './index.js'
import { ensurePythonVenv, type PythonVenv } from './python-venv.js'
import { decodeLog, lambdaClient, logLinesOf, payloadJson, REGION, ROLE, sdkError, uniqueName, waitForActive } from './test-support.js'
import { zipFiles } from './zip.js'

let target: EmbeddedTarget
let client: LambdaClient
let venv: PythonVenv

beforeAll(async () => {
  venv = await ensurePythonVenv(resolveFromRoot(loadConfig().cacheDir))
  target = await startEmbeddedTarget({ pendingMs: 0, pythonVenv: venv.dir })
  client = lambdaClient(target.endpoint)
})

afterAll(async () => {
  await target?.close()
})

async function createPython(c: LambdaClient, name: string, handler: string, files: Record<string, string>, o: { timeout?: number; runtime?: Runtime } = {}): Promise<void> {
  await c.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: o.runtime ?? 'python3.12',
      Role: ROLE,
      Handler: handler,
      Code: { ZipFile: await zipFiles(files) },
      ...(o.timeout !== undefined ? { Timeout: o.timeout } : {}),
    }),
  )
}

/** Creates a python3.12 function from `files` and waits until it is Active; returns its name. */
async function deployPython(prefix: string, handler: string, files: Record<string, string>, o: { timeout?: number; runtime?: Runtime } = {}): Promise<string> {
  const name = uniqueName(prefix)
  await createPython(client, name, handler, files, o)
  await waitForActive(client, name)
  return name
}

const invoke = (name: string, payload: unknown = {}): Promise<InvokeCommandOutput> =>
  client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), LogType: 'Tail' }))

describe('python3.* under awslambdaric', () => {
  it('the target names the interpreter that stands in for every python3.* runtime', () => {
    expect(venv.awslambdaricVersion).toBe('4.2.2')
    for (const id of ['python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13']) {
      expect((target.details.runtimes as Record<string, string>)[id]).toBe(`Python ${venv.pythonVersion} + awslambdaric 4.2.2 (venv ${venv.dir})`)
    }
  })

  it('an echo handler gets the event and returns it; print() output lands in the log', async () => {
    const name = await deployPython('py-echo', 'app.handler', { 'app.py': 'def handler(event, context):\n    print("got", event["id"])\n    return {"echo": event}\n' })
    const event = { id: crypto.randomUUID(), n: [1, 2.5, null], s: 'é' }
    const out = await invoke(name, event)
    expect(out.FunctionError).toBeUndefined()
    expect(payloadJson(out)).toEqual({ echo: event })
    const lines = logLinesOf(decodeLog(out))
    expect(lines[0]).toMatch(/^INIT_START Runtime Version: python:3\.12\.embedded\t/)
    // print() writes plain lines, without a request-id prefix.
    expect(lines).toContain(`got ${event.id}`)
  })

  it('the context and the environment of a managed runtime', async () => {
    const name = await deployPython('py-ctx', 'app.handler', {
      'app.py': [
        'import os, sys',
        'def handler(event, context):',
        '    return {',
        '        "remaining": context.get_remaining_time_in_millis(),',
        '        "request_id": context.aws_request_id,',
        '        "function_name": context.function_name,',
        '        "memory": context.memory_limit_in_mb,',
        '        "arn": context.invoked_function_arn,',
        '        "execution_env": os.environ.get("AWS_EXECUTION_ENV"),',
        '        "trace": os.environ.get("_X_AMZN_TRACE_ID"),',
        '        "task_root_first": os.path.realpath(sys.path[0]) == os.path.realpath(os.environ["LAMBDA_TASK_ROOT"]),',
        '        "cwd_is_task_root": os.path.realpath(os.getcwd()) == os.path.realpath(os.environ["LAMBDA_TASK_ROOT"]),',
        '        "unbuffered": os.environ.get("PYTHONUNBUFFERED"),',
        '    }',
      ].join('\n'),
    }, { timeout: 6, runtime: 'python3.11' })
    const out = await invoke(name)
    expect(out.FunctionError).toBeUndefined()
    const r = payloadJson(out) as Record<string, unknown>
    expect(r).toMatchObject({
      request_id: out.$metadata.requestId,
      function_name: name,
      memory: '128',
      arn: `arn:aws:lambda:${REGION}:${target.accountId}:function:${name}`,
      execution_env: 'AWS_Lambda_python3.11',
      task_root_first: true,
      cwd_is_task_root: true,
      unbuffered: '1',
    })
    expect(r.remaining).toBeGreaterThan(4000)
    expect(r.remaining).toBeLessThanOrEqual(6000)
    expect(r.trace).toMatch(/^Root=1-/)
  })

  it('a raised exception → FunctionError Unhandled with awslambdaric\'s {errorMessage, errorType, requestId, stackTrace}', async () => {
    const name = await deployPython('py-raise', 'app.handler', {
      'app.py': 'class PaymentDeclined(Exception):\n    pass\n\ndef handler(event, context):\n    raise PaymentDeclined("card 42 declined")\n',
    })
    const out = await invoke(name)
    expect(out.FunctionError).toBe('Unhandled')
    const body = payloadJson(out) as { errorMessage: string; errorType: string; requestId: string; stackTrace: string[] }
    expect(body).toMatchObject({ errorMessage: 'card 42 declined', errorType: 'PaymentDeclined', requestId: out.$metadata.requestId })
    expect(Array.isArray(body.stackTrace)).toBe(true)
    expect(body.stackTrace.join('')).toContain('raise PaymentDeclined("card 42 declined")')
    // awslambdaric logs it as one line, its own lines joined with \r.
    expect(decodeLog(out)).toMatch(/^\[ERROR\] PaymentDeclined: card 42 declined\rTraceback \(most recent call last\):\r/m)
    // A raised exception keeps the environment: the next invoke is warm.
    expect(decodeLog(await invoke(name))).not.toContain('INIT_START')
  })

  it('a module that does not import → awslambdaric\'s Runtime.ImportModuleError init error', async () => {
    const name = await deployPython('py-import', 'app.handler', { 'app.py': 'import no_such_module_here\n\ndef handler(event, context):\n    return 1\n' })
    const out = await invoke(name)
    expect(out.FunctionError).toBe('Unhandled')
    expect(payloadJson(out)).toEqual({
      errorMessage: "Unable to import module 'app': No module named 'no_such_module_here'",
      errorType: 'Runtime.ImportModuleError',
      requestId: '',
      stackTrace: [],
    })
    expect(decodeLog(out)).toMatch(/^INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\tError Type: Runtime\.ImportModuleError$/m)
  })

  it('modules next to the handler import from the task root (a package in a folder too)', async () => {
    const name = await deployPython('py-pkg', 'svc/main.handler', {
      'helpers.py': 'def twice(x):\n    return 2 * x\n',
      'svc/__init__.py': '',
      'svc/main.py': 'from helpers import twice\n\ndef handler(event, context):\n    return twice(event["x"])\n',
    })
    expect(payloadJson(await invoke(name, { x: 21 }))).toBe(42)
  })
})

describe('without a Python venv', () => {
  it('CreateFunction for python3.* → 400 InvalidParameterValueException saying how to enable it', async () => {
    const bare = await startEmbeddedTarget({ pendingMs: 0 })
    try {
      const c = lambdaClient(bare.endpoint)
      const e = await sdkError(createPython(c, uniqueName('py-novenv'), 'app.handler', { 'app.py': 'def handler(e, c):\n    return 1\n' }))
      expect(e.name).toBe('InvalidParameterValueException')
      expect(e.$metadata?.httpStatusCode).toBe(400)
      expect(e.message).toContain('python3.12 is not enabled')
      expect(e.message).toContain('pythonVenv')
      expect((bare.details.runtimes as Record<string, string>)['python3.12']).toMatch(/^unavailable/)
    } finally {
      await bare.close()
    }
  })
})
