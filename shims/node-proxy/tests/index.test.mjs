// Standalone tests of the node-proxy shim (no Lambda target): node --test shims/node-proxy/
// Each test loads the package's index.js in a fresh Node process through harness.cjs, which plays the Lambda
// Node.js runtime (handler(event, context, callback), context.done). Needs go (builds the real sidecar).
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const shimDir = path.dirname(here)
let tmp
let realPkg
let fakePkg

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'node-proxy-test-'))
  realPkg = path.join(tmp, 'real')
  fakePkg = path.join(tmp, 'fake')
  for (const p of [realPkg, fakePkg]) {
    fs.mkdirSync(path.join(p, 'bin'), { recursive: true })
    fs.copyFileSync(path.join(shimDir, 'index.js'), path.join(p, 'index.js'))
  }
  execFileSync('go', ['build', '-C', path.join(shimDir, 'sidecar'), '-o', path.join(realPkg, 'bin', 'sidecar'), '.'], { stdio: 'inherit' })
  fs.copyFileSync(path.join(here, 'fake-sidecar.cjs'), path.join(fakePkg, 'bin', 'sidecar'))
  fs.chmodSync(path.join(fakePkg, 'bin', 'sidecar'), 0o755)
})

after(() => fs.rmSync(tmp, { recursive: true, force: true }))

/** One Node process running the shim, as one Lambda execution environment would. */
class Runtime {
  constructor(pkg, env) {
    this.out = []
    this.err = []
    this.answers = new Map()
    this.waiters = new Map()
    this.next = 0
    this.child = spawn(process.execPath, [path.join(here, 'harness.cjs'), pkg], {
      cwd: pkg,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      // Its own process group, so stop() can kill Node and its Go children together, as Lambda does.
      detached: true,
    })
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })))
    const lines = (stream, sink, cb) => {
      let partial = ''
      stream.setEncoding('utf8')
      stream.on('data', (d) => {
        const parts = (partial + d).split('\n')
        partial = parts.pop()
        for (const l of parts) (cb ?? ((x) => sink.push(x)))(l)
      })
    }
    lines(this.child.stdout, this.out)
    lines(this.child.stderr, this.err)
    lines(this.child.stdio[3], null, (l) => {
      const a = JSON.parse(l)
      this.answers.set(a.id, a)
      this.waiters.get(a.id)?.(a)
    })
  }

  invoke(event) {
    const id = `req-${++this.next}`
    const p = new Promise((resolve) => this.waiters.set(id, resolve))
    this.child.stdin.write(JSON.stringify({ id, event }) + '\n')
    return p
  }

  async stop() {
    try {
      process.kill(-this.child.pid, 'SIGKILL')
    } catch {
      // the group is already gone
    }
    await this.exited
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const failure = (a) => JSON.parse(a.error.message)

describe('with the real Go sidecar', () => {
  test('echo: the event comes back as the parsed result; a JSON string event.body is parsed in place', async () => {
    const rt = new Runtime(realPkg, { PROBE: 'echo' })
    try {
      const a = await rt.invoke({ a: 1, b: ['x', null] })
      assert.equal(a.error, null)
      assert.deepEqual(a.result, { a: 1, b: ['x', null] })
      const b = await rt.invoke({ body: '{"inner":true}', other: 1 })
      assert.deepEqual(b.result, { body: { inner: true }, other: 1 })
      // Node's own progress messages and the sidecar's logrus-style lines are relayed as JSON lines.
      assert.ok(rt.out.some((l) => l === '{"msg":"Waiting for SIGUSR2 signal"}'), rt.out.join('\n'))
      assert.ok(rt.out.some((l) => l === '{"msg":"SIGUSR2 signal received"}'))
      assert.ok(rt.out.some((l) => /^\{"ParentPID":\d+,"level":"info","msg":"Signaling parent process","time":"/.test(l)))
    } finally {
      await rt.stop()
    }
  })

  test('panic: a 400 mapped to Error(JSON {code, status, headers, error}) with no Go stack; the process lives on', async () => {
    const rt = new Runtime(realPkg, { PROBE: 'dispatch' })
    try {
      const before = await rt.invoke({ probe: 'state' })
      const a = await rt.invoke({ probe: 'panic', args: { value: 'string' } })
      assert.equal(a.error.name, 'Error')
      const f = failure(a)
      assert.equal(f.code, 400)
      assert.equal(f.status, 'Bad Request')
      assert.equal(f.headers['content-type'], 'text/plain; charset=utf-8')
      assert.equal(f.error, 'Error: Lambda handler panic: &errors.errorString{s:"probe: panic string"}\n')
      assert.ok(!a.error.message.includes('goroutine'))
      const after = await rt.invoke({ probe: 'state' })
      assert.equal(after.result.pid, before.result.pid)
      assert.equal(after.result.invocations, 3)
    } finally {
      await rt.stop()
    }
  })

  test('returned error: a 500 with the error text', async () => {
    const rt = new Runtime(realPkg, { PROBE: 'error' })
    try {
      const f = failure(await rt.invoke({ kind: 'pointer' }))
      assert.equal(f.code, 500)
      assert.equal(f.status, 'Internal Server Error')
      assert.equal(f.error, 'Error: probe: pointer error\n')
    } finally {
      await rt.stop()
    }
  })

  test('context: no lambdacontext, no deadline; the environment is the Node process\'s', async () => {
    const rt = new Runtime(realPkg, { PROBE: 'dispatch', AWS_LAMBDA_FUNCTION_NAME: 'harness-fn', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128' })
    try {
      const c = (await rt.invoke({ probe: 'context' })).result
      assert.equal(c.lambdaContext, null)
      assert.equal(c.traceIdFromContext, '')
      assert.equal(c.globals.functionName, 'harness-fn')
      assert.equal(c.env.PROBE, 'dispatch')
      assert.match(c.env.PATH, /:\/var\/task$/)
      const d = (await rt.invoke({ probe: 'deadline' })).result
      assert.equal(d.hasDeadline, false)
    } finally {
      await rt.stop()
    }
  })

  test('log: each line of the child is relayed wrapped as {"msg": ...}', async () => {
    const rt = new Runtime(realPkg, { PROBE: 'log' })
    try {
      const a = await rt.invoke({ marker: 'm1' })
      assert.deepEqual(a.result, { written: 5 })
      await sleep(200)
      const all = [...rt.out, ...rt.err]
      for (const want of ['probe-log 1 stdout m1', 'probe-log 2 stderr m1', 'probe-log 3 stdout m1', 'probe-log 4 multi m1', 'line two', 'line three']) {
        assert.ok(all.includes(JSON.stringify({ msg: want })), `${want} in ${all.join('\n')}`)
      }
      assert.ok(!all.includes('probe-log 1 stdout m1'))
    } finally {
      await rt.stop()
    }
  })

  test('os.Exit mid-invoke: the invoke fails with Node\'s "socket hang up"; the child is respawned in the same Node process', async () => {
    const rt = new Runtime(realPkg, { PROBE: 'dispatch' })
    try {
      const first = await rt.invoke({ probe: 'state' })
      const a = await rt.invoke({ probe: 'exit', args: { code: 3 } })
      assert.equal(a.error.message, 'socket hang up')
      assert.equal(a.error.code, 'ECONNRESET')
      assert.ok(a.error.stack.some((l) => /^\s+at /.test(l)), 'a Node stack')
      await sleep(300)
      assert.ok(rt.err.includes('Sparta EXIT: 3'), rt.err.join('\n'))
      const next = await rt.invoke({ probe: 'state' })
      assert.equal(next.error, null)
      assert.notEqual(next.result.pid, first.result.pid)
      assert.equal(next.result.invocations, 1)
      assert.equal(rt.child.exitCode, null, 'Node is still running')
    } finally {
      await rt.stop()
    }
  })

  test('goroutine panic: "socket hang up"; the Go trace is relayed per chunk, so its lines are split and wrapped', async () => {
    const rt = new Runtime(realPkg, { PROBE: 'dispatch' })
    try {
      const a = await rt.invoke({ probe: 'goroutine-panic' })
      assert.equal(a.error.message, 'socket hang up')
      await sleep(300)
      // The Go runtime prints "panic: ", the value and "goroutine N [running]:" in separate writes; when Node
      // reads them as separate chunks each fragment becomes its own record (a bare "23" is logged as JSON 23).
      assert.ok(rt.out.some((l) => l.startsWith('{"msg":"panic: ')), rt.out.join('\n'))
      assert.ok(!rt.out.includes('panic: probe: goroutine panic'))
      assert.ok(rt.err.includes('Sparta EXIT: 2'))
    } finally {
      await rt.stop()
    }
  })

  test('more than 5 child deaths end the Node process with status 1; exit listeners pile up', async () => {
    const rt = new Runtime(realPkg, { PROBE: 'dispatch' })
    try {
      for (let i = 1; i <= 6; i++) {
        const a = await rt.invoke({ probe: 'exit', args: { code: 1 } })
        assert.ok(a.error, `death ${i}`)
        // Give the respawn time to finish, so the next invoke finds a listening child.
        if (i < 6) await sleep(300)
      }
      const exit = await rt.exited
      assert.equal(exit.code, 1)
      // Six spawns, six process 'exit' listeners: each logs once when Node exits.
      assert.equal(rt.out.filter((l) => l === '{"msg":"Go process exited"}').length, 6)
    } finally {
      await rt.stop()
    }
  })

  test('a child that dies before signalling: the respawned child\'s signal releases the held event', async () => {
    // PROBE_INIT=exit:1 kills every child before it signals: six deaths, then Node exits 1, the event never answered.
    const rt = new Runtime(realPkg, { PROBE: 'echo', PROBE_INIT: 'exit:1' })
    try {
      let answered = false
      rt.invoke({ x: 1 }).then(() => (answered = true))
      const exit = await rt.exited
      assert.equal(exit.code, 1)
      assert.equal(answered, false)
      assert.equal(rt.err.filter((l) => l === 'Sparta EXIT: 1').length, 6)
    } finally {
      await rt.stop()
    }
  })

  test('the 10 s server timeout: a handler running 10.5 s answers nothing, Node sees "socket hang up" (Sparta#30)', async () => {
    const rt = new Runtime(realPkg, { PROBE: 'sleep' })
    try {
      const a = await rt.invoke({ ms: 10500 })
      assert.equal(a.error?.message, 'socket hang up')
      assert.ok(a.ms >= 10400, `answered after ${a.ms} ms`)
    } finally {
      await rt.stop()
    }
  })
})

describe('with a fake sidecar (the Node half alone)', () => {
  test('wire: POST /<PROBE>, {event, context} with exactly Sparta\'s context fields; memoryLimitInMB a string', async () => {
    const rt = new Runtime(fakePkg, { PROBE: 'record' })
    try {
      const a = await rt.invoke({ k: 'v' })
      assert.equal(a.error, null)
      assert.equal(a.result.method, 'POST')
      assert.equal(a.result.url, '/record')
      assert.equal(a.result.headers['content-type'], 'application/json')
      assert.equal(a.result.headers.connection, 'close')
      assert.deepEqual(a.result.body.event, { k: 'v' })
      assert.deepEqual(a.result.body.context, {
        awsRequestId: 'req-1',
        invokeid: 'req-1',
        logGroupName: '/aws/lambda/harness-fn',
        logStreamName: '2017/05/25/[$LATEST]0123456789abcdef0123456789abcdef',
        functionName: 'harness-fn',
        memoryLimitInMB: '128',
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:harness-fn',
      })
    } finally {
      await rt.stop()
    }
  })

  for (const [probe, check] of [
    ['text', (a) => assert.equal(a.result, '{"a":1}')],
    ['json-charset', (a) => assert.equal(a.result, '{"a":1}')],
    ['bad-json', (a) => assert.equal(a.result, '{"a":')],
    ['redirect', (a) => assert.equal(a.result, 'moved')],
    ['unprocessable', (a) => assert.deepEqual(Object.keys(failure(a)), ['code', 'headers', 'error'])],
    ['teapot', (a) => assert.deepEqual([failure(a).code, failure(a).status, failure(a).error], [418, "I'm a teapot", 'Error: short and stout'])],
  ]) {
    test(`status and content type mapping: ${probe}`, async () => {
      const rt = new Runtime(fakePkg, { PROBE: probe })
      try {
        check(await rt.invoke({}))
      } finally {
        await rt.stop()
      }
    })
  }

  test('relay: split per chunk, JSON re-stringified, text wrapped, .stack objects to stderr, empty lines dropped', async () => {
    const rt = new Runtime(fakePkg, { PROBE: 'log-split' })
    try {
      await rt.invoke({})
      await sleep(100)
      const i = rt.out.indexOf('{"msg":"first half of "}')
      assert.ok(i >= 0, rt.out.join('\n'))
      assert.deepEqual(rt.out.slice(i, i + 5), ['{"msg":"first half of "}', '{"msg":"a line"}', '{"level":"info","msg":"json line"}', '{"msg":"a json string"}', '42'])
      assert.ok(rt.err.some((l) => l.includes("stack: 's'")), rt.err.join('\n'))
    } finally {
      await rt.stop()
    }
  })
})
