import type http from 'node:http'
import type { Duplex } from 'node:stream'
import type net from 'node:net'
import { type ApiError, apiErrors } from '../lambda/protocol.js'

export class BodyTooLargeError extends Error {
  constructor(readonly received: number) {
    super(`body larger than the limit (${received} bytes read)`)
  }
}
export class TruncatedBodyError extends Error {}

/** An answer in AWS's shape (protocol.ts ApiError), thrown by an operation and sent by the server (sendApiError). */
export class ApiException extends Error {
  constructor(readonly error: ApiError) {
    super(String(error.body.message ?? error.body.Message ?? error.code))
  }
}

/**
 * How request bodies are read (tests lower the timings). The listeners run with `requestTimeout = 0`, so that a
 * long upload is never cut by Node; these bound what a client that stops half way, or sends far too much, can hold.
 */
export const bodyReading = {
  /** A body that sends no byte for this long is abandoned and its connection closed (no leaked request). */
  idleTimeoutMs: 30_000,
  /**
   * After a body is rejected as too large, at most this many more bytes are read (and dropped), and for at most
   * `lingerMs` after the answer has gone out, and then the connection is closed. Reading on for a while (a lingering
   * close) lets a client that is still writing read the 413 first: closing at once resets the connection under it,
   * and the 413 is often lost.
   */
  lingerBytes: 8 * 1024 * 1024,
  lingerMs: 2_000,
  /**
   * A body whose Content-Length is at most this far over the limit is read to its end before the connection is
   * closed (the client has likely written it all already, and reads the 413 once its write is done).
   */
  drainDeclaredBytes: 64 * 1024 * 1024,
}

/**
 * Requests whose body was refused as too large: their answer says `Connection: close` (sendJson), since the rest
 * of the body is dropped and the connection cannot carry another request in step with the client.
 */
const refused = new WeakSet<http.IncomingMessage>()
/** Connections whose close is already a lingering one (lingerOnClose). */
const lingering = new WeakSet<object>()

/**
 * Reads a request body, keeping at most `limit` bytes in memory. It rejects with BodyTooLargeError as soon as the
 * limit is passed, or at once when Content-Length says it will be: before, it drained the whole body first, so a
 * 1 GB upload was read to the end before its 413 (bounded memory, unbounded time and traffic). The answer to a
 * rejected body closes the connection gracefully (lingerOnClose). It rejects with TruncatedBodyError when the
 * client goes away or stalls (bodyReading.idleTimeoutMs) before the body ends.
 */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    let rejected = false
    let idle: NodeJS.Timeout | undefined
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
    const tooLarge = (received: number, linger: Linger): void => {
      rejected = true
      chunks.length = 0
      refused.add(req)
      lingerOnClose(req, linger)
      settle(new BodyTooLargeError(received))
    }
    req.on('data', (c: Buffer) => {
      // Once rejected, the rest is counted and dropped by lingerOnClose.
      if (rejected) return
      size += c.length
      if (size > limit) return tooLarge(size, { bytes: bodyReading.lingerBytes, timed: true })
      chunks.push(c)
      armIdle()
    })
    req.on('end', () => settle(null, Buffer.concat(chunks, size)))
    // A client that goes away mid-body ('aborted', then 'error' ECONNRESET, then 'close'): nothing to answer.
    const gone = (): void => settle(new TruncatedBodyError('request aborted before its body ended'))
    req.on('aborted', gone)
    req.on('error', gone)
    req.on('close', () => {
      if (!req.complete) gone()
    })
    const declared = Number(header(req, 'content-length'))
    if (declared > limit) {
      // Known too large before a byte of it is read. A body not far over is read to its end (drainDeclaredBytes):
      // bounded by its length, so not by time, which on a loaded machine could cut a client still writing it.
      tooLarge(declared, declared - limit <= bodyReading.drainDeclaredBytes ? { bytes: declared, timed: false } : { bytes: bodyReading.lingerBytes, timed: true })
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

/**
 * Call before answering a request (sendJson does). For a request whose body is not all in:
 * - refused as too large (readBody): the answer says `Connection: close`. Before, a 413 near the limit went out on a
 *   kept-alive connection, and a client reusing it could meet the close that followed (ECONNRESET).
 * - the client asked to close: the close lingers (lingerOnClose). Node's own close reset the connection under a
 *   client still writing its body (EPIPE), sometimes before it had read the answer.
 * - answered early on a kept-alive connection (a 404 for an unknown function, say): Node reads the rest to keep the
 *   connection, which is right for a small body; a chunked one (size unknown) or one declared beyond
 *   drainDeclaredBytes closes instead (before, a 1 GB upload to a missing function was read to its end).
 */
export function prepareAnswer(res: http.ServerResponse): void {
  const req = res.req as http.IncomingMessage | undefined
  if (!req || res.headersSent) return
  if (refused.has(req)) {
    res.setHeader('connection', 'close')
    return
  }
  const declared = Number(header(req, 'content-length') ?? 0)
  const chunked = header(req, 'transfer-encoding') !== undefined
  if (req.complete || (!chunked && !(declared > 0))) return
  if (!wantsKeepAlive(req)) return lingerOnClose(req, { bytes: bodyReading.lingerBytes, timed: true })
  if (chunked || declared > bodyReading.drainDeclaredBytes) {
    res.setHeader('connection', 'close')
    lingerOnClose(req, { bytes: bodyReading.lingerBytes, timed: true })
  }
}

/** Whether the client lets the connection carry another request (HTTP/1.1 unless `close`; 1.0 only with `keep-alive`). */
function wantsKeepAlive(req: http.IncomingMessage): boolean {
  const tokens = (header(req, 'connection') ?? '').toLowerCase().split(',').map((t) => t.trim())
  if (tokens.includes('close')) return false
  return req.httpVersion === '1.1' || tokens.includes('keep-alive')
}

/** How long a lingering close reads on: at most `bytes` more, and (`timed`) at most bodyReading.lingerMs after the answer. */
interface Linger {
  bytes: number
  timed: boolean
}

/**
 * A lingering close (RFC 9112 §9.6) for a connection whose answer is its last while the client may still be
 * sending the request body. Node ends such a connection with socket.destroySoon() once the answer is written: FIN,
 * then destroy as soon as it is flushed. Whatever the client sends after that meets a closed socket, and the reset
 * (the client's EPIPE or ECONNRESET) can throw away the answer before the client has read it. Instead: FIN after
 * the answer, then read and drop what still comes until the body ends or the client closes, within `linger`; then
 * close.
 */
function lingerOnClose(req: http.IncomingMessage, linger: Linger): void {
  const s = req.socket as (net.Socket & { destroySoon?: () => void }) | null
  if (!s || s.destroyed || lingering.has(s)) return
  lingering.add(s)
  let timer: NodeJS.Timeout | undefined
  const cut = (): void => {
    clearTimeout(timer)
    s.destroy()
  }
  // Destroyed once the answer is flushed: nothing of the client's is left unread then, so the close is a clean FIN.
  const closeWhenFlushed = (): void => {
    clearTimeout(timer)
    if (s.writableFinished) return void s.destroy()
    s.once('finish', () => s.destroy())
    // A client that never reads its answer would hold the socket open: closed anyway after lingerMs.
    setTimeout(() => s.destroy(), bodyReading.lingerMs).unref()
  }
  let dropped = 0
  req.on('data', (c: Buffer) => {
    dropped += c.length
    if (dropped > linger.bytes) cut()
  })
  s.once('close', () => clearTimeout(timer))
  // Called by Node's HTTP server (resOnFinish) for the last answer of a connection, in place of its own.
  s.destroySoon = () => {
    if (s.writable) s.end()
    if (req.complete) return closeWhenFlushed()
    req.once('end', closeWhenFlushed)
    if (linger.timed) {
      timer = setTimeout(cut, bodyReading.lingerMs)
      timer.unref()
    }
  }
}

/** One request header's value (the first, if it was sent several times). */
export function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body))
  if (res.headersSent || res.destroyed) return
  prepareAnswer(res)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(data.length), ...headers })
  res.end(data)
}

/** An API error in the restJson1 shape the AWS SDKs parse: `X-Amzn-ErrorType` plus a JSON body. */
export function sendApiError(res: http.ServerResponse, err: ApiError, requestId: string): void {
  sendJson(res, err.status, err.body, { 'x-amzn-errortype': err.code, 'x-amzn-requestid': requestId })
}

/**
 * One page of a List operation: the marker is the index of the next item, base64-encoded (opaque to clients, as
 * AWS's are). A marker this target did not hand out is an InvalidParameterValueException naming what to pass.
 */
export function pageByMarker<T>(all: readonly T[], marker: string | undefined, max: number, operation: string): { page: T[]; nextMarker?: string } {
  const decoded = marker === undefined ? '' : Buffer.from(marker, 'base64').toString()
  // Only markers this target wrote: canonical decimal digits that encode back to the same text, within the list.
  const ours = marker === undefined || marker === '' || (/^(0|[1-9]\d*)$/.test(decoded) && Buffer.from(decoded).toString('base64') === marker)
  const start = ours && decoded !== '' ? Number(decoded) : 0
  if (!ours || start > all.length) {
    throw new ApiException(apiErrors.invalidParameter(`Invalid Marker ${JSON.stringify(marker)}: pass the NextMarker of the previous ${operation} answer, or none to start at the beginning.`))
  }
  const next = start + max < all.length ? Buffer.from(String(start + max)).toString('base64') : undefined
  return { page: all.slice(start, start + max), ...(next ? { nextMarker: next } : {}) }
}

/** decodeURIComponent, or the text as it is when its percent-escapes are malformed (answered as not found). */
export function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/**
 * Answers a CONNECT (which Node hands over as a raw socket) with `response`, a whole HTTP/1.1 message, and closes.
 * Node hands the socket over paused: it is read (and dropped) so the peer's close is seen and the socket ends; a
 * paused one stayed half-open for good and kept server.close() from ever finishing.
 */
export function answerConnect(socket: Duplex, response: string): void {
  socket.on('error', () => {})
  socket.resume()
  setTimeout(() => socket.destroy(), 2000).unref()
  socket.end(response)
}
