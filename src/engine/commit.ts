// `docker commit`: a container's writable layer (its upper directory, in OCI form: whiteouts as
// `.wh.` files) becomes a layer on top of its image, and its configuration, with any `--change`
// instructions, the new image's (dockerd's CreateImageFromContainer). The container is paused
// while its layer is read, unless asked not to be.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { applyChanges, type ArchiveDeps } from './archive.js';
import { storeLayer, writeUpperDir } from './build/layer.js';
import type { ContainerService } from './containers.js';
import { conflict, invalidParameter } from './errors.js';
import type { ContainerConfig, ImageJSON } from './images.js';
import { isRunning } from './lifecycle.js';
import { familiarString, parseNormalizedNamed, tagNameOnly, withTag, type NamedRef } from './reference.js';

export interface CommitOptions {
  repo: string;
  tag: string;
  author: string;
  comment: string;
  pause: boolean;
  changes: string[];
  /** The request body's configuration (dockerd takes the container's when there is none). */
  config?: ContainerConfig | null;
  dockerVersion: string;
}

/** Returns the new image's ID. */
export async function commitContainer(deps: ArchiveDeps, containers: ContainerService, name: string, opts: CommitOptions): Promise<string> {
  const c = containers.get(name);
  let ref: NamedRef | undefined;
  if (opts.repo) {
    try {
      ref = opts.tag ? withTag(opts.repo, opts.tag) : parseNormalizedNamed(opts.repo);
    } catch {
      throw invalidParameter(`invalid reference format`);
    }
    if (ref.digest) throw invalidParameter('cannot commit to digest reference');
    ref = tagNameOnly(ref);
  }
  if (c.removed) throw conflict(`You cannot commit container ${c.id} which is being removed`);
  const config = applyChanges(opts.config ?? structuredClone(c.rec.Config), opts.changes);
  const base = c.rec.Image ? deps.content.readJSON<ImageJSON>(c.rec.Image) : undefined;
  const pause = opts.pause && isRunning(c.rec.State) && c.rec.State.status !== 'paused';
  if (pause) await containers.pause(c.id);
  const tmp = mkdtempSync(join(c.dir, 'commit-'));
  let layer: { diffID: string } | undefined;
  try {
    const file = join(tmp, 'layer.tar');
    const w = await writeUpperDir(file, join(c.dir, 'upper'), new Date());
    if (!w.empty) layer = (await storeLayer(deps.content, deps.layers, file, w.diffID, c.rec.ChainID || undefined)).info;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    if (pause) await containers.unpause(c.id).catch(() => undefined);
  }
  const created = new Date().toISOString();
  const hist: NonNullable<ImageJSON['history']>[number] = { created, created_by: [...(c.rec.Config.Entrypoint ?? []), ...(c.rec.Config.Cmd ?? [])].join(' ') };
  if (opts.author) hist.author = opts.author;
  if (opts.comment) hist.comment = opts.comment;
  if (!layer) hist.empty_layer = true;
  const img: ImageJSON = {
    architecture: base?.architecture ?? 'amd64',
    ...(opts.author ? { author: opts.author } : {}),
    ...(opts.comment ? { comment: opts.comment } : {}),
    config,
    container: c.id,
    container_config: c.rec.Config,
    created,
    docker_version: opts.dockerVersion,
    history: [...(base?.history ?? []), hist],
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [...(base?.rootfs?.diff_ids ?? []), ...(layer ? [layer.diffID] : [])] },
    ...(base?.variant ? { variant: base.variant } : {}),
  };
  const image = deps.images.create(Buffer.from(JSON.stringify(img)));
  if (ref) deps.images.tag(image.id, ref);
  containers.logEvent(c, 'commit', { comment: opts.comment, imageID: image.id, imageRef: ref ? familiarString(ref) : '' });
  if (ref) deps.event('tag', image.id, { name: familiarString(ref) });
  return image.id;
}
