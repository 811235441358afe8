import type http from 'node:http'
import type { ApiError } from '../lambda/protocol.js'

export class BodyTooLargeError extends Error {
  constructor(readonly received: number) {
    super(`body larger than the limit (${received} bytes read)`)
  }
}
export class TruncatedBodyError extends Error {}

/**
 * Reads a request body, keeping at most `limit` bytes in memory. Past the limit it keeps draining (without
 * buffering) so the client can read the error answer, then rejects with BodyTooLargeError.
 */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) over = true
      if (!over) chunks.push(c)
    })
    req.on('end', () => (over ? reject(new BodyTooLargeError(size)) : resolve(Buffer.concat(chunks, size))))
    req.on('aborted', () => reject(new TruncatedBodyError('request aborted before its body ended')))
    req.on('error', (e) => reject(e))
  })
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
