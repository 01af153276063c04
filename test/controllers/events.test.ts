// Event correlation as client-go records events: counts for repeats, aggregation of similar
// events, the per-object spam filter; through the real API semantics on a memory store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '../../src/model/api.js';
import { EventCorrelator, EventRecorder, type EventObject } from '../../src/client/events.js';
import { eventAction } from '../../src/controllers/runtime.js';
import { ApiWorld } from './api-world.js';

const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'default', uid: 'u-rs', resourceVersion: '5' } };
const eventOf = (message: string, now: number, reason = 'SuccessfulCreate', seq = 0) => {
  const a = eventAction(rs, 'Normal', reason, message, now, 'replicaset-controller', seq);
  if (a.kind !== 'create') throw new Error('an event is a create');
  return a.object as EventObject;
};

async function events(w: ApiWorld): Promise<EventObject[]> {
  return (await w.client.list(R.events, 'default')).items as EventObject[];
}

test('a repeated event is patched with a higher count, not created again', async () => {
  const w = await new ApiWorld([]).init();
  try {
    const rec = new EventRecorder(w.client, () => w.t);
    await rec.record(eventOf('Created pod: web-1-a', w.t));
    w.t += 1000;
    await rec.record(eventOf('Created pod: web-1-a', w.t, 'SuccessfulCreate', 1));
    const all = await events(w);
    assert.equal(all.length, 1);
    assert.equal(all[0]!.count, 2);
    assert.equal(all[0]!.firstTimestamp, '2026-01-01T00:00:00Z');
    assert.equal(all[0]!.lastTimestamp, '2026-01-01T00:00:01Z');
  } finally {
    await w.close();
  }
});

test('more than 10 similar events in 10 minutes are combined; a source gets 25 events about an object, then one per 5 minutes', async () => {
  const w = await new ApiWorld([]).init();
  try {
    const rec = new EventRecorder(w.client, () => w.t);
    for (let i = 0; i < 100; i++) {
      w.t += 10;
      await rec.record(eventOf(`Created pod: web-1-${i}`, w.t, 'SuccessfulCreate', i));
    }
    const all = await events(w);
    // 9 events as they came, then one combined event carrying the count of the rest the filter let through
    const plain = all.filter((e) => !e.message!.startsWith('(combined'));
    const combined = all.filter((e) => e.message!.startsWith('(combined from similar events): '));
    assert.equal(plain.length, 9);
    assert.equal(combined.length, 1);
    assert.equal(combined[0]!.count, 25 - 9);
    assert.equal(combined[0]!.message, '(combined from similar events): Created pod: web-1-24');
    // five minutes refill one token
    w.t += 300_000;
    await rec.record(eventOf('Created pod: web-1-100', w.t, 'SuccessfulCreate', 100));
    await rec.record(eventOf('Created pod: web-1-101', w.t, 'SuccessfulCreate', 101));
    const after = (await events(w)).find((e) => e.message!.startsWith('(combined'))!;
    // as in client-go, the count counts every occurrence seen, the filtered ones too (events 9 to 100)
    assert.equal(after.count, 92);
    assert.equal(after.message, '(combined from similar events): Created pod: web-1-100');
  } finally {
    await w.close();
  }
});

test('events about different objects are filtered separately; an expired event is created afresh', async () => {
  const w = await new ApiWorld([]).init();
  try {
    const rec = new EventRecorder(w.client, () => w.t);
    const about = (name: string) => {
      const a = eventAction({ ...rs, metadata: { ...rs.metadata, name, uid: `u-${name}` } }, 'Normal', 'Scheduled', `assigned ${name}`, w.t, 'default-scheduler');
      return (a as { object: EventObject }).object;
    };
    for (let i = 0; i < 40; i++) await rec.record(about(`p${i}`));
    assert.equal((await events(w)).length, 40);
    const first = (await events(w)).find((e) => e.involvedObject!.name === 'p0')!;
    await w.client.delete(R.events, 'default', first.metadata.name!);
    w.t += 1000;
    await rec.record(about('p0'));
    const again = (await events(w)).filter((e) => e.involvedObject!.name === 'p0');
    assert.equal(again.length, 1);
    assert.equal(again[0]!.count, 2);
  } finally {
    await w.close();
  }
});

test('the correlator decides without I/O: skip, create, patch', () => {
  let now = 0;
  const c = new EventCorrelator(() => now);
  const e = eventOf('m', 0);
  assert.equal(c.correlate(e).kind, 'create');
  c.recorded({ ...e, metadata: { ...e.metadata, resourceVersion: '7' } });
  now = 1000;
  const again = c.correlate(eventOf('m', now));
  assert.equal(again.kind, 'patch');
  assert.deepEqual(again.kind === 'patch' && again.patch, { count: 2, lastTimestamp: '1970-01-01T00:00:01Z', message: 'm' });
  for (let i = 0; i < 23; i++) c.correlate(eventOf('m', now));
  assert.equal(c.correlate(eventOf('m', now)).kind, 'skip');
});
