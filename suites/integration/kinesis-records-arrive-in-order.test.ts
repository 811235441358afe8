import { CreateStreamCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis'
import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { accountRecords, activeStream, mapSource, recordSummaries, shapeReports, union } from '../../lib/conformance/integration.js'
import { waitForLogLines } from '../../lib/conformance/logs.js'
import { awsClient, resourceName } from '../../lib/targets/target.js'

export const behaviour = defineBehaviour({
  id: 'INTEG-KINESIS-001',
  title: 'Kinesis records of base64 JSON reach the function in shard order, decoded by aws-lambda-go\'s KinesisEvent',
  level: 'MUST',
  suite: 'integration',
  source: 'lambda-behavior.md §7 "Kinesis" (recorded from AWS 2025-11); AWS Lambda developer guide "Using Lambda with Kinesis" (order within a shard)',
  needsServices: true,
  timeoutMs: 120_000,
})

const N = 25

conformance(behaviour, async (t) => {
  const kinesis = awsClient(KinesisClient, t.target)
  const name = resourceName(t.target, t.shim.name, Date.now())
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }))
  const arn = await activeStream(kinesis, name)
  const fn = await t.deploy({ probe: 'event-shape', env: { PROBE_EVENT_KIND: 'kinesis' }, timeout: 10 })
  for (let i = 0; i < N; i++) {
    await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'one-shard', Data: Buffer.from(JSON.stringify({ seq: i, note: 'base64 JSON' })) }))
  }
  await mapSource(fn, { EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 10 })
  const read = await waitForLogLines(t.target, fn.name, { terms: ['probe-'], until: (lines) => accountRecords(lines, 'kinesis').handled.size >= N, timeoutMs: 60_000 })
  const summaries = recordSummaries(read.lines, 'kinesis')
  const seqs = summaries.map((s) => (s.summary.data as { seq?: number } | undefined)?.seq)
  const shapes = shapeReports(read.lines, 'kinesis')
  const firstSeen = [...new Set(seqs)]
  const observed = {
    summary: `${new Set(seqs).size}/${N} records, ${firstSeen.every((s, i) => s === i) ? 'in order' : 'OUT OF ORDER'}, data ${summaries.every((s) => s.summary.dataIsJson === true) ? 'decoded as JSON' : 'not readable'}; unknown fields: ${union(shapes.map((s) => s.unknownFields)).join(', ') || 'none'}`,
    put: N,
    handled: new Set(seqs).size,
    inOrder: firstSeen.every((s, i) => s === i),
    dataDecodedAsJson: summaries.every((s) => s.summary.dataIsJson === true),
    largestBatch: Math.max(0, ...shapes.map((s) => s.records)),
    unknownFields: union(shapes.map((s) => s.unknownFields)),
    missingFields: union(shapes.map((s) => s.missingFields)),
    decodeErrors: shapes.filter((s) => s.decodeError !== '').map((s) => s.decodeError),
  }
  t.expect({ put: N, handled: N, inOrder: true, dataDecodedAsJson: true, largestBatch: '≤ 10', unknownFields: [], missingFields: [], decodeErrors: [] })
  t.observe(observed)
  expect(read.satisfied, `only ${observed.handled} of ${N} records were handled`).toBe(true)
  expect(observed.handled).toBe(N)
  expect(observed.inOrder).toBe(true)
  expect(observed.dataDecodedAsJson).toBe(true)
  expect(observed.largestBatch).toBeLessThanOrEqual(10)
  expect(shapes.reduce((n, s) => n + s.records, 0), 'shape reports read back from the log cover every record').toBeGreaterThanOrEqual(N)
  expect(observed.unknownFields).toEqual([])
  expect(observed.missingFields).toEqual([])
  expect(observed.decodeErrors).toEqual([])
})
