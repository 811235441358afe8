/**
 * Writes every line the embedded target logs for a function into CloudWatch Logs (moto's), as Lambda does: group
 * `/aws/lambda/<name>` (created at CreateFunction, kept after DeleteFunction), one stream per execution
 * environment under the name the target gives it, events in order with their timestamps. Lines are batched
 * (PutLogEvents every 100 ms, or at 1,000 events or about 1 MB); `flush()` sends everything stored so far.
 *
 * Shipping never breaks an invoke: a failure is reported on stderr once, and the lines of that batch are dropped.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import type { LogListener, LogStore } from '../embedded/log-store.js'

const FLUSH_INTERVAL_MS = 100
const MAX_BATCH_EVENTS = 1000
/** PutLogEvents allows 1,048,576 bytes, counting 26 bytes per event. */
const MAX_BATCH_BYTES = 1_000_000
/** CloudWatch Logs' event size limit (256 KB with the 26 bytes of overhead). */
const MAX_MESSAGE_BYTES = 256 * 1024 - 26

interface Pending {
  group: string
  stream: string
  message: string
  timestamp: number
}

export interface LogShipperOptions {
  endpoint: string
  region: string
  /** Where the one failure report goes; stderr by default. */
  warn?: (line: string) => void
}

export class CloudWatchLogsShipper implements LogListener {
  private readonly client: CloudWatchLogsClient
  private queue: Pending[] = []
  private readonly groupsMade = new Map<string, Promise<void>>()
  private readonly streamsMade = new Map<string, Promise<void>>()
  private timer?: NodeJS.Timeout
  private chain: Promise<void> = Promise.resolve()
  private warned = false
  private unsubscribe?: () => void
  /** Lines dropped because a write failed. */
  dropped = 0
  shipped = 0

  constructor(private readonly o: LogShipperOptions) {
    this.client = new CloudWatchLogsClient({
      endpoint: o.endpoint,
      region: o.region,
      credentials: { accessKeyId: 'conformance', secretAccessKey: 'conformance' },
      maxAttempts: 2,
    })
  }

  attach(store: LogStore): this {
    this.unsubscribe = store.subscribe(this)
    return this
  }

  group(group: string): void {
    void this.ensureGroup(group).catch((e: unknown) => this.fail(e))
  }

  event(group: string, stream: string, message: string, timestamp: number): void {
    this.queue.push({ group, stream, message, timestamp })
    if (this.queue.length >= MAX_BATCH_EVENTS) this.schedule(0)
    else this.schedule(FLUSH_INTERVAL_MS)
  }

  /** Resolves when every line stored before the call is in CloudWatch Logs (or dropped after a failure). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    return Promise.allSettled([...this.groupsMade.values()]).then(() => this.drain())
  }

  /** Flushes and stops listening. */
  async close(): Promise<void> {
    this.unsubscribe?.()
    await this.flush()
    this.client.destroy()
  }

  private schedule(ms: number): void {
    if (this.timer && ms > 0) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.drain()
    }, ms)
    this.timer.unref()
  }

  /** One sender at a time, so each stream's events go out in the order they were logged. */
  private drain(): Promise<void> {
    const batch = this.queue
    this.queue = []
    this.chain = this.chain.then(() => this.send(batch))
    return this.chain
  }

  private async send(batch: Pending[]): Promise<void> {
    // Per stream, in order; each PutLogEvents is bounded in count and bytes.
    const byStream = new Map<string, Pending[]>()
    for (const p of batch) {
      const key = `${p.group}\u0000${p.stream}`
      let list = byStream.get(key)
      if (!list) byStream.set(key, (list = []))
      list.push(p)
    }
    for (const list of byStream.values()) {
      const { group, stream } = list[0]!
      try {
        await this.ensureStream(group, stream)
        let i = 0
        while (i < list.length) {
          const events: { timestamp: number; message: string }[] = []
          let bytes = 0
          while (i < list.length && events.length < MAX_BATCH_EVENTS) {
            const message = truncate(list[i]!.message)
            const size = Buffer.byteLength(message) + 26
            if (events.length > 0 && bytes + size > MAX_BATCH_BYTES) break
            // CloudWatch Logs rejects an empty message.
            events.push({ timestamp: list[i]!.timestamp, message: message === '' ? ' ' : message })
            bytes += size
            i++
          }
          await this.client.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events }))
          this.shipped += events.length
        }
      } catch (e) {
        this.dropped += list.length
        this.fail(e)
      }
    }
  }

  private ensureGroup(group: string): Promise<void> {
    let p = this.groupsMade.get(group)
    if (!p) {
      p = this.client.send(new CreateLogGroupCommand({ logGroupName: group })).then(
        () => undefined,
        (e: unknown) => {
          if ((e as { name?: string }).name === 'ResourceAlreadyExistsException') return
          this.groupsMade.delete(group)
          throw e
        },
      )
      this.groupsMade.set(group, p)
    }
    return p
  }

  private async ensureStream(group: string, stream: string): Promise<void> {
    const key = `${group}\u0000${stream}`
    let p = this.streamsMade.get(key)
    if (!p) {
      p = this.ensureGroup(group).then(() =>
        this.client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream })).then(
          () => undefined,
          (e: unknown) => {
            if ((e as { name?: string }).name === 'ResourceAlreadyExistsException') return
            this.streamsMade.delete(key)
            throw e
          },
        ),
      )
      this.streamsMade.set(key, p)
    }
    return p
  }

  private fail(e: unknown): void {
    if (this.warned) return
    this.warned = true
    const warn = this.o.warn ?? ((l: string) => void process.stderr.write(`${l}\n`))
    warn(`[embedded target] WARNING: writing function logs to CloudWatch Logs at ${this.o.endpoint} failed (${(e as Error).name}: ${(e as Error).message}); invokes go on, and the lines stay readable only through Invoke's LogType Tail. Further failures are not reported.`)
  }
}

function truncate(message: string): string {
  if (Buffer.byteLength(message) <= MAX_MESSAGE_BYTES) return message
  return Buffer.from(message).subarray(0, MAX_MESSAGE_BYTES).toString('utf8').replace(/\uFFFD$/, '')
}
