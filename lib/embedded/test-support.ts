/**
 * Shared helpers for the embedded target's own tests: SDK clients with fixed credentials, tiny `sh` runtimes that
 * speak the Runtime API with curl, deployment, polling and log parsing. Expected values never live here: the
 * tests take them from ../lambda/protocol.ts.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { CreateFunctionCommand, GetFunctionConfigurationCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda'
import { parseReportLine } from '../lambda/protocol.js'
import { zipFiles } from './zip.js'

export const CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'y' }
export const REGION = 'us-east-1'
export const ROLE = 'arn:aws:iam::000000000000:role/embedded-target-test'

export function lambdaClient(endpoint: string): LambdaClient {
  return new LambdaClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 })
}

export function logsClient(endpoint: string): CloudWatchLogsClient {
  return new CloudWatchLogsClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 })
}

/** A function name unique to this run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomBytes(4).toString('hex')}`
}

/** A fresh directory under /var/tmp (sandboxes get a private /tmp, so /tmp is not shared with them). */
export function varTmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join('/var/tmp', `${prefix}-`))
}

/**
 * A provided.* `bootstrap` in sh that serves invokes with curl. `handle` runs once per event with:
 * `$E` the event file, `$H` the /next response headers, `$ID` the request id, `$R` the result file (initially
 * empty) whose bytes are posted to /response. `handle` may post itself and `continue`. `prelude` runs once at start.
 */
export function shRuntime(handle: string, prelude = ''): string {
  return [
    '#!/bin/sh',
    'API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"',
    'T="${TMPDIR:-/tmp}"',
    'H="$T/.glc-headers"; E="$T/.glc-event"; R="$T/.glc-result"',
    prelude,
    'while :; do',
    '  curl -sS -D "$H" -o "$E" "$API/invocation/next" || exit 1',
    `  ID=$(grep -i '^lambda-runtime-aws-request-id:' "$H" | tr -d '\\r' | cut -d' ' -f2)`,
    '  : > "$R"',
    handle,
    '  curl -sS -o /dev/null -X POST -H "Content-Type: application/json" --data-binary @"$R" "$API/invocation/$ID/response" || exit 1',
    'done',
    '',
  ].join('\n')
}

/** Echoes the event back unchanged. */
export const ECHO_RUNTIME = shRuntime('  cp "$E" "$R"')

export interface DeployOptions {
  env?: Record<string, string>
  timeout?: number
  memorySize?: number
  /** Extra files in the zip besides `bootstrap`. */
  files?: Record<string, string | Buffer | { data: string | Buffer; mode?: number; symlink?: boolean }>
  /** Leave `bootstrap` out (only `files`). */
  noBootstrap?: boolean
  /** Do not wait for State Active. */
  noWait?: boolean
}

/** Creates a provided.al2023 function whose `bootstrap` is `script`, and waits until it is Active. */
export async function deploy(client: LambdaClient, name: string, script: string, o: DeployOptions = {}): Promise<void> {
  const zip = await zipFiles({ ...(o.noBootstrap ? {} : { bootstrap: script }), ...(o.files ?? {}) })
  await client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'provided.al2023',
      Role: ROLE,
      Handler: 'bootstrap',
      Code: { ZipFile: zip },
      ...(o.timeout !== undefined ? { Timeout: o.timeout } : {}),
      ...(o.memorySize !== undefined ? { MemorySize: o.memorySize } : {}),
      ...(o.env ? { Environment: { Variables: o.env } } : {}),
    }),
  )
  if (!o.noWait) await waitForActive(client, name)
}

export async function waitForActive(client: LambdaClient, name: string): Promise<void> {
  await waitUntil(async () => {
    const c = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }))
    return c.State === 'Active' && c.LastUpdateStatus === 'Successful'
  }, { what: `${name} to become Active` })
}

/** Polls `probe` until it returns a truthy value; fails after `timeoutMs`. */
export async function waitUntil<T>(probe: () => T | Promise<T>, o: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (o.timeoutMs ?? 20_000)
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v) return v as NonNullable<T>
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${o.what ?? 'a condition'}${last ? ` (last error: ${(last as Error).message})` : ''}`)
    await sleep(o.intervalMs ?? 25)
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** The decoded `LogResult` of an invoke ('' when absent). */
export function decodeLog(out: Pick<InvokeCommandOutput, 'LogResult'>): string {
  return out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8') : ''
}

/** Log lines without the trailing empty element. */
export function logLinesOf(log: string): string[] {
  const lines = log.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines
}

/** The last REPORT line of a log, parsed by field name. */
export function lastReport(log: string): Record<string, string> | null {
  const line = logLinesOf(log).filter((l) => l.startsWith('REPORT ')).at(-1)
  return line ? parseReportLine(line) : null
}

export function payloadText(out: Pick<InvokeCommandOutput, 'Payload'>): string {
  return out.Payload ? Buffer.from(out.Payload).toString('utf8') : ''
}

export function payloadJson(out: Pick<InvokeCommandOutput, 'Payload'>): unknown {
  return JSON.parse(payloadText(out))
}

/** The SDK error a promise rejects with (fails if it resolves). */
export async function sdkError(p: Promise<unknown>): Promise<Error & { name: string; message: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await p
  } catch (e) {
    return e as Error & { $metadata?: { httpStatusCode?: number } }
  }
  throw new Error('expected the call to fail, but it succeeded')
}

/** Escapes a string for use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Processes (not zombies) whose process group is `pgid`, from /proc. */
export function liveProcessesInGroup(pgid: number): number[] {
  const out: number[] = []
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'latin1')
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') out.push(Number(e))
    } catch {
      // gone meanwhile
    }
  }
  return out
}
