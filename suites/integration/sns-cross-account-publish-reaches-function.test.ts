import { isDeepStrictEqual } from 'node:util'
import { AddPermissionCommand } from '@aws-sdk/client-lambda'
import { CreateTopicCommand, DeleteTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { expect } from 'vitest'
import { resourceName } from '../../lib/targets/target.js'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { accountRecords, recordSummaries, shapeReports, union } from '../../lib/conformance/integration.js'
import { waitForLogLines } from '../../lib/conformance/logs.js'
import type { TargetInfo } from '../../lib/targets/target.js'

export const behaviour = defineBehaviour({
  id: 'INTEG-SNS-002',
  title: 'a message published to a topic in a second account reaches a function in the first once its policy allows the topic',
  level: 'MUST',
  suite: 'integration',
  source:
    'AWS Lambda developer guide "Invoking Lambda functions with Amazon SNS notifications" (cross-account: AddPermission for sns.amazonaws.com with the topic as SourceArn, subscription from the topic\'s account); lambda-behavior.md §7 "SNS"',
  needsServices: true,
  timeoutMs: 120_000,
})

/** The second account: the topic lives here, the function in the target's own account. */
const OTHER_ACCOUNT = '111111111111'

/**
 * An SNS client acting as OTHER_ACCOUNT. Local targets (the embedded target's moto, LocalStack) take a 12-digit
 * access key id as the account.
 */
function snsAs(account: string, t: TargetInfo): SNSClient {
  return new SNSClient({ endpoint: t.endpoint, region: t.region, credentials: { accessKeyId: account, secretAccessKey: 'conformance' }, maxAttempts: 1, requestHandler: new NodeHttpHandler() })
}

conformance(behaviour, async (t) => {
  const sns = snsAs(OTHER_ACCOUNT, t.target)
  const fn = await t.deploy({ probe: 'event-shape', env: { PROBE_EVENT_KIND: 'sns' }, timeout: 10 })
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: resourceName(t.target, t.shim.name, 'xacct', Date.now()) }))
  try {
    const topicAccount = TopicArn!.split(':')[4]
    await fn.client.send(
      new AddPermissionCommand({ FunctionName: fn.name, StatementId: 'sns-other-account', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: TopicArn }),
    )
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: fn.arn, ReturnSubscriptionArn: true }))
    const message = JSON.stringify({ from: OTHER_ACCOUNT })
    const out = await sns.send(new PublishCommand({ TopicArn, Message: message, Subject: 'cross-account', MessageAttributes: { Origin: { DataType: 'String', StringValue: OTHER_ACCOUNT } } }))
    const id = out.MessageId!
    const read = await waitForLogLines(t.target, fn.name, { terms: ['probe-'], until: (lines) => accountRecords(lines, 'sns').handled.has(id), timeoutMs: 60_000 })
    const shapes = shapeReports(read.lines, 'sns')
    const received = recordSummaries(read.lines, 'sns').find((r) => r.id === id)?.summary
    const sent = { Subject: 'cross-account', Message: message, MessageAttributes: { Origin: { Type: 'String', Value: OTHER_ACCOUNT } } }
    const observed = {
      summary: `topic in ${topicAccount}, function in ${t.target.accountId}: ${received ? 'delivered' : 'not delivered'}${received && !isDeepStrictEqual(received, sent) ? ' (not as sent)' : ''}`,
      topicAccount,
      delivered: accountRecords(read.lines, 'sns').handled.get(id) ?? 0,
      received: received ?? null,
      decodeErrors: shapes.filter((s) => s.decodeError !== '').map((s) => s.decodeError),
      unknownFields: union(shapes.map((s) => s.unknownFields)),
      missingFields: union(shapes.map((s) => s.missingFields)),
    }
    t.expect({ topicAccount: OTHER_ACCOUNT, delivered: 1, received: sent, decodeErrors: [], unknownFields: [], missingFields: [] })
    t.observe(observed)
    expect(topicAccount).toBe(OTHER_ACCOUNT)
    expect(read.satisfied, 'the message from the other account never reached the function').toBe(true)
    expect(observed.delivered).toBe(1)
    expect(observed.received).toEqual(sent)
    expect(shapes.length, 'no shape report could be read back from the log').toBeGreaterThan(0)
    expect(observed.decodeErrors).toEqual([])
    expect(observed.unknownFields).toEqual([])
    expect(observed.missingFields).toEqual([])
  } finally {
    await sns.send(new DeleteTopicCommand({ TopicArn })).catch(() => {})
  }
})
