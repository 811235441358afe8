/**
 * `npm run aws:cleanup -- glc-<random>-`: deletes every AWS resource named with a run's prefix (functions and their
 * event source mappings, topics, queues, streams, tables, log groups, roles), with the same credentials, region and
 * CONFORMANCE_AWS_ENDPOINT as the run. The aws target starts it, detached, when the run gets SIGINT or SIGTERM (the
 * test runner exits at once, so the deletion must outlive it); use it by hand after a run was killed outright.
 */
import { ConfigError, loadConfig, scrubSecrets } from '../config.js'
import { awsRegion, cleanupByPrefix } from '../targets/aws.js'

async function main(argv: string[]): Promise<number> {
  const prefix = argv[0] ?? ''
  if (!/^glc-[0-9a-f]+-$/.test(prefix)) {
    process.stderr.write('usage: npm run aws:cleanup -- glc-<random>-   (the prefix the run printed)\n')
    return 2
  }
  const cfg = loadConfig({ ...process.env, CONFORMANCE_TARGET: 'aws' })
  const info = {
    name: 'aws', endpoint: cfg.awsEndpoint, region: awsRegion(cfg, process.env), accountId: '', roleArn: '', details: {},
    namePrefix: prefix, credentials: 'default-chain' as const,
  }
  const s = await cleanupByPrefix(info, prefix)
  for (const d of s.deleted) process.stderr.write(`[conformance] aws cleanup: deleted ${d}\n`)
  for (const f of s.failed) process.stderr.write(`[conformance] aws cleanup: FAILED ${f}\n`)
  process.stderr.write(`[conformance] aws cleanup of ${prefix}*: ${s.deleted.length} deleted, ${s.failed.length} failed\n`)
  return s.failed.length > 0 ? 1 : 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`[conformance] aws cleanup: ${e instanceof ConfigError ? 'configuration error: ' : ''}${scrubSecrets((e as Error).message)}\n`)
    process.exit(1)
  },
)
