// The in-memory store: the same revision log as SQLite, held in arrays. For tests and the
// simulator; nothing survives the process.
import { compareKeys } from './keys.js';
import { LogStore, type LogEntry, type LogRow, type RevisionLog } from './log.js';

class MemoryLog implements RevisionLog {
  private rows: LogRow[] = []; // revision order
  private readonly byKey = new Map<string, LogRow[]>(); // each key's rows, revision order
  private keys: string[] = []; // the keys of byKey in key order, but for those in `added`
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
      if (byKey) byKey.push(mine);
      else {
        this.byKey.set(row.key, [mine]);
        this.added.push(row.key);
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
    const dropped = new Set<LogRow>();
    for (const [key, rows] of this.byKey) {
      const latest = this.firstAbove(rows, revision) - 1;
      if (latest < 0) continue;
      // Keep the latest row at or below the revision unless it is a tombstone, and all above.
      const keepFrom = rows[latest]!.deleted ? latest + 1 : latest;
      if (keepFrom === 0) continue;
      for (let i = 0; i < keepFrom; i++) dropped.add(rows[i]!);
      if (keepFrom === rows.length) this.byKey.delete(key);
      else this.byKey.set(key, rows.slice(keepFrom));
    }
    if (dropped.size > 0) this.rows = this.rows.filter((r) => !dropped.has(r));
    this.sortKeys();
    if (this.keys.length !== this.byKey.size) this.keys = this.keys.filter((k) => this.byKey.has(k));
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
      const rows = this.byKey.get(key)!;
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
    while (i < old.length && j < add.length) out[k++] = compareKeys(old[i]!, add[j]!) <= 0 ? old[i++]! : add[j++]!;
    while (i < old.length) out[k++] = old[i++]!;
    while (j < add.length) out[k++] = add[j++]!;
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
