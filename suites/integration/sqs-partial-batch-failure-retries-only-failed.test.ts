import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs'
import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { accountRecords, mapSource } from '../../lib/conformance/integration.js'
import { waitForLogLines } from '../../lib/conformance/logs.js'
import { awsClient, resourceName } from '../../lib/targets/target.js'

export const behaviour = defineBehaviour({
  id: 'INTEG-SQS-002',
  title: 'with ReportBatchItemFailures, only the messages a Go handler reports as failed come back; the rest are deleted',
  level: 'MUST',
  suite: 'integration',
  source: 'lambda-behavior.md §7 "Partial batch response" (aws-lambda-go events.SQSEventResponse); AWS Lambda developer guide "Implementing partial batch responses"',
  needsServices: true,
  timeoutMs: 120_000,
})

conformance(behaviour, async (t) => {
  const sqs = awsClient(SQSClient, t.target)
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: resourceName(t.target, t.shim.name, 'partial', Date.now()), Attributes: { VisibilityTimeout: '1' } }))
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!
  const fn = await t.deploy({ probe: 'batch', env: { PROBE_EVENT_KIND: 'sqs', PROBE_FAIL_MARKER: 'poison' }, timeout: 10 })
  await mapSource(fn, { EventSourceArn: queueArn, BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] })
  const bodies = ['good-0', 'poison-1', 'good-2', 'good-3', 'poison-4', 'good-5']
  const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.QueueUrl, Entries: bodies.map((b, i) => ({ Id: `m${i}`, MessageBody: b })) }))
  const idOf = new Map((out.Successful ?? []).map((s) => [bodies[Number(s.Id!.slice(1))]!, s.MessageId!]))
  const good = bodies.filter((b) => b.startsWith('good')).map((b) => idOf.get(b)!)
  const poison = bodies.filter((b) => b.startsWith('poison')).map((b) => idOf.get(b)!)
  // Failed messages come back after the 1 s visibility timeout; wait for two deliveries of each.
  const read = await waitForLogLines(t.target, fn.name, {
    terms: ['probe-record'],
    until: (lines) => {
      const a = accountRecords(lines, 'sqs')
      return good.every((id) => a.handled.has(id)) && poison.every((id) => (a.handled.get(id) ?? 0) >= 2)
    },
    timeoutMs: 60_000,
  })
  const a = accountRecords(read.lines, 'sqs')
  // Long enough for a wrongly kept good message to become visible again and be redelivered.
  await new Promise((r) => setTimeout(r, 2500))
  const after = accountRecords((await waitForLogLines(t.target, fn.name, { terms: ['probe-record'], until: () => true })).lines, 'sqs')
  const attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes!
  const observed = {
    summary: `good handled ${good.map((id) => a.handled.get(id) ?? 0).join('/')}, ${good.filter((id) => (after.handled.get(id) ?? 0) > 1).length} redelivered; failed ones retried: ${poison.every((id) => (a.handled.get(id) ?? 0) >= 2) ? 'yes' : 'NO'}; ${Number(attrs.ApproximateNumberOfMessages) + Number(attrs.ApproximateNumberOfMessagesNotVisible)} left in queue`,
    goodHandled: good.map((id) => a.handled.get(id) ?? 0),
    goodRedelivered: good.filter((id) => (after.handled.get(id) ?? 0) > 1).length,
    poisonHandledAtLeastTwice: poison.every((id) => (a.handled.get(id) ?? 0) >= 2),
    stillInQueue: Number(attrs.ApproximateNumberOfMessages) + Number(attrs.ApproximateNumberOfMessagesNotVisible),
  }
  t.expect({ goodHandled: [1, 1, 1, 1], goodRedelivered: 0, poisonHandledAtLeastTwice: true, stillInQueue: 2 })
  t.observe(observed)
  expect(read.satisfied, 'not every message was handled (and the poison ones retried) in time').toBe(true)
  expect(observed.goodRedelivered).toBe(0)
  expect(observed.poisonHandledAtLeastTwice).toBe(true)
  expect(observed.stillInQueue).toBe(2)
})
