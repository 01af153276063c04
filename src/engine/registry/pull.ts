// docker pull: resolve the tag (or take the digest), pick linux/amd64 from an index, fetch the
// config and the layers (three at a time), verify every digest, unpack the layers in order into
// the layer store, and name the image — with dockerd's progress messages all the way
// (daemon/internal/distribution/pull_v2.go, xfer/download.go).
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Hasher, hexOf, type Descriptor } from '../content.js';
import { ingestLayer, type Progress } from '../archive.js';
import { invalidParameter, systemError } from '../errors.js';
import type { Image, ImageJSON } from '../images.js';
import { chainIDs } from '../layers.js';
import { familiarName, familiarString, refName, refString, type NamedRef } from '../reference.js';
import type { AuthConfig } from './auth.js';
import { RegistryError, TransportError, translatePullError } from './errors.js';
import { checkImageManifest, matchingManifests, noMatchError, parseManifest, type ImageManifest } from './manifest.js';
import { Counter, message, update } from './progress.js';
import { checkRepoName, Limiter, openRepository, sleep, type RegistryDeps } from './registry.js';
import type { Repository } from './repository.js';

export interface PullOptions {
  auth?: AuthConfig;
  /** concurrent layer downloads (dockerd's default is 3) */
  concurrency?: number;
  /** download attempts per layer before giving up (dockerd: 5) */
  attempts?: number;
  /** pause between attempts, ms */
  retryDelay?: number;
}

const shortID = (d: string) => hexOf(d).slice(0, 12);

/**
 * Pulls `ref` (a tag or a digest; a bare name pulls every tag). Writes progress to `out`;
 * throws upstream's error when nothing was written yet, which the caller reports as it likes.
 */
export async function pull(deps: RegistryDeps, ref: NamedRef, out: Progress, opts: PullOptions = {}): Promise<Image | undefined> {
  checkRepoName(ref);
  const repo = openRepository(ref, opts.auth, ['pull']);
  try {
    let newer = false;
    let last: Image | undefined;
    if (ref.tag || ref.digest) {
      const r = await pullOne(deps, repo, ref, out, opts);
      newer = r.newer;
      last = r.image;
    } else {
      for (const tag of await repo.tags()) {
        const r = await pullOne(deps, repo, { ...ref, tag }, out, opts);
        newer ||= r.newer;
        last = r.image;
      }
    }
    message(out, '', `Status: ${newer ? 'Downloaded newer image for' : 'Image is up to date for'} ${familiarString(ref)}`);
    deps.event('pull', familiarString(ref), { name: familiarName(ref) });
    return last;
  } catch (e) {
    throw translatePullError(e, ref);
  }
}

async function pullOne(deps: RegistryDeps, repo: Repository, ref: NamedRef, out: Progress, opts: PullOptions): Promise<{ newer: boolean; image: Image }> {
  let fetched;
  let tagOrDigest: string;
  if (ref.digest) {
    fetched = await repo.getManifest(ref.digest);
    tagOrDigest = refString({ domain: ref.domain, path: ref.path, digest: ref.digest });
  } else {
    const r = await repo.resolveTag(ref.tag!);
    fetched = 'fetched' in r ? r.fetched : await repo.getManifest(r.digest);
    tagOrDigest = ref.tag!;
  }
  let manifest = parseManifest(fetched.bytes, fetched.mediaType);
  const manifestDigest = fetched.digest;
  message(out, tagOrDigest, `Pulling from ${ref.path}`);

  if (manifest.kind === 'index') {
    const pick = matchingManifests(manifest)[0];
    if (!pick) throw noMatchError();
    const child = await repo.getManifest(pick.digest);
    manifest = parseManifest(child.bytes, child.mediaType ?? pick.mediaType);
    if (manifest.kind !== 'manifest') throw noMatchError();
  }
  checkImageManifest(manifest);
  const image = deps.images.byID(manifest.config.digest) ?? (await fetchImage(deps, repo, ref, manifest, out, opts));
  message(out, '', `Digest: ${manifestDigest}`);

  const digestRef: NamedRef = { domain: ref.domain, path: ref.path, digest: manifestDigest };
  const had = (r: NamedRef) => deps.images.find(refString(r))?.id === image.id;
  if (ref.tag && had(ref)) {
    if (!had(digestRef)) deps.images.tag(image.id, digestRef);
    return { newer: false, image };
  }
  if (!had(digestRef)) deps.images.tag(image.id, digestRef);
  if (ref.tag) deps.images.tag(image.id, { domain: ref.domain, path: ref.path, tag: ref.tag });
  return { newer: true, image };
}

interface LayerJob {
  desc: Descriptor;
  id: string;
  file?: string;
  done?: Promise<void>;
}

async function fetchImage(deps: RegistryDeps, repo: Repository, ref: NamedRef, m: ImageManifest, out: Progress, opts: PullOptions): Promise<Image> {
  const configP = repo.getBlob(m.config.digest).catch((e: unknown) => {
    throw new Error(`error pulling image configuration: ${e instanceof Error ? e.message : String(e)}`);
  });
  configP.catch(() => {});
  const fullName = refName(ref);

  // leading layers the layer store has already (known through distribution metadata) are skipped
  const known: string[] = [];
  let skip = 0;
  for (const d of m.layers) {
    const diffID = deps.metadata.diffIDOf(d.digest);
    if (!diffID) break;
    const chain = chainIDs([...known, diffID]).pop()!;
    if (!deps.layers.has(chain) || !deps.content.has(diffID)) break;
    known.push(diffID);
    skip++;
  }
  const jobs: LayerJob[] = m.layers.map((desc) => ({ desc, id: shortID(desc.digest) }));
  const seen = new Set<string>();
  for (let i = 0; i < jobs.length; i++) {
    const j = jobs[i]!;
    if (i < skip) {
      update(out, j.id, 'Already exists');
      deps.metadata.add(known[i]!, { digest: j.desc.digest, sourceRepository: fullName });
    } else if (!seen.has(j.desc.digest)) update(out, j.id, 'Pulling fs layer');
    seen.add(j.desc.digest);
  }

  const limiter = new Limiter(opts.concurrency ?? 3);
  const byDigest = new Map<string, LayerJob>();
  const cleanup: string[] = [];
  try {
    for (let i = skip; i < jobs.length; i++) {
      const j = jobs[i]!;
      const same = byDigest.get(j.desc.digest);
      if (same) {
        j.done = same.done!;
        j.file = same.file!;
        continue;
      }
      byDigest.set(j.desc.digest, j);
      j.file = deps.content.tempPath();
      cleanup.push(j.file);
      if (limiter.full) update(out, j.id, 'Waiting');
      j.done = limiter.run(() => download(repo, j, out, opts));
      j.done.catch(() => {});
    }

    const configBytes = await configP;
    let config: ImageJSON;
    try {
      config = JSON.parse(configBytes.toString()) as ImageJSON;
    } catch (e) {
      throw invalidParameter(`invalid image JSON: ${(e as Error).message}`);
    }
    const diffIDs = config.rootfs?.diff_ids;
    if (!config.rootfs || !Array.isArray(diffIDs)) throw systemError('invalid rootfs in image configuration');
    if (diffIDs.length !== m.layers.length) throw systemError("layers from manifest don't match image configuration");
    for (let i = 0; i < skip; i++) if (diffIDs[i] !== known[i]) throw systemError("layers from manifest don't match image configuration");

    // unpack in order, each on top of the one below it
    let parent = skip > 0 ? chainIDs(known).pop() : undefined;
    for (let i = skip; i < jobs.length; i++) {
      const j = jobs[i]!;
      await j.done;
      const size = statSync(j.file!).size;
      const extracting = new Counter(out, j.id, 'Extracting', size);
      const src = createReadStream(j.file!).pipe(extracting);
      let layer;
      try {
        layer = await ingestLayer(deps, src, diffIDs[i], parent);
      } catch (e) {
        throw systemError(`failed to register layer: ${e instanceof Error ? e.message : String(e)}`);
      }
      update(out, j.id, 'Pull complete');
      deps.metadata.add(layer.diffID, { digest: j.desc.digest, sourceRepository: fullName, mediaType: j.desc.mediaType, size: j.desc.size });
      parent = layer.chainID;
    }
    return deps.images.create(configBytes);
  } finally {
    for (const f of cleanup) rmSync(f, { force: true });
  }
}

/** Downloads one blob to its temporary file, resuming with a Range request after a broken transfer. */
async function download(repo: Repository, j: LayerJob, out: Progress, opts: PullOptions): Promise<void> {
  const attempts = opts.attempts ?? 5;
  let hasher = new Hasher();
  let have = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const { body, size, offset } = await repo.openBlob(j.desc.digest, have);
      if (offset !== have) {
        // the registry sent the whole blob again: start the file and the hash over
        hasher = new Hasher();
        have = 0;
      }
      const counter = new Counter(out, j.id, 'Downloading', size, have);
      const file = createWriteStream(j.file!, { flags: have > 0 ? 'a' : 'w' });
      const h = hasher;
      const start = have;
      try {
        await pipeline(body, h, counter, file);
      } catch (e) {
        have = start + (file.bytesWritten ?? 0);
        // the hash saw more than was written: rebuild it from the file
        hasher = await rehash(j.file!, have);
        throw e;
      }
      update(out, j.id, 'Verifying Checksum');
      if (h.digest() !== j.desc.digest) throw new DoNotRetry(`filesystem layer verification failed for digest ${j.desc.digest}`);
      update(out, j.id, 'Download complete');
      return;
    } catch (e) {
      if (e instanceof DoNotRetry || attempt >= attempts || !retryable(e)) throw e instanceof DoNotRetry ? invalidParameter(e.message) : e;
      const delay = opts.retryDelay ?? 1000;
      update(out, j.id, `Retrying in ${Math.max(1, Math.round(delay / 1000))} second${Math.round(delay / 1000) === 1 ? '' : 's'}`);
      await sleep(delay);
    }
  }
}

class DoNotRetry extends Error {}

function retryable(e: unknown): boolean {
  if (e instanceof TransportError) return e.retryable;
  if (e instanceof RegistryError) return e.status >= 500 || e.status === 0;
  return (e as NodeJS.ErrnoException)?.code === 'ECONNRESET' || (e as Error)?.message === 'aborted';
}

async function rehash(file: string, length: number): Promise<Hasher> {
  const h = new Hasher();
  if (length > 0) await pipeline(createReadStream(file, { end: length - 1 }), h, async function* (src) {
    for await (const _ of src) void _;
  });
  return h;
}

