/**
 * The one client every system is measured with: Node's `http` with a single keep-alive agent, POSTing the same
 * body with the same headers. Unsigned: the embedded target does not check SigV4, the floor and the RIE have no
 * auth, so no system pays for signing.
 */
import http from 'node:http'

export interface Endpoint {
  host: string
  port: number
  path: string
}

export interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

export const agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 })

export function request(method: string, ep: Endpoint, body?: Buffer, headers: http.OutgoingHttpHeaders = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: ep.host,
        port: ep.port,
        path: ep.path,
        method,
        agent,
        headers: { ...(body ? { 'content-type': 'application/json', 'content-length': body.length } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

export function post(ep: Endpoint, body: Buffer): Promise<Answer> {
  return request('POST', ep, body)
}

/** A JSON call to the Lambda control plane (or the Logs subset) of the embedded target. */
export async function callJson(method: string, ep: Endpoint, input?: unknown, headers: http.OutgoingHttpHeaders = {}): Promise<unknown> {
  const a = await request(method, ep, input === undefined ? undefined : Buffer.from(JSON.stringify(input)), headers)
  const text = a.body.toString('utf8')
  if (a.status >= 300) throw new Error(`${method} ${ep.path}: HTTP ${a.status}: ${text.slice(0, 500)}`)
  return text === '' ? undefined : JSON.parse(text)
}
