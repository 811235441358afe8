/** Readings shared by the suites: what a REPORT line and an error payload say, in the shape reports show. */
import type { InvokeObservation } from '../deploy.js'

/** A REPORT line with Init Duration marks the first invoke of a new execution environment (LB §5). */
export function isColdStart(o: InvokeObservation): boolean | null {
  if (!o.report) return null
  return o.report['Init Duration'] !== undefined
}

/** The fields of a function error payload the reports show. */
export function errorSummary(o: InvokeObservation): Record<string, unknown> {
  const j = (o.json ?? {}) as Record<string, unknown>
  return {
    statusCode: o.statusCode,
    functionError: o.functionError ?? null,
    errorType: j.errorType ?? null,
    errorMessage: j.errorMessage ?? null,
    ...(Array.isArray(j.stackTrace) ? { stackFrames: j.stackTrace.length } : {}),
    reportStatus: o.report?.Status ?? null,
    reportErrorType: o.report?.['Error Type'] ?? null,
  }
}

/** Lines of the tail between START and END of the invoke (the function's own output). */
export function invokeOutput(o: InvokeObservation): string[] {
  const start = o.logLines.findIndex((l) => l.startsWith('START RequestId: '))
  const end = o.logLines.findIndex((l) => l.startsWith('END RequestId: '))
  return o.logLines.slice(start + 1, end < 0 ? undefined : end)
}

export const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
