import fs from 'node:fs'
import path from 'node:path'
import { type Config, resolveFromRoot } from '../config.js'
import type { RunContext } from './model.js'

/**
 * The global setup and the reporters live in different module graphs; they meet through this file. It sits in
 * the output directory, so runs with different outputs (for example the kit's own nested runs) never mix.
 */
export function runContextPath(cfg: Config): string {
  return path.join(resolveFromRoot(cfg.outputDir), '.run-context.json')
}

export function writeRunContext(cfg: Config, ctx: RunContext): void {
  const file = runContextPath(cfg)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify(ctx, null, 2))
}

/** Null when the global setup did not run (for example a filtered run of the kit's unit tests only). */
export function readRunContext(cfg: Config): RunContext | null {
  try {
    return JSON.parse(fs.readFileSync(runContextPath(cfg), 'utf8')) as RunContext
  } catch {
    return null
  }
}
