// The embedded store: the revision log as one SQLite table (the kine layout), through
// better-sqlite3. WAL with synchronous=FULL fsyncs the log on every commit, so a write is
// acknowledged only once it survives kill -9 and power loss.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
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
      current: db.prepare<[string], RawRow>(`SELECT ${columns} FROM log l WHERE l.key = ? ORDER BY l.id DESC LIMIT 1`),
      insert: db.prepare('INSERT INTO log (id, key, deleted, prev_revision, value) VALUES (?, ?, ?, ?, ?)'),
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

  atomically<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      this.load(); // a failed commit leaves the revisions as the database has them
      throw e;
    }
  }

  current(key: string): LogRow | undefined {
    const r = this.stmt.current.get(key);
    return r && !r.deleted ? toRow(r) : undefined;
  }

  append(key: string, deleted: boolean, prevRevision: number, value: string): number {
    const revision = this.headRevision + 1;
    this.stmt.insert.run(revision, key, deleted ? 1 : 0, prevRevision, value);
    return (this.headRevision = revision);
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

  close(): void {
    this.db.close();
  }
}

export class SqliteStore extends LogStore {
  constructor(readonly path: string) {
    // Concurrent writes share a commit: the fsync, not the CPU, bounds single-row commits.
    super(new SqliteLog(path), { groupCommit: true });
  }
}
