// The scheduler cache's incremental indexes agree with a recount from scratch whatever happens to
// pods and nodes (topology spread reads the per-domain totals on every decision).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { labelSelectorAsSelector, selectorToString } from '../../src/model/labels.js';
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
