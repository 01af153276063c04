// The scheduler cache's incremental indexes agree with a recount from scratch whatever happens to
// pods and nodes (topology spread reads the per-domain totals on every decision).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { labelSelectorAsSelector, matches as matchesLabels, selectorToString } from '../../src/model/labels.js';
import { podInfoOf } from '../../src/scheduler/podinfo.js';
import { ClusterSnapshot, domainTotals } from '../../src/scheduler/snapshot.js';
import { node, pod } from './fixtures.js';

const ZONE = 'topology.kubernetes.io/zone';
const selector = labelSelectorAsSelector({ matchLabels: { app: 'a' } });
const selectorKey = selectorToString(selector);

type Step =
  | { op: 'node'; n: number; zone: number | null }
  | { op: 'removeNode'; n: number }
  | { op: 'pod'; p: number; n: number; app: 'a' | 'b'; deleting: boolean }
  | { op: 'removePod'; p: number }
  | { op: 'ask' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('node' as const), n: fc.nat(4), zone: fc.option(fc.nat(2)) }),
  fc.record({ op: fc.constant('removeNode' as const), n: fc.nat(4) }),
  fc.record({ op: fc.constant('pod' as const), p: fc.nat(9), n: fc.nat(5), app: fc.constantFrom('a' as const, 'b' as const), deleting: fc.boolean() }),
  fc.record({ op: fc.constant('removePod' as const), p: fc.nat(9) }),
  fc.constant({ op: 'ask' as const }),
);

test('per-domain totals follow pods and node labels as a recount would', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
      const snap = new ClusterSnapshot();
      snap.setNamespace('default', {});
      for (const s of steps) {
        if (s.op === 'node') snap.setNode(node(`n${s.n}`, s.zone === null ? {} : { labels: { [ZONE]: `z${s.zone}` } }));
        else if (s.op === 'removeNode') snap.removeNode(`n${s.n}`);
        else if (s.op === 'pod') snap.addPod({ ...podInfoOf(pod(`p${s.p}`, { labels: { app: s.app }, deleting: s.deleting })), nodeName: `n${s.n}` });
        else if (s.op === 'removePod') snap.removePod(`default/p${s.p}`);
        // Asking builds the totals; later steps must keep them right.
        const got = snap.matchingByDomain('default', selector, selectorKey, ZONE);
        if (s.op !== 'ask') continue;
        const want = domainTotals(snap, snap.matchingByNode('default', selector, selectorKey, false), ZONE);
        assert.deepEqual(new Map([...got].sort()), new Map([...want].sort()));
      }
      const final = snap.matchingByDomain('default', selector, selectorKey, ZONE);
      const recount = new Map<string, number>();
      for (const n of snap.nodes) {
        let c = 0;
        for (const p of n.pods.values()) if (p.labels.app === 'a' && !p.terminating) c++;
        if (c) recount.set(n.labels[ZONE] ?? '', (recount.get(n.labels[ZONE] ?? '') ?? 0) + c);
      }
      assert.deepEqual(new Map([...final].sort()), new Map([...recount].sort()));
    }),
    { numRuns: 500 },
  );
});

// The counts by selector are kept for every selector asked about, and a new version of a pod that
// counts the same (a status write: the same spec and labels objects) only takes the old one's
// place; a label patch (new labels, the same spec) must be recounted. A recount must agree.
// The selectors cover each way an index is bucketed (by one required value of app or of tier, or
// in no bucket) and the namespaces keep their indexes apart.
const selectors = ([
  { matchLabels: { app: 'a' } },
  { matchLabels: { app: 'a', tier: 'x' } },
  { matchLabels: { tier: 'y' } },
  { matchExpressions: [{ key: 'tier', operator: 'In', values: ['x'] }, { key: 'app', operator: 'In', values: ['b'] }] },
  { matchExpressions: [{ key: 'app', operator: 'In', values: ['b'] }] },
  { matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] },
  { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
  { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['b'] }] },
  {},
  null,
] as (LabelSelector | null)[]).map((ls) => {
  const s = labelSelectorAsSelector(ls);
  return { s, key: selectorToString(s) + (s.nothing ? '<nothing>' : '') };
});
const namespaces = ['default', 'other'];

type PodStep =
  | { op: 'pod'; p: number; ns: number; n: number; app: 'a' | 'b' | null; tier: 'x' | 'y' | null; deleting: boolean }
  | { op: 'status'; p: number }
  | { op: 'relabel'; p: number; app: 'a' | 'b' }
  | { op: 'removePod'; p: number }
  | { op: 'ask'; k: number; ns: number };

const podStep: fc.Arbitrary<PodStep> = fc.oneof(
  fc.record({ op: fc.constant('pod' as const), p: fc.nat(7), ns: fc.nat(1), n: fc.nat(3), app: fc.constantFrom('a' as const, 'b' as const, null), tier: fc.constantFrom('x' as const, 'y' as const, null), deleting: fc.boolean() }),
  fc.record({ op: fc.constant('status' as const), p: fc.nat(7) }),
  fc.record({ op: fc.constant('relabel' as const), p: fc.nat(7), app: fc.constantFrom('a' as const, 'b' as const) }),
  fc.record({ op: fc.constant('removePod' as const), p: fc.nat(7) }),
  fc.record({ op: fc.constant('ask' as const), k: fc.nat(selectors.length - 1), ns: fc.nat(1) }),
);

test('counts by selector follow pod versions as a recount would, whichever selectors were asked about', () => {
  fc.assert(
    fc.property(fc.array(podStep, { maxLength: 80 }), (steps) => {
      const snap = new ClusterSnapshot();
      for (const ns of namespaces) snap.setNamespace(ns, {});
      for (let n = 0; n < 4; n++) snap.setNode(node(`n${n}`));
      const current = new Map<number, ReturnType<typeof pod>>();
      const keyOf = (p: ReturnType<typeof pod>) => `${p.metadata!.namespace}/${p.metadata!.name}`;
      const asked = new Set<string>();
      const check = () => {
        for (const a of asked) {
          const [ns, k] = a.split(' ') as [string, string];
          const { s, key } = selectors[Number(k)]!;
          for (const terminating of [false, true]) {
            const recount = new Map<string, number>();
            for (const n of snap.nodes) {
              let c = 0;
              for (const p of n.pods.values()) if (p.namespace === ns && (terminating || !p.terminating) && matchesLabels(s, p.labels)) c++;
              if (c) recount.set(n.name, c);
            }
            assert.deepEqual(new Map([...snap.matchingByNode(ns, s, key, terminating)].sort()), new Map([...recount].sort()), `${ns} ${key} ${terminating}`);
          }
        }
      };
      for (const st of steps) {
        if (st.op === 'pod') {
          const labels: Record<string, string> = {};
          if (st.app) labels.app = st.app;
          if (st.tier) labels.tier = st.tier;
          const p = pod(`p${st.p}`, { ns: namespaces[st.ns]!, labels, deleting: st.deleting, nodeName: `n${st.n}` });
          const old = current.get(st.p);
          if (old && keyOf(old) !== keyOf(p)) snap.removePod(keyOf(old));
          current.set(st.p, p);
          snap.addPod(podInfoOf(p));
        } else if (st.op === 'status') {
          // Same spec and labels objects, a new object around them, as the store shares them.
          const cur = current.get(st.p);
          if (!cur) continue;
          const p = { ...cur, metadata: { ...cur.metadata, resourceVersion: String(steps.indexOf(st)) }, status: { phase: 'Running' } };
          current.set(st.p, p);
          snap.addPod(podInfoOf(p));
          assert.equal(snap.pod(keyOf(p))!.pod, p);
        } else if (st.op === 'relabel') {
          // A label patch: the spec object stays, the labels are new.
          const cur = current.get(st.p);
          if (!cur) continue;
          const p = { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata!.labels, app: st.app } } };
          current.set(st.p, p);
          snap.addPod(podInfoOf(p));
        } else if (st.op === 'removePod') {
          const cur = current.get(st.p);
          if (!cur) continue;
          current.delete(st.p);
          snap.removePod(keyOf(cur));
        } else asked.add(`${namespaces[st.ns]} ${st.k}`);
        check();
      }
    }),
    { numRuns: 300 },
  );
});

// Past its limit the cache drops the index used longest ago; one dropped and asked for again is
// rebuilt, and pods coming and going meanwhile are counted by the indexes that remain.
test('counts stay right for selectors dropped past the index limit and asked for again', () => {
  const snap = new ClusterSnapshot();
  snap.setNamespace('default', {});
  snap.setNode(node('n0'));
  snap.setNode(node('n1'));
  const sel = (i: number) => {
    const s = labelSelectorAsSelector({ matchLabels: { app: `v${i % 700}`, 'pod-template-hash': `h${i}` } });
    return { s, key: selectorToString(s) };
  };
  const place = (i: number, n: string) => snap.addPod(podInfoOf(pod(`p${i}`, { labels: { app: `v${i % 700}`, 'pod-template-hash': `h${i}` }, nodeName: n })));
  const count = (i: number) => snap.matchingByNode('default', sel(i).s, sel(i).key, false).get('n0') ?? 0;
  for (let i = 0; i < 700; i++) {
    place(i, 'n0');
    assert.equal(count(i), 1);
  }
  for (let i = 0; i < 700; i++) place(i + 700, i % 2 ? 'n0' : 'n1');
  for (let i = 0; i < 700; i += 50) snap.removePod(`default/p${i}`);
  for (let i = 0; i < 1400; i += 7) assert.equal(count(i), i < 700 ? (i % 50 ? 1 : 0) : i % 2 ? 1 : 0, `p${i}`);
});
