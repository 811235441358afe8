/**
 * The execution environments of one function: reuse of idle (frozen) sandboxes, cold starts with Lambda's
 * init retry (a failed Init is tried once more inside the invoke, LB §4), throttling, and the async queue.
 */
import { type FunctionErrorPayload, logLines, platformErrors } from '../lambda/protocol.js'
import { LogStore } from './log-store.js'
import { type FunctionSnapshot, type InitResult, type Invocation, type Outcome, Sandbox } from './sandbox.js'

export interface PoolOptions {
  root: string
  logStore: LogStore
  isolateTmp: boolean
  maxSandboxes: number
  initTimeoutMs?: number
  asyncRetryDelaysMs: number[]
}

export class ThrottledError extends Error {}

/** How long an invoke waits for environments that have answered but not yet asked for their next event. */
const FINISHING_WAIT_MS = 2000

export interface InvokeResult {
  outcome: Outcome
  /** Resolves once END/REPORT are written (LogType Tail waits for it). */
  finished: Promise<void>
}

export interface AsyncStats {
  queued: number
  running: number
  succeeded: number
  failed: number
  retried: number
}

export class FunctionPool {
  private readonly idle: Sandbox[] = []
  private readonly all = new Set<Sandbox>()
  readonly asyncStats: AsyncStats = { queued: 0, running: 0, succeeded: 0, failed: 0, retried: 0 }
  private closed = false
  private readonly timers = new Set<NodeJS.Timeout>()
  /** Invokes waiting for an environment that has answered but not yet asked for its next event. */
  private readonly idleWaiters = new Set<() => void>()

  constructor(private snapshot: () => FunctionSnapshot, private readonly opts: PoolOptions) {}

  get sandboxCount(): number {
    return this.all.size
  }

  /** Retires environments built from an older configuration or code (how AWS forces a cold start). */
  retireStale(): void {
    const rev = this.snapshot().revision
    for (const sb of [...this.idle]) {
      if (sb.fn.revision !== rev) {
        this.idle.splice(this.idle.indexOf(sb), 1)
        void sb.destroy()
      }
    }
  }

  async invoke(inv: Invocation): Promise<InvokeResult> {
    if (this.closed) throw new Error('function deleted')
    const fn = this.snapshot()
    let sb = this.takeIdle(fn)
    // Every waiter wakes when one finishing environment becomes idle, and only one of them gets it: the others
    // wait on while more are finishing, instead of each starting a new environment (within one overall bound).
    const waitUntil = performance.now() + FINISHING_WAIT_MS
    while (!sb && (await this.waitForFinishing(fn.revision, waitUntil - performance.now()))) sb = this.takeIdle(fn)
    if (!sb) {
      if (this.all.size >= this.opts.maxSandboxes) throw new ThrottledError('too many concurrent execution environments')
      const cold = await this.coldStart(fn, inv)
      if ('failed' in cold) return cold.failed
      sb = cold.sandbox
    }
    const h = sb.invoke(inv)
    return { outcome: await h.outcome, finished: h.finished }
  }

  private takeIdle(fn: FunctionSnapshot): Sandbox | undefined {
    let sb: Sandbox | undefined
    while ((sb = this.idle.pop())) {
      if (sb.state === 'idle' && sb.fn.revision === fn.revision) return sb
      void sb.destroy()
    }
    return undefined
  }

  /**
   * An environment that has answered its invoke is busy until its runtime asks for the next event, which takes
   * it a moment after the caller already has the answer. A caller invoking again at once gets that environment
   * on AWS (where the network round trip hides the gap), not a second one; so wait for it (true if one was
   * waited for). The bound is generous because on a loaded machine the runtime may not be scheduled for a
   * while; a runtime that truly lingers only delays the next caller by this much, then it gets a fresh one.
   */
  private async waitForFinishing(revision: number, maxMs = FINISHING_WAIT_MS): Promise<boolean> {
    if (maxMs <= 0 || ![...this.all].some((s) => s.state === 'post' && s.fn.revision === revision)) return false
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.idleWaiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, maxMs)
      this.idleWaiters.add(done)
    })
    return true
  }

  private wakeIdleWaiters(): void {
    for (const w of [...this.idleWaiters]) w()
  }

  private newSandbox(fn: FunctionSnapshot, logStream: string): Sandbox {
    const sb: Sandbox = new Sandbox({
      fn,
      root: this.opts.root,
      logStore: this.opts.logStore,
      logStream,
      isolateTmp: this.opts.isolateTmp,
      initTimeoutMs: this.opts.initTimeoutMs,
      onDead: (s) => {
        this.all.delete(s)
        const i = this.idle.indexOf(s)
        if (i >= 0) this.idle.splice(i, 1)
        this.wakeIdleWaiters()
      },
      onIdle: (s) => {
        if (this.closed || s.fn.revision !== this.snapshot().revision) {
          void s.destroy()
          this.wakeIdleWaiters()
          return false
        }
        this.idle.push(s)
        const waited = this.idleWaiters.size > 0
        this.wakeIdleWaiters()
        return waited
      },
    })
    this.all.add(sb)
    return sb
  }

  /** Init in the init phase; on failure Lambda retries once in the invoke phase, bounded by the function timeout. */
  private async coldStart(fn: FunctionSnapshot, inv: Invocation): Promise<{ sandbox: Sandbox } | { failed: InvokeResult }> {
    const logStream = LogStore.newStreamName('$LATEST')
    const first = this.newSandbox(fn, logStream)
    const r1 = await first.init('init', inv.log)
    if (r1.ok) return { sandbox: first }
    const retry = this.newSandbox(fn, logStream)
    const started = performance.now()
    const r2 = await retry.init('invoke', inv.log, fn.timeoutS * 1000)
    if (r2.ok) return { sandbox: retry }
    return { failed: this.initFailure(fn, inv, r2, logStream, performance.now() - started) }
  }

  private initFailure(fn: FunctionSnapshot, inv: Invocation, r: Exclude<InitResult, { ok: true }>, logStream: string, elapsedMs: number): InvokeResult {
    const emit = (line: string): void => {
      this.opts.logStore.append(fn.logGroup, logStream, line)
      inv.log.push(line)
    }
    emit(logLines.start(inv.requestId))
    let payload: FunctionErrorPayload | Buffer = r.payload
    let errorType = r.errorType
    if (r.status === 'timeout') {
      payload = platformErrors.timeout(inv.requestId, elapsedMs)
      errorType = payload.errorType!
      emit(logLines.timeout(inv.requestId, elapsedMs, new Date()))
    } else if (!Buffer.isBuffer(payload)) {
      // Platform payloads carry the request id of the invoke that saw the failure.
      payload = { ...payload, errorMessage: payload.errorMessage.replace(/^RequestId:  Error:/, `RequestId: ${inv.requestId} Error:`) }
      if (errorType === 'Runtime.ExitError') emit(`${payload.errorMessage}`), emit(errorType)
    }
    emit(logLines.end(inv.requestId))
    emit(
      logLines.report({
        requestId: inv.requestId,
        durationMs: elapsedMs,
        billedMs: Math.ceil(elapsedMs),
        memorySizeMb: fn.memoryMb,
        maxMemoryUsedMb: 1,
        status: r.status,
        errorType: r.status === 'error' ? errorType : undefined,
      }),
    )
    const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload))
    return { outcome: { ok: false, body, errorType }, finished: Promise.resolve() }
  }

  // ------------------------------------------------------------------ async (Event) invocations

  /** Queues an Event invocation; function errors are retried after the configured delays (LB §6). */
  enqueue(makeInvocation: () => Invocation, maxRetries = this.opts.asyncRetryDelaysMs.length): void {
    this.asyncStats.queued++
    const attempt = (n: number): void => {
      if (this.closed) return
      this.asyncStats.running++
      const inv = makeInvocation()
      this.invoke(inv)
        .then(async ({ outcome, finished }) => {
          await finished
          this.asyncStats.running--
          if (outcome.ok) {
            this.asyncStats.succeeded++
            this.asyncStats.queued--
          } else if (n < maxRetries) {
            this.asyncStats.retried++
            this.later(() => attempt(n + 1), this.opts.asyncRetryDelaysMs[n] ?? 60_000)
          } else {
            this.asyncStats.failed++
            this.asyncStats.queued--
          }
        })
        .catch((e: unknown) => {
          this.asyncStats.running--
          // Throttles and system errors go back to the queue with backoff (LB §6).
          if (e instanceof ThrottledError) this.later(() => attempt(n), 250)
          else {
            this.asyncStats.failed++
            this.asyncStats.queued--
          }
        })
    }
    setImmediate(() => attempt(0))
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t)
      fn()
    }, ms)
    this.timers.add(t)
  }

  async close(): Promise<void> {
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    await Promise.all([...this.all].map((sb) => sb.destroy()))
  }
}
