import fs from 'node:fs'
import path from 'node:path'
import { CreateStreamCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis'
import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { accountRecords, activeStream, mapSource, sharedHostDir } from '../../lib/conformance/integration.js'
import { waitForLogLines } from '../../lib/conformance/logs.js'
import { awsClient, resourceName } from '../../lib/targets/target.js'

export const behaviour = defineBehaviour({
  id: 'INTEG-KINESIS-002',
  title: 'a sandbox killed in the middle of a Kinesis batch loses no record: the batch is retried and every record handled',
  level: 'MUST',
  suite: 'integration',
  source: 'AWS Lambda developer guide "Using Lambda with Kinesis" (a failed batch is retried until it succeeds or the records expire; the shard does not advance)',
  needsServices: true,
  timeoutMs: 120_000,
})

const N = 10

conformance(behaviour, async (t) => {
  const kinesis = awsClient(KinesisClient, t.target)
  const name = resourceName(t.target, t.shim.name, 'kill', Date.now())
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }))
  const arn = await activeStream(kinesis, name)
  // Outside the sandbox (its /tmp is private), so the retry in a new environment sees that the crash happened.
  const crashFile = path.join(sharedHostDir('glc-crash-'), 'crashed')
  const fn = await t.deploy({ probe: 'batch', env: { PROBE_EVENT_KIND: 'kinesis', PROBE_CRASH_ONCE_FILE: crashFile }, timeout: 10 })
  const sequenceNumbers: string[] = []
  for (let i = 0; i < N; i++) {
    const out = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'one-shard', Data: Buffer.from(JSON.stringify({ seq: i })) }))
    sequenceNumbers.push(out.SequenceNumber!)
  }
  await mapSource(fn, { EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: N })
  const read = await waitForLogLines(t.target, fn.name, { terms: ['probe-'], until: (lines) => sequenceNumbers.every((s) => accountRecords(lines, 'kinesis').handled.has(s)) && fs.existsSync(crashFile), timeoutMs: 60_000 })
  const account = accountRecords(read.lines, 'kinesis')
  const crashed = fs.existsSync(crashFile)
  fs.rmSync(path.dirname(crashFile), { recursive: true, force: true })
  const lostCount = sequenceNumbers.filter((s) => !account.handled.has(s)).length
  const observed = {
    summary: `${crashed ? 'killed once mid-batch' : 'NOT killed'}; ${N - lostCount}/${N} handled, ${lostCount} lost, ${[...account.handled.values()].reduce((n, c) => n + c - 1, 0)} handled twice`,
    put: N,
    crashedOnce: crashed,
    handled: sequenceNumbers.filter((s) => account.handled.has(s)).length,
    lost: sequenceNumbers.filter((s) => !account.handled.has(s)).length,
    // The records handled before the crash are handled again in the retried batch.
    duplicates: [...account.handled.values()].reduce((n, c) => n + c - 1, 0),
  }
  t.expect({ put: N, crashedOnce: true, handled: N, lost: 0, duplicates: '≥ 1 (at-least-once: the crashed batch is retried whole)' })
  t.observe(observed)
  expect(observed.crashedOnce).toBe(true)
  expect(observed.lost).toBe(0)
  expect(observed.handled).toBe(N)
  expect(observed.duplicates).toBeGreaterThanOrEqual(1)
})
