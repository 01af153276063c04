// The layer store: each image layer unpacked once into its own directory, keyed by ChainID, ready
// to be an overlayfs lower directory. Layer tars carry AUFS-style whiteouts (`.wh.name`,
// `.wh..wh..opq`); on the way in they become overlayfs whiteouts (a 0:0 character device, the
// `trusted.overlay.opaque` xattr), which GNU tar then creates with the right owners and modes.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { PassThrough, Readable } from 'node:stream';
import tar from 'tar-stream';
import { Hasher, hexOf, sha256 } from './content.js';
import { invalidParameter, systemError } from './errors.js';

export interface LayerInfo {
  chainID: string;
  diffID: string;
  parent?: string;
  /** Sum of the regular files' and symlinks' sizes, as dockerd counts a layer's size. */
  size: number;
}

/** ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). */
export function chainIDs(diffIDs: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIDs) out.push(out.length === 0 ? d : sha256(`${out[out.length - 1]} ${d}`));
  return out;
}

type Hdr = Partial<tar.Header> & { name: string };

const WH_PREFIX = '.wh.';
const WH_OPAQUE = '.wh..wh..opq';

function cleanName(n: string): string {
  let s = posix.normalize('/' + n).slice(1);
  if (s.endsWith('/')) s = s.slice(0, -1);
  return s;
}

/** Keeps only extended attributes from a pax record set: the rest tar-stream re-encodes itself. */
function xattrsOnly(pax: Record<string, string> | null | undefined): Record<string, string> | undefined {
  if (!pax) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(pax)) if (k.startsWith('SCHILY.xattr.')) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

/**
 * Rewrites a layer tar's whiteouts for overlayfs and counts its size. The output is a tar GNU tar
 * extracts as is.
 */
async function convertWhiteouts(src: Readable, out: tar.Pack): Promise<number> {
  const extract = tar.extract();
  const dirs = new Map<string, Hdr>();
  let size = 0;
  const feed = pipeline(src, extract as unknown as NodeJS.WritableStream);
  feed.catch(() => {});
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const name = cleanName(h.name);
      const base = posix.basename(name);
      const dir = posix.dirname(name);
      if (base === WH_OPAQUE) {
        const d: Hdr = dirs.get(dir) ?? { name: dir, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) };
        const pax = { ...(xattrsOnly(d.pax as Record<string, string> | undefined) ?? {}), 'SCHILY.xattr.trusted.overlay.opaque': 'y' };
        out.entry({ ...d, name: dir, pax });
        entry.resume();
        continue;
      }
      if (base.startsWith(WH_PREFIX)) {
        const target = posix.join(dir, base.slice(WH_PREFIX.length));
        out.entry({ name: target, type: 'character-device', devmajor: 0, devminor: 0, mode: 0, uid: 0, gid: 0, mtime: h.mtime ?? new Date(0) });
        entry.resume();
        continue;
      }
      if (name === '' || name === '.') {
        entry.resume();
        continue;
      }
      const header: Hdr = { ...h, name };
      const pax = xattrsOnly(h.pax as Record<string, string> | null | undefined);
      if (pax) header.pax = pax;
      else delete header.pax;
      if (h.type === 'link' && h.linkname) header.linkname = cleanName(h.linkname);
      if (h.type === 'directory') dirs.set(name, header);
      if (h.type === 'file' || h.type === 'contiguous-file') {
        size += h.size ?? 0;
        header.type = 'file';
        await pipeline(entry as unknown as Readable, out.entry(header) as unknown as NodeJS.WritableStream);
      } else {
        // a symlink's size is its target's length (lstat), which dockerd's du counts too
        if (h.type === 'symlink' && h.linkname) size += Buffer.byteLength(h.linkname);
        out.entry({ ...header, size: 0 });
        entry.resume();
      }
    }
    await feed;
  } finally {
    out.finalize();
  }
  return size;
}

/** Unpacks an uncompressed layer tar into `dir` (which must exist); returns its DiffID and size. */
export async function applyLayer(src: Readable, dir: string): Promise<{ diffID: string; size: number }> {
  const hasher = new Hasher();
  const pack = tar.pack();
  const child = spawn(
    'tar',
    ['-x', '-f', '-', '-C', dir, '--numeric-owner', '--same-owner', '-p', '--xattrs', '--xattrs-include=*'],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  const errs: Buffer[] = [];
  child.stderr!.on('data', (b: Buffer) => errs.push(b));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 128));
  });
  const tee = new PassThrough();
  const hashed = pipeline(src, hasher, tee);
  const written = pipeline(pack as unknown as Readable, child.stdin!).catch(() => {});
  let size: number;
  try {
    size = await convertWhiteouts(tee, pack);
    await hashed;
  } catch (e) {
    child.stdin!.destroy();
    await exited.catch(() => {});
    throw invalidParameter(`error processing tar file: ${(e as Error).message}`);
  }
  await written;
  const code = await exited;
  if (code !== 0) throw systemError(`failed to register layer: ${Buffer.concat(errs).toString().trim() || `tar exited ${code}`}`);
  return { diffID: hasher.digest(), size };
}

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const BZIP2_MAGIC = [0x42, 0x5a, 0x68];
const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

const startsWith = (b: Buffer, m: number[]) => b.length >= m.length && m.every((x, i) => b[i] === x);

/** The first `n` bytes of a stream (fewer if it is shorter), and the whole stream again from its start. */
export async function peekStream(src: Readable, n: number): Promise<{ head: Buffer; whole: Readable }> {
  const it = src[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let done = false;
  while (head.length < n && !done) {
    const r = await it.next();
    if (r.done) done = true;
    else head = Buffer.concat([head, r.value as Buffer]);
  }
  const rest = async function* () {
    yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value as Buffer;
    }
  };
  return { head, whole: Readable.from(rest(), { objectMode: false }) };
}

/** Peeks at a stream and undoes gzip, as archive.DecompressStream does for the formats we carry. */
export async function decompressed(src: Readable): Promise<Readable> {
  const { head, whole } = await peekStream(src, 6);
  if (startsWith(head, GZIP_MAGIC)) return whole.pipe(createGunzip());
  if (startsWith(head, ZSTD_MAGIC) || startsWith(head, BZIP2_MAGIC) || startsWith(head, XZ_MAGIC)) {
    throw invalidParameter('unsupported compression format: only uncompressed and gzip layers are supported');
  }
  return whole;
}

export class LayerStore {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  private dirOf(chainID: string): string {
    return join(this.root, hexOf(chainID));
  }

  /** The unpacked directory of a layer: an overlayfs lower directory. */
  diffDir(chainID: string): string {
    return join(this.dirOf(chainID), 'diff');
  }

  has(chainID: string): boolean {
    return existsSync(join(this.dirOf(chainID), 'layer.json'));
  }

  get(chainID: string): LayerInfo | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dirOf(chainID), 'layer.json'), 'utf8')) as LayerInfo;
    } catch {
      return undefined;
    }
  }

  list(): LayerInfo[] {
    const out: LayerInfo[] = [];
    for (const h of readdirSync(this.root)) {
      if (h.startsWith('tmp-')) continue;
      const l = this.get(`sha256:${h}`);
      if (l) out.push(l);
    }
    return out;
  }

  /**
   * Unpacks a layer on top of `parent` unless it is already there; the DiffID is checked against
   * the bytes. A failed unpack leaves nothing behind.
   */
  async register(src: Readable, expectedDiffID: string | undefined, parent: string | undefined): Promise<LayerInfo> {
    const tmp = join(this.root, `tmp-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`);
    mkdirSync(join(tmp, 'diff'), { recursive: true });
    try {
      const { diffID, size } = await applyLayer(src, join(tmp, 'diff'));
      if (expectedDiffID && diffID !== expectedDiffID) {
        throw invalidParameter(`invalid diffID for layer: expected "${expectedDiffID}", got "${diffID}"`);
      }
      const chainID = parent ? sha256(`${parent} ${diffID}`) : diffID;
      const existing = this.get(chainID);
      if (existing) return existing;
      const info: LayerInfo = parent ? { chainID, diffID, parent, size } : { chainID, diffID, size };
      writeFileSync(join(tmp, 'layer.json'), JSON.stringify(info));
      renameSync(tmp, this.dirOf(chainID));
      return info;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** Lower directories for overlayfs, topmost first. */
  lowerDirs(chainID: string): string[] {
    const out: string[] = [];
    let cur: string | undefined = chainID;
    while (cur) {
      const l = this.get(cur);
      if (!l) throw systemError(`layer does not exist: ${cur}`);
      out.push(this.diffDir(cur));
      cur = l.parent;
    }
    return out;
  }

  /** The chain from the base layer up to `chainID`. */
  chain(chainID: string): LayerInfo[] {
    const out: LayerInfo[] = [];
    let cur: string | undefined = chainID;
    while (cur) {
      const l = this.get(cur);
      if (!l) break;
      out.unshift(l);
      cur = l.parent;
    }
    return out;
  }

  remove(chainID: string): void {
    const d = this.dirOf(chainID);
    const tmp = join(this.root, `tmp-rm-${hexOf(chainID)}`);
    if (!existsSync(d)) return;
    renameSync(d, tmp);
    rmSync(tmp, { recursive: true, force: true });
  }
}
