/**
 * The execution environments of one function: reuse of idle (frozen) sandboxes, cold starts with Lambda's
 * init retry (a failed Init is tried once more inside the invoke, LB §4), throttling, and the async queue.
 */
import { apiErrors, DEFAULT_MAX_EVENT_AGE_S, type FunctionErrorPayload, LATEST, logLines, platformErrors } from '../lambda/protocol.js'
import { ApiException } from './http-util.js'
import { LogStore } from './log-store.js'
import { type FunctionSnapshot, type InitResult, type Invocation, type Outcome, Sandbox } from './sandbox.js'

export interface PoolOptions {
  root: string
  logStore: LogStore
  isolateTmp: boolean
  maxSandboxes: number
  initTimeoutMs?: number
  asyncRetryDelaysMs: number[]
  /** The target's own diagnostics (default: stderr). */
  log?: (message: string) => void
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
  /** Events accepted and not yet final (in the queue, in an attempt, or waiting for a retry). */
  queued: number
  /** Attempts in progress. */
  running: number
  /** Final: an attempt succeeded. */
  succeeded: number
  /** Final: every attempt failed (1 + MaximumRetryAttempts). */
  failed: number
  /** Final: older than MaximumEventAgeInSeconds when an attempt was due. */
  expired: number
  /** Final: the function was deleted (or the target closed) while the event was queued. */
  dropped: number
  /** Retries scheduled after a function error. */
  retried: number
  /** Attempts that reached the function (succeeded or not). */
  attempts: number
  /** Attempts put back because no environment was free, and because of other system errors. */
  throttled: number
  systemErrors: number
}

/** PutFunctionEventInvokeConfig's settings of one function. */
export interface EventInvokeConfig {
  /** 0–2 on AWS; unset: one retry per configured retry delay (2 by default, as on AWS). */
  maximumRetryAttempts?: number
  /** 60–21600 on AWS; unset: 21600. */
  maximumEventAgeInSeconds?: number
}

/** What an on-failure destination receives for an event that never succeeded (LB §6). */
export interface AsyncFailureRecord {
  version: '1.0'
  timestamp: string
  requestContext: { requestId: string; functionArn: string; condition: 'RetriesExhausted' | 'EventAgeExceeded' | 'FunctionDeleted'; approximateInvokeCount: number }
  requestPayload: unknown
  responseContext?: { statusCode: number; executedVersion: string; functionError: string }
  responsePayload?: unknown
}

interface AsyncEvent {
  makeInvocation: () => Invocation
  maxRetries?: number
  enqueuedAt: number
  attempts: number
  done: boolean
  requestId?: string
  payload?: Buffer
  lastError?: Outcome
  /** An attempt of it is under way (from asyncAttempt until its invoke settles). */
  inAttempt?: boolean
}

/** Delay before a throttled async attempt is tried again. */
const ASYNC_THROTTLE_BACKOFF_MS = 250
/** On-failure records kept per function (oldest dropped first). */
const MAX_ASYNC_FAILURE_RECORDS = 10_000

export class FunctionPool {
  private readonly idle: Sandbox[] = []
  private readonly all = new Set<Sandbox>()
  readonly asyncStats: AsyncStats = { queued: 0, running: 0, succeeded: 0, failed: 0, expired: 0, dropped: 0, retried: 0, attempts: 0, throttled: 0, systemErrors: 0 }
  /** On-failure records of events that never succeeded (the target has no destinations: they are kept here). */
  readonly asyncFailures: AsyncFailureRecord[] = []
  /** Told of each on-failure record as it is made (a destination could be attached here). */
  onAsyncFailure?: (r: AsyncFailureRecord) => void
  private asyncConfig: EventInvokeConfig = {}
  /** Events waiting for an attempt, oldest first. */
  private readonly asyncReady: AsyncEvent[] = []
  /** Every event not yet final, wherever it is (queue, attempt, retry timer). */
  private readonly asyncLive = new Set<AsyncEvent>()
  /** Attempts started and not finished, throttle backoffs included; at most maxSandboxes. */
  private asyncSlots = 0
  private pumpScheduled = false
  private closed = false
  private readonly timers = new Set<NodeJS.Timeout>()
  /** Invokes waiting for an environment that has answered but not yet asked for its next event. */
  private readonly idleWaiters = new Set<() => void>()
  /** Told when the last environment is gone (a deletion's drain waits for it). */
  private readonly emptyWaiters = new Set<() => void>()

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
        this.discard(sb)
      }
    }
  }

  async invoke(inv: Invocation): Promise<InvokeResult> {
    if (this.closed) throw this.deleted()
    const fn = this.snapshot()
    let sb = this.takeIdle(fn)
    // Every waiter wakes when one finishing environment becomes idle, and only one of them gets it: the others
    // wait on while more are finishing, instead of each starting a new environment (within one overall bound).
    const waitUntil = performance.now() + FINISHING_WAIT_MS
    while (!sb && (await this.waitForFinishing(fn.revision, waitUntil - performance.now()))) {
      // Deleted while it waited: it had no environment yet, so it is an invoke of a function that is gone.
      if (this.closed) throw this.deleted()
      sb = this.takeIdle(fn)
    }
    if (!sb) {
      if (this.closed) throw this.deleted()
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
      this.discard(sb)
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

  /** What an invoke gets that had no environment yet when its function was deleted (as if it came after). */
  private deleted(): ApiException {
    return new ApiException(apiErrors.functionNotFound(`${this.snapshot().arn}:${LATEST}`))
  }

  /** Destroys an environment without waiting; a failure to clean up is said, not an unhandled rejection. */
  private discard(sb: Sandbox): void {
    sb.destroy().catch((e: unknown) => this.log(`${this.snapshot().name}: destroying environment ${sb.id} failed: ${(e as Error).message}`))
  }

  private log(message: string): void {
    ;(this.opts.log ?? ((m: string) => console.error(`[embedded target] ${m}`)))(message)
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
        if (this.all.size === 0) for (const w of [...this.emptyWaiters]) w()
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
    // No second try for a function deleted meanwhile (its code is gone).
    if (this.closed) throw this.deleted()
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

  /**
   * Queues an Event invocation (LB §6): attempts run in arrival order, at most `maxSandboxes` at a time; a function
   * error is retried after the configured delays up to MaximumRetryAttempts times; an event older than
   * MaximumEventAgeInSeconds when its next attempt is due is dropped; throttles go back to the queue with backoff.
   * Every event ends in exactly one of succeeded, failed (retries exhausted), expired or dropped (function deleted),
   * and the last three leave an on-failure record. `maxRetries`, when given, overrides the function's
   * MaximumRetryAttempts for this event. Throws ResourceNotFoundException (ApiException) once the function is deleted.
   */
  enqueue(makeInvocation: () => Invocation, maxRetries?: number): void {
    // Deleted while the request was read: not accepted (404), rather than a 202 for an event counted as dropped.
    if (this.closed) throw this.deleted()
    this.asyncStats.queued++
    const ev: AsyncEvent = { makeInvocation, maxRetries, enqueuedAt: Date.now(), attempts: 0, done: false }
    this.asyncLive.add(ev)
    this.asyncReady.push(ev)
    // Deferred, as before: the caller's 202 goes out before the first attempt takes the event loop.
    if (!this.pumpScheduled) {
      this.pumpScheduled = true
      setImmediate(() => {
        this.pumpScheduled = false
        this.pumpAsync()
      })
    }
  }

  /** MaximumRetryAttempts and MaximumEventAgeInSeconds of this function (PutFunctionEventInvokeConfig). */
  get eventInvokeConfig(): Readonly<EventInvokeConfig> {
    return this.asyncConfig
  }

  /**
   * Sets (or, with undefined, resets) the function's async settings. The API validates AWS's ranges (retries 0–2,
   * age 60–21600 s); here any non-negative value is taken, so a test can use an age of a fraction of a second.
   */
  setEventInvokeConfig(c: EventInvokeConfig | undefined): void {
    this.asyncConfig = { ...(c ?? {}) }
  }

  /**
   * Starts attempts while there is room. The bound is what makes 10,000 queued events cheap: before, every event
   * started its own attempt at once and, throttled, retried every 250 ms, so thousands of attempts woke for every
   * environment that became idle and only one got it (2,000 events took 23 s, most of it that herd).
   */
  private pumpAsync(): void {
    while (!this.closed && this.asyncSlots < this.opts.maxSandboxes) {
      const ev = this.asyncReady.shift()
      if (!ev) return
      if (this.eventTooOld(ev)) {
        this.asyncFinal(ev, 'EventAgeExceeded')
        continue
      }
      this.asyncSlots++
      this.asyncAttempt(ev)
    }
  }

  private eventTooOld(ev: AsyncEvent): boolean {
    const maxAgeS = this.asyncConfig.maximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_S
    return Date.now() - ev.enqueuedAt > maxAgeS * 1000
  }

  /** One attempt; its slot is held through a throttle backoff, so a throttled queue does not spin. */
  private asyncAttempt(ev: AsyncEvent): void {
    if (this.closed) {
      this.asyncSlots--
      this.asyncFinal(ev, 'FunctionDeleted')
      return
    }
    const inv = ev.makeInvocation()
    ev.requestId = inv.requestId
    ev.payload = inv.payload
    this.asyncStats.running++
    ev.inAttempt = true
    this.invoke(inv)
      .then(async ({ outcome, finished }) => {
        await finished
        ev.inAttempt = false
        this.asyncStats.running--
        this.asyncStats.attempts++
        ev.attempts++
        if (outcome.ok) {
          this.asyncSlots--
          this.asyncFinal(ev, 'Success')
        } else {
          ev.lastError = outcome
          this.asyncSlots--
          const maxRetries = ev.maxRetries ?? this.asyncConfig.maximumRetryAttempts ?? this.opts.asyncRetryDelaysMs.length
          if (ev.attempts > maxRetries) this.asyncFinal(ev, 'RetriesExhausted')
          else if (!this.closed) {
            this.asyncStats.retried++
            const delays = this.opts.asyncRetryDelaysMs
            this.later(() => {
              this.asyncReady.push(ev)
              this.pumpAsync()
            }, delays[ev.attempts - 1] ?? delays.at(-1) ?? 60_000)
          } else this.dropDeleted(ev)
        }
        this.pumpAsync()
      })
      .catch((e: unknown) => {
        ev.inAttempt = false
        this.asyncStats.running--
        if (!this.closed) {
          // Throttles and system errors go back to the queue with backoff (LB §6), the age limit still applying.
          if (e instanceof ThrottledError) this.asyncStats.throttled++
          else this.asyncStats.systemErrors++
          this.later(() => {
            if (this.eventTooOld(ev)) {
              this.asyncSlots--
              this.asyncFinal(ev, 'EventAgeExceeded')
              this.pumpAsync()
            } else this.asyncAttempt(ev)
          }, ASYNC_THROTTLE_BACKOFF_MS)
          return
        }
        this.asyncSlots--
        this.dropDeleted(ev)
        this.pumpAsync()
      })
  }

  /** An event whose attempt ended after its function was deleted, with no success: dropped, and said so. */
  private dropDeleted(ev: AsyncEvent): void {
    if (ev.done) return
    this.asyncFinal(ev, 'FunctionDeleted')
    this.log(`${this.snapshot().name}: asynchronous event ${ev.requestId ?? '?'} dropped after ${ev.attempts} attempt(s): the function was deleted (on-failure record kept, condition FunctionDeleted)`)
  }

  /** An event leaves the queue: counted once, and recorded unless it succeeded. */
  private asyncFinal(ev: AsyncEvent, condition: AsyncFailureRecord['requestContext']['condition'] | 'Success'): void {
    if (ev.done) return
    ev.done = true
    this.asyncLive.delete(ev)
    this.asyncStats.queued--
    if (condition === 'Success') {
      this.asyncStats.succeeded++
      return
    }
    if (condition === 'RetriesExhausted') this.asyncStats.failed++
    else if (condition === 'EventAgeExceeded') this.asyncStats.expired++
    else this.asyncStats.dropped++
    // The on-failure destination record (LB §6 shape); the target has no destinations, so it is kept here.
    const inv = ev.requestId === undefined ? ev.makeInvocation() : undefined
    const payload = ev.payload ?? inv!.payload
    const text = payload.toString('utf8')
    let requestPayload: unknown = text
    try {
      requestPayload = JSON.parse(text)
    } catch {
      // not JSON: kept as text
    }
    let responsePayload: unknown
    if (ev.lastError) {
      const body = ev.lastError.body.toString('utf8')
      try {
        responsePayload = JSON.parse(body)
      } catch {
        responsePayload = body
      }
    }
    const record: AsyncFailureRecord = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: { requestId: ev.requestId ?? inv!.requestId, functionArn: `${this.snapshot().arn}:$LATEST`, condition, approximateInvokeCount: ev.attempts },
      requestPayload,
      ...(ev.lastError ? { responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' }, responsePayload } : {}),
    }
    this.asyncFailures.push(record)
    if (this.asyncFailures.length > MAX_ASYNC_FAILURE_RECORDS) this.asyncFailures.shift()
    this.onAsyncFailure?.(record)
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t)
      fn()
    }, ms)
    this.timers.add(t)
  }

  /**
   * With `drain` (DeleteFunction): an invoke running in an environment finishes, as on AWS, and each environment is
   * destroyed once it has answered (onIdle) or died, which its invoke's timeout bounds; invokes still waiting for an
   * environment get ResourceNotFoundException (invoke); idle environments go at once. Resolves when none is left.
   * Without (the target shutting down, or a drain cut short): every environment is destroyed now, and an invoke
   * still running is answered as its runtime's death (Sandbox.destroy).
   * Either way the function's queue is discarded: events still queued or waiting for a retry are counted and
   * recorded as dropped (FunctionDeleted), with one log line, rather than left as `queued` forever; an event in an
   * attempt ends with the attempt when draining, and is dropped now otherwise.
   */
  async close(o: { drain?: boolean } = {}): Promise<void> {
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    this.asyncReady.length = 0
    let dropped = 0
    for (const ev of [...this.asyncLive]) {
      if (ev.done || (o.drain && ev.inAttempt)) continue
      this.asyncFinal(ev, 'FunctionDeleted')
      dropped++
    }
    if (dropped > 0) {
      this.log(`${this.snapshot().name}: ${dropped} queued asynchronous event(s) dropped: the function was ${o.drain ? 'deleted' : 'shut down with the target'} (on-failure records kept, condition FunctionDeleted)`)
    }
    // Invokes waiting for a finishing environment learn of the deletion now.
    this.wakeIdleWaiters()
    if (!o.drain) {
      await Promise.all([...this.all].map((sb) => sb.destroy()))
      return
    }
    for (const sb of [...this.idle]) this.discard(sb)
    if (this.all.size === 0) return
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.emptyWaiters.delete(done)
        resolve()
      }
      this.emptyWaiters.add(done)
    })
  }
}
