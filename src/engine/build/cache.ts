// The build cache as seed 003 states it: a durable map from (parent image, instruction signature)
// to the image the step produced. A signature is built from parts (the instruction text, the build
// arguments a RUN sees, the copied files' checksums, the destination), and those parts are kept
// with each entry so that a miss can say which of them changed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type StepKind = 'meta' | 'run' | 'copy' | 'add' | 'workdir';

/** What a step's cache key is made of, besides its parent. */
export interface Signature {
  kind: StepKind;
  /** RUN: the command; COPY/ADD: flags, sources as written and destination; others: the commit message */
  text: string;
  /** RUN: the build arguments it runs with (those in scope) */
  args?: Record<string, string>;
  /** COPY/ADD: path -> type:mode:sha256 of everything copied */
  files?: Record<string, string>;
}

export interface CacheEntry {
  parent: string;
  sig: Signature;
  /** the image (configuration digest) the step produced */
  image: string;
  /** the layer it added, if any: DiffID and the gzip blob's digest */
  layer?: { diffID: string; compressed: string };
  /** a counter, so that "the previous build of this step" is the most recent entry */
  seq: number;
}

export function signatureDigest(sig: Signature): string {
  const canon = { kind: sig.kind, text: sig.text, args: sortKeys(sig.args), files: sortKeys(sig.files) };
  return 'sha256:' + createHash('sha256').update(JSON.stringify(canon)).digest('hex');
}

const sortKeys = (o: Record<string, string> | undefined) => (o ? Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : null);

const keyOf = (parent: string, sig: Signature) => `${parent}|${signatureDigest(sig)}`;

const short = (s: string) => (s.startsWith('sha256:') ? s.slice(7, 19) : s);
const clip = (s: string) => (s.length > 60 ? s.slice(0, 57) + '...' : s);

export class BuildCache {
  private readonly file: string;
  private entries = new Map<string, CacheEntry>();
  private seq = 0;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'cache.json');
    if (existsSync(this.file)) {
      try {
        const data = JSON.parse(readFileSync(this.file, 'utf8')) as { entries?: CacheEntry[] };
        for (const e of data.entries ?? []) {
          this.entries.set(keyOf(e.parent, e.sig), e);
          this.seq = Math.max(this.seq, e.seq);
        }
      } catch {
        // a damaged cache file is an empty cache: builds redo their steps
      }
    }
  }

  get size(): number {
    return this.entries.size;
  }

  list(): CacheEntry[] {
    return [...this.entries.values()];
  }

  get(parent: string, sig: Signature): CacheEntry | undefined {
    const e = this.entries.get(keyOf(parent, sig));
    if (e) e.seq = ++this.seq;
    return e;
  }

  put(parent: string, sig: Signature, image: string, layer?: CacheEntry['layer']): CacheEntry {
    const e: CacheEntry = { parent, sig, image, seq: ++this.seq, ...(layer ? { layer } : {}) };
    this.entries.set(keyOf(parent, sig), e);
    return e;
  }

  delete(e: CacheEntry): void {
    this.entries.delete(keyOf(e.parent, e.sig));
  }

  clear(): number {
    const n = this.entries.size;
    this.entries.clear();
    this.save();
    return n;
  }

  /** Written whole and renamed into place: a crash leaves the old file or the new one. */
  save(): void {
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ version: 1, entries: [...this.entries.values()] }));
    renameSync(tmp, this.file);
  }

  /**
   * Why (parent, sig) is not in the cache: the key part that differs from the most recent entry
   * for the same parent and kind of step; or, when the parent itself is new, that it changed.
   */
  explainMiss(parent: string, sig: Signature): string {
    const sameParent = this.list()
      .filter((e) => e.parent === parent && e.sig.kind === sig.kind)
      .sort((a, b) => b.seq - a.seq);
    const sameText = sameParent.filter((e) => e.sig.text === sig.text);
    const prev = sameText[0] ?? sameParent[0];
    if (prev) {
      if (prev.sig.text !== sig.text) return `instruction changed (was "${clip(prev.sig.text)}")`;
      const argDiff = diffMaps(prev.sig.args ?? {}, sig.args ?? {});
      if (argDiff.length) return argDiff.map((d) => `build arg ${d}`).join(', ');
      const fileDiff = diffMaps(prev.sig.files ?? {}, sig.files ?? {}, (v) => `sha256:${(v.split(':').pop() ?? v).slice(0, 12)}`);
      if (fileDiff.length) return fileDiff.map((d) => `file ${d}`).join(', ');
      return 'key changed';
    }
    const elsewhere = this.list().some((e) => e.sig.kind === sig.kind && e.sig.text === sig.text);
    if (elsewhere) return `parent changed (${parent ? short(parent) : 'scratch'} is new)`;
    return 'no earlier build of this step';
  }
}

function diffMaps(a: Record<string, string>, b: Record<string, string>, show: (v: string) => string = (v) => JSON.stringify(v)): string[] {
  const out: string[] = [];
  for (const k of Object.keys({ ...a, ...b }).sort()) {
    if (!(k in a)) out.push(`${k} added`);
    else if (!(k in b)) out.push(`${k} removed`);
    else if (a[k] !== b[k]) out.push(`${k} changed (${show(a[k]!)} -> ${show(b[k]!)})`);
  }
  return out;
}
