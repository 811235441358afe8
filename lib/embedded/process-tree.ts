/**
 * Resident memory of each sandbox's process group, sampled from /proc. One poller serves every running
 * sandbox, because this kernel has no /proc/<pid>/task/<tid>/children and a /proc scan is the only way to
 * find a group's members.
 */
import fs from 'node:fs'

const PAGE = 4096
const POLL_MS = 20
/**
 * Every FULL_SCAN_EVERY polls (1 s) every process's stat is read again; in between, only processes in watched
 * groups and PIDs not seen before. Reading /proc/<pid>/stat of every process every 20 ms was the embedded target's
 * largest cost under load (a quarter of its CPU at 4 concurrent invokes on a VM with ~70 processes).
 */
const FULL_SCAN_EVERY = 50

interface Watch {
  onSample: (rssBytes: number) => void
}

const watches = new Map<number, Watch>()
let timer: NodeJS.Timeout | undefined
/**
 * Process group by PID, as last read. Skipping a PID whose group is not watched is safe between full scans: a
 * process changes its group only itself, and only within its session, and sandboxes are sessions of their own
 * (setsid), so a process outside a sandbox cannot join its group; a sandbox process that left its group and
 * rejoins is found at the next full scan. PIDs are allocated cyclically, and a PID missing from a listing is
 * forgotten, so a reused PID is read afresh.
 */
const knownGroups = new Map<string, number>()
let pollsSinceFullScan = 0

const STAT_BUFFER = Buffer.alloc(4096)

/** /proc/<pid>/stat in one read (open, read, close; readFileSync adds an fstat and a second read). */
function readStat(pid: string): string {
  const fd = fs.openSync(`/proc/${pid}/stat`, 'r')
  try {
    const n = fs.readSync(fd, STAT_BUFFER, 0, STAT_BUFFER.length, 0)
    if (n < STAT_BUFFER.length) return STAT_BUFFER.toString('latin1', 0, n)
  } finally {
    fs.closeSync(fd)
  }
  return fs.readFileSync(`/proc/${pid}/stat`, 'latin1')
}

/**
 * Sum of resident bytes of every process whose process group is in `pgids`. With `known` (PID → group, kept
 * between calls), processes known to be in other groups are not read again.
 */
export function sampleGroups(pgids: Set<number>, known?: Map<string, number>): Map<number, number> {
  const out = new Map<number, number>()
  let entries: string[]
  try {
    entries = fs.readdirSync('/proc')
  } catch {
    return out
  }
  const listed = known ? new Set<string>() : undefined
  for (const e of entries) {
    const c = e.charCodeAt(0)
    if (c < 48 || c > 57) continue
    if (known) {
      listed!.add(e)
      const g = known.get(e)
      if (g !== undefined && !pgids.has(g)) continue
    }
    try {
      const stat = readStat(e)
      // Fields after the parenthesised command: state ppid pgrp ... (comm may contain spaces).
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const pgrp = Number(rest[2])
      known?.set(e, pgrp)
      if (!pgids.has(pgrp)) continue
      const rssPages = Number(rest[21])
      out.set(pgrp, (out.get(pgrp) ?? 0) + rssPages * PAGE)
    } catch {
      // the process ended between readdir and read
      known?.delete(e)
    }
  }
  if (known) for (const pid of known.keys()) if (!listed!.has(pid)) known.delete(pid)
  return out
}

function tick(): void {
  if (++pollsSinceFullScan >= FULL_SCAN_EVERY) {
    pollsSinceFullScan = 0
    knownGroups.clear()
  }
  const samples = sampleGroups(new Set(watches.keys()), knownGroups)
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
      // Nothing is sampled until the next watch: start that with a full scan.
      knownGroups.clear()
      pollsSinceFullScan = 0
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

// ------------------------------------------------------------------ finding processes (leak checks, reaper)

export interface ProcessInfo {
  pid: number
  ppid: number
  pgrp: number
  /** One letter: R, S, D, T (stopped, e.g. a frozen sandbox), Z (zombie), ... */
  state: string
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat): with the PID, it names one process. */
  startTime: string
}

/** /proc/<pid>/stat of one process, or undefined when it is gone (or /proc is unreadable). */
export function processInfo(pid: number): ProcessInfo | undefined {
  let stat: string
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1')
  } catch {
    return undefined
  }
  // Fields after the parenthesised command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
  // utime stime cutime cstime priority nice threads itrealvalue starttime ...
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]), pgrp: Number(rest[2]), startTime: rest[19] ?? '' }
}

/** Every process on the machine (that /proc shows). */
export function listProcesses(): ProcessInfo[] {
  let entries: string[]
  try {
    entries = fs.readdirSync('/proc')
  } catch {
    return []
  }
  const out: ProcessInfo[] = []
  for (const e of entries) {
    const c = e.charCodeAt(0)
    if (c < 48 || c > 57) continue
    const p = processInfo(Number(e))
    if (p) out.push(p)
  }
  return out
}

/** Every process descended from `pid` (children, their children, ...), not `pid` itself. */
export function descendantsOf(pid: number, all = listProcesses()): ProcessInfo[] {
  const byParent = new Map<number, ProcessInfo[]>()
  for (const p of all) {
    const list = byParent.get(p.ppid)
    if (list) list.push(p)
    else byParent.set(p.ppid, [p])
  }
  const out: ProcessInfo[] = []
  const queue = [pid]
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      out.push(child)
      queue.push(child.pid)
    }
  }
  return out
}

const within = (p: string, dir: string): boolean => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`)

/**
 * Processes that belong to a sandbox under `dir`: their LAMBDA_TASK_ROOT is inside it. A sandbox's runtime and
 * everything it starts inherit that variable, also a process that left the sandbox's process group or session (a
 * group kill misses those) or its directory; a process that merely has its working directory there (someone's shell
 * looking at a leftover) does not have it, and is never taken for a sandbox. Zombies are left out: they hold nothing
 * but a PID, and their parent reaps them.
 */
export function processesUsing(dir: string, all = listProcesses()): ProcessInfo[] {
  const root = dir.replace(/\/+$/, '')
  const out: ProcessInfo[] = []
  for (const p of all) {
    if (p.pid === process.pid || p.state === 'Z' || p.state === 'X') continue
    let env: string
    try {
      env = fs.readFileSync(`/proc/${p.pid}/environ`, 'latin1')
    } catch {
      continue // gone, or not ours to read
    }
    const taskRoot = env.split('\0').find((e) => e.startsWith('LAMBDA_TASK_ROOT='))
    if (taskRoot && within(taskRoot.slice('LAMBDA_TASK_ROOT='.length), root)) out.push(p)
  }
  return out
}

/**
 * SIGKILLs (and SIGCONTs, so a stopped one does not linger) every process `processesUsing(dir)` finds, and waits up
 * to `waitMs` for them to be gone. A process group is signalled as a whole only when its leader is one of them (a
 * sandbox's group, or a daemon's session); otherwise only the process. Returns how many were found.
 */
export async function killProcessesUsing(dir: string, waitMs = 2000): Promise<number> {
  const found = processesUsing(dir)
  const pids = new Set(found.map((p) => p.pid))
  for (const p of found) {
    for (const sig of ['SIGKILL', 'SIGCONT'] as const) {
      if (pids.has(p.pgrp)) signalGroup(p.pgrp, sig)
      try {
        process.kill(p.pid, sig)
      } catch {
        // already gone
      }
    }
  }
  const deadline = Date.now() + waitMs
  while (found.some((p) => isSameProcessAlive(p)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  return found.length
}

/** Whether the process `p` names (PID and start time) still runs (a zombie counts as gone). */
export function isSameProcessAlive(p: Pick<ProcessInfo, 'pid' | 'startTime'>): boolean {
  const now = processInfo(p.pid)
  return now !== undefined && now.startTime === p.startTime && now.state !== 'Z' && now.state !== 'X'
}
