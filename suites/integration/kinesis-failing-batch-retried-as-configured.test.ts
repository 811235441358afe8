import { CreateStreamCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis'
import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { accountRecords, activeStream, mapSource } from '../../lib/conformance/integration.js'
import { waitForLogLines } from '../../lib/conformance/logs.js'
import { awsClient, resourceName } from '../../lib/targets/target.js'

export const behaviour = defineBehaviour({
  id: 'INTEG-KINESIS-003',
  title: 'a batch the Go handler fails is retried MaximumRetryAttempts times, then the shard moves on',
  level: 'MUST',
  suite: 'integration',
  source: 'AWS Lambda API reference, CreateEventSourceMapping "MaximumRetryAttempts" (streams: retry until the record expires or the attempts are used up)',
  needsServices: true,
  timeoutMs: 120_000,
})

const RETRIES = 2

conformance(behaviour, async (t) => {
  const kinesis = awsClient(KinesisClient, t.target)
  const name = resourceName(t.target, t.shim.name, 'retry', Date.now())
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }))
  const arn = await activeStream(kinesis, name)
  const fn = await t.deploy({ probe: 'batch', env: { PROBE_EVENT_KIND: 'kinesis', PROBE_FAIL_MARKER: 'poison', PROBE_FAIL_MODE: 'error' }, timeout: 10 })
  const seq: string[] = []
  for (const body of ['first', 'poison', 'last']) {
    seq.push((await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'one-shard', Data: Buffer.from(JSON.stringify({ body })) }))).SequenceNumber!)
  }
  // One record per batch, so the poison record is a batch of its own.
  await mapSource(fn, { EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 1, MaximumRetryAttempts: RETRIES })
  const read = await waitForLogLines(t.target, fn.name, { terms: ['probe-record'], until: (lines) => accountRecords(lines, 'kinesis').handled.has(seq[2]!), timeoutMs: 60_000 })
  const a = accountRecords(read.lines, 'kinesis')
  const attempts = seq.map((s) => a.handled.get(s) ?? 0)
  const observed = { summary: `attempts per record first/poison/last: ${attempts.join('/')}`, attempts, shardMovedOn: a.handled.has(seq[2]!) }
  t.expect({ attempts: [1, 1 + RETRIES, 1], shardMovedOn: true })
  t.observe(observed)
  expect(read.satisfied, 'the record after the failing one was never handled: the shard did not move on').toBe(true)
  expect(attempts).toEqual([1, 1 + RETRIES, 1])
})
