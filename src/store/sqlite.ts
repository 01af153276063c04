// The embedded store: the revision log as one SQLite table (the kine layout), through
// better-sqlite3. WAL with synchronous=FULL fsyncs the log on every commit, so a write is
// acknowledged only once it survives kill -9 and power loss. Commits run on a writer thread
// (sqlite-writer.ts); this thread reads (lists, watch history) and compacts.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { RowTuple, WriterAnswer } from './sqlite-writer.js';
import { prefixEnd } from './keys.js';
import { LogStore, type LogEntry, type LogRow, type RevisionLog } from './log.js';

const schema = `
CREATE TABLE IF NOT EXISTS log (
  id INTEGER PRIMARY KEY,         -- the revision of the write
  key TEXT NOT NULL,
  deleted INTEGER NOT NULL,       -- 1: a tombstone whose value is the last state
  prev_revision INTEGER NOT NULL, -- the row this write replaced, 0 when it created the key
  value TEXT NOT NULL             -- JSON without metadata.resourceVersion
);
CREATE INDEX IF NOT EXISTS log_key_id ON log (key, id);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

const columns = 'l.id AS revision, l.key, l.deleted, l.prev_revision AS prevRevision, l.value';

// A row is visible at @rev when no later row of its key is at or below @rev.
const visible = (bounded: boolean) => `
  FROM log l
  WHERE l.key >= @lo ${bounded ? 'AND l.key < @hi' : ''} AND l.key > @after AND l.id <= @rev AND l.deleted = 0
    AND NOT EXISTS (SELECT 1 FROM log n WHERE n.key = l.key AND n.id > l.id AND n.id <= @rev)`;

interface RawRow {
  revision: number;
  key: string;
  deleted: number;
  prevRevision: number;
  value: string;
  prevValue?: string | null;
}

function toRow(r: RawRow): LogRow {
  return { revision: r.revision, key: r.key, deleted: r.deleted === 1, prevRevision: r.prevRevision, value: r.value };
}

/** Query text per prefix shape: with an upper bound (the usual case) or without (the empty prefix). */
function byBound<T>(prepare: (bounded: boolean) => T): (hi: string | undefined) => T {
  const withHi = prepare(true);
  const withoutHi = prepare(false);
  return (hi) => (hi === undefined ? withoutHi : withHi);
}

class SqliteLog implements RevisionLog {
  private readonly db: Database.Database;
  private headRevision = 0;
  private compactedRevision = 0;
  private readonly stmt;
  private readonly writer: Worker;
  /** The batch the writer is committing (one at a time). */
  private committing?: { resolve: () => void; reject: (e: Error) => void };
  /** Why the writer cannot take more batches, once it cannot. */
  private broken?: Error;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    const mode = this.db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`${path}: SQLite refused WAL mode (journal_mode is ${String(mode)})`);
    this.db.pragma('synchronous = FULL');
    this.db.exec(schema);
    const db = this.db;
    this.stmt = {
      head: db.prepare<[], { head: number | null }>('SELECT MAX(id) AS head FROM log'),
      compacted: db.prepare<[], { value: number }>(`SELECT value FROM meta WHERE name = 'compacted'`),
      setCompacted: db.prepare(`INSERT INTO meta (name, value) VALUES ('compacted', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`),
      range: byBound((b) => db.prepare<[Record<string, unknown>], RawRow>(`SELECT ${columns} ${visible(b)} ORDER BY l.key LIMIT @limit`)),
      count: byBound((b) => db.prepare<[Record<string, unknown>], { n: number }>(`SELECT COUNT(*) AS n ${visible(b)}`)),
      since: byBound((b) =>
        db.prepare<[Record<string, unknown>], RawRow>(
          `SELECT ${columns}, p.value AS prevValue FROM log l LEFT JOIN log p ON p.id = l.prev_revision AND l.deleted = 0
           WHERE l.id > @from AND l.key >= @lo ${b ? 'AND l.key < @hi' : ''} ORDER BY l.id`,
        ),
      ),
      compact: db.prepare(
        `DELETE FROM log WHERE id <= @rev
           AND (deleted = 1 OR EXISTS (SELECT 1 FROM log n WHERE n.key = log.key AND n.id > log.id AND n.id <= @rev))`,
      ),
    };
    this.load();
    this.writer = new Worker(new URL('./sqlite-writer.js', import.meta.url), { workerData: { path } });
    this.writer.unref(); // only a commit under way keeps the process alive
    this.writer.on('message', (a: WriterAnswer) => {
      const c = this.committing;
      this.committing = undefined;
      this.writer.unref();
      if (a.ok) c?.resolve();
      else c?.reject(Object.assign(new Error(a.error), a.code ? { code: a.code } : {}));
    });
    const fail = (e: Error) => {
      this.broken ??= e;
      const c = this.committing;
      this.committing = undefined;
      c?.reject(e);
    };
    this.writer.on('error', fail);
    this.writer.on('exit', () => fail(new Error(`${path}: the store's writer thread has stopped`)));
  }

  // Compaction may delete the newest rows (tombstones), never rows above the compacted revision.
  private load(): void {
    this.compactedRevision = this.stmt.compacted.get()?.value ?? 0;
    this.headRevision = Math.max(this.stmt.head.get()?.head ?? 0, this.compactedRevision);
  }

  head(): number {
    return this.headRevision;
  }

  compacted(): number {
    return this.compactedRevision;
  }

  /** Hands the batch to the writer thread; the head moves once it is durable. A failed commit leaves nothing written. */
  commit(rows: LogRow[]): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.committing) return Promise.reject(new Error('a commit is already under way'));
    const last = rows[rows.length - 1]!.revision;
    return new Promise<void>((resolve, reject) => {
      this.committing = {
        resolve: () => {
          this.headRevision = last;
          resolve();
        },
        reject,
      };
      this.writer.ref();
      this.writer.postMessage(rows.map((r): RowTuple => [r.revision, r.key, r.deleted ? 1 : 0, r.prevRevision, r.value]));
    });
  }

  range(prefix: string, after: string | undefined, revision: number, limit: number): LogRow[] {
    const hi = prefixEnd(prefix);
    const params = { lo: prefix, hi, after: after ?? '', rev: revision, limit: limit || -1 };
    return this.stmt.range(hi).all(params).map(toRow);
  }

  count(prefix: string, after: string | undefined, revision: number): number {
    const hi = prefixEnd(prefix);
    return this.stmt.count(hi).get({ lo: prefix, hi, after: after ?? '', rev: revision })!.n;
  }

  since(prefix: string, from: number): LogEntry[] {
    const hi = prefixEnd(prefix);
    return this.stmt.since(hi).all({ lo: prefix, hi, from }).map((r) => {
      const row: LogEntry = toRow(r);
      if (r.prevValue != null) row.prevValue = r.prevValue;
      return row;
    });
  }

  compact(revision: number): void {
    this.db.transaction(() => {
      this.stmt.compact.run({ rev: revision });
      this.stmt.setCompacted.run(revision);
    })();
    this.compactedRevision = revision;
  }

  async close(): Promise<void> {
    if (!this.broken) {
      const exited = new Promise((resolve) => this.writer.once('exit', resolve));
      this.writer.ref();
      this.writer.postMessage('close');
      await exited;
    }
    this.db.close();
  }
}

export class SqliteStore extends LogStore {
  constructor(readonly path: string) {
    // Concurrent writes share a commit: the fsync, not the CPU, bounds single-row commits.
    super(new SqliteLog(path), { groupCommit: true });
  }
}
