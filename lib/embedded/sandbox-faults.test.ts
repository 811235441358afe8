/**
 * Faults inside the sandbox (issue #6 item 2): Node.js bootstraps (test-support.ts `nodeRuntime`) that are killed
 * during init, after taking an event, while posting a response and after responding; that never ask for an event,
 * ask twice at once, answer for a request id they were not given, or post a response over the limit and carry on.
 * Each case asserts the caller's documented outcome (and the Runtime API codes the runtime got), then that the next
 * invoke of the same function works, and that no process of a failed environment is left (its process group is
 * gone); at the end the function is deleted and every group it had must be gone too.
 *
 * Expected values come from ../lambda/protocol.ts (`runtimeFaults` for the cases AWS does not document, from RAPID's
 * source) and lambda-behavior.md §1.4, §3.1, §4, §5. Every test records `task.meta.figures.faultsInjected`: the
 * runtime's own count of the faults it committed (its `fault …` notes).
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { DeleteFunctionCommand, InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, it, type TaskMeta } from 'vitest'
import {
  formatSeconds,
  logLines,
  platformErrors,
  type ProcessExit,
  RESPONSE_LIMIT,
  runtimeApiErrors,
  runtimeFaults,
} from '../lambda/protocol.js'
import { type EmbeddedTarget, startEmbeddedTarget } from './index.js'
import {
  decodeLog,
  type DeployOptions,
  deploy,
  escapeRegExp as escapeRe,
  lambdaClient,
  lastReport,
  liveProcessesInGroup,
  logLinesOf,
  nodeRuntime,
  payloadJson,
  payloadText,
  readFaultLog,
  uniqueName,
  varTmpDir,
  waitUntil,
} from './test-support.js'

let target: EmbeddedTarget
let client: LambdaClient
let dir: string

beforeAll(async () => {
  target = await startEmbeddedTarget({ pendingMs: 0 })
  client = lambdaClient(target.endpoint)
  dir = varTmpDir('glc-faults-test')
})

afterAll(async () => {
  await target?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

// ------------------------------------------------------------------ helpers

interface Fn {
  name: string
  faultDir: string
  client: LambdaClient
}

/** Deploys a `nodeRuntime(body)` function with its own FAULT_DIR. */
async function deployFaulty(prefix: string, body: string, o: DeployOptions & { client?: LambdaClient } = {}): Promise<Fn> {
  const c = o.client ?? client
  const name = uniqueName(prefix)
  const faultDir = path.join(dir, name)
  fs.mkdirSync(faultDir)
  await deploy(c, name, nodeRuntime(body), { timeout: 5, memorySize: 512, ...o, env: { FAULT_DIR: faultDir, ...o.env } })
  return { name, faultDir, client: c }
}

/** RequestResponse with LogType Tail: it returns once END/REPORT are written, so the environment is done with it. */
const invoke = (fn: Fn, payload: unknown): Promise<InvokeCommandOutput> =>
  fn.client.send(new InvokeCommand({ FunctionName: fn.name, Payload: Buffer.from(JSON.stringify(payload)), LogType: 'Tail' }))

/** The faults the runtime committed (its `fault …` notes), recorded as the test's figure. */
function countFaults(task: { meta: TaskMeta }, fn: Fn): number {
  const n = readFaultLog(fn.faultDir).notes.filter((w) => w[0] === 'fault').length
  task.meta.figures = { faultsInjected: n }
  return n
}

/** The process group of each given start of the runtime (1-based attempts). */
function groupsOf(fn: Fn, attempts?: number[]): number[] {
  const starts = readFaultLog(fn.faultDir).starts
  const picked = attempts ? starts.filter((s) => attempts.includes(s.attempt)) : starts
  if (attempts) expect(picked.map((s) => s.attempt)).toEqual(attempts)
  for (const s of picked) expect(s.pgid).toBeGreaterThan(1)
  return picked.map((s) => s.pgid)
}

/** No live process (zombies aside) is left in any of `pgids`. */
async function expectGroupsGone(pgids: number[]): Promise<void> {
  await waitUntil(() => pgids.every((g) => liveProcessesInGroup(g).length === 0), {
    what: `process groups ${pgids.join(', ')} to be gone (left: ${pgids.flatMap((g) => liveProcessesInGroup(g)).join(', ')})`,
    timeoutMs: 10_000,
  })
}

/** Deletes the function: every environment it still had is destroyed, so every group it ever had must be gone. */
async function deleteAndExpectNoLeftovers(fn: Fn): Promise<void> {
  await fn.client.send(new DeleteFunctionCommand({ FunctionName: fn.name }))
  await expectGroupsGone(groupsOf(fn))
}

const SIGKILLED: ProcessExit = { code: null, signal: 'SIGKILL' }

/** LB §3.1 exit payload, LB §5 REPORT on error and the platform's two error lines. */
function expectRuntimeExit(out: InvokeCommandOutput, exit: ProcessExit, errorType = 'Runtime.ExitError'): void {
  const id = out.$metadata.requestId!
  expect(out.StatusCode).toBe(200)
  expect(out.FunctionError).toBe('Unhandled')
  expect(payloadJson(out)).toEqual(platformErrors.exit(id, exit))
  const log = decodeLog(out)
  const lines = logLinesOf(log)
  const [what, type] = logLines.runtimeExit(id, exit, errorType)
  const at = lines.indexOf(what!)
  expect(at, log).toBeGreaterThanOrEqual(0)
  expect(lines[at + 1]).toBe(type)
  const report = lastReport(log)
  expect(report?.RequestId).toBe(id)
  expect(report?.Status).toBe('error')
  expect(report?.['Error Type']).toBe(errorType)
}

/** LB §3.1 "Timeout (current format)"; the seconds are matched as \d+\.\d{2}, not asserted equal. */
function expectTimeoutPayload(out: InvokeCommandOutput): void {
  const id = out.$metadata.requestId!
  expect(out.FunctionError).toBe('Unhandled')
  const shape = platformErrors.timeout(id, 0)
  const body = payloadJson(out) as Record<string, unknown>
  expect(Object.keys(body).sort()).toEqual(Object.keys(shape).sort())
  expect(body.errorType).toBe(shape.errorType)
  expect(body.errorMessage).toMatch(new RegExp('^' + escapeRe(shape.errorMessage).replace(escapeRe(formatSeconds(0)), '\\d+\\.\\d{2}') + '$'))
}

/** A successful echo of `event`; `cold` says whether it must have started a new environment (REPORT Init Duration). */
function expectEcho(out: InvokeCommandOutput, event: unknown, cold: boolean): void {
  expect(out.FunctionError, payloadText(out)).toBeUndefined()
  expect(payloadJson(out)).toEqual(event)
  const report = lastReport(decodeLog(out))
  expect(report?.RequestId).toBe(out.$metadata.requestId)
  expect(report?.Status).toBeUndefined()
  if (cold) expect(report?.['Init Duration']).toMatch(/^\d+\.\d{2} ms$/)
  else expect(report?.['Init Duration']).toBeUndefined()
}

/** INIT_REPORT lines of a log (LB §5). */
const initReports = (out: InvokeCommandOutput): string[] => logLinesOf(decodeLog(out)).filter((l) => l.startsWith('INIT_REPORT '))
const initReportRe = (phase: 'init' | 'invoke', status: 'error' | 'timeout', errorType?: string): RegExp =>
  new RegExp(`^INIT_REPORT Init Duration: \\d+\\.\\d{2} ms\\tPhase: ${phase}\\tStatus: ${status}${errorType ? `\\tError Type: ${escapeRe(errorType)}` : ''}$`)

/** The echo loop of a well-behaved runtime (after whatever fault the body committed). */
const ECHO_LOOP = 'for (;;) { const e = await next(); await respond(e.id, e.body); }'

// ------------------------------------------------------------------ cases

describe('killed', () => {
  it('during init: Runtime.ExitError after the invoke-phase retry; a retry that works serves the invoke; then warm', async ({ task }) => {
    // Starts 1 and 2 (init, then the invoke-phase retry of the first invoke) and 3 (init of the second) are
    // SIGKILLed before asking for an event; from start 4 on the runtime works. Start 2 kills its whole group, the
    // others only themselves, leaving a `sleep` child for the target to clean up.
    const fn = await deployFaulty(
      'flt-init-kill',
      `if (attempt <= 3) { child(); note('fault', 'killed-during-init', attempt); await sleep(20); if (attempt === 2) killGroup(); else killSelf(); }\n${ECHO_LOOP}`,
    )

    const first = await invoke(fn, { n: 1 })
    // LB §3.1 "Killed by a signal" (Runtime.ExitError, `signal: killed`); LB §4 "Init failure": INIT_REPORT for the
    // init phase, then for the retry in the invoke phase, then START/error lines/END/REPORT
    expectRuntimeExit(first, SIGKILLED)
    const reports = initReports(first)
    expect(reports).toHaveLength(2)
    expect(reports[0]).toMatch(initReportRe('init', 'error', 'Runtime.ExitError'))
    expect(reports[1]).toMatch(initReportRe('invoke', 'error', 'Runtime.ExitError'))
    await expectGroupsGone(groupsOf(fn, [1, 2]))

    // Start 3 is killed during init; the invoke-phase retry (start 4) works and serves the invoke.
    const event = { n: 2, id: crypto.randomUUID() }
    const second = await invoke(fn, event)
    expectEcho(second, event, true)
    expect(initReports(second)).toEqual([expect.stringMatching(initReportRe('init', 'error', 'Runtime.ExitError'))])
    await expectGroupsGone(groupsOf(fn, [3]))

    // And the environment of start 4 stays: the next invoke is warm.
    expectEcho(await invoke(fn, { n: 3 }), { n: 3 }, false)
    expect(readFaultLog(fn.faultDir).starts).toHaveLength(4)
    expect(countFaults(task, fn)).toBe(3)
    await deleteAndExpectNoLeftovers(fn)
  })

  it('after taking an event: Runtime.ExitError "signal: killed", REPORT Status: error; the next invoke starts afresh', async ({ task }) => {
    // {"kill":"self"} kills only the runtime process (its `sleep` child must be killed by the target), "group" the group.
    const fn = await deployFaulty(
      'flt-event-kill',
      `for (;;) {
        const e = await next();
        const ev = JSON.parse(e.body);
        if (ev.kill) { child(); note('fault', 'killed-after-event', attempt, e.id); await sleep(20); ev.kill === 'group' ? killGroup() : killSelf(); }
        await respond(e.id, e.body);
      }`,
    )
    for (const [i, kill] of (['self', 'group'] as const).entries()) {
      const out = await invoke(fn, { kill })
      expectRuntimeExit(out, SIGKILLED) // LB §3.1, §5
      await expectGroupsGone(groupsOf(fn, [i + 1]))
      // LB §4 "Exit / crash / OOM": the next invoke re-initialises
      const event = { after: kill }
      expectEcho(await invoke(fn, event), event, true)
    }
    expect(readFaultLog(fn.faultDir).starts).toHaveLength(3)
    expect(countFaults(task, fn)).toBe(2)
    await deleteAndExpectNoLeftovers(fn)
  })

  it('while posting a response (half a Content-Length body, then half a chunked one): Runtime.ExitError, never the partial body', async ({ task }) => {
    const total = 1024 * 1024
    const fn = await deployFaulty(
      'flt-post-kill',
      `for (;;) {
        const e = await next();
        const ev = JSON.parse(e.body);
        if (ev.post) {
          note('fault', 'killed-while-posting', attempt, e.id, ev.post);
          await postPart('/invocation/' + e.id + '/response', { total: ${total}, sent: ${total / 2}, chunked: ev.post === 'chunked' });
          // Let the target read the half before the group dies.
          await sleep(100);
          killGroup();
        }
        await respond(e.id, e.body);
      }`,
    )
    for (const [i, post] of (['content-length', 'chunked'] as const).entries()) {
      const out = await invoke(fn, { post })
      // runtimeFaults.killedWhilePosting: the exit ends the invoke (LB §3.1); the half body is not the answer
      expectRuntimeExit(out, SIGKILLED, runtimeFaults.killedWhilePosting.errorType)
      expect(payloadText(out)).not.toContain('xxxx')
      await expectGroupsGone(groupsOf(fn, [i + 1]))
      const event = { after: post }
      expectEcho(await invoke(fn, event), event, runtimeFaults.killedWhilePosting.nextEnvironment === 'new')
    }
    expect(countFaults(task, fn)).toBe(2)
    await deleteAndExpectNoLeftovers(fn)
  })

  it('after responding: the caller keeps the answer, END/REPORT are written, and the next invoke starts afresh', async ({ task }) => {
    const fn = await deployFaulty(
      'flt-after-kill',
      `for (;;) {
        const e = await next();
        const r = await respond(e.id, e.body);
        note('posted', attempt, e.id, r.status);
        if (JSON.parse(e.body).kill) { note('fault', 'killed-after-responding', attempt, e.id); killGroup(); }
      }`,
    )
    const event = { kill: true, id: crypto.randomUUID() }
    const out = await invoke(fn, event)
    // runtimeFaults.exitAfterAnswer.callerGets 'posted-answer': the posted answer stands (LB §1.1 /response → 202)
    expect(out.FunctionError).toBeUndefined()
    expect(payloadJson(out)).toEqual(event)
    // LogType Tail returned, so END and REPORT were written even though the runtime never asked again.
    expect(lastReport(decodeLog(out))?.RequestId).toBe(out.$metadata.requestId)
    expect(readFaultLog(fn.faultDir).notes).toContainEqual(['posted', '1', out.$metadata.requestId!, '202'])
    await expectGroupsGone(groupsOf(fn, [1]))
    expectEcho(await invoke(fn, { n: 2 }), { n: 2 }, runtimeFaults.exitAfterAnswer.nextEnvironment === 'new')
    expect(countFaults(task, fn)).toBe(1)
    await deleteAndExpectNoLeftovers(fn)
  })
})

describe('misbehaving', () => {
  it('never asks for an event: INIT_REPORT Status: timeout, the retry times out under the function timeout; the next invoke works', async ({ task }) => {
    // Lambda's init limit is 10 s (protocol.ts INIT_TIMEOUT_MS, LB §4); a target of its own with a 1 s limit keeps
    // the test short. The function timeout (1 s) bounds the invoke-phase retry, as LB §4 documents.
    const initLimitMs = 1000
    const short = await startEmbeddedTarget({ pendingMs: 0, initTimeoutMs: initLimitMs })
    try {
      const fn = await deployFaulty(
        'flt-never-asks',
        `if (attempt <= 2) { child(); note('fault', 'never-asks', attempt); setInterval(() => {}, 60000); return; }\n${ECHO_LOOP}`,
        { client: lambdaClient(short.endpoint), timeout: 1 },
      )
      const started = performance.now()
      const out = await invoke(fn, { n: 1 })
      const elapsed = performance.now() - started
      // LB §4 "Init time limit": the init phase ends at the limit, Init is retried in the invoke under the function
      // timeout, and that retry timing out is the invoke's timeout (LB §3.1, §5 "REPORT on timeout")
      expectTimeoutPayload(out)
      const reports = initReports(out)
      expect(reports).toHaveLength(2)
      expect(reports[0]).toMatch(initReportRe('init', 'timeout'))
      expect(reports[1]).toMatch(initReportRe('invoke', 'timeout'))
      expect(Number(/Init Duration: (\S+) ms/.exec(reports[0]!)![1])).toBeGreaterThanOrEqual(initLimitMs - 1)
      expect(lastReport(decodeLog(out))?.Status).toBe('timeout')
      // Nothing waited longer than the two limits (plus start-up slack).
      expect(elapsed).toBeLessThan(initLimitMs + 1000 + 3000)
      await expectGroupsGone(groupsOf(fn, [1, 2]))

      const event = { n: 2 }
      expectEcho(await invoke(fn, event), event, true)
      expect(countFaults(task, fn)).toBe(2)
      await deleteAndExpectNoLeftovers(fn)
    } finally {
      await short.close()
    }
  })

  it('asks twice at once: each event goes to one /next, the oldest open; the other gets a later event; nothing hangs', async ({ task }) => {
    // Whenever it needs an event, this runtime sends two GET /next at once (pair 1 at start, pair k+1 once its answer
    // to event k has its 202) and takes whichever answers; the other stays open. runtimeFaults.concurrentNext is
    // RAPID's behaviour (AWS does not document it); pairs sent while an event is out are held too
    // (runtimeFaults.nextWhileRunning, where the embedded target departs from RAPID so that no event goes out twice).
    const fn = await deployFaulty(
      'flt-next-twice',
      `const ready = [];
      let wake;
      let pairs = 0;
      function askTwice() {
        const p = ++pairs;
        note('fault', 'two-next-at-once', attempt, p);
        for (const slot of ['a', 'b']) {
          next().then((e) => {
            note('got', attempt, p + slot, e.status, e.id || '-');
            ready.push(e);
            if (wake) wake();
          }, (err) => note('next-failed', attempt, p + slot, JSON.stringify(String(err))));
        }
      }
      askTwice();
      for (;;) {
        while (ready.length === 0) await new Promise((r) => (wake = r));
        wake = undefined;
        const e = ready.shift();
        if (e.status !== 200) continue;
        await respond(e.id, JSON.stringify({ id: e.id }));
        askTwice();
      }`,
    )
    const outs: InvokeCommandOutput[] = []
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      outs.push(await invoke(fn, { n: i }))
      // Nothing waited for a timeout (5 s): each invoke was served at once.
      expect(performance.now() - started).toBeLessThan(3000)
    }
    for (const [i, out] of outs.entries()) {
      expect(out.FunctionError, payloadText(out)).toBeUndefined()
      // The runtime answered this invoke, with the id it was given.
      expect(payloadJson(out)).toEqual({ id: out.$metadata.requestId })
      const report = lastReport(decodeLog(out))
      expect(report?.Status).toBeUndefined()
      // One environment throughout: only the first invoke was a cold start.
      expect(report?.['Init Duration'] !== undefined).toBe(i === 0)
    }
    const { notes, starts } = readFaultLog(fn.faultDir)
    expect(starts).toHaveLength(1)
    expect(notes.filter((w) => w[0] === 'next-failed')).toEqual([])
    // Every /next that returned got 200 (no 403), each event went out exactly once, and to one /next only.
    const got = notes.filter((w) => w[0] === 'got')
    expect(got.every((w) => w[3] === '200'), JSON.stringify(got)).toBe(true)
    expect(got.map((w) => w[4]).sort()).toEqual(outs.map((o) => o.$metadata.requestId).sort())
    expect(new Set(got.map((w) => w[2])).size).toBe(got.length)
    // Oldest first: the two events after start go to the two /next of the first pair (the other one of the pair
    // waited for the second event), and pairs are used up in the order they were sent (runtimeFaults.concurrentNext
    // eachEventGoesTo 'oldest-open-next').
    const pairOf = (id: string | undefined): number => parseInt(got.find((w) => w[4] === id)![2]!, 10)
    const pairs = outs.map((o) => pairOf(o.$metadata.requestId))
    expect(pairs.slice(0, 2), `pairs ${pairs.join(',')}`).toEqual([1, 1])
    for (let i = 1; i < pairs.length; i++) expect(pairs[i], `pairs ${pairs.join(',')}`).toBeGreaterThanOrEqual(pairs[i - 1]!)
    // A pair at start and one after each answer but the last (the runtime is frozen before that one's 202).
    expect(countFaults(task, fn)).toBeGreaterThanOrEqual(outs.length)
    // The open /next requests stay held while the environment idles; deleting the function still ends every process.
    await deleteAndExpectNoLeftovers(fn)
  })

  it('answers for a request id it was not given: 400 InvalidRequestID, the invoke stays open (timeout) or the runtime exits (ExitError)', async ({ task }) => {
    // "stale": answers the event with the previous event's id and carries on as if it had answered (asks for the
    // next event). "random": answers with an id never issued and, like aws-lambda-go on any non-202, exits 1.
    const fn = await deployFaulty(
      'flt-wrong-id',
      `let previous;
      for (;;) {
        const e = await next();
        const ev = JSON.parse(e.body);
        if (ev.wrong) {
          const wrong = ev.wrong === 'stale' ? previous : require('node:crypto').randomUUID();
          note('fault', 'wrong-request-id', attempt, e.id, wrong);
          const r = await respond(wrong, JSON.stringify({ answeredFor: wrong }));
          note('wrong-id-answer', attempt, e.id, r.status, Buffer.from(r.body).toString('base64'));
          previous = e.id;
          if (ev.wrong === 'random') process.exit(1);
          continue;
        }
        previous = e.id;
        await respond(e.id, e.body);
      }`,
      { timeout: 1 },
    )
    expectEcho(await invoke(fn, { n: 1 }), { n: 1 }, true)

    const stale = await invoke(fn, { wrong: 'stale' })
    // The runtime's answer did not count: the invoke stayed open until the function timeout (LB §3.1, §5), and the
    // runtime's /next meanwhile was held for the next event (runtimeFaults.nextWhileRunning), not answered.
    expectTimeoutPayload(stale)
    expect(payloadText(stale)).not.toContain('answeredFor')
    expect(lastReport(decodeLog(stale))?.Status).toBe('timeout')
    await expectGroupsGone(groupsOf(fn, [1]))

    const random = await invoke(fn, { wrong: 'random' })
    expectRuntimeExit(random, { code: 1, signal: null }) // LB §3.1 "Process exits with status N"
    await expectGroupsGone(groupsOf(fn, [2]))

    // LB §1.4: both wrong ids got 400 InvalidRequestID
    const answers = readFaultLog(fn.faultDir).notes.filter((w) => w[0] === 'wrong-id-answer')
    expect(answers.map((w) => w[2])).toEqual([stale.$metadata.requestId, random.$metadata.requestId])
    const expected = runtimeApiErrors.invalidRequestId()
    for (const w of answers) {
      expect(Number(w[3])).toBe(expected.status)
      expect(JSON.parse(Buffer.from(w[4]!, 'base64').toString('utf8'))).toEqual(expected.body)
    }

    expectEcho(await invoke(fn, { n: 2 }), { n: 2 }, true)
    expect(countFaults(task, fn)).toBe(2)
    await deleteAndExpectNoLeftovers(fn)
  })

  it(`posts a response over ${RESPONSE_LIMIT} bytes and keeps going: 413, Function.ResponseSizeTooLarge, /error 403, then the same environment serves on`, async ({ task }) => {
    const fn = await deployFaulty(
      'flt-oversized',
      `for (;;) {
        const e = await next();
        if (JSON.parse(e.body).oversized) {
          note('fault', 'response-too-large', attempt, e.id);
          const r = await respond(e.id, '"' + 'r'.repeat(${RESPONSE_LIMIT - 1}) + '"');
          note('oversized-answer', attempt, e.id, r.status, Buffer.from(r.body).toString('base64'));
          note('fault', 'error-after-answer', attempt, e.id);
          const r2 = await fail(e.id, JSON.stringify({ errorMessage: 'too big', errorType: 'TooBig' }));
          note('error-answer', attempt, e.id, r2.status, Buffer.from(r2.body).toString('base64'));
          continue;
        }
        await respond(e.id, e.body);
      }`,
      { timeout: 10 },
    )
    const out = await invoke(fn, { oversized: true })
    const id = out.$metadata.requestId!
    // LB §3.1 "Response over 6291556 bytes"; LB §2.1: 200 + Unhandled
    expect(out.StatusCode).toBe(200)
    expect(out.FunctionError).toBe('Unhandled')
    expect(payloadJson(out)).toEqual(platformErrors.responseTooLarge())
    const notes = readFaultLog(fn.faultDir).notes
    const oversized = notes.find((w) => w[0] === 'oversized-answer' && w[2] === id)
    expect(oversized, JSON.stringify(notes)).toBeDefined()
    const expected = runtimeApiErrors.payloadTooLarge() // LB §1.4
    expect(Number(oversized?.[3])).toBe(expected.status)
    expect(JSON.parse(Buffer.from(oversized![4]!, 'base64').toString('utf8'))).toEqual(expected.body)
    // runtimeFaults.afterOversizedResponse: the invoke is over, so /error for it is an invalid state transition
    const after = notes.find((w) => w[0] === 'error-answer' && w[2] === id)
    expect(Number(after?.[3])).toBe(runtimeFaults.afterOversizedResponse.errorAfterwards)
    expect((JSON.parse(Buffer.from(after![4]!, 'base64').toString('utf8')) as { errorType: string }).errorType).toBe(
      runtimeApiErrors.invalidStateTransition('', '').body.errorType,
    )

    // The runtime asked for the next event: the same environment serves the next invoke (warm).
    expect(runtimeFaults.afterOversizedResponse.nextEnvironment).toBe('same')
    const event = { n: 2 }
    expectEcho(await invoke(fn, event), event, false)
    expect(readFaultLog(fn.faultDir).starts).toHaveLength(1)
    expect(countFaults(task, fn)).toBe(2)
    await deleteAndExpectNoLeftovers(fn)
  })
})
