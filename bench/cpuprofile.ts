/**
 * A short reading of a V8 `.cpuprofile` (what `node --cpu-prof` writes): self time per function, heaviest first.
 * Syscalls show up as native frames (`writev`, `_kill`, `read`), so the list says where the emulator's time goes.
 */
import fs from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface SelfTime {
  frame: string
  ms: number
  share: number
}

/** The `top` functions by self time (idle excluded from the shares: they are shares of busy time). */
export function topSelfTime(file: string, top = 15): { busyMs: number; idleMs: number; rows: SelfTime[] } {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile
  const frameOf = new Map<number, string>()
  for (const n of p.nodes) {
    const f = n.callFrame
    const where = f.url ? ` ${f.url.replace(/^.*\/(lib|bench|node_modules)\//, '$1/').replace(/^node:/, 'node:')}:${f.lineNumber + 1}` : ''
    frameOf.set(n.id, `${f.functionName || '(anonymous)'}${where}`)
  }
  const self = new Map<string, number>()
  let busy = 0
  let idle = 0
  p.samples.forEach((id, i) => {
    const us = p.timeDeltas[i] ?? 0
    const frame = frameOf.get(id) ?? '?'
    if (frame.startsWith('(idle)')) {
      idle += us
      return
    }
    busy += us
    self.set(frame, (self.get(frame) ?? 0) + us)
  })
  const rows = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, us]) => ({ frame, ms: us / 1000, share: busy === 0 ? 0 : us / busy }))
  return { busyMs: busy / 1000, idleMs: idle / 1000, rows }
}
