import { describe, expect, it } from 'vitest'
import { extractConfigTable, renderConfigTable, replaceConfigTable, TABLE_END, TABLE_START } from './cli/config-docs.js'
import {
  ConfigError,
  effectiveConfig,
  ENV_PREFIX,
  hostSecretValues,
  loadConfig,
  REDACTED,
  redact,
  resolveFromRoot,
  REPO_ROOT,
  scrubSecrets,
  SETTINGS,
} from './config.js'

/** loadConfig's error message for `env`, or a failure if it did not throw a ConfigError. */
function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return (e as Error).message
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`)
}

describe('loadConfig defaults', () => {
  it('gives every setting its declared default from an empty environment', () => {
    const cfg = loadConfig({})
    for (const [key, s] of Object.entries(SETTINGS)) expect(cfg[key as keyof typeof cfg], key).toEqual(s.default)
  })

  it('has the documented values', () => {
    expect(loadConfig({})).toEqual({
      target: 'embedded',
      endpoint: '',
      region: 'us-east-1',
      localstackImage: 'localstack/localstack:4.14.0',
      awsRoleArn: '',
      awsEndpoint: '',
      shims: [],
      outputDir: 'output',
      cacheDir: '.cache',
      workDir: '',
      strict: false,
      maxSandboxes: 16,
      asyncRetryDelaysMs: ['60000', '120000'],
      profile: 'default',
      baseline: '',
      replay: '',
      chromium: '/usr/bin/chromium',
      logLevel: 'warn',
    })
  })

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ CONFORMANCE_REGION: '', CONFORMANCE_MAX_SANDBOXES: '', CONFORMANCE_STRICT: '' })).toMatchObject({ region: 'us-east-1', maxSandboxes: 16, strict: false })
  })

  it('ignores variables without the prefix', () => {
    expect(loadConfig({ REGION: 'eu-west-1', AWS_REGION: 'eu-west-1', CONFORMANCEREGION: 'x' }).region).toBe('us-east-1')
  })
})

describe('loadConfig parsing per type', () => {
  it('enum: accepts each listed value', () => {
    for (const l of SETTINGS.logLevel.values) expect(loadConfig({ CONFORMANCE_LOG_LEVEL: l }).logLevel).toBe(l)
    for (const t of SETTINGS.target.values) expect(loadConfig({ CONFORMANCE_TARGET: t }).target).toBe(t)
  })

  it('enum: rejects other values, naming the variable and the allowed values', () => {
    const msg = configError({ CONFORMANCE_LOG_LEVEL: 'huge' })
    expect(msg).toContain('CONFORMANCE_LOG_LEVEL=huge')
    expect(msg).toContain('error, warn, info, debug')
  })

  it('enum: is case-sensitive', () => {
    expect(configError({ CONFORMANCE_LOG_LEVEL: 'DEBUG' })).toContain('CONFORMANCE_LOG_LEVEL')
  })

  it('string: is taken as is', () => {
    expect(loadConfig({ CONFORMANCE_REGION: 'eu-central-1' }).region).toBe('eu-central-1')
    expect(loadConfig({ CONFORMANCE_OUTPUT_DIR: 'out dir/x' }).outputDir).toBe('out dir/x')
  })

  it('list: splits on commas, trims and drops empty entries', () => {
    expect(loadConfig({ CONFORMANCE_SHIMS: 'native, other ,,./shims/x,' }).shims).toEqual(['native', 'other', './shims/x'])
    expect(loadConfig({ CONFORMANCE_SHIMS: ' , ' }).shims).toEqual([])
  })

  it('boolean: accepts 1/true/yes/on and 0/false/no/off in any case', () => {
    for (const v of ['1', 'true', 'TRUE', 'yes', 'On']) expect(loadConfig({ CONFORMANCE_STRICT: v }).strict, v).toBe(true)
    for (const v of ['0', 'false', 'False', 'no', 'OFF']) expect(loadConfig({ CONFORMANCE_STRICT: v }).strict, v).toBe(false)
  })

  it('boolean: rejects anything else, naming the variable', () => {
    const msg = configError({ CONFORMANCE_STRICT: 'maybe' })
    expect(msg).toContain('CONFORMANCE_STRICT=maybe')
    expect(msg).toMatch(/boolean/)
  })

  it('integer: parses values inside the range, bounds included', () => {
    expect(loadConfig({ CONFORMANCE_MAX_SANDBOXES: '1' }).maxSandboxes).toBe(1)
    expect(loadConfig({ CONFORMANCE_MAX_SANDBOXES: '1000' }).maxSandboxes).toBe(1000)
    expect(loadConfig({ CONFORMANCE_MAX_SANDBOXES: '4' }).maxSandboxes).toBe(4)
  })

  it.each(['0', '1001', '-3', '2.5', 'many', '1e9'])('integer: rejects %s, naming the variable and the range', (v) => {
    const msg = configError({ CONFORMANCE_MAX_SANDBOXES: v })
    expect(msg).toContain(`CONFORMANCE_MAX_SANDBOXES=${v}`)
    expect(msg).toContain('from 1 to 1000')
  })

  it('ASYNC_RETRY_DELAYS_MS: takes milliseconds and rejects anything else, naming the variable', () => {
    expect(loadConfig({ CONFORMANCE_ASYNC_RETRY_DELAYS_MS: '10, 20' }).asyncRetryDelaysMs).toEqual(['10', '20'])
    const msg = configError({ CONFORMANCE_ASYNC_RETRY_DELAYS_MS: '10,1m' })
    expect(msg).toContain('CONFORMANCE_ASYNC_RETRY_DELAYS_MS')
    expect(msg).toContain('"1m"')
  })

  it('TARGET localstack and aws load without an endpoint (the targets start themselves)', () => {
    expect(loadConfig({ CONFORMANCE_TARGET: 'aws' }).target).toBe('aws')
    expect(loadConfig({ CONFORMANCE_TARGET: 'localstack' })).toMatchObject({ target: 'localstack', endpoint: '' })
    expect(loadConfig({ CONFORMANCE_TARGET: 'localstack', CONFORMANCE_ENDPOINT: 'http://127.0.0.1:4566' })).toMatchObject({ target: 'localstack', endpoint: 'http://127.0.0.1:4566' })
  })

  it('TARGET=aws with ENDPOINT is rejected, pointing to AWS_ENDPOINT', () => {
    const msg = configError({ CONFORMANCE_TARGET: 'aws', CONFORMANCE_ENDPOINT: 'http://127.0.0.1:1' })
    expect(msg).toContain('CONFORMANCE_ENDPOINT')
    expect(msg).toContain('CONFORMANCE_AWS_ENDPOINT')
    expect(loadConfig({ CONFORMANCE_TARGET: 'aws', CONFORMANCE_AWS_ENDPOINT: 'http://127.0.0.1:1' }).awsEndpoint).toBe('http://127.0.0.1:1')
  })

  it('LOCALSTACK_IMAGE: defaults to the frozen community tag and can be overridden', () => {
    expect(loadConfig({}).localstackImage).toBe('localstack/localstack:4.14.0')
    expect(loadConfig({ CONFORMANCE_LOCALSTACK_IMAGE: 'localstack/localstack-pro:2026.3' }).localstackImage).toBe('localstack/localstack-pro:2026.3')
  })

  it('AWS_ROLE_ARN: takes an IAM role ARN and rejects anything else, naming the variable', () => {
    expect(loadConfig({ CONFORMANCE_AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/path/conformance' }).awsRoleArn).toBe('arn:aws:iam::123456789012:role/path/conformance')
    expect(loadConfig({ CONFORMANCE_AWS_ROLE_ARN: 'arn:aws-cn:iam::123456789012:role/x' }).awsRoleArn).toBe('arn:aws-cn:iam::123456789012:role/x')
    const msg = configError({ CONFORMANCE_AWS_ROLE_ARN: 'conformance-role' })
    expect(msg).toContain('CONFORMANCE_AWS_ROLE_ARN=conformance-role')
    expect(msg).toContain('arn:aws:iam::')
  })
})

describe('unknown CONFORMANCE_ variables', () => {
  it('are rejected, naming every unknown variable', () => {
    const msg = configError({ CONFORMANCE_REGOIN: 'eu-west-1', CONFORMANCE_TARGETS: 'aws', CONFORMANCE_REGION: 'eu-west-1' })
    expect(msg).toContain('CONFORMANCE_REGOIN')
    expect(msg).toContain('CONFORMANCE_TARGETS')
    expect(msg).not.toContain('CONFORMANCE_REGION,')
    expect(msg).toContain('README.md')
  })

  it('are rejected even when empty', () => {
    expect(configError({ CONFORMANCE_NOPE: '' })).toContain('CONFORMANCE_NOPE')
  })
})

describe('redaction', () => {
  const FAKE_SECRET = 'FAKE/secret+Key0123456789abcdefGHIJ'
  const FAKE_TOKEN = 'FAKEsessionTOKEN-0123456789'
  const env: NodeJS.ProcessEnv = { AWS_SECRET_ACCESS_KEY: FAKE_SECRET, AWS_SESSION_TOKEN: FAKE_TOKEN, AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE', HOME: '/root' }

  it('hides values under secret-looking keys', () => {
    const out = redact(
      { apiToken: 'abc', password: 'p', nested: { clientSecret: 's', Authorization: 'Bearer x', privateKey: 'k', accessKey: 'a', credentials: { a: 1 } }, name: 'kept', region: 'us-east-1' },
      {},
    )
    expect(out).toEqual({
      apiToken: REDACTED,
      password: REDACTED,
      nested: { clientSecret: REDACTED, Authorization: REDACTED, privateKey: REDACTED, accessKey: REDACTED, credentials: REDACTED },
      name: 'kept',
      region: 'us-east-1',
    })
  })

  it('keeps empty values under secret-looking keys (nothing to hide, and it shows the setting is unset)', () => {
    expect(redact({ token: '', secret: null }, {})).toEqual({ token: '', secret: null })
  })

  it('hides host secret values wherever they appear, whatever the key', () => {
    const out = redact({ note: `key=${FAKE_SECRET};t=${FAKE_TOKEN}`, list: [FAKE_SECRET, 'plain'], deep: { x: { y: `id ${'AKIAFAKEFAKEFAKE'}` } } }, env)
    const text = JSON.stringify(out)
    expect(text).not.toContain(FAKE_SECRET)
    expect(text).not.toContain(FAKE_TOKEN)
    expect(text).not.toContain('AKIAFAKEFAKEFAKE')
    expect(out.list).toEqual([REDACTED, 'plain'])
    expect(out.note).toBe(`key=${REDACTED};t=${REDACTED}`)
  })

  it('does not change the input', () => {
    const input = { secret: 'x', note: FAKE_SECRET }
    redact(input, env)
    expect(input).toEqual({ secret: 'x', note: FAKE_SECRET })
  })

  it('scrubSecrets and hostSecretValues read only the given environment', () => {
    expect(hostSecretValues(env)).toEqual(expect.arrayContaining([FAKE_SECRET, FAKE_TOKEN, 'AKIAFAKEFAKEFAKE']))
    expect(hostSecretValues({ HOME: '/root', AWS_SECRET_ACCESS_KEY: 'abc' })).toEqual([]) // too short to scrub safely
    expect(scrubSecrets(`a ${FAKE_SECRET} b`, env)).toBe(`a ${REDACTED} b`)
    expect(scrubSecrets(`a ${FAKE_SECRET} b`, {})).toBe(`a ${FAKE_SECRET} b`)
  })

  it('effectiveConfig hides a host secret that ended up in a setting', () => {
    const cfg = loadConfig({ CONFORMANCE_ENDPOINT: `http://127.0.0.1:1/?k=${FAKE_SECRET}` })
    const eff = effectiveConfig(cfg, env)
    expect(JSON.stringify(eff)).not.toContain(FAKE_SECRET)
    expect(eff.CONFORMANCE_ENDPOINT).toBe(`http://127.0.0.1:1/?k=${REDACTED}`)
  })

  it('effectiveConfig hides host AWS credentials and LOCALSTACK_AUTH_TOKEN in the new target settings', () => {
    const token = 'ls-FAKE-token-0123456789abcdef'
    const hostEnv = { ...env, LOCALSTACK_AUTH_TOKEN: token }
    const cfg = loadConfig({
      CONFORMANCE_TARGET: 'aws',
      CONFORMANCE_AWS_ENDPOINT: `http://AKIAFAKEFAKEFAKE:${FAKE_SECRET}@127.0.0.1:1/`,
      CONFORMANCE_LOCALSTACK_IMAGE: `localstack/localstack:${token}`,
      CONFORMANCE_AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/conformance',
    })
    const text = JSON.stringify(effectiveConfig(cfg, hostEnv))
    for (const secret of [FAKE_SECRET, 'AKIAFAKEFAKEFAKE', token]) expect(text).not.toContain(secret)
    expect(effectiveConfig(cfg, hostEnv).CONFORMANCE_AWS_ROLE_ARN).toBe('arn:aws:iam::123456789012:role/conformance')
  })
})

describe('effectiveConfig', () => {
  it('is keyed by the environment variable names, one per setting, with the parsed values', () => {
    const cfg = loadConfig({ CONFORMANCE_MAX_SANDBOXES: '3', CONFORMANCE_STRICT: '1' })
    const eff = effectiveConfig(cfg, {})
    expect(Object.keys(eff).sort()).toEqual(Object.values(SETTINGS).map((s) => ENV_PREFIX + s.env).sort())
    expect(eff).toMatchObject({ CONFORMANCE_MAX_SANDBOXES: 3, CONFORMANCE_STRICT: true, CONFORMANCE_REGION: 'us-east-1', CONFORMANCE_SHIMS: [] })
  })
})

describe('resolveFromRoot', () => {
  it('resolves relative paths against the repository root and keeps absolute ones', () => {
    expect(resolveFromRoot('output')).toBe(`${REPO_ROOT}/output`)
    expect(resolveFromRoot('/var/tmp/x')).toBe('/var/tmp/x')
  })
})

describe('renderConfigTable (npm run docs:config)', () => {
  const table = renderConfigTable()
  const rows = table.split('\n').slice(2)

  it('has a header and one row per setting, in SETTINGS order', () => {
    expect(table.split('\n').slice(0, 2)).toEqual(['| Variable | Default | Description |', '| --- | --- | --- |'])
    expect(rows).toHaveLength(Object.keys(SETTINGS).length)
    Object.values(SETTINGS).forEach((s, i) => expect(rows[i]).toMatch(new RegExp(`^\\| \`${ENV_PREFIX}${s.env}\` \\|`)))
  })

  it('lists every setting with its default and description', () => {
    for (const s of Object.values(SETTINGS)) {
      const row = rows.find((r) => r.startsWith(`| \`${ENV_PREFIX}${s.env}\` |`))
      expect(row, s.env).toBeDefined()
      expect(row).toContain(s.description)
      const d = s.default as unknown
      const shown = Array.isArray(d) ? (d.length === 0 ? '(empty)' : `\`${d.join(',')}\``) : d === '' ? '(empty)' : `\`${String(d)}\``
      expect(row).toContain(`| ${shown} |`)
    }
  })

  it('every row has exactly three cells (no unescaped pipes)', () => {
    for (const r of rows) expect(r.replace(/\\\|/g, '').split('|')).toHaveLength(5)
  })

  it('escapes pipes and names the allowed values of enums and integer ranges', () => {
    const t = renderConfigTable({ a: { env: 'A', type: 'enum', values: ['x', 'y'], default: 'x', description: 'a|b' }, n: { env: 'N', type: 'integer', default: 2, min: 1, max: 9, description: 'n' } })
    expect(t).toContain('| `CONFORMANCE_A` | `x` | a\\|b One of: `x`, `y`. |')
    expect(t).toContain('| `CONFORMANCE_N` | `2` | n An integer from 1 to 9. |')
  })

  it('replaces and extracts the table between the README markers', () => {
    const readme = `# Kit\n\n## Configuration\n\n${TABLE_START}\nold table\n${TABLE_END}\n\nMore text.\n`
    const next = replaceConfigTable(readme, table)
    expect(extractConfigTable(next)).toBe(table)
    expect(next.startsWith(`# Kit\n\n## Configuration\n\n${TABLE_START}\n| Variable`)).toBe(true)
    expect(next.endsWith(`|\n${TABLE_END}\n\nMore text.\n`)).toBe(true)
    expect(replaceConfigTable(next, table)).toBe(next)
  })

  it('names the missing markers and the command to run', () => {
    expect(() => extractConfigTable('# no markers\n')).toThrow(/config-table:start.*config-table:end[\s\S]*npm run docs:config -- --write README\.md/)
    expect(() => extractConfigTable(`${TABLE_START}\n`)).toThrow(/no <!-- config-table:end -->/)
    expect(() => replaceConfigTable(`${TABLE_END}\n${TABLE_START}\n`, table)).toThrow(/comes before/)
  })
})
