// Images in and out as tar archives: `docker load` (docker-archive with manifest.json, or an OCI
// image layout), `docker save` (both at once: an OCI layout that also carries manifest.json and
// repositories, as docker 25+ writes it), and `docker import` of a root filesystem tarball.
import { mkdtempSync, readFileSync, realpathSync, rmSync, existsSync, createReadStream, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { ContentStore, Descriptor } from './content.js';
import { MEDIA, hexOf, sha256 } from './content.js';
import { invalidParameter, systemError, messageOf, isEngineError } from './errors.js';
import type { ContainerConfig, Image, ImageJSON, ImageStore } from './images.js';
import { chainIDs, decompressed, type LayerStore } from './layers.js';
import { familiarName, familiarString, parseNormalizedNamed, refName, tagNameOnly, withTag, type NamedRef } from './reference.js';
import { check } from './sys.js';

/** One JSON progress message, as dockerd streams them (pkg/jsonmessage). */
export interface JSONMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message: string };
  aux?: unknown;
}

export type Progress = (m: JSONMessage) => void;

export interface ArchiveDeps {
  content: ContentStore;
  layers: LayerStore;
  images: ImageStore;
  event: (action: string, id: string, attributes: Record<string, string>) => void;
}

interface ManifestItem {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
  Parent?: string;
}

/** Resolves a path inside the unpacked archive, refusing anything that escapes it. */
function safePath(root: string, rel: string): string {
  const p = join(root, rel);
  let real: string;
  try {
    real = realpathSync(p);
  } catch {
    throw invalidParameter(`open ${rel}: no such file or directory`);
  }
  if (real !== root && !real.startsWith(root + sep)) throw invalidParameter(`invalid path ${rel}: outside of the archive`);
  return real;
}

export function progressBar(current: number, total: number): string {
  const width = 50;
  const filled = total > 0 ? Math.floor((current / total) * width) : width;
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 && filled < width ? '>' : filled >= width ? '=' : '') + ' '.repeat(Math.max(0, width - filled));
  return `[${bar}] ${humanBytes(current)}/${humanBytes(total)}`;
}

/** units.HumanSize with the decimal prefixes dockerd's progress bars use. */
export function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/**
 * Stores a layer: the uncompressed tar goes into the content store (for `save`) and is unpacked
 * into the layer store on top of `parent`, both from one read.
 */
export async function ingestLayer(deps: ArchiveDeps, src: Readable, expectedDiffID: string | undefined, parent: string | undefined) {
  const plain = await decompressed(src);
  const toContent = new PassThrough();
  const toLayer = new PassThrough();
  plain.on('data', (b: Buffer) => {
    const a = toContent.write(b);
    const c = toLayer.write(b);
    if (!a || !c) {
      plain.pause();
      let waiting = (a ? 0 : 1) + (c ? 0 : 1);
      const resume = () => {
        if (--waiting === 0) plain.resume();
      };
      if (!a) toContent.once('drain', resume);
      if (!c) toLayer.once('drain', resume);
    }
  });
  plain.on('end', () => {
    toContent.end();
    toLayer.end();
  });
  plain.on('error', (e) => {
    toContent.destroy(e);
    toLayer.destroy(e);
  });
  const [blob, layer] = await Promise.all([deps.content.ingest(toContent, expectedDiffID), deps.layers.register(toLayer, expectedDiffID, parent)]);
  if (blob.digest !== layer.diffID) throw systemError(`layer digest mismatch: ${blob.digest} vs ${layer.diffID}`);
  return layer;
}

/** GNU tar's complaint as Go's archive/tar (which dockerd unpacks with) words it. */
function goTarError(msg: string, bytes: number): string {
  if (bytes < 512 || /unexpected eof/i.test(msg)) return 'unexpected EOF';
  if (/does not look like a tar archive/i.test(msg)) return 'archive/tar: invalid tar header';
  return msg.replace(/^tar: /, '');
}

/** Unpacks a whole archive into a temporary directory with GNU tar (which refuses `..` members). */
async function unpackArchive(src: Readable): Promise<string> {
  const dir = mkdtempSync('/tmp/berth-load-');
  let bytes = 0;
  src.on('data', (b: Buffer) => (bytes += b.length));
  try {
    await check('tar', ['-x', '-f', '-', '-C', dir, '--no-same-owner', '--no-same-permissions'], { input: src });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw invalidParameter(`Error processing tar file(exit status 1): ${goTarError(messageOf(e), bytes)}`);
  }
  return realpathSync(dir);
}

/** POST /images/load. */
export async function loadImages(deps: ArchiveDeps, src: Readable, out: Progress, quiet: boolean): Promise<void> {
  const dir = await unpackArchive(src);
  try {
    if (existsSync(join(dir, 'manifest.json'))) await loadDockerArchive(deps, dir, out, quiet);
    else if (existsSync(join(dir, 'index.json'))) await loadOCILayout(deps, dir, out, quiet);
    else throw invalidParameter('open /var/lib/docker/tmp/docker-import/repositories: no such file or directory');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function loadLayers(deps: ArchiveDeps, diffIDs: string[], files: string[], out: Progress, quiet: boolean) {
  let parent: string | undefined;
  for (let i = 0; i < diffIDs.length; i++) {
    const chain = chainIDs(diffIDs.slice(0, i + 1)).pop()!;
    if (!deps.layers.has(chain) || !deps.content.has(diffIDs[i]!)) {
      const file = files[i]!;
      const total = statSync(file).size;
      const layer = await ingestLayer(deps, createReadStream(file), diffIDs[i], parent).catch((e: unknown) => {
        if (isEngineError(e) && /invalid diffID/.test(e.message)) {
          throw invalidParameter(`invalid diffID for layer ${i}: expected "${diffIDs[i]}", got "${e.message.split('got "')[1]?.replace(/"$/, '')}"`);
        }
        throw e;
      });
      if (!quiet) out({ status: 'Loading layer', progressDetail: { current: total, total }, progress: progressBar(total, total), id: hexOf(layer.diffID).slice(0, 12) });
    }
    parent = chain;
  }
}

function tagLoaded(deps: ArchiveDeps, img: Image, repoTag: string, out: Progress): void {
  const ref = parseNormalizedNamed(repoTag);
  if (!ref.tag || ref.digest) throw invalidParameter(`invalid tag "${repoTag}"`);
  const prev = deps.images.tag(img.id, ref);
  if (prev && prev !== img.id) {
    out({ stream: `The image ${familiarString(ref)} already exists, renaming the old one with ID ${prev} to empty string\n` });
  }
  out({ stream: `Loaded image: ${familiarString(ref)}\n` });
}

async function loadDockerArchive(deps: ArchiveDeps, dir: string, out: Progress, quiet: boolean): Promise<void> {
  let manifest: ManifestItem[];
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ManifestItem[];
  } catch (e) {
    throw invalidParameter(messageOf(e));
  }
  let idLines = '';
  let tagged = 0;
  for (const m of manifest) {
    const configBytes = readFileSync(safePath(dir, m.Config));
    const config = parseConfig(configBytes);
    const diffIDs = config.rootfs?.diff_ids ?? [];
    if (m.Layers.length !== diffIDs.length) {
      throw invalidParameter(`invalid manifest, layers length mismatch: expected ${m.Layers.length}, got ${diffIDs.length}`);
    }
    if (config.os && config.os !== 'linux') throw invalidParameter(`cannot load ${config.os} image on linux`);
    await loadLayers(deps, diffIDs, m.Layers.map((l) => safePath(dir, l)), out, quiet);
    const img = deps.images.create(configBytes);
    idLines += `Loaded image ID: ${img.id}\n`;
    tagged = 0;
    for (const t of m.RepoTags ?? []) {
      tagLoaded(deps, img, t, out);
      tagged++;
    }
    deps.event('load', img.id, { name: img.id });
  }
  if (tagged === 0) out({ stream: idLines });
}

async function loadOCILayout(deps: ArchiveDeps, dir: string, out: Progress, quiet: boolean): Promise<void> {
  const readJSON = <T>(digest: string): T => JSON.parse(readFileSync(safePath(dir, join('blobs', ...digest.split(':'))), 'utf8')) as T;
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests?: Descriptor[] };
  let idLines = '';
  let tagged = 0;
  const visit = async (d: Descriptor, name: string | undefined): Promise<void> => {
    if (d.mediaType === MEDIA.ociIndex || d.mediaType === MEDIA.dockerManifestList) {
      const sub = readJSON<{ manifests?: Descriptor[] }>(d.digest);
      const pick = (sub.manifests ?? []).filter((x) => !x.platform || (x.platform.os === 'linux' && x.platform.architecture === 'amd64'));
      if (pick.length === 0) throw invalidParameter('no matching manifest for linux/amd64 in the manifest list entries');
      await visit(pick[0]!, name);
      return;
    }
    const m = readJSON<{ config: Descriptor; layers: Descriptor[] }>(d.digest);
    const configBytes = readFileSync(safePath(dir, join('blobs', ...m.config.digest.split(':'))));
    if (sha256(configBytes) !== m.config.digest) throw invalidParameter(`digest mismatch for config ${m.config.digest}`);
    const config = parseConfig(configBytes);
    const diffIDs = config.rootfs?.diff_ids ?? [];
    if (m.layers.length !== diffIDs.length) {
      throw invalidParameter(`invalid manifest, layers length mismatch: expected ${m.layers.length}, got ${diffIDs.length}`);
    }
    await loadLayers(deps, diffIDs, m.layers.map((l) => safePath(dir, join('blobs', ...l.digest.split(':')))), out, quiet);
    const img = deps.images.create(configBytes);
    idLines += `Loaded image ID: ${img.id}\n`;
    if (name) {
      tagLoaded(deps, img, name, out);
      tagged++;
    }
    deps.event('load', img.id, { name: img.id });
  };
  for (const d of index.manifests ?? []) {
    const full = d.annotations?.['io.containerd.image.name'];
    const short = d.annotations?.['org.opencontainers.image.ref.name'];
    // a bare OCI ref name is a tag, which names nothing on its own; a full reference names the image
    let name = full;
    if (!name && short && /[/:]/.test(short)) name = short;
    await visit(d, name);
  }
  if (tagged === 0) out({ stream: idLines });
}

function parseConfig(bytes: Buffer): ImageJSON {
  try {
    const c = JSON.parse(bytes.toString()) as ImageJSON;
    if (!c || typeof c !== 'object') throw new Error('not an object');
    return c;
  } catch (e) {
    throw invalidParameter(`invalid image JSON: ${messageOf(e)}`);
  }
}

/** Which images and names `docker save NAME...` exports. */
function resolveSave(deps: ArchiveDeps, names: string[]): Map<string, { img: Image; refs: NamedRef[] }> {
  const out = new Map<string, { img: Image; refs: NamedRef[] }>();
  const add = (img: Image, ref?: NamedRef) => {
    const e = out.get(img.id) ?? { img, refs: [] };
    if (ref && !e.refs.some((r) => familiarString(r) === familiarString(ref))) e.refs.push(ref);
    out.set(img.id, e);
  };
  for (const name of names) {
    let ref: NamedRef | undefined;
    try {
      ref = parseNormalizedNamed(name);
    } catch {
      ref = undefined;
    }
    if (ref && !ref.tag && !ref.digest) {
      // a bare repository name exports every tag of it
      const tagged = deps.images.list().flatMap((img) => img.refs.filter((r) => r.tag && refName(r) === refName(ref!)).map((r) => ({ img, r })));
      if (tagged.length > 0) {
        for (const { img, r } of tagged) add(img, r);
        continue;
      }
    }
    const img = deps.images.get(name);
    if (ref && img.refs.some((r) => familiarString(r) === familiarString(tagNameOnly(ref!)))) add(img, tagNameOnly(ref));
    else add(img);
  }
  return out;
}

/** GET /images/get: writes the archive to `dest`. Unknown names fail before anything is written. */
export async function saveImages(deps: ArchiveDeps, names: string[], dest: Writable): Promise<void> {
  const chosen = resolveSave(deps, names);
  const pack = tar.pack();
  const done = pipeline(pack, dest);
  const epoch = new Date(0);
  const written = new Set<string>();
  const addFile = async (name: string, data: Buffer | { path: string; size: number }, mtime = epoch) => {
    if (Buffer.isBuffer(data)) {
      pack.entry({ name, size: data.length, mode: 0o644, mtime }, data);
      return;
    }
    await pipeline(createReadStream(data.path), pack.entry({ name, size: data.size, mode: 0o644, mtime }));
  };
  const blob = async (digest: string) => {
    if (written.has(digest)) return;
    written.add(digest);
    if (!deps.content.has(digest)) throw systemError(`content ${digest} is missing from the store`);
    await addFile(`blobs/sha256/${hexOf(digest)}`, { path: deps.content.path(digest), size: deps.content.size(digest) });
  };
  try {
    pack.entry({ name: 'blobs', type: 'directory', mode: 0o755, mtime: epoch });
    pack.entry({ name: 'blobs/sha256', type: 'directory', mode: 0o755, mtime: epoch });
    const manifestJSON: ManifestItem[] = [];
    const index: Descriptor[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const { img, refs } of chosen.values()) {
      for (const l of img.layers) await blob(l.diffID);
      await blob(img.id);
      await blob(img.manifest.digest);
      const tags = refs.filter((r) => r.tag);
      manifestJSON.push({
        Config: `blobs/sha256/${hexOf(img.id)}`,
        RepoTags: tags.map(familiarString),
        Layers: img.layers.map((l) => `blobs/sha256/${hexOf(l.diffID)}`),
      });
      const base: Descriptor = { mediaType: img.manifest.mediaType, digest: img.manifest.digest, size: img.manifest.size };
      if (tags.length === 0) index.push(base);
      for (const r of tags) {
        index.push({ ...base, annotations: { 'io.containerd.image.name': `${refName(r)}:${r.tag}`, 'org.opencontainers.image.ref.name': r.tag! } });
        (repositories[familiarName(r)] ??= {})[r.tag!] = hexOf(img.layers[img.layers.length - 1]?.diffID ?? img.id);
      }
      deps.event('save', img.id, { name: img.id });
    }
    await addFile('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: index })));
    await addFile('manifest.json', Buffer.from(JSON.stringify(manifestJSON)));
    await addFile('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    if (Object.keys(repositories).length > 0) await addFile('repositories', Buffer.from(JSON.stringify(repositories)));
    pack.finalize();
  } catch (e) {
    pack.destroy(e as Error);
    throw e;
  }
  await done;
}

// ---- docker import ---------------------------------------------------------------------------

const VALID_CHANGES = ['cmd', 'entrypoint', 'env', 'expose', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir'];

function jsonArray(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(rest) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** Splits `k=v k2="v 2"` pairs, honouring double quotes and backslash escapes. */
function kvPairs(s: string): [string, string][] {
  const out: [string, string][] = [];
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i >= s.length) break;
    let word = '';
    let quote: string | undefined;
    while (i < s.length && (quote || (s[i] !== ' ' && s[i] !== '\t'))) {
      const ch = s[i]!;
      if (ch === '\\' && i + 1 < s.length) {
        word += s[i + 1];
        i += 2;
        continue;
      }
      if (quote && ch === quote) quote = undefined;
      else if (!quote && (ch === '"' || ch === "'")) quote = ch;
      else word += ch;
      i++;
    }
    const eq = word.indexOf('=');
    out.push(eq < 0 ? [word, ''] : [word.slice(0, eq), word.slice(eq + 1)]);
  }
  return out;
}

/** Applies `--change` Dockerfile instructions to a container config (dockerfile.BuildFromConfig). */
export function applyChanges(config: ContainerConfig, changes: string[]): ContainerConfig {
  const c: ContainerConfig = { ...config };
  for (const raw of changes) {
    const line = raw.trim();
    if (!line) continue;
    const sp = line.search(/\s/);
    const cmd = (sp < 0 ? line : line.slice(0, sp)).toLowerCase();
    const rest = sp < 0 ? '' : line.slice(sp).trim();
    if (!VALID_CHANGES.includes(cmd)) throw invalidParameter(`${cmd} is not a valid change command`);
    const arr = jsonArray(rest);
    switch (cmd) {
      case 'cmd':
        c.Cmd = arr ?? ['/bin/sh', '-c', rest];
        break;
      case 'entrypoint':
        c.Entrypoint = arr ?? (rest ? ['/bin/sh', '-c', rest] : null);
        break;
      case 'env': {
        const pairs = rest.includes('=') ? kvPairs(rest) : [[rest.split(/\s+/)[0]!, rest.replace(/^\S+\s*/, '')] as [string, string]];
        const env = [...(c.Env ?? [])];
        for (const [k, v] of pairs) {
          const i = env.findIndex((e) => e.split('=')[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        c.Env = env;
        break;
      }
      case 'expose': {
        const ports = { ...(c.ExposedPorts ?? {}) };
        for (const p of rest.split(/\s+/).filter(Boolean)) ports[p.includes('/') ? p : `${p}/tcp`] = {};
        c.ExposedPorts = ports;
        break;
      }
      case 'label': {
        const labels = { ...(c.Labels ?? {}) };
        for (const [k, v] of kvPairs(rest)) labels[k] = v;
        c.Labels = labels;
        break;
      }
      case 'onbuild':
        c.OnBuild = [...(c.OnBuild ?? []), rest];
        break;
      case 'stopsignal':
        c.StopSignal = rest;
        break;
      case 'user':
        c.User = rest;
        break;
      case 'workdir':
        c.WorkingDir = rest;
        break;
      case 'volume': {
        const vols = { ...(c.Volumes ?? {}) };
        for (const v of arr ?? rest.split(/\s+/).filter(Boolean)) vols[v] = {};
        c.Volumes = vols;
        break;
      }
    }
  }
  return c;
}

/** The empty container config dockerd marshals for an imported image. */
export function emptyContainerConfig(): ContainerConfig {
  return {
    Hostname: '',
    Domainname: '',
    User: '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: '',
    Volumes: null,
    WorkingDir: '',
    Entrypoint: null,
    OnBuild: null,
    Labels: null,
  };
}

export interface ImportOptions {
  repo?: string;
  tag?: string;
  message?: string;
  changes?: string[];
  src?: string;
  dockerVersion: string;
}

/** POST /images/create?fromSrc=-: a root filesystem tar becomes a one-layer image. */
export async function importImage(deps: ArchiveDeps, src: Readable, opts: ImportOptions, out: Progress): Promise<Image> {
  let ref: NamedRef | undefined;
  if (opts.repo) {
    ref = parseNormalizedNamed(opts.repo);
    if (ref.digest) throw invalidParameter('cannot import digest reference');
    if (opts.tag) ref = withTag(opts.repo, opts.tag);
  }
  const config = applyChanges(emptyContainerConfig(), opts.changes ?? []);
  const layer = await ingestLayer(deps, src, undefined, undefined);
  const created = new Date().toISOString();
  const msg = opts.message || `Imported from ${opts.src ?? '-'}`;
  const imageJSON: ImageJSON = {
    architecture: 'amd64',
    comment: msg,
    config,
    container_config: emptyContainerConfig(),
    created,
    docker_version: opts.dockerVersion,
    history: [{ created, comment: msg }],
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [layer.diffID] },
  };
  const img = deps.images.create(Buffer.from(JSON.stringify(imageJSON)));
  if (ref) deps.images.tag(img.id, tagNameOnly(ref));
  deps.event('import', img.id, { name: img.id });
  out({ status: img.id });
  return img;
}
