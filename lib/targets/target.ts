/**
 * What a test needs to reach a Lambda target: endpoint, region, account and role. The same test code runs on
 * every target; only this description changes. It crosses from the global setup to test workers, so it is
 * plain data.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { LambdaClient } from '@aws-sdk/client-lambda'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import type { Capability } from '../shims/capabilities.js'
import type { Expectation } from '../shims/manifest.js'

export interface TargetInfo {
  /** embedded | localstack | aws, or `endpoint` for a user-given Lambda API. */
  name: string
  endpoint: string
  region: string
  accountId: string
  /** Execution role functions are created with. */
  roleArn: string
  details: Record<string, unknown>
  /**
   * Whether the AWS services besides Lambda (SQS, SNS, DynamoDB and Streams, Kinesis, CloudWatch Logs, IAM, STS)
   * are reachable at `endpoint`: on the embedded target, when moto started. Tests that need them skip with
   * `servicesUnavailable` as the reason otherwise.
   */
  services?: boolean
  servicesUnavailable?: string
  /**
   * Set when the target cannot run at all on this machine (e.g. LocalStack without a Docker engine): every
   * conformance test skips with this as the reason, and the run does not fail.
   */
  unavailable?: string
  /**
   * Start of the name of every function, queue, stream, table and role the kit creates on this target. On `aws`
   * it is unique per run (`glc-<random>-`) so that cleanup can delete by prefix; `glc-` elsewhere.
   */
  namePrefix?: string
  /**
   * How SDK clients authenticate: `local` (fixed dummy credentials, default) or `default-chain` (the standard AWS
   * credential chain: environment, profile, SSO, instance role; the aws target). With `default-chain`, an empty
   * `endpoint` means AWS's own endpoints.
   */
  credentials?: 'local' | 'default-chain'
}

/** The name prefix for resources the kit creates on `t`. */
export function namePrefix(t: TargetInfo): string {
  return t.namePrefix ?? 'glc-'
}

/**
 * A name for a queue, stream, table or topic a test creates on `t`: the target's prefix, then `parts` joined by `-`.
 * On `aws` the prefix is what the run's cleanup deletes by and what the created execution role may read.
 */
export function resourceName(t: TargetInfo, ...parts: (string | number)[]): string {
  return `${namePrefix(t)}${parts.join('-')}`
}

/** A built shim as tests see it. */
export interface ShimInfo {
  name: string
  description: string
  runtime: string
  handler: string
  architectures: string[]
  capabilities: Capability[]
  environment: Record<string, string>
  folder: string
  zipPath: string
  sha256: string
  bytes: number
  expectations: Record<string, Record<string, Expectation>>
}

/** Local targets accept any credentials; these fixed ones keep the host's own credentials out of every request. */
const LOCAL_CREDENTIALS = { accessKeyId: 'conformance', secretAccessKey: 'conformance' }

/** The configuration every SDK v3 client accepts: endpoint, region, fixed local credentials, no retries. */
export interface AwsClientConfig {
  region: string
  endpoint?: string
  credentials?: { accessKeyId: string; secretAccessKey: string }
  maxAttempts: number
  /** HTTP/1.1 for every client: Kinesis defaults to HTTP/2, which neither moto nor the embedded target speak. */
  requestHandler: NodeHttpHandler
}

/**
 * Any AWS SDK v3 client for the target's one endpoint: `awsClient(SQSClient, target)`. The embedded target
 * forwards every service but Lambda to its local AWS services (moto).
 */
export function awsClient<C>(Client: new (config: AwsClientConfig) => C, t: TargetInfo): C {
  return new Client({ ...connection(t), maxAttempts: 1, requestHandler: new NodeHttpHandler() })
}

/**
 * Endpoint, region and credentials for a client of `t`. Local targets get fixed dummy credentials so the host's
 * own never leave the machine; the aws target leaves credentials to the SDK's default provider chain.
 */
export function connection(t: TargetInfo): { endpoint?: string; region: string; credentials?: { accessKeyId: string; secretAccessKey: string } } {
  if (t.credentials === 'default-chain') return { ...(t.endpoint ? { endpoint: t.endpoint } : {}), region: t.region }
  return { endpoint: t.endpoint, region: t.region, credentials: LOCAL_CREDENTIALS }
}

/**
 * Waits until every function log line the target has so far can be read through CloudWatch Logs (the embedded
 * target batches lines into its services' Logs). A no-op for targets without that endpoint.
 */
export async function flushLogs(t: TargetInfo): Promise<void> {
  if (t.name !== 'embedded') return
  const r = await fetch(`${t.endpoint}/_embedded/logs/flush`, { method: 'POST' })
  await r.arrayBuffer()
  if (r.status !== 204) throw new Error(`flushing the target's logs failed: HTTP ${r.status}`)
}

export function lambdaClient(t: TargetInfo): LambdaClient {
  return new LambdaClient({ ...connection(t), maxAttempts: 1 })
}

export function logsClient(t: TargetInfo): CloudWatchLogsClient {
  return new CloudWatchLogsClient({ ...connection(t), maxAttempts: 1 })
}
