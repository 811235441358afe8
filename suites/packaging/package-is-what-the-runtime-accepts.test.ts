import fs from 'node:fs'
import path from 'node:path'
import { expect } from 'vitest'
import { conformance, defineBehaviour } from '../../lib/conformance/behaviour.js'
import { listZip, readZipEntry } from '../../lib/embedded/zip.js'
import { CODE_REQUEST_LIMIT, UNZIPPED_CODE_LIMIT } from '../../lib/lambda/protocol.js'

export const behaviour = defineBehaviour({
  id: 'PKG-ZIP-001',
  title: 'the shim\'s package is a zip its Lambda runtime accepts: handler file present, readable, executable where needed',
  level: 'MUST',
  suite: 'packaging',
  source: 'go-shims.md §1.8 (bootstrap at the root, exec bit, static linux binary); AWS "Deploying Lambda functions as .zip file archives" (files world-readable, 50 MB zipped / 250 MB unzipped); lambda-behavior.md §3.1 Runtime.InvalidEntrypoint',
})

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46])
/** ELF e_machine values by Lambda architecture. */
const MACHINE: Record<string, number> = { x86_64: 0x3e, arm64: 0xb7 }

/** The file a runtime loads for `handler`: provided.* runs bootstrap; Node and Python resolve the module. */
function entrypointCandidates(runtime: string, handler: string): string[] {
  if (runtime.startsWith('provided')) return ['bootstrap']
  const module = handler.slice(0, handler.lastIndexOf('.'))
  if (runtime.startsWith('nodejs')) return ['.js', '.mjs', '.cjs'].map((ext) => module + ext)
  if (runtime.startsWith('python')) return [`${module.replace(/\./g, '/')}.py`, `${module.replace(/\./g, '/')}/__init__.py`]
  return []
}

conformance(behaviour, async (t) => {
  const zip = fs.readFileSync(t.shim.zipPath)
  const entries = await listZip(zip)
  const files = entries.filter((e) => !e.isDirectory)
  const candidates = entrypointCandidates(t.shim.runtime, t.shim.handler)
  const entry = files.find((e) => candidates.includes(e.name))
  const unsafe = entries.filter((e) => path.isAbsolute(e.name) || e.name.split('/').includes('..')).map((e) => e.name)
  const unreadable = files.filter((e) => e.mode !== 0 && (e.mode & 0o444) !== 0o444).map((e) => `${e.name} ${(e.mode & 0o777).toString(8)}`)
  const unzipped = files.reduce((n, e) => n + e.size, 0)
  const base64Size = Math.ceil(zip.length / 3) * 4
  let binary: Record<string, unknown> = {}
  const exe = entry && t.shim.runtime.startsWith('provided') ? entry : undefined
  if (exe) {
    const data = (await readZipEntry(zip, exe.name))!
    binary = { elf: data.subarray(0, 4).equals(ELF_MAGIC), machine: data.readUInt16LE(18), executable: (exe.mode & 0o111) === 0o111 }
  }
  const expectedMachine = MACHINE[t.shim.architectures[0] ?? 'x86_64'] ?? MACHINE.x86_64
  t.expect({ entrypoint: `one of ${candidates.join(', ')}`, unsafePaths: [], unreadableFiles: [], ...(exe ? { elf: true, machine: expectedMachine, executable: true } : {}), zipBase64Bytes: `≤ ${CODE_REQUEST_LIMIT}`, unzippedBytes: `≤ ${UNZIPPED_CODE_LIMIT}` })
  t.observe({ entrypoint: entry?.name ?? null, unsafePaths: unsafe, unreadableFiles: unreadable, ...binary, zipBytes: zip.length, zipBase64Bytes: base64Size, unzippedBytes: unzipped, files: files.map((e) => `${e.name} ${(e.mode & 0o777).toString(8)} ${e.size}`) })
  expect(entry, `the package needs ${candidates.join(' or ')} at its root`).toBeDefined()
  expect(unsafe).toEqual([])
  expect(unreadable).toEqual([])
  if (exe) {
    expect(binary.elf).toBe(true)
    expect(binary.machine).toBe(expectedMachine)
    expect(binary.executable).toBe(true)
  }
  expect(base64Size).toBeLessThanOrEqual(CODE_REQUEST_LIMIT)
  expect(unzipped).toBeLessThanOrEqual(UNZIPPED_CODE_LIMIT)
})
