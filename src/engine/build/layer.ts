// A build step's filesystem change as an image layer: the overlay upper directory of a RUN (or
// the files of a COPY) written as a tar in OCI form (overlay whiteouts become `.wh.` files, an
// opaque directory gets `.wh..wh..opq`), in name order with modification times clamped to the
// build's epoch so that identical steps give identical bytes; then stored content-addressed
// (uncompressed under its DiffID, beside a gzip copy) and unpacked into the layer store.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { Hasher, type ContentStore } from '../content.js';
import { systemError } from '../errors.js';
import type { LayerInfo, LayerStore } from '../layers.js';

export interface LayerItem {
  /** path in the image, without a leading slash */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  linkname?: string;
  /** a file's bytes: a host path to read, or the data itself */
  source?: string;
  data?: Buffer;
  size?: number;
}

export interface WrittenLayer {
  diffID: string;
  /** no entries at all: the step is an empty layer */
  empty: boolean;
}

/** A tar header to write: every field but the name optional. */
export type Hdr = Partial<tar.Header> & { name: string };

const clamp = (d: Date | undefined, epoch: Date) => (d && d.getTime() < epoch.getTime() ? new Date(Math.floor(d.getTime() / 1000) * 1000) : epoch);

async function packTo(path: string, fill: (pack: tar.Pack) => Promise<number>): Promise<WrittenLayer> {
  const pack = tar.pack();
  const hasher = new Hasher();
  const out: WriteStream = createWriteStream(path);
  const done = pipeline(pack as unknown as Readable, hasher, out);
  let count: number;
  try {
    count = await fill(pack);
  } catch (e) {
    pack.destroy(e as Error);
    await done.catch(() => {});
    throw e;
  }
  pack.finalize();
  await done;
  return { diffID: hasher.digest(), empty: count === 0 };
}

/** Writes one entry that has no stream (a file's bytes, if any, given whole). */
export function entry(pack: tar.Pack, h: Hdr, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve());
    // a file entry without a body waits for its stream to end: give empty files an empty body
    if (body || h.type === 'file' || h.type === undefined) pack.entry(h, body ?? Buffer.alloc(0), cb);
    else pack.entry(h, cb);
  });
}

/** Writes the given entries (already in the order wanted) as a layer tar at `path`. */
export async function writeItems(path: string, items: LayerItem[], epoch: Date): Promise<WrittenLayer> {
  return packTo(path, async (pack) => {
    for (const it of items) {
      const h: Hdr = { name: it.type === 'directory' ? it.name.replace(/\/?$/, '/') : it.name, mode: it.mode, uid: it.uid, gid: it.gid, mtime: clamp(it.mtime, epoch), type: it.type };
      if (it.type === 'symlink' || it.type === 'link') {
        h.linkname = it.linkname ?? '';
        await entry(pack, h);
      } else if (it.type === 'file') {
        if (it.data) {
          h.size = it.data.length;
          await entry(pack, h, it.data);
        } else {
          h.size = it.size ?? 0;
          const w = pack.entry(h);
          await pipeline(createReadStream(it.source!), w as unknown as NodeJS.WritableStream);
        }
      } else await entry(pack, h);
    }
    return items.length;
  });
}

/**
 * The upper directory of an overlay as a layer tar. GNU tar reads it (with the overlay's
 * extended attributes); its entries are re-written in OCI form.
 */
export async function writeUpperDir(path: string, upper: string, epoch: Date): Promise<WrittenLayer> {
  const { extract, failure } = gnuTar(['-C', upper, '--numeric-owner', '--xattrs', '--xattrs-include=*', '--sort=name', '--format=pax', '-cf', '-', '.']);
  const written = await packTo(path, async (pack) => {
    let n = 0;
    for await (const e of extract) {
      const h = e.header;
      const name = h.name.replace(/^\.\//, '').replace(/\/$/, '');
      if (name === '' || name === '.') {
        e.resume();
        continue;
      }
      const pax = (h.pax ?? {}) as Record<string, string>;
      const xattrs: Record<string, string> = {};
      let opaque = false;
      for (const [k, v] of Object.entries(pax)) {
        if (!k.startsWith('SCHILY.xattr.')) continue;
        const attr = k.slice('SCHILY.xattr.'.length);
        if (attr === 'trusted.overlay.opaque') opaque = v === 'y';
        else if (!attr.startsWith('trusted.overlay.')) xattrs[k] = v;
      }
      const base: Hdr = { name, mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: clamp(h.mtime, epoch) };
      if (Object.keys(xattrs).length) base.pax = xattrs;
      if (h.type === 'character-device' && (h.devmajor ?? 0) === 0 && (h.devminor ?? 0) === 0) {
        // an overlay whiteout: the OCI form is an empty `.wh.<name>` file
        const slash = name.lastIndexOf('/');
        const wh = slash < 0 ? `.wh.${name}` : `${name.slice(0, slash)}/.wh.${name.slice(slash + 1)}`;
        await entry(pack, { name: wh, mode: 0o600, uid: base.uid!, gid: base.gid!, mtime: base.mtime!, type: 'file', size: 0 });
        e.resume();
        n++;
        continue;
      }
      if (h.type === 'file' || h.type === 'contiguous-file') {
        const w = pack.entry({ ...base, type: 'file', size: h.size ?? 0 });
        await pipeline(e as unknown as Readable, w as unknown as NodeJS.WritableStream);
        n++;
        continue;
      }
      e.resume();
      if (h.type === 'directory') {
        await entry(pack, { ...base, name: name + '/', type: 'directory' });
        if (opaque) await entry(pack, { name: `${name}/.wh..wh..opq`, mode: base.mode! & 0o777, uid: base.uid!, gid: base.gid!, mtime: base.mtime!, type: 'file', size: 0 });
      } else if (h.type === 'symlink') await entry(pack, { ...base, type: 'symlink', linkname: h.linkname ?? '' });
      else if (h.type === 'link') await entry(pack, { ...base, type: 'link', linkname: (h.linkname ?? '').replace(/^\.\//, '') });
      else if (h.type === 'character-device' || h.type === 'block-device') await entry(pack, { ...base, type: h.type, devmajor: h.devmajor ?? 0, devminor: h.devminor ?? 0 });
      else if (h.type === 'fifo') await entry(pack, { ...base, type: 'fifo' });
      n++;
    }
    return n;
  });
  const failed = await failure();
  if (failed !== undefined) throw systemError(`failed to capture the build step's changes: ${failed}`);
  return written;
}

/**
 * GNU tar writing an archive to its output (the one tool here that reads extended attributes,
 * which Node cannot), read entry by entry; `input` is its standard input (a file list, say).
 * Once the entries are read, failure() tells how it ended: undefined, or its message.
 */
export function gnuTar(args: string[], input?: string): { extract: tar.Extract; failure: () => Promise<string | undefined> } {
  const proc = spawn('tar', args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const errs: Buffer[] = [];
  proc.stderr!.on('data', (b: Buffer) => errs.push(b));
  const exited = new Promise<number>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) => resolve(code ?? 128));
  });
  if (input !== undefined) {
    proc.stdin!.on('error', () => {}); // tar may exit before reading it all; its exit says why
    proc.stdin!.end(input);
  }
  const extract = tar.extract();
  const feed = pipeline(proc.stdout!, extract as unknown as NodeJS.WritableStream);
  feed.catch(() => {});
  const failure = async () => {
    const fed = await feed.then(() => undefined, (e: unknown) => (e instanceof Error ? e.message : String(e)));
    const code = await exited;
    if (code !== 0) return `tar exited ${code}: ${Buffer.concat(errs).toString().trim()}`;
    return fed;
  };
  return { extract, failure };
}

export interface StoredLayer {
  info: LayerInfo;
  /** the gzip-compressed blob in the content store */
  compressed: { digest: string; size: number };
}

/**
 * Puts a written layer into the content store (uncompressed, under its DiffID, which the image
 * manifests and `docker save` use; and gzip-compressed, which a registry push sends) and unpacks
 * it into the layer store on top of `parent`.
 */
export async function storeLayer(content: ContentStore, layers: LayerStore, path: string, diffID: string, parent: string | undefined): Promise<StoredLayer> {
  await content.ingest(createReadStream(path), diffID);
  const gz = await content.ingest(createReadStream(path).pipe(createGzip()));
  const info = await layers.register(createReadStream(path), diffID, parent);
  return { info, compressed: gz };
}
