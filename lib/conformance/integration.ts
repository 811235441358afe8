/**
 * Shared steps of the service-integration suites: wiring a source to a function through an event source
 * mapping, and accounting for records from the function's own log lines (`probe-record <kind> <id> …`,
 * `probe-shape <kind> <json>`), read back through CloudWatch Logs as on AWS.
 */
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand, type CreateEventSourceMappingCommandInput } from '@aws-sdk/client-lambda'
import fs from 'node:fs'
import os from 'node:os'
import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import type { DeployedFunction } from '../deploy.js'
import { KitError } from '../deploy.js'

/** Creates the mapping and waits until it is Enabled. */
export async function mapSource(fn: DeployedFunction, input: Omit<CreateEventSourceMappingCommandInput, 'FunctionName'>): Promise<string> {
  const created = await fn.client.send(new CreateEventSourceMappingCommand({ FunctionName: fn.name, ...input }))
  const uuid = created.UUID!
  const deadline = Date.now() + 30_000
  for (;;) {
    const m = await fn.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))
    if (m.State === 'Enabled') return uuid
    if (Date.now() > deadline) throw new KitError(`event source mapping ${uuid} stayed ${m.State}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export interface RecordAccount {
  /** How often each id was handled (more than once = a duplicate delivery or a retry). */
  handled: Map<string, number>
  /** Ids in the order their lines appear. */
  order: string[]
  /** Status word after the id (batch probe: ok | failed), per line. */
  statuses: { id: string; status: string }[]
}

/** Counts `probe-record <kind> <id> <rest>` lines. */
export function accountRecords(lines: string[], kind: string): RecordAccount {
  const handled = new Map<string, number>()
  const order: string[] = []
  const statuses: { id: string; status: string }[] = []
  const prefix = `probe-record ${kind} `
  for (const line of lines) {
    const at = line.indexOf(prefix)
    if (at < 0) continue
    const rest = line.slice(at + prefix.length)
    const sp = rest.indexOf(' ')
    const id = sp < 0 ? rest : rest.slice(0, sp)
    handled.set(id, (handled.get(id) ?? 0) + 1)
    order.push(id)
    statuses.push({ id, status: sp < 0 ? '' : rest.slice(sp + 1) })
  }
  return { handled, order, statuses }
}

/** The decoded record summaries of `probe-record` lines (the JSON after the id), in log order. */
export function recordSummaries(lines: string[], kind: string): { id: string; summary: Record<string, unknown> }[] {
  const prefix = `probe-record ${kind} `
  return lines.flatMap((line) => {
    const at = line.indexOf(prefix)
    if (at < 0) return []
    const rest = line.slice(at + prefix.length)
    const sp = rest.indexOf(' ')
    try {
      return [{ id: rest.slice(0, sp), summary: JSON.parse(rest.slice(sp + 1)) as Record<string, unknown> }]
    } catch {
      return []
    }
  })
}

export interface ShapeReport {
  kind: string
  records: number
  decodeError: string
  unknownFields: string[]
  missingFields: string[]
  ids: string[]
}

/** The event-shape probe's per-invoke results (`probe-shape <kind> <json>` lines). */
export function shapeReports(lines: string[], kind: string): ShapeReport[] {
  const prefix = `probe-shape ${kind} `
  return lines.flatMap((line) => {
    const at = line.indexOf(prefix)
    if (at < 0) return []
    try {
      return [JSON.parse(line.slice(at + prefix.length)) as ShapeReport]
    } catch {
      return []
    }
  })
}

export const union = (xs: string[][]): string[] => [...new Set(xs.flat())].sort()

/** Waits until a Kinesis stream is ACTIVE and returns its ARN. */
export async function activeStream(kinesis: KinesisClient, name: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const s = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!
    if (s.StreamStatus === 'ACTIVE') return s.StreamARN!
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new KitError(`Kinesis stream ${name} did not become ACTIVE`)
}

/** A directory both the test and a sandbox can see (sandboxes may have a private /tmp). */
export function sharedHostDir(prefix: string): string {
  let parent = os.tmpdir()
  try {
    fs.accessSync('/var/tmp', fs.constants.W_OK)
    parent = '/var/tmp'
  } catch {
    // no /var/tmp: sandboxes then share the host's /tmp through TMPDIR isolation
  }
  return fs.mkdtempSync(`${parent}/${prefix}`)
}
