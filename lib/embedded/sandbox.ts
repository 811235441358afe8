/**
 * One execution environment: a process group with its own copy of the code, its own /tmp and its own
 * Runtime API listener on 127.0.0.1. It follows the lifecycle in LB §4: init until the runtime first asks for
 * an event, frozen (SIGSTOP) while idle, thawed (SIGCONT) for an invoke, killed on timeout, exit or OOM.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import {
  classifyRuntimeErrorType,
  type FunctionErrorPayload,
  INIT_TIMEOUT_MS,
  logLines,
  platformErrors,
  type ProcessExit,
  RESPONSE_LIMIT,
  RUNTIME_API_VERSION,
  RUNTIME_HEADERS,
  runtimeApiErrors,
} from '../lambda/protocol.js'
import { answerConnect, BodyTooLargeError, decodeSegment, dropStalledBody, header, prepareAnswer, readBody, sendJson } from './http-util.js'
import type { LogStore } from './log-store.js'
import { signalGroup, watchMemory } from './process-tree.js'
import { LAMBDA_PATH, type RuntimeSpec } from './runtimes.js'

/** Configuration frozen into a sandbox when it starts (a configuration change retires old sandboxes). */
export interface FunctionSnapshot {
  name: string
  arn: string
  revision: number
  runtime: RuntimeSpec
  handler: string
  timeoutS: number
  memoryMb: number
  env: Record<string, string>
  codeDir: string
  region: string
  logGroup: string
}

export interface Invocation {
  requestId: string
  payload: Buffer
  invokedArn: string
  traceId: string
  clientContext?: string
  cognitoIdentity?: string
  /** Lines of the execution log that belong to this invoke (for LogType Tail). */
  log: string[]
}

export interface Outcome {
  /** False when the invoke is a function error (X-Amz-Function-Error: Unhandled). */
  ok: boolean
  body: Buffer
  /** Error type for REPORT and for callers that classify failures. */
  errorType?: string
}

export interface InvokeHandle {
  /** Resolves as soon as the caller's answer is known. */
  outcome: Promise<Outcome>
  /** Resolves once END and REPORT are written. */
  finished: Promise<void>
}

export type InitPhase = 'init' | 'invoke'
export type InitResult = { ok: true; initDurationMs: number } | { ok: false; errorType: string; payload: FunctionErrorPayload | Buffer; status: 'error' | 'timeout'; elapsedMs: number }

type State = 'new' | 'initializing' | 'idle' | 'busy' | 'post' | 'dead'

export interface SandboxOptions {
  fn: FunctionSnapshot
  root: string
  logStore: LogStore
  logStream: string
  isolateTmp: boolean
  initTimeoutMs?: number
  onDead?: (sb: Sandbox) => void
  /**
   * Called when the environment becomes idle again after an invoke. True means an invoke is waiting for it and
   * takes it before any I/O is handled, so there is no point in freezing it in between.
   */
  onIdle?: (sb: Sandbox) => boolean
}

const MiB = 1024 * 1024
/** Scratch for drainLogs, which reads synchronously, so one buffer serves every sandbox. */
const DRAIN_BUFFER = Buffer.allocUnsafe(64 * 1024)

export class Sandbox {
  readonly id = crypto.randomUUID()
  readonly fn: FunctionSnapshot
  readonly dir: string
  readonly logStream: string
  state: State = 'new'
  /** Whether the next invoke is this environment's first (its REPORT carries Init Duration). */
  private firstInvoke = true
  private initDurationMs = 0
  private child?: ChildProcess
  private pgid = 0
  private server?: http.Server
  private port = 0
  private logFd = -1
  private logOffset = 0
  private partialLine = ''
  /**
   * GET /next requests the runtime has open, oldest first. Usually one; a runtime that asks several times at once
   * (two poller loops, say) has more, and each event goes to the oldest (see onNext).
   */
  private readonly heldNext: http.ServerResponse[] = []
  private peakRss = 0
  private stopWatch?: () => void
  private drainTimer?: NodeJS.Timeout
  private exited?: ProcessExit
  private exitWaiters: ((e: ProcessExit) => void)[] = []
  private frozen = false
  private current?: ActiveInvoke
  private lastRequestId?: string
  private initWaiter?: (r: InitResult) => void
  private initError?: { body: Buffer; errorType: string }
  private initStart = 0

  constructor(private readonly opts: SandboxOptions) {
    this.fn = opts.fn
    this.logStream = opts.logStream
    this.dir = path.join(opts.root, this.id)
  }

  /**
   * Peak memory as the REPORT line states it. Capped at MemorySize: on Lambda the limit is the environment's memory
   * cgroup, which usage cannot pass, so an out-of-memory REPORT reads at most `Memory Size` (lambda-behavior.md §5);
   * here the limit is enforced by sampling, which sees the process a step past it before the kill.
   */
  get maxMemoryUsedMb(): number {
    return Math.min(this.fn.memoryMb, Math.max(1, Math.ceil(this.peakRss / MiB)))
  }

  get runtimeApi(): string {
    return `127.0.0.1:${this.port}`
  }

  // ------------------------------------------------------------------ init

  /** Starts the runtime and waits until it first asks for an event, reports an init error, exits or runs out of time. */
  async init(phase: InitPhase, tail: string[], budgetMs = this.opts.initTimeoutMs ?? INIT_TIMEOUT_MS): Promise<InitResult> {
    this.state = 'initializing'
    const taskDir = path.join(this.dir, 'task')
    const tmpDir = path.join(this.dir, 'tmp')
    fs.mkdirSync(tmpDir, { recursive: true })
    fs.cpSync(this.fn.codeDir, taskDir, { recursive: true, verbatimSymlinks: true })
    this.logFd = fs.openSync(path.join(this.dir, 'output.log'), 'a+')
    await this.startRuntimeApi()
    if (this.isDead()) {
      // Destroyed while the Runtime API was starting (the target shutting down during a cold start): destroy() found
      // no server yet, so close it here, and spawn nothing; before, the runtime started anyway and was never killed.
      await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
      return { ok: false, errorType: 'Runtime.ExitError', payload: platformErrors.exit('', { code: null, signal: 'SIGKILL' }), status: 'error', elapsedMs: 0 }
    }
    this.tailTo = tail
    this.emit(logLines.initStart(this.fn.runtime.runtimeVersion, `arn:aws:lambda:${this.fn.region}::runtime:embedded`))
    this.initStart = performance.now()

    const result = new Promise<InitResult>((resolve) => (this.initWaiter = resolve))
    const launch = this.fn.runtime.launch(taskDir, this.fn.handler, this.fn.memoryMb)
    if ('error' in launch) {
      this.finishInit({ ok: false, errorType: 'Runtime.InvalidEntrypoint', payload: platformErrors.invalidEntrypoint('', launch.error), status: 'error', elapsedMs: 0 })
    } else {
      this.spawnRuntime(launch.command, launch.args, launch.env ?? {}, taskDir, tmpDir)
    }
    const timer = setTimeout(() => {
      this.finishInit({ ok: false, errorType: 'Runtime.Unknown', payload: Buffer.alloc(0), status: 'timeout', elapsedMs: performance.now() - this.initStart })
    }, budgetMs)
    const r = await result
    clearTimeout(timer)
    this.drainLogs()
    if (r.ok) {
      this.initDurationMs = r.initDurationMs
    } else {
      this.emit(logLines.initReport(r.elapsedMs, phase, r.status, r.status === 'error' ? r.errorType : undefined))
      await this.destroy()
    }
    this.tailTo = undefined
    return r
  }

  /** A method, not `this.state === 'dead'` inline: TypeScript narrows `state` across the awaits of init. */
  private isDead(): boolean {
    return this.state === 'dead'
  }

  private finishInit(r: InitResult): void {
    const w = this.initWaiter
    this.initWaiter = undefined
    w?.(r)
  }

  private spawnRuntime(command: string, args: string[], runtimeEnv: Record<string, string>, taskDir: string, tmpDir: string): void {
    const env = this.environment(taskDir, tmpDir, runtimeEnv)
    // With a private mount namespace the runtime sees its own directory as /tmp; otherwise TMPDIR points there.
    const [cmd, argv] = this.opts.isolateTmp
      ? ['unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', 'mount --bind "$0" /tmp && exec "$@"', tmpDir, command, ...args]]
      : [command, args]
    let child: ChildProcess
    try {
      child = spawn(cmd, argv, { cwd: taskDir, env, detached: true, stdio: ['ignore', this.logFd, this.logFd] })
    } catch (e) {
      this.finishInit({ ok: false, errorType: 'Runtime.InvalidEntrypoint', payload: platformErrors.invalidEntrypoint('', `fork/exec /var/task/bootstrap: ${(e as Error).message}`), status: 'error', elapsedMs: 0 })
      return
    }
    this.child = child
    child.on('error', (e: NodeJS.ErrnoException) => {
      const detail = e.code === 'EACCES' ? 'permission denied' : e.code === 'ENOEXEC' ? 'exec format error' : e.message
      this.finishInit({ ok: false, errorType: 'Runtime.InvalidEntrypoint', payload: platformErrors.invalidEntrypoint('', `fork/exec /var/task/bootstrap: ${detail}`), status: 'error', elapsedMs: 0 })
    })
    if (child.pid === undefined) return
    this.pgid = child.pid
    child.on('exit', (code, signal) => this.onExit({ code, signal }))
    this.startWatching()
  }

  /**
   * Lambda's documented variables, then the runtime's (AWS_EXECUTION_ENV and interpreter paths of managed
   * runtimes), then the function's own; nothing from the host (LB §1.1).
   */
  private environment(taskDir: string, tmpDir: string, runtimeEnv: Record<string, string>): Record<string, string> {
    const env: Record<string, string> = {
      PATH: LAMBDA_PATH,
      LD_LIBRARY_PATH: `/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:${taskDir}:${taskDir}/lib:/opt/lib`,
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: taskDir,
      LAMBDA_RUNTIME_DIR: '/var/runtime',
      _HANDLER: this.fn.handler,
      AWS_REGION: this.fn.region,
      AWS_DEFAULT_REGION: this.fn.region,
      AWS_LAMBDA_FUNCTION_NAME: this.fn.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.fn.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: this.fn.logGroup,
      AWS_LAMBDA_LOG_STREAM_NAME: this.logStream,
      AWS_LAMBDA_RUNTIME_API: this.runtimeApi,
      // Session credentials of the sandbox itself (fake), never the host's.
      AWS_ACCESS_KEY_ID: 'ASIA' + crypto.randomBytes(8).toString('hex').toUpperCase(),
      AWS_SECRET_ACCESS_KEY: crypto.randomBytes(20).toString('base64'),
      AWS_SESSION_TOKEN: crypto.randomBytes(48).toString('base64'),
    }
    if (!this.opts.isolateTmp) env.TMPDIR = tmpDir
    return { ...env, ...runtimeEnv, ...this.fn.env }
  }

  // ------------------------------------------------------------------ invoke

  invoke(inv: Invocation): InvokeHandle {
    if (this.state !== 'idle') throw new Error(`sandbox ${this.id} is ${this.state}, not idle`)
    this.state = 'busy'
    const active = new ActiveInvoke(inv)
    this.current = active
    this.lastRequestId = inv.requestId
    this.tailTo = inv.log
    const thaw = this.frozen
    if (thaw) {
      this.startWatching()
      this.frozen = false
    }
    this.drainLogs()
    this.emit(logLines.start(inv.requestId))
    active.deadlineMs = Date.now() + this.fn.timeoutS * 1000
    active.timer = setTimeout(() => this.onTimeout(), this.fn.timeoutS * 1000)
    active.started = performance.now()
    const res = this.heldNext.shift()
    // Without an open /next (the runtime closed it), the event goes to the runtime's next /next (onNext).
    if (res) this.deliver(res, active)
    // Thawed last: the event is already in the runtime's socket, so its threads wake once and find it (thawing
    // first woke them for SIGCONT and then again for the event). Its earlier output was drained while it was stopped.
    if (thaw) signalGroup(this.pgid, 'SIGCONT')
    return { outcome: active.outcome, finished: active.finished }
  }

  private deliver(res: http.ServerResponse, active: ActiveInvoke): void {
    const inv = active.inv
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [RUNTIME_HEADERS.requestId]: inv.requestId,
      [RUNTIME_HEADERS.deadlineMs]: String(active.deadlineMs),
      [RUNTIME_HEADERS.invokedFunctionArn]: inv.invokedArn,
      [RUNTIME_HEADERS.traceId]: inv.traceId,
      'content-length': String(inv.payload.length),
    }
    if (inv.clientContext) headers[RUNTIME_HEADERS.clientContext] = inv.clientContext
    if (inv.cognitoIdentity) headers[RUNTIME_HEADERS.cognitoIdentity] = inv.cognitoIdentity
    active.started = performance.now()
    active.delivered = true
    res.writeHead(200, headers)
    res.end(inv.payload)
  }

  /** The caller's answer is known; END/REPORT wait for the runtime's next /next (or its death). */
  private respond(outcome: Outcome): void {
    const a = this.current
    if (!a || a.answered) return
    a.answered = true
    a.durationMs = performance.now() - a.started
    a.errorType = outcome.errorType
    this.state = 'post'
    a.resolveOutcome(outcome)
  }

  /** Writes END and REPORT and closes the invoke. */
  private finish(report: { status?: 'error' | 'timeout'; errorType?: string }): void {
    const a = this.current
    if (!a) return
    clearTimeout(a.timer)
    this.drainLogs(true)
    const duration = a.durationMs ?? performance.now() - a.started
    this.emit(logLines.end(a.inv.requestId))
    const init = this.firstInvoke ? this.initDurationMs : undefined
    this.emit(
      logLines.report({
        requestId: a.inv.requestId,
        durationMs: duration,
        // provided.* bills the INIT phase (LB §5; exact arithmetic unconfirmed, LB §9 #9).
        billedMs: Math.ceil(duration + (init ?? 0)),
        memorySizeMb: this.fn.memoryMb,
        maxMemoryUsedMb: this.maxMemoryUsedMb,
        initDurationMs: init,
        status: report.status,
        errorType: report.errorType,
      }),
    )
    this.firstInvoke = false
    this.current = undefined
    this.tailTo = undefined
    a.resolveFinished()
  }

  private onTimeout(): void {
    const a = this.current
    if (!a) return
    const elapsed = performance.now() - a.started
    const wasAnswered = a.answered
    this.kill()
    this.drainLogs(true)
    this.emit(logLines.timeout(a.inv.requestId, elapsed, new Date()))
    if (!wasAnswered) this.respond({ ok: false, body: json(platformErrors.timeout(a.inv.requestId, elapsed)), errorType: 'Sandbox.Timedout' })
    a.durationMs = elapsed
    this.finish({ status: 'timeout' })
    void this.destroy()
  }

  private onMemorySample(rss: number): void {
    if (rss > this.peakRss) this.peakRss = rss
    if (rss > this.fn.memoryMb * MiB && this.state !== 'dead') {
      this.oomKilled = true
      this.kill()
    }
  }
  private oomKilled = false

  private onExit(exit: ProcessExit): void {
    this.exited = exit
    this.stopWatching()
    for (const w of this.exitWaiters.splice(0)) w(exit)
    if (this.state === 'initializing') {
      this.drainLogs(true)
      const errorType = this.initError?.errorType ?? 'Runtime.ExitError'
      const payload = this.initError?.body ?? platformErrors.exit('', exit)
      this.finishInit({ ok: false, errorType, payload, status: 'error', elapsedMs: performance.now() - this.initStart })
      return
    }
    if (this.current && this.state !== 'dead') this.endInvokeByExit(exit, this.oomKilled)
    void this.destroy()
  }

  /** The running invoke ends with its runtime: the exit's log lines, its error as the answer (unless one was posted), END/REPORT. */
  private endInvokeByExit(exit: ProcessExit, oom: boolean): void {
    const a = this.current
    if (!a) return
    this.drainLogs(true)
    const errorType = oom ? 'Runtime.OutOfMemory' : 'Runtime.ExitError'
    for (const line of logLines.runtimeExit(a.inv.requestId, exit, errorType)) this.emit(line)
    if (!a.answered) {
      const payload = oom ? platformErrors.outOfMemory(a.inv.requestId) : platformErrors.exit(a.inv.requestId, exit)
      this.respond({ ok: false, body: json(payload), errorType })
    }
    this.finish({ status: 'error', errorType })
  }

  // ------------------------------------------------------------------ Runtime API

  private startRuntimeApi(): Promise<void> {
    const server = http.createServer((req, res) => {
      // Answered before its body is in (404, 405, a 413): a body that stalls must not hold the connection.
      res.once('finish', () => dropStalledBody(req))
      this.handleRuntimeApi(req, res).catch((e: unknown) => {
        sendJson(res, 500, { errorMessage: 'Internal Server Error', errorType: 'InternalServerError' })
        if (process.env.CONFORMANCE_LOG_LEVEL === 'debug') console.error('runtime API error', e)
      })
    })
    server.keepAliveTimeout = 0
    server.requestTimeout = 0
    // CONNECT bypasses the request handler; unanswered, Node would just drop the socket. An unknown route (LB §1.1).
    server.on('connect', (_req, socket: import('node:stream').Duplex) => {
      answerConnect(socket, 'HTTP/1.1 404 Not Found\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 19\r\nconnection: close\r\n\r\n404 page not found\n')
    })
    this.server = server
    return new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port
        resolve()
      }),
    )
  }

  private async handleRuntimeApi(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // A request target that is no URL path (`*`, absolute-form junk) and a malformed %-escape in the request id are
    // a 404 and an unknown id (400), not the 500 a throwing URL or decodeURIComponent made of them.
    let p: string
    try {
      p = (req.url ?? '/').startsWith('/') ? new URL(`http://runtime${req.url ?? '/'}`).pathname : ''
    } catch {
      p = ''
    }
    const prefix = `/${RUNTIME_API_VERSION}/runtime/`
    const route = !p.startsWith(prefix) ? null
      : p === `${prefix}invocation/next` ? { kind: 'next' as const, method: 'GET' }
      : p === `${prefix}init/error` ? { kind: 'init-error' as const, method: 'POST' }
      : /^invocation\/[^/]+\/(response|error)$/.test(p.slice(prefix.length))
        ? { kind: p.endsWith('/response') ? ('response' as const) : ('error' as const), method: 'POST', id: decodeSegment(p.slice(prefix.length).split('/')[1] ?? '') }
        : null
    // These two go out before the body is read: prepareAnswer lets a runtime that asked to close still read them.
    if (!route) {
      prepareAnswer(res)
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n')
      return
    }
    if (req.method !== route.method) {
      prepareAnswer(res)
      req.resume()
      res.writeHead(405, { allow: route.method }).end()
      return
    }
    switch (route.kind) {
      case 'next':
        return this.onNext(res)
      case 'init-error':
        return this.onInitError(req, res)
      case 'response':
      case 'error':
        return this.onResult(route.kind, route.id ?? '', req, res)
    }
  }

  /**
   * GET /next. Several may be open at once (a runtime with two poller loops, say): each is held, and each event goes
   * to the oldest (runtimeFaults.concurrentNext in protocol.ts, from RAPID's source). Before, the second got 403
   * (Ready→Ready while idle, Invoke→Ready once a cold start's event had gone out to the first, in the same turn),
   * so the outcome depended on timing, and a runtime that exits on a 403, as aws-lambda-go does, took its invoke
   * down with it.
   */
  private onNext(res: http.ServerResponse): void {
    if (this.state === 'dead') {
      res.destroy()
      return
    }
    if (this.state === 'initializing') {
      if (this.initError) {
        const e = runtimeApiErrors.invalidStateTransition('InitError', 'Ready')
        sendJson(res, e.status, e.body)
        return
      }
      this.holdNext(res)
      this.state = 'idle'
      this.finishInit({ ok: true, initDurationMs: performance.now() - this.initStart })
      return
    }
    if (this.state === 'busy') {
      const a = this.current
      // The event is still here when the runtime had closed its /next before the invoke came: this one gets it
      // (before, it got 403 and the event was never delivered: a timeout).
      if (a && !a.delivered) this.deliver(res, a)
      // Asking again while the event is out: held for the next event, like a second /next at once, so the event
      // goes out once (RAPID would send the running event again; runtimeFaults.nextWhileRunning).
      else this.holdNext(res)
      return
    }
    this.holdNext(res)
    if (this.state === 'post') this.ready()
  }

  /** The invoke is answered and the runtime has a /next open: END/REPORT, then idle (frozen, or straight to a waiting invoke). */
  private ready(): void {
    this.state = 'idle'
    const a = this.current
    this.finish(a?.errorType && a.errorReport ? { status: 'error', errorType: a.errorType } : {})
    if (this.opts.onIdle?.(this)) {
      // Handed straight to a waiting invoke (in this turn's microtasks): SIGSTOP now and SIGCONT a moment later
      // would cost two group signals and a wake-up of every runtime thread for nothing. If that invoke took
      // another environment after all, freeze as usual once the microtasks have run.
      setImmediate(() => this.freeze())
    } else {
      this.freeze()
    }
  }

  /**
   * A runtime that answers while it still has a /next open (held while its event was out) is already waiting for
   * the next event; without this the environment stayed answered-but-busy for good, since that /next had come.
   */
  private readyIfWaiting(): void {
    if (this.state === 'post' && this.heldNext.length > 0) this.ready()
  }

  private holdNext(res: http.ServerResponse): void {
    this.heldNext.push(res)
    res.on('close', () => {
      const i = this.heldNext.indexOf(res)
      if (i >= 0) this.heldNext.splice(i, 1)
    })
  }

  private freeze(): void {
    if (this.state === 'idle' && !this.frozen && this.pgid) {
      this.frozen = signalGroup(this.pgid, 'SIGSTOP')
      // A stopped group can neither grow nor write: no /proc scans or log polls until it is thawed.
      if (this.frozen) this.stopWatching()
    }
  }

  /** Memory sampling and periodic log draining, while the runtime can run. */
  private startWatching(): void {
    this.stopWatching()
    this.stopWatch = watchMemory(this.pgid, (rss) => this.onMemorySample(rss))
    this.drainTimer = setInterval(() => this.drainLogs(), 100)
    this.drainTimer.unref()
  }

  private stopWatching(): void {
    this.stopWatch?.()
    this.stopWatch = undefined
    clearInterval(this.drainTimer)
    this.drainTimer = undefined
  }

  private async onInitError(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req, RESPONSE_LIMIT).catch(() => Buffer.alloc(0))
    if (this.state !== 'initializing' || this.initError) {
      const e = runtimeApiErrors.invalidStateTransition(this.state === 'initializing' ? 'InitError' : 'Ready', 'InitError')
      sendJson(res, e.status, e.body)
      return
    }
    const errorType = classifyRuntimeErrorType(header(req, RUNTIME_HEADERS.functionErrorType))
    this.initError = { body: body.length > 0 ? body : json({ errorMessage: 'Unknown application error occurred', errorType }), errorType }
    sendJson(res, 202, { status: 'OK' })
    // The runtime should exit now; if it does not, the platform ends the init for it.
    setTimeout(() => {
      if (this.state === 'initializing') {
        this.drainLogs(true)
        this.finishInit({ ok: false, errorType, payload: this.initError!.body, status: 'error', elapsedMs: performance.now() - this.initStart })
      }
    }, 200).unref()
  }

  private async onResult(kind: 'response' | 'error', id: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body: Buffer
    let tooLarge = false
    try {
      body = await readBody(req, RESPONSE_LIMIT)
    } catch (e) {
      if (!(e instanceof BodyTooLargeError)) {
        const t = runtimeApiErrors.truncated()
        sendJson(res, t.status, t.body)
        return
      }
      // Answered at once (RAPID reads the whole body first, rapidcore/server.go sendResponseUnsafe): the 413 says
      // Connection: close and the close lingers (http-util lingerOnClose), so a runtime still writing reads the 413.
      // Before, this waited for the body to end, while readBody's bounded drain closed the connection first: a 1 GB
      // response got a reset, never the 413.
      body = Buffer.alloc(0)
      tooLarge = true
    }
    const a = this.current
    if (!a || id !== a.inv.requestId) {
      // A result for an id this environment is not working on.
      if (id === this.lastRequestId && !a) {
        const e = runtimeApiErrors.invalidStateTransition('Ready', kind === 'response' ? 'InvocationResponse' : 'InvocationErrorResponse')
        sendJson(res, e.status, e.body)
        return
      }
      const e = runtimeApiErrors.invalidRequestId()
      sendJson(res, e.status, e.body)
      return
    }
    if (a.answered) {
      const e = runtimeApiErrors.invalidStateTransition(a.answeredWith ?? 'InvocationResponse', kind === 'response' ? 'InvocationResponse' : 'InvocationErrorResponse')
      sendJson(res, e.status, e.body)
      return
    }
    if (tooLarge) {
      const e = runtimeApiErrors.payloadTooLarge()
      sendJson(res, e.status, e.body)
      a.answeredWith = 'InvocationResponse'
      a.errorReport = true
      this.respond({ ok: false, body: json(platformErrors.responseTooLarge()), errorType: 'Function.ResponseSizeTooLarge' })
      this.readyIfWaiting()
      return
    }
    if (kind === 'response') {
      a.answeredWith = 'InvocationResponse'
      this.respond({ ok: true, body })
    } else {
      a.answeredWith = 'InvocationErrorResponse'
      const errorType = classifyRuntimeErrorType(header(req, RUNTIME_HEADERS.functionErrorType))
      const payload = body.length > 0 ? body : json({ errorMessage: 'Unknown application error occurred', errorType })
      this.respond({ ok: false, body: payload, errorType })
    }
    this.readyIfWaiting()
    // The caller's answer goes out first (in this turn's microtasks), the runtime's 202 right after: the caller
    // waits for its answer, while the runtime only needs the 202 before it asks for the next event.
    setImmediate(() => sendJson(res, 202, { status: 'OK' }))
  }

  // ------------------------------------------------------------------ logs

  private tailTo?: string[]

  private emit(line: string): void {
    this.opts.logStore.append(this.fn.logGroup, this.logStream, line)
    this.tailTo?.push(line)
  }

  /**
   * Moves new runtime output into the log. stdout and stderr share one append-only file, so their order is the
   * order of the writes; the file is read up to its end synchronously, so every line written before an event
   * (such as the runtime's POST) is logged before the platform line for that event.
   */
  private drainLogs(flushPartial = false): void {
    if (this.logFd < 0) return
    const buf = DRAIN_BUFFER
    let text = ''
    for (;;) {
      let n = 0
      try {
        n = fs.readSync(this.logFd, buf, 0, buf.length, this.logOffset)
      } catch {
        break
      }
      if (n <= 0) break
      this.logOffset += n
      text += buf.toString('utf8', 0, n)
    }
    text = this.partialLine + text
    const lines = text.split('\n')
    this.partialLine = lines.pop() ?? ''
    for (const l of lines) this.emit(l)
    if (flushPartial && this.partialLine !== '') {
      this.emit(this.partialLine)
      this.partialLine = ''
    }
  }

  // ------------------------------------------------------------------ teardown

  private kill(): void {
    if (this.pgid) {
      signalGroup(this.pgid, 'SIGKILL')
      // A stopped group receives SIGKILL too, but wake it so nothing lingers in the stopped state.
      signalGroup(this.pgid, 'SIGCONT')
    }
  }

  /**
   * Kills the process group, closes the listener and removes the sandbox directory. Idempotent. An init or invoke
   * still under way ends as its runtime's death (SIGKILL), as onExit would end it, since onExit does nothing once
   * the state is dead: before, a running invoke was never answered and its caller waited for good.
   */
  async destroy(): Promise<void> {
    if (this.state === 'dead') return
    this.stopWatching()
    this.kill()
    const killed: ProcessExit = { code: null, signal: 'SIGKILL' }
    this.endInvokeByExit(killed, false)
    this.state = 'dead'
    this.finishInit({ ok: false, errorType: 'Runtime.ExitError', payload: platformErrors.exit('', killed), status: 'error', elapsedMs: performance.now() - this.initStart })
    for (const res of this.heldNext.splice(0)) res.destroy()
    if (this.child && !this.exited && this.child.exitCode === null && this.child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000)
        this.exitWaiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
    // Other members of the group may outlive the leader briefly; the group kill above reaches them too.
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    if (this.logFd >= 0) {
      this.drainLogs(true)
      fs.closeSync(this.logFd)
      this.logFd = -1
    }
    fs.rmSync(this.dir, { recursive: true, force: true })
    this.opts.onDead?.(this)
  }
}

class ActiveInvoke {
  started = performance.now()
  deadlineMs = 0
  timer?: NodeJS.Timeout
  /** Whether the event went out on a /next. */
  delivered = false
  answered = false
  answeredWith?: string
  durationMs?: number
  errorType?: string
  /** Whether REPORT should carry Status: error (platform-detected failures, not a runtime's own /error). */
  errorReport = false
  resolveOutcome!: (o: Outcome) => void
  resolveFinished!: () => void
  readonly outcome = new Promise<Outcome>((r) => (this.resolveOutcome = r))
  readonly finished = new Promise<void>((r) => (this.resolveFinished = r))
  constructor(readonly inv: Invocation) {}
}

function json(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v))
}

