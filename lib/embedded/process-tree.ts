/**
 * Resident memory of each sandbox's process group, sampled from /proc. One poller serves every running
 * sandbox, because this kernel has no /proc/<pid>/task/<tid>/children and a /proc scan is the only way to
 * find a group's members.
 */
import fs from 'node:fs'

const PAGE = 4096
const POLL_MS = 20

interface Watch {
  onSample: (rssBytes: number) => void
}

const watches = new Map<number, Watch>()
let timer: NodeJS.Timeout | undefined

/** Sum of resident bytes of every process whose process group is in `pgids`. */
export function sampleGroups(pgids: Set<number>): Map<number, number> {
  const out = new Map<number, number>()
  let entries: string[]
  try {
    entries = fs.readdirSync('/proc')
  } catch {
    return out
  }
  for (const e of entries) {
    const c = e.charCodeAt(0)
    if (c < 48 || c > 57) continue
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'latin1')
      // Fields after the parenthesised command: state ppid pgrp ... (comm may contain spaces).
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const pgrp = Number(rest[2])
      if (!pgids.has(pgrp)) continue
      const rssPages = Number(rest[21])
      out.set(pgrp, (out.get(pgrp) ?? 0) + rssPages * PAGE)
    } catch {
      // the process ended between readdir and read
    }
  }
  return out
}

function tick(): void {
  const samples = sampleGroups(new Set(watches.keys()))
  for (const [pgid, w] of watches) w.onSample(samples.get(pgid) ?? 0)
}

/** Starts sampling `pgid`; returns a function that stops it. */
export function watchMemory(pgid: number, onSample: (rssBytes: number) => void): () => void {
  watches.set(pgid, { onSample })
  if (!timer) {
    timer = setInterval(tick, POLL_MS)
    timer.unref()
  }
  return () => {
    watches.delete(pgid)
    if (watches.size === 0 && timer) {
      clearInterval(timer)
      timer = undefined
    }
  }
}

/** Sends `signal` to a whole process group, ignoring groups that are already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}
