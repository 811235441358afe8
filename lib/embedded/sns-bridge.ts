/**
 * SNS → Lambda delivery for the embedded target. moto keeps topics and subscriptions but cannot run Lambda code
 * (and its launcher is patched so a `lambda` subscription does nothing inside Publish, lib/services/moto.ts); so
 * when a Publish or PublishBatch passes through the target's edge and moto answers success, the target reads the
 * topic's `lambda` subscriptions back from moto (ListSubscriptionsByTopic, in the topic's account) and queues an
 * asynchronous invocation (the pool's `enqueue`: async retries apply, LB §6) of each subscribed function it runs,
 * with the SNS event of LB §7.
 *
 * SNS invokes a function only when the function's resource-based policy allows it (Lambda developer guide, "Invoking
 * Lambda functions with Amazon SNS notifications": the console adds that permission, the API and SDK path needs
 * AddPermission). The bridge asks for it in every case, same account or not; a refused delivery is logged on stderr,
 * as AWS fails the delivery (it would show in the topic's delivery-status logs).
 */
import crypto from 'node:crypto'
import { newTraceId } from '../lambda/protocol.js'
import type { FunctionRecord, FunctionRegistry } from './functions.js'
import { allowsService } from './policy.js'

export interface SnsBridgeOptions {
  registry: FunctionRegistry
  region: string
  accountId: string
  servicesEndpoint: string
  log(message: string): void
}

export interface SnsMessage {
  /** moto's MessageId. */
  messageId: string
  topicArn: string
  message: string
  subject?: string
  attributes: Record<string, { Type: string; Value: string }>
}

/** The SNS event for one Lambda subscription (LB §7; aws-lambda-go events/testdata/sns-event.json). */
export function snsEvent(m: SnsMessage, subscriptionArn: string, timestamp: Date, region: string): unknown {
  const signature = crypto.randomBytes(256).toString('base64')
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: 'Notification',
          MessageId: m.messageId,
          TopicArn: m.topicArn,
          Subject: m.subject ?? null,
          Message: m.message,
          Timestamp: timestamp.toISOString(),
          SignatureVersion: '1',
          Signature: signature,
          SigningCertUrl: `https://sns.${region}.amazonaws.com/SimpleNotificationService-${crypto.randomBytes(16).toString('hex')}.pem`,
          UnsubscribeUrl: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`,
          MessageAttributes: m.attributes,
        },
      },
    ],
  }
}

/** `MessageAttributes.entry.N.{Name,Value.DataType,Value.StringValue,Value.BinaryValue}` under `prefix`. */
function attributesFrom(form: URLSearchParams, prefix: string): SnsMessage['attributes'] {
  const out: SnsMessage['attributes'] = {}
  for (let n = 1; form.has(`${prefix}MessageAttributes.entry.${n}.Name`); n++) {
    const e = `${prefix}MessageAttributes.entry.${n}`
    const type = form.get(`${e}.Value.DataType`) ?? 'String'
    const value = type.startsWith('Binary') ? form.get(`${e}.Value.BinaryValue`) : form.get(`${e}.Value.StringValue`)
    out[form.get(`${e}.Name`)!] = { Type: type, Value: value ?? '' }
  }
  return out
}

function xmlValues(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => unxml(m[1]!))
}

function unxml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|#(\d+)|#x([0-9a-fA-F]+)|amp);/g, (all, name: string, dec?: string, hex?: string) => {
    if (dec) return String.fromCodePoint(Number(dec))
    if (hex) return String.fromCodePoint(parseInt(hex, 16))
    return ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[name] ?? all
  })
}

/**
 * The messages a successful awsQuery Publish or PublishBatch carried (request form plus moto's XML answer), or []
 * when the request is not one of those or names no topic.
 */
export function publishedMessages(form: URLSearchParams, answerXml: string): SnsMessage[] {
  const action = form.get('Action')
  if (action === 'Publish') {
    const topicArn = form.get('TopicArn') ?? form.get('TargetArn') ?? ''
    const messageId = xmlValues(answerXml, 'MessageId')[0]
    if (!isTopicArn(topicArn) || !messageId) return []
    return [{ messageId, topicArn, message: form.get('Message') ?? '', subject: form.get('Subject') ?? undefined, attributes: attributesFrom(form, '') }]
  }
  if (action === 'PublishBatch') {
    const topicArn = form.get('TopicArn') ?? ''
    if (!isTopicArn(topicArn)) return []
    // Successful entries: <member><Id>…</Id><MessageId>…</MessageId></member> inside <Successful>.
    const successful = /<Successful>([\s\S]*?)<\/Successful>/.exec(answerXml)?.[1] ?? ''
    const ids = new Map<string, string>()
    for (const member of xmlValues(successful, 'member')) {
      const id = xmlValues(member, 'Id')[0]
      const messageId = xmlValues(member, 'MessageId')[0]
      if (id !== undefined && messageId !== undefined) ids.set(id, messageId)
    }
    const out: SnsMessage[] = []
    for (let n = 1; form.has(`PublishBatchRequestEntries.member.${n}.Id`); n++) {
      const p = `PublishBatchRequestEntries.member.${n}.`
      const messageId = ids.get(form.get(`${p}Id`)!)
      if (!messageId) continue
      out.push({ messageId, topicArn, message: form.get(`${p}Message`) ?? '', subject: form.get(`${p}Subject`) ?? undefined, attributes: attributesFrom(form, p) })
    }
    return out
  }
  return []
}

function isTopicArn(arn: string): boolean {
  return /^arn:aws[a-z-]*:sns:[^:]+:\d{12}:[^:]+$/.test(arn)
}

interface LambdaSubscription {
  subscriptionArn: string
  endpoint: string
}

export class SnsBridge {
  constructor(private readonly o: SnsBridgeOptions) {}

  /** Called once moto has answered a forwarded SNS request (never awaited by the edge). */
  async afterSnsRequest(body: Buffer, status: number, answer: Buffer): Promise<void> {
    if (status !== 200) return
    const form = new URLSearchParams(body.toString('utf8'))
    const messages = publishedMessages(form, answer.toString('utf8'))
    if (messages.length === 0) return
    const at = new Date()
    const byTopic = new Map<string, LambdaSubscription[]>()
    for (const m of messages) {
      let subs = byTopic.get(m.topicArn)
      if (!subs) {
        try {
          subs = await this.lambdaSubscriptions(m.topicArn)
        } catch (e) {
          this.o.log(`SNS delivery from ${m.topicArn}: could not list its subscriptions: ${(e as Error).message}`)
          subs = []
        }
        byTopic.set(m.topicArn, subs)
      }
      for (const s of subs) this.deliver(m, s, at)
    }
  }

  private deliver(m: SnsMessage, s: LambdaSubscription, at: Date): void {
    const refuse = (why: string): void => this.o.log(`SNS delivery of message ${m.messageId} from ${m.topicArn} to ${s.endpoint} failed: ${why}`)
    const arn = /^arn:aws[a-z-]*:lambda:([^:]+):(\d{12}):function:([^:]+)(?::([^:]+))?$/.exec(s.endpoint)
    if (!arn) return refuse('the endpoint is not a Lambda function ARN')
    const [, region, account, name, qualifier] = arn
    if (region !== this.o.region || account !== this.o.accountId) return refuse(`the function is not in this target (region ${this.o.region}, account ${this.o.accountId})`)
    let fn: FunctionRecord
    try {
      fn = this.o.registry.get(name!, qualifier)
    } catch {
      return refuse('function not found')
    }
    const topicAccount = m.topicArn.split(':')[4]!
    if (!allowsService(fn, 'sns.amazonaws.com', m.topicArn, topicAccount)) {
      return refuse('the function\'s resource-based policy does not allow sns.amazonaws.com to invoke it for this topic (AddPermission with Principal "sns.amazonaws.com" and SourceArn the topic)')
    }
    const payload = Buffer.from(JSON.stringify(snsEvent(m, s.subscriptionArn, at, this.o.region)))
    const requestId = crypto.randomUUID()
    const traceId = newTraceId()
    const invokedArn = this.o.registry.arn(fn.name, qualifier)
    fn.pool.enqueue(() => ({ requestId, payload, invokedArn, traceId, log: [] }))
  }

  /** ListSubscriptionsByTopic against moto, in the topic's account (x-moto-account-id), every page. */
  private async lambdaSubscriptions(topicArn: string): Promise<LambdaSubscription[]> {
    const [, , , region, account] = topicArn.split(':')
    const out: LambdaSubscription[] = []
    let next: string | undefined
    do {
      const form = new URLSearchParams({ Action: 'ListSubscriptionsByTopic', Version: '2010-03-31', TopicArn: topicArn, ...(next ? { NextToken: next } : {}) })
      const day = new Date().toISOString().slice(0, 10).replace(/-/g, '')
      const r = await fetch(this.o.servicesEndpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          // moto routes by the credential scope and does not check signatures.
          authorization: `AWS4-HMAC-SHA256 Credential=${account}/${day}/${region}/sns/aws4_request, SignedHeaders=host, Signature=0`,
          'x-moto-account-id': account!,
        },
        body: form.toString(),
        signal: AbortSignal.timeout(10_000),
      })
      const xml = await r.text()
      if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${xml.slice(0, 300)}`)
      const subs = /<Subscriptions>([\s\S]*?)<\/Subscriptions>/.exec(xml)?.[1] ?? ''
      for (const member of xmlValues(subs, 'member')) {
        if (xmlValues(member, 'Protocol')[0] !== 'lambda') continue
        out.push({ subscriptionArn: xmlValues(member, 'SubscriptionArn')[0] ?? '', endpoint: xmlValues(member, 'Endpoint')[0] ?? '' })
      }
      next = xmlValues(xml, 'NextToken')[0] || undefined
    } while (next)
    return out
  }
}

