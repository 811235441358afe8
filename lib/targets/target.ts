/**
 * What a test needs to reach a Lambda target: endpoint, region, account and role. The same test code runs on
 * every target; only this description changes. It crosses from the global setup to test workers, so it is
 * plain data.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { LambdaClient } from '@aws-sdk/client-lambda'
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

export function lambdaClient(t: TargetInfo): LambdaClient {
  return new LambdaClient({ endpoint: t.endpoint, region: t.region, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 })
}

export function logsClient(t: TargetInfo): CloudWatchLogsClient {
  return new CloudWatchLogsClient({ endpoint: t.endpoint, region: t.region, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 })
}
