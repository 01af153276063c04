// The SQLite store's writer thread: it appends each batch of rows the store hands it as one
// transaction (synchronous=FULL: the commit returns once the WAL is fsynced) and answers when the
// batch is durable. Inserting, committing and checkpointing happen here, so the API server's
// thread keeps serving while the disk works. Messages: a batch (rows as
// [revision, key, deleted, prevRevision, value] tuples) or 'close'; answers: { ok: true } or
// { error, code } for the batch, in order.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export type RowTuple = [revision: number, key: string, deleted: 0 | 1, prevRevision: number, value: string];
export type WriterAnswer = { ok: true } | { ok: false; error: string; code?: string };

const { path } = workerData as { path: string };
const port = parentPort!;
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
const insert = db.prepare('INSERT INTO log (id, key, deleted, prev_revision, value) VALUES (?, ?, ?, ?, ?)');
const append = db.transaction((rows: RowTuple[]) => {
  for (const r of rows) insert.run(r[0], r[1], r[2], r[3], r[4]);
});

port.on('message', (m: RowTuple[] | 'close') => {
  if (m === 'close') {
    db.close();
    port.close();
    return;
  }
  let answer: WriterAnswer;
  try {
    append.immediate(m);
    answer = { ok: true };
  } catch (e) {
    answer = { ok: false, error: e instanceof Error ? e.message : String(e), ...((e as { code?: string }).code ? { code: (e as { code: string }).code } : {}) };
  }
  port.postMessage(answer);
});
