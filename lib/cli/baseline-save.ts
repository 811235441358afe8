/**
 * `npm run baseline:save [-- --from output/results.json] [--to baseline/results.json]`: keeps this run's latency
 * series as the baseline a later run compares against with `CONFORMANCE_BASELINE=baseline/results.json`.
 * It refuses a run that measured no latency, or one whose latency tests failed, so a broken run never becomes the
 * yardstick.
 */
import fs from 'node:fs'
import path from 'node:path'
import { loadConfig, resolveFromRoot } from '../config.js'
import type { ResultsDocument } from '../results/model.js'

export const DEFAULT_BASELINE = 'baseline/results.json'

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}

export function saveBaseline(from: string, to: string): { series: number; to: string } {
  if (!fs.existsSync(from)) throw new Error(`${from} does not exist; run npm test first (it writes results.json into CONFORMANCE_OUTPUT_DIR)`)
  let doc: ResultsDocument
  try {
    doc = JSON.parse(fs.readFileSync(from, 'utf8')) as ResultsDocument
  } catch (e) {
    throw new Error(`${from} is not JSON (${(e as Error).message}); give the results.json a run wrote`)
  }
  const series = doc.latency?.series ?? []
  if (series.length === 0) throw new Error(`${from} holds no latency series; save a run that ran suites/latency`)
  const failed = doc.tests.filter((t) => t.suite === 'latency' && (t.status === 'fail' || t.status === 'error'))
  if (failed.length > 0) throw new Error(`${from}: ${failed.length} latency test(s) failed (${failed.map((t) => t.id).join(', ')}); fix them before saving a baseline`)
  fs.mkdirSync(path.dirname(to), { recursive: true })
  const tmp = `${to}.tmp-${process.pid}`
  fs.writeFileSync(tmp, JSON.stringify(doc))
  fs.renameSync(tmp, to)
  return { series: series.length, to }
}

function main(argv: string[]): number {
  const cfg = loadConfig()
  const from = path.resolve(arg(argv, '--from') ?? path.join(resolveFromRoot(cfg.outputDir), 'results.json'))
  const to = path.resolve(arg(argv, '--to') ?? resolveFromRoot(DEFAULT_BASELINE))
  try {
    const r = saveBaseline(from, to)
    process.stderr.write(`[conformance] saved ${r.series} latency series from ${from} as the baseline ${r.to}\n`)
    process.stderr.write(`[conformance] compare a later run with: CONFORMANCE_BASELINE=${path.relative(process.cwd(), r.to)} npm test\n`)
    return 0
  } catch (e) {
    process.stderr.write(`[conformance] baseline:save: ${(e as Error).message}\n`)
    return 1
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) process.exit(main(process.argv.slice(2)))
