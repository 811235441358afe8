/** Validates a results document against results.schema.json plus the cross-field rules a schema cannot express. */
import fs from 'node:fs'
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import { STATUSES } from '../lib/results/model.js'

export const RESULTS_SCHEMA_URL = new URL('./results.schema.json', import.meta.url)

export interface ValidationResult {
  valid: boolean
  errors: string[]
}

let compiled: ValidateFunction | undefined

function validator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(fs.readFileSync(RESULTS_SCHEMA_URL, 'utf8')) as object
    compiled = new Ajv2020({ allErrors: true, strict: true }).compile(schema)
  }
  return compiled
}

function describe(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(document)' : e.instancePath
  const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})`
    : e.keyword === 'enum' ? ` (${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)})`
    : ''
  return `${where} ${e.message ?? e.keyword}${extra}`
}

interface LatencyShape {
  series: { key: string; collected: number; samples: Record<string, unknown[]>; clock?: Record<string, unknown> }[]
}

/** Cross-field rules of the latency part: unique keys, columns as long as `collected`, clock arrays of one length. */
function latencyErrors(latency: LatencyShape | undefined): string[] {
  if (!latency) return []
  const errors: string[] = []
  const seen = new Set<string>()
  latency.series.forEach((s, i) => {
    const where = `/latency/series/${i}`
    if (seen.has(s.key)) errors.push(`${where}/key ${JSON.stringify(s.key)} is not unique`)
    seen.add(s.key)
    for (const [column, values] of Object.entries(s.samples)) {
      if (values.length !== s.collected) errors.push(`${where}/samples/${column} has ${values.length} values but collected is ${s.collected}`)
    }
    if (s.clock) {
      const lengths = ['t1Ms', 't2Ms', 't3Ms', 't4Ms'].map((k) => (s.clock![k] as unknown[]).length)
      if (new Set(lengths).size > 1) errors.push(`${where}/clock: T1–T4 have different lengths (${lengths.join(', ')})`)
    }
  })
  return errors
}

interface PropertyShape {
  failed: boolean
  replay?: string
  numRuns: number
  runs: number
  path?: string
  counterexample?: string
  error?: string
  command: string
}

/**
 * Cross-field rules of `tests[].properties`: a failed run has an error, and its command replays its path (when
 * fast-check gave one); a passing run has no path, counterexample or error; a replayed case is one run.
 */
function propertyErrors(tests: { properties?: PropertyShape[] }[]): string[] {
  const errors: string[] = []
  tests.forEach((t, i) => {
    t.properties?.forEach((p, j) => {
      const where = `/tests/${i}/properties/${j}`
      if (p.failed) {
        if (p.error === undefined) errors.push(`${where} failed but has no error`)
        if (p.path !== undefined && !p.command.includes(`:${p.path}'`)) errors.push(`${where}/command does not replay path ${p.path}`)
      } else {
        for (const k of ['path', 'counterexample', 'error'] as const) if (p[k] !== undefined) errors.push(`${where} passed but has ${k}`)
      }
      if (p.replay === 'case' && p.numRuns !== 1) errors.push(`${where} replayed one case but numRuns is ${p.numRuns}`)
      if (p.replay !== 'case' && p.runs > p.numRuns) errors.push(`${where} made ${p.runs} runs of ${p.numRuns}`)
    })
  })
  return errors
}

/** Schema errors first; the summary is checked against the tests only when the shape is right. */
export function validateResults(doc: unknown): ValidationResult {
  const validate = validator()
  if (!validate(doc)) return { valid: false, errors: (validate.errors ?? []).map(describe) }
  const d = doc as { summary: { total: number; byStatus: Record<string, number> }; tests: { status: string; properties?: PropertyShape[] }[]; latency?: LatencyShape }
  const errors: string[] = []
  if (d.summary.total !== d.tests.length) errors.push(`/summary/total is ${d.summary.total} but there are ${d.tests.length} tests`)
  for (const s of STATUSES) {
    const n = d.tests.filter((t) => t.status === s).length
    if (d.summary.byStatus[s] !== n) errors.push(`/summary/byStatus/${s} is ${d.summary.byStatus[s]} but ${n} tests have that status`)
  }
  errors.push(...latencyErrors(d.latency))
  errors.push(...propertyErrors(d.tests))
  return { valid: errors.length === 0, errors }
}
