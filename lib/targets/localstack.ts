/**
 * The `localstack` target: LocalStack started through testcontainers, or one the user runs (CONFORMANCE_ENDPOINT).
 * LocalStack serves every AWS service on its edge port and runs Lambda functions in Docker containers of its own,
 * so it needs a container engine and the engine's socket mounted. Without an engine the run does not fail: the
 * target reports itself unavailable and every conformance test skips with the reason.
 */
import type { Config } from '../config.js'
import { REDACTED, scrubSecrets } from '../config.js'
import type { StartedTarget, StartOptions } from './start.js'
import type { TargetInfo } from './target.js'

export const LOCALSTACK_ACCOUNT_ID = '000000000000'
/** The socket path inside the LocalStack container, where its Lambda executor expects it. */
const CONTAINER_SOCKET = '/var/run/docker.sock'

function baseInfo(cfg: Config, endpoint: string, details: Record<string, unknown>): TargetInfo {
  return {
    name: 'localstack', endpoint, region: cfg.region, accountId: LOCALSTACK_ACCOUNT_ID,
    // LocalStack does not enforce IAM by default; any well-formed role ARN is accepted.
    roleArn: `arn:aws:iam::${LOCALSTACK_ACCOUNT_ID}:role/conformance`,
    details, services: true, namePrefix: 'glc-',
  }
}

/** Why no container engine can be used, or undefined when one answers (asked once per start). */
export async function containerEngineProblem(): Promise<{ reason: string } | { socketPath: string; host: string }> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers')
    const client = await getContainerRuntimeClient()
    return { socketPath: client.info.containerRuntime.remoteSocketPath, host: client.info.containerRuntime.host }
  } catch (e) {
    return { reason: (e as Error).message }
  }
}

export async function startLocalstack(cfg: Config, o: StartOptions = {}): Promise<StartedTarget> {
  const say = o.log ?? (() => {})
  const env = o.env ?? process.env
  const token = env.LOCALSTACK_AUTH_TOKEN ?? ''
  if (cfg.endpoint) {
    say(`localstack target: using the LocalStack at ${cfg.endpoint} (started outside this run)`)
    return { info: baseInfo(cfg, cfg.endpoint, { note: 'a LocalStack started outside this run' }), close: async () => {} }
  }
  const engine = await containerEngineProblem()
  if ('reason' in engine) {
    const reason = `no Docker engine: LocalStack needs one (testcontainers: ${scrubSecrets(engine.reason, env)})`
    say(`WARNING: ${reason}. Every conformance test is skipped; set CONFORMANCE_ENDPOINT to use a LocalStack you run yourself.`)
    return { info: { ...baseInfo(cfg, '', { image: cfg.localstackImage }), services: false, unavailable: reason }, close: async () => {} }
  }
  const { LocalstackContainer } = await import('@testcontainers/localstack')
  const environment: Record<string, string> = { AWS_DEFAULT_REGION: cfg.region }
  // The token is a secret: it goes to the container's environment and nowhere else (never logged, never in details).
  if (token) environment.LOCALSTACK_AUTH_TOKEN = token
  say(`localstack target: starting ${cfg.localstackImage} through testcontainers (engine at ${engine.host}${token ? ', with LOCALSTACK_AUTH_TOKEN' : ''})`)
  let container
  try {
    container = await new LocalstackContainer(cfg.localstackImage)
      .withEnvironment(environment)
      .withBindMounts([{ source: engine.socketPath, target: CONTAINER_SOCKET }])
      .start()
  } catch (e) {
    throw new Error(`starting LocalStack (${cfg.localstackImage}) failed: ${scrubSecrets((e as Error).message, env)}`)
  }
  const started = container
  const endpoint = started.getConnectionUri()
  say(`localstack target listening on ${endpoint}`)
  return {
    info: baseInfo(cfg, endpoint, { image: cfg.localstackImage, container: started.getId().slice(0, 12), authToken: token ? REDACTED : 'not set' }),
    close: async () => {
      await started.stop()
    },
  }
}
