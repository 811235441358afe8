/**
 * The aws target's code path, proved without an account: the embedded target (moto behind its endpoint answers
 * STS, IAM, SQS, SNS, Kinesis, DynamoDB and Logs) stands in for AWS through CONFORMANCE_AWS_ENDPOINT, with dummy
 * credentials in the environment for the SDK's default provider chain.
 */
import { CreateQueueCommand, DeleteQueueCommand, GetQueueUrlCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs'
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns'
import { GetRoleCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam'
import { ListFunctionsCommand } from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, inject, it, vi, type TestContext } from 'vitest'
import { effectiveConfig, loadConfig } from '../config.js'
import { deploy } from '../deploy.js'
import { awsRegion, type AwsStartedTarget, BASIC_EXECUTION_POLICY, cleanupByPrefix, runPrefix, spawnCleanup, startAws } from './aws.js'
import { startTarget, type StartedTarget } from './start.js'
import { awsClient, connection, lambdaClient, resourceName, type TargetInfo } from './target.js'

const ACCESS_KEY = 'AKIATESTCONFORMANCE1'
const SECRET_KEY = 'test/Secret+Key0123456789abcdefGHIJKLMN'

let embedded: StartedTarget | undefined
let unavailable = ''

beforeAll(async () => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', ACCESS_KEY)
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', SECRET_KEY)
  vi.stubEnv('AWS_SESSION_TOKEN', '')
  vi.stubEnv('AWS_PROFILE', '')
  vi.stubEnv('AWS_REGION', 'us-east-1')
  // The run's own embedded target when it has the services (no second moto under load), else one of our own.
  const shared = inject('target')
  embedded = shared.name === 'embedded' && shared.services ? { info: shared, close: async () => {} } : await startTarget(loadConfig({}))
  if (!embedded.info.services) unavailable = embedded.info.servicesUnavailable ?? 'the embedded target has no AWS services'
}, 180_000)

afterAll(async () => {
  await embedded?.close()
  vi.unstubAllEnvs()
})

function need(ctx: TestContext): TargetInfo {
  if (unavailable) ctx.skip(unavailable)
  return embedded!.info
}

function awsConfig(endpoint: string, extra: Record<string, string> = {}) {
  return loadConfig({ CONFORMANCE_TARGET: 'aws', CONFORMANCE_AWS_ENDPOINT: endpoint, ...extra })
}

describe('aws target helpers', () => {
  it('a run prefix is glc- and 6 hex digits, different every time', () => {
    const a = runPrefix()
    expect(a).toMatch(/^glc-[0-9a-f]{6}-$/)
    expect(runPrefix()).not.toBe(a)
  })

  it('region: CONFORMANCE_REGION, else AWS_REGION, else AWS_DEFAULT_REGION, else the default', () => {
    const cfg = loadConfig({})
    expect(awsRegion(cfg, { CONFORMANCE_REGION: 'eu-west-3', AWS_REGION: 'eu-west-1' })).toBe('eu-west-3')
    expect(awsRegion(cfg, { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-2' })).toBe('eu-west-1')
    expect(awsRegion(cfg, { AWS_DEFAULT_REGION: 'eu-west-2' })).toBe('eu-west-2')
    expect(awsRegion(cfg, {})).toBe('us-east-1')
  })

  it('clients of the aws target use the default credential chain; local targets fixed dummy credentials', () => {
    const local: TargetInfo = { name: 'embedded', endpoint: 'http://127.0.0.1:1', region: 'us-east-1', accountId: '0', roleArn: 'r', details: {} }
    expect(connection(local).credentials).toEqual({ accessKeyId: 'conformance', secretAccessKey: 'conformance' })
    const aws: TargetInfo = { ...local, name: 'aws', endpoint: '', credentials: 'default-chain' }
    expect(connection(aws)).toEqual({ region: 'us-east-1' })
    expect(connection({ ...aws, endpoint: 'http://127.0.0.1:2' })).toEqual({ endpoint: 'http://127.0.0.1:2', region: 'us-east-1' })
  })

  it('cleanup refuses a prefix that is not a run prefix (it would delete other people\'s resources)', async () => {
    const t: TargetInfo = { name: 'aws', endpoint: 'http://127.0.0.1:1', region: 'us-east-1', accountId: '0', roleArn: 'r', details: {}, credentials: 'default-chain' }
    await expect(cleanupByPrefix(t, 'glc-')).rejects.toThrow(/refusing/)
    await expect(cleanupByPrefix(t, '')).rejects.toThrow(/refusing/)
  })

  it('without usable credentials the start fails and says where credentials come from', async (ctx) => {
    const t = need(ctx)
    vi.stubEnv('AWS_ACCESS_KEY_ID', '')
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '')
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/credentials')
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/config')
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true')
    try {
      await expect(startAws(awsConfig(t.endpoint))).rejects.toThrow(/default chain/)
    } finally {
      vi.stubEnv('AWS_ACCESS_KEY_ID', ACCESS_KEY)
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', SECRET_KEY)
    }
  })
})

describe('aws target against the embedded endpoint', () => {
  it('creates a least-privilege role, deploys and invokes with the run prefix, and deletes everything with it at the end', { timeout: 120_000 }, async (ctx) => {
    const t = need(ctx)
    const shim = inject('shims')[0]
    if (!shim) ctx.skip('no shim was built')
    const sigint = process.listenerCount('SIGINT')
    const sigterm = process.listenerCount('SIGTERM')
    const aws: AwsStartedTarget = await startAws(awsConfig(t.endpoint))
    const prefix = aws.info.namePrefix!
    // Someone else's resources next to ours: cleanup must leave them alone.
    const sqs = awsClient(SQSClient, aws.info)
    const otherQueue = `glc-other-${Date.now()}`
    await sqs.send(new CreateQueueCommand({ QueueName: otherQueue }))
    try {
      expect(prefix).toMatch(/^glc-[0-9a-f]{6}-$/)
      expect(aws.info).toMatchObject({ name: 'aws', endpoint: t.endpoint, region: 'us-east-1', accountId: t.accountId, credentials: 'default-chain', services: true })
      expect(process.listenerCount('SIGINT')).toBe(sigint + 1)
      expect(process.listenerCount('SIGTERM')).toBe(sigterm + 1)

      // The role: created through IAM, trusted by Lambda only, basic execution plus event-source reads on prefixed resources.
      expect(aws.info.roleArn).toBe(`arn:aws:iam::${t.accountId}:role/${prefix}exec`)
      const iam = awsClient(IAMClient, aws.info)
      const role = await iam.send(new GetRoleCommand({ RoleName: `${prefix}exec` }))
      const trust = JSON.parse(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!))
      expect(trust.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }])
      const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: `${prefix}exec` }))
      expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([`arn:aws:iam::aws:policy/${BASIC_EXECUTION_POLICY}`])
      const inline = await iam.send(new GetRolePolicyCommand({ RoleName: `${prefix}exec`, PolicyName: `${prefix}event-sources` }))
      const doc = JSON.parse(decodeURIComponent(inline.PolicyDocument!)) as { Statement: { Action: string[]; Resource: string }[] }
      const actions = doc.Statement.flatMap((s) => s.Action).sort()
      expect(actions).toEqual([
        'dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams',
        'kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards', 'kinesis:ListStreams', 'kinesis:SubscribeToShard',
        'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage',
      ])
      for (const s of doc.Statement) if (s.Resource !== '*') expect(s.Resource).toContain(`${prefix}*`)

      // deploy() names the function with the prefix and it runs.
      const fn = await deploy(aws.info, shim!, { probe: 'echo' })
      expect(fn.name.startsWith(prefix)).toBe(true)
      const out = await fn.invoke({ hello: 'aws path' })
      expect(out.statusCode).toBe(200)
      expect(out.json).toEqual({ hello: 'aws path' })

      // More resources of the run, as the integration suites make them.
      await sqs.send(new CreateQueueCommand({ QueueName: resourceName(aws.info, 'queue') }))
      await awsClient(SNSClient, aws.info).send(new CreateTopicCommand({ Name: `${prefix}topic` }))

      // No host credential reaches any output: not the target description, not the effective configuration.
      const outputs = JSON.stringify({ info: aws.info, config: effectiveConfig(awsConfig(t.endpoint)) })
      expect(outputs).not.toContain(ACCESS_KEY)
      expect(outputs).not.toContain(SECRET_KEY)
    } finally {
      await aws.close()
      await aws.close()
    }
    expect(process.listenerCount('SIGINT')).toBe(sigint)
    expect(process.listenerCount('SIGTERM')).toBe(sigterm)
    const summary = await aws.cleanup()
    expect(summary.failed).toEqual([])
    expect(summary.deleted).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^function ${prefix}`)), `queue ${prefix}queue`, `topic ${prefix}topic`, `role ${prefix}exec`]))

    // Nothing with the prefix is left; the other queue is.
    const fns = await lambdaClient(aws.info).send(new ListFunctionsCommand({}))
    expect((fns.Functions ?? []).filter((f) => f.FunctionName?.startsWith(prefix))).toEqual([])
    const roles = await awsClient(IAMClient, aws.info).send(new ListRolesCommand({}))
    expect((roles.Roles ?? []).filter((r) => r.RoleName?.startsWith(prefix))).toEqual([])
    const queues = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }))
    expect(queues.QueueUrls ?? []).toEqual([])
    const other = await sqs.send(new GetQueueUrlCommand({ QueueName: otherQueue }))
    expect(other.QueueUrl).toBeDefined()
    await sqs.send(new DeleteQueueCommand({ QueueUrl: other.QueueUrl }))
  })

  it('a given CONFORMANCE_AWS_ROLE_ARN is used as is and never deleted', async (ctx) => {
    const t = need(ctx)
    const given = `arn:aws:iam::${t.accountId}:role/someone-elses-role`
    const aws = await startAws(awsConfig(t.endpoint, { CONFORMANCE_AWS_ROLE_ARN: given }))
    try {
      expect(aws.info.roleArn).toBe(given)
      expect(aws.info.details.executionRole).toMatch(/given/)
    } finally {
      await aws.close()
    }
    const s = await aws.cleanup()
    expect(s.deleted.filter((d) => d.startsWith('role '))).toEqual([])
  })

  it('on SIGINT/SIGTERM the deletion runs in a detached process that outlives the runner (npm run aws:cleanup)', { timeout: 60_000 }, async (ctx) => {
    const t = need(ctx)
    const aws = await startAws(awsConfig(t.endpoint))
    const prefix = aws.info.namePrefix!
    const sqs = awsClient(SQSClient, aws.info)
    try {
      await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}interrupted` }))
      const child = spawnCleanup(aws.info, prefix)
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
      expect(code).toBe(0)
      expect((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }))).QueueUrls ?? []).toEqual([])
      const roles = await awsClient(IAMClient, aws.info).send(new ListRolesCommand({}))
      expect((roles.Roles ?? []).filter((r) => r.RoleName?.startsWith(prefix))).toEqual([])
    } finally {
      await aws.close()
    }
  })
})
