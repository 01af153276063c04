// A container's filesystem from the host, as dockerd's archive and changes code sees it:
// `docker cp` (a path's stat, a path as a tar, a tar extracted into a directory), `docker diff`
// (the writable layer against the layers below it) and `docker export` (the whole root as a tar),
// plus the init layer dockerd puts between the image and the writable layer.
//
// A view maps container paths to host paths: its root (the container's root mounted on the
// host, or /proc/<pid>/root of a running container, whose mount namespace has the volumes) and,
// for a root mounted here, the volumes and binds by destination. Every path is resolved inside
// the view (symlinks followed against the container's root, never the host's) before the host
// touches it, as dockerd's FollowSymlinkInScope does.
import { type BigIntStats, chmodSync, chownSync, closeSync, createReadStream, createWriteStream, existsSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { EngineError, invalidParameter, notFound } from './errors.js';
import { run } from './sys.js';
import { entry, gnuTar, type Hdr } from './build/layer.js';

export interface FsView {
  /** The host directory that is the container's "/". */
  root: string;
  /** Mounts to map by hand (a root mounted on the host has none of them): destination → host source. */
  mounts: { destination: string; source: string }[];
}

/** What `X-Docker-Container-Path-Stat` carries (dockerd's container.PathStat). */
export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode: permission bits with the type and special bits above them. */
  mode: number;
  /** RFC 3339 with nanoseconds, as Go's time.Time marshals. */
  mtime: string;
  linkTarget: string;
}

/** One entry of `docker diff`: 0 changed, 1 added, 2 deleted. */
export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

const MAX_LINKS = 255;

const split = (p: string) => p.split('/').filter((x) => x !== '' && x !== '.');

/** The host path of a container path that has no symlinks left in it. */
export function hostPath(view: FsView, path: string): string {
  let best: { destination: string; source: string } | undefined;
  for (const m of view.mounts) {
    if ((path === m.destination || path.startsWith(m.destination === '/' ? '/' : `${m.destination}/`)) && (!best || m.destination.length > best.destination.length)) best = m;
  }
  return best ? posix.join(best.source, path.slice(best.destination.length)) : posix.join(view.root, path);
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/**
 * The path with every symlink in it followed inside the view (the last element only when
 * followLast); what does not exist is kept as written. Never leaves the container's root: ".."
 * stops at "/" and an absolute link target starts again from the container's "/".
 */
export function resolveInScope(view: FsView, path: string, followLast: boolean): string {
  const remaining = split(path);
  const cur: string[] = [];
  let links = 0;
  while (remaining.length) {
    const part = remaining.shift()!;
    if (part === '..') {
      cur.pop();
      continue;
    }
    if (!remaining.length && !followLast) {
      cur.push(part);
      break;
    }
    const candidate = `/${[...cur, part].join('/')}`;
    const st = lstatOrUndefined(hostPath(view, candidate));
    if (!st?.isSymbolicLink()) {
      cur.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw invalidParameter(`too many links in ${path}`);
    const target = readlinkSync(hostPath(view, candidate));
    if (target.startsWith('/')) cur.length = 0;
    remaining.unshift(...split(target));
  }
  return `/${cur.join('/')}`;
}

/** os.FileMode of a stat: Go keeps the type and the setuid/setgid/sticky bits above the permissions. */
export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m += 2 ** 31;
  else if (st.isSymbolicLink()) m += 2 ** 27;
  else if (st.isFIFO()) m += 2 ** 25;
  else if (st.isSocket()) m += 2 ** 24;
  else if (st.isBlockDevice()) m += 2 ** 26;
  else if (st.isCharacterDevice()) m += 2 ** 26 + 2 ** 21;
  if (st.mode & 0o4000) m += 2 ** 23;
  if (st.mode & 0o2000) m += 2 ** 22;
  if (st.mode & 0o1000) m += 2 ** 20;
  return m;
}

/** Go's RFC3339Nano in UTC: the fraction with its trailing zeros dropped. */
function rfc3339Nano(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const base = new Date(Number(secs) * 1000).toISOString().replace(/\.\d+Z$/, '');
  const f = frac === 0n ? '' : `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${f}Z`;
}

/** `path` as given, made absolute, keeping a trailing "/" or "/." (PreserveTrailingDotOrSeparator). */
function absolute(path: string): string {
  const clean = posix.join('/', path);
  if (path.endsWith('/.') || path === '.') return clean === '/' ? '/.' : `${clean}/.`;
  if (path.endsWith('/') && clean !== '/') return `${clean}/`;
  return clean;
}

const fileNotFound = (path: string, container: string) => notFound(`Could not find the file ${path} in container ${container}`);

/** ContainerStatPath: the last element is not followed; a symlink's target is given fully resolved. */
export function statPath(view: FsView, path: string, container: string): { stat: PathStat; resolved: string } {
  const abs = absolute(path);
  const resolved = resolveInScope(view, abs, false);
  const st = lstatOrUndefined(hostPath(view, resolved));
  if (!st) throw fileNotFound(path, container);
  const ns = lstatSync(hostPath(view, resolved), { bigint: true }).mtimeNs;
  const name = abs === '/' ? '/' : posix.basename(abs.replace(/\/$/, '')) || '/';
  return {
    stat: { name, size: st.size, mode: goFileMode(st), mtime: rfc3339Nano(ns), linkTarget: st.isSymbolicLink() ? resolveInScope(view, abs, true) : '' },
    resolved,
  };
}

/** uid and gid → names, from the container's own passwd and group files (as a tar run inside it has them). */
export interface Owners {
  user(uid: number): string | undefined;
  group(gid: number): string | undefined;
}

/**
 * Writes the tree at a container path (resolved) to `out` as a tar whose top entry is named
 * `rebase` (a directory's entries under it), in name order, hard links kept as links. An empty
 * rebase leaves the top directory out and names its entries from there (`docker export`).
 */
export async function tarPath(view: FsView, resolved: string, rebase: string, owners: Owners, out: Writable): Promise<void> {
  const packer = tar.pack();
  const done = pipeline(packer as unknown as Readable, out);
  const seen = new Map<string, string>();
  const walk = async (cpath: string, name: string): Promise<void> => {
    const host = hostPath(view, cpath);
    const st = lstatOrUndefined(host);
    if (!st || st.isSocket()) return;
    const h: Hdr = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    const uname = owners.user(st.uid);
    const gname = owners.group(st.gid);
    if (uname !== undefined) h.uname = uname;
    if (gname !== undefined) h.gname = gname;
    if (st.isDirectory()) {
      if (name !== '') await entry(packer, { ...h, name: name.endsWith('/') ? name : `${name}/`, type: 'directory' });
      const kids = readdirSync(host).sort();
      for (const k of kids) await walk(posix.join(cpath, k), posix.join(name, k));
      return;
    }
    if (st.isSymbolicLink()) return entry(packer, { ...h, type: 'symlink', linkname: readlinkSync(host) });
    if (st.isFIFO()) return entry(packer, { ...h, type: 'fifo' });
    if (st.isCharacterDevice() || st.isBlockDevice()) {
      return entry(packer, { ...h, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: Math.floor(st.rdev / 256) & 0xfff, devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) });
    }
    if (st.nlink > 1) {
      const id = `${st.dev}:${st.ino}`;
      const first = seen.get(id);
      if (first !== undefined) return entry(packer, { ...h, type: 'link', linkname: first });
      seen.set(id, name);
    }
    const w = packer.entry({ ...h, type: 'file', size: st.size });
    await pipeline(createReadStream(host), w as unknown as Writable);
  };
  try {
    await walk(resolved, rebase);
    packer.finalize();
  } catch (e) {
    packer.destroy(e as Error);
  }
  await done;
}

/** The name a path's archive entries start with (dockerd rebases the resolved name onto the asked one). */
export function archiveName(path: string): string {
  const abs = absolute(path);
  if (abs === '/') return '/';
  return posix.basename(abs.endsWith('/') ? abs.slice(0, -1) : abs);
}

export interface ExtractOptions {
  noOverwriteDirNonDir: boolean;
  /** Owner of everything extracted (copyUIDGID: the container's user); else the archive's own. */
  chown?: { uid: number; gid: number };
}

/**
 * Extracts a tar into a directory of the view (resolved), as dockerd's untar: entries cannot
 * leave the directory, parents are made as needed, an existing entry is replaced (a directory
 * merged into), hard links must point inside; directories get their times once filled.
 */
export async function extractTar(view: FsView, dir: string, input: Readable, opts: ExtractOptions): Promise<void> {
  const ex = tar.extract();
  // piped, not pipelined: a refused archive must not close the request it came in (the client
  // is still sending it and would see a broken pipe rather than the error)
  input.pipe(ex as unknown as Writable);
  const dirTimes: { host: string; mtime: Date }[] = [];
  try {
    for await (const e of ex) {
      const h = e.header;
      const rel = posix.normalize(h.name).replace(/\/$/, '');
      if (rel === '.' || rel === '') {
        e.resume();
        continue;
      }
      if (rel.startsWith('/') || rel === '..' || rel.startsWith('../')) throw invalidParameter(`${JSON.stringify(h.name)} is outside of ${JSON.stringify(dir)}`);
      const parent = resolveInScope(view, posix.join(dir, posix.dirname(rel)), true);
      makeParents(view, parent);
      const cpath = posix.join(parent, posix.basename(rel));
      const host = hostPath(view, cpath);
      const existing = lstatOrUndefined(host);
      const isDir = h.type === 'directory';
      if (existing) {
        if (opts.noOverwriteDirNonDir && existing.isDirectory() && !isDir) throw invalidParameter(`cannot overwrite directory "${cpath}" with non-directory "${rel}"`);
        if (opts.noOverwriteDirNonDir && !existing.isDirectory() && isDir) throw invalidParameter(`cannot overwrite non-directory "${cpath}" with directory "${rel}"`);
        if (!(existing.isDirectory() && isDir)) rmSync(host, { recursive: true, force: true });
      }
      const mode = (h.mode ?? 0o644) & 0o7777;
      const uid = opts.chown?.uid ?? h.uid ?? 0;
      const gid = opts.chown?.gid ?? h.gid ?? 0;
      const mtime = h.mtime ?? new Date();
      switch (h.type) {
        case 'directory':
          if (!existing?.isDirectory()) mkdirSync(host, { mode });
          e.resume();
          chownSync(host, uid, gid);
          chmodSync(host, mode);
          dirTimes.push({ host, mtime });
          continue;
        case 'symlink':
          e.resume();
          symlinkSync(h.linkname ?? '', host);
          lchownSync(host, uid, gid);
          lutimesSync(host, mtime, mtime);
          continue;
        case 'link': {
          e.resume();
          const target = posix.normalize(h.linkname ?? '');
          if (target.startsWith('/') || target === '..' || target.startsWith('../')) throw invalidParameter(`invalid hardlink ${JSON.stringify(h.linkname)}: outside of ${JSON.stringify(dir)}`);
          linkSync(hostPath(view, resolveInScope(view, posix.join(dir, target), false)), host);
          continue;
        }
        case 'character-device':
        case 'block-device':
        case 'fifo': {
          e.resume();
          const kind = h.type === 'fifo' ? ['p'] : [h.type === 'character-device' ? 'c' : 'b', String(h.devmajor ?? 0), String(h.devminor ?? 0)];
          const r = await run('mknod', ['-m', mode.toString(8), host, ...kind]);
          if (r.code !== 0) throw new EngineError('system', `mknod ${cpath}: ${r.stderr.trim()}`);
          chownSync(host, uid, gid);
          utimesSync(host, mtime, mtime);
          continue;
        }
        case 'file':
        case 'contiguous-file':
        case undefined:
        case null:
          // a new file (the old one, if any, is gone): no link to follow out of the view
          closeSync(openSync(host, 'wx', mode));
          await pipeline(e as unknown as Readable, createWriteStream(host, { flags: 'r+' }));
          chownSync(host, uid, gid);
          chmodSync(host, mode);
          utimesSync(host, mtime, mtime);
          continue;
        default:
          // pax headers and the like carry nothing to make
          e.resume();
      }
    }
  } catch (e) {
    input.unpipe(ex as unknown as Writable);
    ex.destroy();
    await drain(input);
    throw e;
  }
  for (const d of dirTimes.reverse()) utimesSync(d.host, d.mtime, d.mtime);
}

/** Reads the rest of a stream into nothing. */
export function drain(input: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (input.readableEnded || input.destroyed) return resolve();
    input.on('end', resolve).on('close', resolve).on('error', () => resolve());
    input.resume();
  });
}

/** Makes the missing directories of a resolved container path (0755, as dockerd's untar makes them). */
function makeParents(view: FsView, resolved: string): void {
  const parts = split(resolved);
  for (let i = 1; i <= parts.length; i++) {
    const host = hostPath(view, `/${parts.slice(0, i).join('/')}`);
    const st = lstatOrUndefined(host);
    if (!st) mkdirSync(host, { mode: 0o755 });
    else if (!st.isDirectory()) throw invalidParameter(`${`/${parts.slice(0, i).join('/')}`} is not a directory`);
  }
}

/** An overlay whiteout: a character device 0:0. */
const isWhiteout = (st: Stats | BigIntStats) => st.isCharacterDevice() && Number(st.rdev) === 0;

/** One directory of an overlay stack, with its opaque directories (opaqueDirs) as container paths. */
export interface OverlayLayer {
  dir: string;
  opaque: ReadonlySet<string>;
}

/** A path as the overlay of some layers shows it: its entry, and for a directory the layers it merges (top first). */
interface Merged {
  st: BigIntStats;
  layers: OverlayLayer[];
}

function lstatBig(p: string): BigIntStats | undefined {
  try {
    return lstatSync(p, { bigint: true });
  } catch {
    return undefined;
  }
}

/**
 * The entry at `path` in the merged directory `parent` (its parent directory): the top layer's,
 * a directory merged with the directories below it until an opaque one; a whiteout hides what is below.
 */
function mergedChild(parent: Merged | undefined, path: string): Merged | undefined {
  if (!parent || !parent.st.isDirectory()) return undefined;
  let found: Merged | undefined;
  for (const l of parent.layers) {
    const st = lstatBig(posix.join(l.dir, path));
    if (!st) continue;
    if (isWhiteout(st)) break;
    if (!found) found = { st, layers: [] };
    if (!st.isDirectory() || !found.st.isDirectory()) break;
    found.layers.push(l);
    if (l.opaque.has(path)) break;
  }
  return found;
}

/** Go's sameFsTime: equal, or equal to the second where either has no nanoseconds. */
const sameTime = (a: bigint, b: bigint) => a === b || (a / 1_000_000_000n === b / 1_000_000_000n && (a % 1_000_000_000n === 0n || b % 1_000_000_000n === 0n));

/** dockerd's statDifferent: type and mode, owner, device; for a non-directory also its time and size (a directory's change in time or size is none). */
const statDifferent = (a: BigIntStats, b: BigIntStats) =>
  a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev || (!a.isDirectory() && (!sameTime(a.mtimeNs, b.mtimeNs) || a.size !== b.size));

/**
 * `docker diff` of an overlay container, as dockerd's overlay2 driver works it out: the tree of
 * the container's layers (top first: the writable one, then its parent's) against the tree of
 * its parent's alone, each as the mounted overlay shows it (whiteouts hide, opaque directories
 * merge nothing below), compared entry by entry in name order: an entry the parent lacks is
 * added (with everything under it), one it has is changed when statDifferent, one only the
 * parent has is deleted (alone, not what was under it), and a directory with any change under
 * it is changed. Only paths the writable layer holds can differ, so only those are compared.
 * (dockerd also compares the security.capability attribute; this does not.)
 */
export function changes(layers: OverlayLayer[]): Change[] {
  const [upper, ...lowers] = layers;
  const out: Change[] = [];
  const rootSt = lstatSync(upper!.dir, { bigint: true });
  const visit = (path: string, now: Merged, before: Merged | undefined) => {
    const start = out.length;
    let marked = false;
    if (path !== '/') {
      if (!before) out.push({ Path: path, Kind: 1 });
      else if (statDifferent(before.st, now.st)) out.push({ Path: path, Kind: 0 });
      marked = out.length > start;
    }
    const here = now.layers[0] === upper ? readdirSync(posix.join(upper!.dir, path)) : [];
    const names = new Set(here);
    // an opaque directory of the writable layer hides what the parent had under it
    if (before?.st.isDirectory() && now.layers.length === 1 && now.layers[0] === upper) {
      for (const l of before.layers) for (const n of readdirSync(posix.join(l.dir, path))) names.add(n);
    }
    for (const name of [...names].sort()) {
      const p = posix.join(path, name);
      const a = mergedChild(now, p);
      const b = mergedChild(before, p);
      if (a) visit(p, a, b);
      else if (b) out.push({ Path: p, Kind: 2 });
    }
    if (!marked && out.length > start && path !== '/' && now.st.isDirectory()) out.splice(start, 0, { Path: path, Kind: 0 });
  };
  visit('/', { st: rootSt, layers: [upper!, ...lowers] }, { st: rootSt, layers: lowers });
  return out;
}

/**
 * The directories of an overlay's upper directory that are opaque (`trusted.overlay.opaque=y`:
 * overlayfs marks a directory made where one of a lower layer was removed), as container paths.
 * Node has no getxattr(2): GNU tar reads the directories alone (--no-recursion: no file is read)
 * and reports their extended attributes. Without CAP_SYS_ADMIN the attribute is hidden and none is found.
 */
export async function opaqueDirs(upper: string): Promise<Set<string>> {
  const dirs: string[] = [];
  const walk = (path: string) => {
    for (const d of readdirSync(posix.join(upper, path), { withFileTypes: true })) {
      if (!d.isDirectory()) continue;
      const p = posix.join(path, d.name);
      dirs.push(`.${p}`);
      walk(p);
    }
  };
  walk('/');
  const out = new Set<string>();
  if (!dirs.length) return out;
  const { extract, failure } = gnuTar(['-C', upper, '--xattrs', '--xattrs-include=trusted.overlay.opaque', '--no-recursion', '--null', '-T', '-', '--format=pax', '-cf', '-'], dirs.join('\0'));
  for await (const e of extract) {
    const pax = (e.header.pax ?? {}) as Record<string, string>;
    if (pax['SCHILY.xattr.trusted.overlay.opaque'] === 'y') out.add(`/${e.header.name.replace(/^\.\//, '').replace(/\/$/, '')}`);
    e.resume();
  }
  const failed = await failure();
  if (failed !== undefined) throw new Error(`reading the overlay's opaque directories: ${failed}`);
  return out;
}

/**
 * The init layer dockerd puts between the image and the writable layer (its initlayer.Setup):
 * the mount points runc would otherwise create in the writable layer (where `docker diff` would
 * show them), /.dockerenv and /etc/mtab. The files are made anew whatever the image has; the
 * directories only where the image (lowers, top first) has none. Made once, in its own directory.
 */
export function makeInitLayer(dir: string, lowers: string[]): void {
  if (existsSync(posix.join(dir, '.dockerenv'))) return;
  mkdirSync(dir, { recursive: true });
  const inImage = (path: string) => {
    for (const l of lowers) {
      const st = lstatOrUndefined(posix.join(l, path));
      if (st) return !isWhiteout(st);
    }
    return false;
  };
  for (const d of ['dev/pts', 'dev/shm', 'proc', 'sys']) if (!inImage(d)) mkdirSync(posix.join(dir, d), { recursive: true, mode: 0o755 });
  for (const f of ['etc/resolv.conf', 'etc/hosts', 'etc/hostname', 'dev/console']) {
    mkdirSync(posix.join(dir, posix.dirname(f)), { recursive: true, mode: 0o755 });
    writeFileSync(posix.join(dir, f), '', { mode: 0o755 });
  }
  if (!lstatOrUndefined(posix.join(dir, 'etc/mtab'))) symlinkSync('/proc/mounts', posix.join(dir, 'etc/mtab'));
  // last: its presence says the layer is whole
  writeFileSync(posix.join(dir, '.dockerenv'), '', { mode: 0o755 });
}

/**
 * A directory's size as dockerd counts disk usage (pkg/directory.Size): the sizes of everything
 * but directories, a hard-linked file once; 0 for a directory that is not there.
 */
export function dirSize(dir: string): number {
  const seen = new Set<number>();
  let size = 0;
  const walk = (p: string) => {
    let names: string[];
    try {
      names = readdirSync(p);
    } catch {
      return;
    }
    for (const n of names) {
      const q = posix.join(p, n);
      const st = lstatOrUndefined(q);
      if (!st) continue;
      if (st.isDirectory()) walk(q);
      else if (st.size > 0 && !seen.has(st.ino)) {
        seen.add(st.ino);
        size += st.size;
      }
    }
  };
  walk(dir);
  return size;
}
