// docker push: for each tag of the repository (or the one named), upload the layers the registry
// lacks (five at a time) — skipping blobs it already has, mounting them from a sibling repository
// when the distribution metadata knows one, else compressing and uploading in chunks that resume
// from the registry's Range after an interruption — then the config and a schema2 manifest
// (daemon/internal/distribution/push_v2.go, xfer/upload.go).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { MEDIA, type Descriptor } from '../content.js';
import type { Progress } from '../archive.js';
import { invalidParameter, isEngineError, systemError } from '../errors.js';
import type { Image } from '../images.js';
import type { LayerInfo } from '../layers.js';
import { familiarName, familiarString, refName, refString, type NamedRef } from '../reference.js';
import type { AuthConfig } from './auth.js';
import { RegistryError, TransportError, translatePushError } from './errors.js';
import type { V2Metadata } from './metadata.js';
import { Counter, message, update } from './progress.js';
import { checkRepoName, Limiter, openRepository, sleep, type RegistryDeps } from './registry.js';
import type { Repository, UploadState } from './repository.js';

export interface PushOptions {
  auth?: AuthConfig;
  /** bytes per PATCH; a blob no larger than one chunk goes up in a single PUT */
  chunkSize?: number;
  /** concurrent layer uploads (dockerd's default is 5) */
  concurrency?: number;
  /** upload attempts per layer (dockerd: 5) */
  attempts?: number;
  retryDelay?: number;
}

export const DEFAULT_CHUNK = 16 << 20;

const SMALL = 100 << 10;
const MIDDLE = 10 << 20;

export interface PushResult {
  Tag: string;
  Digest: string;
  Size: number;
}

/** Pushes `ref` (a tag, or every tag of a bare name). Progress and errors go to `out`. */
export async function push(deps: RegistryDeps, ref: NamedRef, out: Progress, opts: PushOptions = {}): Promise<PushResult[]> {
  checkRepoName(ref);
  const name: NamedRef = { domain: ref.domain, path: ref.path };
  message(out, '', `The push refers to repository [${refName(name)}]`);
  const associations = deps.images
    .list()
    .flatMap((img) => img.refs.filter((r) => refName(r) === refName(name)).map((r) => ({ r, img })))
    .sort((a, b) => refString(a.r).localeCompare(refString(b.r)));
  if (associations.length === 0) throw invalidParameter(`An image does not exist locally with the tag: ${familiarName(name)}`);
  let targets: { tag: string; img: Image }[];
  if (ref.tag) {
    const img = deps.images.find(refString({ ...name, tag: ref.tag }));
    if (!img) throw invalidParameter(`tag does not exist: ${familiarString(ref)}`);
    targets = [{ tag: ref.tag, img }];
  } else if (ref.digest) {
    throw invalidParameter('cannot push a digest reference');
  } else {
    targets = associations.filter((a) => a.r.tag && !a.r.digest).map((a) => ({ tag: a.r.tag!, img: a.img }));
    if (targets.length === 0) throw invalidParameter(`no tags to push for ${familiarName(name)}`);
  }
  const repo = openRepository(name, opts.auth, ['pull', 'push']);
  const pusher = new Pusher(deps, repo, name, out, opts);
  const results: PushResult[] = [];
  try {
    for (const t of targets) results.push(await pusher.pushTag(t.tag, t.img));
  } catch (e) {
    throw translatePushError(e);
  }
  deps.event('push', familiarString(ref), { name: familiarName(name) });
  return results;
}

class RestartUpload extends Error {}

class Pusher {
  /** layers known to be in the target repository during this push, by DiffID */
  private readonly remote = new Map<string, Descriptor>();
  private readonly fullName: string;

  constructor(
    private readonly deps: RegistryDeps,
    private readonly repo: Repository,
    name: NamedRef,
    private readonly out: Progress,
    private readonly opts: PushOptions,
  ) {
    this.fullName = refName(name);
  }

  async pushTag(tag: string, img: Image): Promise<PushResult> {
    const limiter = new Limiter(this.opts.concurrency ?? 5);
    const ids = img.layers.map((l) => l.diffID.slice(7, 19));
    // dockerd lists the layers top first
    const order = img.layers.map((_, i) => i).reverse();
    for (const i of order) update(this.out, ids[i]!, 'Preparing');
    const uploads = new Map<string, Promise<Descriptor>>();
    const descs: Promise<Descriptor>[] = new Array(img.layers.length);
    for (const i of order) {
      const l = img.layers[i]!;
      let p = uploads.get(l.diffID);
      if (!p) {
        if (limiter.full) update(this.out, ids[i]!, 'Waiting');
        p = limiter.run(() => this.pushLayer(l, ids[i]!));
        p.catch(() => {});
        uploads.set(l.diffID, p);
      }
      descs[i] = p;
    }
    const layers: Descriptor[] = [];
    for (const d of descs) layers.push(await d);

    const configBytes = this.deps.content.read(img.id);
    if ((await this.repo.statBlob(img.id)) === undefined) await this.uploadBlob(() => Readable.from([configBytes]));
    // the schema2 manifest exactly as distribution's builder marshals it (three-space indent)
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: MEDIA.dockerConfig, size: configBytes.length, digest: img.id },
      layers: layers.map((d) => ({ mediaType: MEDIA.dockerLayerGzip, size: d.size, digest: d.digest })),
    };
    const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
    const digest = await this.repo.putManifest(tag, bytes, MEDIA.dockerManifest);
    message(this.out, '', `${tag}: digest: ${digest} size: ${bytes.length}`);
    const digestRef: NamedRef = { ...this.nameRef(), digest };
    if (!this.deps.images.find(refString(digestRef))) this.deps.images.tag(img.id, digestRef);
    const result = { Tag: tag, Digest: digest, Size: bytes.length };
    this.out({ progressDetail: {}, aux: result });
    return result;
  }

  private nameRef(): NamedRef {
    const slash = this.fullName.indexOf('/');
    return { domain: this.fullName.slice(0, slash), path: this.fullName.slice(slash + 1) };
  }

  private async pushLayer(l: LayerInfo, id: string): Promise<Descriptor> {
    const known = this.remote.get(l.diffID);
    if (known) {
      update(this.out, id, 'Layer already exists');
      return known;
    }
    const meta = this.deps.metadata.get(l.diffID);
    const [maxMounts, maxChecks, otherRepos] = l.size > MIDDLE ? [4, 3, true] : l.size > SMALL ? [3, 1, false] : [1, 1, false];
    const checked = new Set<string>();
    const exists = await this.alreadyExists(l, id, meta, false, 1, checked);
    if (exists) return exists;

    // a sibling repository on the same registry that has the blob: mount instead of upload
    const domain = this.fullName.slice(0, this.fullName.indexOf('/'));
    const candidates = meta
      .filter((m) => m.sourceRepository !== this.fullName && m.sourceRepository.startsWith(domain + '/'))
      .reverse()
      .slice(0, maxMounts);
    for (const c of candidates) {
      const from = c.sourceRepository.slice(domain.length + 1);
      const r = await this.repo.startUpload({ digest: c.digest, from }).catch(() => undefined);
      if (r === 'mounted') {
        update(this.out, id, `Mounted from ${from}`);
        const size = c.size ?? (await this.repo.statBlob(c.digest)) ?? 0;
        return this.record(l, { mediaType: MEDIA.dockerLayerGzip, digest: c.digest, size });
      }
      if (r) await this.repo.cancel(r);
      this.deps.metadata.remove(l.diffID, c);
    }
    if (maxChecks - checked.size > 0) {
      const again = await this.alreadyExists(l, id, meta, otherRepos, maxChecks - checked.size, checked);
      if (again) return again;
    }
    if (!this.deps.content.has(l.diffID)) throw systemError(`layer ${l.diffID} has no content to push`);
    const pushed = await this.uploadBlob(
      () => this.deps.content.stream(l.diffID).pipe(new Counter(this.out, id, 'Pushing', l.size)).pipe(createGzip()),
      id,
    );
    update(this.out, id, 'Pushed');
    return this.record(l, { mediaType: MEDIA.dockerLayerGzip, digest: pushed.digest, size: pushed.size });
  }

  private record(l: LayerInfo, d: Descriptor): Descriptor {
    this.deps.metadata.add(l.diffID, { digest: d.digest, sourceRepository: this.fullName, mediaType: d.mediaType, size: d.size });
    this.remote.set(l.diffID, d);
    return d;
  }

  /** layerAlreadyExists: HEAD the blob digests the metadata knows for this layer. */
  private async alreadyExists(l: LayerInfo, id: string, meta: V2Metadata[], otherRepos: boolean, max: number, checked: Set<string>): Promise<Descriptor | undefined> {
    const candidates = meta.filter((m) => otherRepos || m.sourceRepository === this.fullName).reverse();
    let n = 0;
    for (const m of candidates) {
      if (n >= max) break;
      if (checked.has(m.digest)) continue;
      checked.add(m.digest);
      n++;
      const size = await this.repo.statBlob(m.digest).catch(() => undefined);
      if (size !== undefined) {
        update(this.out, id, 'Layer already exists');
        return this.record(l, { mediaType: MEDIA.dockerLayerGzip, digest: m.digest, size });
      }
      if (m.sourceRepository === this.fullName) this.deps.metadata.remove(l.diffID, m);
    }
    return undefined;
  }

  /**
   * Uploads a blob made by `source` (called again for each fresh attempt). Chunks go up with
   * PATCH; after a failed PATCH the upload's status says how much the registry kept and the rest
   * follows from there. A registry that dropped the upload gets a new one, up to `attempts`.
   */
  async uploadBlob(source: () => Readable, id?: string): Promise<{ digest: string; size: number }> {
    const attempts = this.opts.attempts ?? 5;
    const chunkSize = this.opts.chunkSize ?? DEFAULT_CHUNK;
    for (let attempt = 1; ; attempt++) {
      let state: UploadState | undefined;
      try {
        const started = await this.repo.startUpload();
        if (started === 'mounted') throw systemError('registry mounted a blob that was not asked for');
        state = started;
        const hash = createHash('sha256');
        let size = 0;
        let pending: Buffer | undefined;
        for await (const chunk of chunks(source(), chunkSize)) {
          if (pending) state = await this.sendChunk(state, pending);
          pending = chunk;
          hash.update(chunk);
          size += chunk.length;
        }
        const digest = 'sha256:' + hash.digest('hex');
        if (state.offset === 0) await this.repo.complete(state, digest, pending ?? Buffer.alloc(0));
        else {
          if (pending && pending.length > 0) state = await this.sendChunk(state, pending);
          await this.repo.complete(state, digest);
        }
        return { digest, size };
      } catch (e) {
        if (state) await this.repo.cancel(state);
        if (attempt >= attempts || !(e instanceof RestartUpload || retryable(e))) throw e;
        const delay = this.opts.retryDelay ?? 1000;
        const secs = Math.max(1, Math.round(delay / 1000));
        if (id) update(this.out, id, `Retrying in ${secs} second${secs === 1 ? '' : 's'}`);
        await sleep(delay);
      }
    }
  }

  /** One chunk, resumed from the registry's Range when the PATCH broke off. */
  private async sendChunk(state: UploadState, chunk: Buffer): Promise<UploadState> {
    let s = state;
    let rest = chunk;
    for (let tries = 0; ; tries++) {
      try {
        return await this.repo.patch(s, rest);
      } catch (e) {
        if (!retryable(e) || tries >= 3) throw e;
        let st: UploadState;
        try {
          st = await this.repo.uploadStatus(s);
        } catch {
          throw new RestartUpload('the registry dropped the upload');
        }
        const kept = st.offset - s.offset;
        if (kept < 0 || kept > rest.length) throw new RestartUpload(`the registry holds ${st.offset} bytes of the upload, outside the chunk being sent`);
        if (kept === rest.length) return st;
        s = st;
        rest = rest.subarray(kept);
      }
    }
  }
}

function retryable(e: unknown): boolean {
  if (isEngineError(e)) return false;
  if (e instanceof TransportError) return e.retryable;
  if (e instanceof RegistryError) return e.status >= 500 || e.code === 'BLOB_UPLOAD_INVALID' || e.code === 'BLOB_UPLOAD_UNKNOWN';
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** Re-slices a stream into buffers of exactly `size` bytes (the last may be shorter). */
async function* chunks(src: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let n = 0;
  for await (const c of src) {
    parts.push(c as Buffer);
    n += (c as Buffer).length;
    while (n >= size) {
      const all = Buffer.concat(parts);
      yield all.subarray(0, size);
      const rest = all.subarray(size);
      parts = rest.length ? [rest] : [];
      n = rest.length;
    }
  }
  if (n > 0) yield Buffer.concat(parts);
}
