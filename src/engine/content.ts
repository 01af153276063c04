// The content store: an OCI image layout on disk (oci-layout, index.json, blobs/sha256/<hex>),
// every blob named by the sha256 of its bytes and verified on the way in.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { invalidParameter } from './errors.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

export function hexOf(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}

export function checkDigest(d: string): string {
  if (!DIGEST_RE.test(d)) throw invalidParameter(`invalid digest: ${d}`);
  return d;
}

/** A pass-through stream that hashes and counts what flows through it. */
export class Hasher extends Transform {
  private readonly h = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.h.update(chunk);
    this.size += chunk.length;
    this.push(chunk);
    cb();
  }
  digest(): string {
    return 'sha256:' + this.h.digest('hex');
  }
}

export class ContentStore {
  readonly blobs: string;

  constructor(readonly root: string) {
    this.blobs = join(root, 'blobs', 'sha256');
    mkdirSync(this.blobs, { recursive: true });
    mkdirSync(join(root, 'ingest'), { recursive: true });
    const layout = join(root, 'oci-layout');
    if (!existsSync(layout)) writeFileSync(layout, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }

  path(digest: string): string {
    return join(this.blobs, hexOf(checkDigest(digest)));
  }

  has(digest: string): boolean {
    return DIGEST_RE.test(digest) && existsSync(this.path(digest));
  }

  size(digest: string): number {
    return statSync(this.path(digest)).size;
  }

  /** Stores bytes; returns their descriptor. */
  put(data: Buffer | string, mediaType: string): Descriptor {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = sha256(buf);
    const p = this.path(digest);
    if (!existsSync(p)) {
      const tmp = this.tempPath();
      writeFileSync(tmp, buf);
      renameSync(tmp, p);
    }
    return { mediaType, digest, size: buf.length };
  }

  putJSON(value: unknown, mediaType: string): Descriptor {
    return this.put(JSON.stringify(value), mediaType);
  }

  /** Streams a blob in, hashing it; with `expected`, a mismatch is refused and nothing is kept. */
  async ingest(src: Readable, expected?: string): Promise<{ digest: string; size: number }> {
    const tmp = this.tempPath();
    const hasher = new Hasher();
    try {
      await pipeline(src, hasher, createWriteStream(tmp));
      const digest = hasher.digest();
      if (expected && digest !== expected) throw invalidParameter(`digest mismatch: expected ${expected}, got ${digest}`);
      renameSync(tmp, this.path(digest));
      return { digest, size: hasher.size };
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  read(digest: string): Buffer {
    return readFileSync(this.path(digest));
  }

  readJSON<T>(digest: string): T {
    return JSON.parse(this.read(digest).toString()) as T;
  }

  stream(digest: string): Readable {
    return createReadStream(this.path(digest));
  }

  remove(digest: string): void {
    rmSync(this.path(digest), { force: true });
  }

  list(): string[] {
    return readdirSync(this.blobs).map((h) => `sha256:${h}`);
  }

  tempPath(): string {
    return join(this.root, 'ingest', randomBytes(8).toString('hex'));
  }

  // index.json: the layout's list of top-level manifests, each named by annotation.
  readIndex(): Descriptor[] {
    const p = join(this.root, 'index.json');
    if (!existsSync(p)) return [];
    return (JSON.parse(readFileSync(p, 'utf8')) as { manifests?: Descriptor[] }).manifests ?? [];
  }

  writeIndex(manifests: Descriptor[]): void {
    const tmp = this.tempPath();
    writeFileSync(tmp, JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }, null, 1));
    renameSync(tmp, join(this.root, 'index.json'));
  }
}
