// Files a COPY or ADD reads: the build context (the client's tar, unpacked once) or another
// stage's filesystem. Sources resolve as the classic builder resolves them (wildcards matched
// against every path, a leading symlink followed inside the root, nothing outside it), and each
// file is summarised by mode and content checksum: the content half of a COPY's cache key.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { invalidParameter, messageOf } from '../errors.js';
import { check } from '../sys.js';
import { PatternMatcher, readDockerignore } from './dockerignore.js';

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

function entryOf(abs: string, rel: string, st: Stats): FileEntry {
  const mode = st.mode & 0o7777;
  const base = { rel, abs, mode, mtime: st.mtime };
  if (st.isSymbolicLink()) {
    const linkname = readlinkSync(abs);
    return { ...base, type: 'symlink', size: 0, linkname, checksum: hashOf(linkname) };
  }
  if (st.isDirectory()) return { ...base, type: 'directory', size: 0, checksum: '' };
  if (!st.isFile()) throw invalidParameter(`unsupported file type for ${rel}`);
  return { ...base, type: 'file', size: st.size, checksum: hashOf(readFileSync(abs)) };
}

/** Every entry under a directory, parents before children, names sorted. */
function walk(root: string, prefix: string, out: FileEntry[], skip?: (rel: string) => boolean): void {
  for (const name of readdirSync(root).sort()) {
    const abs = join(root, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (skip?.(rel)) continue;
    const st = lstatSync(abs);
    out.push(entryOf(abs, rel, st));
    if (st.isDirectory()) walk(abs, rel, out, skip);
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
      let st: Stats;
      try {
        st = lstatSync(next);
      } catch {
        return undefined;
      }
      if (st.isSymbolicLink()) {
        if (++hops > 255) return undefined;
        const target = readlinkSync(next);
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
      walk(this.root, '', all, skip);
      const hits = all.filter((e) => globMatch(clean, e.rel));
      if (hits.length === 0) throw this.notFound(src);
      return hits.map((h) => this.infoAt(h.rel, h.abs));
    }
    const abs = clean === '' ? this.root : this.resolveInScope(clean);
    if (!abs || !existsSync(abs) || (clean !== '' && skip?.(clean))) throw this.notFound(src);
    return [this.infoAt(clean, abs, skip)];
  }

  private infoAt(rel: string, abs: string, skip?: (rel: string) => boolean): SourceInfo {
    const st = statSync(abs);
    if (st.isDirectory()) {
      const entries: FileEntry[] = [];
      walk(abs, '', entries, skip && ((r) => skip(rel ? `${rel}/${r}` : r)));
      return { path: rel, isDir: true, entries: [{ ...entryOf(abs, '', st) }, ...entries] };
    }
    return { path: rel, isDir: false, entries: [entryOf(abs, '', st)] };
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

/** The hash the classic builder writes into history: file:, dir: or multi: then hex. */
export function sourceHash(infos: SourceInfo[], extra: string[] = []): string {
  const one = (i: SourceInfo) => `${i.isDir ? 'dir' : 'file'}:${hashOf(JSON.stringify(sourceChecksums([i])))}`;
  const all = [...infos.map(one), ...extra];
  if (all.length === 1) return all[0]!;
  return `multi:${hashOf(all.join(','))}`;
}

/** The unpacked build context (the body of POST /build). */
export class BuildContext {
  readonly source: SourceRoot;

  private constructor(readonly dir: string) {
    this.source = new SourceRoot(dir, 'context');
  }

  /** Unpacks the client's tar (plain or compressed) into a fresh directory under `tmpRoot`. */
  static async fromTar(src: Readable, tmpRoot: string): Promise<BuildContext> {
    const dir = mkdtempSync(join(tmpRoot, 'context-'));
    try {
      // -a is not for extraction; GNU tar detects gzip/bzip2/xz itself
      await check('tar', ['-x', '-f', '-', '-C', dir, '--no-same-owner', '--delay-directory-restore'], { input: src });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw invalidParameter(`Error processing tar file(exit status 1): ${messageOf(e).replace(/^tar: /, '')}`);
    }
    return new BuildContext(realpathSync(dir));
  }

  /** A context over an existing directory (tests, in-process builds): do not close() it, that deletes it. */
  static fromDir(dir: string): BuildContext {
    return new BuildContext(realpathSync(dir));
  }

  /** The Dockerfile's text; "Dockerfile" falls back to "dockerfile", as upstream does. */
  readDockerfile(name: string): { name: string; text: string } {
    const tryRead = (n: string): string | undefined => {
      const clean = posix.normalize('/' + n).slice(1);
      const p = join(this.dir, clean);
      if (!p.startsWith(this.dir)) throw invalidParameter(`Forbidden path outside the build context: ${n} ()`);
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    };
    let text = tryRead(name);
    let used = name;
    if (text === undefined && name === 'Dockerfile') {
      text = tryRead('dockerfile');
      used = 'dockerfile';
    }
    if (text === undefined) throw invalidParameter(`Cannot locate specified Dockerfile: ${name}`);
    if (text.length === 0) throw invalidParameter(`the Dockerfile (${used}) cannot be empty`);
    return { name: used, text };
  }

  /** .dockerignore patterns, if the context has one. */
  ignorePatterns(): string[] {
    const p = join(this.dir, '.dockerignore');
    return existsSync(p) ? readDockerignore(readFileSync(p, 'utf8')) : [];
  }

  /** removeDockerfile: .dockerignore and the Dockerfile leave the context when it excludes them. */
  removeIgnoredSpecials(dockerfile: string): void {
    const pats = this.ignorePatterns();
    if (pats.length === 0) return;
    const m = new PatternMatcher(pats);
    for (const f of ['.dockerignore', dockerfile]) if (m.matches(f)) rmSync(join(this.dir, f), { force: true });
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
