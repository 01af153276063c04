// The ObjectStore semantics, written once over a synchronous revision log that each embedded
// backend (memory, SQLite) provides. Every write appends one row whose revision is the next global
// revision; preconditions, resourceVersion stamping, pagination, compaction bounds and watch
// fan-out all live here.
import type { KubeObject } from '../model/object.js';
import { Fanout } from './fanout.js';
import { assertKey, assertPrefix } from './keys.js';
import {
  StoreError,
  type ListOptions,
  type ListResult,
  type ObjectStore,
  type StoreEvent,
  type Watch,
  type WatchHandlers,
} from './types.js';

/** One write. */
export interface LogRow {
  revision: number;
  key: string;
  /** A tombstone: value is the object's last state. */
  deleted: boolean;
  /** The revision of the row this write replaced (0 when it created the key). */
  prevRevision: number;
  /** The object as JSON, without metadata.resourceVersion (it is the row's revision). */
  value: string;
}

/** A row as a watch replays it, with the value of the row it replaced. */
export interface LogEntry extends LogRow {
  prevValue?: string;
}

/**
 * Rows are visible at revision R when they are the latest row of their key at or below R. After
 * compact(C), every row still needed to read any revision >= C is kept: the latest row of each
 * key at or below C unless it is a tombstone, and every row above C.
 */
export interface RevisionLog {
  /** The revision of the last write (0 before the first). */
  head(): number;
  compacted(): number;
  /** Runs fn as one transaction: all its appends commit durably together, or none do. */
  atomically<T>(fn: () => T): T;
  /** The latest row of key, unless the key is absent or deleted. */
  current(key: string): LogRow | undefined;
  /** Appends a row at head() + 1 and returns that revision. */
  append(key: string, deleted: boolean, prevRevision: number, value: string): number;
  /** Live rows at revision whose key starts with prefix and is above `after` (if given), in key order, at most limit (0: all). */
  range(prefix: string, after: string | undefined, revision: number, limit: number): LogRow[];
  count(prefix: string, after: string | undefined, revision: number): number;
  /** Rows above revision `from` whose key starts with prefix, in revision order. */
  since(prefix: string, from: number): LogEntry[];
  compact(revision: number): void;
  close(): void;
}

interface PendingWrite {
  key: string;
  plan: () => Omit<LogEntry, 'revision'>;
  resolve: (obj: KubeObject) => void;
  reject: (err: unknown) => void;
}

export interface LogStoreOptions {
  /**
   * Writes that arrive in the same turn of the event loop share one transaction, so one durable
   * commit (one fsync) acknowledges them all. Each is still checked in order and fails alone.
   */
  groupCommit?: boolean;
}

export class LogStore implements ObjectStore {
  private readonly fanout = new Fanout();
  private closed = false;
  private batch: PendingWrite[] = [];

  constructor(private readonly log: RevisionLog, private readonly opts: LogStoreOptions = {}) {}

  async revision(): Promise<number> {
    this.open('');
    return this.log.head();
  }

  async compactedRevision(): Promise<number> {
    this.open('');
    return this.log.compacted();
  }

  async create(key: string, obj: KubeObject): Promise<KubeObject> {
    this.open(key);
    const value = serialize(obj);
    return this.write(key, () => {
      if (this.log.current(key)) throw new StoreError('KeyExists', key, `key exists: ${key}`);
      return { key, deleted: false, prevRevision: 0, value };
    });
  }

  async get(key: string): Promise<KubeObject | undefined> {
    this.open(key);
    const row = this.log.current(key);
    return row && stamp(row.value, row.revision);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.openPrefix(prefix);
    const revision = this.readable(prefix, opts.revision || this.log.head());
    const limit = opts.limit ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError(`invalid list limit ${limit}`);
    const after = opts.after || undefined;
    if (after !== undefined) assertKey(after);
    const rows = this.log.range(prefix, after, revision, limit);
    const result: ListResult = { items: rows.map((r) => stamp(r.value, r.revision)), revision };
    if (limit > 0 && rows.length === limit) {
      const lastKey = rows[rows.length - 1]!.key;
      const remaining = this.log.count(prefix, lastKey, revision);
      if (remaining > 0) Object.assign(result, { lastKey, remaining });
    }
    return result;
  }

  async count(prefix: string): Promise<number> {
    this.openPrefix(prefix);
    return this.log.count(prefix, undefined, this.log.head());
  }

  async update(key: string, obj: KubeObject, expectedRevision?: number): Promise<KubeObject> {
    this.open(key);
    const value = serialize(obj);
    return this.write(key, () => {
      const cur = this.precondition(key, expectedRevision);
      return { key, deleted: false, prevRevision: cur.revision, value, prevValue: cur.value };
    });
  }

  async delete(key: string, expectedRevision?: number): Promise<KubeObject> {
    this.open(key);
    return this.write(key, () => {
      const cur = this.precondition(key, expectedRevision);
      return { key, deleted: true, prevRevision: cur.revision, value: cur.value };
    });
  }

  watch(prefix: string, from: number, handlers: WatchHandlers): Watch {
    this.openPrefix(prefix);
    // History up to now and registration happen in one synchronous step: no write falls between.
    const replay = this.log.since(prefix, this.readable(prefix, from)).map(toEvent);
    return this.fanout.add(prefix, handlers, replay);
  }

  async compact(revision: number): Promise<void> {
    this.open('');
    if (Number.isSafeInteger(revision) && revision <= this.log.compacted()) return;
    this.readable('', revision);
    this.log.compact(revision);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.fanout.failAll(new StoreError('Closed', '', 'store closed'));
    this.log.close();
  }

  /** Checks and appends in one transaction, then tells the watchers. */
  private write(key: string, plan: () => Omit<LogEntry, 'revision'>): Promise<KubeObject> {
    return new Promise((resolve, reject) => {
      this.batch.push({ key, plan, resolve, reject });
      if (!this.opts.groupCommit) this.flush();
      else if (this.batch.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits every pending write in one transaction; each is acknowledged only after the commit. */
  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    if (batch.length === 0) return;
    if (this.closed) {
      for (const w of batch) w.reject(new StoreError('Closed', w.key, 'store closed'));
      return;
    }
    const outcomes: ({ ok: true; entry: LogEntry } | { ok: false; err: unknown })[] = [];
    try {
      this.log.atomically(() => {
        for (const w of batch) {
          try {
            const e = w.plan();
            outcomes.push({ ok: true, entry: { ...e, revision: this.log.append(w.key, e.deleted, e.prevRevision, e.value) } });
          } catch (err) {
            outcomes.push({ ok: false, err });
          }
        }
      });
    } catch (err) {
      // The commit itself failed: nothing was written, so nothing is acknowledged.
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const o = outcomes[i]!;
      if (!o.ok) return w.reject(o.err);
      const entry = o.entry;
      this.fanout.publish(w.key, () => toEvent(entry));
      w.resolve(stamp(entry.value, entry.revision));
    });
  }

  private precondition(key: string, expectedRevision: number | undefined): LogRow {
    const cur = this.log.current(key);
    if (!cur) throw new StoreError('NotFound', key, `key not found: ${key}`);
    if (expectedRevision !== undefined && expectedRevision !== cur.revision) {
      throw new StoreError(
        'Conflict',
        key,
        `resource version conflicts: ${key} is at ${cur.revision}, not ${expectedRevision}`,
        stamp(cur.value, cur.revision),
      );
    }
    return cur;
  }

  /** Checks that revision can be read: not compacted away, not ahead of the log. */
  private readable(key: string, revision: number): number {
    if (!Number.isSafeInteger(revision) || revision < 0) throw new TypeError(`invalid revision ${revision}`);
    const compacted = this.log.compacted();
    if (revision < compacted) {
      throw new StoreError('Compacted', key, `too old resource version: ${revision} (${compacted})`, compacted);
    }
    const head = this.log.head();
    if (revision > head) {
      throw new StoreError('FutureRevision', key, `Too large resource version: ${revision}, current: ${head}`);
    }
    return revision;
  }

  private open(key: string): void {
    if (this.closed) throw new StoreError('Closed', key, 'store closed');
    if (key !== '') assertKey(key);
  }

  private openPrefix(prefix: string): void {
    this.open('');
    assertPrefix(prefix);
  }
}

function toEvent(e: LogEntry): StoreEvent {
  const { key, revision } = e;
  if (e.deleted) {
    return { type: 'DELETED', key, object: stamp(e.value, revision), prevObject: stamp(e.value, e.prevRevision), revision };
  }
  if (e.prevRevision === 0) return { type: 'ADDED', key, object: stamp(e.value, revision), revision };
  return {
    type: 'MODIFIED',
    key,
    object: stamp(e.value, revision),
    // Compaction keeps the row a surviving row replaced, so its value is always there.
    prevObject: stamp(e.prevValue!, e.prevRevision),
    revision,
  };
}

/** The stored form: JSON without resourceVersion, which is the row's revision instead. */
function serialize(obj: KubeObject): string {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new TypeError('a stored object must be a JSON object');
  const meta = obj.metadata ?? {};
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new TypeError('metadata must be a JSON object');
  return JSON.stringify({ ...obj, metadata: { ...meta, resourceVersion: undefined } });
}

/** A fresh object from its stored form, carrying the revision of its last write. */
function stamp(value: string, revision: number): KubeObject {
  const obj = JSON.parse(value) as KubeObject;
  (obj.metadata as { resourceVersion?: string }).resourceVersion = String(revision);
  return obj;
}
