/**
 * What the 2017 study compared across shims, read off one failing invoke: the error the caller sees, whether a
 * Go stack trace survives (in the payload or in the log), and whether the next invoke is served.
 */
import { expect } from 'vitest'
import type { DeployedFunction, InvokeObservation } from '../deploy.js'
import { type Behaviour, conformance } from './behaviour.js'

export interface FailureView {
  /** One line for the comparison table. */
  summary: string
  functionError: string | null
  errorType: string | null
  errorMessage: string | null
  goTraceInPayload: boolean
  goTraceInLog: boolean
  answeredInMs: number
  nextInvokeOk: boolean
}

/** Go frames look like `probes/panic.go` paths or `goroutine N [running]:` headers. */
const GO_TRACE = /probes\/[a-z_]+\.go|goroutine \d+ \[/

export async function observeFailure(fn: DeployedFunction, failing: InvokeObservation): Promise<FailureView> {
  const next = await fn.invoke({ probe: 'state' })
  const p = (failing.json ?? {}) as Record<string, unknown>
  const errorType = typeof p.errorType === 'string' ? p.errorType : null
  const errorMessage = typeof p.errorMessage === 'string' ? p.errorMessage : failing.text.slice(0, 300)
  const inPayload = GO_TRACE.test(failing.text)
  const inLog = failing.logLines.some((l) => GO_TRACE.test(l))
  const trace = inPayload ? 'Go trace in payload' : inLog ? 'Go trace in log only' : 'no Go trace'
  const outcome = failing.functionError ? `${errorType ?? '(no errorType)'}: ${shorten(errorMessage ?? '')}` : `SUCCESS (${shorten(failing.text)})`
  return {
    summary: `${outcome}; ${trace}; next invoke ${next.functionError === undefined ? 'served' : 'failed'}`,
    functionError: failing.functionError ?? null,
    errorType,
    errorMessage,
    goTraceInPayload: inPayload,
    goTraceInLog: inLog,
    answeredInMs: Math.round(failing.clientMs),
    nextInvokeOk: next.functionError === undefined,
  }
}

/** Request ids differ on every run; the table shows the message without them. */
const shorten = (raw: string): string => {
  const s = raw.replace(/RequestId: [0-9a-f-]{36} (Error: )?/, '')
  return s.length > 90 ? `${s.slice(0, 87)}…` : s
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/**
 * The study's property for one kind of misbehaviour: the invoke fails (not a hang, not a success), the answer
 * comes within the timeout, and the next invoke is served; the failure's details go into the comparison table.
 */
export function failureIsReported(b: Behaviour, misbehaviour: { probe: string; args?: object }, timeoutS: number, o: { notBeforeTimeout?: boolean } = {}): void {
  conformance(b, async (t) => {
    const fn = await t.deploy({ probe: 'dispatch', timeout: timeoutS, memorySize: 128 })
    const failing = await fn.invoke(misbehaviour)
    const view = await observeFailure(fn, failing)
    t.expect({ functionError: 'Unhandled', answeredInMs: `≤ ${timeoutS * 1000} + 2000`, nextInvokeOk: true })
    t.observe(view)
    expect(view.functionError).toBe('Unhandled')
    expect(view.answeredInMs).toBeLessThanOrEqual(timeoutS * 1000 + 2000)
    // A loop that ignores its context is stopped at the timeout, not before.
    if (o.notBeforeTimeout) expect(view.answeredInMs).toBeGreaterThanOrEqual(timeoutS * 1000)
    expect(view.nextInvokeOk).toBe(true)
  })
}
