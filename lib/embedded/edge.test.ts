/**
 * The embedded target as one endpoint for every service (like LocalStack's edge port): the Lambda API answered by
 * the target, everything else forwarded to moto's server, function logs written into moto's CloudWatch Logs. All
 * through ordinary SDK clients built by `awsClient` against the target's endpoint.
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs'
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DescribeStreamCommand as DescribeDdbStreamCommand, DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams'
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam'
import { CreateStreamCommand, KinesisClient, PutRecordCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis'
import { DeleteFunctionCommand, InvokeCommand, type LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda'
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns'
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs'
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest'
import { loadConfig, resolveFromRoot } from '../config.js'
import { logLines } from '../lambda/protocol.js'
import { type MotoServer, startServices } from '../services/moto.js'
import { awsClient, type TargetInfo } from '../targets/target.js'
import { type EmbeddedTarget, EMBEDDED_ACCOUNT_ID, startEmbeddedTarget } from './index.js'
import { deploy, lambdaClient, payloadJson, shRuntime, tcpListenersOn, uniqueName, waitUntil } from './test-support.js'

let moto: MotoServer | undefined
let embedded: EmbeddedTarget | undefined
let info: TargetInfo
let lambda: LambdaClient
let unavailable = ''

beforeAll(async () => {
  try {
    moto = await startServices(resolveFromRoot(loadConfig().cacheDir))
  } catch (e) {
    unavailable = `moto could not start: ${(e as Error).message}`
    return
  }
  embedded = await startEmbeddedTarget({ pendingMs: 0, servicesEndpoint: moto.endpoint, servicesInfo: { name: 'moto', version: moto.version, services: moto.services } })
  info = { name: 'embedded', endpoint: embedded.endpoint, region: embedded.region, accountId: embedded.accountId, roleArn: `arn:aws:iam::${EMBEDDED_ACCOUNT_ID}:role/edge`, details: embedded.details, services: true }
  lambda = lambdaClient(embedded.endpoint)
})

afterAll(async () => {
  await embedded?.close()
  await moto?.stop()
})

function needServices(ctx: TestContext): void {
  if (unavailable) ctx.skip(unavailable)
}

describe('one endpoint for every service', () => {
  it('details name the moto version and the services behind the endpoint', (ctx) => {
    needServices(ctx)
    expect(embedded!.details.services).toMatchObject({ endpoint: moto!.endpoint, server: `moto ${moto!.version}` })
    expect(moto!.version).toBe('5.2.5')
  })

  it('moto and the target listen on 127.0.0.1 only, never 0.0.0.0', (ctx) => {
    needServices(ctx)
    const motoSockets = tcpListenersOn(moto!.port)
    expect(motoSockets.length).toBeGreaterThan(0)
    for (const s of motoSockets) expect(s.address).toBe('127.0.0.1')
    const targetSockets = tcpListenersOn(Number(new URL(embedded!.endpoint).port))
    expect(targetSockets.length).toBeGreaterThan(0)
    for (const s of targetSockets) expect(s.address).toBe('127.0.0.1')
  })

  it('SQS: create a queue, send and receive a message', async (ctx) => {
    needServices(ctx)
    const sqs = awsClient(SQSClient, info)
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('edge-q') }))
    expect(QueueUrl).toBeTruthy()
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello through the edge' }))
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }))
    expect(got.Messages?.map((m) => m.Body)).toEqual(['hello through the edge'])
  })

  it('DynamoDB: create a table with a stream; DynamoDB Streams describes it', async (ctx) => {
    needServices(ctx)
    const ddb = awsClient(DynamoDBClient, info)
    const t = await ddb.send(new CreateTableCommand({
      TableName: uniqueName('edge-t'),
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }))
    const arn = t.TableDescription?.LatestStreamArn
    expect(arn).toMatch(/^arn:aws:dynamodb:us-east-1:000000000000:table\/edge-t-[0-9a-f]+\/stream\//)
    const streams = awsClient(DynamoDBStreamsClient, info)
    const d = await streams.send(new DescribeDdbStreamCommand({ StreamArn: arn }))
    expect(d.StreamDescription?.StreamViewType).toBe('NEW_AND_OLD_IMAGES')
  })

  it('Kinesis: create a stream and put a record', async (ctx) => {
    needServices(ctx)
    const kinesis = awsClient(KinesisClient, info)
    const StreamName = uniqueName('edge-k')
    await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }))
    await waitUntilStreamExists({ client: kinesis, maxWaitTime: 20, minDelay: 1 }, { StreamName })
    const r = await kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: 'pk', Data: Buffer.from('{"n":1}') }))
    expect(r.ShardId).toMatch(/^shardId-/)
    expect(r.SequenceNumber).toBeTruthy()
  })

  it('SNS: create a topic and publish', async (ctx) => {
    needServices(ctx)
    const sns = awsClient(SNSClient, info)
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('edge-topic') }))
    expect(TopicArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:edge-topic-/)
    const p = await sns.send(new PublishCommand({ TopicArn, Message: 'hi', Subject: 'edge' }))
    expect(p.MessageId).toBeTruthy()
  })

  it('STS and IAM answer with the target account', async (ctx) => {
    needServices(ctx)
    const id = await awsClient(STSClient, info).send(new GetCallerIdentityCommand({}))
    expect(id.Account).toBe(EMBEDDED_ACCOUNT_ID)
    const role = await awsClient(IAMClient, info).send(new CreateRoleCommand({
      RoleName: uniqueName('edge-role'),
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    }))
    expect(role.Role?.Arn).toMatch(/^arn:aws:iam::000000000000:role\/edge-role-/)
  })

  it("a function's log lines reach moto's CloudWatch Logs, and the Lambda API still works on the same endpoint", async (ctx) => {
    needServices(ctx)
    const name = uniqueName('edge-fn')
    await deploy(lambda, name, shRuntime('  echo "edge output line for $ID"\n  cp "$E" "$R"'))
    const out = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify({ edge: true }) }))
    expect(payloadJson(out)).toEqual({ edge: true })
    const listed = await lambda.send(new ListFunctionsCommand({}))
    expect(listed.Functions?.some((f) => f.FunctionName === name)).toBe(true)
    const requestId = out.$metadata.requestId!

    // Read straight from moto: the evidence is in its CloudWatch Logs, not in the target's own store. The REPORT
    // line is written after the response, so flush until it is there.
    const direct = new CloudWatchLogsClient({ endpoint: moto!.endpoint, region: info.region, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 })
    const group = `/aws/lambda/${name}`
    const ev = await waitUntil(async () => {
      await embedded!.flushLogs()
      const r = await direct.send(new FilterLogEventsCommand({ logGroupName: group }))
      return r.events?.some((e) => e.message?.startsWith(`REPORT RequestId: ${requestId}`)) ? r : null
    }, { what: 'the REPORT line in moto\'s CloudWatch Logs' })
    const messages = (ev.events ?? []).map((e) => e.message ?? '')
    const start = messages.findIndex((m) => m.trimEnd() === logLines.start(requestId).trimEnd())
    const output = messages.findIndex((m) => m.includes(`edge output line for ${requestId}`))
    const end = messages.findIndex((m) => m.trimEnd() === logLines.end(requestId).trimEnd())
    const report = messages.findIndex((m) => m.startsWith(`REPORT RequestId: ${requestId}`))
    expect([start, output, end, report].every((i) => i >= 0), messages.join('\n')).toBe(true)
    expect(start < output && output < end && end < report).toBe(true)
    const streams = new Set((ev.events ?? []).map((e) => e.logStreamName))
    expect([...streams].every((s) => /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/.test(s ?? ''))).toBe(true)

    // The same through the target's endpoint (Logs is forwarded to moto, after a flush).
    const viaEdge = await awsClient(CloudWatchLogsClient, info).send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: requestId }))
    expect(viaEdge.events?.length).toBeGreaterThanOrEqual(3)

    // AWS keeps the group after DeleteFunction.
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name }))
    const groups = await direct.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }))
    expect(groups.logGroups?.map((g) => g.logGroupName)).toContain(group)
    direct.destroy()
  })
})
