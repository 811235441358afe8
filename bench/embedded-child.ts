/**
 * The embedded target alone (no moto, no Python venv) in its own Node process, so the benchmark can read its
 * resident memory from /proc/<pid>/status without counting the client. Started by bench/emulator-speed.ts with
 * `fork` and `--expose-gc`; it talks over the IPC channel:
 *   → { id, op: 'gc' }                     runs a full GC (twice), answers when done
 *   → { id, op: 'logStats', groups }       retained log events (count, message chars) of those groups
 *   → { id, op: 'close' }                  closes the target (kills every sandbox) and exits
 *   ← { type: 'ready', endpoint, details } once listening
 * It closes the target when the parent goes away or on SIGTERM/SIGINT.
 */
import { type EmbeddedTarget, startEmbeddedTarget } from '../lib/embedded/index.js'

interface Request {
  id: number
  op: 'gc' | 'logStats' | 'close'
  groups?: string[]
}

const send = (m: unknown): void => void process.send?.(m)

let target: EmbeddedTarget | undefined
let closing: Promise<void> | undefined
function close(): Promise<void> {
  closing ??= (async () => {
    await target?.close()
  })()
  return closing
}

// Sandboxes are process groups of their own: close the target (which kills them) however this process is told to go.
for (const ev of ['disconnect', 'SIGTERM', 'SIGINT'] as const) process.on(ev, () => void close().finally(() => process.exit(0)))

process.on('message', (raw) => {
  const m = raw as Request
  void (async () => {
    switch (m.op) {
      case 'gc': {
        const gc = (globalThis as { gc?: () => void }).gc
        gc?.()
        await new Promise((r) => setTimeout(r, 50))
        gc?.()
        send({ id: m.id, ok: true, gc: gc !== undefined })
        return
      }
      case 'logStats': {
        let events = 0
        let chars = 0
        for (const g of m.groups ?? []) {
          for (const s of target!.logStore.streams(g)) {
            events += s.events.length
            for (const e of s.events) chars += e.message.length
          }
        }
        send({ id: m.id, ok: true, events, chars })
        return
      }
      case 'close':
        await close()
        send({ id: m.id, ok: true })
        // Give the answer time to leave before exiting (a --cpu-prof profile is written on exit).
        setTimeout(() => process.exit(0), 50)
        return
    }
  })().catch((e: unknown) => send({ id: m.id, ok: false, error: (e as Error).message }))
})

target = await startEmbeddedTarget({ pendingMs: 0 })
send({ type: 'ready', endpoint: target.endpoint, details: target.details })
