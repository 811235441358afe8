/**
 * Deploying a probe function through a shim onto a target, and invoking it, with the AWS SDK only: the same
 * calls work on the embedded target, LocalStack and AWS.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import {
  CreateFunctionCommand,
  type CreateFunctionCommandOutput,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  type InvocationType,
  InvokeCommand,
  type LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda'
import { parseReportLine } from './lambda/protocol.js'
import { wallClockMs } from './wall-clock.js'
import { lambdaClient, namePrefix, type ShimInfo, type TargetInfo } from './targets/target.js'

/** A fault of the kit or its infrastructure (not a verdict on a shim): reported as status `error`. */
export class KitError extends Error {
  override name = 'KitError'
}

export interface DeployOptions {
  /** Probe name (go-handlers/README.md) or `dispatch`. */
  probe: string
  env?: Record<string, string>
  timeout?: number
  memorySize?: number
  /** Short label that goes into the function name, to find it in logs. */
  label?: string
}

export interface InvokeOptions {
  type?: InvocationType
  tail?: boolean
  /** Base64 client context, sent as X-Amz-Client-Context. */
  clientContext?: string
}

/** What the caller of Invoke saw. */
export interface InvokeObservation {
  statusCode: number
  functionError?: string
  requestId?: string
  executedVersion?: string
  payload: Buffer
  text: string
  /** Parsed payload, or undefined when it is not JSON. */
  json: unknown
  /** Decoded LogResult (LogType Tail), split into lines. */
  logLines: string[]
  /** REPORT fields by name, from the tail. */
  report: Record<string, string> | null
  /** Wall time of the SDK call (monotonic clock). */
  clientMs: number
  /**
   * Wall clock just before the call and just after the response, ms since the epoch with sub-ms precision
   * (lib/wall-clock.ts). T1 and T4 of an NTP exchange with the timestamps probe (latency-methods.md §2.1).
   */
  sentAtMs: number
  receivedAtMs: number
}

/** The error an SDK call raised, flattened for assertions and reports. */
export interface ApiErrorObservation {
  name: string
  message: string
  statusCode?: number
}

const POLL_MS = 25
const READY_TIMEOUT_MS = 60_000

export class DeployedFunction {
  constructor(
    readonly name: string,
    readonly arn: string,
    readonly client: LambdaClient,
  ) {}

  async invoke(payload: string | Buffer | object | undefined, o: InvokeOptions = {}): Promise<InvokeObservation> {
    const body = payload === undefined ? undefined : typeof payload === 'string' || Buffer.isBuffer(payload) ? Buffer.from(payload) : Buffer.from(JSON.stringify(payload))
    const command = new InvokeCommand({ FunctionName: this.name, Payload: body, InvocationType: o.type, LogType: o.tail === false ? 'None' : 'Tail', ClientContext: o.clientContext })
    const t0 = performance.now()
    const out = await this.client.send(command)
    const t1 = performance.now()
    const clientMs = t1 - t0
    const buf = Buffer.from(out.Payload ?? new Uint8Array())
    const text = buf.toString('utf8')
    let json: unknown
    try {
      json = text === '' ? undefined : JSON.parse(text)
    } catch {
      json = undefined
    }
    const logLines = out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8').split('\n').filter((l) => l !== '') : []
    const reportLine = logLines.findLast((l) => l.startsWith('REPORT RequestId: '))
    return {
      statusCode: out.StatusCode ?? 0,
      functionError: out.FunctionError,
      requestId: out.$metadata.requestId,
      executedVersion: out.ExecutedVersion,
      payload: buf,
      text,
      json,
      logLines,
      report: reportLine ? parseReportLine(reportLine) : null,
      clientMs,
      sentAtMs: wallClockMs(t0),
      receivedAtMs: wallClockMs(t1),
    }
  }

  /**
   * One Invoke with InvocationType DryRun, timed: signed, sent, routed and validated like an invoke, without running
   * anything (204). The latency gate's machine-speed reference (lib/latency/model.ts SpeedReference).
   */
  async dryRunMs(): Promise<number> {
    const t0 = performance.now()
    const out = await this.client.send(new InvokeCommand({ FunctionName: this.name, InvocationType: 'DryRun' }))
    const ms = performance.now() - t0
    if (out.StatusCode !== 204) throw new KitError(`DryRun invoke of ${this.name} answered ${out.StatusCode}, not 204`)
    return ms
  }

  /** Invokes and returns the API error the call raised (or throws if it succeeded). */
  async invokeError(payload: string | Buffer | object | undefined, o: InvokeOptions = {}): Promise<ApiErrorObservation> {
    try {
      await this.invoke(payload, o)
    } catch (e) {
      return apiError(e)
    }
    throw new Error('expected the Invoke call to fail, but it succeeded')
  }

  /** Changes configuration and waits until the update is applied (later invokes get new environments). */
  async updateConfiguration(c: { env?: Record<string, string>; timeout?: number; memorySize?: number }): Promise<void> {
    await this.client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: this.name,
        Timeout: c.timeout,
        MemorySize: c.memorySize,
        Environment: c.env ? { Variables: c.env } : undefined,
      }),
    )
    await waitFor(this.client, this.name, (cfg) => cfg.LastUpdateStatus === 'Successful', 'LastUpdateStatus Successful')
  }

  async delete(): Promise<void> {
    await this.client.send(new DeleteFunctionCommand({ FunctionName: this.name })).catch(() => undefined)
  }
}

export function apiError(e: unknown): ApiErrorObservation {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }
  return { name: err.name ?? 'Error', message: err.message ?? String(e), statusCode: err.$metadata?.httpStatusCode }
}

async function waitFor(client: LambdaClient, name: string, ready: (c: { State?: string; LastUpdateStatus?: string }) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    const cfg = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }))
    if (ready(cfg)) return
    if (cfg.State === 'Failed' || cfg.LastUpdateStatus === 'Failed') throw new KitError(`function ${name} failed to become ready: ${cfg.StateReason ?? cfg.LastUpdateStatusReason}`)
    if (Date.now() > deadline) throw new KitError(`function ${name} did not reach ${what} within ${READY_TIMEOUT_MS / 1000} s`)
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
}

/** Creates a function from the shim's package with `PROBE` selecting the probe, and waits until it is Active. */
export async function deploy(target: TargetInfo, shim: ShimInfo, o: DeployOptions): Promise<DeployedFunction> {
  const client = lambdaClient(target)
  const label = (o.label ?? o.probe).replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 24)
  const name = `${namePrefix(target)}${shim.name}-${label}-${crypto.randomBytes(4).toString('hex')}`.slice(0, 64)
  let zip: Buffer
  try {
    zip = fs.readFileSync(shim.zipPath)
  } catch (e) {
    throw new KitError(`shim ${shim.name}: package ${shim.zipPath} is missing (${(e as Error).message}); rerun npm test to rebuild it`)
  }
  try {
    const out = await createFunction(client, new CreateFunctionCommand({
        FunctionName: name,
        Runtime: shim.runtime as never,
        Handler: shim.handler,
        Role: target.roleArn,
        Code: { ZipFile: zip },
        Timeout: o.timeout,
        MemorySize: o.memorySize,
        Environment: { Variables: { ...shim.environment, PROBE: o.probe, ...o.env } },
        Description: `go-lambda-conformance probe ${o.probe} through shim ${shim.name}`,
      }))
    await waitFor(client, name, (c) => c.State === 'Active', 'State Active')
    return new DeployedFunction(name, out.FunctionArn ?? name, client)
  } catch (e) {
    if (e instanceof KitError) throw e
    throw new KitError(`deploying ${name} to ${target.name} (${target.endpoint || `AWS ${target.region}`}) failed: ${apiError(e).name}: ${apiError(e).message}`)
  }
}

/** How long CreateFunction is retried while AWS says a freshly created execution role cannot be assumed yet. */
const ROLE_PROPAGATION_MS = 30_000

/** CreateFunction, retried while a new IAM role propagates (AWS: "The role defined for the function cannot be assumed by Lambda"). */
async function createFunction(client: LambdaClient, cmd: CreateFunctionCommand): Promise<CreateFunctionCommandOutput> {
  const deadline = Date.now() + ROLE_PROPAGATION_MS
  for (;;) {
    try {
      return await client.send(cmd)
    } catch (e) {
      const err = apiError(e)
      if (err.name !== 'InvalidParameterValueException' || !/role .*cannot be assumed/i.test(err.message) || Date.now() > deadline) throw e
      await new Promise((r) => setTimeout(r, 2000))
    }
  }
}
