/**
 * Event source mappings of the embedded target (esm/): the Lambda API for them, and the SQS, Kinesis and
 * DynamoDB Streams pollers against moto (lib/services/moto.ts), checked the way a user would: through the
 * services' own APIs (the queue empties, messages come back) and through what the function received (each
 * invoke appends its event to a file under /var/tmp). Expected shapes are LB §7's.
 */
import fs from 'node:fs'
import path from 'node:path'
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb'
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis'
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetEventSourceMappingCommand,
  type LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda'
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig, resolveFromRoot } from '../config.js'
import { type MotoServer, startServices } from '../services/moto.js'
import { type EmbeddedTarget, EMBEDDED_ACCOUNT_ID, startEmbeddedTarget } from './index.js'
import { CREDENTIALS, lambdaClient, REGION, ROLE, sdkError, sleep, uniqueName, varTmpDir, waitForActive, waitUntil } from './test-support.js'
import { zipFiles } from './zip.js'

let moto: MotoServer | undefined
let skipReason = ''
let target: EmbeddedTarget
let lambda: LambdaClient
let sqs: SQSClient
let kinesis: KinesisClient
let ddb: DynamoDBClient
let dir: string

beforeAll(async () => {
  try {
    moto = await startServices(resolveFromRoot(loadConfig().cacheDir))
  } catch (e) {
    skipReason = `the local AWS services (moto) could not start: ${(e as Error).message}`
    return
  }
  target = await startEmbeddedTarget({ pendingMs: 0, servicesEndpoint: moto.endpoint, eventSourceMappings: { pollIntervalMs: 100, retryDelayMs: 100, transitionMs: 50 } })
  lambda = lambdaClient(target.endpoint)
  // Every service through the target's one endpoint, as the suites reach them.
  const c = { endpoint: target.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1, requestHandler: new NodeHttpHandler() }
  sqs = new SQSClient(c)
  kinesis = new KinesisClient(c)
  ddb = new DynamoDBClient(c)
  dir = varTmpDir('glc-esm')
})

afterAll(async () => {
  await target?.close()
  await moto?.stop()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

/**
 * A nodejs20.x function that appends `{t, event}` to $OUT, then by MODE: `ok`; `fail-first` (function error for
 * the first $FAILS invokes); `crash-first` (the runtime SIGKILLs itself during the first $FAILS invokes, as a
 * sandbox killed mid-batch); `sqs-partial` (reports every message whose body contains "bad" as failed);
 * `stream-partial-once` (first invoke reports its third record as failed); `poison` (fails every Kinesis batch
 * holding a record whose data is "poison").
 */
const HANDLER = `
import fs from 'node:fs'
export const handler = async (event) => {
  const out = process.env.OUT
  fs.appendFileSync(out, JSON.stringify({ t: Date.now(), event }) + '\\n')
  const n = fs.readFileSync(out, 'utf8').split('\\n').filter(Boolean).length
  const fails = Number(process.env.FAILS ?? 0)
  switch (process.env.MODE) {
    case 'fail-first':
      if (n <= fails) throw new Error('failing on purpose, invoke ' + n)
      break
    case 'crash-first':
      if (n <= fails) process.kill(process.pid, 'SIGKILL')
      break
    case 'sqs-partial':
      return { batchItemFailures: event.Records.filter((r) => r.body.includes('bad')).map((r) => ({ itemIdentifier: r.messageId })) }
    case 'poison':
      if (event.Records.some((r) => Buffer.from(r.kinesis.data, 'base64').toString() === 'poison')) throw new Error('poison record')
      break
    case 'stream-partial-once': {
      const seq = (r) => (r.kinesis ? r.kinesis.sequenceNumber : r.dynamodb.SequenceNumber)
      if (n === 1 && event.Records.length >= 3) return { batchItemFailures: [{ itemIdentifier: seq(event.Records[2]) }] }
      break
    }
  }
  return { ok: true }
}
`

interface Delivery {
  t: number
  event: { Records: Array<Record<string, any>> }
}

async function deployRecorder(prefix: string, env: Record<string, string> = {}): Promise<{ name: string; out: string; deliveries: () => Delivery[] }> {
  const name = uniqueName(prefix)
  const out = path.join(dir, `${name}.jsonl`)
  fs.writeFileSync(out, '')
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Role: ROLE,
      Handler: 'index.handler',
      Timeout: 10,
      Code: { ZipFile: await zipFiles({ 'index.mjs': HANDLER }) },
      Environment: { Variables: { OUT: out, MODE: 'ok', ...env } },
    }),
  )
  await waitForActive(lambda, name)
  const deliveries = (): Delivery[] =>
    fs
      .readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Delivery)
  return { name, out, deliveries }
}

async function newQueue(visibilityTimeoutS = 30): Promise<{ url: string; arn: string }> {
  const name = uniqueName('q')
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: String(visibilityTimeoutS) } }))).QueueUrl!
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))
  return { url, arn: a.Attributes!.QueueArn! }
}

async function queueCounts(url: string): Promise<{ visible: number; inFlight: number }> {
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))
  return { visible: Number(a.Attributes!.ApproximateNumberOfMessages), inFlight: Number(a.Attributes!.ApproximateNumberOfMessagesNotVisible) }
}

async function newStream(shards = 1): Promise<{ name: string; arn: string }> {
  const name = uniqueName('s')
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }))
  const arn = await waitUntil(async () => {
    const s = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))
    return s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? s.StreamDescriptionSummary.StreamARN : undefined
  })
  return { name, arn }
}

async function putRecords(stream: string, data: string[]): Promise<string[]> {
  const seqs: string[] = []
  // One at a time: the order of puts is the order in the shard.
  for (const d of data) seqs.push((await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'pk', Data: Buffer.from(d) }))).SequenceNumber!)
  return seqs
}

async function createMapping(input: ConstructorParameters<typeof CreateEventSourceMappingCommand>[0]): Promise<string> {
  const m = await lambda.send(new CreateEventSourceMappingCommand(input))
  const settled = input.Enabled === false ? 'Disabled' : 'Enabled'
  await waitUntil(async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID }))).State === settled, { what: `the mapping to be ${settled}` })
  return m.UUID!
}

const records = (ds: Delivery[]): Array<Record<string, any>> => ds.flatMap((d) => d.event.Records)
const kinesisData = (r: Record<string, any>): string => Buffer.from(r.kinesis.data, 'base64').toString('utf8')

describe('event source mappings', () => {
  beforeEach((ctx) => {
    if (skipReason) ctx.skip(skipReason)
  })

  describe('the API', () => {
    it('creates, gets, lists, updates and deletes a mapping, with the fields and states AWS returns', async () => {
      const fn = await deployRecorder('esm-api')
      const q = await newQueue()
      const created = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: fn.name, EventSourceArn: q.arn, Enabled: false }))
      expect(created.$metadata.httpStatusCode).toBe(202)
      expect(created).toMatchObject({ EventSourceArn: q.arn, FunctionArn: `arn:aws:lambda:${REGION}:${EMBEDDED_ACCOUNT_ID}:function:${fn.name}`, State: 'Creating', BatchSize: 10, MaximumBatchingWindowInSeconds: 0, FunctionResponseTypes: [], StateTransitionReason: 'USER_INITIATED' })
      expect(created.UUID).toMatch(/^[0-9a-f-]{36}$/)
      expect(created.LastModified).toBeInstanceOf(Date)
      expect(created.StartingPosition).toBeUndefined()
      const uuid = created.UUID!
      await waitUntil(async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State === 'Disabled')

      const s = await newStream()
      const streamMapping = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: fn.name, EventSourceArn: s.arn, StartingPosition: 'LATEST', Enabled: false }))
      expect(streamMapping).toMatchObject({ BatchSize: 100, StartingPosition: 'LATEST', MaximumRetryAttempts: -1, BisectBatchOnFunctionError: false, LastProcessingResult: 'No records processed', ParallelizationFactor: 1 })

      const byFunction = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: fn.name }))
      expect(byFunction.EventSourceMappings!.map((m) => m.UUID).sort()).toEqual([uuid, streamMapping.UUID].sort())
      const bySource = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: q.arn }))
      expect(bySource.EventSourceMappings!.map((m) => m.UUID)).toEqual([uuid])
      const page1 = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: fn.name, MaxItems: 1 }))
      expect(page1.EventSourceMappings).toHaveLength(1)
      const page2 = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: fn.name, MaxItems: 1, Marker: page1.NextMarker }))
      expect(page2.EventSourceMappings).toHaveLength(1)
      expect(page2.NextMarker).toBeUndefined()
      expect(page2.EventSourceMappings![0]!.UUID).not.toBe(page1.EventSourceMappings![0]!.UUID)

      const updated = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 5, FunctionResponseTypes: ['ReportBatchItemFailures'], Enabled: true }))
      expect(updated.$metadata.httpStatusCode).toBe(202)
      expect(updated).toMatchObject({ State: 'Updating', BatchSize: 5, FunctionResponseTypes: ['ReportBatchItemFailures'] })
      await waitUntil(async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State === 'Enabled')

      const deleted = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
      expect(deleted.$metadata.httpStatusCode).toBe(202)
      expect(deleted.State).toBe('Deleting')
      await waitUntil(async () => (await sdkError(lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })))).name === 'ResourceNotFoundException')
      await lambda.send(new DeleteEventSourceMappingCommand({ UUID: streamMapping.UUID }))
    })

    it('rejects invalid mappings with the Lambda API errors', async () => {
      const fn = await deployRecorder('esm-validation')
      const q = await newQueue()
      const s = await newStream()
      const create = (input: Record<string, unknown>) => sdkError(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: fn.name, ...input } as never)))

      let e = await create({ EventSourceArn: q.arn, StartingPosition: 'LATEST' })
      expect([e.name, e.message]).toEqual(['InvalidParameterValueException', 'Invalid request provided: StartingPosition is not valid for SQS event sources.'])
      e = await create({ EventSourceArn: q.arn, BatchSize: 11 })
      expect([e.name, e.message]).toEqual(['InvalidParameterValueException', 'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10'])
      e = await create({ EventSourceArn: s.arn })
      expect(e.name).toBe('InvalidParameterValueException')
      expect(e.message).toMatch(/Value null at 'startingPosition' failed to satisfy constraint: Member must not be null/)
      e = await create({ EventSourceArn: s.arn, StartingPosition: 'SOMEWHERE' })
      expect(e.name).toBe('ValidationException')
      e = await create({ EventSourceArn: q.arn, FunctionResponseTypes: ['Nope'] })
      expect(e.name).toBe('ValidationException')
      e = await create({ EventSourceArn: `arn:aws:sns:${REGION}:${EMBEDDED_ACCOUNT_ID}:topic` })
      expect(e.name).toBe('InvalidParameterValueException')
      e = await sdkError(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'no-such-function', EventSourceArn: q.arn })))
      expect(e.name).toBe('ResourceNotFoundException')
      e = await sdkError(lambda.send(new GetEventSourceMappingCommand({ UUID: '00000000-0000-0000-0000-000000000000' })))
      expect([e.name, e.$metadata?.httpStatusCode]).toEqual(['ResourceNotFoundException', 404])

      const uuid = await createMapping({ FunctionName: fn.name, EventSourceArn: q.arn, Enabled: false })
      e = await create({ EventSourceArn: q.arn })
      expect(e.name).toBe('ResourceConflictException')
      expect(e.message).toContain(uuid)
      await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
    })
  })

  describe('SQS', () => {
    it('delivers a batch with the SQS event shape and deletes the messages after success', async () => {
      const fn = await deployRecorder('esm-sqs')
      const q = await newQueue()
      for (let i = 0; i < 5; i++) {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: q.url,
            MessageBody: `message ${i}`,
            MessageAttributes: i === 0 ? { color: { DataType: 'String', StringValue: 'blue' }, blob: { DataType: 'Binary', BinaryValue: Buffer.from('xyz') } } : undefined,
          }),
        )
      }
      const uuid = await createMapping({ FunctionName: fn.name, EventSourceArn: q.arn, BatchSize: 10 })
      const got = await waitUntil(() => {
        const rs = records(fn.deliveries())
        return rs.length >= 5 ? rs : undefined
      }, { what: '5 SQS records' })
      expect(got.map((r) => r.body).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `message ${i}`))
      const first = got.find((r) => r.body === 'message 0')!
      expect(Object.keys(first)).toEqual(['messageId', 'receiptHandle', 'body', 'attributes', 'messageAttributes', 'md5OfMessageAttributes', 'md5OfBody', 'eventSource', 'eventSourceARN', 'awsRegion'])
      expect(first).toMatchObject({ eventSource: 'aws:sqs', eventSourceARN: q.arn, awsRegion: REGION })
      expect(Object.keys(first.attributes)).toEqual(['ApproximateReceiveCount', 'SentTimestamp', 'SenderId', 'ApproximateFirstReceiveTimestamp'])
      expect(first.attributes.ApproximateReceiveCount).toBe('1')
      expect(first.attributes.SentTimestamp).toMatch(/^\d{13}$/)
      expect(first.messageAttributes).toEqual({
        color: { stringValue: 'blue', stringListValues: [], binaryListValues: [], dataType: 'String' },
        blob: { binaryValue: Buffer.from('xyz').toString('base64'), stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      })
      const other = got.find((r) => r.body === 'message 1')!
      expect(other.messageAttributes).toEqual({})
      expect(other).not.toHaveProperty('md5OfMessageAttributes')
      await waitUntil(async () => {
        const c = await queueCounts(q.url)
        return c.visible === 0 && c.inFlight === 0
      }, { what: 'the queue to be empty' })
      await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
    })

    it('leaves the messages of a failed batch in the queue; they come back after the visibility timeout', async () => {
      const fn = await deployRecorder('esm-sqs-fail', { MODE: 'fail-first', FAILS: '1' })
      const q = await newQueue(2)
      for (let i = 0; i < 3; i++) await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: `m${i}` }))
      const uuid = await createMapping({ FunctionName: fn.name, EventSourceArn: q.arn })
      await waitUntil(() => records(fn.deliveries()).length >= 6, { what: 'the batch to come back', timeoutMs: 30_000 })
      const ds = fn.deliveries()
      const firstTry = records(ds.slice(0, 1))
      expect(firstTry.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(firstTry.map(() => '1'))
      const again = records(ds.slice(1))
      expect(again.map((r) => r.messageId).sort()).toEqual(firstTry.map((r) => r.messageId).sort())
      expect(again.every((r) => r.attributes.ApproximateReceiveCount === '2')).toBe(true)
      // Not before the visibility timeout (2 s) has passed.
      expect(ds[1]!.t - ds[0]!.t).toBeGreaterThanOrEqual(1500)
      await waitUntil(async () => {
        const c = await queueCounts(q.url)
        return c.visible === 0 && c.inFlight === 0
      })
      await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
    })

    it('with ReportBatchItemFailures deletes only the messages not reported as failed', async () => {
      const fn = await deployRecorder('esm-sqs-partial', { MODE: 'sqs-partial' })
      const q = await newQueue(2)
      for (const b of ['good 1', 'bad 1', 'good 2', 'bad 2']) await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: b }))
      const uuid = await createMapping({ FunctionName: fn.name, EventSourceArn: q.arn, FunctionResponseTypes: ['ReportBatchItemFailures'] })
      // The failed ones come back (receive count 2) without the good ones.
      await waitUntil(() => records(fn.deliveries()).some((r) => r.attributes.ApproximateReceiveCount === '2'), { what: 'the failed messages to come back', timeoutMs: 30_000 })
      const all = records(fn.deliveries())
      expect(all.filter((r) => r.body.startsWith('good')).map((r) => r.body).sort()).toEqual(['good 1', 'good 2'])
      const retried = all.filter((r) => r.attributes.ApproximateReceiveCount !== '1')
      expect(new Set(retried.map((r) => r.body))).toEqual(new Set(['bad 1', 'bad 2']))
      await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
      const c = await queueCounts(q.url)
      expect(c.visible + c.inFlight).toBe(2)
    })
  })

  describe('Kinesis', () => {
    it('delivers the records of a shard in order, in batches of at most BatchSize, with the Kinesis event shape', async () => {
      const fn = await deployRecorder('esm-kinesis')
      const s = await newStream()
      const data = Array.from({ length: 17 }, (_, i) => JSON.stringify({ n: i }))
      const seqs = await putRecords(s.name, data)
      const uuid = await createMapping({ FunctionName: fn.name, EventSourceArn: s.arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 5 })
      await waitUntil(() => records(fn.deliveries()).length >= 17, { what: '17 Kinesis records' })
      const ds = fn.deliveries()
      expect(ds.every((d) => d.event.Records.length <= 5)).toBe(true)
      const rs = records(ds)
      expect(rs.map(kinesisData)).toEqual(data)
      expect(rs.map((r) => r.kinesis.sequenceNumber)).toEqual(seqs)
      const r0 = rs[0]!
      expect(Object.keys(r0)).toEqual(['kinesis', 'eventSource', 'eventVersion', 'eventID', 'eventName', 'invokeIdentityArn', 'awsRegion', 'eventSourceARN'])
      expect(Object.keys(r0.kinesis)).toEqual(['kinesisSchemaVersion', 'partitionKey', 'sequenceNumber', 'data', 'approximateArrivalTimestamp'])
      expect(r0).toMatchObject({
        kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'pk', sequenceNumber: seqs[0] },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${seqs[0]}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: ROLE,
        awsRegion: REGION,
        eventSourceARN: s.arn,
      })
      expect(typeof r0.kinesis.approximateArrivalTimestamp).toBe('number')
      expect(Math.abs(r0.kinesis.approximateArrivalTimestamp - Date.now() / 1000)).toBeLessThan(120)
      await waitUntil(async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).LastProcessingResult === 'OK')
      await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
    })

    it('retries a batch whose sandbox was killed mid-invoke with the same records until it succeeds; nothing is lost', async () => {
      const fn = await deployRecorder('esm-kinesis-kill', { MODE: 'crash-first', FAILS: '2' })
      const s = await newStream()
      const data = Array.from({ length: 12 }, (_, i) => `record ${i}`)
      await putRecords(s.name, data)
      const uuid = await createMapping({ FunctionName: fn.name, EventSourceArn: s.arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 4 })
      await waitUntil(() => records(fn.deliveries().slice(2)).length >= 12, { what: 'every record after the retries', timeoutMs: 30_000 })
      const ds = fn.deliveries()
      // Invokes 1 and 2 died; invoke 3 got the very same batch, in the same order.
      expect(ds[1]!.event.Records).toEqual(ds[0]!.event.Records)
      expect(ds[2]!.event.Records).toEqual(ds[0]!.event.Records)
      expect(records(ds.slice(2)).map(kinesisData)).toEqual(data)
      await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
    })

    it('retries a failed batch from the first record reported in batchItemFailures', async () => {
      const fn = await deployRecorder('esm-kinesis-partial', { MODE: 'stream-partial-once' })
      const s = await newStream()
      const data = Array.from({ length: 6 }, (_, i) => `r${i}`)
      await putRecords(s.name, data)
      const uuid = await createMapping({ FunctionName: fn.name, EventSourceArn: s.arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 6, FunctionResponseTypes: ['ReportBatchItemFailures'] })
      await waitUntil(() => fn.deliveries().length >= 2, { what: 'the retry' })
      const ds = fn.deliveries()
      expect(ds[0]!.event.Records.map(kinesisData)).toEqual(data)
      expect(ds[1]!.event.Records.map(kinesisData)).toEqual(data.slice(2))
      await sleep(500)
      expect(fn.deliveries()).toHaveLength(2)
      await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
    })

    it('gives up on a batch after MaximumRetryAttempts and moves on', async () => {
      const fn = await deployRecorder('esm-kinesis-maxretry', { MODE: 'fail-first', FAILS: '3' })
      const s = await newStream()
      await putRecords(s.name, ['a', 'b', 'c', 'd'])
      const uuid = await createMapping({ FunctionName: fn.name, EventSourceArn: s.arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 2, MaximumRetryAttempts: 1 })
      await waitUntil(() => records(fn.deliveries()).some((r) => kinesisData(r) === 'd'), { what: 'the second batch' })
      await sleep(300)
      // Batch [a,b]: 1 try + 1 retry, dropped. Batch [c,d]: fails once (3rd invoke), retried once, succeeds.
      expect(fn.deliveries().map((d) => d.event.Records.map(kinesisData).join(''))).toEqual(['ab', 'ab', 'cd', 'cd'])
      await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
    })
  })

  describe('Kinesis, BisectBatchOnFunctionError', () => {
    it('splits a failed batch in two and retries the halves, isolating the record that fails', async () => {
      const fn = await deployRecorder('esm-kinesis-bisect', { MODE: 'poison' })
      const s = await newStream()
      await putRecords(s.name, ['a', 'b', 'c', 'poison', 'e'])
      const uuid = await createMapping({ FunctionName: fn.name, EventSourceArn: s.arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 4, BisectBatchOnFunctionError: true, MaximumRetryAttempts: 0 })
      await waitUntil(() => records(fn.deliveries()).some((r) => kinesisData(r) === 'e'), { what: 'the record after the poison one' })
      const batches = fn.deliveries().map((d) => d.event.Records.map(kinesisData).join(','))
      expect(batches).toEqual(['a,b,c,poison', 'a,b', 'c,poison', 'c', 'poison', 'e'])
      await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
    })
  })

  describe('DynamoDB Streams', () => {
    it('delivers INSERT, MODIFY and REMOVE with NEW_AND_OLD_IMAGES in the DynamoDB event shape', async () => {
      const fn = await deployRecorder('esm-ddb')
      const table = uniqueName('t')
      await ddb.send(
        new CreateTableCommand({
          TableName: table,
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        }),
      )
      const streamArn = (await ddb.send(new DescribeTableCommand({ TableName: table }))).Table!.LatestStreamArn!
      const uuid = await createMapping({ FunctionName: fn.name, EventSourceArn: streamArn, StartingPosition: 'TRIM_HORIZON' })
      await ddb.send(new PutItemCommand({ TableName: table, Item: { id: { S: 'k1' }, n: { N: '1' }, b: { B: Buffer.from('bin') }, l: { L: [{ S: 'x' }, { BOOL: true }] } } }))
      await ddb.send(new UpdateItemCommand({ TableName: table, Key: { id: { S: 'k1' } }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': { N: '2' } } }))
      await ddb.send(new DeleteItemCommand({ TableName: table, Key: { id: { S: 'k1' } } }))
      const rs = await waitUntil(() => {
        const all = records(fn.deliveries())
        return all.length >= 3 ? all : undefined
      }, { what: 'three stream records' })
      expect(rs.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE'])
      const [ins, mod, rem] = rs as [Record<string, any>, Record<string, any>, Record<string, any>]
      expect(Object.keys(ins)).toEqual(['eventID', 'eventName', 'eventVersion', 'eventSource', 'awsRegion', 'dynamodb', 'eventSourceARN'])
      expect(ins).toMatchObject({ eventVersion: '1.1', eventSource: 'aws:dynamodb', awsRegion: REGION, eventSourceARN: streamArn })
      expect(ins.dynamodb).toMatchObject({
        Keys: { id: { S: 'k1' } },
        NewImage: { id: { S: 'k1' }, n: { N: '1' }, b: { B: Buffer.from('bin').toString('base64') }, l: { L: [{ S: 'x' }, { BOOL: true }] } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      })
      expect(ins.dynamodb).not.toHaveProperty('OldImage')
      expect(typeof ins.dynamodb.ApproximateCreationDateTime).toBe('number')
      expect(ins.dynamodb.SequenceNumber).toMatch(/^\d+$/)
      expect(typeof ins.dynamodb.SizeBytes).toBe('number')
      expect(mod.dynamodb).toMatchObject({ Keys: { id: { S: 'k1' } }, OldImage: { n: { N: '1' } }, NewImage: { n: { N: '2' } } })
      expect(rem.dynamodb).toMatchObject({ Keys: { id: { S: 'k1' } }, OldImage: { n: { N: '2' } } })
      expect(rem.dynamodb).not.toHaveProperty('NewImage')
      await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
    })
  })

  it('stops polling when its function is deleted', async () => {
    const fn = await deployRecorder('esm-fn-deleted')
    const q = await newQueue()
    const uuid = await createMapping({ FunctionName: fn.name, EventSourceArn: q.arn })
    await lambda.send(new DeleteFunctionCommand({ FunctionName: fn.name }))
    await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'nobody home' }))
    await sleep(1000)
    // The message is neither delivered nor taken from the queue.
    expect(fn.deliveries()).toHaveLength(0)
    expect(await queueCounts(q.url)).toEqual({ visible: 1, inFlight: 0 })
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
  })
})
