/**
 * SNS → Lambda through the embedded target's edge (sns-bridge.ts): moto keeps topics and subscriptions, the target
 * delivers each message published to a topic with a `lambda` subscription as an asynchronous invocation carrying
 * the SNS event of LB §7, when the function's resource-based policy allows sns.amazonaws.com (policy.ts).
 */
import fs from 'node:fs'
import path from 'node:path'
import { AddPermissionCommand, GetPolicyCommand, type LambdaClient, RemovePermissionCommand } from '@aws-sdk/client-lambda'
import { CreateTopicCommand, PublishBatchCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns'
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest'
import { loadConfig, resolveFromRoot } from '../config.js'
import { type MotoServer, startServices } from '../services/moto.js'
import { awsClient, type TargetInfo } from '../targets/target.js'
import { type EmbeddedTarget, EMBEDDED_ACCOUNT_ID, startEmbeddedTarget } from './index.js'
import { deploy, lambdaClient, sdkError, shRuntime, sleep, uniqueName, varTmpDir, waitUntil } from './test-support.js'

let moto: MotoServer | undefined
let embedded: EmbeddedTarget | undefined
let info: TargetInfo
let lambda: LambdaClient
let unavailable = ''
let dir = ''

const OTHER_ACCOUNT = '111111111111'

beforeAll(async () => {
  dir = varTmpDir('glc-sns')
  try {
    moto = await startServices(resolveFromRoot(loadConfig().cacheDir))
  } catch (e) {
    unavailable = `moto could not start: ${(e as Error).message}`
    return
  }
  embedded = await startEmbeddedTarget({ pendingMs: 0, asyncRetryDelaysMs: [200, 200], servicesEndpoint: moto.endpoint, servicesInfo: { name: 'moto', version: moto.version, services: moto.services } })
  info = { name: 'embedded', endpoint: embedded.endpoint, region: embedded.region, accountId: embedded.accountId, roleArn: `arn:aws:iam::${EMBEDDED_ACCOUNT_ID}:role/sns`, details: embedded.details, services: true }
  lambda = lambdaClient(embedded.endpoint)
})

afterAll(async () => {
  await embedded?.close()
  await moto?.stop()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

function needServices(ctx: TestContext): void {
  if (unavailable) ctx.skip(unavailable)
}

/** A function that appends each event (one JSON line) to `<dir>/<name>.events`; fails the first `failures` attempts. */
async function recorder(name: string, failures = 0): Promise<string> {
  const file = path.join(dir, `${name}.events`)
  const handle = [
    '  tr -d "\\n" < "$E" >> "$OUT"; echo >> "$OUT"',
    '  N=$(cat "$OUT.count" 2>/dev/null || echo 0); N=$((N + 1)); echo $N > "$OUT.count"',
    `  if [ $N -le ${failures} ]; then curl -sS -o /dev/null -X POST -H 'Lambda-Runtime-Function-Error-Type: Unhandled' --data '{"errorMessage":"boom","errorType":"Boom"}' "$API/invocation/$ID/error"; continue; fi`,
    '  echo null > "$R"',
  ].join('\n')
  await deploy(lambda, name, shRuntime(handle), { env: { OUT: file } })
  return file
}

function events(file: string): Array<{ Records: Array<Record<string, any>> }> {
  if (!fs.existsSync(file)) return []
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
}

const functionArn = (name: string): string => `arn:aws:lambda:${info.region}:${EMBEDDED_ACCOUNT_ID}:function:${name}`

async function topicWithFunction(sns: SNSClient, fn: string): Promise<{ topicArn: string; subscriptionArn: string }> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('sns-bridge') }))
  const { SubscriptionArn } = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: functionArn(fn), ReturnSubscriptionArn: true }))
  return { topicArn: TopicArn!, subscriptionArn: SubscriptionArn! }
}

const allowSns = (fn: string, topicArn: string, sid = 'sns'): Promise<unknown> =>
  lambda.send(new AddPermissionCommand({ FunctionName: fn, StatementId: sid, Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: topicArn }))

describe('SNS → Lambda (embedded target)', () => {
  it('delivers one SNS event per message, with subject and String, Number and Binary attributes', async (ctx) => {
    needServices(ctx)
    const sns = awsClient(SNSClient, info)
    const fn = uniqueName('sns-fn')
    const file = await recorder(fn)
    const { topicArn, subscriptionArn } = await topicWithFunction(sns, fn)
    await allowSns(fn, topicArn)
    const before = Date.now()
    const p = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: 'hello "sns" & <lambda>',
        Subject: 'greeting',
        MessageAttributes: {
          color: { DataType: 'String', StringValue: 'blue' },
          count: { DataType: 'Number', StringValue: '42' },
          blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 255]) },
        },
      }),
    )
    expect(p.MessageId).toMatch(/^[0-9a-f-]{36}$/)
    await waitUntil(() => events(file).length >= 1, { what: 'the SNS event' })
    await sleep(300)
    const got = events(file)
    expect(got).toHaveLength(1)
    expect(got[0]!.Records).toHaveLength(1)
    const r = got[0]!.Records[0]!
    expect(Object.keys(r).sort()).toEqual(['EventSource', 'EventSubscriptionArn', 'EventVersion', 'Sns'])
    expect(r.EventSource).toBe('aws:sns')
    expect(r.EventVersion).toBe('1.0')
    expect(r.EventSubscriptionArn).toBe(subscriptionArn)
    const s = r.Sns as Record<string, unknown>
    expect(Object.keys(s).sort()).toEqual(
      ['Message', 'MessageAttributes', 'MessageId', 'Signature', 'SignatureVersion', 'SigningCertUrl', 'Subject', 'Timestamp', 'TopicArn', 'Type', 'UnsubscribeUrl'].sort(),
    )
    expect(s.Type).toBe('Notification')
    expect(s.MessageId).toBe(p.MessageId)
    expect(s.TopicArn).toBe(topicArn)
    expect(s.Subject).toBe('greeting')
    expect(s.Message).toBe('hello "sns" & <lambda>')
    expect(s.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(Date.parse(s.Timestamp as string)).toBeGreaterThanOrEqual(before - 1000)
    expect(s.SignatureVersion).toBe('1')
    expect(typeof s.Signature).toBe('string')
    expect(s.SigningCertUrl).toMatch(/^https:\/\/sns\.us-east-1\.amazonaws\.com\/SimpleNotificationService-.+\.pem$/)
    expect(s.UnsubscribeUrl).toBe(`https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`)
    expect(s.MessageAttributes).toEqual({
      color: { Type: 'String', Value: 'blue' },
      count: { Type: 'Number', Value: '42' },
      blob: { Type: 'Binary', Value: Buffer.from([0, 1, 2, 255]).toString('base64') },
    })
  })

  it('sends Subject null and empty MessageAttributes when the message has none; PublishBatch delivers each entry', async (ctx) => {
    needServices(ctx)
    const sns = awsClient(SNSClient, info)
    const fn = uniqueName('sns-nosubj')
    const file = await recorder(fn)
    const { topicArn } = await topicWithFunction(sns, fn)
    await allowSns(fn, topicArn)
    const p = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'plain' }))
    await waitUntil(() => events(file).length >= 1, { what: 'the SNS event' })
    const s = events(file)[0]!.Records[0]!.Sns as Record<string, unknown>
    expect(s.MessageId).toBe(p.MessageId)
    expect(s.Subject).toBeNull()
    expect(s.MessageAttributes).toEqual({})
    const b = await sns.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: [
          { Id: 'a', Message: 'first', Subject: 'one' },
          { Id: 'b', Message: 'second', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } },
        ],
      }),
    )
    expect(b.Successful).toHaveLength(2)
    await waitUntil(() => events(file).length >= 3, { what: 'the batch events' })
    const batch = events(file).slice(1).map((e) => e.Records[0]!.Sns as Record<string, unknown>)
    const byMessage = Object.fromEntries(batch.map((x) => [x.Message, x]))
    expect(byMessage.first).toMatchObject({ MessageId: b.Successful!.find((x) => x.Id === 'a')!.MessageId, Subject: 'one', MessageAttributes: {} })
    expect(byMessage.second).toMatchObject({ MessageId: b.Successful!.find((x) => x.Id === 'b')!.MessageId, Subject: null, MessageAttributes: { k: { Type: 'String', Value: 'v' } } })
  })

  it('retries a failing function through the async queue, with the same event', async (ctx) => {
    needServices(ctx)
    const sns = awsClient(SNSClient, info)
    const fn = uniqueName('sns-retry')
    const file = await recorder(fn, 1)
    const { topicArn } = await topicWithFunction(sns, fn)
    await allowSns(fn, topicArn)
    const p = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'again' }))
    await waitUntil(() => events(file).length >= 2, { what: 'the retried SNS event' })
    await sleep(600)
    const got = events(file)
    expect(got).toHaveLength(2)
    expect(got[1]).toEqual(got[0])
    expect(got[0]!.Records[0]!.Sns.MessageId).toBe(p.MessageId)
  })

  it('delivers from a topic in another account only once the function policy allows it', async (ctx) => {
    needServices(ctx)
    // A 12-digit access key id selects that account.
    const sns = new SNSClient({ endpoint: info.endpoint, region: info.region, credentials: { accessKeyId: OTHER_ACCOUNT, secretAccessKey: 'other' }, maxAttempts: 1 })
    const fn = uniqueName('sns-xacct')
    const file = await recorder(fn)
    const { topicArn } = await topicWithFunction(sns, fn)
    expect(topicArn.split(':')[4]).toBe(OTHER_ACCOUNT)
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'refused' }))
    await sleep(1000)
    expect(events(file)).toHaveLength(0)
    await allowSns(fn, topicArn, 'from-other-account')
    const p = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'allowed' }))
    await waitUntil(() => events(file).length >= 1, { what: 'the cross-account SNS event' })
    await sleep(300)
    const got = events(file)
    expect(got).toHaveLength(1)
    expect(got[0]!.Records[0]!.Sns).toMatchObject({ MessageId: p.MessageId, Message: 'allowed', TopicArn: topicArn })
    expect(got[0]!.Records[0]!.EventSubscriptionArn).toMatch(new RegExp(`^arn:aws:sns:us-east-1:${OTHER_ACCOUNT}:`))
  })

  it('does not deliver when the policy names another topic', async (ctx) => {
    needServices(ctx)
    const sns = awsClient(SNSClient, info)
    const fn = uniqueName('sns-wrongarn')
    const file = await recorder(fn)
    const { topicArn } = await topicWithFunction(sns, fn)
    await allowSns(fn, `${topicArn}-other`)
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' }))
    await sleep(1000)
    expect(events(file)).toHaveLength(0)
  })

  it('AddPermission, GetPolicy and RemovePermission answer in AWS shapes', async (ctx) => {
    needServices(ctx)
    const fn = uniqueName('sns-policy')
    await recorder(fn)
    const topicArn = `arn:aws:sns:us-east-1:${OTHER_ACCOUNT}:t`
    const missing = await sdkError(lambda.send(new GetPolicyCommand({ FunctionName: fn })))
    expect(missing.name).toBe('ResourceNotFoundException')
    const add = await lambda.send(new AddPermissionCommand({ FunctionName: fn, StatementId: 's1', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: topicArn }))
    expect(JSON.parse(add.Statement!)).toEqual({
      Sid: 's1',
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: functionArn(fn),
      Condition: { ArnLike: { 'AWS:SourceArn': topicArn } },
    })
    const dup = await sdkError(allowSns(fn, topicArn, 's1'))
    expect(dup.name).toBe('ResourceConflictException')
    const pol = await lambda.send(new GetPolicyCommand({ FunctionName: fn }))
    expect(JSON.parse(pol.Policy!)).toMatchObject({ Version: '2012-10-17', Statement: [{ Sid: 's1' }] })
    expect(pol.RevisionId).toBeTruthy()
    await lambda.send(new RemovePermissionCommand({ FunctionName: fn, StatementId: 's1' }))
    expect((await sdkError(lambda.send(new RemovePermissionCommand({ FunctionName: fn, StatementId: 's1' })))).name).toBe('ResourceNotFoundException')
  })
})
