// The node table is only a shortcut: on random clusters changed step by step (nodes coming, going
// and relabelled, pods placed and removed), every decision with the snapshot's table equals the
// decision without it, to the node, start index, counts, score, message and preemption. A table
// that lies about one flag must be caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { labelSelectorAsSelector, type Selector } from '../../src/model/labels.js';
import { NodeTable } from '../../src/scheduler/nodetable.js';
import { podInfoOf } from '../../src/scheduler/podinfo.js';
import { podTopologySpread } from '../../src/scheduler/plugins/topologyspread.js';
import { schedulePod, type ScheduleOptions } from '../../src/scheduler/schedule.js';
import { ClusterSnapshot, type Snapshot } from '../../src/scheduler/snapshot.js';
import { node, pod } from './fixtures.js';

const GPU = 'example.com/gpu';
/** For what keeps the table out of a decision: often enough to test that, rarely enough to test the table. */
const rarely = fc.constantFrom(false, false, false, true);

const taintArb = fc.constantFrom<Taint[] | undefined>(
  undefined,
  undefined,
  [{ key: 'k', value: 'v', effect: 'NoSchedule' }],
  [{ key: 'soft', value: 'x', effect: 'PreferNoSchedule' }],
  [{ key: 'k', value: 'v', effect: 'NoExecute' }, { key: 'soft', value: 'y', effect: 'PreferNoSchedule' }],
);

const nodeArb = fc.record({
  n: fc.nat(7),
  cpu: fc.constantFrom('0', '1', '2', '4'),
  memory: fc.constantFrom('0', '1Gi', '4Gi'),
  pods: fc.constantFrom(0, 1, 2, 3, 110),
  zone: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
  disk: fc.constantFrom('ssd', 'hdd'),
  taints: taintArb,
  unschedulable: fc.boolean(),
  gpu: fc.boolean(),
});

const tolerationArb = fc.constantFrom<Toleration[] | undefined>(
  undefined,
  undefined,
  [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }],
  [{ key: 'soft', operator: 'Exists', effect: 'PreferNoSchedule' }],
  [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
  [{ operator: 'Exists' }],
);

const podArb = fc.record({
  cpu: fc.constantFrom<string | undefined>(undefined, '0', '300m', '1', '2'),
  memory: fc.constantFrom<string | undefined>(undefined, '512Mi', '2Gi'),
  gpu: rarely,
  app: fc.constantFrom('x', 'y'),
  port: fc.boolean(),
  tolerations: tolerationArb,
  ssdOnly: rarely,
  preferSsd: fc.boolean(),
  antiX: rarely,
  spread: fc.constantFrom<string | undefined>(undefined, undefined, 'DoNotSchedule', 'ScheduleAnyway'),
  spreadKey: fc.constantFrom('zone', 'zone', 'kubernetes.io/hostname'),
  priority: fc.constantFrom(0, 10),
});

type PodCase = typeof podArb extends fc.Arbitrary<infer T> ? T : never;
type NodeCase = typeof nodeArb extends fc.Arbitrary<infer T> ? T : never;

function podOf(c: PodCase, name: string): Pod {
  const p = pod(name, {
    labels: { app: c.app },
    ...(c.cpu ? { cpu: c.cpu } : {}),
    ...(c.memory ? { memory: c.memory } : {}),
    ...(c.tolerations ? { tolerations: c.tolerations } : {}),
    ...(c.ssdOnly ? { nodeSelector: { disk: 'ssd' } } : {}),
    ...(c.spread ? { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: c.spreadKey, whenUnsatisfiable: c.spread as 'DoNotSchedule', labelSelector: { matchLabels: { app: c.app } } }] } : {}),
    priority: c.priority,
  });
  const ctr = p.spec!.containers[0]!;
  if (c.gpu) ctr.resources = { requests: { ...(ctr.resources?.requests ?? {}), [GPU]: '1' } };
  if (c.port) ctr.ports = [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }];
  const affinity: NonNullable<Pod['spec']>['affinity'] = {};
  if (c.antiX) affinity.podAntiAffinity = { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'kubernetes.io/hostname' }] };
  if (c.preferSsd) affinity.nodeAffinity = { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }] };
  if (c.antiX || c.preferSsd) p.spec!.affinity = affinity;
  return p;
}

function nodeOf(c: NodeCase, copy: number) {
  return node(`n${c.n}-${copy}`, {
    cpu: c.cpu,
    memory: c.memory,
    pods: c.pods,
    labels: { disk: c.disk, ...(c.zone ? { zone: c.zone } : {}) },
    ...(c.taints ? { taints: c.taints } : {}),
    ...(c.unschedulable ? { unschedulable: true } : {}),
    ...(c.gpu ? { extra: { [GPU]: '2' } } : {}),
  });
}

type Step =
  | { op: 'node'; node: NodeCase }
  | { op: 'removeNode'; n: number }
  | { op: 'place'; pod: PodCase; n: number; p: number }
  | { op: 'removePod'; p: number }
  | { op: 'schedule'; pod: PodCase; start: number; nominate: boolean; spreadByDefault: boolean };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('node' as const), node: nodeArb }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('removeNode' as const), n: fc.nat(7) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('place' as const), pod: podArb, n: fc.nat(7), p: fc.nat(11) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('removePod' as const), p: fc.nat(11) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('schedule' as const), pod: podArb, start: fc.nat(1000), nominate: rarely, spreadByDefault: fc.boolean() }), weight: 4 },
);

/** The same snapshot without a table: the decision reads every NodeInfo. */
function withoutTable(s: ClusterSnapshot): Snapshot {
  return {
    get nodes() {
      return s.nodes;
    },
    node: (n) => s.node(n),
    podsWithScoringTerms: () => s.podsWithScoringTerms(),
    requiredAntiAffinityTerms: () => s.requiredAntiAffinityTerms(),
    namespaceLabels: (ns) => s.namespaceLabels(ns),
    pvc: (ns, n) => s.pvc(ns, n),
    pv: (n) => s.pv(n),
    persistentVolumes: () => s.persistentVolumes(),
    storageClass: (n) => s.storageClass(n),
    claimUsers: (ns, c) => s.claimUsers(ns, c),
    matchingByNode: (ns, sel, key, t) => s.matchingByNode(ns, sel, key, t),
    matchingByDomain: (ns, sel, key, topo) => s.matchingByDomain(ns, sel, key, topo),
  };
}

/** A snapshot whose table is tampered with before each decision (to show the property can fail). */
function lying(s: ClusterSnapshot, tamper: (t: NodeTable) => NodeTable): Snapshot {
  return Object.assign(withoutTable(s), { nodeTable: () => tamper(s.nodeTable()) });
}

const appSelector = labelSelectorAsSelector({ matchLabels: { app: 'x' } });

const nodeName = (n: number, copies: number) => `n${n}-${n % copies}`;

/** A step that changes the snapshot. */
function change(snap: ClusterSnapshot, s: Exclude<Step, { op: 'schedule' }>, copies: number): void {
  if (s.op === 'node') for (let c = 0; c < copies; c++) snap.setNode(nodeOf(s.node, c));
  else if (s.op === 'removeNode') snap.removeNode(nodeName(s.n, copies));
  else if (s.op === 'place') snap.addPod({ ...podInfoOf(podOf(s.pod, `p${s.p}`)), nodeName: nodeName(s.n, copies) });
  else snap.removePod(`default/p${s.p}`);
}

/**
 * Runs the steps; at each decision compares the snapshot (with its table) against `other`'s view of
 * it. Returns how many decisions settled some node from the table.
 */
function run(copies: number, steps: Step[], other: (s: ClusterSnapshot) => Snapshot, used: { table: number }): void {
  const snap = new ClusterSnapshot();
  snap.setNamespace('default', {});
  const counted: Snapshot = Object.assign(withoutTable(snap), {
    nodeTable: () => {
      used.table++;
      return snap.nodeTable();
    },
    matchingByRow: (ns: string, sel: Selector, key: string, t: NodeTable) => snap.matchingByRow(ns, sel, key, t),
  });
  for (const s of steps) {
    if (s.op !== 'schedule') change(snap, s, copies);
    else {
      const p = podInfoOf(podOf(s.pod, 'incoming'));
      const nominee = podInfoOf(podOf({ ...s.pod, priority: 10, port: true, cpu: '1' }, 'nominee'));
      const opts: ScheduleOptions = {
        startIndex: snap.nodes.length ? s.start % snap.nodes.length : 0,
        ...(s.spreadByDefault ? { defaultSelector: appSelector } : {}),
        ...(s.nominate ? { nominated: (n: string) => (n === nodeName(1, copies) ? [nominee] : []) } : {}),
      };
      const fast = schedulePod(p, counted, opts);
      const slow = schedulePod(p, other(snap), opts);
      assert.deepEqual(fast, slow);
    }
  }
}

/** Copies of each node (40: enough nodes that a decision stops before it has seen them all), first nodes, then steps. */
const cases = fc.tuple(
  fc.constantFrom(1, 1, 1, 40),
  fc.array(nodeArb.map((node): Step => ({ op: 'node', node })), { minLength: 1, maxLength: 5 }),
  fc.array(stepArb, { maxLength: 40, size: 'medium' }),
);

test('decisions with the node table equal decisions without it', () => {
  const used = { table: 0 };
  fc.assert(
    fc.property(cases, ([copies, nodes, steps]) => run(copies, [...nodes, ...steps], withoutTable, used)),
    { numRuns: 400 },
  );
  assert.ok(used.table > 300, `the table was used in ${used.table} decisions`);
});

test('topology spreading scores every node alike from the table and from its NodeInfo', () => {
  // Raw scores of every node, not only the winner: a wrong count that moves no winner shows here.
  let compared = 0;
  let counted = 0;
  fc.assert(
    fc.property(cases, ([copies, nodes, steps]) => {
      const snap = new ClusterSnapshot();
      snap.setNamespace('default', {});
      for (const s of [...nodes, ...steps]) {
        if (s.op !== 'schedule') {
          change(snap, s, copies);
          continue;
        }
        const pod = podInfoOf(podOf({ ...s.pod, spread: s.pod.spread && 'ScheduleAnyway' }, 'incoming'));
        const cycle = { pod, snap, ...(s.spreadByDefault ? { defaultSelector: appSelector } : {}) };
        const feasible = snap.nodes;
        const table = snap.nodeTable();
        const rows = Int32Array.from(feasible, (_, i) => i);
        const slow = podTopologySpread.preScore({ ...cycle, snap: withoutTable(snap) }, feasible);
        const fast = podTopologySpread.preScore(cycle, feasible, { table, rows });
        if (!slow || !fast) {
          assert.equal(fast, slow);
          continue;
        }
        const a = feasible.map((n) => slow.score(n));
        const b = feasible.map((n, i) => fast.scoreRow!(table, i, n));
        assert.deepEqual(b, a);
        slow.normalize!(a, feasible);
        fast.normalize!(b, feasible);
        assert.deepEqual(b, a);
        compared++;
        if (new Set(a).size > 1) counted++;
      }
    }),
    { numRuns: 300 },
  );
  assert.ok(compared > 300 && counted > 100, `${compared} decisions compared, ${counted} with nodes scored apart`);
});

test('a table that hides a taint, a cordon, a port, a pod count, room for pods or the requests scores read is caught', () => {
  const hide = (field: 'flags' | 'podCount' | 'allowedPods' | 'nonZeroCPU' | 'reqMemory') => (t: NodeTable) => {
    const c = new NodeTable(t.size, t.nodes);
    for (const k of Object.keys(t) as (keyof NodeTable)[]) {
      const v = t[k];
      if (ArrayBuffer.isView(v)) (c[k] as Float64Array).set(v as Float64Array);
    }
    c[field].fill(0);
    return c;
  };
  // Runs to the first catch over 30 seeds: reqMemory's median was about 50 but its tail passed 500,
  // so 400 runs missed it now and then; the check stops at the first catch, so a high cap costs nothing.
  for (const field of ['flags', 'podCount', 'allowedPods', 'nonZeroCPU', 'reqMemory'] as const) {
    const prop = fc.property(cases, ([copies, nodes, steps]) => run(copies, [...nodes, ...steps], (s) => lying(s, hide(field)), { table: 0 }));
    const r = fc.check(prop, { numRuns: 5000, endOnFailure: true });
    assert.ok(r.failed, `a table without ${field} went unnoticed`);
  }
});
