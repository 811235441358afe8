/**
 * Function logs as CloudWatch Logs holds them: group `/aws/lambda/<fn>`, one stream per execution environment,
 * one event per line. Bounded per stream so a chatty function cannot exhaust memory.
 */
import crypto from 'node:crypto'

export interface LogEvent {
  timestamp: number
  message: string
  ingestionTime: number
}

export interface LogStream {
  name: string
  createdAt: number
  /** The kept events, oldest first (at most MAX_EVENTS_PER_STREAM). Read it; add lines with LogStore.append. */
  readonly events: LogEvent[]
  /** How many of the oldest events were dropped to keep the bound. */
  dropped: number
}

export const MAX_EVENTS_PER_STREAM = 50_000

/**
 * A stream's events in a ring once it is full: dropping the oldest line is O(1) where `Array.splice(0, 1)` on a
 * 50,000-element array cost ~0.25 ms per line, i.e. ~0.8 ms per invoke (START, END, REPORT) once an environment
 * had logged 50,000 lines. `events` is the ordered array; it is rebuilt only when read after the ring wrapped.
 */
class BoundedStream implements LogStream {
  dropped = 0
  private ring: LogEvent[] = []
  /** Index of the oldest event in `ring` once it is full (0 while it is still filling). */
  private head = 0
  private ordered?: LogEvent[]

  constructor(readonly name: string, readonly createdAt: number, private readonly max: number) {}

  get events(): LogEvent[] {
    if (this.head === 0) return this.ring
    this.ordered ??= [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)]
    return this.ordered
  }

  push(e: LogEvent): void {
    this.ordered = undefined
    if (this.ring.length < this.max) {
      this.ring.push(e)
      return
    }
    this.ring[this.head] = e
    this.head = (this.head + 1) % this.max
    this.dropped++
  }
}

/** Told of every line as it is stored, and of every function's group when the function is created. */
export interface LogListener {
  event(group: string, stream: string, message: string, timestamp: number): void
  group?(group: string): void
}

export class LogStore {
  private readonly groups = new Map<string, Map<string, BoundedStream>>()
  private readonly listeners = new Set<LogListener>()

  /** Adds a listener (e.g. the shipper to moto's CloudWatch Logs); returns its removal. */
  subscribe(l: LogListener): () => void {
    this.listeners.add(l)
    return () => void this.listeners.delete(l)
  }

  /** A function's group exists from CreateFunction on (AWS keeps it after DeleteFunction). */
  declareGroup(group: string): void {
    for (const l of this.listeners) l.group?.(group)
  }

  static groupName(functionName: string): string {
    return `/aws/lambda/${functionName}`
  }

  /** `YYYY/MM/DD/[$LATEST]<32 hex>`, as Lambda names streams. */
  static newStreamName(version: string, now = new Date()): string {
    const d = now.toISOString().slice(0, 10).replace(/-/g, '/')
    return `${d}/[${version}]${crypto.randomBytes(16).toString('hex')}`
  }

  stream(group: string, name: string): LogStream {
    return this.boundedStream(group, name)
  }

  private boundedStream(group: string, name: string): BoundedStream {
    let g = this.groups.get(group)
    if (!g) this.groups.set(group, (g = new Map()))
    let s = g.get(name)
    if (!s) g.set(name, (s = new BoundedStream(name, Date.now(), MAX_EVENTS_PER_STREAM)))
    return s
  }

  append(group: string, stream: string, message: string, timestamp = Date.now()): void {
    this.boundedStream(group, stream).push({ timestamp, message, ingestionTime: Date.now() })
    for (const l of this.listeners) l.event(group, stream, message, timestamp)
  }

  streams(group: string): LogStream[] {
    return [...(this.groups.get(group)?.values() ?? [])]
  }

  deleteGroup(group: string): void {
    this.groups.delete(group)
  }
}
