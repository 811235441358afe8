/**
 * The SQS poller of an event source mapping: long-polls the queue, invokes the function with a batch, deletes
 * what was handled. A failed batch stays in the queue and comes back after its visibility timeout, as on AWS.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { parseBatchItemFailures, pause, type PollerContext } from './mappings.js'

/** System attributes Lambda passes on in `attributes` (LB §7; FIFO queues add the last three). */
const PASSED_ATTRIBUTES = [
  'ApproximateReceiveCount',
  'SentTimestamp',
  'SenderId',
  'ApproximateFirstReceiveTimestamp',
  'AWSTraceHeader',
  'SequenceNumber',
  'MessageGroupId',
  'MessageDeduplicationId',
]

const b64 = (u: Uint8Array | undefined): string | undefined => (u === undefined ? undefined : Buffer.from(u).toString('base64'))

function messageAttribute(a: MessageAttributeValue): Record<string, unknown> {
  return {
    ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : {}),
    ...(a.BinaryValue !== undefined ? { binaryValue: b64(a.BinaryValue) } : {}),
    stringListValues: a.StringListValues ?? [],
    binaryListValues: (a.BinaryListValues ?? []).map((v) => b64(v)),
    dataType: a.DataType,
  }
}

/** One SQS record of the event (LB §7, field names and order of ALG `sqs-event.json`). */
export function sqsRecord(msg: Message, eventSourceArn: string, region: string): Record<string, unknown> {
  const attrs: Record<string, string> = {}
  for (const k of PASSED_ATTRIBUTES) {
    const v = msg.Attributes?.[k as keyof typeof msg.Attributes]
    if (v !== undefined) attrs[k] = v
  }
  const msgAttrs = Object.fromEntries(Object.entries(msg.MessageAttributes ?? {}).map(([k, v]) => [k, messageAttribute(v)]))
  return {
    messageId: msg.MessageId,
    receiptHandle: msg.ReceiptHandle,
    body: msg.Body ?? '',
    attributes: attrs,
    messageAttributes: msgAttrs,
    ...(Object.keys(msgAttrs).length > 0 && msg.MD5OfMessageAttributes ? { md5OfMessageAttributes: msg.MD5OfMessageAttributes } : {}),
    md5OfBody: msg.MD5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: eventSourceArn,
    awsRegion: region,
  }
}

/** `arn:aws:sqs:<region>:<account>:<name>` → name and owner. */
function parseQueueArn(arn: string): { name: string; account: string } {
  const p = arn.split(':')
  return { name: p.slice(5).join(':'), account: p[4] ?? '' }
}

export async function startSqsPoller(ctx: PollerContext): Promise<void> {
  const { mapping: m, signal } = ctx
  const sqs = new SQSClient({ endpoint: ctx.services.endpoint, region: ctx.services.region, credentials: ctx.services.credentials, maxAttempts: 1, requestHandler: new NodeHttpHandler() })
  const opts = { abortSignal: signal }
  try {
    let queueUrl: string | undefined
    while (!signal.aborted) {
      try {
        if (!queueUrl) {
          const q = parseQueueArn(m.eventSourceArn)
          queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: q.name, QueueOwnerAWSAccountId: q.account }), opts)).QueueUrl
        }
        const batch = await receiveBatch(sqs, queueUrl!, ctx)
        if (batch.length === 0) continue
        await handleBatch(sqs, queueUrl!, batch, ctx)
      } catch (e) {
        if (signal.aborted) break
        ctx.log(`SQS: ${(e as Error).name}: ${(e as Error).message}`)
        queueUrl = undefined
        await pause(ctx.pollIntervalMs, signal)
      }
    }
  } finally {
    sqs.destroy()
  }
}

/** Up to BatchSize messages: one long poll, then more receives until the batch is full or the batching window ends. */
async function receiveBatch(sqs: SQSClient, queueUrl: string, ctx: PollerContext): Promise<Message[]> {
  const { mapping: m, signal } = ctx
  const out: Message[] = []
  // The function must exist before messages are taken from the queue (taking them hides them for a while).
  while (!(await functionReady(ctx))) if (!(await pause(ctx.pollIntervalMs, signal))) return out
  const receive = async (waitS: number): Promise<Message[]> => {
    const r = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, m.batchSize - out.length),
        WaitTimeSeconds: waitS,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: signal },
    )
    return r.Messages ?? []
  }
  out.push(...(await receive(Math.max(1, Math.min(20, m.batchingWindowS || 20)))))
  if (out.length === 0 || m.batchingWindowS === 0) return out
  const deadline = Date.now() + m.batchingWindowS * 1000
  while (out.length < m.batchSize && !signal.aborted) {
    const left = deadline - Date.now()
    if (left <= 0) break
    const more = await receive(Math.min(20, Math.floor(left / 1000)))
    out.push(...more)
    if (more.length === 0 && left < 1000) break
  }
  return out
}

async function functionReady(ctx: PollerContext): Promise<boolean> {
  return ctx.functionRole() !== ''
}

async function handleBatch(sqs: SQSClient, queueUrl: string, batch: Message[], ctx: PollerContext): Promise<void> {
  const { mapping: m, signal } = ctx
  const event = { Records: batch.map((msg) => sqsRecord(msg, m.eventSourceArn, ctx.region)) }
  for (;;) {
    const r = await ctx.invoke(event)
    if (r.kind === 'stopped') return
    if (r.kind === 'unavailable' && r.reason === 'function not found') {
      // Deleted under the poller: give the messages back at once rather than hiding them for the visibility timeout.
      for (let i = 0; i < batch.length; i += 10) {
        const chunk = batch.slice(i, i + 10)
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((msg, j) => ({ Id: String(j), ReceiptHandle: msg.ReceiptHandle!, VisibilityTimeout: 0 })) }),
          { abortSignal: signal },
        )
      }
      return
    }
    if (r.kind === 'unavailable') {
      // Throttled or not yet Active: keep the batch and try again shortly (the messages stay hidden meanwhile).
      if (!(await pause(Math.min(ctx.pollIntervalMs, 250), signal))) return
      continue
    }
    if (r.kind === 'error') {
      m.lastProcessingResult = 'PROBLEM: Function call failed'
      return
    }
    let done = batch
    if (m.functionResponseTypes.includes('ReportBatchItemFailures')) {
      const failed = parseBatchItemFailures(r.body, new Set(batch.map((b) => b.MessageId!)))
      if (failed === null) {
        m.lastProcessingResult = 'PROBLEM: Function call failed'
        return
      }
      const f = new Set(failed)
      done = batch.filter((b) => !f.has(b.MessageId!))
    }
    m.lastProcessingResult = 'OK'
    for (let i = 0; i < done.length; i += 10) {
      const chunk = done.slice(i, i + 10)
      await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((msg, j) => ({ Id: String(j), ReceiptHandle: msg.ReceiptHandle! })) }),
        { abortSignal: signal },
      )
    }
    return
  }
}
