/**
 * The stream pollers of event source mappings (Kinesis, DynamoDB Streams): one loop per shard reading records in
 * order, invoking the function with a batch and moving on only when the batch succeeded (or its retries ran
 * out). A failed batch is retried with the same records in the same order; with ReportBatchItemFailures the
 * retry starts at the first failed sequence number. Checkpoints live on the mapping, so a restarted poller
 * (disable/enable) resumes after the last handled record instead of at the starting position.
 */
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand as DdbGetRecordsCommand,
  GetShardIteratorCommand as DdbGetShardIteratorCommand,
  type AttributeValue,
  type _Record as DdbRecord,
} from '@aws-sdk/client-dynamodb-streams'
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  type _Record as KinesisRecord,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { parseBatchItemFailures, pause, type PollerContext } from './mappings.js'

export interface StreamRecord {
  sequenceNumber: string
  /** The record as the function's event carries it. */
  event: Record<string, unknown>
}

export interface StreamSource {
  shards(): Promise<string[]>
  /** An iterator at the mapping's starting position, or just after `afterSequence`. */
  iterator(shardId: string, afterSequence?: string): Promise<string | undefined>
  /** Records from `iterator`; `next` undefined when the shard is closed and read to its end. */
  read(shardId: string, iterator: string, limit: number): Promise<{ records: StreamRecord[]; next?: string }>
  close(): void
}

/** Sequence numbers are decimal strings of up to 128 bits: compare as BigInt. */
const seqLess = (a: string, b: string): boolean => BigInt(a) < BigInt(b)

export async function startStreamPoller(ctx: PollerContext, source: StreamSource): Promise<void> {
  const { signal } = ctx
  const workers = new Map<string, Promise<void>>()
  try {
    while (!signal.aborted) {
      try {
        for (const shardId of await source.shards()) {
          if (!workers.has(shardId)) workers.set(shardId, shardWorker(ctx, source, shardId))
        }
      } catch (e) {
        if (signal.aborted) break
        ctx.log(`listing shards: ${(e as Error).name}: ${(e as Error).message}`)
      }
      // New shards (resharding) are picked up on the next listing.
      await pause(Math.max(ctx.pollIntervalMs, 5000), signal)
    }
    await Promise.all(workers.values())
  } finally {
    source.close()
  }
}

async function shardWorker(ctx: PollerContext, source: StreamSource, shardId: string): Promise<void> {
  const { mapping: m, signal } = ctx
  let iterator: string | undefined
  while (!signal.aborted) {
    try {
      if (!iterator) iterator = await source.iterator(shardId, m.checkpoints.get(shardId))
      if (!iterator) return
      // Do not read (and so fix the batch) before the function can take it.
      if (ctx.functionRole() === '') {
        await pause(ctx.pollIntervalMs, signal)
        continue
      }
      const batch: StreamRecord[] = []
      const deadline = Date.now() + m.batchingWindowS * 1000
      let closed = false
      for (;;) {
        const r = await source.read(shardId, iterator!, m.batchSize - batch.length)
        batch.push(...r.records)
        if (r.next === undefined) {
          closed = true
          break
        }
        iterator = r.next
        if (batch.length >= m.batchSize || Date.now() >= deadline || signal.aborted) break
        if (r.records.length === 0) await pause(Math.min(ctx.pollIntervalMs, Math.max(0, deadline - Date.now())), signal)
      }
      if (batch.length > 0) {
        const handled = await processBatch(ctx, batch)
        if (!handled) return // stopped mid-batch: the checkpoint still points before it
        m.checkpoints.set(shardId, batch.at(-1)!.sequenceNumber)
      }
      if (closed) return
      if (batch.length === 0) await pause(ctx.pollIntervalMs, signal)
    } catch (e) {
      if (signal.aborted) return
      ctx.log(`shard ${shardId}: ${(e as Error).name}: ${(e as Error).message}`)
      // Start again from the checkpoint with a fresh iterator (an expired iterator, a restarted service...).
      iterator = undefined
      await pause(ctx.pollIntervalMs, signal)
    }
  }
}

/**
 * Invokes until the batch is handled or its retries are exhausted (true), or the poller stops (false).
 * Retries keep the records and their order; BisectBatchOnFunctionError splits a failed batch in two and
 * handles the halves in order (splits do not count as retries, as on AWS).
 */
async function processBatch(ctx: PollerContext, records: StreamRecord[]): Promise<boolean> {
  const { mapping: m, signal } = ctx
  let batch = records
  let retries = 0
  for (;;) {
    const r = await ctx.invoke({ Records: batch.map((x) => x.event) })
    if (r.kind === 'stopped') return false
    if (r.kind === 'unavailable') {
      if (!(await pause(Math.min(ctx.pollIntervalMs, 250), signal))) return false
      continue
    }
    let failedFrom: number | null = null // index of the first record to retry; null = all handled
    if (r.kind === 'error') failedFrom = 0
    else if (m.functionResponseTypes.includes('ReportBatchItemFailures')) {
      const failed = parseBatchItemFailures(r.body, new Set(batch.map((x) => x.sequenceNumber)))
      if (failed === null) failedFrom = 0
      else if (failed.length > 0) {
        // Lambda retries from the lowest reported sequence number; everything before it is checkpointed.
        const lowest = failed.reduce((a, b) => (seqLess(b, a) ? b : a))
        failedFrom = batch.findIndex((x) => x.sequenceNumber === lowest)
      }
    }
    if (failedFrom === null) {
      m.lastProcessingResult = 'OK'
      return true
    }
    m.lastProcessingResult = 'PROBLEM: Function call failed'
    if (m.bisectBatchOnFunctionError && failedFrom === 0 && batch.length > 1) {
      const half = Math.ceil(batch.length / 2)
      for (const part of [batch.slice(0, half), batch.slice(half)]) {
        if (!(await processBatch(ctx, part))) return false
      }
      return true
    }
    batch = batch.slice(failedFrom)
    retries++
    if (m.maximumRetryAttempts >= 0 && retries > m.maximumRetryAttempts) {
      // Retries exhausted: AWS sends the batch's metadata to the OnFailure destination (none here) and moves on.
      ctx.log(`batch of ${batch.length} record(s) discarded after ${m.maximumRetryAttempts} retries`)
      return true
    }
    if (!(await pause(Math.min(ctx.retryDelayMs * retries, 10 * ctx.retryDelayMs), signal))) return false
  }
}

// ------------------------------------------------------------------ Kinesis

const streamNameOf = (arn: string): string => arn.slice(arn.indexOf(':stream/') + ':stream/'.length)

export function kinesisSource(ctx: PollerContext): StreamSource {
  const { mapping: m, signal } = ctx
  const client = new KinesisClient({ endpoint: ctx.services.endpoint, region: ctx.services.region, credentials: ctx.services.credentials, maxAttempts: 1, requestHandler: new NodeHttpHandler() })
  const opts = { abortSignal: signal }
  const StreamName = streamNameOf(m.eventSourceArn)
  return {
    async shards() {
      const out: string[] = []
      let NextToken: string | undefined
      do {
        const r = await client.send(new ListShardsCommand(NextToken ? { NextToken } : { StreamName }), opts)
        out.push(...(r.Shards ?? []).map((s) => s.ShardId!))
        NextToken = r.NextToken
      } while (NextToken)
      return out
    },
    async iterator(ShardId, after) {
      const type: ShardIteratorType = after ? 'AFTER_SEQUENCE_NUMBER' : (m.startingPosition as ShardIteratorType)
      const r = await client.send(
        new GetShardIteratorCommand({
          StreamName,
          ShardId,
          ShardIteratorType: type,
          ...(after ? { StartingSequenceNumber: after } : {}),
          ...(type === 'AT_TIMESTAMP' ? { Timestamp: new Date(m.startingPositionTimestamp! * 1000) } : {}),
        }),
        opts,
      )
      return r.ShardIterator
    },
    async read(shardId, ShardIterator, limit) {
      const r = await client.send(new GetRecordsCommand({ ShardIterator, Limit: Math.max(1, Math.min(limit, 10_000)) }), opts)
      return { records: (r.Records ?? []).map((rec) => ({ sequenceNumber: rec.SequenceNumber!, event: kinesisRecord(rec, shardId, ctx) })), next: r.NextShardIterator ?? undefined }
    },
    close: () => client.destroy(),
  }
}

/** One Kinesis record of the event (LB §7, ALG `kinesis-event.json`). */
export function kinesisRecord(rec: KinesisRecord, shardId: string, ctx: PollerContext): Record<string, unknown> {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: rec.PartitionKey,
      sequenceNumber: rec.SequenceNumber,
      data: Buffer.from(rec.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: (rec.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${rec.SequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: ctx.functionRole(),
    awsRegion: ctx.region,
    eventSourceARN: ctx.mapping.eventSourceArn,
  }
}

// ------------------------------------------------------------------ DynamoDB Streams

export function dynamodbStreamSource(ctx: PollerContext): StreamSource {
  const { mapping: m, signal } = ctx
  const client = new DynamoDBStreamsClient({ endpoint: ctx.services.endpoint, region: ctx.services.region, credentials: ctx.services.credentials, maxAttempts: 1, requestHandler: new NodeHttpHandler() })
  const opts = { abortSignal: signal }
  const StreamArn = m.eventSourceArn
  return {
    async shards() {
      // Parents come before children in DescribeStream's list; each shard is read by its own loop.
      const out: string[] = []
      let ExclusiveStartShardId: string | undefined
      do {
        const r = await client.send(new DescribeStreamCommand({ StreamArn, ...(ExclusiveStartShardId ? { ExclusiveStartShardId } : {}) }), opts)
        out.push(...(r.StreamDescription?.Shards ?? []).map((s) => s.ShardId!))
        ExclusiveStartShardId = r.StreamDescription?.LastEvaluatedShardId
      } while (ExclusiveStartShardId)
      return out
    },
    async iterator(ShardId, after) {
      const r = await client.send(
        new DdbGetShardIteratorCommand({
          StreamArn,
          ShardId,
          ShardIteratorType: after ? 'AFTER_SEQUENCE_NUMBER' : (m.startingPosition as 'TRIM_HORIZON' | 'LATEST'),
          ...(after ? { SequenceNumber: after } : {}),
        }),
        opts,
      )
      return r.ShardIterator
    },
    async read(_shardId, ShardIterator, limit) {
      const r = await client.send(new DdbGetRecordsCommand({ ShardIterator, Limit: Math.max(1, Math.min(limit, 1000)) }), opts)
      return { records: (r.Records ?? []).map((rec) => ({ sequenceNumber: rec.dynamodb?.SequenceNumber ?? '0', event: dynamodbRecord(rec, ctx) })), next: r.NextShardIterator ?? undefined }
    },
    close: () => client.destroy(),
  }
}

/** An attribute value back in DynamoDB's JSON form (binary as base64), as Lambda delivers it. */
export function attributeValueJson(v: AttributeValue): Record<string, unknown> {
  const a = v as unknown as Record<string, unknown>
  if (a.B !== undefined) return { B: Buffer.from(a.B as Uint8Array).toString('base64') }
  if (a.BS !== undefined) return { BS: (a.BS as Uint8Array[]).map((b) => Buffer.from(b).toString('base64')) }
  if (a.L !== undefined) return { L: (a.L as AttributeValue[]).map(attributeValueJson) }
  if (a.M !== undefined) return { M: imageJson(a.M as Record<string, AttributeValue>) }
  for (const k of ['S', 'N', 'BOOL', 'NULL', 'SS', 'NS']) if (a[k] !== undefined) return { [k]: a[k] }
  return {}
}

const imageJson = (img: Record<string, AttributeValue>): Record<string, unknown> => Object.fromEntries(Object.entries(img).map(([k, v]) => [k, attributeValueJson(v)]))

/** One DynamoDB Streams record of the event (LB §7, ALG `dynamodb-event.json`). */
export function dynamodbRecord(rec: DdbRecord, ctx: PollerContext): Record<string, unknown> {
  const d = rec.dynamodb ?? {}
  return {
    eventID: rec.eventID,
    eventName: rec.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: ctx.region,
    dynamodb: {
      ApproximateCreationDateTime: Math.floor((d.ApproximateCreationDateTime?.getTime() ?? Date.now()) / 1000),
      Keys: imageJson(d.Keys ?? {}),
      ...(d.NewImage ? { NewImage: imageJson(d.NewImage) } : {}),
      ...(d.OldImage ? { OldImage: imageJson(d.OldImage) } : {}),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType,
    },
    ...(rec.userIdentity ? { userIdentity: { type: rec.userIdentity.Type, principalId: rec.userIdentity.PrincipalId } } : {}),
    eventSourceARN: ctx.mapping.eventSourceArn,
  }
}
