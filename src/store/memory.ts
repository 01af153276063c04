// The in-memory store: the same revision log as SQLite, held in arrays. For tests and the
// simulator; nothing survives the process.
import { compareKeys } from './keys.js';
import { LogStore, type LogEntry, type LogRow, type RevisionLog } from './log.js';

class MemoryLog implements RevisionLog {
  /**
   * The rows above the compacted revision, in revision order: what watches replay (since() is
   * never asked for older ones). Reads at a revision go through byKey.
   */
  private rows: LogRow[] = [];
  private readonly byKey = new Map<string, LogRow[]>(); // each key's rows, revision order
  /**
   * The keys compaction may change: with more than one row, or a tombstone. Most keys have one
   * live row, so compaction visits only what was written since, not every key.
   */
  private readonly compactable = new Set<string>();
  /**
   * The keys of byKey in key order, but for those in `added`; it may still hold keys compaction
   * removed (reads skip them), pruned once they are as many as the live ones.
   */
  private keys: string[] = [];
  /** Keys new since `keys` was last sorted: merged in when a read needs key order (an insertion each would move every key). */
  private added: string[] = [];
  private headRevision = 0;
  private compactedRevision = 0;

  head(): number {
    return this.headRevision;
  }

  compacted(): number {
    return this.compactedRevision;
  }

  /** Nothing to make durable: the rows are in place when this returns. */
  commit(rows: LogRow[]): void {
    for (const row of rows) {
      if (row.revision !== this.headRevision + 1) throw new Error(`revision ${row.revision} does not follow ${this.headRevision}`);
      // The rows are this commit's alone (LogStore builds them), so they are kept as they are: a
      // row's value may be made only when first read.
      const mine = row;
      const byKey = this.byKey.get(row.key);
      if (byKey) {
        byKey.push(mine);
        this.compactable.add(row.key);
      } else {
        this.byKey.set(row.key, [mine]);
        this.added.push(row.key);
        if (row.deleted) this.compactable.add(row.key);
      }
      this.rows.push(mine);
      this.headRevision = row.revision;
    }
  }

  range(prefix: string, after: string | undefined, revision: number, limit: number): LogRow[] {
    const out: LogRow[] = [];
    for (const row of this.visible(prefix, after, revision)) {
      out.push(row);
      if (out.length === limit) break;
    }
    return out;
  }

  count(prefix: string, after: string | undefined, revision: number): number {
    let n = 0;
    for (const _ of this.visible(prefix, after, revision)) n++;
    return n;
  }

  since(prefix: string, from: number): LogEntry[] {
    const out: LogEntry[] = [];
    for (let i = this.firstAbove(this.rows, from); i < this.rows.length; i++) {
      const row = this.rows[i]!;
      if (!row.key.startsWith(prefix)) continue;
      const prev = row.prevRevision && !row.deleted ? this.at(this.byKey.get(row.key)!, row.prevRevision) : undefined;
      out.push(prev ? { revision: row.revision, key: row.key, deleted: row.deleted, prevRevision: row.prevRevision, value: row.value, prevValue: prev.value } : row);
    }
    return out;
  }

  compact(revision: number): void {
    for (const key of this.compactable) {
      const rows = this.byKey.get(key)!;
      const latest = this.firstAbove(rows, revision) - 1;
      if (latest < 0) continue;
      // Keep the latest row at or below the revision unless it is a tombstone, and all above.
      const keepFrom = rows[latest]!.deleted ? latest + 1 : latest;
      if (keepFrom === 0) continue;
      if (keepFrom === rows.length) {
        this.byKey.delete(key);
        this.compactable.delete(key);
        continue;
      }
      const kept = rows.slice(keepFrom);
      this.byKey.set(key, kept);
      if (kept.length === 1 && !kept[0]!.deleted) this.compactable.delete(key);
    }
    this.rows = this.rows.slice(this.firstAbove(this.rows, revision));
    this.sortKeys();
    if (this.keys.length > 2 * this.byKey.size) this.keys = this.keys.filter((k) => this.byKey.has(k));
    this.compactedRevision = revision;
  }

  close(): void {}

  /** The live row of each key under prefix (above `after`) at revision, in key order. */
  private *visible(prefix: string, after: string | undefined, revision: number): Generator<LogRow> {
    const start = after !== undefined && compareKeys(after, prefix) >= 0 ? after : prefix;
    this.sortKeys();
    for (let i = this.lowerBound(start); i < this.keys.length; i++) {
      const key = this.keys[i]!;
      if (key === after) continue;
      if (!key.startsWith(prefix)) break;
      const rows = this.byKey.get(key);
      if (!rows) continue; // compacted away
      const row = rows[this.firstAbove(rows, revision) - 1];
      if (row && !row.deleted) yield row;
    }
  }

  /** Merges the keys added since the last read in key order into `keys`. */
  private sortKeys(): void {
    if (!this.added.length) return;
    const add = this.added.sort(compareKeys);
    this.added = [];
    const old = this.keys;
    const out: string[] = new Array(old.length + add.length);
    let i = 0;
    let j = 0;
    let k = 0;
    // A key compacted away and written again is in both (or twice in add): kept once.
    const put = (key: string) => {
      if (k === 0 || out[k - 1] !== key) out[k++] = key;
    };
    while (i < old.length && j < add.length) put(compareKeys(old[i]!, add[j]!) <= 0 ? old[i++]! : add[j++]!);
    while (i < old.length) put(old[i++]!);
    while (j < add.length) put(add[j++]!);
    out.length = k;
    this.keys = out;
  }

  /** Index of the first key not below key. */
  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first row above revision. */
  private firstAbove(rows: LogRow[], revision: number): number {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rows[mid]!.revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private at(rows: LogRow[], revision: number): LogRow | undefined {
    const row = rows[this.firstAbove(rows, revision) - 1];
    return row?.revision === revision ? row : undefined;
  }
}

export class MemoryStore extends LogStore {
  constructor() {
    super(new MemoryLog());
  }
}
