// The behaviour every ObjectStore backend must show, as one suite each backend's test runs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { KubeObject } from '../../src/model/object.js';
import { StoreError, type ObjectStore, type StoreErrorCode, type StoreEvent } from '../../src/store/types.js';

export type StoreFactory = () => ObjectStore | Promise<ObjectStore>;

const obj = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  ...extra,
});

/** Lets queued watch deliveries run. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function rejects(p: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StoreError, `expected a StoreError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected StoreError ${code}`);
}

function throws(fn: () => unknown, code: StoreErrorCode): StoreError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StoreError, `expected a StoreError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected StoreError ${code}`);
}

function record(store: ObjectStore, prefix: string, from: number) {
  const events: StoreEvent[] = [];
  const errors: StoreError[] = [];
  const watch = store.watch(prefix, from, { event: (e) => events.push(e), error: (e) => errors.push(e) });
  return { events, errors, watch };
}

const rv = (o: KubeObject | undefined) => o?.metadata.resourceVersion;
const names = (items: KubeObject[]) => items.map((o) => o.metadata.name);

export function runStoreConformance(name: string, factory: StoreFactory): void {
  const withStore = (fn: (s: ObjectStore) => Promise<void>) => async () => {
    const s = await factory();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  };

  describe(`${name}: ObjectStore conformance`, () => {
    test('revisions start at 1 and advance by one per write; KeyExists does not advance them', withStore(async (s) => {
      assert.equal(await s.revision(), 0);
      assert.equal(await s.compactedRevision(), 0);
      const a = await s.create('/core/configmaps/ns/a', obj('a'));
      assert.equal(rv(a), '1');
      assert.equal(await s.revision(), 1);
      const err = await rejects(s.create('/core/configmaps/ns/a', obj('a2')), 'KeyExists');
      assert.equal(err.key, '/core/configmaps/ns/a');
      assert.equal(await s.revision(), 1);
      assert.equal(rv(await s.create('/core/configmaps/ns/b', obj('b'))), '2');
      assert.deepEqual(await s.get('/core/configmaps/ns/a'), a);
    }));

    test('resourceVersion is the store\'s, and returned objects are copies', withStore(async (s) => {
      const input = obj('a', { data: { x: '1' } });
      (input.metadata as { resourceVersion?: string }).resourceVersion = '999';
      const created = await s.create('/k/a', input);
      assert.equal(rv(created), '1');
      (input.data as Record<string, string>).x = 'changed';
      (created.data as Record<string, string>).x = 'changed too';
      const got = await s.get('/k/a');
      assert.deepEqual(got, obj('a', { data: { x: '1' }, metadata: { name: 'a', resourceVersion: '1' } }));
    }));

    test('get of a missing key is undefined', withStore(async (s) => {
      assert.equal(await s.get('/k/missing'), undefined);
      await s.create('/k/a', obj('a'));
      assert.equal(await s.get('/k/a/'), undefined);
      assert.equal(await s.get('/k/'), undefined);
    }));

    test('update: unconditional, with a matching revision, and Conflict with the current object', withStore(async (s) => {
      await s.create('/k/a', obj('a', { v: 1 }));
      const u1 = await s.update('/k/a', obj('a', { v: 2 }));
      assert.equal(rv(u1), '2');
      const u2 = await s.update('/k/a', obj('a', { v: 3 }), 2);
      assert.equal(rv(u2), '3');
      assert.equal(u2.v, 3);
      const err = await rejects(s.update('/k/a', obj('a', { v: 4 }), 2), 'Conflict');
      assert.deepEqual(err.current, u2);
      assert.equal(await s.revision(), 3);
      assert.deepEqual(await s.get('/k/a'), u2);
    }));

    test('update and delete of a missing key fail with NotFound', withStore(async (s) => {
      await rejects(s.update('/k/a', obj('a')), 'NotFound');
      await rejects(s.delete('/k/a'), 'NotFound');
      await s.create('/k/a', obj('a'));
      await s.delete('/k/a');
      await rejects(s.update('/k/a', obj('a'), 1), 'NotFound');
      await rejects(s.delete('/k/a'), 'NotFound');
      assert.equal(await s.revision(), 2);
    }));

    test('delete returns the last state at the delete\'s revision; preconditions apply; the key can be created again', withStore(async (s) => {
      await s.create('/k/a', obj('a', { v: 1 }));
      await s.update('/k/a', obj('a', { v: 2 }));
      const err = await rejects(s.delete('/k/a', 1), 'Conflict');
      assert.equal(rv(err.current as KubeObject), '2');
      const gone = await s.delete('/k/a', 2);
      assert.deepEqual(gone, obj('a', { v: 2, metadata: { name: 'a', resourceVersion: '3' } }));
      assert.equal(await s.get('/k/a'), undefined);
      const again = await s.create('/k/a', obj('a', { v: 9 }));
      assert.equal(rv(again), '4');
    }));

    test('list: exact prefixes, key order (Unicode code point order)', withStore(async (s) => {
      const keys = ['/core/pods/a/x', '/core/pods/ab/y', '/core/pods/a/b', '/core/podsx/q', '/core/pod', '/u/\uFFFD', '/u/\u{1F600}', '/u/z'];
      for (const k of keys) await s.create(k, obj(k));
      assert.deepEqual(names((await s.list('/core/pods/a/')).items), ['/core/pods/a/b', '/core/pods/a/x']);
      assert.deepEqual(names((await s.list('/core/pods/')).items), ['/core/pods/a/b', '/core/pods/a/x', '/core/pods/ab/y']);
      assert.deepEqual(names((await s.list('/u/')).items), ['/u/z', '/u/\uFFFD', '/u/\u{1F600}']);
      assert.deepEqual(names((await s.list('/nothing/')).items), []);
      const all = await s.list('');
      assert.deepEqual(names(all.items), [
        '/core/pod', '/core/pods/a/b', '/core/pods/a/x', '/core/pods/ab/y', '/core/podsx/q', '/u/z', '/u/\uFFFD', '/u/\u{1F600}',
      ]);
      assert.equal(all.revision, keys.length);
      assert.equal(all.lastKey, undefined);
      assert.equal(all.remaining, undefined);
      for (const o of all.items) assert.equal(o.metadata.resourceVersion, String(keys.indexOf(o.metadata.name!) + 1));
    }));

    test('list pages stay at one revision while writes happen between pages', withStore(async (s) => {
      for (let i = 0; i < 10; i++) await s.create(`/k/${i}`, obj(`${i}`));
      await s.create('/other/x', obj('x'));
      const first = await s.list('/k/', { limit: 4 });
      assert.deepEqual(names(first.items), ['0', '1', '2', '3']);
      assert.equal(first.lastKey, '/k/3');
      assert.equal(first.remaining, 6);
      const at = first.revision;
      assert.equal(at, 11);
      // Between pages: a create that sorts into a later page, a delete and an update on later pages.
      await s.create('/k/55', obj('55'));
      await s.delete('/k/7');
      await s.update('/k/8', obj('8', { changed: true }));
      const seen = [...first.items];
      let page = first;
      while (page.lastKey !== undefined) {
        page = await s.list('/k/', { limit: 4, after: page.lastKey, revision: at });
        assert.equal(page.revision, at);
        seen.push(...page.items);
      }
      assert.deepEqual(names(seen), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      assert.equal(seen.find((o) => o.metadata.name === '8')!.changed, undefined);
      const second = await s.list('/k/', { limit: 4, after: '/k/3', revision: at });
      assert.equal(second.remaining, 2);
      // A limit that takes exactly everything leaves nothing to continue.
      const exact = await s.list('/k/', { limit: 10, revision: at });
      assert.equal(exact.items.length, 10);
      assert.equal(exact.lastKey, undefined);
      // The latest state, paged.
      const now = await s.list('/k/', { limit: 100 });
      assert.deepEqual(names(now.items), ['0', '1', '2', '3', '4', '5', '55', '6', '8', '9']);
      // `after` outside the prefix.
      assert.deepEqual(names((await s.list('/k/', { after: '/a' })).items).length, 10);
      assert.deepEqual(names((await s.list('/k/', { after: '/z' })).items), []);
    }));

    test('list at a past revision sees later-deleted objects and old versions, not later creations', withStore(async (s) => {
      await s.create('/k/a', obj('a', { v: 1 }));
      await s.create('/k/b', obj('b'));
      const r = await s.revision();
      await s.update('/k/a', obj('a', { v: 2 }));
      await s.delete('/k/b');
      await s.create('/k/c', obj('c'));
      const past = await s.list('/k/', { revision: r });
      assert.equal(past.revision, r);
      assert.deepEqual(past.items, [
        obj('a', { v: 1, metadata: { name: 'a', resourceVersion: '1' } }),
        obj('b', { metadata: { name: 'b', resourceVersion: '2' } }),
      ]);
      assert.deepEqual(names((await s.list('/k/')).items), ['a', 'c']);
      assert.deepEqual(names((await s.list('/k/', { revision: 4 })).items), ['a']);
    }));

    test('count', withStore(async (s) => {
      assert.equal(await s.count('/k/'), 0);
      await s.create('/k/a', obj('a'));
      await s.create('/k/b', obj('b'));
      await s.create('/kb', obj('kb'));
      await s.update('/k/a', obj('a'));
      assert.equal(await s.count('/k/'), 2);
      await s.delete('/k/b');
      assert.equal(await s.count('/k/'), 1);
      assert.equal(await s.count(''), 2);
    }));

    test('watch replays history after `from`, then delivers live events, in revision order', withStore(async (s) => {
      await s.create('/k/a', obj('a', { v: 1 }));
      await s.create('/k/b', obj('b'));
      await s.update('/k/a', obj('a', { v: 2 }));
      await s.create('/x/outside', obj('x'));
      const w = record(s, '/k/', 1);
      assert.equal(w.events.length, 0, 'no handler runs inside watch()');
      await s.delete('/k/b');
      await s.create('/k/c', obj('c'));
      await settle();
      assert.deepEqual(
        w.events.map((e) => [e.type, e.key, e.revision]),
        [
          ['ADDED', '/k/b', 2],
          ['MODIFIED', '/k/a', 3],
          ['DELETED', '/k/b', 5],
          ['ADDED', '/k/c', 6],
        ],
      );
      const [added, modified, deleted] = w.events;
      assert.equal(added!.prevObject, undefined);
      assert.equal(rv(added!.object), '2');
      assert.deepEqual(modified!.object, obj('a', { v: 2, metadata: { name: 'a', resourceVersion: '3' } }));
      assert.deepEqual(modified!.prevObject, obj('a', { v: 1, metadata: { name: 'a', resourceVersion: '1' } }));
      assert.deepEqual(deleted!.object, obj('b', { metadata: { name: 'b', resourceVersion: '5' } }));
      assert.deepEqual(deleted!.prevObject, obj('b', { metadata: { name: 'b', resourceVersion: '2' } }));
      // Live events carry the same shapes as replayed ones.
      const live = record(s, '/k/', await s.revision());
      await s.update('/k/c', obj('c', { v: 1 }));
      await s.delete('/k/c');
      await settle();
      assert.deepEqual(live.events.map((e) => [e.type, rv(e.object), rv(e.prevObject)]), [
        ['MODIFIED', '7', '6'],
        ['DELETED', '8', '7'],
      ]);
      assert.deepEqual(w.errors, []);
      w.watch.stop();
      live.watch.stop();
    }));

    test('watch prefixes are exact', withStore(async (s) => {
      const a = record(s, '/core/pods/a/', 0);
      const all = record(s, '/core/pods/', 0);
      await s.create('/core/pods/ab/x', obj('x'));
      await s.create('/core/pods/a/y', obj('y'));
      await s.create('/core/podsx', obj('z'));
      await settle();
      assert.deepEqual(a.events.map((e) => e.key), ['/core/pods/a/y']);
      assert.deepEqual(all.events.map((e) => e.key), ['/core/pods/ab/x', '/core/pods/a/y']);
    }));

    test('watch events are in order for many watchers, also when a handler writes', withStore(async (s) => {
      const watchers = Array.from({ length: 20 }, (_, i) => record(s, i % 2 ? '/k/' : '', 0));
      let wrote = false;
      // A handler that writes from inside delivery must not reorder anyone's events.
      s.watch('/k/', 0, {
        event: () => {
          if (!wrote) {
            wrote = true;
            void s.create('/k/from-handler', obj('h'));
          }
        },
        error: () => {},
      });
      for (let i = 0; i < 10; i++) await s.create(`/k/${i}`, obj(`${i}`));
      await settle();
      await settle();
      for (const w of watchers) {
        const revs = w.events.map((e) => e.revision);
        assert.equal(revs.length, 11);
        assert.deepEqual(revs, [...revs].sort((x, y) => x - y));
      }
    }));

    test('watch stop ends delivery, even of queued events', withStore(async (s) => {
      const w = record(s, '', 0);
      await s.create('/k/a', obj('a'));
      await settle();
      assert.equal(w.events.length, 1);
      const write = s.create('/k/b', obj('b')); // its event is queued, not yet delivered
      w.watch.stop();
      await write;
      await s.create('/k/c', obj('c'));
      await settle();
      assert.deepEqual(w.events.map((e) => e.key), ['/k/a']);
      w.watch.stop();
      assert.deepEqual(w.errors, []);
    }));

    test('a throwing handler stops its own watch with an error and breaks nothing else', withStore(async (s) => {
      const errors: StoreError[] = [];
      let calls = 0;
      s.watch('/k/', 0, {
        event: () => {
          calls++;
          throw new Error('boom');
        },
        error: (e) => errors.push(e),
      });
      const other = record(s, '/k/', 0);
      assert.equal(rv(await s.create('/k/a', obj('a'))), '1');
      await s.create('/k/b', obj('b'));
      await settle();
      assert.equal(calls, 1);
      assert.equal(errors.length, 1);
      assert.match(errors[0]!.message, /boom/);
      assert.deepEqual(other.events.map((e) => e.key), ['/k/a', '/k/b']);
      assert.equal(await s.count('/k/'), 2);
    }));

    test('event objects are shared and frozen', withStore(async (s) => {
      const a = record(s, '/k/', 0);
      const b = record(s, '/k/', 0);
      await s.create('/k/a', obj('a'));
      await settle();
      assert.equal(a.events[0], b.events[0]);
      assert.ok(Object.isFrozen(a.events[0]!.object.metadata));
    }));

    test('compaction drops old history: older reads fail with Compacted, later ones still work', withStore(async (s) => {
      await s.create('/k/a', obj('a', { v: 1 })); // 1
      await s.create('/k/b', obj('b')); // 2
      await s.update('/k/a', obj('a', { v: 2 })); // 3
      await s.delete('/k/b'); // 4
      await s.create('/k/c', obj('c')); // 5
      await s.update('/k/c', obj('c', { v: 2 })); // 6
      await s.delete('/k/a'); // 7
      const before = new Map<number, KubeObject[]>();
      for (let r = 1; r <= 7; r++) before.set(r, (await s.list('/k/', { revision: r })).items);
      await s.compact(5);
      assert.equal(await s.compactedRevision(), 5);
      assert.equal(await s.revision(), 7);
      const err = await rejects(s.list('/k/', { revision: 4 }), 'Compacted');
      assert.equal(err.current, 5);
      assert.equal(throws(() => s.watch('/k/', 4, { event() {}, error() {} }), 'Compacted').current, 5);
      throws(() => s.watch('/k/', 0, { event() {}, error() {} }), 'Compacted');
      for (let r = 5; r <= 7; r++) assert.deepEqual((await s.list('/k/', { revision: r })).items, before.get(r), `list at ${r}`);
      const w = record(s, '/k/', 5);
      await settle();
      assert.deepEqual(w.events.map((e) => [e.type, e.key, e.revision, rv(e.prevObject)]), [
        ['MODIFIED', '/k/c', 6, '5'],
        ['DELETED', '/k/a', 7, '3'],
      ]);
      // Compacting to an older revision is a no-op; to the head is allowed.
      await s.compact(3);
      assert.equal(await s.compactedRevision(), 5);
      await s.compact(7);
      assert.equal(await s.compactedRevision(), 7);
      assert.deepEqual((await s.list('/k/')).items, before.get(7));
      assert.equal(rv(await s.create('/k/a', obj('a'))), '8');
      assert.equal(rv(await s.get('/k/c')), '6');
    }));

    test('FutureRevision for reads, watches and compactions ahead of the store', withStore(async (s) => {
      await s.create('/k/a', obj('a'));
      const err = await rejects(s.list('/k/', { revision: 2 }), 'FutureRevision');
      assert.match(err.message, /Too large resource version: 2, current: 1/);
      throws(() => s.watch('/k/', 2, { event() {}, error() {} }), 'FutureRevision');
      await rejects(s.compact(2), 'FutureRevision');
      const w = record(s, '/k/', 1);
      await s.create('/k/b', obj('b'));
      await settle();
      assert.deepEqual(w.events.map((e) => e.revision), [2]);
    }));

    test('close ends watches with Closed, and later calls fail with Closed', async () => {
      const s = await factory();
      const w = record(s, '', 0);
      await s.create('/k/a', obj('a'));
      await s.close();
      await settle();
      assert.deepEqual(w.errors.map((e) => e.code), ['Closed']);
      await rejects(s.get('/k/a'), 'Closed');
      await rejects(s.create('/k/b', obj('b')), 'Closed');
      throws(() => s.watch('', 0, { event() {}, error() {} }), 'Closed');
      await s.close();
    });

    test('property: random writes agree with a model in get, list, past lists and watch replay', async () => {
      const key = fc.constantFrom('/p/a', '/p/b', '/p/c', '/p/ab', '/pa');
      const op = fc.oneof(
        fc.record({ op: fc.constant('create' as const), key, v: fc.nat(9) }),
        fc.record({ op: fc.constant('update' as const), key, v: fc.nat(9), stale: fc.option(fc.boolean(), { nil: undefined }) }),
        fc.record({ op: fc.constant('delete' as const), key, stale: fc.option(fc.boolean(), { nil: undefined }) }),
        fc.record({ op: fc.constant('compact' as const), back: fc.nat(3) }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
          const s = await factory();
          try {
            type Entry = { v: number; rev: number };
            let model = new Map<string, Entry>();
            const snapshots: Map<string, Entry>[] = [new Map()]; // the model at each revision
            let compacted = 0;
            const expectOf = (k: string, e: Entry) => obj(k, { v: e.v, metadata: { name: k, resourceVersion: String(e.rev) } });
            const listOf = (m: Map<string, Entry>, prefix: string) =>
              [...m].filter(([k]) => k.startsWith(prefix)).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, e]) => expectOf(k, e));
            const commit = () => {
              snapshots.push(model);
              return snapshots.length - 1;
            };
            for (const o of ops) {
              const cur = o.op === 'compact' ? undefined : model.get(o.key);
              // `stale`: a precondition that is wrong; false: a correct one; undefined: none.
              const stale = 'stale' in o ? o.stale : undefined;
              const expected = stale !== undefined && cur ? (stale ? cur.rev + 1 : cur.rev) : undefined;
              if (o.op === 'create') {
                if (cur) await rejects(s.create(o.key, obj(o.key, { v: o.v })), 'KeyExists');
                else {
                  model = new Map(model).set(o.key, { v: o.v, rev: snapshots.length });
                  assert.deepEqual(await s.create(o.key, obj(o.key, { v: o.v })), expectOf(o.key, model.get(o.key)!));
                  commit();
                }
              } else if (o.op === 'update') {
                if (!cur) await rejects(s.update(o.key, obj(o.key, { v: o.v }), expected), 'NotFound');
                else if (o.stale) await rejects(s.update(o.key, obj(o.key, { v: o.v }), expected), 'Conflict');
                else {
                  model = new Map(model).set(o.key, { v: o.v, rev: snapshots.length });
                  assert.deepEqual(await s.update(o.key, obj(o.key, { v: o.v }), expected), expectOf(o.key, model.get(o.key)!));
                  commit();
                }
              } else if (o.op === 'delete') {
                if (!cur) await rejects(s.delete(o.key, expected), 'NotFound');
                else if (o.stale) await rejects(s.delete(o.key, expected), 'Conflict');
                else {
                  model = new Map(model);
                  model.delete(o.key);
                  assert.deepEqual(await s.delete(o.key, expected), expectOf(o.key, { v: cur.v, rev: snapshots.length }));
                  commit();
                }
              } else {
                const to = Math.max(0, snapshots.length - 1 - o.back);
                await s.compact(to);
                compacted = Math.max(compacted, to);
              }
              assert.equal(await s.revision(), snapshots.length - 1);
              for (const k of ['/p/a', '/p/b', '/p/c', '/p/ab', '/pa']) {
                const e = model.get(k);
                assert.deepEqual(await s.get(k), e && expectOf(k, e));
              }
              assert.deepEqual((await s.list('/p/')).items, listOf(model, '/p/'));
              assert.equal(await s.count('/p/'), listOf(model, '/p/').length);
            }
            assert.equal(await s.compactedRevision(), compacted);
            // Revision 0 in a list means the latest, so the empty state before the first write is not listed.
            for (let r = Math.max(compacted, 1); r < snapshots.length; r++) {
              assert.deepEqual((await s.list('', { revision: r })).items, listOf(snapshots[r]!, ''), `list at ${r}`);
            }
            if (compacted > 1) await rejects(s.list('', { revision: compacted - 1 }), 'Compacted');
            // The state at the compacted revision plus the watch from it reproduce the final state.
            const start = compacted === 0 ? [] : (await s.list('', { revision: compacted })).items;
            const replayed = new Map(start.map((o) => [o.metadata.name!, o]));
            const w = record(s, '', compacted);
            await settle();
            w.watch.stop();
            let last = compacted;
            for (const e of w.events) {
              assert.ok(e.revision > last, 'events in revision order');
              last = e.revision;
              assert.equal(e.type === 'ADDED', !replayed.has(e.key));
              if (e.type !== 'ADDED') assert.deepEqual(e.prevObject, replayed.get(e.key));
              if (e.type === 'DELETED') replayed.delete(e.key);
              else replayed.set(e.key, e.object);
            }
            assert.deepEqual([...replayed.values()].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1)), listOf(model, ''));
          } finally {
            await s.close();
          }
        }),
        { numRuns: 60, includeErrorInReport: true },
      );
    });
  });
}
