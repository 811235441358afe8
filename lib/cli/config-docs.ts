/**
 * `npm run docs:config`: the README's configuration table, generated from SETTINGS (lib/config.ts), the single
 * source of every CONFORMANCE_* variable.
 *
 *   npm run docs:config                          print the table (Markdown) to stdout
 *   npm run docs:config -- --write README.md     replace the table between the markers in README.md
 *   npm run docs:config -- --check README.md     exit 1 if README.md's table differs from SETTINGS (CI runs this)
 *
 * The table lives between the lines `<!-- config-table:start -->` and `<!-- config-table:end -->`.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ENV_PREFIX, SETTINGS } from '../config.js'

export const TABLE_START = '<!-- config-table:start -->'
export const TABLE_END = '<!-- config-table:end -->'
const writeHint = (file: string): string => `npm run docs:config -- --write ${file}`

/** One SETTINGS entry as the renderer reads it (the union in lib/config.ts, loosened to plain fields). */
interface SettingLike {
  env: string
  type: string
  default: unknown
  description: string
  values?: readonly string[]
  min?: number
  max?: number
  secret?: boolean
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

function renderDefault(s: SettingLike): string {
  const d = s.default
  if (Array.isArray(d)) return d.length === 0 ? '(empty)' : `\`${d.join(',')}\``
  if (d === '' || d === undefined || d === null) return '(empty)'
  return `\`${String(d)}\``
}

/** What the type allows, appended to the description so the table is the whole reference. */
function renderAllowed(s: SettingLike): string {
  switch (s.type) {
    case 'enum':
      return s.values ? ` One of: ${s.values.map((v) => `\`${v}\``).join(', ')}.` : ''
    case 'integer':
      return s.min !== undefined && s.max !== undefined ? ` An integer from ${s.min} to ${s.max}.` : ' An integer.'
    case 'boolean':
      return ' `1` (or `true`, `yes`, `on`) or `0` (or `false`, `no`, `off`).'
    default:
      return ''
  }
}

/** The configuration table as Markdown (no trailing newline): one row per setting, in SETTINGS order. */
export function renderConfigTable(settings: Record<string, SettingLike> = SETTINGS as unknown as Record<string, SettingLike>): string {
  const rows = ['| Variable | Default | Description |', '| --- | --- | --- |']
  for (const s of Object.values(settings)) {
    const description = `${s.description.trim()}${renderAllowed(s)}${s.secret ? ' Secret: redacted in every output.' : ''}`
    rows.push(`| \`${ENV_PREFIX}${s.env}\` | ${cell(renderDefault(s))} | ${cell(description)} |`)
  }
  return rows.join('\n')
}

export class ConfigDocsError extends Error {
  override name = 'ConfigDocsError'
}

/** Indexes of the start and end markers. Throws ConfigDocsError (naming the fix) when they are missing or out of order. */
function findMarkers(text: string, file: string): { start: number; end: number } {
  const start = text.indexOf(TABLE_START)
  const end = text.indexOf(TABLE_END)
  const missing = [start < 0 ? TABLE_START : '', end < 0 ? TABLE_END : ''].filter((m) => m !== '')
  if (missing.length > 0) {
    throw new ConfigDocsError(
      `${file} has no ${missing.join(' and no ')} marker. Put the two lines\n  ${TABLE_START}\n  ${TABLE_END}\n` +
        `where the configuration table belongs, then run \`${writeHint(file)}\`.`,
    )
  }
  if (text.indexOf(TABLE_START, start + 1) >= 0 || text.indexOf(TABLE_END, end + 1) >= 0) {
    throw new ConfigDocsError(`${file} has more than one ${TABLE_START} or ${TABLE_END} marker; keep exactly one pair`)
  }
  if (end < start) throw new ConfigDocsError(`${file}: ${TABLE_END} comes before ${TABLE_START}; put the start marker first`)
  return { start, end }
}

/** The table currently between the markers (trimmed). Throws ConfigDocsError when the markers are missing. */
export function extractConfigTable(text: string, file = 'README.md'): string {
  const m = findMarkers(text, file)
  return text.slice(m.start + TABLE_START.length, m.end).trim()
}

/** `text` with everything between the markers replaced by `table` on its own lines. Throws ConfigDocsError when the markers are missing. */
export function replaceConfigTable(text: string, table: string, file = 'README.md'): string {
  const m = findMarkers(text, file)
  return `${text.slice(0, m.start + TABLE_START.length)}\n${table}\n${text.slice(m.end)}`
}

/** Lines only in one of the two tables, for the --check message. */
function tableDiff(actual: string, expected: string): string {
  const a = actual.split('\n').map((l) => l.trim()).filter((l) => l !== '')
  const e = expected.split('\n').map((l) => l.trim()).filter((l) => l !== '')
  const out: string[] = []
  for (const l of a) if (!e.includes(l)) out.push(`  - ${l}`)
  for (const l of e) if (!a.includes(l)) out.push(`  + ${l}`)
  return out.length > 0 ? out.join('\n') : '  (same rows, different order or spacing)'
}

/** Returns the process exit code. */
export function main(argv: string[], out: (s: string) => void = (s) => void process.stdout.write(s), err: (s: string) => void = (s) => void process.stderr.write(s)): number {
  const usage = 'usage: npm run docs:config [-- --check FILE | --write FILE]\n'
  if (argv.includes('--help') || argv.includes('-h')) {
    out(usage)
    return 0
  }
  const table = renderConfigTable()
  if (argv.length === 0) {
    out(`${table}\n`)
    return 0
  }
  const [mode, file, ...rest] = argv
  if ((mode !== '--check' && mode !== '--write') || file === undefined || file.startsWith('-') || rest.length > 0) {
    err(usage)
    return 2
  }
  const abs = path.resolve(file)
  let text: string
  try {
    text = fs.readFileSync(abs, 'utf8')
  } catch (e) {
    err(`docs:config: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Create it with the lines\n  ${TABLE_START}\n  ${TABLE_END}\nwhere the configuration table belongs, then run \`${writeHint(file)}\`.\n`)
    return 1
  }
  try {
    if (mode === '--write') {
      const next = replaceConfigTable(text, table, file)
      if (next !== text) fs.writeFileSync(abs, next)
      out(`docs:config: ${next === text ? 'already up to date' : 'updated'}: the configuration table in ${file}\n`)
      return 0
    }
    const current = extractConfigTable(text, file)
    if (current === table) {
      out(`docs:config: the configuration table in ${file} matches lib/config.ts\n`)
      return 0
    }
    err(
      `docs:config: the configuration table in ${file} differs from the settings in lib/config.ts (SETTINGS).\n` +
        `${tableDiff(current, table)}\nRun \`${writeHint(file)}\` and commit the result.\n`,
    )
    return 1
  } catch (e) {
    if (e instanceof ConfigDocsError) {
      err(`docs:config: ${e.message}\n`)
      return 1
    }
    throw e
  }
}

/** Whether this module is the script node (or tsx) was started with, rather than imported by a test. */
function isMain(): boolean {
  const script = process.argv[1]
  if (!script) return false
  try {
    return fs.realpathSync(script) === fs.realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isMain()) process.exitCode = main(process.argv.slice(2))
