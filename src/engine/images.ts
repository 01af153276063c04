// The image store: images as OCI manifests in the content store, named through index.json
// annotations, with their layers unpacked in the layer store. Lookup, tagging and removal follow
// dockerd's image service (daemon/images/image.go, image_delete.go).
import type { ContentStore, Descriptor } from './content.js';
import { MEDIA, hexOf } from './content.js';
import { conflict, invalidParameter, notFound } from './errors.js';
import { chainIDs, type LayerInfo, type LayerStore } from './layers.js';
import {
  familiarName,
  familiarString,
  parseAnyReference,
  parseNormalizedNamed,
  refName,
  refString,
  tagNameOnly,
  type NamedRef,
} from './reference.js';

/** The container configuration an image carries (the `config` of the image JSON). */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: unknown;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[] | null;
}

/** The image configuration JSON (OCI image config plus Docker's fields). */
export interface ImageJSON {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  comment?: string;
  config?: ContainerConfig;
  container?: string;
  container_config?: ContainerConfig;
  docker_version?: string;
  rootfs?: { type: string; diff_ids?: string[] };
  history?: { created?: string; created_by?: string; author?: string; comment?: string; empty_layer?: boolean }[];
}

export interface Image {
  /** The image ID: the digest of its configuration. */
  id: string;
  manifest: Descriptor;
  config: ImageJSON;
  configSize: number;
  layers: LayerInfo[];
  /** Fully qualified references naming this image (tags and digests). */
  refs: NamedRef[];
  parent?: string;
  lastTagTime?: string;
}

export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

/** What the image store needs to know about containers for rmi's in-use checks. */
export interface ImageUser {
  id: string;
  imageID: string;
  running: boolean;
}

const ANNOT_NAME = 'io.containerd.image.name';
const ANNOT_REF = 'org.opencontainers.image.ref.name';
const ANNOT_PARENT = 'dev.berth.image.parent';
const ANNOT_TAGTIME = 'dev.berth.image.last-tag-time';

export const imageSize = (img: Image) => img.layers.reduce((n, l) => n + l.size, 0);
export const shortID = (id: string) => hexOf(id).slice(0, 12);

type EventLog = (action: string, id: string, attributes: Record<string, string>) => void;

export class ImageStore {
  private readonly images = new Map<string, Image>();
  /** refString → image ID */
  private readonly refs = new Map<string, string>();

  constructor(
    private readonly content: ContentStore,
    private readonly layerStore: LayerStore,
    private readonly users: () => ImageUser[],
    private readonly event: EventLog = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {
    this.restore();
  }

  private restore(): void {
    for (const d of this.content.readIndex()) {
      if (!this.content.has(d.digest)) continue;
      let img = [...this.images.values()].find((i) => i.manifest.digest === d.digest);
      if (!img) {
        const m = this.content.readJSON<{ config: Descriptor; layers: Descriptor[] }>(d.digest);
        const config = this.content.readJSON<ImageJSON>(m.config.digest);
        const chain = chainIDs(config.rootfs?.diff_ids ?? []);
        const layers = chain.map((c) => this.layerStore.get(c)).filter((l): l is LayerInfo => !!l);
        if (layers.length !== chain.length) continue; // a layer went missing: not restorable, as dockerd skips it
        img = { id: m.config.digest, manifest: { mediaType: d.mediaType, digest: d.digest, size: d.size }, config, configSize: m.config.size, layers, refs: [] };
        const parent = d.annotations?.[ANNOT_PARENT];
        if (parent) img.parent = parent;
        const tt = d.annotations?.[ANNOT_TAGTIME];
        if (tt) img.lastTagTime = tt;
        this.images.set(img.id, img);
      }
      const name = d.annotations?.[ANNOT_NAME];
      if (name) {
        const r = parseNormalizedNamed(name);
        img.refs.push(r);
        this.refs.set(refString(r), img.id);
      }
    }
  }

  private persist(): void {
    const out: Descriptor[] = [];
    for (const img of this.images.values()) {
      const annotations: Record<string, string> = {};
      if (img.parent) annotations[ANNOT_PARENT] = img.parent;
      if (img.lastTagTime) annotations[ANNOT_TAGTIME] = img.lastTagTime;
      const base = { ...img.manifest, platform: { architecture: img.config.architecture ?? 'amd64', os: img.config.os ?? 'linux' } };
      if (img.refs.length === 0) out.push({ ...base, annotations });
      for (const r of img.refs) {
        const named: Record<string, string> = { ...annotations, [ANNOT_NAME]: refString(r) };
        if (r.tag) named[ANNOT_REF] = r.tag;
        out.push({ ...base, annotations: named });
      }
    }
    this.content.writeIndex(out);
  }

  list(): Image[] {
    return [...this.images.values()];
  }

  byID(id: string): Image | undefined {
    return this.images.get(id);
  }

  /** References of an image, sorted as dockerd's reference store returns them. */
  refsOf(img: Image): NamedRef[] {
    return [...img.refs].sort((a, b) => familiarString(a).localeCompare(familiarString(b)));
  }

  repoTags(img: Image): string[] {
    return this.refsOf(img)
      .filter((r) => r.tag && !r.digest)
      .map(familiarString);
  }

  repoDigests(img: Image): string[] {
    return this.refsOf(img)
      .filter((r) => r.digest)
      .map((r) => `${familiarName(r)}@${r.digest}`);
  }

  /** GetImage: a full ID or digest, a name (with the default tag), else an unambiguous ID prefix. */
  get(refOrID: string): Image {
    const img = this.find(refOrID);
    if (img) return img;
    throw notFound(`No such image: ${this.displayRef(refOrID)}`);
  }

  /** As `get`, but undefined when nothing matches; a malformed reference still throws. */
  find(refOrID: string): Image | undefined {
    const any = parseAnyReference(refOrID);
    if (any.kind === 'digest') return this.images.get(any.digest);
    const id = this.refs.get(refString(tagNameOnly(any.ref)));
    if (id && this.images.has(id)) return this.images.get(id);
    return this.search(refOrID);
  }

  private displayRef(refOrID: string): string {
    try {
      const any = parseAnyReference(refOrID);
      return any.kind === 'digest' ? any.digest : familiarString(tagNameOnly(any.ref));
    } catch {
      return refOrID;
    }
  }

  /** An image by (possibly `sha256:`-prefixed) ID prefix; none if ambiguous. */
  private search(prefix: string): Image | undefined {
    const p = prefix.startsWith('sha256:') ? prefix.slice(7) : prefix;
    if (!/^[a-f0-9]+$/.test(p)) return undefined;
    const hits = [...this.images.keys()].filter((id) => hexOf(id).startsWith(p));
    return hits.length === 1 ? this.images.get(hits[0]!) : undefined;
  }

  /**
   * Records an image from its configuration bytes; its layers must already be in the layer store.
   * Returns the existing image when the configuration is already known.
   */
  create(configBytes: Buffer, parent?: string): Image {
    let config: ImageJSON;
    try {
      config = JSON.parse(configBytes.toString()) as ImageJSON;
    } catch (e) {
      throw invalidParameter(`invalid image JSON: ${(e as Error).message}`);
    }
    if (!config.rootfs || config.rootfs.type !== 'layers') throw invalidParameter('invalid image JSON, no RootFS key');
    const configDesc = this.content.put(configBytes, MEDIA.ociConfig);
    const existing = this.images.get(configDesc.digest);
    if (existing) return existing;
    const chain = chainIDs(config.rootfs.diff_ids ?? []);
    const layers = chain.map((c) => {
      const l = this.layerStore.get(c);
      if (!l) throw invalidParameter(`layer does not exist: ${c}`);
      return l;
    });
    const manifest = this.content.putJSON(
      {
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        config: configDesc,
        layers: layers.map((l) => ({ mediaType: MEDIA.ociLayer, digest: l.diffID, size: this.content.has(l.diffID) ? this.content.size(l.diffID) : 0 })),
      },
      MEDIA.ociManifest,
    );
    const img: Image = { id: configDesc.digest, manifest, config, configSize: configDesc.size, layers, refs: [] };
    if (parent) img.parent = parent;
    this.images.set(img.id, img);
    this.persist();
    return img;
  }

  /**
   * Points a reference at an image, taking it from any image that had it. Returns the ID of the
   * image that lost it, if any (docker load reports that).
   */
  tag(id: string, ref: NamedRef): string | undefined {
    const img = this.images.get(id);
    if (!img) throw notFound(`No such image: ${id}`);
    const key = refString(ref);
    const prev = this.refs.get(key);
    if (prev === id) {
      img.lastTagTime = this.now().toISOString();
      this.persist();
      return undefined;
    }
    if (prev) {
      const old = this.images.get(prev);
      if (old) old.refs = old.refs.filter((r) => refString(r) !== key);
    }
    img.refs.push(ref);
    img.lastTagTime = this.now().toISOString();
    this.refs.set(key, id);
    this.persist();
    this.event('tag', id, { name: familiarString(ref) });
    return prev;
  }

  /** POST /images/{name}/tag. */
  tagByName(source: string, ref: NamedRef): void {
    if (ref.digest) throw invalidParameter('refusing to create a tag with a digest reference');
    const img = this.get(source);
    this.tag(img.id, tagNameOnly(ref));
  }

  private removeRef(ref: NamedRef): NamedRef {
    const r = tagNameOnly(ref);
    const key = refString(r);
    const id = this.refs.get(key);
    if (id) {
      this.refs.delete(key);
      const img = this.images.get(id);
      if (img) img.refs = img.refs.filter((x) => refString(x) !== key);
    }
    return r;
  }

  /** ImageDelete: untag and/or delete, with dockerd's conflict rules and response records. */
  delete(refOrID: string, force: boolean, prune: boolean): ImageDeleteItem[] {
    const img = this.get(refOrID);
    const records: ImageDeleteItem[] = [];
    const users = this.users();
    let removedRepositoryRef = false;
    const isIDPrefix = img.id.startsWith(refOrID) || hexOf(img.id).startsWith(refOrID);
    if (!isIDPrefix) {
      if (!force && isSingleReference(img.refs)) {
        const user = users.find((c) => c.imageID === img.id);
        if (user) {
          throw conflict(
            `conflict: unable to remove repository reference "${refOrID}" (must force) - container ${shortID(user.id)} is using its referenced image ${shortID(img.id)}`,
          );
        }
      }
      const parsed = this.removeRef(parseNormalizedNamed(refOrID));
      records.push({ Untagged: familiarString(parsed) });
      this.event('untag', img.id, { name: img.id });
      if (!parsed.digest) {
        const sameRepoTag = img.refs.some((r) => !r.digest && refName(r) === refName(parsed));
        if (!sameRepoTag) {
          for (const r of img.refs.filter((x) => x.digest && refName(x) === refName(parsed))) {
            this.removeRef(r);
            records.push({ Untagged: familiarString(r) });
          }
        }
      }
      if (img.refs.length > 0) {
        this.persist();
        return records;
      }
      removedRepositoryRef = true;
    } else if (isSingleReference(img.refs)) {
      const c = force ? HARD : HARD | (SOFT & ~ACTIVE_REF);
      const err = this.conflictOf(img, c, users);
      if (err) throw conflict(err.message);
      for (const r of [...img.refs]) {
        const parsed = this.removeRef(r);
        records.push({ Untagged: familiarString(parsed) });
        this.event('untag', img.id, { name: img.id });
      }
    }
    this.deleteHelper(img, records, force, prune, removedRepositoryRef, users);
    this.persist();
    return records;
  }

  private conflictOf(img: Image, mask: number, users: ImageUser[]): { message: string; hard: boolean; used: boolean } | undefined {
    const say = (hard: boolean, msg: string) => `conflict: unable to delete ${shortID(img.id)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${msg}`;
    if (mask & CHILD && [...this.images.values()].some((i) => i.parent === img.id)) {
      return { hard: true, used: false, message: say(true, 'image has dependent child images') };
    }
    if (mask & RUNNING) {
      const c = users.find((u) => u.imageID === img.id && u.running);
      if (c) return { hard: true, used: true, message: say(true, `image is being used by running container ${shortID(c.id)}`) };
    }
    if (mask & ACTIVE_REF && img.refs.length > 0) {
      return { hard: false, used: false, message: say(false, 'image is referenced in multiple repositories') };
    }
    if (mask & STOPPED) {
      const c = users.find((u) => u.imageID === img.id && !u.running);
      if (c) return { hard: false, used: true, message: say(false, `image is being used by stopped container ${shortID(c.id)}`) };
    }
    return undefined;
  }

  private deleteHelper(img: Image, records: ImageDeleteItem[], force: boolean, prune: boolean, quiet: boolean, users: ImageUser[]): void {
    const c = force ? HARD : HARD | SOFT;
    const err = this.conflictOf(img, c, users);
    if (err) {
      const dangling = img.refs.length === 0 && ![...this.images.values()].some((i) => i.parent === img.id);
      if (quiet && (!dangling || err.used)) return;
      throw conflict(err.message);
    }
    for (const r of [...img.refs]) {
      const parsed = this.removeRef(r);
      records.push({ Untagged: familiarString(parsed) });
      this.event('untag', img.id, { name: img.id });
    }
    this.images.delete(img.id);
    this.event('delete', img.id, { name: img.id });
    records.push({ Deleted: img.id });
    for (const chainID of this.collectLayers()) records.push({ Deleted: chainID });
    if (prune && img.parent) {
      const parent = this.images.get(img.parent);
      if (parent) this.deleteHelper(parent, records, false, true, true, users);
    }
  }

  /** Removes layers no image or container uses any more; returns their ChainIDs, top first. */
  collectLayers(extraInUse: Iterable<string> = []): string[] {
    const used = new Set<string>(extraInUse);
    for (const i of this.images.values()) for (const l of i.layers) used.add(l.chainID);
    for (const u of this.containerLayers()) used.add(u);
    const removed: string[] = [];
    const all = this.layerStore.list();
    // top layers first, so a parent goes only after its children
    const depth = (l: LayerInfo) => this.layerStore.chain(l.chainID).length;
    for (const l of all.sort((a, b) => depth(b) - depth(a))) {
      if (used.has(l.chainID)) continue;
      this.layerStore.remove(l.chainID);
      removed.push(l.chainID);
    }
    return removed;
  }

  /** Layer chains that containers hold; set by the container service. */
  containerLayers: () => string[] = () => [];
}

const CHILD = 1;
const RUNNING = 2;
const ACTIVE_REF = 4;
const STOPPED = 8;
const HARD = CHILD | RUNNING;
const SOFT = ACTIVE_REF | STOPPED;

/** All references from one repository, with at most one tag. */
function isSingleReference(refs: NamedRef[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: NamedRef | undefined;
  const canonical = new Set<string>();
  for (const r of refs) {
    if (r.digest) canonical.add(refName(r));
    else if (!single) single = r;
    else return false;
  }
  single ??= refs[0]!;
  return canonical.size === 1 && canonical.has(refName(single));
}
