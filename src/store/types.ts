// The versioned object store every backend implements (memory, SQLite, etcd). One global,
// strictly increasing revision orders every write; an object's resourceVersion is the revision of
// its last write. History is kept from the last compaction on, so watches and paginated lists can
// start at any revision not yet compacted.
import type { KubeObject } from '../model/object.js';

export type StoreErrorCode = 'KeyExists' | 'NotFound' | 'Conflict' | 'Compacted' | 'FutureRevision' | 'Closed';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    readonly key: string,
    message: string,
    /** For Conflict: the object as it is now. For Compacted: the oldest revision still readable. */
    readonly current?: KubeObject | number,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Shared by every watcher that receives it, and deeply frozen: copy before changing. */
export interface StoreEvent {
  type: StoreEventType;
  key: string;
  /** The object after the write; for DELETED, the last state, with resourceVersion = the delete's revision. */
  object: KubeObject;
  /** The object before the write (absent for ADDED): lets watchers with selectors see objects leave. */
  prevObject?: KubeObject;
  revision: number;
}

export interface ListOptions {
  /** At most this many items (0 or absent: all). */
  limit?: number;
  /** Continue strictly after this key (from a previous page). */
  after?: string;
  /** Read the state as of this revision (absent or 0: the latest). Fails with Compacted if too old. */
  revision?: number;
}

export interface ListResult {
  items: KubeObject[];
  /** The revision the list reflects. */
  revision: number;
  /** When the limit cut the list: the last key returned, and how many remain after it. */
  lastKey?: string;
  remaining?: number;
}

export interface Watch {
  stop(): void;
}

export interface WatchHandlers {
  /** Called in revision order, never concurrently, for every write under the prefix after `from`. */
  event(ev: StoreEvent): void;
  /** The watch ended on the store's side (closed, or it fell too far behind); no more events follow. */
  error(err: StoreError): void;
}

/**
 * How a read or a write hands back its object: by default a mutable copy; `shared`: the stored
 * object itself, deeply frozen and shared with the store's cache and its watchers, for callers
 * that only read it (or copy what they change). A copy per call was a large part of the cost of
 * every write, whose read of the current object and whose result are mostly only read.
 */
export interface ReadOptions {
  shared?: boolean;
}

export interface ObjectStore {
  /** The revision of the last write. */
  revision(): Promise<number>;
  /** The oldest revision still readable (lists and watches from before it fail with Compacted). */
  compactedRevision(): Promise<number>;

  /** Stores a new object; fails with KeyExists. Returns it with its resourceVersion. */
  create(key: string, obj: KubeObject, opts?: ReadOptions): Promise<KubeObject>;
  get(key: string, opts?: ReadOptions): Promise<KubeObject | undefined>;
  /** Every object whose key starts with prefix, in key order. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  count(prefix: string): Promise<number>;
  /**
   * Replaces an existing object. When expectedRevision is given and the object's current
   * resourceVersion differs, fails with Conflict (carrying the current object); NotFound if absent.
   */
  update(key: string, obj: KubeObject, expectedRevision?: number, opts?: ReadOptions): Promise<KubeObject>;
  /** Removes an object, with the same precondition as update. Returns its last state, resourceVersion = the delete's revision. */
  delete(key: string, expectedRevision?: number, opts?: ReadOptions): Promise<KubeObject>;

  /**
   * Events under prefix with revision > from, first replayed from history, then live. Throws
   * Compacted when `from` is older than the compacted revision, FutureRevision when it is ahead.
   */
  watch(prefix: string, from: number, handlers: WatchHandlers): Watch;
  /** Drops history before revision (the latest state of every key is kept). */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

/** Storage key of an object: `/<group or core>/<plural>/<namespace>/<name>` (cluster-scoped: no namespace). */
export function objectKey(group: string, plural: string, namespace: string | undefined, name: string): string {
  return namespace ? `/${group || 'core'}/${plural}/${namespace}/${name}` : `/${group || 'core'}/${plural}/${name}`;
}

/** Prefix of every object of a resource, or of a resource in one namespace. */
export function resourcePrefix(group: string, plural: string, namespace?: string): string {
  return namespace ? `/${group || 'core'}/${plural}/${namespace}/` : `/${group || 'core'}/${plural}/`;
}
