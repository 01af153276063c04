// Files a COPY or ADD reads: the build context (the client's tar, unpacked once) or another
// stage's filesystem. Sources resolve as the classic builder resolves them (wildcards matched
// against every path, a leading symlink followed inside the root, nothing outside it), and each
// file is summarised by mode and content checksum: the content half of a COPY's cache key.
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { join, posix } from 'node:path';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { invalidParameter, messageOf } from '../errors.js';
import { check } from '../sys.js';
import { PatternMatcher, readDockerignore } from './dockerignore.js';
import { indexTar, inProcessReadable, unpackTar, type KnownFile, type RawTar, type TarIndex } from './untar.js';

/** One filesystem entry to copy, relative to the source root. */
export interface FileEntry {
  /** path relative to the copied source (""= the source itself) */
  rel: string;
  abs: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  size: number;
  mtime: Date;
  linkname?: string;
  /** sha256 of the content (files), of the target (symlinks) */
  checksum: string;
}

/** A resolved source: the path as matched and everything under it. */
export interface SourceInfo {
  /** path inside the source root, as matched (clean, relative) */
  path: string;
  isDir: boolean;
  entries: FileEntry[];
}

const hashOf = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Checksums the context's unpacking took, by absolute path (trusted while size and mtime agree). */
type Known = ReadonlyMap<string, KnownFile>;

/** What a source tree says of one path (lstat's answer). */
export interface TreeStat {
  type: 'file' | 'directory' | 'symlink' | 'other';
  mode: number;
  size: number;
  mtime: Date;
}

/** The filesystem calls a COPY's source resolution makes: a real directory, or a tar not unpacked yet (untar.ts). */
export interface Tree {
  lstat(abs: string): TreeStat | undefined;
  readlink(abs: string): string;
  readdir(abs: string): string[];
  /** sha256 (hex) of a regular file's content */
  checksum(abs: string, st: TreeStat): string;
}

/** A directory on disk. */
export class FsTree implements Tree {
  constructor(private readonly known?: Known) {}

  lstat(abs: string): TreeStat | undefined {
    try {
      const st = lstatSync(abs);
      const type = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
      return { type, mode: st.mode & 0o7777, size: st.size, mtime: st.mtime };
    } catch {
      return undefined;
    }
  }

  readlink(abs: string): string {
    return readlinkSync(abs);
  }

  readdir(abs: string): string[] {
    return readdirSync(abs);
  }

  checksum(abs: string, st: TreeStat): string {
    const k = this.known?.get(abs);
    return k && k.size === st.size && k.mtimeMs === st.mtime.getTime() ? k.sha256 : hashOf(readFileSync(abs));
  }
}

function entryOf(tree: Tree, abs: string, rel: string, st: TreeStat): FileEntry {
  const base = { rel, abs, mode: st.mode, mtime: st.mtime };
  if (st.type === 'symlink') {
    const linkname = tree.readlink(abs);
    return { ...base, type: 'symlink', size: 0, linkname, checksum: hashOf(linkname) };
  }
  if (st.type === 'directory') return { ...base, type: 'directory', size: 0, checksum: '' };
  if (st.type !== 'file') throw invalidParameter(`unsupported file type for ${rel}`);
  return { ...base, type: 'file', size: st.size, checksum: tree.checksum(abs, st) };
}

/** Every entry under a directory, parents before children, names sorted. */
function walk(tree: Tree, root: string, prefix: string, out: FileEntry[], skip?: (rel: string) => boolean): void {
  for (const name of tree.readdir(root).sort()) {
    const abs = join(root, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (skip?.(rel)) continue;
    const st = tree.lstat(abs)!;
    out.push(entryOf(tree, abs, rel, st));
    if (st.type === 'directory') walk(tree, abs, rel, out, skip);
  }
}

const hasWildcard = (s: string) => /[*?[\\]/.test(s);

/** filepath.Match: `*` and `?` do not cross "/", `[...]` classes, `\` escapes. */
export function globMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += '\\' + pattern[++i];
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return false;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '^' + cls.slice(1);
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+(){}|$^]/g, '\\$&');
  }
  return new RegExp(re + '$', 's').test(name);
}

/** A directory tree COPY reads from: the build context or a stage's mounted filesystem. */
export class SourceRoot {
  constructor(
    readonly root: string,
    /** how a missing source is reported */
    readonly kind: 'context' | 'stage',
    /** the tree it reads (a context's changes once it is unpacked) */
    private readonly tree: () => Tree = () => new FsTree(),
  ) {}

  /** Resolves `p` inside the root, following symlinks but never leaving it. */
  private resolveInScope(p: string): string | undefined {
    const parts = p.split('/').filter((x) => x && x !== '.');
    let cur = this.root;
    let hops = 0;
    const stack = [...parts];
    const trail: string[] = [];
    while (stack.length) {
      const part = stack.shift()!;
      if (part === '..') {
        trail.pop();
        cur = join(this.root, ...trail);
        continue;
      }
      const next = join(cur, part);
      const st = this.tree().lstat(next);
      if (!st) return undefined;
      if (st.type === 'symlink') {
        if (++hops > 255) return undefined;
        const target = this.tree().readlink(next);
        if (target.startsWith('/')) {
          trail.length = 0;
          cur = this.root;
        }
        stack.unshift(...target.split('/').filter((x) => x && x !== '.'));
        continue;
      }
      trail.push(part);
      cur = next;
    }
    return cur;
  }

  /** Sources as the copier computes them: wildcards expanded, each with its entries. */
  resolve(src: string, skip?: (rel: string) => boolean): SourceInfo[] {
    const clean = posix.normalize('/' + src).slice(1).replace(/\/$/, '');
    if (this.kind === 'context' && posix.normalize(src).startsWith('..')) {
      throw invalidParameter(`Forbidden path outside the build context: ${src} ()`);
    }
    if (hasWildcard(clean)) {
      const all: FileEntry[] = [];
      walk(this.tree(), this.root, '', all, skip);
      const hits = all.filter((e) => globMatch(clean, e.rel));
      if (hits.length === 0) throw this.notFound(src);
      return hits.map((h) => this.infoAt(h.rel, h.abs));
    }
    const abs = clean === '' ? this.root : this.resolveInScope(clean);
    if (!abs || !this.tree().lstat(abs) || (clean !== '' && skip?.(clean))) throw this.notFound(src);
    return [this.infoAt(clean, abs, skip)];
  }

  private infoAt(rel: string, abs: string, skip?: (rel: string) => boolean): SourceInfo {
    const tree = this.tree();
    let st = tree.lstat(abs)!;
    if (st.type === 'symlink') {
      // a wildcard's match that is a symlink is followed, inside the root (FollowSymlinkInScope)
      const target = this.resolveInScope(rel);
      const tst = target === undefined ? undefined : tree.lstat(target);
      if (!target || !tst) throw this.notFound(rel);
      abs = target;
      st = tst;
    }
    if (st.type === 'directory') {
      const entries: FileEntry[] = [];
      walk(tree, abs, '', entries, skip && ((r) => skip(rel ? `${rel}/${r}` : r)));
      return { path: rel, isDir: true, entries: [{ ...entryOf(tree, abs, '', st) }, ...entries] };
    }
    return { path: rel, isDir: false, entries: [entryOf(tree, abs, '', st)] };
  }

  private notFound(src: string): Error {
    const msg = this.kind === 'context' ? `file not found in build context or excluded by .dockerignore: stat ${src}: file does not exist` : `stat ${src}: file does not exist`;
    return invalidParameter(msg);
  }
}

/** The summary of a source that keys the cache: each entry's path, type, mode and checksum. */
export function sourceChecksums(infos: SourceInfo[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const info of infos) {
    for (const e of info.entries) {
      const key = e.rel ? (info.path ? `${info.path}/${e.rel}` : e.rel) : info.path || '.';
      out[key] = `${e.type[0]}:${e.mode.toString(8)}:${e.checksum}`;
    }
  }
  return out;
}

/** A tar failure in the words of Go's archive/tar, which dockerd unpacks with. */
function tarError(msg: string): string {
  if (/unexpected end of data|unexpected eof/i.test(msg)) return 'unexpected EOF';
  if (/invalid tar header|does not look like a tar archive/i.test(msg)) return 'archive/tar: invalid tar header';
  return msg.replace(/^tar: /, '');
}

/** The hash the classic builder writes into history: file:, dir: or multi: then hex. */
export function sourceHash(infos: SourceInfo[], extra: string[] = []): string {
  const one = (i: SourceInfo) => `${i.isDir ? 'dir' : 'file'}:${hashOf(JSON.stringify(sourceChecksums([i])))}`;
  const all = [...infos.map(one), ...extra];
  if (all.length === 1) return all[0]!;
  return `multi:${hashOf(all.join(','))}`;
}

/** Files of the context kept in memory for reading without unpacking (the Dockerfile, .dockerignore). */
const READABLE_BYTES = 1 << 20;

/**
 * The build context (the body of POST /build). A client's tar is indexed as it arrives, each
 * file's checksum taken, and unpacked to disk only when a COPY or ADD from it misses the cache:
 * an unchanged rebuild writes none of its files (creating files is most of a warm rebuild's time).
 */
export class BuildContext {
  readonly source: SourceRoot;
  private tree: Tree;
  private removed: string[] = [];

  private constructor(
    readonly dir: string,
    private index?: TarIndex,
    private raw?: RawTar,
  ) {
    this.tree = index ?? new FsTree();
    this.source = new SourceRoot(dir, 'context', () => this.tree);
  }

  /** Takes the client's tar (plain or gzip in process; bzip2 and xz unpacked by GNU tar at once). */
  static async fromTar(src: Readable, tmpRoot: string): Promise<BuildContext> {
    const dir = realpathSync(mkdtempSync(join(tmpRoot, 'context-')));
    try {
      const { ok, stream } = await inProcessReadable(src);
      if (ok) {
        const { index, raw } = await indexTar(stream, dir, { readableBytes: READABLE_BYTES, spool: `${dir}.tar` });
        return new BuildContext(dir, index, raw);
      }
      // -a is not for extraction; GNU tar detects bzip2/xz itself
      await check('tar', ['-x', '-f', '-', '-C', dir, '--no-same-owner', '--delay-directory-restore'], { input: stream });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}.tar`, { force: true });
      throw invalidParameter(`Error processing tar file(exit status 1): ${tarError(messageOf(e))}`);
    }
    return new BuildContext(dir);
  }

  /** A context over an existing directory (tests, in-process builds): do not close() it, that deletes it. */
  static fromDir(dir: string): BuildContext {
    return new BuildContext(realpathSync(dir));
  }

  /** Unpacks the context into its directory, if it is not there yet (before a COPY or ADD that copies from it). */
  async materialize(): Promise<void> {
    if (!this.raw) return;
    const known = await unpackTar(this.raw.stream(), this.dir);
    for (const p of this.removed) rmSync(p, { force: true });
    this.raw.dispose();
    this.raw = undefined;
    this.index = undefined;
    this.tree = new FsTree(known);
  }

  private async readText(rel: string): Promise<string | undefined> {
    const p = join(this.dir, rel);
    const data = this.index?.content(p);
    if (data) return data.toString('utf8');
    const st = this.tree.lstat(p);
    if (!st) return undefined;
    await this.materialize();
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  }

  /** The Dockerfile's text; "Dockerfile" falls back to "dockerfile", as upstream does. */
  async readDockerfile(name: string): Promise<{ name: string; text: string }> {
    const tryRead = (n: string): Promise<string | undefined> => {
      const clean = posix.normalize('/' + n).slice(1);
      if (!join(this.dir, clean).startsWith(this.dir)) throw invalidParameter(`Forbidden path outside the build context: ${n} ()`);
      return this.readText(clean);
    };
    let text = await tryRead(name);
    let used = name;
    if (text === undefined && name === 'Dockerfile') {
      text = await tryRead('dockerfile');
      used = 'dockerfile';
    }
    if (text === undefined) throw invalidParameter(`Cannot locate specified Dockerfile: ${name}`);
    if (text.length === 0) throw invalidParameter(`the Dockerfile (${used}) cannot be empty`);
    return { name: used, text };
  }

  /** .dockerignore patterns, if the context has one. */
  async ignorePatterns(): Promise<string[]> {
    const text = await this.readText('.dockerignore');
    return text === undefined ? [] : readDockerignore(text);
  }

  /** removeDockerfile: .dockerignore and the Dockerfile leave the context when it excludes them. */
  async removeIgnoredSpecials(dockerfile: string): Promise<void> {
    const pats = await this.ignorePatterns();
    if (pats.length === 0) return;
    const m = new PatternMatcher(pats);
    for (const f of ['.dockerignore', dockerfile]) {
      if (!m.matches(f)) continue;
      const p = join(this.dir, f);
      if (this.index) {
        this.index.remove(p);
        this.removed.push(p);
      } else rmSync(p, { force: true });
    }
  }

  close(): void {
    this.raw?.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Removes the context in the background (after the build's answer has gone). */
  async closeLater(): Promise<void> {
    this.raw?.dispose();
    await rm(this.dir, { recursive: true, force: true });
  }
}
