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
  events: LogEvent[]
  dropped: number
}

const MAX_EVENTS_PER_STREAM = 50_000

/** Told of every line as it is stored, and of every function's group when the function is created. */
export interface LogListener {
  event(group: string, stream: string, message: string, timestamp: number): void
  group?(group: string): void
}

export class LogStore {
  private readonly groups = new Map<string, Map<string, LogStream>>()
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
    let g = this.groups.get(group)
    if (!g) this.groups.set(group, (g = new Map()))
    let s = g.get(name)
    if (!s) g.set(name, (s = { name, createdAt: Date.now(), events: [], dropped: 0 }))
    return s
  }

  append(group: string, stream: string, message: string, timestamp = Date.now()): void {
    const s = this.stream(group, stream)
    s.events.push({ timestamp, message, ingestionTime: Date.now() })
    for (const l of this.listeners) l.event(group, stream, message, timestamp)
    if (s.events.length > MAX_EVENTS_PER_STREAM) {
      s.events.splice(0, s.events.length - MAX_EVENTS_PER_STREAM)
      s.dropped++
    }
  }

  streams(group: string): LogStream[] {
    return [...(this.groups.get(group)?.values() ?? [])]
  }

  deleteGroup(group: string): void {
    this.groups.delete(group)
  }
}
