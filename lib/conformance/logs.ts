/**
 * Reading a function's log back the way one would on AWS: CloudWatch Logs FilterLogEvents on /aws/lambda/<name>,
 * polled until the evidence is there or the time is up. Never from the emulator's internals.
 */
import { FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs'
import { logsClient, type TargetInfo } from '../targets/target.js'

export interface LogWait {
  /** Plain terms every returned line must contain (CloudWatch filter pattern of quoted terms). */
  terms?: string[]
  /** Stop polling once this holds for the lines seen so far. */
  until: (lines: string[]) => boolean
  timeoutMs?: number
  pollMs?: number
}

export interface LogRead {
  lines: string[]
  satisfied: boolean
  waitedMs: number
}

/** All matching lines of the function's log group, polled until `until` holds (or the timeout passes). */
export async function waitForLogLines(target: TargetInfo, functionName: string, w: LogWait): Promise<LogRead> {
  const client = logsClient(target)
  const started = Date.now()
  const deadline = started + (w.timeoutMs ?? 30_000)
  let lines: string[] = []
  for (;;) {
    lines = await readAll(client, functionName, w.terms ?? [])
    if (w.until(lines)) return { lines, satisfied: true, waitedMs: Date.now() - started }
    if (Date.now() > deadline) return { lines, satisfied: false, waitedMs: Date.now() - started }
    await new Promise((r) => setTimeout(r, w.pollMs ?? 250))
  }
}

async function readAll(client: ReturnType<typeof logsClient>, functionName: string, terms: string[]): Promise<string[]> {
  const out: FilteredLogEvent[] = []
  let nextToken: string | undefined
  do {
    let page
    try {
      page = await client.send(
        new FilterLogEventsCommand({
          logGroupName: `/aws/lambda/${functionName}`,
          filterPattern: terms.map((t) => `"${t}"`).join(' ') || undefined,
          nextToken,
        }),
      )
    } catch (e) {
      // The group appears with the first log line; before that there is simply nothing to read.
      if ((e as { name?: string }).name === 'ResourceNotFoundException') return []
      throw e
    }
    out.push(...(page.events ?? []))
    nextToken = page.nextToken
  } while (nextToken)
  return out.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0)).map((e) => (e.message ?? '').replace(/\n$/, ''))
}
