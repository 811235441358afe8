/**
 * What "the echo returned the event unchanged" means for a shim: byte for byte when it declares
 * `byte-exact-payload`, otherwise the same JSON value (a shim that decodes and re-encodes may respell it).
 */
import { apiErrors } from '../lambda/protocol.js'
import type { ShimInfo } from '../targets/target.js'
import { byteDifference, jsonDifference } from './json.js'

export type EchoComparison = 'byte-exact' | 'semantic'

export const COMPARISON_MEANING: Record<EchoComparison, string> = {
  'byte-exact': 'byte for byte (the shim declares byte-exact-payload)',
  semantic:
    'as the same JSON value: numbers as IEEE 754 doubles (RFC 8259 §6; -0 equals 0), strings by code units, object keys in any order (the shim does not declare byte-exact-payload)',
}

export function echoComparison(shim: Pick<ShimInfo, 'capabilities'>): EchoComparison {
  return shim.capabilities.includes('byte-exact-payload') ? 'byte-exact' : 'semantic'
}

/** Where the echo departs from what was sent, or null when it is the same (under `mode`). */
export function echoDifference(sent: Buffer, got: Buffer, mode: EchoComparison): string | null {
  if (mode === 'byte-exact') return byteDifference(sent, got)
  const expected: unknown = JSON.parse(sent.toString('utf8'))
  let actual: unknown
  try {
    actual = JSON.parse(got.toString('utf8'))
  } catch (e) {
    return `the response is not JSON (${(e as Error).message}): ${JSON.stringify(got.subarray(0, 120).toString('utf8'))}`
  }
  return jsonDifference(expected, actual)
}

/** The start of every InvalidRequestContentException message for a body that is not JSON (LB §2.4). */
export const INVALID_JSON_PREFIX = String(apiErrors.invalidJson('').body.message)
