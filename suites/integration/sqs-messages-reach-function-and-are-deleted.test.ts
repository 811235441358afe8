import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs'
import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { accountRecords, mapSource, shapeReports, union } from '../../lib/conformance/integration.js'
import { waitForLogLines } from '../../lib/conformance/logs.js'
import { awsClient, resourceName } from '../../lib/targets/target.js'

export const behaviour = defineBehaviour({
  id: 'INTEG-SQS-001',
  title: 'every SQS message reaches the function once in aws-lambda-go\'s SQSEvent shape, and the queue is drained',
  level: 'MUST',
  suite: 'integration',
  source: 'lambda-behavior.md §7 "SQS" (recorded from AWS 2025-11); AWS Lambda developer guide "Using Lambda with Amazon SQS" (delete on success)',
  needsServices: true,
  timeoutMs: 120_000,
})

const N = 12

conformance(behaviour, async (t) => {
  const sqs = awsClient(SQSClient, t.target)
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: resourceName(t.target, t.shim.name, Date.now()), Attributes: { VisibilityTimeout: '5' } }))
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!
  const fn = await t.deploy({ probe: 'event-shape', env: { PROBE_EVENT_KIND: 'sqs' }, timeout: 10 })
  await mapSource(fn, { EventSourceArn: queueArn, BatchSize: 5 })
  const sent: string[] = []
  for (let i = 0; i < N; i += 6) {
    const entries = Array.from({ length: Math.min(6, N - i) }, (_, j) => ({
      Id: `m${i + j}`,
      MessageBody: JSON.stringify({ n: i + j }),
      MessageAttributes: { Origin: { DataType: 'String', StringValue: 'conformance' }, Seq: { DataType: 'Number', StringValue: String(i + j) } },
    }))
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.QueueUrl, Entries: entries }))
    sent.push(...(out.Successful ?? []).map((s) => s.MessageId!))
  }
  const read = await waitForLogLines(t.target, fn.name, { terms: ['probe-'], until: (lines) => sent.every((id) => accountRecords(lines, 'sqs').handled.has(id)), timeoutMs: 60_000 })
  const account = accountRecords(read.lines, 'sqs')
  const shapes = shapeReports(read.lines, 'sqs')
  let left = Number.NaN
  for (let i = 0; i < 40; i++) {
    const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes!
    left = Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible)
    if (left === 0) break
    await new Promise((r) => setTimeout(r, 250))
  }
  const handledCount = sent.filter((id) => account.handled.has(id)).length
  const dupCount = [...account.handled.values()].reduce((n, c) => n + c - 1, 0)
  const shapeNote = (xs: string[][]) => (union(xs).length === 0 ? 'ok' : union(xs).join(', '))
  const shapeIds = new Set(shapes.flatMap((s) => s.ids))
  const observed = {
    summary: `${handledCount}/${sent.length} handled, ${dupCount} duplicates, ${shapes.length} invokes; unknown fields: ${shapeNote(shapes.map((s) => s.unknownFields))}; missing: ${shapeNote(shapes.map((s) => s.missingFields))}; left in queue: ${left}`,
    sent: sent.length,
    handled: sent.filter((id) => account.handled.has(id)).length,
    duplicates: [...account.handled.values()].reduce((n, c) => n + c - 1, 0),
    invokes: shapes.length,
    // The shape reports are the evidence of what the function decoded: every message must be in one.
    shapeReportedFor: sent.filter((id) => shapeIds.has(id)).length,
    largestBatch: Math.max(0, ...shapes.map((s) => s.records)),
    decodeErrors: shapes.filter((s) => s.decodeError !== '').map((s) => s.decodeError),
    unknownFields: union(shapes.map((s) => s.unknownFields)),
    missingFields: union(shapes.map((s) => s.missingFields)),
    leftInQueue: left,
  }
  t.expect({ sent: N, handled: N, shapeReportedFor: N, duplicates: 0, largestBatch: '≤ 5', decodeErrors: [], unknownFields: [], missingFields: [], leftInQueue: 0 })
  t.observe(observed)
  expect(read.satisfied, `only ${observed.handled} of ${N} messages were handled`).toBe(true)
  expect(observed.handled).toBe(N)
  expect(observed.duplicates).toBe(0)
  expect(observed.shapeReportedFor, 'the shape reports the function logged could not be read back for every message').toBe(N)
  expect(observed.largestBatch).toBeLessThanOrEqual(5)
  expect(observed.decodeErrors).toEqual([])
  expect(observed.unknownFields).toEqual([])
  expect(observed.missingFields).toEqual([])
  expect(observed.leftInQueue).toBe(0)
})
