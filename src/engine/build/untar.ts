// The build context unpacked in process (plain or gzip tar, as the docker CLI sends it), each
// file's sha256 taken as it is written: a rebuild whose COPY steps all hit then never reads the
// context back, and no tar process is spawned. Members are kept inside the directory: no absolute
// paths, no `..`, nothing written through a symlink; ownership is not restored (root's), modes and
// modification times are, directories' last (GNU tar's --delay-directory-restore).
import { once, type EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fchmodSync, futimesSync, linkSync, lstatSync, mkdirSync, openSync, realpathSync, rmSync, symlinkSync, chmodSync, utimesSync, writeSync } from 'node:fs';
import { dirname, join, posix, sep } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { peekStream } from '../layers.js';

/** What the unpacking wrote of a regular file: enough to trust its checksum while it is unchanged. */
export interface KnownFile {
  size: number;
  mtimeMs: number;
  sha256: string;
}

const GZIP = [0x1f, 0x8b];

/** Whether the stream is one this unpacker reads (plain or gzip tar); else the caller uses GNU tar. */
export async function inProcessReadable(src: Readable): Promise<{ ok: boolean; stream: Readable }> {
  const { head, whole } = await peekStream(src, 262);
  if (head[0] === GZIP[0] && head[1] === GZIP[1]) return { ok: true, stream: whole.pipe(createGunzip()) };
  // ustar magic at 257, or an empty body (GNU tar fails on it the same way)
  const magic = head.subarray(257, 262).toString('latin1');
  return { ok: magic === 'ustar' || head.length < 512, stream: whole };
}

export class UntarError extends Error {}

/** A member's path inside the directory, or undefined for the root itself; refuses escapes. */
function memberPath(name: string): string | undefined {
  const clean = posix.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (clean === '.' || clean === '') return undefined;
  if (clean === '..' || clean.startsWith('../')) throw new UntarError(`${name}: Member name contains '..'`);
  return clean;
}

interface Member {
  h: tar.Header;
  /** the path inside the root; undefined for the root itself */
  rel: string | undefined;
  abs: string;
  mode: number;
  mtime: Date;
  stream: NodeJS.EventEmitter & { resume(): unknown };
  /** on to the next member (once this one's content has been read) */
  next: () => void;
  /** reads past the content unused and goes on */
  drain: () => void;
  fail: (e: unknown) => void;
}

/** Hands every member `extract` reads to `each` (a throw fails the whole read); resolves when all are read. */
function eachMember(extract: tar.Extract, root: string, each: (m: Member) => void): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (h, stream, next) => {
      // a failure is reported once, by the extractor; its entry stream is torn down with it
      stream.on('error', () => undefined);
      const fail = (e: unknown) => {
        stream.resume();
        extract.destroy(e instanceof Error ? e : new Error(String(e)));
      };
      try {
        const rel = memberPath(h.name);
        const drain = () => void stream.on('end', next).resume();
        each({ h, rel, abs: rel === undefined ? root : join(root, rel), mode: (h.mode ?? 0o644) & 0o7777, mtime: h.mtime ?? new Date(), stream, next, drain, fail });
      } catch (e) {
        fail(e);
      }
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  // a failure is awaited by the caller; until then it must not count as unhandled
  done.catch(() => undefined);
  return done;
}

/** Unpacks `src` (an uncompressed tar) into `dir`; resolves with the regular files it wrote, by absolute path. */
export async function unpackTar(src: Readable, dir: string): Promise<Map<string, KnownFile>> {
  const root = realpathSync(dir);
  const files = new Map<string, KnownFile>();
  const dirs: { path: string; mode: number; mtime: Date }[] = [];
  const made = new Set<string>([root]);

  /** Makes the parents of `abs`, and checks that none of them leads out through a symlink. */
  const parentOf = (abs: string, name: string) => {
    const parent = dirname(abs);
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      const real = realpathSync(parent);
      if (real !== root && !real.startsWith(root + sep)) throw new UntarError(`${name}: Cannot open: path leads outside the context through a symbolic link`);
      made.add(parent);
    }
  };
  /** A member replaces whatever an earlier one left at its path (a directory only by a directory). */
  const clear = (abs: string) => {
    try {
      if (!lstatSync(abs).isDirectory()) rmSync(abs, { force: true });
    } catch {
      // nothing there
    }
  };

  const extract = tar.extract();
  const done = eachMember(extract, root, (m) => {
    const { h, rel, abs, mode, mtime, stream } = m;
    if (h.type === 'directory') {
      if (rel !== undefined) {
        parentOf(abs, h.name);
        clear(abs);
        mkdirSync(abs, { recursive: true });
        made.add(abs);
      }
      dirs.push({ path: abs, mode, mtime });
      return m.drain();
    }
    if (rel === undefined) throw new UntarError(`${h.name}: Cannot open: Is a directory`);
    parentOf(abs, h.name);
    clear(abs);
    if (h.type === 'symlink') {
      symlinkSync(h.linkname ?? '', abs);
      return m.drain();
    }
    if (h.type === 'link') {
      const target = memberPath(h.linkname ?? '');
      if (target === undefined) throw new UntarError(`${h.name}: Cannot hard link to the context's root`);
      const targetAbs = join(root, target);
      linkSync(targetAbs, abs);
      const known = files.get(targetAbs);
      if (known) files.set(abs, known);
      return m.drain();
    }
    // devices, fifos: nothing a COPY of a build context can carry
    if (h.type !== 'file' && h.type !== 'contiguous-file') return m.drain();
    const fd = openSync(abs, 'w', 0o600);
    const hash = createHash('sha256');
    let size = 0;
    stream.on('data', (chunk: unknown) => {
      const b = chunk as Buffer;
      try {
        writeSync(fd, b);
        hash.update(b);
        size += b.length;
      } catch (e) {
        closeSync(fd);
        m.fail(e);
      }
    });
    stream.on('end', () => {
      try {
        fchmodSync(fd, mode);
        futimesSync(fd, mtime, mtime);
        closeSync(fd);
        files.set(abs, { size, mtimeMs: mtime.getTime(), sha256: hash.digest('hex') });
        m.next();
      } catch (e) {
        m.fail(e);
      }
    });
  });
  const failed = new Promise<never>((_, reject) => src.on('error', reject));
  failed.catch(() => undefined);
  src.pipe(extract);
  await Promise.race([done, failed]);
  // directories last, deepest first: their modes could forbid writing what they hold
  for (const d of dirs.reverse()) {
    chmodSync(d.path, d.mode);
    utimesSync(d.path, d.mtime, d.mtime);
  }
  return files;
}

// ---- indexing without unpacking ---------------------------------------------------------------

/** One path of an indexed tar. */
interface IndexNode {
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  size: number;
  mtime: Date;
  linkname?: string;
  sha256?: string;
  /** the content, for small files (what the builder reads before any COPY: the Dockerfile, .dockerignore) */
  data?: Buffer;
  children?: Set<string>;
}

/** A tar's tree as an lstat/readdir/checksum view (context.ts's Tree), before anything is written. */
export class TarIndex {
  private readonly nodes = new Map<string, IndexNode>();

  constructor(readonly root: string) {
    this.nodes.set(root, { type: 'directory', mode: 0o755, size: 0, mtime: new Date(0), children: new Set() });
  }

  /** The directory at `abs`, made (with its parents) as GNU tar makes missing ones; refuses a path through a non-directory. */
  private dirAt(abs: string, name: string): IndexNode {
    const n = this.nodes.get(abs);
    if (n) {
      if (n.type === 'symlink') throw new UntarError(`${name}: Cannot open: path leads outside the context through a symbolic link`);
      if (n.type !== 'directory') throw new UntarError(`${name}: Cannot open: Not a directory`);
      return n;
    }
    const parent = this.dirAt(dirname(abs), name);
    const made: IndexNode = { type: 'directory', mode: 0o755, size: 0, mtime: new Date(), children: new Set() };
    this.nodes.set(abs, made);
    parent.children!.add(abs.slice(abs.lastIndexOf(sep) + 1));
    return made;
  }

  set(abs: string, node: IndexNode, name: string): void {
    const old = this.nodes.get(abs);
    if (old?.type === 'directory') {
      if (node.type !== 'directory') throw new UntarError(`${name}: Cannot open: Is a directory`);
      old.mode = node.mode;
      old.mtime = node.mtime;
      return;
    }
    if (abs === this.root) return;
    const parent = this.dirAt(dirname(abs), name);
    this.nodes.set(abs, node.type === 'directory' ? { ...node, children: new Set() } : node);
    parent.children!.add(abs.slice(abs.lastIndexOf(sep) + 1));
  }

  get(abs: string): IndexNode | undefined {
    return this.nodes.get(abs);
  }

  remove(abs: string): void {
    const n = this.nodes.get(abs);
    if (!n || n.type === 'directory') return;
    this.nodes.delete(abs);
    this.nodes.get(dirname(abs))?.children?.delete(abs.slice(abs.lastIndexOf(sep) + 1));
  }

  /** A small file's content, if it was kept. */
  content(abs: string): Buffer | undefined {
    return this.nodes.get(abs)?.data;
  }

  lstat(abs: string) {
    const n = this.nodes.get(abs);
    return n ? { type: n.type, mode: n.mode, size: n.size, mtime: n.mtime } : undefined;
  }

  readlink(abs: string): string {
    return this.nodes.get(abs)?.linkname ?? '';
  }

  readdir(abs: string): string[] {
    return [...(this.nodes.get(abs)?.children ?? [])];
  }

  checksum(abs: string): string {
    return this.nodes.get(abs)?.sha256 ?? '';
  }
}

/** The tar's bytes, kept for unpacking later: in memory up to a budget, beyond it in a spool file. */
export class RawTar {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private fd?: number;

  constructor(
    private readonly spool: string,
    private readonly memoryBytes: number,
  ) {}

  add(b: Buffer): void {
    this.bytes += b.length;
    if (this.fd === undefined && this.bytes <= this.memoryBytes) {
      this.chunks.push(b);
      return;
    }
    if (this.fd === undefined) {
      this.fd = openSync(this.spool, 'w', 0o600);
      for (const c of this.chunks) writeSync(this.fd, c);
      this.chunks = [];
    }
    writeSync(this.fd, b);
  }

  finish(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }

  stream(): Readable {
    return this.fd === undefined ? Readable.from(this.chunks, { objectMode: false }) : createReadStream(this.spool);
  }

  dispose(): void {
    this.chunks = [];
    if (this.fd !== undefined) rmSync(this.spool, { force: true });
  }
}

/** Contexts up to this size stay in memory until unpacked. */
const RAW_MEMORY_BYTES = 256 << 20;

/** Reads an (uncompressed) tar once: its tree with every file's checksum, and its bytes for unpacking later. */
export async function indexTar(src: Readable, root: string, opts: { readableBytes: number; spool: string; memoryBytes?: number }): Promise<{ index: TarIndex; raw: RawTar }> {
  const index = new TarIndex(root);
  const raw = new RawTar(opts.spool, opts.memoryBytes ?? RAW_MEMORY_BYTES);
  const extract = tar.extract();
  const done = eachMember(extract, root, (m) => {
    const { h, rel, abs, mode, mtime, stream } = m;
    if (h.type === 'directory') {
      index.set(abs, { type: 'directory', mode, size: 0, mtime }, h.name);
      return m.drain();
    }
    if (rel === undefined) throw new UntarError(`${h.name}: Cannot open: Is a directory`);
    if (h.type === 'symlink') {
      index.set(abs, { type: 'symlink', mode: 0o777, size: 0, mtime, linkname: h.linkname ?? '' }, h.name);
      return m.drain();
    }
    if (h.type === 'link') {
      const target = memberPath(h.linkname ?? '');
      const t = target === undefined ? undefined : index.get(join(root, target));
      if (!t || t.type !== 'file') throw new UntarError(`${h.name}: Cannot hard link to '${h.linkname ?? ''}': No such file or directory`);
      index.set(abs, { ...t }, h.name);
      return m.drain();
    }
    if (h.type !== 'file' && h.type !== 'contiguous-file') return m.drain();
    const hash = createHash('sha256');
    const keep = (h.size ?? 0) <= opts.readableBytes;
    const parts: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: unknown) => {
      const b = chunk as Buffer;
      hash.update(b);
      size += b.length;
      if (keep) parts.push(b);
    });
    stream.on('end', () => {
      try {
        index.set(abs, { type: 'file', mode, size, mtime, sha256: hash.digest('hex'), ...(keep ? { data: Buffer.concat(parts) } : {}) }, h.name);
        m.next();
      } catch (e) {
        m.fail(e);
      }
    });
  });
  try {
    for await (const chunk of src) {
      const b = chunk as Buffer;
      raw.add(b);
      // (events.once takes its listeners off again either way: a listener per wait would pile up)
      if (!extract.write(b)) await once(extract as unknown as EventEmitter, 'drain');
    }
    (extract as unknown as { end(): void }).end();
    await done;
  } catch (e) {
    raw.finish();
    raw.dispose();
    throw e;
  }
  raw.finish();
  return { index, raw };
}
