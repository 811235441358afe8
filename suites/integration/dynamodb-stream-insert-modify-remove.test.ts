import { isDeepStrictEqual } from 'node:util'
import { CreateTableCommand, DeleteItemCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { mapSource, recordSummaries, shapeReports, union } from '../../lib/conformance/integration.js'
import { waitForLogLines } from '../../lib/conformance/logs.js'
import { awsClient, resourceName } from '../../lib/targets/target.js'

export const behaviour = defineBehaviour({
  id: 'INTEG-DDB-001',
  title: 'a DynamoDB stream with NEW_AND_OLD_IMAGES delivers INSERT, MODIFY and REMOVE with the right images and every attribute type',
  level: 'MUST',
  suite: 'integration',
  source: 'lambda-behavior.md §7 "DynamoDB Streams" and "DynamoDB images per event" (INSERT/MODIFY recorded from AWS 2025-11; REMOVE: §9 #13)',
  needsServices: true,
  timeoutMs: 120_000,
})

/** One attribute of every DynamoDB type (LB §7 "DynamoDB attribute values"). */
const ITEM = {
  pk: { S: 'item-1' },
  str: { S: 'text' },
  num: { N: '42.5' },
  bin: { B: Buffer.from('bytes') },
  bool: { BOOL: true },
  nul: { NULL: true },
  strSet: { SS: ['a', 'b'] },
  numSet: { NS: ['1', '2'] },
  binSet: { BS: [Buffer.from('x'), Buffer.from('y')] },
  list: { L: [{ S: 'in-list' }, { N: '1' }] },
  map: { M: { inner: { S: 'in-map' } } },
}
/** The types the Go probe reports for that item's image (its summary maps names to type letters). */
const TYPES = { pk: 'S', str: 'S', num: 'N', bin: 'B', bool: 'BOOL', nul: 'NULL', strSet: 'SS', numSet: 'NS', binSet: 'BS', list: { L: ['S', 'N'] }, map: { M: { inner: 'S' } } }

conformance(behaviour, async (t) => {
  const ddb = awsClient(DynamoDBClient, t.target)
  const table = resourceName(t.target, t.shim.name, Date.now())
  await ddb.send(new CreateTableCommand({
    TableName: table,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  }))
  const streamArn = (await ddb.send(new DescribeTableCommand({ TableName: table }))).Table!.LatestStreamArn!
  const fn = await t.deploy({ probe: 'event-shape', env: { PROBE_EVENT_KIND: 'dynamodb' }, timeout: 10 })
  await mapSource(fn, { EventSourceArn: streamArn, StartingPosition: 'TRIM_HORIZON', BatchSize: 10 })
  await ddb.send(new PutItemCommand({ TableName: table, Item: ITEM }))
  await ddb.send(new UpdateItemCommand({ TableName: table, Key: { pk: { S: 'item-1' } }, UpdateExpression: 'SET str = :s', ExpressionAttributeValues: { ':s': { S: 'changed' } } }))
  await ddb.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'item-1' } } }))
  const read = await waitForLogLines(t.target, fn.name, { terms: ['probe-'], until: (lines) => recordSummaries(lines, 'dynamodb').length >= 3, timeoutMs: 60_000 })
  const records = recordSummaries(read.lines, 'dynamodb').map((r) => r.summary as { eventName: string; Keys?: unknown; NewImage?: unknown; OldImage?: unknown })
  const shapes = shapeReports(read.lines, 'dynamodb')
  const observed = {
    summary: `${records.map((r) => `${r.eventName}[${[r.Keys && 'K', r.NewImage && 'New', r.OldImage && 'Old'].filter(Boolean).join('+')}]`).join(' ') || 'nothing readable'}; attribute types ${isDeepStrictEqual(records.find((r) => r.eventName === 'INSERT')?.NewImage ?? null, TYPES) ? 'all decoded' : 'differ'}`,
    events: records.map((r) => r.eventName),
    images: records.map((r) => ({ eventName: r.eventName, keys: r.Keys !== undefined, newImage: r.NewImage !== undefined, oldImage: r.OldImage !== undefined })),
    insertTypes: records.find((r) => r.eventName === 'INSERT')?.NewImage ?? null,
    unknownFields: union(shapes.map((s) => s.unknownFields)),
    decodeErrors: shapes.filter((s) => s.decodeError !== '').map((s) => s.decodeError),
  }
  t.expect({
    events: ['INSERT', 'MODIFY', 'REMOVE'],
    images: [
      { eventName: 'INSERT', keys: true, newImage: true, oldImage: false },
      { eventName: 'MODIFY', keys: true, newImage: true, oldImage: true },
      { eventName: 'REMOVE', keys: true, newImage: false, oldImage: true },
    ],
    insertTypes: TYPES,
    unknownFields: [],
    decodeErrors: [],
  })
  t.observe(observed)
  expect(read.satisfied, `only ${records.length} of 3 stream records were handled`).toBe(true)
  expect(observed.events).toEqual(['INSERT', 'MODIFY', 'REMOVE'])
  expect(observed.images).toEqual([
    { eventName: 'INSERT', keys: true, newImage: true, oldImage: false },
    { eventName: 'MODIFY', keys: true, newImage: true, oldImage: true },
    { eventName: 'REMOVE', keys: true, newImage: false, oldImage: true },
  ])
  t.variant('REMOVE carries Keys + OldImage (lambda-behavior.md §9 #13)')
  expect(observed.insertTypes).toEqual(TYPES)
  expect(shapes.length, 'no shape report could be read back from the log').toBeGreaterThan(0)
  expect(observed.unknownFields).toEqual([])
  expect(observed.decodeErrors).toEqual([])
})
