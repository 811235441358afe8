/**
 * Writes the raw latency data beside the report, for anyone to re-analyse (latency-methods.md §10.6), when the run
 * measured latency series:
 *
 *   <CONFORMANCE_OUTPUT_DIR>/latency/samples.csv          one row per sample
 *   <CONFORMANCE_OUTPUT_DIR>/latency/histograms.hdr.txt   one HdrHistogram (compressed base64) per series and metric
 *   <CONFORMANCE_OUTPUT_DIR>/latency/clock.csv            one row per NTP exchange (clock series only)
 *
 * Formats are documented in reports/README.md. Written synchronously in onTestRunEnd like the other reporters (see
 * output.ts), each file atomically; a failure is reported on stderr and never breaks the run.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { SerializedError, TestModule, TestRunEndReason } from 'vitest/node'
import { loadConfig } from '../lib/config.js'
import { METRICS, type Metric } from '../lib/latency/model.js'
import type { ResultsDocument } from '../lib/results/model.js'
import { reportFailure } from './collect.js'
import { LATENCY_EXPORTS } from './latency-section.js'
import { documentForRun, makeDirs, outputPath, RunEndReporter } from './output.js'

export interface LatencyExportOptions {
  /** Folder for the exports, inside the output directory or absolute. Default `latency`. */
  dir?: string
  /** Environment for the configuration and for redaction. Default `process.env`. */
  env?: NodeJS.ProcessEnv
}

export const SAMPLE_COLUMNS = ['key', 'experiment', 'shim', 'variant', 'x', 'index', 'tMs', 'clientMs', 'durationMs', 'initMs', 'overheadMs', 'maxMemoryMb', 'cold'] as const
export const CLOCK_COLUMNS = ['key', 'shim', 'variant', 'index', 't1Ms', 't2Ms', 't3Ms', 't4Ms', 'thetaMs', 'deltaMs', 'syntheticOffsetMs', 'syntheticDriftPpm', 'processStartMs'] as const
export const HISTOGRAM_COLUMNS = ['key', 'metric', 'unit', 'count', 'histogram'] as const

/** RFC 4180 field: quoted when it holds a comma, a quote or a line break. Numbers print as JavaScript writes them. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return ''
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v)
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s
}

function csvRow(values: ReadonlyArray<unknown>): string {
  return `${values.map(csvField).join(',')}\r\n`
}

/** Every sample of every series, in the document's series order, then send order. */
export function renderSamplesCsv(doc: ResultsDocument): string {
  const out: string[] = [csvRow(SAMPLE_COLUMNS)]
  for (const s of doc.latency?.series ?? []) {
    const c = s.samples
    for (let i = 0; i < c.clientMs.length; i++) {
      out.push(csvRow([s.key, s.experiment, s.shim, s.variant, s.x, i, c.tMs[i], c.clientMs[i], c.durationMs[i], c.initMs[i], c.overheadMs[i], c.maxMemoryMb[i], c.cold[i] === null || c.cold[i] === undefined ? '' : String(c.cold[i])]))
    }
  }
  return out.join('')
}

/** Every NTP exchange of the clock series, with θ = ½[(T2 − T1) + (T3 − T4)] and δ = (T4 − T1) − (T3 − T2); null when none. */
export function renderClockCsv(doc: ResultsDocument): string | null {
  const clocks = (doc.latency?.series ?? []).filter((s) => s.clock && s.clock.t1Ms.length > 0)
  if (clocks.length === 0) return null
  const out: string[] = [csvRow(CLOCK_COLUMNS)]
  const round = (v: number): number => Math.round(v * 1e6) / 1e6
  for (const s of clocks) {
    const k = s.clock!
    for (let i = 0; i < k.t1Ms.length; i++) {
      const [t1, t2, t3, t4] = [k.t1Ms[i]!, k.t2Ms[i]!, k.t3Ms[i]!, k.t4Ms[i]!]
      out.push(csvRow([s.key, s.shim, s.variant, i, t1, t2, t3, t4, round(((t2 - t1) + (t3 - t4)) / 2), round((t4 - t1) - (t3 - t2)), k.syntheticOffsetMs, k.syntheticDriftPpm, k.processStartMs]))
    }
  }
  return out.join('')
}

/** Unit of the integers a metric's histogram holds (thousandths of the metric's own unit). */
export const HISTOGRAM_UNIT: Record<Metric, string> = {
  clientMs: 'us',
  durationMs: 'us',
  initMs: 'us',
  overheadMs: 'us',
  maxMemoryMb: 'MB/1000',
}

/** One tab-separated line per series and metric, after `#` comment lines that say how to read them. */
export function renderHistograms(doc: ResultsDocument): string {
  const lines = [
    `# ${doc.kit.name} ${doc.kit.version} latency histograms, run started ${doc.run.startedAt}`,
    '# One HdrHistogram per series and metric, tab-separated: key, metric, unit, count, histogram.',
    '# histogram: HdrHistogram V2 compressed base64 ("HISTF..."); the recorded integers are thousandths of the metric\'s unit',
    '# (unit column: us = microseconds for the ms metrics). Decode with hdr-histogram-js decodeFromCompressedBase64(histogram),',
    '# Java Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(histogram)), 0)',
    '# or Go hdrhistogram.Decode([]byte(histogram)).',
    HISTOGRAM_COLUMNS.join('\t'),
  ]
  for (const s of doc.latency?.series ?? []) {
    for (const m of METRICS) {
      const summary = s.summary[m]
      if (!summary) continue
      lines.push([s.key.replace(/[\t\r\n]/g, ' '), m, HISTOGRAM_UNIT[m], String(summary.n), summary.hdr].join('\t'))
    }
  }
  return `${lines.join('\n')}\n`
}

/** The export files for a document, by file name; empty when it holds no latency series. */
export function latencyExports(doc: ResultsDocument): Array<{ name: string; text: string }> {
  if (!doc.latency || doc.latency.series.length === 0) return []
  const files = [
    { name: path.basename(LATENCY_EXPORTS.samples), text: renderSamplesCsv(doc) },
    { name: path.basename(LATENCY_EXPORTS.histograms), text: renderHistograms(doc) },
  ]
  const clock = renderClockCsv(doc)
  if (clock !== null) files.push({ name: path.basename(LATENCY_EXPORTS.clock), text: clock })
  return files
}

/** Writes the exports into `dir` (created if needed), each file atomically; returns the paths written. Throws on failure. */
export function writeLatencyExports(doc: ResultsDocument, dir: string): string[] {
  const files = latencyExports(doc)
  if (files.length === 0) return []
  makeDirs(dir)
  return files.map(({ name, text }) => {
    const file = path.join(dir, name)
    const tmp = `${file}.${process.pid}.tmp`
    try {
      fs.writeFileSync(tmp, text)
      fs.renameSync(tmp, file)
    } catch (err) {
      fs.rmSync(tmp, { force: true })
      throw err
    }
    return file
  })
}

export default class LatencyExportReporter extends RunEndReporter {
  constructor(private readonly options: LatencyExportOptions = {}) {
    super()
  }

  protected finish(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const env = this.options.env ?? process.env
    let dir = this.options.dir ?? LATENCY_EXPORTS.dir
    try {
      const cfg = loadConfig(env)
      dir = outputPath(dir, cfg)
      const doc = documentForRun({ testModules, unhandledErrors, reason, startedAt: this.run.startedAt, env }, cfg)
      writeLatencyExports(doc, dir)
    } catch (err) {
      reportFailure(`write the latency exports in ${dir}`, err)
    }
  }
}
