/**
 * Event source mappings of the embedded target: the records behind Create/Get/List/Update/DeleteEventSourceMapping,
 * validated as the Lambda API does it, with one poller per enabled mapping (sqs-poller.ts, stream-poller.ts).
 * The pollers read the sources from the services endpoint (moto) through the AWS SDK and invoke the function
 * through its pool, synchronously, as Lambda's pollers do.
 */
import crypto from 'node:crypto'
import { type ApiError, apiErrors, LATEST, newTraceId } from '../../lambda/protocol.js'
import { ApiException, type FunctionRecord, type FunctionRegistry } from '../functions.js'
import { pageByMarker } from '../http-util.js'
import { ThrottledError } from '../pool.js'
import { startSqsPoller } from './sqs-poller.js'
import { dynamodbStreamSource, kinesisSource, startStreamPoller } from './stream-poller.js'

export type SourceKind = 'sqs' | 'kinesis' | 'dynamodb'
export type EsmState = 'Creating' | 'Enabling' | 'Enabled' | 'Disabling' | 'Disabled' | 'Updating' | 'Deleting'

export interface EventSourceMappingInput {
  EventSourceArn?: string
  FunctionName?: string
  Enabled?: boolean
  BatchSize?: number
  MaximumBatchingWindowInSeconds?: number
  StartingPosition?: string
  StartingPositionTimestamp?: number | string
  FunctionResponseTypes?: string[]
  MaximumRetryAttempts?: number
  MaximumRecordAgeInSeconds?: number
  BisectBatchOnFunctionError?: boolean
  ParallelizationFactor?: number
}

export interface MappingRecord {
  uuid: string
  kind: SourceKind
  eventSourceArn: string
  functionName: string
  functionArn: string
  batchSize: number
  batchingWindowS: number
  startingPosition?: string
  startingPositionTimestamp?: number
  functionResponseTypes: string[]
  maximumRetryAttempts: number
  maximumRecordAgeS: number
  bisectBatchOnFunctionError: boolean
  enabled: boolean
  state: EsmState
  stateTransitionReason: string
  lastModified: number
  lastProcessingResult: string
  /** Streams: the last sequence number handled (or given up on) per shard, so a restarted poller resumes after it. */
  checkpoints: Map<string, string>
  poller?: Poller
}

export interface Poller {
  /** Stops the loop (aborting service calls and waiting invokes) and resolves when it has ended. */
  stop(): Promise<void>
}

/** What a poller sees of an invoke. */
export type PollerInvokeResult =
  | { kind: 'ok'; body: Buffer }
  | { kind: 'error'; body: Buffer }
  /** Throttled, still Pending, or deleted: not a function error, nothing is counted; try again later. */
  | { kind: 'unavailable'; reason: string }
  | { kind: 'stopped' }

export interface ServicesConfig {
  endpoint: string
  region: string
  credentials: { accessKeyId: string; secretAccessKey: string }
}

export interface PollerContext {
  mapping: MappingRecord
  services: ServicesConfig
  signal: AbortSignal
  region: string
  /** Invokes the mapping's function with `event` (JSON), synchronously through its pool. */
  invoke(event: unknown): Promise<PollerInvokeResult>
  /** The function's execution role (Kinesis events carry it as invokeIdentityArn). */
  functionRole(): string
  /** Idle wait between empty polls, and base delay between retries of a failed batch. */
  pollIntervalMs: number
  retryDelayMs: number
  /** Diagnostics of the poller itself (service errors), not of the function. */
  log(message: string): void
}

export interface EventSourceMappingsOptions {
  registry: FunctionRegistry
  region: string
  accountId: string
  /** Where the sources (SQS, Kinesis, DynamoDB Streams) are served; without it CreateEventSourceMapping is rejected. */
  servicesEndpoint?: string
  /** Credentials for the services endpoint (moto takes a 12-digit access key id as the account). */
  servicesCredentials?: { accessKeyId: string; secretAccessKey: string }
  /** How long Creating/Updating/Deleting last (AWS: seconds). */
  transitionMs?: number
  pollIntervalMs?: number
  retryDelayMs?: number
  onPollerError?: (message: string) => void
}

/** The restJson1 shapes of errors specific to mappings (the rest come from protocol.ts). */
const notFound = (): ApiError => ({ status: 404, code: 'ResourceNotFoundException', body: { Type: 'User', Message: 'The resource you requested does not exist.' } })
const inUse = (state: string): ApiError => ({
  status: 400,
  code: 'ResourceInUseException',
  // Wording not recorded from AWS; the API model documents the condition (a mapping in a transitional state).
  body: { Type: 'User', Message: `Cannot update the event source mapping because it is in use (state ${state}).` },
})

const fail = (e: ApiError): never => {
  throw new ApiException(e)
}

/** Batch size per source: [default, max] (Lambda developer guide, "BatchSize"; LocalStack's validate_and_set_batch_size). */
const BATCH_SIZE: Record<SourceKind | 'sqs-fifo', [number, number]> = { sqs: [10, 10_000], 'sqs-fifo': [10, 10], kinesis: [100, 10_000], dynamodb: [100, 10_000] }

export function sourceKind(arn: string): SourceKind | undefined {
  const svc = arn.split(':')[2]
  if (svc === 'sqs') return 'sqs'
  if (svc === 'kinesis' && /:stream\/[^/]+$/.test(arn)) return 'kinesis'
  if (svc === 'dynamodb' && /:table\/[^/]+\/stream\/.+$/.test(arn)) return 'dynamodb'
  return undefined
}

export class EventSourceMappings {
  private readonly mappings = new Map<string, MappingRecord>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private closed = false

  constructor(private readonly o: EventSourceMappingsOptions) {}

  private get transitionMs(): number {
    return this.o.transitionMs ?? 50
  }

  private arn(uuid: string): string {
    return `arn:aws:lambda:${this.o.region}:${this.o.accountId}:event-source-mapping:${uuid}`
  }

  // ------------------------------------------------------------------ API operations

  create(input: EventSourceMappingInput): Record<string, unknown> {
    if (typeof input.EventSourceArn !== 'string' || input.EventSourceArn === '') fail(apiErrors.invalidParameter('Unrecognized event source.'))
    const arn = input.EventSourceArn!
    const kind = sourceKind(arn)
    if (!kind) fail(apiErrors.invalidParameter('Unrecognized event source, must be kinesis, dynamodb stream or sqs.'))
    if (typeof input.FunctionName !== 'string') fail(apiErrors.validation('null', 'functionName', 'Member must not be null'))
    const fn = this.functionFor(input.FunctionName!)
    const fifo = kind === 'sqs' && arn.endsWith('.fifo')
    const batchSize = this.batchSize(kind!, fifo, input.BatchSize)
    const windowS = this.batchingWindow(input.MaximumBatchingWindowInSeconds) ?? 0
    if (kind === 'sqs') {
      if (input.StartingPosition !== undefined) fail(apiErrors.invalidParameter('Invalid request provided: StartingPosition is not valid for SQS event sources.'))
      if (batchSize > 10 && windowS === 0) fail(apiErrors.invalidParameter('Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10'))
    }
    let startingPositionTimestamp: number | undefined
    if (kind === 'kinesis' || kind === 'dynamodb') {
      const sp = input.StartingPosition
      if (sp === undefined || sp === null) fail(apiErrors.invalidParameter("1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null."))
      if (!['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'].includes(sp!)) fail(apiErrors.validation(sp!, 'startingPosition', 'Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]'))
      if (kind === 'dynamodb' && sp === 'AT_TIMESTAMP') fail(apiErrors.invalidParameter(`Unsupported starting position for arn type: ${arn}`))
      if (sp === 'AT_TIMESTAMP') {
        const ts = typeof input.StartingPositionTimestamp === 'string' ? Date.parse(input.StartingPositionTimestamp) / 1000 : input.StartingPositionTimestamp
        if (typeof ts !== 'number' || !Number.isFinite(ts)) fail(apiErrors.invalidParameter('StartingPositionTimestamp must be provided when StartingPosition is AT_TIMESTAMP.'))
        startingPositionTimestamp = ts
      }
    }
    const streamOnly = (name: string, v: unknown): void => {
      if (v !== undefined && kind === 'sqs') fail(apiErrors.invalidParameter(`Unsupported ${name} parameter for given event source mapping type.`))
    }
    streamOnly('MaximumRetryAttempts', input.MaximumRetryAttempts)
    streamOnly('BisectBatchOnFunctionError', input.BisectBatchOnFunctionError)
    streamOnly('MaximumRecordAgeInSeconds', input.MaximumRecordAgeInSeconds)
    const frt = this.functionResponseTypes(input.FunctionResponseTypes) ?? []
    const maxRetry = this.maximumRetryAttempts(input.MaximumRetryAttempts) ?? -1
    for (const m of this.mappings.values()) {
      if (m.eventSourceArn === arn && m.functionArn === fn.arn && m.state !== 'Deleting') {
        fail(
          kind === 'sqs'
            ? apiErrors.conflict(`An event source mapping with SQS arn (" ${arn} ") and function (" ${fn.name} ") already exists. Please update or delete the existing mapping with UUID ${m.uuid}`)
            : apiErrors.conflict(`The event source arn (" ${arn} ") and function (" ${fn.name} ") provided mapping already exists. Please update or delete the existing mapping with UUID ${m.uuid}`),
        )
      }
    }
    if (!this.o.servicesEndpoint) fail(apiErrors.invalidParameter('The embedded target was started without a services endpoint (servicesEndpoint), so it cannot read event sources.'))
    const m: MappingRecord = {
      uuid: crypto.randomUUID(),
      kind: kind!,
      eventSourceArn: arn,
      functionName: fn.name,
      functionArn: fn.arn,
      batchSize,
      batchingWindowS: windowS,
      startingPosition: kind === 'sqs' ? undefined : input.StartingPosition,
      startingPositionTimestamp,
      functionResponseTypes: frt,
      maximumRetryAttempts: maxRetry,
      maximumRecordAgeS: input.MaximumRecordAgeInSeconds ?? -1,
      bisectBatchOnFunctionError: input.BisectBatchOnFunctionError ?? false,
      enabled: input.Enabled ?? true,
      state: 'Creating',
      stateTransitionReason: 'USER_INITIATED',
      lastModified: Date.now() / 1000,
      lastProcessingResult: 'No records processed',
      checkpoints: new Map(),
    }
    this.mappings.set(m.uuid, m)
    this.settle(m)
    return this.describe(m)
  }

  get(uuid: string): Record<string, unknown> {
    return this.describe(this.find(uuid))
  }

  list(q: { functionName?: string; eventSourceArn?: string; marker?: string; maxItems?: number }): Record<string, unknown> {
    let all = [...this.mappings.values()]
    if (q.functionName !== undefined) {
      const { name } = this.o.registry.parseName(q.functionName)
      all = all.filter((m) => m.functionName === name)
    }
    if (q.eventSourceArn !== undefined) all = all.filter((m) => m.eventSourceArn === q.eventSourceArn)
    const max = Math.min(Math.max(q.maxItems || 100, 1), 10_000)
    const { page, nextMarker } = pageByMarker(all, q.marker, max, 'ListEventSourceMappings')
    return { EventSourceMappings: page.map((m) => this.describe(m)), ...(nextMarker ? { NextMarker: nextMarker } : {}) }
  }

  update(uuid: string, input: EventSourceMappingInput): Record<string, unknown> {
    const m = this.find(uuid)
    if (['Creating', 'Updating', 'Deleting', 'Enabling', 'Disabling'].includes(m.state)) fail(inUse(m.state))
    // Validate everything first: a rejected update changes nothing.
    const fn = input.FunctionName !== undefined ? this.functionFor(input.FunctionName) : undefined
    const batchSize = input.BatchSize !== undefined ? this.batchSize(m.kind, m.kind === 'sqs' && m.eventSourceArn.endsWith('.fifo'), input.BatchSize) : m.batchSize
    const windowS = this.batchingWindow(input.MaximumBatchingWindowInSeconds) ?? m.batchingWindowS
    if (m.kind === 'sqs' && batchSize > 10 && windowS === 0) fail(apiErrors.invalidParameter('Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10'))
    if (m.kind === 'sqs') {
      for (const [k, v] of [['MaximumRetryAttempts', input.MaximumRetryAttempts], ['BisectBatchOnFunctionError', input.BisectBatchOnFunctionError], ['MaximumRecordAgeInSeconds', input.MaximumRecordAgeInSeconds]] as const) {
        if (v !== undefined) fail(apiErrors.invalidParameter(`Unsupported ${k} parameter for given event source mapping type.`))
      }
    }
    const frt = this.functionResponseTypes(input.FunctionResponseTypes)
    const maxRetry = this.maximumRetryAttempts(input.MaximumRetryAttempts)
    if (fn) {
      m.functionName = fn.name
      m.functionArn = fn.arn
    }
    m.batchSize = batchSize
    m.batchingWindowS = windowS
    if (frt !== undefined) m.functionResponseTypes = frt
    if (maxRetry !== undefined) m.maximumRetryAttempts = maxRetry
    if (input.MaximumRecordAgeInSeconds !== undefined) m.maximumRecordAgeS = input.MaximumRecordAgeInSeconds
    if (input.BisectBatchOnFunctionError !== undefined) m.bisectBatchOnFunctionError = input.BisectBatchOnFunctionError
    if (input.Enabled !== undefined) m.enabled = input.Enabled
    m.state = 'Updating'
    m.lastModified = Date.now() / 1000
    this.settle(m)
    return this.describe(m)
  }

  delete(uuid: string): Record<string, unknown> {
    const m = this.find(uuid)
    if (m.state === 'Creating' || m.state === 'Updating') fail(inUse(m.state))
    m.state = 'Deleting'
    const out = this.describe(m)
    const poller = m.poller
    m.poller = undefined
    void (poller?.stop() ?? Promise.resolve()).finally(() =>
      this.later(() => {
        if (this.mappings.get(uuid) === m) this.mappings.delete(uuid)
      }),
    )
    return out
  }

  /** Stops every poller (aborting service calls and waiting invokes) and waits for them. */
  async close(): Promise<void> {
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    await Promise.all([...this.mappings.values()].map((m) => m.poller?.stop()))
    this.mappings.clear()
  }

  /** The mappings as records, for tests and diagnostics. */
  records(): MappingRecord[] {
    return [...this.mappings.values()]
  }

  // ------------------------------------------------------------------ state machine and pollers

  /** After a transition: Enabled with a running poller, or Disabled with none. */
  private settle(m: MappingRecord): void {
    this.later(() => {
      if (this.mappings.get(m.uuid) !== m || m.state === 'Deleting') return
      m.state = m.enabled ? 'Enabled' : 'Disabled'
      if (m.enabled && !m.poller) m.poller = this.startPoller(m)
      if (!m.enabled && m.poller) {
        const p = m.poller
        m.poller = undefined
        void p.stop()
      }
    })
  }

  private startPoller(m: MappingRecord): Poller {
    const controller = new AbortController()
    const signal = controller.signal
    const services: ServicesConfig = {
      endpoint: this.o.servicesEndpoint!,
      region: this.o.region,
      credentials: this.o.servicesCredentials ?? { accessKeyId: this.o.accountId, secretAccessKey: 'embedded' },
    }
    const ctx: PollerContext = {
      mapping: m,
      services,
      signal,
      region: this.o.region,
      pollIntervalMs: this.o.pollIntervalMs ?? 1000,
      retryDelayMs: this.o.retryDelayMs ?? 1000,
      invoke: (event) => this.invoke(m, event, signal),
      functionRole: () => {
        try {
          return this.o.registry.get(m.functionName).role
        } catch {
          return ''
        }
      },
      log: (msg) => this.o.onPollerError?.(`[event source mapping ${m.uuid}] ${msg}`),
    }
    const loop = m.kind === 'sqs' ? startSqsPoller(ctx) : startStreamPoller(ctx, m.kind === 'kinesis' ? kinesisSource(ctx) : dynamodbStreamSource(ctx))
    return {
      async stop() {
        controller.abort()
        await loop
      },
    }
  }

  private async invoke(m: MappingRecord, event: unknown, signal: AbortSignal): Promise<PollerInvokeResult> {
    if (signal.aborted) return { kind: 'stopped' }
    let fn: FunctionRecord
    try {
      fn = this.o.registry.get(m.functionName)
    } catch {
      m.lastProcessingResult = 'PROBLEM: Function not found.'
      return { kind: 'unavailable', reason: 'function not found' }
    }
    if (fn.state !== 'Active') return { kind: 'unavailable', reason: `function ${fn.state}` }
    const inv = {
      requestId: crypto.randomUUID(),
      payload: Buffer.from(JSON.stringify(event)),
      invokedArn: this.o.registry.arn(fn.name),
      traceId: newTraceId(),
      log: [] as string[],
    }
    // Removed once the invoke is over: the signal lives as long as the poller, and a listener per batch kept every
    // batch's promise alive for that long (Node warned of 11 listeners within seconds under load).
    let onAbort: (() => void) | undefined
    const stopped = new Promise<PollerInvokeResult>((resolve) => {
      onAbort = () => resolve({ kind: 'stopped' })
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
    })
    const run = (async (): Promise<PollerInvokeResult> => {
      try {
        const r = await fn.pool.invoke(inv)
        return r.outcome.ok ? { kind: 'ok', body: r.outcome.body } : { kind: 'error', body: r.outcome.body }
      } catch (e) {
        if (e instanceof ThrottledError) return { kind: 'unavailable', reason: 'throttled' }
        // The pool was closed under the invoke: the function was deleted.
        return { kind: 'unavailable', reason: (e as Error).message }
      }
    })()
    try {
      return await Promise.race([run, stopped])
    } finally {
      signal.removeEventListener('abort', onAbort!)
    }
  }

  // ------------------------------------------------------------------ helpers

  private find(uuid: string): MappingRecord {
    const m = this.mappings.get(uuid)
    if (!m) fail(notFound())
    return m!
  }

  private functionFor(raw: string): FunctionRecord {
    const { name, qualifier } = this.o.registry.parseName(raw)
    if (qualifier && qualifier !== LATEST) fail(apiErrors.functionNotFound(this.o.registry.arn(name, qualifier)))
    return this.o.registry.get(name)
  }

  private batchSize(kind: SourceKind, fifo: boolean, v: number | undefined): number {
    const [def, max] = BATCH_SIZE[fifo ? 'sqs-fifo' : kind]
    if (v === undefined) return def
    if (!Number.isInteger(v) || v < 1) fail(apiErrors.validation(String(v), 'batchSize', 'Member must have value greater than or equal to 1'))
    if (v > 10_000) fail(apiErrors.validation(String(v), 'batchSize', 'Member must have value less than or equal to 10000'))
    if (v > max) fail(apiErrors.invalidParameter(`BatchSize must be between 1 and ${max} for this event source.`))
    return v
  }

  private batchingWindow(v: number | undefined): number | undefined {
    if (v === undefined) return undefined
    if (!Number.isInteger(v) || v < 0) fail(apiErrors.validation(String(v), 'maximumBatchingWindowInSeconds', 'Member must have value greater than or equal to 0'))
    if (v > 300) fail(apiErrors.validation(String(v), 'maximumBatchingWindowInSeconds', 'Member must have value less than or equal to 300'))
    return v
  }

  private functionResponseTypes(v: string[] | undefined): string[] | undefined {
    if (v === undefined) return undefined
    if (!Array.isArray(v)) fail(apiErrors.validation(String(v), 'functionResponseTypes', 'Member must have length less than or equal to 1'))
    if (v.length > 1) fail(apiErrors.validation(`[${v.join(', ')}]`, 'functionResponseTypes', 'Member must have length less than or equal to 1'))
    for (const t of v) {
      if (t !== 'ReportBatchItemFailures') fail(apiErrors.validation(`[${v.join(', ')}]`, 'functionResponseTypes', 'Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]'))
    }
    return [...v]
  }

  private maximumRetryAttempts(v: number | undefined): number | undefined {
    if (v === undefined) return undefined
    if (!Number.isInteger(v) || v < -1) fail(apiErrors.validation(String(v), 'maximumRetryAttempts', 'Member must have value greater than or equal to -1'))
    if (v > 10_000) fail(apiErrors.validation(String(v), 'maximumRetryAttempts', 'Member must have value less than or equal to 10000'))
    return v
  }

  /** EventSourceMappingConfiguration as the Lambda API returns it (stream-only fields only for streams). */
  describe(m: MappingRecord): Record<string, unknown> {
    const common = {
      UUID: m.uuid,
      BatchSize: m.batchSize,
      MaximumBatchingWindowInSeconds: m.batchingWindowS,
      EventSourceArn: m.eventSourceArn,
      FunctionArn: m.functionArn,
      LastModified: m.lastModified,
      State: m.state,
      StateTransitionReason: m.stateTransitionReason,
      FunctionResponseTypes: m.functionResponseTypes,
      EventSourceMappingArn: this.arn(m.uuid),
    }
    if (m.kind === 'sqs') return common
    return {
      ...common,
      ParallelizationFactor: 1,
      StartingPosition: m.startingPosition,
      ...(m.startingPositionTimestamp !== undefined ? { StartingPositionTimestamp: m.startingPositionTimestamp } : {}),
      LastProcessingResult: m.lastProcessingResult,
      DestinationConfig: { OnFailure: {} },
      MaximumRecordAgeInSeconds: m.maximumRecordAgeS,
      BisectBatchOnFunctionError: m.bisectBatchOnFunctionError,
      MaximumRetryAttempts: m.maximumRetryAttempts,
      TumblingWindowInSeconds: 0,
    }
  }

  private later(fn: () => void, ms = this.transitionMs): void {
    if (this.closed) return
    const t = setTimeout(() => {
      this.timers.delete(t)
      fn()
    }, ms)
    this.timers.add(t)
  }
}


/** Sleeps, resolving early (false) when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false)
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    const onAbort = (): void => {
      clearTimeout(t)
      resolve(false)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Reads a partial batch response (LB §7): the identifiers of failed items, [] for success, or null when the
 * whole batch counts as failed. Per the Lambda developer guide ("Implementing partial batch responses"): an
 * empty or null response, or an empty/null `batchItemFailures`, is a complete success; invalid JSON, a missing,
 * null or empty `itemIdentifier`, or one naming no item of the batch is a complete failure.
 */
export function parseBatchItemFailures(body: Buffer, known: Set<string>): string[] | null {
  const text = body.toString('utf8').trim()
  if (text === '' || text === 'null') return []
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return null
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v === null ? [] : null
  const list = (v as { batchItemFailures?: unknown }).batchItemFailures
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) return null
  const out: string[] = []
  for (const item of list) {
    const id = item !== null && typeof item === 'object' ? (item as { itemIdentifier?: unknown }).itemIdentifier : undefined
    if (typeof id !== 'string' || id === '' || !known.has(id)) return null
    out.push(id)
  }
  return out
}
