/**
 * The localstack target: with no container engine it reports itself unavailable with the reason (and the run's
 * conformance tests skip with it); with an engine it starts LocalStack, which answers Lambda on its edge port.
 */
import { ListFunctionsCommand } from '@aws-sdk/client-lambda'
import { describe, expect, it, vi } from 'vitest'
import { loadConfig, REDACTED } from '../config.js'
import { containerEngineProblem, startLocalstack } from './localstack.js'
import { startTarget } from './start.js'
import { lambdaClient } from './target.js'

const engine = await containerEngineProblem()
const noEngine = 'reason' in engine ? engine.reason : ''

describe('localstack target', () => {
  it('with no container engine: unavailable, with the reason, and nothing started', async (ctx) => {
    if (!noEngine) ctx.skip('a container engine is present here')
    const lines: string[] = []
    const t = await startTarget(loadConfig({ CONFORMANCE_TARGET: 'localstack' }), { log: (l) => lines.push(l) })
    expect(t.info.name).toBe('localstack')
    expect(t.info.unavailable).toBe(`no Docker engine: LocalStack needs one (testcontainers: ${noEngine})`)
    expect(t.info.unavailable).toContain('Could not find a working container runtime strategy')
    expect(t.info.services).toBe(false)
    expect(lines.join('\n')).toContain('no Docker engine')
    await t.close()
  })

  it('never prints LOCALSTACK_AUTH_TOKEN, whatever happens', async () => {
    const token = 'ls-FAKE-token-0123456789abcdef'
    const lines: string[] = []
    const t = await startLocalstack(loadConfig({ CONFORMANCE_TARGET: 'localstack' }), { log: (l) => lines.push(l), env: { LOCALSTACK_AUTH_TOKEN: token } })
    try {
      expect(JSON.stringify({ info: t.info, lines })).not.toContain(token)
      if (!t.info.unavailable) expect(t.info.details.authToken).toBe(REDACTED)
    } finally {
      await t.close()
    }
  }, 300_000)

  it('a LocalStack the user runs (CONFORMANCE_ENDPOINT) is used as is, with every service on its edge port', async () => {
    const t = await startTarget(loadConfig({ CONFORMANCE_TARGET: 'localstack', CONFORMANCE_ENDPOINT: 'http://127.0.0.1:4566' }))
    expect(t.info).toMatchObject({ name: 'localstack', endpoint: 'http://127.0.0.1:4566', services: true, namePrefix: 'glc-' })
    expect(t.info.unavailable).toBeUndefined()
    await t.close()
  })

  it('the image is the frozen community tag unless CONFORMANCE_LOCALSTACK_IMAGE says otherwise', () => {
    expect(loadConfig({}).localstackImage).toBe('localstack/localstack:4.14.0')
    expect(loadConfig({ CONFORMANCE_LOCALSTACK_IMAGE: 'localstack/localstack:2026.3' }).localstackImage).toBe('localstack/localstack:2026.3')
  })

  it('with a container engine: starts LocalStack and answers Lambda on its edge port', async (ctx) => {
    if (noEngine) ctx.skip(`no Docker engine: ${noEngine}`)
    vi.stubEnv('LOCALSTACK_AUTH_TOKEN', process.env.LOCALSTACK_AUTH_TOKEN ?? '')
    const t = await startTarget(loadConfig({ CONFORMANCE_TARGET: 'localstack' }))
    try {
      expect(t.info.unavailable).toBeUndefined()
      expect(t.info.endpoint).toMatch(/^http:\/\//)
      const r = await lambdaClient(t.info).send(new ListFunctionsCommand({}))
      expect(r.Functions).toBeDefined()
    } finally {
      await t.close()
      vi.unstubAllEnvs()
    }
  }, 300_000)
})
