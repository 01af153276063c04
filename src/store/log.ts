// The ObjectStore semantics, written once over a revision log that each embedded backend (memory,
// SQLite) provides. Every write appends one row whose revision is the next global revision;
// preconditions, resourceVersion stamping, pagination, compaction bounds and watch fan-out all
// live here. Writes are decided here, in order, against the latest state; the log only makes
// each batch durable (SQLite does so on another thread), and a write is acknowledged, visible to
// reads and told to watchers only once its batch is.
import { deepClone, type KubeObject } from '../model/object.js';
import { copySharing, copyStored } from './copy.js';
import { Fanout, freeze } from './fanout.js';
import { assertKey, assertPrefix } from './keys.js';
import {
  StoreError,
  type ListOptions,
  type ListResult,
  type ObjectStore,
  type ReadOptions,
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
  /** The revision of the last durable write (0 before the first). */
  head(): number;
  compacted(): number;
  /**
   * Appends rows (revisions head() + 1, + 2, ...) as one transaction: all commit durably together,
   * or none do. Synchronous logs return once done; others return a promise of the commit, and
   * are handed the next batch only after it settles.
   */
  commit(rows: LogRow[]): Promise<void> | void;
  /** Live rows at revision whose key starts with prefix and is above `after` (if given), in key order, at most limit (0: all). */
  range(prefix: string, after: string | undefined, revision: number, limit: number): LogRow[];
  count(prefix: string, after: string | undefined, revision: number): number;
  /** Rows above revision `from` whose key starts with prefix, in revision order. */
  since(prefix: string, from: number): LogEntry[];
  compact(revision: number): void;
  close(): Promise<void> | void;
}

/** The latest state of a live key: its revision and the object as watchers saw it (frozen, shared). */
interface Live {
  revision: number;
  object: KubeObject;
}

/** What one write appends: the row, and the state it replaces (absent for a create). */
interface Planned {
  deleted: boolean;
  /** For a create or update: the object as stored, without resourceVersion (the write's own copy). */
  object?: KubeObject;
  prev?: Live;
}

interface PendingWrite {
  key: string;
  /** Checks the write against the state as of the writes before it, and says what to append. */
  plan: (current: (key: string) => Live | undefined) => Planned;
  resolve: (obj: KubeObject) => void;
  reject: (err: unknown) => void;
  /** The caller takes the stored (frozen) object rather than a copy. */
  shared: boolean;
}

export interface LogStoreOptions {
  /**
   * Writes that arrive in the same turn of the event loop share one transaction, so one durable
   * commit (one fsync) acknowledges them all. Each is still checked in order and fails alone.
   */
  groupCommit?: boolean;
  /**
   * The frozen object a row reads back as, when the caller already has it (the model checker
   * opens a store per state over rows it has parsed before); otherwise the row is parsed.
   */
  parsed?: (row: LogRow) => KubeObject;
}

export class LogStore implements ObjectStore {
  private readonly fanout = new Fanout();
  private closed = false;
  private batch: PendingWrite[] = [];
  /**
   * Every live key's latest state (upstream's watch cache): reads, preconditions and the previous
   * object of each event come from here, parsed once per write and shared with every watcher.
   */
  private readonly live = new Map<string, Live>();
  /** The commit of the batch before, while the log makes it durable. */
  private committing?: Promise<void>;

  constructor(private readonly log: RevisionLog, private readonly opts: LogStoreOptions = {}) {
    const parse = opts.parsed ?? ((row: LogRow) => freeze(stamp(row.value, row.revision)));
    for (const row of log.range('', undefined, log.head(), 0)) this.live.set(row.key, { revision: row.revision, object: parse(row) });
  }

  async revision(): Promise<number> {
    this.open('');
    return this.log.head();
  }

  async compactedRevision(): Promise<number> {
    this.open('');
    return this.log.compacted();
  }

  async create(key: string, obj: KubeObject, opts?: ReadOptions): Promise<KubeObject> {
    this.open(key);
    const object = stored(obj);
    return this.write(key, opts, (current) => {
      if (current(key)) throw new StoreError('KeyExists', key, `key exists: ${key}`);
      return { deleted: false, object };
    });
  }

  async get(key: string, opts?: ReadOptions): Promise<KubeObject | undefined> {
    this.open(key);
    const cur = this.live.get(key);
    return cur && (opts?.shared ? cur.object : copyStored(cur.object));
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.openPrefix(prefix);
    const revision = this.readable(prefix, opts.revision || this.log.head());
    const limit = opts.limit ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError(`invalid list limit ${limit}`);
    const after = opts.after || undefined;
    if (after !== undefined) assertKey(after);
    const rows = this.log.range(prefix, after, revision, limit);
    // A row that is still its key's latest state is copied from the cache; older ones are parsed.
    const item = (r: LogRow) => {
      const cur = this.live.get(r.key);
      return cur?.revision === r.revision ? copyStored(cur.object) : stamp(r.value, r.revision);
    };
    const result: ListResult = { items: rows.map(item), revision };
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

  async update(key: string, obj: KubeObject, expectedRevision?: number, opts?: ReadOptions): Promise<KubeObject> {
    this.open(key);
    const object = stored(obj, this.live.get(key)?.object);
    return this.write(key, opts, (current) => ({ deleted: false, object, prev: precondition(current(key), key, expectedRevision) }));
  }

  async delete(key: string, expectedRevision?: number, opts?: ReadOptions): Promise<KubeObject> {
    this.open(key);
    return this.write(key, opts, (current) => {
      const prev = precondition(current(key), key, expectedRevision);
      return { deleted: true, prev };
    });
  }

  watch(prefix: string, from: number, handlers: WatchHandlers): Watch {
    this.openPrefix(prefix);
    // History up to now and registration happen in one synchronous step: no write falls between.
    // Rows of a batch still being acknowledged reach the watcher when it is, not from history.
    const head = this.log.head();
    const replay = this.log.since(prefix, this.readable(prefix, from)).filter((e) => e.revision <= head).map(toEvent);
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
    // Writes already made finish first.
    for (;;) {
      if (this.committing) await this.committing;
      else if (this.batch.length) this.flush();
      else break;
    }
    this.closed = true;
    this.fanout.failAll(new StoreError('Closed', '', 'store closed'));
    await this.log.close();
  }

  /** Checks and appends in one transaction, then tells the watchers. */
  private write(key: string, opts: ReadOptions | undefined, plan: PendingWrite['plan']): Promise<KubeObject> {
    return new Promise((resolve, reject) => {
      this.batch.push({ key, plan, resolve, reject, shared: !!opts?.shared });
      if (!this.opts.groupCommit) this.flush();
      else if (this.batch.length === 1) setImmediate(() => this.flush());
    });
  }

  /**
   * Decides every pending write in order (each against the state the writes before it leave) and
   * hands the rows to the log as one transaction; each write is acknowledged, becomes visible and
   * reaches watchers only after that commit. While one batch commits, new writes gather for the next.
   */
  private flush(): void {
    if (this.committing) return; // the commit's end flushes what gathered meanwhile
    const batch = this.batch;
    this.batch = [];
    if (batch.length === 0) return;
    if (this.closed) {
      for (const w of batch) w.reject(new StoreError('Closed', w.key, 'store closed'));
      return;
    }
    const decided = new Map<string, Live | null>(); // this batch's effect on the state; null: deleted
    const current = (key: string): Live | undefined => {
      const d = decided.get(key);
      return d === undefined ? this.live.get(key) : (d ?? undefined);
    };
    const rows: LogRow[] = [];
    const outcomes: ({ ok: true; event: StoreEvent } | { ok: false; err: unknown })[] = [];
    let revision = this.log.head();
    for (const w of batch) {
      try {
        const p = w.plan(current);
        revision++;
        const event = eventOf(w.key, revision, p);
        rows.push(new StoredRow(revision, w.key, p.deleted, p.prev?.revision ?? 0, event.object));
        decided.set(w.key, p.deleted ? null : { revision, object: event.object });
        outcomes.push({ ok: true, event });
      } catch (err) {
        outcomes.push({ ok: false, err });
      }
    }
    const settle = (failed?: { err: unknown }) => {
      if (!failed) for (const [key, v] of decided) v ? this.live.set(key, v) : this.live.delete(key);
      batch.forEach((w, i) => {
        const o = outcomes[i]!;
        if (!o.ok) return w.reject(o.err);
        // The commit itself failed: nothing was written, so nothing is acknowledged.
        if (failed) return w.reject(failed.err);
        this.fanout.publish(w.key, () => o.event);
        w.resolve(w.shared ? o.event.object : copyStored(o.event.object));
      });
    };
    if (rows.length === 0) return settle();
    let durable: Promise<void> | void;
    try {
      durable = this.log.commit(rows);
    } catch (err) {
      return settle({ err });
    }
    if (!durable) return settle();
    this.committing = durable.then(
      () => settle(),
      (err: unknown) => settle({ err }),
    ).finally(() => {
      this.committing = undefined;
      this.flush();
    });
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

/** The event of a decided write: the object after it (frozen: the cache and every watcher share it) and before it. */
function eventOf(key: string, revision: number, p: Planned): StoreEvent {
  const prevObject = p.prev?.object;
  if (p.deleted) {
    // The last state, at the delete's revision.
    const object = freeze({ ...prevObject!, metadata: { ...prevObject!.metadata, resourceVersion: String(revision) } });
    return { type: 'DELETED', key, object, prevObject: prevObject!, revision };
  }
  const object = p.object!;
  object.metadata.resourceVersion = String(revision);
  freeze(object);
  return prevObject ? { type: 'MODIFIED', key, object, prevObject, revision } : { type: 'ADDED', key, object, revision };
}

function precondition(cur: Live | undefined, key: string, expectedRevision: number | undefined): Live {
  if (!cur) throw new StoreError('NotFound', key, `key not found: ${key}`);
  if (expectedRevision !== undefined && expectedRevision !== cur.revision) {
    throw new StoreError('Conflict', key, `resource version conflicts: ${key} is at ${cur.revision}, not ${expectedRevision}`, copyStored(cur.object));
  }
  return cur;
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

/**
 * The object as stored, without resourceVersion: a copy, taken when the write is asked for (its
 * JSON, the row's value, is the same as the caller's object's). It shares the parts it has in
 * common with `base` (the key's latest object, when it has one; frozen): see copySharing.
 */
function stored(obj: KubeObject, base?: KubeObject): KubeObject {
  const shaped = storedShape(obj);
  let object: KubeObject;
  try {
    // deepClone is JSON.parse(JSON.stringify(...)) without the parsing.
    object = (base ? copySharing(shaped, base) : deepClone(shaped)) as KubeObject;
  } catch (e) {
    // What JSON cannot hold (a cycle) fails as serializing it fails.
    JSON.stringify(shaped);
    throw e;
  }
  // The write stamps its resourceVersion on its own object and metadata, never on base's.
  if (object === base || object.metadata === base?.metadata) object = deepClone(shaped);
  return object;
}

/**
 * A row of a decided write. Its value is the JSON of the object the write stored (frozen), made
 * when first read: a log that writes rows out reads it at once, one that keeps them in memory
 * (the simulator's) may never, as long as no watch replays the row and no read asks for an older
 * revision, and then serializing every write would be wasted.
 */
class StoredRow implements LogRow {
  private text?: string;
  constructor(
    readonly revision: number,
    readonly key: string,
    readonly deleted: boolean,
    readonly prevRevision: number,
    private object: KubeObject | undefined,
  ) {}

  get value(): string {
    if (this.text === undefined) {
      this.text = serialize(this.object!);
      this.object = undefined;
    }
    return this.text;
  }
}

/** The stored form: JSON without resourceVersion, which is the row's revision instead. */
function serialize(obj: KubeObject): string {
  return JSON.stringify(storedShape(obj));
}

function storedShape(obj: KubeObject): KubeObject {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new TypeError('a stored object must be a JSON object');
  const meta = obj.metadata ?? {};
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new TypeError('metadata must be a JSON object');
  return { ...obj, metadata: { ...meta, resourceVersion: undefined } };
}

/** A fresh object from its stored form, carrying the revision of its last write. */
function stamp(value: string, revision: number): KubeObject {
  const obj = JSON.parse(value) as KubeObject;
  (obj.metadata as { resourceVersion?: string }).resourceVersion = String(revision);
  return obj;
}
