import type http from 'node:http'
import type { ApiError } from '../lambda/protocol.js'

export class BodyTooLargeError extends Error {
  constructor(readonly received: number) {
    super(`body larger than the limit (${received} bytes read)`)
  }
}
export class TruncatedBodyError extends Error {}

/**
 * How request bodies are read (tests lower the timings). The listeners run with `requestTimeout = 0`, so that a
 * long upload is never cut by Node; these bound what a client that stops half way, or sends far too much, can hold.
 */
export const bodyReading = {
  /** A body that sends no byte for this long is abandoned and its connection closed (no leaked request). */
  idleTimeoutMs: 30_000,
  /**
   * After a body is rejected as too large, at most this many more bytes are read (and dropped), for at most
   * `lingerMs`, and then the connection is closed. Reading on for a while (a lingering close) lets a client that is
   * still writing read the 413 first: closing at once resets the connection under it, and the 413 is often lost.
   */
  lingerBytes: 8 * 1024 * 1024,
  lingerMs: 2_000,
  /**
   * A body whose Content-Length is at most this far over the limit is read to its end, keeping the connection (the
   * client has likely written it all already, and would find a pooled connection cut under it).
   */
  drainDeclaredBytes: 64 * 1024 * 1024,
}

/**
 * Reads a request body, keeping at most `limit` bytes in memory. It rejects with BodyTooLargeError as soon as the
 * limit is passed, or at once when Content-Length says it will be: before, it drained the whole body first, so a
 * 1 GB upload was read to the end before its 413 (bounded memory, unbounded time and traffic). It rejects with
 * TruncatedBodyError when the client goes away or stalls (bodyReading.idleTimeoutMs) before the body ends.
 */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    let lingering = false
    let dropped = 0
    let cut = false
    let idle: NodeJS.Timeout | undefined
    let linger: NodeJS.Timeout | undefined
    const settle = (e: Error | null, body?: Buffer): void => {
      clearTimeout(idle)
      if (settled) return
      settled = true
      if (e) reject(e)
      else resolve(body!)
    }
    const armIdle = (): void => {
      clearTimeout(idle)
      idle = setTimeout(() => {
        settle(new TruncatedBodyError(`no body bytes for ${bodyReading.idleTimeoutMs} ms`))
        req.socket?.destroy()
      }, bodyReading.idleTimeoutMs)
      idle.unref()
    }
    let allowance = bodyReading.lingerBytes
    const tooLarge = (received: number): void => {
      lingering = true
      chunks.length = 0
      settle(new BodyTooLargeError(received))
      if (allowance === Infinity) return
      linger = setTimeout(() => closeAfterAnswer(req), bodyReading.lingerMs)
      linger.unref()
    }
    req.on('data', (c: Buffer) => {
      if (lingering) {
        dropped += c.length
        if (dropped > allowance && !cut) {
          cut = true
          clearTimeout(linger)
          closeAfterAnswer(req)
        }
        return
      }
      size += c.length
      if (size > limit) return tooLarge(size)
      chunks.push(c)
      armIdle()
    })
    req.on('end', () => {
      clearTimeout(linger)
      settle(null, Buffer.concat(chunks, size))
    })
    // A client that goes away mid-body ('aborted', then 'error' ECONNRESET, then 'close'): nothing to answer.
    const gone = (): void => {
      clearTimeout(linger)
      settle(new TruncatedBodyError('request aborted before its body ended'))
    }
    req.on('aborted', gone)
    req.on('error', gone)
    req.on('close', () => {
      if (!req.complete) gone()
    })
    const declared = Number(header(req, 'content-length'))
    if (declared > limit) {
      // Known too large before a byte of it is read.
      if (declared - limit <= bodyReading.drainDeclaredBytes) allowance = Infinity
      tooLarge(declared)
    } else armIdle()
  })
}

/**
 * For a request answered before its body has arrived in full (answered early, or rejected): Node goes on reading
 * and dropping the body so the connection can be reused, and with requestTimeout off a client that stops sending
 * held the connection (and the request) forever. This closes it once no byte has come for bodyReading.idleTimeoutMs.
 * Call it when the answer is finished.
 */
export function dropStalledBody(req: http.IncomingMessage): void {
  if (req.complete || req.destroyed) return
  let timer: NodeJS.Timeout | undefined
  const arm = (): void => {
    clearTimeout(timer)
    timer = setTimeout(() => req.socket?.destroy(), bodyReading.idleTimeoutMs)
    timer.unref()
  }
  const done = (): void => {
    clearTimeout(timer)
    req.off('data', arm)
  }
  req.on('data', arm)
  req.once('end', done)
  req.once('close', done)
  arm()
}

/** Ends the connection once what was written to it (the 413) is flushed, so the rest of the body is never read. */
function closeAfterAnswer(req: http.IncomingMessage): void {
  const s = req.socket
  if (!s || s.destroyed) return
  s.end()
  if (s.writableFinished) s.destroy()
  else s.once('finish', () => s.destroy())
  setTimeout(() => s.destroy(), 1000).unref()
}

/** One request header's value (the first, if it was sent several times). */
export function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body))
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(data.length), ...headers })
  res.end(data)
}

/** An API error in the restJson1 shape the AWS SDKs parse: `X-Amzn-ErrorType` plus a JSON body. */
export function sendApiError(res: http.ServerResponse, err: ApiError, requestId: string): void {
  sendJson(res, err.status, err.body, { 'x-amzn-errortype': err.code, 'x-amzn-requestid': requestId })
}
