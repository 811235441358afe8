/** Deployment packages: safe extraction (AWS's limits and path rules) and deterministic packing. */
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import yauzl from 'yauzl'
import yazl from 'yazl'
import { UNZIPPED_CODE_LIMIT } from '../lambda/protocol.js'

export class ZipError extends Error {
  override name = 'ZipError'
}

const S_IFMT = 0o170000
const S_IFLNK = 0o120000
const S_IFDIR = 0o040000

/**
 * Extracts `zip` into `dest` (created), rejecting entries that would land outside it. Returns total bytes.
 *
 * The unzipped size is bounded twice: the sizes the central directory declares are summed before anything is
 * written (a bomb that admits its size costs nothing), and the bytes that really inflate are counted while they
 * are written (headers are never trusted alone). Entries are streamed to disk, so memory stays at a chunk, and each
 * one's CRC-32 is checked. Before, every entry was inflated into memory whole (a 250 MB entry took 250 MB), the
 * limit was checked against the declared sizes only, a CRC mismatch was accepted, and file-system errors that a
 * package can provoke (a name too long, a file where a directory is needed, a NUL in a name) were 500s.
 */
export async function extractZip(zip: Buffer, dest: string, limit = UNZIPPED_CODE_LIMIT): Promise<number> {
  let declared = 0
  for (const e of await listZip(zip).catch((err: Error) => {
    throw err instanceof ZipError ? err : new ZipError(err.message)
  })) {
    declared += e.size
    if (declared > limit) throw new ZipError(`unzipped size exceeds ${limit} bytes (declared by the central directory)`)
  }
  const zf = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true }, (err, z) => (err || !z ? reject(new ZipError(err?.message ?? 'not a zip')) : resolve(z))),
  )
  fs.mkdirSync(dest, { recursive: true })
  const root = fs.realpathSync.native(dest)
  const inside = (p: string): boolean => p === root || p.startsWith(root + path.sep)
  /**
   * Lexical checks are not enough once the archive has created symlinks: a chain of links that each look
   * harmless can lead outside. So every write goes through a parent whose real path is checked on disk, with
   * the kernel's realpath (Node's JS realpathSync folds "link/.." lexically and misses such chains).
   */
  const realParentInside = (target: string): boolean => {
    let dir = path.dirname(target)
    while (!fs.existsSync(dir)) dir = path.dirname(dir)
    return inside(fs.realpathSync.native(dir))
  }
  const links: string[] = []
  let total = 0
  /** Counts inflated bytes against the limit as they arrive. */
  const count = (n: number): void => {
    total += n
    if (total > limit) throw new ZipError(`unzipped size exceeds ${limit} bytes`)
  }
  try {
    await new Promise<void>((resolve, reject) => {
      zf.on('error', (e: Error) => reject(new ZipError(e.message)))
      zf.on('end', () => resolve())
      zf.on('entry', (entry: yauzl.Entry) => {
        void (async () => {
          const name = entry.fileName
          if (name.includes('\0')) throw new ZipError(`entry name ${JSON.stringify(name)} contains a NUL byte`)
          const target = path.resolve(root, name)
          if (path.isAbsolute(name) || name.split(/[\\/]/).includes('..') || !inside(target) || !realParentInside(target)) {
            throw new ZipError(`entry "${name}" would be written outside the package`)
          }
          const mode = (entry.externalFileAttributes >>> 16) & 0xffff
          if (name.endsWith('/') || (mode & S_IFMT) === S_IFDIR) {
            fs.mkdirSync(target, { recursive: true })
            zf.readEntry()
            return
          }
          fs.mkdirSync(path.dirname(target), { recursive: true })
          if ((mode & S_IFMT) === S_IFLNK) {
            // A link target is a path: PATH_MAX bounds it, whatever the entry claims.
            const data = await readEntry(zf, entry, LINK_TARGET_MAX)
            count(data.length)
            if (zlib.crc32(data) !== entry.crc32) throw new ZipError(`CRC-32 mismatch in "${name}"`)
            const linkTarget = data.toString('utf8')
            const resolved = path.resolve(path.dirname(target), linkTarget)
            if (linkTarget.includes('\0') || path.isAbsolute(linkTarget) || (resolved !== root && !resolved.startsWith(root + path.sep))) {
              throw new ZipError(`symlink "${name}" points outside the package`)
            }
            fs.symlinkSync(linkTarget, target)
            links.push(target)
          } else {
            // Keep the permission bits the zip records (bootstrap must stay executable); default 0644.
            await writeEntry(zf, entry, target, mode & 0o777 || 0o644, count)
          }
          zf.readEntry()
        })().catch((e: unknown) => reject(asZipError(e)))
      })
      zf.readEntry()
    })
    // Links that resolve (through other links) to a place outside the package are refused too.
    for (const link of links) {
      let real: string
      try {
        real = fs.realpathSync.native(link)
      } catch {
        continue // dangling inside the package: harmless
      }
      if (!inside(real)) throw new ZipError(`symlink "${path.relative(root, link)}" resolves outside the package`)
    }
  } finally {
    zf.close()
  }
  return total
}

/** PATH_MAX on Linux: no symlink target is longer. */
const LINK_TARGET_MAX = 4096

/** What a package can make the file system refuse (ENAMETOOLONG, ENOTDIR, EISDIR, EEXIST, ELOOP, …) is the package's fault. */
function asZipError(e: unknown): Error {
  if (e instanceof ZipError) return e
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  if (typeof code === 'string' && (/^E[A-Z]+$/.test(code) || code === 'ERR_INVALID_ARG_VALUE')) return new ZipError((e as Error).message)
  return e as Error
}

/** Streams one entry into `target`, counting inflated bytes (`count` throws past the limit) and checking its CRC-32. */
function writeEntry(zf: yauzl.ZipFile, entry: yauzl.Entry, target: string, mode: number, count: (n: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    zf.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(new ZipError(err?.message ?? 'unreadable entry'))
      const out = fs.createWriteStream(target, { mode })
      let crc = 0
      let failed = false
      const fail = (e: unknown): void => {
        if (failed) return
        failed = true
        stream.destroy()
        out.destroy()
        reject(asZipError(e))
      }
      stream.on('data', (c: Buffer) => {
        try {
          count(c.length)
        } catch (e) {
          return fail(e)
        }
        crc = zlib.crc32(c, crc)
        if (!out.write(c)) {
          stream.pause()
          out.once('drain', () => stream.resume())
        }
      })
      stream.on('error', (e) => fail(new ZipError(e.message)))
      stream.on('end', () => {
        if (crc !== entry.crc32) return fail(new ZipError(`CRC-32 mismatch in "${entry.fileName}"`))
        out.end()
      })
      out.on('error', fail)
      // 'close', not 'finish': the file descriptor is released before the next entry opens one.
      out.on('close', () => {
        if (!failed) resolve()
      })
    })
  })
}

function readEntry(zf: yauzl.ZipFile, entry: yauzl.Entry, max = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zf.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(new ZipError(err?.message ?? 'unreadable entry'))
      const chunks: Buffer[] = []
      let size = 0
      stream.on('data', (c: Buffer) => {
        size += c.length
        if (size > max) {
          stream.destroy()
          reject(new ZipError(`entry "${entry.fileName}" is larger than ${max} bytes`))
          return
        }
        chunks.push(c)
      })
      stream.on('error', (e) => reject(new ZipError(e.message)))
      stream.on('end', () => resolve(Buffer.concat(chunks)))
    })
  })
}

/** Files of `dir` as a zip with fixed timestamps and sorted names, so equal content gives equal bytes. */
export async function zipDirectory(dir: string): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  const fixed = new Date('2020-01-01T00:00:00Z')
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name
      const st = fs.lstatSync(path.join(dir, r))
      if (st.isDirectory()) walk(r)
      else if (st.isFile()) zip.addBuffer(fs.readFileSync(path.join(dir, r)), r, { mtime: fixed, mode: st.mode & 0o777 ? (st.mode & 0o777) | 0o100000 : 0o100644 })
    }
  }
  walk('')
  zip.end()
  const chunks: Buffer[] = []
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c)
  return Buffer.concat(chunks)
}

/** A zip from in-memory files (tests and fixtures). Mode defaults to 0755 for files named bootstrap, else 0644. */
export async function zipFiles(files: Record<string, string | Buffer | { data: string | Buffer; mode?: number; symlink?: boolean }>): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  const fixed = new Date('2020-01-01T00:00:00Z')
  for (const [name, spec] of Object.entries(files)) {
    const s = typeof spec === 'string' || Buffer.isBuffer(spec) ? { data: spec } : spec
    const data = Buffer.isBuffer(s.data) ? s.data : Buffer.from(s.data)
    const perm = s.mode ?? (path.basename(name) === 'bootstrap' ? 0o755 : 0o644)
    zip.addBuffer(data, name, { mtime: fixed, mode: (s.symlink ? S_IFLNK : 0o100000) | perm })
  }
  zip.end()
  const chunks: Buffer[] = []
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c)
  return Buffer.concat(chunks)
}

export interface ZipEntryInfo {
  name: string
  /** Unix mode from the external attributes (0 when the zip records none). */
  mode: number
  size: number
  isDirectory: boolean
  isSymlink: boolean
}

/** Lists a zip's entries without extracting them (for package inspection). */
export async function listZip(zip: Buffer): Promise<ZipEntryInfo[]> {
  const zf = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, z) => (err || !z ? reject(new ZipError(err?.message ?? 'not a zip')) : resolve(z))),
  )
  const out: ZipEntryInfo[] = []
  await new Promise<void>((resolve, reject) => {
    zf.on('error', reject)
    zf.on('end', () => resolve())
    zf.on('entry', (e: yauzl.Entry) => {
      const mode = (e.externalFileAttributes >>> 16) & 0xffff
      out.push({ name: e.fileName, mode, size: e.uncompressedSize, isDirectory: e.fileName.endsWith('/') || (mode & S_IFMT) === S_IFDIR, isSymlink: (mode & S_IFMT) === S_IFLNK })
      zf.readEntry()
    })
    zf.readEntry()
  })
  zf.close()
  return out
}

/** Reads one file's bytes from a zip (null when absent). */
export async function readZipEntry(zip: Buffer, name: string): Promise<Buffer | null> {
  const zf = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, z) => (err || !z ? reject(new ZipError(err?.message ?? 'not a zip')) : resolve(z))),
  )
  try {
    return await new Promise<Buffer | null>((resolve, reject) => {
      zf.on('error', reject)
      zf.on('end', () => resolve(null))
      zf.on('entry', (e: yauzl.Entry) => {
        if (e.fileName === name) readEntry(zf, e).then(resolve, reject)
        else zf.readEntry()
      })
      zf.readEntry()
    })
  } finally {
    zf.close()
  }
}
