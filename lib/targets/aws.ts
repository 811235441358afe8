/**
 * The `aws` target: functions deployed to a real account. Credentials and region come from the standard AWS chain
 * (environment, shared config and SSO, instance or container role), never from the kit. Every resource the run
 * creates is named with a prefix unique to the run (`glc-<random>-`), and everything with that prefix is deleted
 * when the run ends, fails or is interrupted (SIGINT/SIGTERM). The execution role is CONFORMANCE_AWS_ROLE_ARN, or
 * one created for the run with least privilege.
 *
 * CONFORMANCE_AWS_ENDPOINT sends every call to one local endpoint instead (the embedded target with moto behind it
 * answers all of them), which is how the kit's own tests prove this code path without an account.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import crypto from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { CloudWatchLogsClient, DeleteLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs'
import { DeleteTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam'
import { DeleteStreamCommand, KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis'
import { DeleteEventSourceMappingCommand, DeleteFunctionCommand, LambdaClient, ListEventSourceMappingsCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda'
import { DeleteTopicCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns'
import { DeleteQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs'
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import type { Config } from '../config.js'
import { REPO_ROOT, scrubSecrets } from '../config.js'
import type { StartedTarget, StartOptions } from './start.js'
import { awsClient, type TargetInfo } from './target.js'

export const BASIC_EXECUTION_POLICY = 'service-role/AWSLambdaBasicExecutionRole'
export const ROLE_SUFFIX = 'exec'

/** A fresh prefix for one run: `glc-` and 6 random hex digits. */
export function runPrefix(): string {
  return `glc-${crypto.randomBytes(3).toString('hex')}-`
}

/** Region for the aws target: CONFORMANCE_REGION when set, else the SDK's AWS_REGION / AWS_DEFAULT_REGION, else the default. */
export function awsRegion(cfg: Config, env: NodeJS.ProcessEnv): string {
  return env.CONFORMANCE_REGION || env.AWS_REGION || env.AWS_DEFAULT_REGION || cfg.region
}

export const TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
}

/**
 * What the integration suites' event sources need beyond AWSLambdaBasicExecutionRole (logs): reading SQS queues,
 * Kinesis streams and DynamoDB streams, each limited to resources named with the run's prefix.
 */
export function eventSourcePolicy(partition: string, region: string, account: string, prefix: string): object {
  const arn = (service: string, resource: string): string => `arn:${partition}:${service}:${region}:${account}:${resource}`
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'SqsEventSource', Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: arn('sqs', `${prefix}*`) },
      {
        Sid: 'KinesisEventSource', Effect: 'Allow',
        Action: ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards', 'kinesis:SubscribeToShard'],
        Resource: arn('kinesis', `stream/${prefix}*`),
      },
      { Sid: 'DynamoDBStreamEventSource', Effect: 'Allow', Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], Resource: arn('dynamodb', `table/${prefix}*/stream/*`) },
      { Sid: 'ListStreams', Effect: 'Allow', Action: ['kinesis:ListStreams', 'dynamodb:ListStreams'], Resource: '*' },
    ],
  }
}

export interface AwsStartedTarget extends StartedTarget {
  /** Deletes everything named with the run's prefix (what close() does, without removing the signal handlers). */
  cleanup(): Promise<CleanupSummary>
}

export async function startAws(cfg: Config, o: StartOptions = {}): Promise<AwsStartedTarget> {
  const say = o.log ?? (() => {})
  const env = o.env ?? process.env
  const prefix = runPrefix()
  const region = awsRegion(cfg, env)
  // Account and role are filled in below; the clients only need endpoint, region and the credential mode.
  const info: TargetInfo = {
    name: 'aws', endpoint: cfg.awsEndpoint, region, accountId: '', roleArn: cfg.awsRoleArn, details: {},
    services: true, namePrefix: prefix, credentials: 'default-chain',
  }
  let identity
  try {
    identity = await awsClient(STSClient, info).send(new GetCallerIdentityCommand({}))
  } catch (e) {
    throw new Error(`aws target: no usable AWS credentials from the default chain (environment, profile, SSO, instance role): ${scrubSecrets((e as Error).message, env)}`)
  }
  info.accountId = identity.Account ?? ''
  const partition = identity.Arn?.split(':')[1] ?? 'aws'

  let cleaning: Promise<CleanupSummary> | undefined
  const cleanup = (): Promise<CleanupSummary> => (cleaning ??= cleanupByPrefix(info, prefix, say))
  const onSignal = (signal: NodeJS.Signals): void => {
    // The test runner exits a millisecond after a signal, so the deletion runs in a detached process of its own.
    say(`${signal}: deleting every AWS resource named ${prefix}* (npm run aws:cleanup -- ${prefix}, detached)`)
    spawnCleanup(info, prefix).unref()
    setTimeout(() => process.exit(signal === 'SIGINT' ? 130 : 143), 100).unref()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const removeHandlers = (): void => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }

  try {
    if (!cfg.awsRoleArn) info.roleArn = await createExecutionRole(info, partition, prefix)
  } catch (e) {
    await cleanup()
    removeHandlers()
    throw new Error(`aws target: creating the execution role failed: ${scrubSecrets((e as Error).message, env)}; give one with CONFORMANCE_AWS_ROLE_ARN`)
  }
  info.details = {
    region, accountId: info.accountId, namePrefix: prefix, endpoint: cfg.awsEndpoint || 'AWS',
    executionRole: cfg.awsRoleArn ? 'given (CONFORMANCE_AWS_ROLE_ARN)' : `created for this run (${info.roleArn})`,
  }
  say(`aws target: account ${info.accountId}, region ${region}${cfg.awsEndpoint ? `, endpoint ${cfg.awsEndpoint}` : ''}; resources are named ${prefix}* and deleted at the end`)
  return {
    info,
    cleanup,
    close: async () => {
      try {
        const s = await cleanup()
        say(`aws target: deleted ${s.deleted.length} resource(s) named ${prefix}*`)
        if (s.failed.length > 0) say(`WARNING: aws target: could not delete: ${s.failed.join('; ')}`)
      } finally {
        removeHandlers()
      }
    },
  }
}

async function createExecutionRole(t: TargetInfo, partition: string, prefix: string): Promise<string> {
  const iam = awsClient(IAMClient, t)
  const RoleName = `${prefix}${ROLE_SUFFIX}`
  const role = await iam.send(new CreateRoleCommand({
    RoleName,
    AssumeRolePolicyDocument: JSON.stringify(TRUST_POLICY),
    Description: 'go-lambda-conformance: execution role for one run; deleted when the run ends',
  }))
  await iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: `arn:${partition}:iam::aws:policy/${BASIC_EXECUTION_POLICY}` }))
  await iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: `${prefix}event-sources`, PolicyDocument: JSON.stringify(eventSourcePolicy(partition, t.region, t.accountId, prefix)) }))
  if (!role.Role?.Arn) throw new Error('CreateRole returned no ARN')
  return role.Role.Arn
}

const CLEANUP_CLI = fileURLToPath(new URL('../cli/aws-cleanup.ts', import.meta.url))

/**
 * Starts `lib/cli/aws-cleanup.ts` for `prefix` as a detached process that outlives this one, with this process's
 * environment (so the same credential chain) plus the target's region and endpoint.
 */
export function spawnCleanup(t: TargetInfo, prefix: string): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, CONFORMANCE_REGION: t.region, CONFORMANCE_AWS_ENDPOINT: t.endpoint }
  delete env.CONFORMANCE_TARGET
  delete env.CONFORMANCE_ENDPOINT
  return spawn(process.execPath, ['--import', 'tsx', CLEANUP_CLI, prefix], { detached: true, stdio: ['ignore', 'inherit', 'inherit'], env, cwd: REPO_ROOT })
}

export interface CleanupSummary {
  deleted: string[]
  failed: string[]
}

/**
 * Deletes every resource whose name starts with `prefix`: event source mappings and functions, SNS topics, SQS
 * queues, Kinesis streams, DynamoDB tables, the functions' log groups and IAM roles. Each failure is collected, not
 * thrown, so one stuck resource does not keep the others alive.
 */
export async function cleanupByPrefix(t: TargetInfo, prefix: string, say: (line: string) => void = () => {}): Promise<CleanupSummary> {
  if (!/^glc-[0-9a-f]+-$/.test(prefix)) throw new Error(`refusing to delete by prefix "${prefix}": not a run prefix`)
  const s: CleanupSummary = { deleted: [], failed: [] }
  const step = async (what: string, names: () => Promise<string[]>, del: (name: string) => Promise<unknown>): Promise<void> => {
    let list: string[]
    try {
      list = (await names()).filter((n) => n.startsWith(prefix))
    } catch (e) {
      s.failed.push(`listing ${what}: ${scrubSecrets((e as Error).message)}`)
      return
    }
    for (const n of list) {
      try {
        await del(n)
        s.deleted.push(`${what} ${n}`)
      } catch (e) {
        s.failed.push(`${what} ${n}: ${scrubSecrets((e as Error).message)}`)
      }
    }
  }
  const lambda = awsClient(LambdaClient, t)
  await step('function', () => pages(async (m) => {
    const r = await lambda.send(new ListFunctionsCommand({ Marker: m }))
    return [(r.Functions ?? []).map((f) => f.FunctionName ?? ''), r.NextMarker]
  }), async (name) => {
    const mappings = await pages(async (m) => {
      const r = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: name, Marker: m }))
      return [(r.EventSourceMappings ?? []).map((x) => x.UUID ?? ''), r.NextMarker]
    })
    for (const UUID of mappings) await lambda.send(new DeleteEventSourceMappingCommand({ UUID }))
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name }))
  })
  const sns = awsClient(SNSClient, t)
  const topicArns = new Map<string, string>()
  await step('topic', () => pages(async (m) => {
    const r = await sns.send(new ListTopicsCommand({ NextToken: m }))
    const names = (r.Topics ?? []).map((x) => {
      const arn = x.TopicArn ?? ''
      topicArns.set(arn.split(':').pop() ?? '', arn)
      return arn.split(':').pop() ?? ''
    })
    return [names, r.NextToken]
  }), (name) => sns.send(new DeleteTopicCommand({ TopicArn: topicArns.get(name) })))
  const sqs = awsClient(SQSClient, t)
  const queueUrls = new Map<string, string>()
  await step('queue', () => pages(async (m) => {
    const r = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix, NextToken: m }))
    const names = (r.QueueUrls ?? []).map((u) => {
      const n = u.split('/').pop() ?? ''
      queueUrls.set(n, u)
      return n
    })
    return [names, r.NextToken]
  }), (name) => sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrls.get(name) })))
  const kinesis = awsClient(KinesisClient, t)
  await step('stream', () => pages(async (m) => {
    const r = await kinesis.send(new ListStreamsCommand({ ExclusiveStartStreamName: m }))
    const names = r.StreamNames ?? []
    return [names, r.HasMoreStreams ? names.at(-1) : undefined]
  }), (name) => kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true })))
  const ddb = awsClient(DynamoDBClient, t)
  await step('table', () => pages(async (m) => {
    const r = await ddb.send(new ListTablesCommand({ ExclusiveStartTableName: m }))
    return [r.TableNames ?? [], r.LastEvaluatedTableName]
  }), (name) => ddb.send(new DeleteTableCommand({ TableName: name })))
  const logs = awsClient(CloudWatchLogsClient, t)
  await step('log group', async () => (await pages(async (m) => {
    const r = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/lambda/${prefix}`, nextToken: m }))
    return [(r.logGroups ?? []).map((g) => g.logGroupName ?? ''), r.nextToken]
  })).map((g) => g.replace(/^\/aws\/lambda\//, '')), (name) => logs.send(new DeleteLogGroupCommand({ logGroupName: `/aws/lambda/${name}` })))
  const iam = awsClient(IAMClient, t)
  await step('role', () => pages(async (m) => {
    const r = await iam.send(new ListRolesCommand({ Marker: m }))
    return [(r.Roles ?? []).map((x) => x.RoleName ?? ''), r.IsTruncated ? r.Marker : undefined]
  }), async (RoleName) => {
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName }))
    for (const p of attached.AttachedPolicies ?? []) await iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: p.PolicyArn }))
    const inline = await iam.send(new ListRolePoliciesCommand({ RoleName }))
    for (const PolicyName of inline.PolicyNames ?? []) await iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName }))
    await iam.send(new DeleteRoleCommand({ RoleName }))
  })
  if (s.failed.length > 0) say(`aws cleanup: ${s.failed.length} failure(s)`)
  return s
}

/** Follows a marker-paginated list to the end. */
async function pages(page: (marker: string | undefined) => Promise<[string[], string | undefined]>): Promise<string[]> {
  const out: string[] = []
  let marker: string | undefined
  for (let i = 0; i < 1000; i++) {
    const [items, next] = await page(marker)
    out.push(...items)
    if (!next) break
    marker = next
  }
  return out
}
