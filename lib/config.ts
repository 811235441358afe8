/**
 * The kit's one typed configuration, read from environment variables with the prefix `CONFORMANCE_`.
 * Every setting is declared once in SETTINGS (name, type, default, description); the README table is
 * generated from it (`npm run docs:config`) and a test keeps the two in step.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ENV_PREFIX = 'CONFORMANCE_'
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export const TARGETS = ['embedded', 'localstack', 'aws'] as const
export type TargetName = (typeof TARGETS)[number]

interface SettingBase {
  /** Variable name without the prefix. */
  env: string
  description: string
  secret?: boolean
}
type Setting =
  | (SettingBase & { type: 'enum'; values: readonly string[]; default: string })
  | (SettingBase & { type: 'string'; default: string })
  | (SettingBase & { type: 'list'; default: string[] })
  | (SettingBase & { type: 'boolean'; default: boolean })
  | (SettingBase & { type: 'integer'; default: number; min: number; max: number })

export const SETTINGS = {
  target: {
    env: 'TARGET', type: 'enum', values: TARGETS, default: 'embedded',
    description: 'Where functions run: `embedded` (the kit\'s own local Lambda service), `localstack` or `aws`.',
  },
  endpoint: {
    env: 'ENDPOINT', type: 'string', default: '',
    description: 'Use an already running Lambda API at this URL (for example one started by `npm run serve`) instead of starting the target.',
  },
  region: { env: 'REGION', type: 'string', default: 'us-east-1', description: 'AWS region name used by the target and the SDK clients. On the `aws` target, when this is unset, `AWS_REGION` (or `AWS_DEFAULT_REGION`) is used.' },
  localstackImage: {
    env: 'LOCALSTACK_IMAGE', type: 'string', default: 'localstack/localstack:4.14.0',
    description: '`localstack` target: the image testcontainers starts (4.14.0 is the last that needs no `LOCALSTACK_AUTH_TOKEN`; for later ones set that variable, which is passed to the container and never printed).',
  },
  awsRoleArn: {
    env: 'AWS_ROLE_ARN', type: 'string', default: '',
    description: '`aws` target: execution role for the functions. Empty means the run creates a least-privilege role with its name prefix and deletes it afterwards.',
  },
  awsEndpoint: {
    env: 'AWS_ENDPOINT', type: 'string', default: '',
    description: '`aws` target: send every AWS call to this URL instead of AWS (for testing the kit\'s AWS code path against a local endpoint such as `npm run serve`).',
  },
  shims: {
    env: 'SHIMS', type: 'list', default: [],
    description: 'Comma-separated shims to test: names of folders in `shims/`, or paths to shim folders elsewhere. Empty means every folder in `shims/`.',
  },
  outputDir: { env: 'OUTPUT_DIR', type: 'string', default: 'output', description: 'Where `results.json`, `junit.xml` and `report.html` are written (relative to the repository root).' },
  cacheDir: { env: 'CACHE_DIR', type: 'string', default: '.cache', description: 'Where built shim artifacts are cached by content hash (relative to the repository root).' },
  workDir: { env: 'WORK_DIR', type: 'string', default: '', description: 'Where the embedded target keeps function code and sandboxes. Empty means a fresh directory under /var/tmp (or the system temp dir), removed on exit.' },
  strict: { env: 'STRICT', type: 'boolean', default: false, description: 'Count an unexpected pass (a test listed as expected to fail that passed) as a failure.' },
  maxSandboxes: {
    env: 'MAX_SANDBOXES', type: 'integer', default: 16, min: 1, max: 1000,
    description: 'Embedded target: concurrent execution environments per function before Invoke is throttled (429).',
  },
  asyncRetryDelaysMs: {
    env: 'ASYNC_RETRY_DELAYS_MS', type: 'list', default: ['60000', '120000'],
    description: 'Embedded target: delays before the 2nd and 3rd attempt of a failed asynchronous invocation (AWS: about 1 and 2 minutes).',
  },
  profile: {
    env: 'PROFILE', type: 'enum', values: ['default', 'full'], default: 'default',
    description: 'Sample sizes: `default` keeps `npm test` to a few minutes; `full` runs the 2017 study\'s sizes (10,000 warm invocations per shim, 100 forced cold starts, more property cases).',
  },
  baseline: {
    env: 'BASELINE', type: 'string', default: '',
    description: 'Path of a `results.json` from an earlier run (see `npm run baseline:save`): every latency series is compared with it and a significant regression beyond the noise threshold fails the run.',
  },
  replay: {
    env: 'REPLAY', type: 'string', default: '',
    description: 'Replay a property-based check (`suites/event-bombs/`): `<behaviour>:<seed>:<path>` runs exactly the shrunk failing case a failed property printed, once; `<behaviour>:<seed>` reruns the whole property with that seed. Properties of other behaviours run as usual. A failing property prints the full command.',
  },
  chromium: {
    env: 'CHROMIUM', type: 'string', default: '/usr/bin/chromium',
    description: 'The Chromium executable the report check drives through playwright-core (Debian\'s `apt-get install chromium` puts it here; the kit never downloads a browser).',
  },
  logLevel: { env: 'LOG_LEVEL', type: 'enum', values: ['error', 'warn', 'info', 'debug'], default: 'warn', description: 'Verbosity of the kit\'s own diagnostics on stderr.' },
} as const satisfies Record<string, Setting>

type SettingValue<S> = S extends { type: 'enum'; values: readonly (infer V)[] } ? V
  : S extends { type: 'list' } ? string[]
  : S extends { type: 'boolean' } ? boolean
  : S extends { type: 'integer' } ? number
  : string
export type Config = { -readonly [K in keyof typeof SETTINGS]: SettingValue<(typeof SETTINGS)[K]> }

export class ConfigError extends Error {
  override name = 'ConfigError'
}

function parseSetting(key: string, s: Setting, raw: string | undefined): unknown {
  const name = ENV_PREFIX + s.env
  if (raw === undefined || raw === '') return s.default
  switch (s.type) {
    case 'enum':
      if (!s.values.includes(raw)) throw new ConfigError(`${name}=${raw} is not valid; use one of: ${s.values.join(', ')}`)
      return raw
    case 'string':
      return raw
    case 'list':
      return raw.split(',').map((v) => v.trim()).filter((v) => v !== '')
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return true
      if (/^(0|false|no|off)$/i.test(raw)) return false
      throw new ConfigError(`${name}=${raw} is not a boolean; use 1 or 0`)
    case 'integer': {
      const n = Number(raw)
      if (!Number.isInteger(n) || n < s.min || n > s.max) throw new ConfigError(`${name}=${raw} must be an integer from ${s.min} to ${s.max}`)
      return n
    }
  }
  throw new ConfigError(`unknown setting ${key}`)
}

/** Reads the configuration from `env`; unknown `CONFORMANCE_*` variables are an error, so typos are caught. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = new Set(Object.values(SETTINGS).map((s) => ENV_PREFIX + s.env))
  const unknown = Object.keys(env).filter((k) => k.startsWith(ENV_PREFIX) && !known.has(k) && !INTERNAL_ENV.has(k))
  if (unknown.length > 0) {
    throw new ConfigError(`unknown setting ${unknown.join(', ')}; the settings are listed in README.md ("Configuration")`)
  }
  const out: Record<string, unknown> = {}
  for (const [key, s] of Object.entries(SETTINGS) as [string, Setting][]) out[key] = parseSetting(key, s, env[ENV_PREFIX + s.env])
  const cfg = out as Config
  for (const d of cfg.asyncRetryDelaysMs) {
    if (!/^\d+$/.test(d)) throw new ConfigError(`${ENV_PREFIX}ASYNC_RETRY_DELAYS_MS must be comma-separated milliseconds, got "${d}"`)
  }
  if (cfg.replay !== '' && !REPLAY_PATTERN.test(cfg.replay)) {
    throw new ConfigError(`${ENV_PREFIX}REPLAY=${cfg.replay} is not valid; use <behaviour>:<seed>[:<path>] as a failing property prints it, for example EVENT-ECHO-001:-1234567:12:0:3`)
  }
  if (cfg.target === 'aws' && cfg.endpoint !== '') {
    throw new ConfigError(`${ENV_PREFIX}ENDPOINT cannot be used with ${ENV_PREFIX}TARGET=aws; to send the aws target's calls to a local endpoint, set ${ENV_PREFIX}AWS_ENDPOINT`)
  }
  if (cfg.awsRoleArn !== '' && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(cfg.awsRoleArn)) {
    throw new ConfigError(`${ENV_PREFIX}AWS_ROLE_ARN=${cfg.awsRoleArn} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`)
  }
  return cfg
}

/**
 * `CONFORMANCE_REPLAY`: a behaviour id (1), a 32-bit seed (2) and optionally a fast-check path (3, with its leading
 * colon); lib/properties/run.ts parseReplay splits it with these groups.
 */
export const REPLAY_PATTERN = /^([A-Z]+(?:-[A-Z0-9]+)+-\d{3}):(-?\d{1,10})((?::\d+)*)$/

/** Variables the kit sets for its own processes (not user settings). */
const INTERNAL_ENV = new Set<string>([])

export function resolveFromRoot(p: string): string {
  return path.isAbsolute(p) ? p : path.join(REPO_ROOT, p)
}

const SECRET_KEY = /secret|token|password|passwd|credential|authorization|private.?key|access.?key/i
/** Host variables whose values must never appear in any output, whatever key they end up under. */
const SECRET_ENV = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_ACCESS_KEY_ID', 'LOCALSTACK_AUTH_TOKEN']
export const REDACTED = '<redacted>'

/** Secret values present in the host environment, longest first (for scrubbing free text). */
export function hostSecretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  return SECRET_ENV.map((k) => env[k]).filter((v): v is string => typeof v === 'string' && v.length >= 4).sort((a, b) => b.length - a.length)
}

/** Replaces every host secret value inside `text`. */
export function scrubSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = text
  for (const v of hostSecretValues(env)) out = out.split(v).join(REDACTED)
  return out
}

/** A deep copy of `value` with secret-looking keys and host secret values redacted. */
export function redact<T>(value: T, env: NodeJS.ProcessEnv = process.env): T {
  const walk = (v: unknown, key: string): unknown => {
    if (SECRET_KEY.test(key) && v !== '' && v !== null && v !== undefined) return REDACTED
    if (typeof v === 'string') return scrubSecrets(v, env)
    if (Array.isArray(v)) return v.map((x) => walk(x, ''))
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x, k)]))
    }
    return v
  }
  return walk(value, '') as T
}

/** The effective configuration as embedded in every output: env names as keys, secrets redacted. */
export function effectiveConfig(cfg: Config, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, s] of Object.entries(SETTINGS) as [keyof Config, Setting][]) {
    out[ENV_PREFIX + s.env] = s.secret ? REDACTED : cfg[key]
  }
  return redact(out, env)
}
