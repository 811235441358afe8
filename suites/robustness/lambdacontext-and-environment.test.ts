import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'

export const behaviour = defineBehaviour({
  id: 'ROBUST-CONTEXT-001',
  title: 'lambdacontext carries the request id, function ARN and client context; the environment has Lambda\'s variables',
  level: 'MUST',
  suite: 'robustness',
  source: 'lambda-behavior.md §1.1 "Environment seen by a provided.al2023 bootstrap" (recorded from AWS 2026-01), §1.2; go-shims.md §1.6',
  requires: ['lambdacontext'],
})

/** Variables Lambda sets for a provided.al2023 bootstrap (LB §1.1); values checked where they are fixed. */
const DOCUMENTED_ENV = [
  'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_LAMBDA_RUNTIME_API', 'AWS_REGION', 'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'TZ', 'LANG', '_HANDLER',
]

interface ContextReport {
  lambdaContext: { awsRequestId: string; invokedFunctionArn: string; clientContext: { client: Record<string, string>; custom: Record<string, string> } } | null
  traceIdFromContext: string
  globals: { functionName: string; functionVersion: string; memoryLimitInMB: number; logGroupName: string; logStreamName: string }
  env: Record<string, string>
}

conformance(behaviour, async (t) => {
  const fn = await t.deploy({ probe: 'context', memorySize: 256 })
  const clientContext = { client: { installation_id: 'inst-1', app_title: 'conformance', app_version_code: '7', app_package_name: 'kit' }, custom: { marker: 'client-context-marker' }, env: { locale: 'en' } }
  const r = await fn.invoke({}, { tail: false, clientContext: Buffer.from(JSON.stringify(clientContext)).toString('base64') })
  const c = r.json as ContextReport
  const missing = DOCUMENTED_ENV.filter((k) => c.env[k] === undefined)
  t.expect({ awsRequestId: r.requestId, invokedFunctionArn: fn.arn, customMarker: 'client-context-marker', traceId: 'Root=1-…', functionName: fn.name, memoryLimitInMB: 256, missingEnv: [], fixedEnv: { AWS_LAMBDA_FUNCTION_VERSION: '$LATEST', TZ: ':UTC', LANG: 'en_US.UTF-8', AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}` } })
  t.observe({
    awsRequestId: c.lambdaContext?.awsRequestId, invokedFunctionArn: c.lambdaContext?.invokedFunctionArn, customMarker: c.lambdaContext?.clientContext?.custom?.marker,
    traceId: c.traceIdFromContext, functionName: c.globals.functionName, memoryLimitInMB: c.globals.memoryLimitInMB, missingEnv: missing,
    fixedEnv: { AWS_LAMBDA_FUNCTION_VERSION: c.env.AWS_LAMBDA_FUNCTION_VERSION, TZ: c.env.TZ, LANG: c.env.LANG, AWS_LAMBDA_LOG_GROUP_NAME: c.env.AWS_LAMBDA_LOG_GROUP_NAME },
  })
  expect(c.lambdaContext?.awsRequestId).toBe(r.requestId)
  expect(c.lambdaContext?.invokedFunctionArn).toBe(fn.arn)
  expect(c.lambdaContext?.clientContext?.custom?.marker).toBe('client-context-marker')
  expect(c.traceIdFromContext).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}/)
  expect(c.globals.functionName).toBe(fn.name)
  expect(c.globals.memoryLimitInMB).toBe(256)
  expect(missing).toEqual([])
  expect(c.env.AWS_LAMBDA_FUNCTION_VERSION).toBe('$LATEST')
  expect(c.env.TZ).toBe(':UTC')
  expect(c.env.LANG).toBe('en_US.UTF-8')
  expect(c.env.AWS_LAMBDA_LOG_GROUP_NAME).toBe(`/aws/lambda/${fn.name}`)
  expect(c.env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/)
  expect(c.env.AWS_EXECUTION_ENV).toBeUndefined()
})
