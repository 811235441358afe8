/**
 * moto's server as the kit starts it: from its own venv, on 127.0.0.1, stopped with its process group, and with a
 * clear error (moto's own output included) when it cannot start. Also the log shipper's failure path.
 */
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest'
import { loadConfig, resolveFromRoot } from '../config.js'
import type { EnsuredVenv } from '../embedded/python-venv.js'
import { LogStore } from '../embedded/log-store.js'
import { ensureServicesVenv, freePort, MotoError, startMoto } from './moto.js'
import { CloudWatchLogsShipper } from './moto-logs.js'

let venv: EnsuredVenv | undefined
let unavailable = ''

beforeAll(async () => {
  try {
    venv = await ensureServicesVenv(resolveFromRoot(loadConfig().cacheDir))
  } catch (e) {
    unavailable = `the services venv could not be made: ${(e as Error).message}`
  }
})

function needVenv(ctx: TestContext): void {
  if (unavailable) ctx.skip(unavailable)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('moto server', () => {
  it('the services venv has moto 5.2.5 and is not the python3.* runtime venv', (ctx) => {
    needVenv(ctx)
    expect(venv!.versions.moto).toBe('5.2.5')
    expect(venv!.dir).toContain('/services-venv/')
  })

  it('starts on 127.0.0.1, answers /moto-api/, and stop() ends its process group', async (ctx) => {
    needVenv(ctx)
    const moto = await startMoto(venv!)
    expect(moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const r = await fetch(`${moto.endpoint}/moto-api/`)
    await r.arrayBuffer()
    expect(r.status).toBe(200)
    expect(alive(moto.pid)).toBe(true)
    await moto.stop()
    await moto.stop()
    expect(alive(moto.pid)).toBe(false)
    await expect(fetch(`${moto.endpoint}/moto-api/`)).rejects.toThrow()
  })

  it('a port already in use fails with a clear error that includes moto\'s output', async (ctx) => {
    needVenv(ctx)
    const port = await freePort()
    const holder = net.createServer()
    await new Promise<void>((r) => holder.listen(port, '127.0.0.1', () => r()))
    try {
      const e = await startMoto(venv!, { port, startTimeoutMs: 20_000 }).then(() => null, (x: unknown) => x)
      expect(e).toBeInstanceOf(MotoError)
      expect((e as Error).message).toMatch(/exited with code \d+; its output:/)
      expect((e as Error).message).toMatch(/address already in use|in use/i)
    } finally {
      holder.close()
    }
  })

  it('an interpreter that is not the venv\'s fails with its stderr in the error', async () => {
    const e = await startMoto({ python: '/bin/sh', versions: {} }, { startTimeoutMs: 10_000 }).then(() => null, (x: unknown) => x)
    expect(e).toBeInstanceOf(MotoError)
    expect((e as Error).message).toMatch(/moto server .* exited with code \d+/)
  })
})

describe('CloudWatch Logs shipper', () => {
  let dead: net.Server
  let endpoint = ''
  beforeAll(async () => {
    // Accepts connections and closes them at once: every write fails.
    dead = net.createServer((s) => s.destroy())
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()))
    endpoint = `http://127.0.0.1:${(dead.address() as net.AddressInfo).port}`
  })
  afterAll(() => void dead.close())

  it('a failing CloudWatch Logs is reported once and never throws into the logging side', async () => {
    const warnings: string[] = []
    const store = new LogStore()
    const shipper = new CloudWatchLogsShipper({ endpoint, region: 'us-east-1', warn: (l) => warnings.push(l) }).attach(store)
    store.declareGroup('/aws/lambda/x')
    for (let i = 0; i < 5; i++) store.append('/aws/lambda/x', 'stream-a', `line ${i}`)
    store.append('/aws/lambda/x', 'stream-b', 'other')
    await shipper.flush()
    store.append('/aws/lambda/x', 'stream-c', 'later')
    await shipper.close()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/writing function logs to CloudWatch Logs at .* failed/)
    expect(shipper.shipped).toBe(0)
    expect(shipper.dropped).toBe(7)
    // The target's own store still has every line.
    expect(store.streams('/aws/lambda/x').flatMap((s) => s.events)).toHaveLength(7)
  })
})
