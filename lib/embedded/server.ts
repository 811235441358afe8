/**
 * The embedded target's HTTP front: the Lambda REST API (restJson1, as @aws-sdk/client-lambda and the AWS CLI
 * speak it) and the part of the CloudWatch Logs API (JSON 1.1) that reads function logs, on one 127.0.0.1 port.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import {
  ASYNC_REQUEST_LIMIT,
  apiErrors,
  CLIENT_CONTEXT_LIMIT,
  CODE_REQUEST_LIMIT,
  DESTINATION_ARN_CONSTRAINT,
  DESTINATION_ARN_MAX_LENGTH,
  DESTINATION_ARN_PATTERN,
  DESTINATION_SERVICES,
  EVENT_INVOKE_CONFIG_API,
  EVENT_INVOKE_CONFIG_LIST_MAX_ITEMS,
  EVENT_INVOKE_CONFIG_LIST_SEGMENT,
  EVENT_INVOKE_CONFIG_SEGMENT,
  INVOKE_HEADERS,
  type InvocationType,
  LATEST,
  LOG_TAIL_BYTES,
  MAX_EVENT_AGE_RANGE_S,
  MAX_RETRY_ATTEMPTS_RANGE,
  SYNC_REQUEST_LIMIT,
  newTraceId,
  type ValidationFailure,
} from '../lambda/protocol.js'
import { ApiException, type CreateFunctionInput, functionConfiguration, FunctionRegistry, type FunctionRecord } from './functions.js'
import type { EventSourceMappingInput, EventSourceMappings } from './esm/mappings.js'
import { answerConnect, BodyTooLargeError, decodeSegment, dropStalledBody, header, pageByMarker, readBody, sendApiError, sendJson, TruncatedBodyError } from './http-util.js'
import { LogStore } from './log-store.js'
import { addPermission, type AddPermissionInput, getPolicy, removePermission } from './policy.js'
import { ThrottledError } from './pool.js'
import type { Invocation } from './sandbox.js'
import type { SnsBridge } from './sns-bridge.js'

export interface ServerOptions {
  registry: FunctionRegistry
  logStore: LogStore
  region: string
  accountId: string
  /** Called for unexpected internal errors (they are also answered as ServiceException). */
  onInternalError?: (e: unknown) => void
  /** Event source mappings (esm/mappings.ts); without them the mapping operations are unsupported. */
  eventSourceMappings?: EventSourceMappings
  /**
   * Local AWS services (moto's server, lib/services/moto.ts) that every request the target does not answer itself
   * is forwarded to unchanged: one endpoint for all services, like LocalStack's edge port. CloudWatch Logs goes
   * there too; without it the target answers its own read-only Logs subset.
   */
  servicesEndpoint?: string
  /** Awaited before a Logs request is forwarded (and by POST /_embedded/logs/flush), so reads see every line. */
  flushLogs?: () => Promise<void>
  /** Delivers SNS messages to subscribed functions after moto has accepted a Publish (sns-bridge.ts). */
  snsBridge?: SnsBridge
  /**
   * How long one second of a configured MaximumEventAgeInSeconds lasts, in ms: 1000 unless a test shortens it (as
   * it shortens the retry delays), since the API accepts no age under 60 s.
   */
  eventAgeSecondMs?: number
}

const API = '/2015-03-31/functions'
const ESM_API = '/2015-03-31/event-source-mappings'
const proxyAgent = new http.Agent({ keepAlive: true })
/** What the SNS tap buffers of a request (SNS messages are at most 256 KB). */
const SNS_TAP_LIMIT = 4 * 1024 * 1024
/** Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'])

export class LambdaApiServer {
  private server?: http.Server
  endpoint = ''
  /** PutFunctionEventInvokeConfig's settings per function record, so a function created again under the same name starts without any. */
  private readonly eventInvokeConfigs = new WeakMap<FunctionRecord, StoredEventInvokeConfig>()

  constructor(private readonly o: ServerOptions) {
    if (o.eventAgeSecondMs !== undefined && !(o.eventAgeSecondMs > 0 && Number.isFinite(o.eventAgeSecondMs))) {
      throw new Error(`eventAgeSecondMs must be a positive number of milliseconds (1000 is real time), got ${o.eventAgeSecondMs}`)
    }
  }

  listen(port = 0): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res))
    server.requestTimeout = 0
    // CONNECT never reaches the request handler, and without a listener Node drops the socket unanswered: answer it
    // as any other unknown operation.
    server.on('connect', (req: http.IncomingMessage, socket: Duplex) => {
      const e = apiErrors.unsupportedOperation('CONNECT', req.url ?? '')
      const body = JSON.stringify(e.body)
      answerConnect(
        socket,
        `HTTP/1.1 ${e.status} ${http.STATUS_CODES[e.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
          `x-amzn-errortype: ${e.code}\r\nx-amzn-requestid: ${crypto.randomUUID()}\r\nconnection: close\r\n\r\n${body}`,
      )
    })
    this.server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        resolve(this.endpoint)
      })
    })
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()))
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = crypto.randomUUID()
    // Answered before the body is in (a 404 for an unknown function, a 413): a stalled body must not hold the socket.
    res.once('finish', () => dropStalledBody(req))
    try {
      const target = req.headers['x-amz-target']
      const services = this.o.servicesEndpoint
      if (req.url === '/_embedded/logs/flush' && req.method === 'POST') {
        req.resume()
        await this.o.flushLogs?.()
        res.writeHead(204, { 'x-amzn-requestid': requestId }).end()
        return
      }
      if (typeof target === 'string' && target.startsWith('Logs_20140328.')) {
        if (!services) return await this.logsApi(target.slice(14), req, res, requestId)
        await this.o.flushLogs?.()
        return this.forward(services, req, res, requestId)
      }
      if (services && !this.isLambdaRequest(req, target)) {
        const bridge = this.o.snsBridge
        if (bridge && req.method === 'POST' && target === undefined && credentialScope(req)?.service === 'sns') {
          // Buffered (SNS requests are small) so the bridge can read the message once moto has accepted it.
          const body = await readBody(req, SNS_TAP_LIMIT)
          return this.forward(services, req, res, requestId, {
            body,
            onAnswer: (status, answer) => {
              bridge.afterSnsRequest(body, status, answer).catch((e: unknown) => this.o.onInternalError?.(e))
            },
          })
        }
        return this.forward(services, req, res, requestId)
      }
      await this.lambdaApi(req, res, requestId)
    } catch (e) {
      if (e instanceof ApiException) return sendApiError(res, e.error, requestId)
      if (e instanceof TruncatedBodyError) return
      // Only the SNS tap reads a body outside jsonBody/invoke; a 500 would blame the target for the client's size.
      if (e instanceof BodyTooLargeError) return sendApiError(res, apiErrors.requestBodyTooLarge('Publish', SNS_TAP_LIMIT), requestId)
      this.o.onInternalError?.(e)
      sendApiError(res, apiErrors.service(`Internal error in the embedded target: ${(e as Error).message}`), requestId)
    }
  }

  // ------------------------------------------------------------------ routing to the local AWS services

  /**
   * What the target answers itself: the Lambda REST paths and its own `/_embedded/` paths, and any request signed
   * for the `lambda` service (so Lambda operations the target lacks get its UnsupportedOperation answer, not moto's
   * Lambda, which cannot run code). Everything else, `X-Amz-Target` APIs included, goes to the services.
   */
  private isLambdaRequest(req: http.IncomingMessage, target: string | string[] | undefined): boolean {
    // The path as lambdaApi routes it (dot segments resolved), so both agree on what is Lambda's.
    const pathname = requestUrl(req)?.pathname ?? (req.url ?? '/').split('?')[0]!
    if (pathname === API || pathname.startsWith(`${API}/`) || pathname === ESM_API || pathname.startsWith(`${ESM_API}/`) || pathname.startsWith(`${EVENT_INVOKE_CONFIG_API}/`) || pathname.startsWith('/_embedded/')) return true
    if (target !== undefined) return false
    const auth = header(req, 'authorization') ?? ''
    return /Credential=[^/,]+\/\d{8}\/[^/,]+\/lambda\/aws4_request/.test(auth)
  }

  /**
   * Streams the request to `base` unchanged (method, path, query, headers, body) and the answer back. A 12-digit
   * access key id selects that account (as on LocalStack): moto gets it as `x-moto-account-id`. With `tap`, the
   * body was read already, and `onAnswer` gets moto's status and body once the answer has been sent on.
   */
  private forward(
    base: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    requestId: string,
    tap?: { body: Buffer; onAnswer: (status: number, body: Buffer) => void },
  ): Promise<void> {
    const to = new URL(base)
    const headers: http.OutgoingHttpHeaders = {}
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v
    const accessKey = credentialScope(req)?.accessKeyId
    if (accessKey && /^\d{12}$/.test(accessKey) && headers['x-moto-account-id'] === undefined) headers['x-moto-account-id'] = accessKey
    if (tap) {
      delete headers['transfer-encoding']
      headers['content-length'] = String(tap.body.length)
    }
    return new Promise<void>((resolve) => {
      const out = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers, agent: proxyAgent }, (answer) => {
        const back: http.OutgoingHttpHeaders = {}
        for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) back[k] = v
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, back)
        answer.pipe(res)
        const chunks: Buffer[] = []
        if (tap) answer.on('data', (c: Buffer) => chunks.push(c))
        answer.once('end', () => {
          resolve()
          if (!tap) return
          // After the answer has gone out (or the client has gone): delivery never delays the caller.
          let called = false
          const done = (): void => {
            if (called) return
            called = true
            tap.onAnswer(answer.statusCode ?? 502, Buffer.concat(chunks))
          }
          if (res.writableFinished || res.destroyed) done()
          else (res.once('finish', done), res.once('close', done))
        })
        answer.once('error', () => (res.destroy(), resolve()))
      })
      out.once('error', (e) => {
        req.unpipe(out)
        req.resume()
        if (!res.headersSent) {
          sendJson(res, 502, { __type: 'ServiceUnavailableException', message: `The embedded target could not reach its local AWS services at ${base}: ${e.message}` }, { 'x-amzn-requestid': requestId, 'x-amzn-errortype': 'ServiceUnavailableException' })
        } else res.destroy()
        resolve()
      })
      res.once('close', () => {
        if (!res.writableFinished) out.destroy()
      })
      if (tap) out.end(tap.body)
      else req.pipe(out)
    })
  }

  // ------------------------------------------------------------------ Lambda API

  private async lambdaApi(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
    const method = req.method ?? 'GET'
    const url = requestUrl(req)
    if (!url) {
      req.resume()
      throw new ApiException(apiErrors.unsupportedOperation(method, req.url ?? ''))
    }
    const parts = url.pathname.startsWith(API) ? url.pathname.slice(API.length).split('/').filter(Boolean).map(decodeSegment) : null
    if (this.o.eventSourceMappings && (url.pathname === ESM_API || url.pathname.startsWith(`${ESM_API}/`))) {
      return this.eventSourceMappingApi(this.o.eventSourceMappings, url, method, req, res, requestId)
    }
    if (url.pathname.startsWith(`${EVENT_INVOKE_CONFIG_API}/`)) return this.eventInvokeConfigApi(url, method, req, res, requestId)
    const reg = this.o.registry
    const ok = (status: number, body: unknown): void => sendJson(res, status, body, { 'x-amzn-requestid': requestId })
    if (parts && parts.length === 0) {
      if (method === 'POST') {
        const fn = await reg.create(await jsonBody<CreateFunctionInput>(req, CODE_REQUEST_LIMIT, 'CreateFunction', apiErrors.zippedTooLarge()))
        return ok(201, functionConfiguration(fn, this.o.region))
      }
      if (method === 'GET') return ok(200, this.listFunctions(url))
    } else if (parts && parts.length === 1) {
      const name = parts[0]!
      const qualifier = url.searchParams.get('Qualifier') ?? undefined
      if (method === 'GET') {
        const fn = reg.get(name, qualifier)
        return ok(200, {
          Configuration: functionConfiguration(fn, this.o.region),
          Code: { RepositoryType: 'S3', Location: `${this.endpoint}/_embedded/code/${encodeURIComponent(fn.name)}.zip?sha256=${encodeURIComponent(fn.codeSha256)}` },
        })
      }
      if (method === 'DELETE') {
        await reg.delete(name)
        res.writeHead(204, { 'x-amzn-requestid': requestId }).end()
        return
      }
    } else if (parts && parts.length === 2) {
      const [name, sub] = parts as [string, string]
      if (sub === 'configuration' && method === 'GET') return ok(200, functionConfiguration(reg.get(name, url.searchParams.get('Qualifier') ?? undefined), this.o.region))
      if (sub === 'configuration' && method === 'PUT') {
        return ok(200, functionConfiguration(reg.updateConfiguration(name, await jsonBody<CreateFunctionInput>(req, 1_000_000, 'UpdateFunctionConfiguration')), this.o.region))
      }
      if (sub === 'code' && method === 'PUT') {
        const fn = await reg.updateCode(name, await jsonBody<{ ZipFile?: string }>(req, CODE_REQUEST_LIMIT, 'UpdateFunctionCode', apiErrors.zippedTooLarge()))
        return ok(200, functionConfiguration(fn, this.o.region))
      }
      if (sub === 'invocations' && method === 'POST') return this.invoke(name, url, req, res, requestId)
      if (sub === 'policy' && method === 'POST') {
        const input = await jsonBody<AddPermissionInput>(req, 1_000_000, 'AddPermission')
        return ok(201, addPermission(reg.get(name, url.searchParams.get('Qualifier') ?? input.Qualifier ?? undefined), input))
      }
      if (sub === 'policy' && method === 'GET') return ok(200, getPolicy(reg.get(name, url.searchParams.get('Qualifier') ?? undefined)))
    } else if (parts && parts.length === 3 && parts[1] === 'policy' && method === 'DELETE') {
      req.resume()
      removePermission(reg.get(parts[0]!, url.searchParams.get('Qualifier') ?? undefined), parts[2]!, url.searchParams.get('RevisionId') ?? undefined)
      res.writeHead(204, { 'x-amzn-requestid': requestId }).end()
      return
    } else if (url.pathname.startsWith('/_embedded/code/') && method === 'GET') {
      const fn = reg.get(decodeSegment(url.pathname.slice('/_embedded/code/'.length).replace(/\.zip$/, '')))
      const data = fs.readFileSync(fn.zipPath)
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(data.length) }).end(data)
      return
    }
    req.resume()
    throw new ApiException(apiErrors.unsupportedOperation(method, url.pathname))
  }

  /** Create/Get/List/Update/DeleteEventSourceMapping (restJson1, as @aws-sdk/client-lambda sends them). */
  private async eventSourceMappingApi(esm: EventSourceMappings, url: URL, method: string, req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
    const ok = (status: number, body: unknown): void => sendJson(res, status, body, { 'x-amzn-requestid': requestId })
    const rest = url.pathname.slice(ESM_API.length).split('/').filter(Boolean).map(decodeSegment)
    if (rest.length === 0 && method === 'POST') return ok(202, esm.create(await jsonBody<EventSourceMappingInput>(req, 1_000_000, 'CreateEventSourceMapping')))
    if (rest.length === 0 && method === 'GET') {
      const q = url.searchParams
      const maxItems = q.get('MaxItems')
      return ok(200, esm.list({ functionName: q.get('FunctionName') ?? undefined, eventSourceArn: q.get('EventSourceArn') ?? undefined, marker: q.get('Marker') ?? undefined, maxItems: maxItems === null ? undefined : Number(maxItems) }))
    }
    if (rest.length === 1) {
      const uuid = rest[0]!
      if (method === 'GET') return ok(200, esm.get(uuid))
      if (method === 'PUT') return ok(202, esm.update(uuid, await jsonBody<EventSourceMappingInput>(req, 1_000_000, 'UpdateEventSourceMapping')))
      if (method === 'DELETE') return ok(202, esm.delete(uuid))
    }
    req.resume()
    throw new ApiException(apiErrors.unsupportedOperation(method, url.pathname))
  }

  // ------------------------------------------------------------------ async invocation configuration

  /**
   * Put/Get/Update/DeleteFunctionEventInvokeConfig and ListFunctionEventInvokeConfigs (restJson1, API 2019-09-25),
   * answered as AWS answers them (protocol.ts "async invocation configuration"). MaximumRetryAttempts and
   * MaximumEventAgeInSeconds go to the function's async queue (pool.ts); DestinationConfig is validated, stored and
   * returned, but the target delivers to no destination: on-failure records stay in `pool.asyncFailures`.
   * Only `$LATEST` exists here (no versions or aliases), so a function has at most one configuration.
   */
  private async eventInvokeConfigApi(url: URL, method: string, req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
    const ok = (body: unknown): void => sendJson(res, 200, body, { 'x-amzn-requestid': requestId })
    const rest = url.pathname.slice(EVENT_INVOKE_CONFIG_API.length).split('/').filter(Boolean).map(decodeSegment)
    const qualifier = url.searchParams.get('Qualifier') ?? undefined
    if (rest.length === 2 && rest[1] === EVENT_INVOKE_CONFIG_SEGMENT) {
      const name = rest[0]!
      if (method === 'PUT' || method === 'POST') {
        const op = method === 'PUT' ? 'PutFunctionEventInvokeConfig' : 'UpdateFunctionEventInvokeConfig'
        const input = eventInvokeConfigInput(await jsonBody<Record<string, unknown>>(req, 1_000_000, op))
        return ok(this.putEventInvokeConfig(name, qualifier, input, method === 'PUT'))
      }
      req.resume()
      if (method === 'GET') {
        const { fn, arn } = this.eventInvokeTarget(name, qualifier)
        const c = fn && this.eventInvokeConfigs.get(fn)
        if (!fn || !c) throw new ApiException(apiErrors.eventInvokeConfigNotFound(arn))
        return ok(this.eventInvokeConfigBody(fn, c))
      }
      if (method === 'DELETE') {
        const { fn, arn } = this.eventInvokeTarget(name, qualifier)
        if (!fn || !this.eventInvokeConfigs.delete(fn)) throw new ApiException(apiErrors.eventInvokeConfigNotFound(arn))
        fn.pool.setEventInvokeConfig(undefined)
        res.writeHead(204, { 'x-amzn-requestid': requestId }).end()
        return
      }
    } else if (rest.length === 3 && rest[1] === EVENT_INVOKE_CONFIG_SEGMENT && rest[2] === EVENT_INVOKE_CONFIG_LIST_SEGMENT && method === 'GET') {
      req.resume()
      return ok(this.listEventInvokeConfigs(rest[0]!, url.searchParams.get('Marker') ?? undefined, url.searchParams.get('MaxItems') ?? undefined))
    }
    req.resume()
    throw new ApiException(apiErrors.unsupportedOperation(method, url.pathname))
  }

  /** Put (`replace`: members left out go back to their defaults) or Update (members left out are kept). */
  private putEventInvokeConfig(name: string, qualifier: string | undefined, input: EventInvokeConfigInput, replace: boolean): Record<string, unknown> {
    // AWS's order (EIC): member constraints (checked as the body was read), then "nothing to set", even for a
    // function that does not exist, then the function.
    if (input.maximumRetryAttempts === undefined && input.maximumEventAgeInSeconds === undefined && input.destinations === undefined) {
      throw new ApiException(apiErrors.eventInvokeConfigEmpty())
    }
    const { fn, arn } = this.eventInvokeTarget(name, qualifier)
    if (!fn) throw new ApiException(apiErrors.eventInvokeFunctionNotFound())
    const old = this.eventInvokeConfigs.get(fn)
    if (!replace && !old) throw new ApiException(apiErrors.eventInvokeConfigNotFound(arn))
    if (input.destinations) this.checkDestinations(fn, input.destinations)
    const base: Omit<StoredEventInvokeConfig, 'lastModifiedMs'> = replace ? {} : old!
    const c: StoredEventInvokeConfig = {
      maximumRetryAttempts: input.maximumRetryAttempts ?? base.maximumRetryAttempts,
      maximumEventAgeInSeconds: input.maximumEventAgeInSeconds ?? base.maximumEventAgeInSeconds,
      // Update replaces DestinationConfig as a whole when given (as LocalStack does; AWS's merge of its members is unrecorded).
      destinations: input.destinations ?? base.destinations,
      lastModifiedMs: Date.now(),
    }
    this.eventInvokeConfigs.set(fn, c)
    const secondMs = this.o.eventAgeSecondMs ?? 1000
    fn.pool.setEventInvokeConfig({
      maximumRetryAttempts: c.maximumRetryAttempts,
      maximumEventAgeInSeconds: c.maximumEventAgeInSeconds === undefined ? undefined : (c.maximumEventAgeInSeconds * secondMs) / 1000,
    })
    return this.eventInvokeConfigBody(fn, c)
  }

  private listEventInvokeConfigs(name: string, marker: string | undefined, maxItemsRaw: string | undefined): Record<string, unknown> {
    const [min, top] = EVENT_INVOKE_CONFIG_LIST_MAX_ITEMS
    let max: number = top
    if (maxItemsRaw !== undefined) {
      if (!/^-?\d+$/.test(maxItemsRaw)) throw new ApiException(apiErrors.serialization(`MaxItems must be an integer, got ${JSON.stringify(maxItemsRaw)}`))
      max = Number(maxItemsRaw)
      if (max < min) throw new ApiException(apiErrors.validation(maxItemsRaw, 'maxItems', `Member must have value greater than or equal to ${min}`))
      if (max > top) throw new ApiException(apiErrors.validation(maxItemsRaw, 'maxItems', `Member must have value less than or equal to ${top}`))
    }
    const { fn } = this.eventInvokeTarget(name, undefined)
    if (!fn) throw new ApiException(apiErrors.eventInvokeFunctionNotFound())
    const c = this.eventInvokeConfigs.get(fn)
    const all = c ? [this.eventInvokeConfigBody(fn, c)] : []
    const { page, nextMarker } = pageByMarker(all, marker, max, 'ListFunctionEventInvokeConfigs')
    return { FunctionEventInvokeConfigs: page, ...(nextMarker ? { NextMarker: nextMarker } : {}) }
  }

  /**
   * The function a FunctionName (name, ARN, `name:qualifier`) and Qualifier name, or no function when there is none
   * (those operations answer in their own words), with the qualified ARN their messages print. Bad names, foreign
   * regions or accounts and qualifier conflicts get the same answers as on every other route.
   */
  private eventInvokeTarget(raw: string, qualifier: string | undefined): { fn?: FunctionRecord; arn: string } {
    const reg = this.o.registry
    const r = reg.resolve(raw, qualifier)
    return r.fn ? { fn: r.fn, arn: reg.arn(r.fn.name, LATEST) } : { arn: reg.arn(r.name, r.qualifier || LATEST) }
  }

  /**
   * What AWS checks of the destinations beyond their pattern (EIC recordings): a Lambda destination must exist (here:
   * a function of this target) and not be the function itself; other services must be able to take records.
   */
  private checkDestinations(fn: FunctionRecord, d: Destinations): void {
    let invalid = false
    for (const [member, arn] of [['onFailure', d.onFailure], ['onSuccess', d.onSuccess]] as const) {
      if (!arn) continue
      const service = arn.split(':')[2] ?? ''
      if (service === 'lambda') {
        const m = /^arn:aws[a-zA-Z0-9-]*:lambda:([^:]+):(\d{12}):function:([^:]+)(?::[^:]+)?$/.exec(arn)
        const dest = m && m[1] === this.o.region && m[2] === this.o.accountId ? this.o.registry.list().find((f) => f.name === m[3]) : undefined
        if (!dest) throw new ApiException(apiErrors.destinationNotFound(arn))
        if (dest === fn) throw new ApiException(apiErrors.destinationIsSelf())
      } else if (!(DESTINATION_SERVICES[member] as readonly string[]).includes(service)) invalid = true
    }
    if (invalid) throw new ApiException(apiErrors.destinationConfigInvalid(d.onSuccess, d.onFailure))
  }

  /** FunctionEventInvokeConfig: unset members left out, both destinations always present, LastModified in epoch seconds (model `Date`; model examples print `1573687896.493`). */
  private eventInvokeConfigBody(fn: FunctionRecord, c: StoredEventInvokeConfig): Record<string, unknown> {
    const d = c.destinations ?? {}
    return {
      LastModified: c.lastModifiedMs / 1000,
      FunctionArn: this.o.registry.arn(fn.name, LATEST),
      ...(c.maximumRetryAttempts !== undefined ? { MaximumRetryAttempts: c.maximumRetryAttempts } : {}),
      ...(c.maximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: c.maximumEventAgeInSeconds } : {}),
      DestinationConfig: { OnSuccess: d.onSuccess ? { Destination: d.onSuccess } : {}, OnFailure: d.onFailure ? { Destination: d.onFailure } : {} },
    }
  }

  private listFunctions(url: URL): Record<string, unknown> {
    const all = this.o.registry.list()
    const max = Math.min(Math.max(Number(url.searchParams.get('MaxItems') ?? 50) || 50, 1), 10_000)
    const { page, nextMarker } = pageByMarker(all, url.searchParams.get('Marker') ?? undefined, max, 'ListFunctions')
    return { Functions: page.map((f) => functionConfiguration(f, this.o.region)), ...(nextMarker ? { NextMarker: nextMarker } : {}) }
  }

  private async invoke(name: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
    const reg = this.o.registry
    const qualifier = url.searchParams.get('Qualifier') ?? undefined
    const fn = reg.get(name, qualifier, 'latest')
    const type = (header(req, INVOKE_HEADERS.invocationType) ?? 'RequestResponse') as InvocationType
    if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
      req.resume()
      throw new ApiException(apiErrors.validation(type, 'invocationType', 'Member must satisfy enum value set: [Event, RequestResponse, DryRun]'))
    }
    const limit = type === 'Event' ? ASYNC_REQUEST_LIMIT : SYNC_REQUEST_LIMIT
    let body: Buffer
    try {
      body = await readBody(req, limit)
    } catch (e) {
      if (e instanceof BodyTooLargeError) throw new ApiException(type === 'Event' ? apiErrors.asyncRequestTooLarge(e.received) : apiErrors.requestTooLarge())
      throw e
    }
    const payload = validatePayload(body)
    const logType = header(req, INVOKE_HEADERS.logType) ?? 'None'
    if (logType !== 'None' && logType !== 'Tail') throw new ApiException(apiErrors.validation(logType, 'logType', 'Member must satisfy enum value set: [Tail, None]'))
    const clientContext = decodeClientContext(header(req, INVOKE_HEADERS.clientContext))
    if (fn.state === 'Pending') throw new ApiException(apiErrors.pending())
    const base = { 'x-amzn-requestid': requestId }
    if (type === 'DryRun') {
      res.writeHead(204, base).end()
      return
    }
    const traceId = header(req, INVOKE_HEADERS.traceId) ?? newTraceId()
    const invokedArn = reg.arn(fn.name, qualifier)
    const makeInvocation = (): Invocation => ({ requestId, payload, invokedArn, traceId, clientContext, log: [] })
    if (type === 'Event') {
      fn.pool.enqueue(makeInvocation)
      res.writeHead(202, { ...base, 'content-length': '0' }).end()
      return
    }
    const inv = makeInvocation()
    let result
    try {
      result = await fn.pool.invoke(inv)
    } catch (e) {
      if (e instanceof ThrottledError) throw new ApiException(apiErrors.throttled())
      throw e
    }
    if (logType === 'Tail') await result.finished
    const headers: Record<string, string> = {
      ...base,
      'content-type': 'application/json',
      'content-length': String(result.outcome.body.length),
      [INVOKE_HEADERS.executedVersion]: LATEST,
    }
    if (!result.outcome.ok) headers[INVOKE_HEADERS.functionError] = 'Unhandled'
    if (logType === 'Tail') headers[INVOKE_HEADERS.logResult] = logTail(inv.log)
    res.writeHead(200, headers).end(result.outcome.body)
  }

  // ------------------------------------------------------------------ CloudWatch Logs (read side)

  private async logsApi(op: string, req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
    const input = await jsonBody<Record<string, unknown>>(req, 1_000_000, op)
    const ok = (body: unknown): void => sendJson(res, 200, body, { 'x-amzn-requestid': requestId, 'content-type': 'application/x-amz-json-1.1' })
    const group = String(input.logGroupName ?? '')
    const streams = this.o.logStore.streams(group)
    const notFound = (): never => {
      throw new ApiException({ status: 400, code: 'ResourceNotFoundException', body: { __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' } })
    }
    switch (op) {
      case 'DescribeLogStreams':
        if (streams.length === 0) notFound()
        return ok({
          logStreams: streams.map((s) => ({
            logStreamName: s.name,
            creationTime: s.createdAt,
            firstEventTimestamp: s.events[0]?.timestamp,
            lastEventTimestamp: s.events.at(-1)?.timestamp,
            arn: `arn:aws:logs:${this.o.region}:${this.o.accountId}:log-group:${group}:log-stream:${s.name}`,
          })),
        })
      case 'GetLogEvents': {
        const s = streams.find((x) => x.name === input.logStreamName)
        if (!s) notFound()
        return ok({ events: s!.events.map(({ timestamp, message, ingestionTime }) => ({ timestamp, message, ingestionTime })), nextForwardToken: 'f/0', nextBackwardToken: 'b/0' })
      }
      case 'FilterLogEvents': {
        if (streams.length === 0) notFound()
        // Plain terms only (all must occur), like moto; quoted phrases are matched literally.
        const pattern = String(input.filterPattern ?? '').trim()
        const terms = pattern === '' ? [] : (pattern.match(/"[^"]*"|\S+/g) ?? []).map((t) => t.replace(/^"|"$/g, ''))
        const wanted = Array.isArray(input.logStreamNames) ? new Set(input.logStreamNames as string[]) : null
        const events = streams
          .filter((s) => !wanted || wanted.has(s.name))
          .flatMap((s) => s.events.map((e, i) => ({ logStreamName: s.name, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime, eventId: `${s.name}/${i}` })))
          .filter((e) => terms.every((t) => e.message.includes(t)))
          .filter((e) => (typeof input.startTime !== 'number' || e.timestamp >= input.startTime) && (typeof input.endTime !== 'number' || e.timestamp <= input.endTime))
          .sort((a, b) => a.timestamp - b.timestamp)
        return ok({ events, searchedLogStreams: streams.map((s) => ({ logStreamName: s.name, searchedCompletely: true })) })
      }
      default:
        throw new ApiException({ status: 400, code: 'UnknownOperationException', body: { __type: 'UnknownOperationException', message: `The embedded target does not implement Logs ${op}` } })
    }
  }
}

// ------------------------------------------------------------------ async invocation configuration: request members

interface Destinations {
  onSuccess?: string
  onFailure?: string
}

interface StoredEventInvokeConfig {
  maximumRetryAttempts?: number
  maximumEventAgeInSeconds?: number
  /** Unset: no DestinationConfig given. An empty Destination counts as none, as AWS echoes it (`{}`). */
  destinations?: Destinations
  lastModifiedMs: number
}

interface EventInvokeConfigInput {
  maximumRetryAttempts?: number
  maximumEventAgeInSeconds?: number
  destinations?: Destinations
}

/**
 * The members of a Put/UpdateFunctionEventInvokeConfig body: a wrong JSON type is a SerializationException (null
 * counts as absent), and every broken constraint is named in one ValidationException, in AWS's words.
 */
function eventInvokeConfigInput(body: Record<string, unknown>): EventInvokeConfigInput {
  const failures: ValidationFailure[] = []
  const integer = (member: string, field: string, [min, max]: readonly [number, number]): number | undefined => {
    const v = body[member]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new ApiException(apiErrors.serialization(`Unexpected JSON value at ${member}: expected an integer, got ${JSON.stringify(v)}`))
    if (v < min) failures.push({ value: String(v), field, constraint: `Member must have value greater than or equal to ${min}` })
    else if (v > max) failures.push({ value: String(v), field, constraint: `Member must have value less than or equal to ${max}` })
    return v
  }
  const structure = (v: unknown, at: string): Record<string, unknown> | undefined => {
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'object' || Array.isArray(v)) throw new ApiException(apiErrors.serialization(`Unexpected JSON type at ${at}: expected a structure, got ${Array.isArray(v) ? 'array' : typeof v}`))
    return v as Record<string, unknown>
  }
  const destination = (parent: Record<string, unknown> | undefined, member: 'OnSuccess' | 'OnFailure'): string | undefined => {
    const at = `DestinationConfig.${member}`
    const v = structure(parent?.[member], at)?.Destination
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'string') throw new ApiException(apiErrors.serialization(`Unexpected JSON type at ${at}.Destination: expected a string, got ${typeof v}`))
    const field = `destinationConfig.${member === 'OnSuccess' ? 'onSuccess' : 'onFailure'}.destination`
    if (v.length > DESTINATION_ARN_MAX_LENGTH) failures.push({ value: v, field, constraint: `Member must have length less than or equal to ${DESTINATION_ARN_MAX_LENGTH}` })
    if (!DESTINATION_ARN_PATTERN.test(v)) failures.push({ value: v, field, constraint: DESTINATION_ARN_CONSTRAINT })
    return v === '' ? undefined : v
  }
  const maximumRetryAttempts = integer('MaximumRetryAttempts', 'maximumRetryAttempts', MAX_RETRY_ATTEMPTS_RANGE)
  const maximumEventAgeInSeconds = integer('MaximumEventAgeInSeconds', 'maximumEventAgeInSeconds', MAX_EVENT_AGE_RANGE_S)
  const dc = structure(body.DestinationConfig, 'DestinationConfig')
  const destinations = dc && { onSuccess: destination(dc, 'OnSuccess'), onFailure: destination(dc, 'OnFailure') }
  if (failures.length > 0) throw new ApiException(apiErrors.validations(failures))
  return { maximumRetryAttempts, maximumEventAgeInSeconds, destinations }
}

async function jsonBody<T>(req: http.IncomingMessage, limit: number, operation: string, tooLarge = apiErrors.requestBodyTooLarge(operation, limit)): Promise<T> {
  let raw: Buffer
  try {
    raw = await readBody(req, limit)
  } catch (e) {
    if (e instanceof BodyTooLargeError) throw new ApiException(tooLarge)
    throw e
  }
  if (raw.length === 0) return {} as T
  let v: unknown
  try {
    v = JSON.parse(raw.toString('utf8'))
  } catch (e) {
    throw new ApiException(apiErrors.serialization(`Could not parse request body: ${(e as Error).message}`))
  }
  // The operations read members of an object; `null`, `5` or `[]` crashed them (TypeError → 500) before.
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ApiException(apiErrors.serialization(`Could not parse request body: expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`))
  return v as T
}

/**
 * The request target as a URL: origin-form (`/path`, `//path` kept as a path, not a host) or absolute-form; null
 * when it is neither (`*`, junk), which is then an unknown operation. Before, `new URL` threw on such targets: 500.
 */
function requestUrl(req: http.IncomingMessage): URL | null {
  const raw = req.url ?? '/'
  try {
    return raw.startsWith('/') ? new URL(`http://x${raw}`) : new URL(raw)
  } catch {
    return null
  }
}

/** A percent-decoded path segment; a malformed escape (`%zz`, a cut UTF-8 sequence) stays as sent, so the name check refuses it (before: URIError → 500). */
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Empty means `{}`; anything else must be UTF-8 JSON (LB §2.1, §2.4). */
function validatePayload(body: Buffer): Buffer {
  if (body.length === 0) return Buffer.from('{}')
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    throw new ApiException(apiErrors.invalidJson('Invalid UTF-8 start byte or continuation byte in the payload'))
  }
  try {
    JSON.parse(text)
  } catch (e) {
    throw new ApiException(apiErrors.invalidJson((e as Error).message))
  }
  return body
}

function decodeClientContext(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined
  if (raw.length > CLIENT_CONTEXT_LIMIT) {
    throw new ApiException(apiErrors.invalidRequestContent(`Client context must be smaller than ${CLIENT_CONTEXT_LIMIT} bytes`))
  }
  const text = Buffer.from(raw, 'base64').toString('utf8')
  try {
    const v: unknown = JSON.parse(text)
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object')
  } catch {
    throw new ApiException(apiErrors.invalidRequestContent('Client context must be a valid Base64-encoded JSON object.'))
  }
  return text
}

/** The last 4 KB of the invocation's log, base64 (LB §2.2; cut point not asserted, LB §9 #10). */
function logTail(lines: string[]): string {
  const all = Buffer.from(lines.map((l) => l + '\n').join(''))
  return all.subarray(Math.max(0, all.length - LOG_TAIL_BYTES)).toString('base64')
}


/** The access key id and service of a SigV4 `Authorization` header, if any. */
function credentialScope(req: http.IncomingMessage): { accessKeyId: string; service: string } | undefined {
  const m = /Credential=([^/,\s]+)\/\d{8}\/[^/,]+\/([^/,]+)\/aws4_request/.exec(header(req, 'authorization') ?? '')
  return m ? { accessKeyId: m[1]!, service: m[2]! } : undefined
}

