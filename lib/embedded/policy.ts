/**
 * Function resource-based policies: AddPermission, GetPolicy and RemovePermission (restJson1, as
 * @aws-sdk/client-lambda sends them), and the check a service makes before it invokes a function
 * (`allowsService`), used by the SNS bridge (sns-bridge.ts).
 *
 * Shapes follow the Lambda API reference: AddPermission answers 201 `{"Statement": "<statement as JSON>"}`,
 * GetPolicy 200 `{"Policy": "<policy as JSON>", "RevisionId"}`; a statement id used twice is a 409
 * ResourceConflictException, a function without policy or an unknown statement id a 404 ResourceNotFoundException.
 */
import crypto from 'node:crypto'
import { type ApiError, apiErrors } from '../lambda/protocol.js'
import { ApiException, type FunctionRecord } from './functions.js'

export interface PolicyStatement {
  Sid: string
  Effect: 'Allow'
  Principal: { Service: string } | { AWS: string } | string
  Action: string
  Resource: string
  Condition?: Record<string, Record<string, string>>
}

export interface AddPermissionInput {
  StatementId?: string
  Action?: string
  Principal?: string
  SourceArn?: string
  SourceAccount?: string
  Qualifier?: string
  RevisionId?: string
}

interface PolicyState {
  statements: PolicyStatement[]
  revisionId: string
}

/** Policies by function record: a deleted and re-created function starts without one, as on AWS. */
const policies = new WeakMap<FunctionRecord, PolicyState>()

const notFound = (message: string): ApiError => ({ status: 404, code: 'ResourceNotFoundException', body: { Type: 'User', Message: message } })
const fail = (e: ApiError): never => {
  throw new ApiException(e)
}

export function addPermission(fn: FunctionRecord, input: AddPermissionInput): { Statement: string } {
  const sid = input.StatementId
  if (typeof sid !== 'string' || !/^[a-zA-Z0-9-_]{1,100}$/.test(sid)) fail(apiErrors.validation(String(sid), 'statementId', 'Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)'))
  const action = input.Action
  if (typeof action !== 'string' || !/^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/.test(action)) fail(apiErrors.validation(String(action), 'action', 'Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])'))
  const principal = input.Principal
  if (typeof principal !== 'string' || principal === '') fail(apiErrors.validation('null', 'principal', 'Member must not be null'))
  const state = policies.get(fn) ?? { statements: [], revisionId: crypto.randomUUID() }
  if (input.RevisionId !== undefined && input.RevisionId !== state.revisionId) {
    fail(apiErrors.invalidParameter('The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id'))
  }
  if (state.statements.some((s) => s.Sid === sid)) {
    fail(apiErrors.conflict(`The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`))
  }
  const condition: Record<string, Record<string, string>> = {}
  if (input.SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': input.SourceAccount }
  if (input.SourceArn) condition.ArnLike = { 'AWS:SourceArn': input.SourceArn }
  const statement: PolicyStatement = {
    Sid: sid!,
    Effect: 'Allow',
    Principal: /^\d{12}$/.test(principal!) ? { AWS: `arn:aws:iam::${principal}:root` } : principal === '*' ? '*' : principal!.startsWith('arn:') ? { AWS: principal! } : { Service: principal! },
    Action: action!,
    Resource: fn.arn,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  }
  state.statements.push(statement)
  state.revisionId = crypto.randomUUID()
  policies.set(fn, state)
  return { Statement: JSON.stringify(statement) }
}

export function getPolicy(fn: FunctionRecord): { Policy: string; RevisionId: string } {
  const state = policies.get(fn)
  if (!state || state.statements.length === 0) return fail(notFound('The resource you requested does not exist.'))
  return { Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: state.statements }), RevisionId: state.revisionId }
}

export function removePermission(fn: FunctionRecord, sid: string, revisionId?: string): void {
  const state = policies.get(fn)
  if (state && revisionId !== undefined && revisionId !== state.revisionId) {
    fail(apiErrors.invalidParameter('The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id'))
  }
  const i = state?.statements.findIndex((s) => s.Sid === sid) ?? -1
  if (!state || i < 0) fail(notFound(`Statement ${sid} is not found in resource policy.`))
  state!.statements.splice(i, 1)
  state!.revisionId = crypto.randomUUID()
}

/** IAM-style wildcard match (`*` any run, `?` one character). */
function like(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)
  return re.test(value)
}

/**
 * Whether the function's policy lets `service` (e.g. `sns.amazonaws.com`) call lambda:InvokeFunction on behalf of
 * `sourceArn` (owned by `sourceAccount`): an Allow statement for that service principal (or `*`) whose conditions,
 * if any, are an AWS:SourceArn matching `sourceArn` and an AWS:SourceAccount equal to `sourceAccount`.
 */
export function allowsService(fn: FunctionRecord, service: string, sourceArn: string, sourceAccount: string): boolean {
  const state = policies.get(fn)
  if (!state) return false
  return state.statements.some((s) => {
    if (!['lambda:InvokeFunction', 'lambda:*', '*'].includes(s.Action)) return false
    const p = s.Principal
    if (!(p === '*' || (typeof p === 'object' && 'Service' in p && p.Service === service))) return false
    for (const [op, kv] of Object.entries(s.Condition ?? {})) {
      for (const [key, want] of Object.entries(kv)) {
        const have = key.toLowerCase() === 'aws:sourcearn' ? sourceArn : key.toLowerCase() === 'aws:sourceaccount' ? sourceAccount : undefined
        if (have === undefined) return false
        const ok = op === 'ArnLike' || op === 'StringLike' ? like(want, have) : have === want
        if (!ok) return false
      }
    }
    return true
  })
}
