/**
 * The closed vocabulary of shim capabilities. A behaviour that needs a capability a shim does not declare is
 * reported `unsupported`, never `fail` (csi-test's rule): declaring a capability is a shim's promise to conform.
 */
export const CAPABILITIES = {
  'context-deadline': 'The Go context carries the invocation deadline (ctx.Deadline() equals Lambda-Runtime-Deadline-Ms).',
  lambdacontext: 'lambdacontext.FromContext returns the request id, function ARN and client context of the invoke.',
  'go-stack-trace': 'A handler panic reaches the caller as an error with Go stack frames.',
  'process-exit': 'A Go process exit or crash is reported as a runtime exit, and the next invoke re-initialises.',
  'log-capture': 'stdout and stderr of the Go code reach the function log, in write order.',
  'error-type': 'A returned Go error reaches the caller with aws-lambda-go errorType naming.',
  'byte-exact-payload': 'Request and response payloads pass through unchanged, byte for byte.',
  'init-logs': 'Output written during init (before lambda.Start) reaches the function log.',
} as const

export type Capability = keyof typeof CAPABILITIES

export function isCapability(s: string): s is Capability {
  return Object.hasOwn(CAPABILITIES, s)
}
