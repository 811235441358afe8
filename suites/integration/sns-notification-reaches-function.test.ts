import { isDeepStrictEqual } from 'node:util'
import { AddPermissionCommand } from '@aws-sdk/client-lambda'
import { CreateTopicCommand, DeleteTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns'
import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { accountRecords, recordSummaries, shapeReports, union } from '../../lib/conformance/integration.js'
import { waitForLogLines } from '../../lib/conformance/logs.js'
import { awsClient, resourceName } from '../../lib/targets/target.js'

export const behaviour = defineBehaviour({
  id: 'INTEG-SNS-001',
  title: 'every SNS notification reaches the subscribed function once in aws-lambda-go\'s SNSEvent shape, with its subject and message attributes',
  level: 'MUST',
  suite: 'integration',
  source:
    'lambda-behavior.md §7 "SNS" (recorded from AWS; aws-lambda-go events/testdata/sns-event.json); AWS Lambda developer guide "Invoking Lambda functions with Amazon SNS notifications" (asynchronous invoke, resource-based policy for sns.amazonaws.com)',
  needsServices: true,
  timeoutMs: 120_000,
})

const N = 3

conformance(behaviour, async (t) => {
  const sns = awsClient(SNSClient, t.target)
  const fn = await t.deploy({ probe: 'event-shape', env: { PROBE_EVENT_KIND: 'sns' }, timeout: 10 })
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: resourceName(t.target, t.shim.name, 'sns', Date.now()) }))
  try {
    // The SDK path needs the permission the console would add (SNS invokes through the function's policy).
    await fn.client.send(new AddPermissionCommand({ FunctionName: fn.name, StatementId: 'sns-topic', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: TopicArn }))
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: fn.arn, ReturnSubscriptionArn: true }))
    const sent = new Map<string, { Subject: string; Message: string; MessageAttributes: Record<string, { Type: string; Value: string }> }>()
    for (let i = 0; i < N; i++) {
      const blob = Buffer.from([0, i, 0xfe, 0xff])
      const message = JSON.stringify({ n: i, text: `notification ${i} "quoted" & <tagged>` })
      const out = await sns.send(
        new PublishCommand({
          TopicArn,
          Message: message,
          Subject: `conformance ${i}`,
          MessageAttributes: {
            Origin: { DataType: 'String', StringValue: 'conformance' },
            Seq: { DataType: 'Number', StringValue: String(i) },
            Blob: { DataType: 'Binary', BinaryValue: blob },
          },
        }),
      )
      sent.set(out.MessageId!, {
        Subject: `conformance ${i}`,
        Message: message,
        MessageAttributes: { Origin: { Type: 'String', Value: 'conformance' }, Seq: { Type: 'Number', Value: String(i) }, Blob: { Type: 'Binary', Value: blob.toString('base64') } },
      })
    }
    const ids = [...sent.keys()]
    const read = await waitForLogLines(t.target, fn.name, { terms: ['probe-'], until: (lines) => ids.every((id) => accountRecords(lines, 'sns').handled.has(id)), timeoutMs: 60_000 })
    const account = accountRecords(read.lines, 'sns')
    const shapes = shapeReports(read.lines, 'sns')
    const received = new Map(recordSummaries(read.lines, 'sns').map((r) => [r.id, r.summary]))
    // A delivered message whose logged summary cannot be read back counts as not as sent (received: null).
    const mismatched = ids.filter((id) => account.handled.has(id) && !isDeepStrictEqual(received.get(id), sent.get(id)))
    const handled = ids.filter((id) => account.handled.has(id)).length
    const duplicates = [...account.handled.values()].reduce((n, c) => n + c - 1, 0)
    const shapeNote = (xs: string[][]): string => (union(xs).length === 0 ? 'ok' : union(xs).join(', '))
    const observed = {
      summary: `${handled}/${N} delivered, ${duplicates} duplicates, ${mismatched.length} with subject, message or attributes not as sent; unknown fields: ${shapeNote(shapes.map((s) => s.unknownFields))}; missing: ${shapeNote(shapes.map((s) => s.missingFields))}`,
      sent: N,
      handled,
      duplicates,
      recordsPerEvent: [...new Set(shapes.map((s) => s.records))],
      decodeErrors: shapes.filter((s) => s.decodeError !== '').map((s) => s.decodeError),
      unknownFields: union(shapes.map((s) => s.unknownFields)),
      missingFields: union(shapes.map((s) => s.missingFields)),
      notAsSent: mismatched.map((id) => ({ id, sent: sent.get(id), received: received.get(id) ?? null })),
    }
    t.expect({ sent: N, handled: N, duplicates: 0, recordsPerEvent: [1], decodeErrors: [], unknownFields: [], missingFields: [], notAsSent: [] })
    t.observe(observed)
    expect(read.satisfied, `only ${handled} of ${N} notifications reached the function`).toBe(true)
    expect(observed.handled).toBe(N)
    expect(observed.duplicates).toBe(0)
    expect(observed.recordsPerEvent).toEqual([1])
    expect(observed.decodeErrors).toEqual([])
    expect(observed.unknownFields).toEqual([])
    expect(observed.missingFields).toEqual([])
    expect(observed.notAsSent).toEqual([])
  } finally {
    await sns.send(new DeleteTopicCommand({ TopicArn })).catch(() => {})
  }
})
