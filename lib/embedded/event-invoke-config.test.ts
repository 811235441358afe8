/**
 * The embedded target's asynchronous-invocation configuration through @aws-sdk/client-lambda:
 * Put/Get/Update/DeleteFunctionEventInvokeConfig and ListFunctionEventInvokeConfigs as AWS answers them (round
 * trip, defaults, each validation bound, the not-found answers), and what the settings do to Event invokes.
 * Expected values come from ../lambda/protocol.ts (AWS's recorded answers) and lambda-behavior.md §6.
 */
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteFunctionEventInvokeConfigCommand,
  type FunctionEventInvokeConfig,
  GetFunctionEventInvokeConfigCommand,
  InvokeCommand,
  type LambdaClient,
  ListFunctionEventInvokeConfigsCommand,
  PutFunctionEventInvokeConfigCommand,
  type PutFunctionEventInvokeConfigCommandInput,
  UpdateFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiErrors,
  DEFAULT_MAX_RETRY_ATTEMPTS,
  DESTINATION_ARN_CONSTRAINT,
  DESTINATION_ARN_MAX_LENGTH,
  EVENT_INVOKE_CONFIG_LIST_MAX_ITEMS,
  LATEST,
  MAX_EVENT_AGE_RANGE_S,
  MAX_RETRY_ATTEMPTS_RANGE,
  QUALIFIER_CONSTRAINT,
} from '../lambda/protocol.js'
import { type EmbeddedTarget, startEmbeddedTarget } from './index.js'
import type { AsyncFailureRecord } from './pool.js'
import { deploy, ECHO_RUNTIME, expectSdkError, lambdaClient, REGION, ROLE, shRuntime, uniqueName, waitForActive, waitUntil } from './test-support.js'
import { zipFiles } from './zip.js'

/** Retry delays of the async queue (AWS: about 1 and 2 minutes, LB §6); one per retry of the unset default. */
const RETRY_DELAYS_MS = [1500, 1500]
/**
 * One second of MaximumEventAgeInSeconds lasts 1000/80 ms here: age 60 is 750 ms, over before the first retry is
 * due (1,500 ms after the first attempt); age 180 is 2,250 ms, between the first retry (about 1,500 ms) and the
 * second (about 3,000 ms). Margins of 750 ms each way, for a loaded 2-core machine (250 ms ones were too tight).
 */
const AGE_SECOND_MS = 1000 / 80

let target: EmbeddedTarget
let client: LambdaClient

const ECHO = uniqueName('eic-echo')
const OTHER = uniqueName('eic-other')

/** Posts a function error for every event. */
const FAILING_RUNTIME = shRuntime(
  `  curl -sS -o /dev/null -X POST -H "Content-Type: application/json" --data-binary '{"errorMessage":"failing on purpose","errorType":"OnPurpose"}' "$API/invocation/$ID/error" || exit 1\n  continue`,
)

beforeAll(async () => {
  target = await startEmbeddedTarget({ pendingMs: 0, asyncRetryDelaysMs: RETRY_DELAYS_MS, asyncEventAgeSecondMs: AGE_SECOND_MS })
  client = lambdaClient(target.endpoint)
  await Promise.all([deploy(client, ECHO, ECHO_RUNTIME), deploy(client, OTHER, ECHO_RUNTIME)])
})

afterAll(async () => {
  client?.destroy()
  await target?.close()
})

const fnArn = (name: string, qualifier?: string): string => `arn:aws:lambda:${REGION}:${target.accountId}:function:${name}${qualifier ? `:${qualifier}` : ''}`
const NO_DESTINATIONS = { OnSuccess: {}, OnFailure: {} }

/** A configuration answer without the SDK's $metadata. */
function configOf(out: FunctionEventInvokeConfig & { $metadata?: unknown }): FunctionEventInvokeConfig {
  const { $metadata: _, ...rest } = out
  return rest
}

const put = (input: Omit<PutFunctionEventInvokeConfigCommandInput, 'FunctionName'>, name = ECHO) => client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: name, ...input }))
const update = (input: Omit<PutFunctionEventInvokeConfigCommandInput, 'FunctionName'>, name = ECHO) => client.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: name, ...input }))
const get = (name = ECHO, qualifier?: string) => client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: name, ...(qualifier !== undefined ? { Qualifier: qualifier } : {}) }))
const del = (name = ECHO, qualifier?: string) => client.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: name, ...(qualifier !== undefined ? { Qualifier: qualifier } : {}) }))
const list = (name = ECHO, o: { Marker?: string; MaxItems?: number } = {}) => client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: name, ...o }))

/** Removes ECHO's configuration, if any, so each test starts without one. */
async function clear(name = ECHO): Promise<void> {
  await del(name).catch(() => undefined)
}

describe('FunctionEventInvokeConfig API', () => {
  it('Put, Get, Update, List and Delete round trip: FunctionArn qualified with $LATEST, LastModified the time of the change', async () => {
    await clear()
    const t0 = Date.now()
    const created = await put({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 3600 })
    const t1 = Date.now()
    // EIC "put_invokeconfig_*": unqualified name → `:$LATEST`; both destinations always present.
    const expected = { FunctionArn: fnArn(ECHO, LATEST), MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 3600, DestinationConfig: NO_DESTINATIONS }
    expect(configOf(created)).toEqual({ ...expected, LastModified: created.LastModified })
    expect(created.LastModified).toBeInstanceOf(Date)
    expect(created.LastModified!.getTime()).toBeGreaterThanOrEqual(t0)
    expect(created.LastModified!.getTime()).toBeLessThanOrEqual(t1)
    expect(configOf(await get())).toEqual(configOf(created))
    expect(configOf(await get(ECHO, LATEST))).toEqual(configOf(created))

    // Update merges: the members it leaves out keep their values (model example "To update an asynchronous invocation configuration").
    const updated = await update({ MaximumRetryAttempts: 0 })
    expect(configOf(updated)).toEqual({ ...expected, MaximumRetryAttempts: 0, LastModified: updated.LastModified })
    expect(updated.LastModified!.getTime()).toBeGreaterThanOrEqual(created.LastModified!.getTime())
    expect(configOf(await get())).toEqual(configOf(updated))

    const listed = await list()
    expect(listed.FunctionEventInvokeConfigs).toEqual([configOf(updated)])
    expect(listed.NextMarker).toBeUndefined()

    const deleted = await del()
    expect(deleted.$metadata.httpStatusCode).toBe(204)
    await expectSdkError(get(), apiErrors.eventInvokeConfigNotFound(fnArn(ECHO, LATEST)))
    expect((await list()).FunctionEventInvokeConfigs).toEqual([])
  })

  it('Put replaces the whole configuration: members it leaves out are unset again (left out of the answer)', async () => {
    await clear()
    expect(configOf(await put({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 }))).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 })
    // EIC "put_post_overwrite", "get_post_overwrite": no MaximumEventAgeInSeconds member at all.
    const replaced = configOf(await put({ MaximumRetryAttempts: 0 }))
    expect(replaced).toEqual({ FunctionArn: fnArn(ECHO, LATEST), MaximumRetryAttempts: 0, DestinationConfig: NO_DESTINATIONS, LastModified: replaced.LastModified })
    expect(configOf(await get())).toEqual(replaced)
    // EIC "put_invokeconfig_eventage_60": the same for MaximumRetryAttempts.
    const ageOnly = configOf(await put({ MaximumEventAgeInSeconds: 60 }))
    expect(ageOnly).toEqual({ FunctionArn: fnArn(ECHO, LATEST), MaximumEventAgeInSeconds: 60, DestinationConfig: NO_DESTINATIONS, LastModified: ageOnly.LastModified })
    await clear()
  })

  it('the name, full ARN, partial ARN and name:$LATEST, with or without Qualifier $LATEST, all reach the same configuration', async () => {
    await clear()
    const created = configOf(await put({ MaximumRetryAttempts: 1 }, fnArn(ECHO)))
    for (const [name, qualifier] of [[ECHO], [ECHO, LATEST], [`${ECHO}:${LATEST}`], [`${ECHO}:${LATEST}`, LATEST], [`${target.accountId}:function:${ECHO}`], [fnArn(ECHO, LATEST)]] as const) {
      expect(configOf(await get(name, qualifier)), `${name} ${qualifier ?? ''}`).toEqual(created)
    }
    await clear()
  })

  it('a qualifier the function does not have: Put answers "The function doesn\'t exist.", Get names the qualified ARN; a conflicting one is refused', async () => {
    await clear()
    // EIC "put_alias_doesnotexist", "get_qualifier_doesnotexist": the target has no versions or aliases.
    await expectSdkError(client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: ECHO, Qualifier: '1', MaximumRetryAttempts: 1 })), apiErrors.eventInvokeFunctionNotFound())
    await expectSdkError(put({ MaximumRetryAttempts: 1 }, `${ECHO}:live`), apiErrors.eventInvokeFunctionNotFound())
    await expectSdkError(get(ECHO, 'doesnotexist'), apiErrors.eventInvokeConfigNotFound(fnArn(ECHO, 'doesnotexist')))
    // EIC "put_shorthand_qualifier_mismatch_*".
    await expectSdkError(client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: `${ECHO}:${LATEST}`, Qualifier: '1', MaximumRetryAttempts: 1 })), apiErrors.qualifierMismatch())
    // Qualifier pattern (protocol.ts QUALIFIER_*), as on the other operations.
    await expectSdkError(get(ECHO, 'bad qualifier'), apiErrors.validation('bad qualifier', 'qualifier', QUALIFIER_CONSTRAINT))
    await clear()
  })

  it('DestinationConfig is stored and returned; Update without it keeps it; an empty Destination is none', async () => {
    await clear()
    const destinations = { OnSuccess: { Destination: fnArn(OTHER) }, OnFailure: { Destination: `arn:aws:sqs:${REGION}:${target.accountId}:failed-events` } }
    const created = configOf(await put({ DestinationConfig: destinations }))
    expect(created).toEqual({ FunctionArn: fnArn(ECHO, LATEST), DestinationConfig: destinations, LastModified: created.LastModified })
    expect(configOf(await get()).DestinationConfig).toEqual(destinations)
    expect(configOf(await update({ MaximumEventAgeInSeconds: 120 }))).toMatchObject({ MaximumEventAgeInSeconds: 120, DestinationConfig: destinations })
    // EIC "put_destination_success_no_destination_arn", "put_destination_failure_no_destination_arn".
    expect(configOf(await put({ DestinationConfig: { OnSuccess: {} } })).DestinationConfig).toEqual(NO_DESTINATIONS)
    expect(configOf(await put({ DestinationConfig: { OnFailure: {} } })).DestinationConfig).toEqual(NO_DESTINATIONS)
    // SNS, EventBridge and, for failures, S3 are destinations too (model DestinationConfig).
    const others = { OnSuccess: { Destination: `arn:aws:sns:${REGION}:${target.accountId}:topic` }, OnFailure: { Destination: 'arn:aws:s3:::a-bucket' } }
    expect(configOf(await put({ DestinationConfig: others })).DestinationConfig).toEqual(others)
    await clear()
  })

  it('destinations AWS refuses: a function that does not exist, the function itself, a service that takes no records, a malformed ARN', async () => {
    await clear()
    const missing = fnArn('doesnotexist')
    await expectSdkError(put({ DestinationConfig: { OnSuccess: { Destination: missing } } }), apiErrors.destinationNotFound(missing))
    await expectSdkError(put({ DestinationConfig: { OnSuccess: { Destination: fnArn(ECHO) } } }), apiErrors.destinationIsSelf())
    const iam = fnArn(ECHO).replace(':lambda:', ':iam:')
    await expectSdkError(put({ DestinationConfig: { OnSuccess: { Destination: iam } } }), apiErrors.destinationConfigInvalid(iam, undefined))
    // S3 takes on-failure records only (model DestinationConfig); the answer is the invalid-service one above.
    const s3 = 'arn:aws:s3:::a-bucket'
    await expectSdkError(put({ DestinationConfig: { OnSuccess: { Destination: s3 } } }), apiErrors.destinationConfigInvalid(s3, undefined))
    const malformed = fnArn(ECHO).replace(':lambda:', ':_-/!lambda:')
    await expectSdkError(put({ DestinationConfig: { OnFailure: { Destination: malformed } } }), apiErrors.validation(malformed, 'destinationConfig.onFailure.destination', DESTINATION_ARN_CONSTRAINT))
    const long = `arn:aws:sqs:${REGION}:${target.accountId}:${'q'.repeat(DESTINATION_ARN_MAX_LENGTH)}`
    await expectSdkError(put({ DestinationConfig: { OnSuccess: { Destination: long } } }), apiErrors.validation(long, 'destinationConfig.onSuccess.destination', `Member must have length less than or equal to ${DESTINATION_ARN_MAX_LENGTH}`))
    // Nothing was stored.
    await expectSdkError(get(), apiErrors.eventInvokeConfigNotFound(fnArn(ECHO, LATEST)))
  })

  it('every bound: MaximumRetryAttempts 0–2, MaximumEventAgeInSeconds 60–21600, MaxItems 1–50, in AWS\'s validation words', async () => {
    await clear()
    const [minRetries, maxRetries] = MAX_RETRY_ATTEMPTS_RANGE
    const [minAge, maxAge] = MAX_EVENT_AGE_RANGE_S
    // The bounds themselves are accepted (EIC "put_maxevent_maxvalue_result": 2 and 21600).
    for (const [r, a] of [[minRetries, minAge], [maxRetries, maxAge]] as const) {
      expect(configOf(await put({ MaximumRetryAttempts: r, MaximumEventAgeInSeconds: a }))).toMatchObject({ MaximumRetryAttempts: r, MaximumEventAgeInSeconds: a })
    }
    const cases: [Omit<PutFunctionEventInvokeConfigCommandInput, 'FunctionName'>, string, string][] = [
      [{ MaximumRetryAttempts: minRetries - 1 }, 'maximumRetryAttempts', `Member must have value greater than or equal to ${minRetries}`],
      [{ MaximumRetryAttempts: maxRetries + 1 }, 'maximumRetryAttempts', `Member must have value less than or equal to ${maxRetries}`],
      [{ MaximumEventAgeInSeconds: minAge - 1 }, 'maximumEventAgeInSeconds', `Member must have value greater than or equal to ${minAge}`],
      [{ MaximumEventAgeInSeconds: maxAge + 1 }, 'maximumEventAgeInSeconds', `Member must have value less than or equal to ${maxAge}`],
    ]
    for (const [input, field, constraint] of cases) {
      const value = String(Object.values(input)[0])
      await expectSdkError(put(input), apiErrors.validation(value, field, constraint))
      await expectSdkError(update(input), apiErrors.validation(value, field, constraint))
    }
    // Both out of range: one ValidationException naming both (in the model's member order; AWS's order is unrecorded).
    await expectSdkError(
      put({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 59 }),
      apiErrors.validations([
        { value: '3', field: 'maximumRetryAttempts', constraint: `Member must have value less than or equal to ${maxRetries}` },
        { value: '59', field: 'maximumEventAgeInSeconds', constraint: `Member must have value greater than or equal to ${minAge}` },
      ]),
    )
    // A refused Put left the last good configuration as it was.
    expect(configOf(await get())).toMatchObject({ MaximumRetryAttempts: maxRetries, MaximumEventAgeInSeconds: maxAge })
    const [minItems, maxItems] = EVENT_INVOKE_CONFIG_LIST_MAX_ITEMS
    await expectSdkError(list(ECHO, { MaxItems: minItems - 1 }), apiErrors.validation(String(minItems - 1), 'maxItems', `Member must have value greater than or equal to ${minItems}`))
    await expectSdkError(list(ECHO, { MaxItems: maxItems + 1 }), apiErrors.validation(String(maxItems + 1), 'maxItems', `Member must have value less than or equal to ${maxItems}`))
    expect((await list(ECHO, { MaxItems: minItems })).FunctionEventInvokeConfigs).toHaveLength(1)
    // Nothing to set: refused before the function is even looked up (EIC "put_functionname_nootherargs").
    await expectSdkError(put({}), apiErrors.eventInvokeConfigEmpty())
    await expectSdkError(put({}, 'doesnotexist'), apiErrors.eventInvokeConfigEmpty())
    await expectSdkError(update({}), apiErrors.eventInvokeConfigEmpty())
    await clear()
  })

  it('not found: each operation in its own words; Update needs a configuration to change', async () => {
    await clear()
    const missing = uniqueName('eic-missing')
    // EIC "put_functionname_name_notfound", "put_functionname_arn_notfound", "update_eventinvokeconfig_function_doesnotexist", "list_function_doesnotexist".
    await expectSdkError(put({ MaximumRetryAttempts: 1 }, missing), apiErrors.eventInvokeFunctionNotFound())
    await expectSdkError(put({ MaximumRetryAttempts: 1 }, fnArn(missing)), apiErrors.eventInvokeFunctionNotFound())
    await expectSdkError(update({ MaximumRetryAttempts: 0 }, missing), apiErrors.eventInvokeFunctionNotFound())
    await expectSdkError(list(missing), apiErrors.eventInvokeFunctionNotFound())
    // EIC "get_function_doesnotexist", "delete_function_doesnotexist": the qualified ARN of the missing function.
    await expectSdkError(get(missing), apiErrors.eventInvokeConfigNotFound(fnArn(missing, LATEST)))
    await expectSdkError(del(missing), apiErrors.eventInvokeConfigNotFound(fnArn(missing, LATEST)))
    // EIC "update_eventinvokeconfig_config_doesnotexist_without_qualifier", "delete_function_not_found".
    await expectSdkError(update({ MaximumRetryAttempts: 0 }), apiErrors.eventInvokeConfigNotFound(fnArn(ECHO, LATEST)))
    await put({ MaximumRetryAttempts: 0 })
    await del()
    await expectSdkError(del(), apiErrors.eventInvokeConfigNotFound(fnArn(ECHO, LATEST)))
  })

  it('a function deleted and created again under the same name has no configuration', async () => {
    const name = uniqueName('eic-again')
    await deploy(client, name, ECHO_RUNTIME)
    await put({ MaximumRetryAttempts: 0 }, name)
    await client.send(new DeleteFunctionCommand({ FunctionName: name }))
    await client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'provided.al2023', Role: ROLE, Handler: 'bootstrap', Code: { ZipFile: await zipFiles({ bootstrap: ECHO_RUNTIME }) } }))
    await waitForActive(client, name)
    await expectSdkError(get(name), apiErrors.eventInvokeConfigNotFound(fnArn(name, LATEST)))
    expect(target.registry.get(name).pool.eventInvokeConfig).toEqual({})
    await client.send(new DeleteFunctionCommand({ FunctionName: name }))
  })
})

// ------------------------------------------------------------------ what the settings do to Event invokes

/** A function whose every invoke fails, warmed by one synchronous invoke so attempts do not wait for a cold start. */
async function failingFunction(label: string, config?: Omit<PutFunctionEventInvokeConfigCommandInput, 'FunctionName'>): Promise<string> {
  const name = uniqueName(label)
  await deploy(client, name, FAILING_RUNTIME)
  if (config) await put(config, name)
  const warm = await client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') }))
  expect(warm.FunctionError).toBe('Unhandled')
  return name
}

/**
 * Sends one Event invoke and waits until the event is final; returns how many attempts reached the function (its
 * START lines for the request id, the same on every retry, LB §6) and the on-failure record the target kept for it.
 */
async function eventOutcome(name: string): Promise<{ attempts: number; record?: AsyncFailureRecord }> {
  const out = await client.send(new InvokeCommand({ FunctionName: name, InvocationType: 'Event', Payload: Buffer.from('{"n":1}') }))
  expect(out.StatusCode).toBe(202)
  const requestId = out.$metadata.requestId!
  const pool = target.registry.get(name).pool
  await waitUntil(() => pool.asyncStats.queued === 0, { timeoutMs: 30_000, intervalMs: 50, what: `the Event invoke of ${name} to be final (${JSON.stringify(pool.asyncStats)})` })
  const attempts = target.logStore
    .streams(`/aws/lambda/${name}`)
    .flatMap((s) => s.events)
    .filter((e) => e.message.startsWith(`START RequestId: ${requestId} `)).length
  return { attempts, record: pool.asyncFailures.find((r) => r.requestContext.requestId === requestId) }
}

describe('the configuration applied to Event invokes', () => {
  it('MaximumRetryAttempts 0: a failing event is tried exactly once, then recorded as RetriesExhausted', async () => {
    const name = await failingFunction('eic-r0', { MaximumRetryAttempts: 0 })
    const { attempts, record } = await eventOutcome(name)
    expect(attempts).toBe(1)
    expect(record?.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 1, functionArn: fnArn(name, LATEST) })
    expect(target.registry.get(name).pool.asyncStats).toMatchObject({ failed: 1, retried: 0, expired: 0 })
  })

  it('MaximumRetryAttempts 1: tried exactly twice', async () => {
    const name = await failingFunction('eic-r1', { MaximumRetryAttempts: 1 })
    const { attempts, record } = await eventOutcome(name)
    expect(attempts).toBe(2)
    expect(record?.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 2 })
  })

  it('no configuration, and again after DeleteFunctionEventInvokeConfig: AWS\'s default of 2 retries, 3 attempts', async () => {
    const name = await failingFunction('eic-default')
    expect((await eventOutcome(name)).attempts).toBe(1 + DEFAULT_MAX_RETRY_ATTEMPTS)
    await put({ MaximumRetryAttempts: 0 }, name)
    expect((await eventOutcome(name)).attempts).toBe(1)
    await del(name)
    const { attempts, record } = await eventOutcome(name)
    expect(attempts).toBe(1 + DEFAULT_MAX_RETRY_ATTEMPTS)
    expect(record?.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 1 + DEFAULT_MAX_RETRY_ATTEMPTS })
  })

  it('MaximumEventAgeInSeconds: an event older than the limit when a retry is due is dropped (EventAgeExceeded), after 1 attempt at age 60 and 2 at age 180', async () => {
    // LB §6: age 60 with the retry a minute away → no retry, count 1; an age between the retries → count 2.
    const short = await failingFunction('eic-age60', { MaximumEventAgeInSeconds: 60 })
    const long = await failingFunction('eic-age180', { MaximumEventAgeInSeconds: 180 })
    const [s, l] = await Promise.all([eventOutcome(short), eventOutcome(long)])
    expect(s.attempts).toBe(1)
    expect(s.record?.requestContext).toMatchObject({ condition: 'EventAgeExceeded', approximateInvokeCount: 1 })
    expect(l.attempts).toBe(2)
    expect(l.record?.requestContext).toMatchObject({ condition: 'EventAgeExceeded', approximateInvokeCount: 2 })
    for (const name of [short, long]) expect(target.registry.get(name).pool.asyncStats).toMatchObject({ expired: 1, failed: 0 })
  })
})
