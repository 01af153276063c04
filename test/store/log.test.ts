// LogStore over a log whose commit can fail: a write whose commit fails is refused and leaves
// nothing behind (not readable, not watched, its revision not used), synchronous log or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogStore, type LogEntry, type LogRow, type RevisionLog } from '../../src/store/log.js';
import type { StoreEvent } from '../../src/store/types.js';

class FlakyLog implements RevisionLog {
  rows: LogRow[] = [];
  /** How the next commit goes wrong, if it does; async: commits return promises. */
  failNext: 'throw' | 'reject' | undefined;
  constructor(private readonly async: boolean) {}
  head(): number {
    return this.rows.at(-1)?.revision ?? 0;
  }
  compacted(): number {
    return 0;
  }
  commit(rows: LogRow[]): Promise<void> | void {
    const fail = this.failNext;
    this.failNext = undefined;
    if (fail === 'throw') throw new Error('disk full');
    if (fail === 'reject') return Promise.reject(new Error('lost the quorum'));
    const take = () => void this.rows.push(...rows.map((r) => ({ revision: r.revision, key: r.key, deleted: r.deleted, prevRevision: r.prevRevision, value: r.value })));
    if (!this.async) return take();
    return Promise.resolve().then(take);
  }
  private latest(revision: number): Map<string, LogRow> {
    const m = new Map<string, LogRow>();
    for (const r of this.rows) if (r.revision <= revision) m.set(r.key, r);
    return m;
  }
  range(prefix: string, after: string | undefined, revision: number, limit: number): LogRow[] {
    const out = [...this.latest(revision).values()].filter((r) => !r.deleted && r.key.startsWith(prefix) && (after === undefined || r.key > after)).sort((a, b) => (a.key < b.key ? -1 : 1));
    return limit ? out.slice(0, limit) : out;
  }
  count(prefix: string, after: string | undefined, revision: number): number {
    return this.range(prefix, after, revision, 0).length;
  }
  since(prefix: string, from: number): LogEntry[] {
    return this.rows.filter((r) => r.revision > from && r.key.startsWith(prefix));
  }
  compact(): void {}
  close(): void {}
}

for (const async of [false, true]) {
  test(`a write whose commit fails is refused and leaves nothing (${async ? 'asynchronous' : 'synchronous'} log)`, async () => {
    const log = new FlakyLog(async);
    const store = new LogStore(log);
    const seen: StoreEvent[] = [];
    store.watch('/', 0, { event: (e) => seen.push(e), error: () => undefined });
    const made = await store.create('/core/configmaps/default/a', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' }, data: { v: '1' } });
    for (const how of ['throw', 'reject'] as const) {
      log.failNext = how;
      await assert.rejects(
        store.update('/core/configmaps/default/a', { ...made, data: { v: '2' } }),
        (e: Error) => /disk full|lost the quorum/.test(e.message),
      );
      const now = await store.get('/core/configmaps/default/a');
      assert.deepEqual(now?.data, { v: '1' });
      assert.equal(now?.metadata.resourceVersion, made.metadata.resourceVersion);
    }
    const next = await store.update('/core/configmaps/default/a', { ...made, data: { v: '3' } });
    assert.equal(Number(next.metadata.resourceVersion), Number(made.metadata.resourceVersion) + 1);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen.map((e) => [e.type, (e.object as { data?: unknown }).data]), [['ADDED', { v: '1' }], ['MODIFIED', { v: '3' }]]);
    assert.equal(log.head(), Number(next.metadata.resourceVersion));
  });
}
