import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-PANIC-001',
  title: 'a handler panic reaches the caller as an error with its Go type, message and stack trace',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §3.2 "Panic in the handler goroutine" and "Panic stackTrace frame shape" (aws-lambda-go lambda/errors.go, lambda/panic.go)',
  requires: ['go-stack-trace'],
})

/** Panic value → what aws-lambda-go reports: errorType is the value's type name, errorMessage fmt's %v. */
const CASES: Record<string, { errorType: string; errorMessage: string | RegExp }> = {
  string: { errorType: 'string', errorMessage: 'probe: panic string' },
  error: { errorType: 'errorString', errorMessage: 'probe: panic error' },
  custom: { errorType: 'ProbePanic', errorMessage: '{42}' },
  int: { errorType: 'int', errorMessage: '42' },
  'nil-deref': { errorType: 'errorString', errorMessage: 'runtime error: invalid memory address or nil pointer dereference' },
  index: { errorType: 'boundsError', errorMessage: /^runtime error: index out of range \[\d+\] with length \d+$/ },
  'type-assert': { errorType: 'TypeAssertionError', errorMessage: /^interface conversion: / },
}

interface Frame {
  path: string
  line: number
  label: string
}

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'dispatch' })
  const observed: Record<string, unknown> = {}
  const results: Record<string, { errorType?: string; errorMessage?: string; stackTrace?: Frame[]; functionError?: string }> = {}
  for (const value of Object.keys(CASES)) {
    const r = await fn.invoke({ probe: 'panic', args: { value } }, { tail: false })
    const p = (r.json ?? {}) as { errorType?: string; errorMessage?: string; stackTrace?: Frame[] }
    results[value] = { ...p, functionError: r.functionError }
    observed[value] = { functionError: r.functionError ?? null, errorType: p.errorType, errorMessage: p.errorMessage, stackFrames: p.stackTrace?.length ?? 0, firstFrames: p.stackTrace?.slice(0, 3) }
  }
  t.expect(Object.fromEntries(Object.entries(CASES).map(([k, v]) => [k, { functionError: 'Unhandled', ...v, errorMessage: String(v.errorMessage), stackTrace: 'Go frames {path,line,label}, one in probes/panic.go' }])))
  t.observe(observed)
  for (const [value, want] of Object.entries(CASES)) {
    const got = results[value]!
    expect(got.functionError, value).toBe('Unhandled')
    expect(got.errorType, value).toBe(want.errorType)
    if (typeof want.errorMessage === 'string') expect(got.errorMessage, value).toBe(want.errorMessage)
    else expect(got.errorMessage, value).toMatch(want.errorMessage)
    expect(Array.isArray(got.stackTrace) && got.stackTrace.length > 0, `${value}: stackTrace present`).toBe(true)
    for (const f of got.stackTrace!) {
      expect(typeof f.path === 'string' && typeof f.line === 'number' && typeof f.label === 'string', `${value}: frame shape`).toBe(true)
    }
    expect(got.stackTrace!.some((f) => f.path.endsWith('probes/panic.go')), `${value}: a frame in the probe's own source`).toBe(true)
  }
})
