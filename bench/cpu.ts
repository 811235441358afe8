/**
 * CPU time per process group while a system is measured, from /proc/<pid>/stat (utime + stime): where the cores
 * go per invocation, split into the client (this process), the emulator (embedded target's process, the RIE) and
 * the function (the bootstrap processes). On a small machine this bounds throughput: cores / CPU per invocation.
 */
import fs from 'node:fs'

/** Linux reports utime/stime in USER_HZ ticks, 100 per second on every mainstream architecture. */
const MS_PER_TICK = 10

export interface CpuGroups {
  emulator: number[]
  function: number[]
}

export interface CpuPerInvoke {
  /** CPU milliseconds per 1,000 invocations (= µs per invocation). */
  client: number
  emulator: number
  function: number
  total: number
}

function cpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command.
    return (Number(f[11]) + Number(f[12])) * MS_PER_TICK
  } catch {
    return undefined
  }
}

function procPids(): number[] {
  return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number)
}

/** Processes whose executable lies under `dir` (the embedded target's sandboxes run copies of the code there). */
export function pidsWithExeUnder(dir: string): number[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`
  return procPids().filter((pid) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/exe`).startsWith(prefix)
    } catch {
      return false
    }
  })
}

/** Direct children of `parent`. */
export function childPids(parent: number): number[] {
  return procPids().filter((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1')
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent
    } catch {
      return false
    }
  })
}

interface Snapshot {
  client: number
  pids: Map<number, number>
  groups: CpuGroups
}

function snapshot(groups: CpuGroups): Snapshot {
  const pids = new Map<number, number>()
  for (const pid of [...groups.emulator, ...groups.function]) {
    const ms = cpuMs(pid)
    if (ms !== undefined) pids.set(pid, ms)
  }
  const u = process.cpuUsage()
  return { client: (u.user + u.system) / 1000, pids, groups }
}

/** Accumulates CPU per group over several measured slices of one system. */
export class CpuMeter {
  private client = 0
  private emulator = 0
  private function = 0
  private invocations = 0

  constructor(private readonly groups: () => CpuGroups) {}

  start(): Snapshot {
    return snapshot(this.groups())
  }

  /** Adds the CPU used since `before` (processes started meanwhile count from zero; ones that ended are lost). */
  stop(before: Snapshot, invocations: number): void {
    const after = snapshot(this.groups())
    const delta = (pids: number[]): number => pids.reduce((sum, pid) => sum + Math.max(0, (after.pids.get(pid) ?? before.pids.get(pid) ?? 0) - (before.pids.get(pid) ?? 0)), 0)
    const union = (k: keyof CpuGroups): number[] => [...new Set([...before.groups[k], ...after.groups[k]])]
    this.client += after.client - before.client
    this.emulator += delta(union('emulator'))
    this.function += delta(union('function'))
    this.invocations += invocations
  }

  perInvoke(): CpuPerInvoke {
    const per = (ms: number): number => (this.invocations === 0 ? NaN : (ms / this.invocations) * 1000)
    return { client: per(this.client), emulator: per(this.emulator), function: per(this.function), total: per(this.client + this.emulator + this.function) }
  }
}
