/**
 * `startTarget(cfg)`: the one entry that starts (or connects to) the configured target, for the global setup and
 * for tests that need a target of their own.
 */
import type { Config } from '../config.js'
import { startAws } from './aws.js'
import { startEmbedded } from './embedded.js'
import { startLocalstack } from './localstack.js'
import type { TargetInfo } from './target.js'

export interface StartedTarget {
  info: TargetInfo
  /** Stops what the start started and deletes what the run created (aws); safe to call more than once. */
  close(): Promise<void>
}

export interface StartOptions {
  /** Diagnostics (one line each). */
  log?: (line: string) => void
  /** Where host variables (LOCALSTACK_AUTH_TOKEN, AWS_REGION) are read; process.env by default. */
  env?: NodeJS.ProcessEnv
}

export async function startTarget(cfg: Config, o: StartOptions = {}): Promise<StartedTarget> {
  switch (cfg.target) {
    case 'localstack':
      return startLocalstack(cfg, o)
    case 'aws':
      return startAws(cfg, o)
    case 'embedded':
      if (cfg.endpoint) {
        o.log?.(`using the Lambda API at ${cfg.endpoint} (started outside this run)`)
        return {
          info: {
            name: 'endpoint', endpoint: cfg.endpoint, region: cfg.region, accountId: '000000000000', roleArn: 'arn:aws:iam::000000000000:role/conformance',
            details: { note: 'a Lambda API started outside this run' }, namePrefix: 'glc-',
          },
          close: async () => {},
        }
      }
      return startEmbedded(cfg, o)
  }
}
