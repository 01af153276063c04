// Scheduling as a constraint problem (seed 004 §16.2): on small random clusters, every placement the
// scheduler makes satisfies every constraint (checked by an independent verifier written straight
// from the rules), and it answers "unschedulable" only when brute force finds no node that works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { cluster, info, node, pod } from './fixtures.js';
import { schedulePod } from '../../src/scheduler/schedule.js';

interface NodeCase {
  cpu: number;
  pods: number;
  zone?: string;
  disk: string;
  tainted: boolean;
}

interface PodCase {
  cpu: number;
  app: string;
  ssdOnly: boolean;
  tolerates: boolean;
  /** required anti-affinity by hostname to pods with app=x */
  antiX: boolean;
  /** required affinity by zone to pods with app=y */
  nearY: boolean;
  /** hard spread over zones (maxSkew 1) of pods with its app */
  spread: boolean;
  claim: boolean;
}

const nodeArb = fc.record({
  cpu: fc.constantFrom(1000, 2000, 4000),
  pods: fc.constantFrom(2, 3, 110),
  zone: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
  disk: fc.constantFrom('ssd', 'hdd'),
  tainted: fc.boolean(),
});

const podArb = fc.record({
  cpu: fc.constantFrom(0, 500, 1000, 2000),
  app: fc.constantFrom('x', 'y', 'z'),
  ssdOnly: fc.boolean(),
  tolerates: fc.boolean(),
  antiX: fc.boolean(),
  nearY: fc.boolean(),
  spread: fc.boolean(),
  claim: fc.boolean(),
});

function nodeOf(c: NodeCase, i: number): Node {
  return node(`n${i}`, {
    cpu: `${c.cpu}m`,
    pods: c.pods,
    labels: { disk: c.disk, ...(c.zone ? { zone: c.zone } : {}) },
    ...(c.tainted ? { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' as const }] } : {}),
  });
}

function podOf(c: PodCase, i: number): Pod {
  const affinity: NonNullable<Pod['spec']>['affinity'] = {};
  if (c.antiX) affinity.podAntiAffinity = { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'kubernetes.io/hostname' }] };
  if (c.nearY) affinity.podAffinity = { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'y' } }, topologyKey: 'zone' }] };
  return pod(`p${i}`, {
    labels: { app: c.app },
    ...(c.cpu ? { cpu: `${c.cpu}m` } : {}),
    ...(c.ssdOnly ? { nodeSelector: { disk: 'ssd' } } : {}),
    ...(c.tolerates ? { tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }] } : {}),
    ...(c.antiX || c.nearY ? { affinity } : {}),
    ...(c.spread ? { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: c.app } } }] } : {}),
    ...(c.claim ? { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] } : {}),
  });
}

interface Placed {
  c: PodCase;
  node: number;
}

/** The constraints, stated directly. */
function works(nodes: NodeCase[], placed: Placed[], p: PodCase, n: number): boolean {
  const nc = nodes[n]!;
  const here = placed.filter((q) => q.node === n);
  if (here.length + 1 > nc.pods) return false;
  if (here.reduce((s, q) => s + q.c.cpu, 0) + p.cpu > nc.cpu) return false;
  if (p.ssdOnly && nc.disk !== 'ssd') return false;
  if (nc.tainted && !p.tolerates) return false;
  if (p.claim && placed.some((q) => q.c.claim && q.node !== n)) return false;
  // anti-affinity, both ways, by hostname
  if (p.antiX && here.some((q) => q.c.app === 'x')) return false;
  if (p.app === 'x' && here.some((q) => q.c.antiX)) return false;
  // affinity by zone to app=y, or the first of its kind (it matches its own term)
  if (p.nearY) {
    if (!nc.zone) return false;
    // Only pods in some zone count (a pod on a node without the key is in no domain).
    const ys = placed.filter((q) => q.c.app === 'y' && nodes[q.node]!.zone);
    const inZone = ys.some((q) => nodes[q.node]!.zone === nc.zone);
    if (!inZone && !(ys.length === 0 && p.app === 'y')) return false;
  }
  // spread: nodes the pod may use (node selector honoured) with a zone are the domains
  if (p.spread) {
    if (!nc.zone) return false;
    const eligible = nodes.map((x, i) => i).filter((i) => nodes[i]!.zone && (!p.ssdOnly || nodes[i]!.disk === 'ssd'));
    const count = (z: string) => placed.filter((q) => q.c.app === p.app && eligible.includes(q.node) && nodes[q.node]!.zone === z).length;
    const domains = [...new Set(eligible.map((i) => nodes[i]!.zone!))];
    const min = Math.min(...domains.map(count));
    if (count(nc.zone) + 1 - min > 1) return false;
  }
  return true;
}

test('every placement satisfies every constraint, and unschedulable means no node works (brute force)', () => {
  fc.assert(
    fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 4 }), fc.array(podArb, { minLength: 1, maxLength: 7 }), fc.nat(3), (nodes, pods, start) => {
      const placed: Placed[] = [];
      const bound: Pod[] = [];
      for (let i = 0; i < pods.length; i++) {
        const p = podOf(pods[i]!, i);
        const snap = cluster(nodes.map(nodeOf), bound);
        snap.setPVC({ metadata: { name: 'data', namespace: 'default', annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } }, spec: { accessModes: ['ReadWriteOnce'], volumeName: 'pv-data' } });
        snap.setPV({ metadata: { name: 'pv-data' }, spec: { accessModes: ['ReadWriteOnce'] } });
        const r = schedulePod(info(p), snap, { startIndex: start % nodes.length });
        const again = schedulePod(info(p), snap, { startIndex: start % nodes.length });
        assert.deepEqual(again, r, 'the decision is a function of its inputs');
        const feasible = nodes.map((_, n) => works(nodes, placed, pods[i]!, n));
        if (r.kind === 'scheduled') {
          const n = Number(r.node.slice(1));
          assert.ok(feasible[n], `pod ${i} placed on n${n}, which breaks a constraint: ${JSON.stringify({ nodes, placed, pod: pods[i] })}`);
          placed.push({ c: pods[i]!, node: n });
          bound.push({ ...p, spec: { ...p.spec!, nodeName: r.node } });
        } else {
          assert.ok(!feasible.some(Boolean), `pod ${i} unschedulable (${r.message}) but n${feasible.indexOf(true)} works: ${JSON.stringify({ nodes, placed, pod: pods[i] })}`);
          assert.match(r.message, new RegExp(`^0/${nodes.length} nodes are available: `));
        }
      }
    }),
    { numRuns: 400 },
  );
});
