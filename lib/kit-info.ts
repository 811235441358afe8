import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from './config.js'

export interface KitInfo {
  name: string
  version: string
  commit: string | null
}

let cached: KitInfo | undefined

/** Name and version from package.json; the git commit when run from a checkout. */
export function kitInfo(): KitInfo {
  if (cached) return cached
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string }
  let commit: string | null = null
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null
  } catch {
    commit = null
  }
  cached = { name: pkg.name, version: pkg.version, commit }
  return cached
}
