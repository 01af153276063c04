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
const selectors = ([
  { matchLabels: { app: 'a' } },
  { matchLabels: { app: 'a', tier: 'x' } },
  { matchExpressions: [{ key: 'app', operator: 'In', values: ['b'] }] },
  { matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] },
  { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
  { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['b'] }] },
] as LabelSelector[]).map((ls) => {
  const s = labelSelectorAsSelector(ls);
  return { s, key: selectorToString(s) };
});

type PodStep =
  | { op: 'pod'; p: number; n: number; app: 'a' | 'b' | null; tier: 'x' | 'y' | null; deleting: boolean }
  | { op: 'status'; p: number }
  | { op: 'relabel'; p: number; app: 'a' | 'b' }
  | { op: 'removePod'; p: number }
  | { op: 'ask'; k: number };

const podStep: fc.Arbitrary<PodStep> = fc.oneof(
  fc.record({ op: fc.constant('pod' as const), p: fc.nat(7), n: fc.nat(3), app: fc.constantFrom('a' as const, 'b' as const, null), tier: fc.constantFrom('x' as const, 'y' as const, null), deleting: fc.boolean() }),
  fc.record({ op: fc.constant('status' as const), p: fc.nat(7) }),
  fc.record({ op: fc.constant('relabel' as const), p: fc.nat(7), app: fc.constantFrom('a' as const, 'b' as const) }),
  fc.record({ op: fc.constant('removePod' as const), p: fc.nat(7) }),
  fc.record({ op: fc.constant('ask' as const), k: fc.nat(selectors.length - 1) }),
);

test('counts by selector follow pod versions as a recount would, whichever selectors were asked about', () => {
  fc.assert(
    fc.property(fc.array(podStep, { maxLength: 80 }), (steps) => {
      const snap = new ClusterSnapshot();
      snap.setNamespace('default', {});
      for (let n = 0; n < 4; n++) snap.setNode(node(`n${n}`));
      const current = new Map<number, ReturnType<typeof pod>>();
      const asked = new Set<number>();
      const check = () => {
        for (const k of asked) {
          const { s, key } = selectors[k]!;
          for (const terminating of [false, true]) {
            const recount = new Map<string, number>();
            for (const n of snap.nodes) {
              let c = 0;
              for (const p of n.pods.values()) if ((terminating || !p.terminating) && matchesLabels(s, p.labels)) c++;
              if (c) recount.set(n.name, c);
            }
            assert.deepEqual(new Map([...snap.matchingByNode('default', s, key, terminating)].sort()), new Map([...recount].sort()), `${key} ${terminating}`);
          }
        }
      };
      for (const st of steps) {
        if (st.op === 'pod') {
          const labels: Record<string, string> = {};
          if (st.app) labels.app = st.app;
          if (st.tier) labels.tier = st.tier;
          const p = pod(`p${st.p}`, { labels, deleting: st.deleting, nodeName: `n${st.n}` });
          current.set(st.p, p);
          snap.addPod(podInfoOf(p));
        } else if (st.op === 'status') {
          // Same spec and labels objects, a new object around them, as the store shares them.
          const cur = current.get(st.p);
          if (!cur) continue;
          const p = { ...cur, metadata: { ...cur.metadata, resourceVersion: String(steps.indexOf(st)) }, status: { phase: 'Running' } };
          current.set(st.p, p);
          snap.addPod(podInfoOf(p));
          assert.equal(snap.pod(`default/p${st.p}`)!.pod, p);
        } else if (st.op === 'relabel') {
          // A label patch: the spec object stays, the labels are new.
          const cur = current.get(st.p);
          if (!cur) continue;
          const p = { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata!.labels, app: st.app } } };
          current.set(st.p, p);
          snap.addPod(podInfoOf(p));
        } else if (st.op === 'removePod') {
          current.delete(st.p);
          snap.removePod(`default/p${st.p}`);
        } else asked.add(st.k);
        check();
      }
    }),
    { numRuns: 300 },
  );
});
