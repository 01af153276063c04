// Each filter and score of the scheduler against upstream's rules, reasons and arithmetic, and the
// whole decision's "0/N nodes are available" message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { cluster, info, node, pod } from './fixtures.js';
import { feasibleNodesToFind, fitErrorMessage, schedulePod, type ScheduleResult } from '../../src/scheduler/schedule.js';
import { podRequests } from '../../src/scheduler/resources.js';
import { balancedAllocation, balancedScore, nodeResourcesFit } from '../../src/scheduler/plugins/fit.js';
import { nodeAffinity, taintToleration } from '../../src/scheduler/plugins/node.js';
import { interPodAffinity } from '../../src/scheduler/plugins/interpodaffinity.js';
import { podTopologySpread } from '../../src/scheduler/plugins/topologyspread.js';
import { labelSelectorAsSelector } from '../../src/model/labels.js';
import type { ScorePlugin } from '../../src/scheduler/framework.js';
import type { ClusterSnapshot } from '../../src/scheduler/snapshot.js';
import type { PodInfo } from '../../src/scheduler/podinfo.js';

const NOT_HELPFUL = (n: number, of = n) => `preemption: 0/${of} nodes are available: ${n} Preemption is not helpful for scheduling.`;
const NO_VICTIMS = (n: number, of = n) => `preemption: 0/${of} nodes are available: ${n} No preemption victims found for incoming pod.`;

function message(r: ScheduleResult): string {
  assert.equal(r.kind, 'unschedulable', `expected no fit, got ${JSON.stringify(r)}`);
  return (r as { message: string }).message;
}

function placed(r: ScheduleResult): string {
  assert.equal(r.kind, 'scheduled', `expected a node, got ${JSON.stringify(r)}`);
  return (r as { node: string }).node;
}

/** Normalized scores of one plugin over every node of the snapshot (all taken as feasible). */
function scores(plugin: ScorePlugin, p: PodInfo, snap: ClusterSnapshot, defaultSelector?: ReturnType<typeof labelSelectorAsSelector>): Record<string, number> {
  const scorer = plugin.preScore(defaultSelector ? { pod: p, snap, defaultSelector } : { pod: p, snap }, snap.nodes);
  if (!scorer) return {};
  const raw = snap.nodes.map((n) => scorer.score(n));
  scorer.normalize?.(raw, snap.nodes);
  return Object.fromEntries(snap.nodes.map((n, i) => [n.name, raw[i]!]));
}

test('pod requests: init containers take the max, sidecars add up, overhead on top', () => {
  const r = podRequests({
    initContainers: [
      { name: 'i1', image: 'x', resources: { requests: { cpu: '2', memory: '1G' } } },
      { name: 'i2', image: 'x', resources: { requests: { cpu: '2', memory: '3G' } } },
    ],
    containers: [
      { name: 'c1', image: 'x', resources: { requests: { cpu: '2', memory: '1G' } } },
      { name: 'c2', image: 'x', resources: { requests: { cpu: '1', memory: '1G' } } },
    ],
    overhead: { cpu: '250m', memory: '10M' },
  });
  // upstream's example: cpu 3, memory 3G, plus the overhead
  assert.equal(r.milliCPU, 3250);
  assert.equal(r.memory, 3_010_000_000);
  const sidecar = podRequests({
    initContainers: [
      { name: 's', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '1' } } },
      { name: 'i', image: 'x', resources: { requests: { cpu: '2' } } },
    ],
    containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '1' } } }],
  });
  // max(sidecar 1 + init 2, app 1 + sidecar 1) = 3
  assert.equal(sidecar.milliCPU, 3000);
  const nonZero = podRequests({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x', resources: { requests: { cpu: '0' } } }] }, true);
  assert.equal(nonZero.milliCPU, 100); // the explicit 0 stays 0
  assert.equal(nonZero.memory, 2 * 200 * 1024 * 1024);
});

test('NodeResourcesFit: insufficient resources and too many pods, with upstream reasons', () => {
  const snap = cluster([node('a', { cpu: '2', memory: '4Gi', pods: 2 })], [pod('x', { nodeName: 'a', cpu: '1500m' })]);
  assert.equal(message(schedulePod(info(pod('p', { cpu: '1' })), snap)), `0/1 nodes are available: 1 Insufficient cpu. ${NO_VICTIMS(1)}`);
  // Bigger than the node itself: preemption cannot help.
  assert.equal(message(schedulePod(info(pod('p', { cpu: '3', memory: '8Gi' })), snap)), `0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. ${NOT_HELPFUL(1)}`);
  const full = cluster([node('a', { pods: 1 })], [pod('x', { nodeName: 'a' })]);
  assert.equal(message(schedulePod(info(pod('p')), full)), `0/1 nodes are available: 1 Too many pods. ${NO_VICTIMS(1)}`);
  const gpu = cluster([node('a'), node('b', { extra: { 'example.com/gpu': '1' } })]);
  const wantsGpu = pod('p', { containers: [{ name: 'c', image: 'x', resources: { requests: { 'example.com/gpu': '1' } } }] });
  assert.equal(placed(schedulePod(info(wantsGpu), gpu)), 'b');
  // The init container's request counts.
  const init = pod('p', { cpu: '100m', initContainers: [{ name: 'i', image: 'x', resources: { requests: { cpu: '3' } } }] });
  assert.equal(message(schedulePod(info(init), cluster([node('a', { cpu: '2' })]))), `0/1 nodes are available: 1 Insufficient cpu. ${NOT_HELPFUL(1)}`);
});

test('NodeName, NodeUnschedulable, NodeAffinity and TaintToleration reasons', () => {
  const snap = cluster([
    node('a', { unschedulable: true }),
    node('b', { labels: { disk: 'hdd' } }),
    node('c', { labels: { disk: 'ssd' }, taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }),
    node('d', { labels: { disk: 'ssd' }, taints: [{ key: 'maint', effect: 'NoExecute' }] }),
  ]);
  const p = pod('p', { nodeSelector: { disk: 'ssd' } });
  assert.equal(
    message(schedulePod(info(p), snap)),
    `0/4 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: db}, ` +
      `1 node(s) had untolerated taint {maint: }, 1 node(s) were unschedulable. ${NOT_HELPFUL(4)}`,
  );
  const tolerant = pod('p', { nodeSelector: { disk: 'ssd' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] });
  assert.equal(placed(schedulePod(info(tolerant), snap)), 'c');
  const anyTaint = pod('p', { tolerations: [{ operator: 'Exists' }] });
  // Tolerating everything includes node.kubernetes.io/unschedulable.
  assert.ok(['a', 'b', 'c', 'd'].includes(placed(schedulePod(info(anyTaint), snap))));
  const named = pod('p', { nodeName: 'b' });
  const r = schedulePod(info(named), snap);
  assert.equal(placed(r), 'b');
  const affinity = pod('p', {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }, { key: 'disk', operator: 'Exists' }] },
            { matchExpressions: [{ key: 'nothing', operator: 'In', values: ['x'] }] },
          ],
        },
      },
    },
  });
  assert.equal(placed(schedulePod(info(affinity), snap)), 'b');
});

test('NodeAffinity: matchFields pins the pod (PreFilterResult), Gt/Lt compare integers, preferred terms score', () => {
  const snap = cluster([node('a', { labels: { gen: '3' } }), node('b', { labels: { gen: '5' } }), node('c', { cpu: '1', labels: { gen: '7' } })]);
  const pinned = (name: string, cpu?: string) =>
    pod('p', {
      ...(cpu ? { cpu } : {}),
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [name] }] }] } } },
    });
  assert.equal(placed(schedulePod(info(pinned('c')), snap)), 'c');
  assert.equal(
    message(schedulePod(info(pinned('c', '2')), snap)),
    `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. ${NOT_HELPFUL(3)}`,
  );
  const gt = pod('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['4'] }, { key: 'gen', operator: 'Lt', values: ['6'] }] }] } } } });
  assert.equal(placed(schedulePod(info(gt), snap)), 'b');
  const preferred = pod('p', {
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 20, preference: { matchExpressions: [{ key: 'gen', operator: 'In', values: ['3', '5'] }] } },
          { weight: 60, preference: { matchExpressions: [{ key: 'gen', operator: 'In', values: ['5'] }] } },
        ],
      },
    },
  });
  assert.deepEqual(scores(nodeAffinity, info(preferred), snap), { a: 25, b: 100, c: 0 });
});

test('TaintToleration score: fewer untolerated PreferNoSchedule taints score higher', () => {
  const prefer = (key: string) => ({ key, effect: 'PreferNoSchedule' as const });
  const snap = cluster([node('a', { taints: [prefer('x'), prefer('y')] }), node('b', { taints: [prefer('x')] }), node('c')]);
  assert.deepEqual(scores(taintToleration, info(pod('p')), snap), { a: 0, b: 50, c: 100 });
  const tolerating = pod('p', { tolerations: [{ key: 'x', operator: 'Exists' }] });
  assert.deepEqual(scores(taintToleration, info(tolerating), snap), { a: 0, b: 100, c: 100 });
});

test('NodeResourcesFit LeastAllocated and BalancedAllocation scores', () => {
  const snap = cluster(
    [node('a', { cpu: '4', memory: '16Gi' }), node('b', { cpu: '4', memory: '16Gi' })],
    [pod('x', { nodeName: 'b', cpu: '2', memory: '4Gi' })],
  );
  const p = info(pod('p', { cpu: '1', memory: '4Gi' }));
  // a: cpu (4000-1000)/4000 = 75, memory (16-4)/16 = 75; b: cpu 25, memory 50 -> 37
  assert.deepEqual(scores(nodeResourcesFit, p, snap), { a: 75, b: 37 });
  // a: fractions .25/.25 -> 100; b: .75/.5 -> std .125 -> 87
  assert.deepEqual(scores(balancedAllocation, p, snap), { a: 100, b: 87 });
  // No requests: LeastAllocated counts 100m and 200Mi, BalancedAllocation the real zero.
  const empty = info(pod('q'));
  // a: cpu 3900/4000 → 97, memory (16384 − 200)/16384 Mi → 98 → 97; b: cpu 1900/4000 → 47, memory 12088/16384 → 73 → 60
  assert.deepEqual(scores(nodeResourcesFit, empty, snap), { a: 97, b: 60 });
  assert.deepEqual(scores(balancedAllocation, empty, snap), { a: 100, b: 87 });
  // seed 001 §7.3's 100 − |cpu% − mem%| at upstream's scale: (1 − |Δ|/2) × 100
  assert.equal(balancedScore([0.9, 0.1]), 60);
  assert.equal(balancedScore([0.5, 0.5]), 100);
  assert.equal(balancedScore([1, 0]), 50);
});

test('NodePorts: a host port in use elsewhere on the node', () => {
  const withPort = (name: string, port: number, hostIP?: string, nodeName?: string) =>
    pod(name, { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: port, ...(hostIP ? { hostIP } : {}) }] }] });
  const snap = cluster([node('a')], [withPort('x', 8080, '10.0.0.1', 'a')]);
  assert.equal(message(schedulePod(info(withPort('p', 8080)), snap)), `0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. ${NO_VICTIMS(1)}`);
  assert.equal(placed(schedulePod(info(withPort('p', 8080, '10.0.0.2')), snap)), 'a');
  assert.equal(placed(schedulePod(info(withPort('p', 8081)), snap)), 'a');
});

const zones = () => [
  node('a1', { labels: { zone: 'a' } }),
  node('a2', { labels: { zone: 'a' } }),
  node('b1', { labels: { zone: 'b' } }),
  node('nolabel'),
];

test('InterPodAffinity: required affinity and anti-affinity by topology key, and the existing pods’ anti-affinity', () => {
  const db = pod('db', { nodeName: 'a1', labels: { app: 'db' } });
  const snap = cluster(zones(), [db]);
  const term = (app: string, topologyKey: string) => ({ labelSelector: { matchLabels: { app } }, topologyKey });
  const near = pod('p', { labels: { app: 'web' }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', 'zone')] } } });
  const r = schedulePod(info(near), snap);
  assert.ok(['a1', 'a2'].includes(placed(r)));
  const noDb = cluster(zones());
  assert.equal(
    message(schedulePod(info(near), noDb)),
    `0/4 nodes are available: 4 node(s) didn't match pod affinity rules. ${NOT_HELPFUL(4)}`,
  );
  // The first of a group with affinity to itself may go anywhere with the key.
  const self = pod('p', { labels: { app: 'db' }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', 'zone')] } } });
  assert.ok(['a1', 'a2', 'b1'].includes(placed(schedulePod(info(self), noDb))));
  const away = pod('p', { labels: { app: 'web' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', 'zone')] } } });
  assert.equal(
    message(schedulePod(info(away), cluster([zones()[0]!, zones()[1]!], [db]))),
    `0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. ${NO_VICTIMS(2)}`,
  );
  assert.ok(['b1', 'nolabel'].includes(placed(schedulePod(info(away), snap))));
  // Symmetry: an existing pod's anti-affinity keeps matching pods out of its zone.
  const loner = pod('loner', { nodeName: 'b1', labels: { app: 'loner' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', 'zone')] } } });
  const withLoner = cluster(zones().slice(2, 3), [loner]);
  assert.equal(
    message(schedulePod(info(pod('w', { labels: { app: 'web' } })), withLoner)),
    `0/1 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules. ${NO_VICTIMS(1)}`,
  );
  // Anti-affinity by hostname: one per node.
  const one = (i: number, nodeName?: string) =>
    pod(`r${i}`, { labels: { app: 'r' }, ...(nodeName ? { nodeName } : {}), affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('r', 'kubernetes.io/hostname')] } } });
  const spread = cluster(zones(), [one(0, 'a1'), one(1, 'a2'), one(2, 'b1')]);
  assert.equal(placed(schedulePod(info(one(3)), spread)), 'nolabel');
});

test('InterPodAffinity score: preferred terms and the existing pods’ terms, min–max normalized', () => {
  const snap = cluster(zones(), [pod('db', { nodeName: 'a1', labels: { app: 'db' } }), pod('cache', { nodeName: 'b1', labels: { app: 'cache' } })]);
  const p = pod('p', {
    labels: { app: 'web' },
    affinity: {
      podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'zone' } }] },
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: { labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'zone' } }] },
    },
  });
  // raw: zone a +10, zone b −5, no zone 0 → (s − min) / (max − min)
  assert.deepEqual(scores(interPodAffinity, info(p), snap), { a1: 100, a2: 100, b1: 0, nolabel: 33 });
  // An existing pod that requires affinity to the incoming pod's labels pulls it (hard weight 1).
  const wants = pod('wants', { nodeName: 'b1', labels: { app: 'x' }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'zone' }] } } });
  const snap2 = cluster(zones(), [wants]);
  assert.deepEqual(scores(interPodAffinity, info(pod('w', { labels: { app: 'web' } })), snap2), { a1: 0, a2: 0, b1: 100, nolabel: 0 });
});

test('PodTopologySpread: hard constraints on skew, missing labels, minDomains', () => {
  const spreadPod = (name: string, extra: Record<string, unknown> = {}, nodeName?: string) =>
    pod(name, {
      labels: { app: 's' },
      ...(nodeName ? { nodeName } : {}),
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 's' } }, ...extra }],
    });
  const snap = cluster(zones(), [spreadPod('x', {}, 'a1'), spreadPod('y', {}, 'a2')]);
  // zone a has 2, zone b 0: only b keeps the skew within 1; the unlabeled node lacks the key.
  assert.equal(placed(schedulePod(info(spreadPod('p')), snap)), 'b1');
  const bFull = cluster(zones().filter((n) => n.metadata!.name !== 'b1'), [spreadPod('x', {}, 'a1')]);
  assert.equal(
    message(schedulePod(info(spreadPod('p', { maxSkew: 1, minDomains: 2 })), bFull)),
    `0/3 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label), 2 node(s) didn't match pod topology spread constraints. ${NOT_HELPFUL(1, 3)}`.replace(
      NOT_HELPFUL(1, 3),
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    ),
  );
  // With one domain and no minDomains the pod fits (skew 1 against itself).
  assert.ok(['a1', 'a2'].includes(placed(schedulePod(info(spreadPod('p')), bFull))));
  // A terminating pod does not count.
  const leaving = cluster(zones(), [spreadPod('x', {}, 'a1'), { ...spreadPod('y', {}, 'b1'), metadata: { ...spreadPod('y', {}, 'b1').metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } }]);
  assert.equal(placed(schedulePod(info(spreadPod('p')), leaving)), 'b1');
});

test('PodTopologySpread score: soft constraints and the system default spreading', () => {
  const snap = cluster(
    [node('n1'), node('n2'), node('n3')],
    [pod('x1', { nodeName: 'n1', labels: { app: 's' } }), pod('x2', { nodeName: 'n1', labels: { app: 's' } }), pod('x3', { nodeName: 'n2', labels: { app: 's' } })],
  );
  const soft = pod('p', { labels: { app: 's' }, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 's' } } }] });
  // raw = count × ln(3 + 2) + (maxSkew − 1): n1 3.22→3, n2 1.61→2, n3 0 → 100 × (3 + 0 − s) / 3
  assert.deepEqual(scores(podTopologySpread, info(soft), snap), { n1: 0, n2: 33, n3: 100 });
  // Without constraints, nothing unless a Service or controller selects the pod.
  assert.deepEqual(scores(podTopologySpread, info(pod('q', { labels: { app: 's' } })), snap), {});
  const byOwner = scores(podTopologySpread, info(pod('q', { labels: { app: 's' } })), snap, labelSelectorAsSelector({ matchLabels: { app: 's' } }));
  // maxSkew 3 on hostname: raw = count × ln 5 + 2 → 5.2→5, 3.6→4, 2 → 100 × (5 + 2 − s) / 5
  assert.deepEqual(byOwner, { n1: 40, n2: 60, n3: 100 });
});

const mounting = (name: string, claimName: string, nodeName?: string) =>
  pod(name, { ...(nodeName ? { nodeName } : {}), volumes: [{ name: 'v', persistentVolumeClaim: { claimName } }] });
/** A claim bound to the volume pv-<name>. */
const boundClaim = (name: string, mode = 'ReadWriteOnce'): PersistentVolumeClaim => ({
  metadata: { name, namespace: 'default', annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } },
  spec: { accessModes: [mode], volumeName: `pv-${name}` },
});

test('volumes: ReadWriteOnce claims pin pods to the node using them; ReadWriteOncePod conflicts; missing claims', () => {
  const snap = cluster([node('a'), node('b'), node('c')], [mounting('x', 'rwo', 'b'), mounting('y', 'rwop', 'c')]);
  for (const [name, mode] of [['rwo', 'ReadWriteOnce'], ['rwop', 'ReadWriteOncePod'], ['rwx', 'ReadWriteMany']] as const) {
    snap.setPVC(boundClaim(name, mode));
    snap.setPV({ metadata: { name: `pv-${name}` }, spec: { accessModes: [mode] } });
  }
  assert.equal(placed(schedulePod(info(mounting('p', 'rwo')), snap)), 'b');
  assert.equal(
    message(schedulePod(info(mounting('p', 'rwo', undefined)), cluster([node('a')], []))),
    `0/1 nodes are available: persistentvolumeclaim "rwo" not found. ${NOT_HELPFUL(1)}`,
  );
  assert.equal(
    message(schedulePod(info(mounting('p', 'rwop')), snap)),
    `0/3 nodes are available: 3 node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode. ${NO_VICTIMS(3)}`,
  );
  const both = pod('p', { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'rwo' } }], nodeSelector: { 'kubernetes.io/hostname': 'a' } });
  assert.equal(
    message(schedulePod(info(both), snap)),
    `0/3 nodes are available: 1 node(s) had volume node affinity conflict, 2 node(s) didn't match Pod's node affinity/selector. ${NOT_HELPFUL(3)}`,
  );
  assert.ok(['a', 'b', 'c'].includes(placed(schedulePod(info(mounting('p', 'rwx')), snap))));
});

test("VolumeBinding: a bound volume's node affinity, claims still to be provisioned, claims that must be bound first", () => {
  const snap = cluster([node('a'), node('b'), node('c', { labels: { zone: 'z2' } })], []);
  const onNode = (n: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [n] }] }] } });
  snap.setPVC(boundClaim('local'));
  snap.setPV({ metadata: { name: 'pv-local' }, spec: { accessModes: ['ReadWriteOnce'], nodeAffinity: onNode('b') } });
  // bound: only where its volume is, the other nodes say why
  assert.equal(placed(schedulePod(info(mounting('p', 'local')), snap)), 'b');
  const elsewhere = pod('p', { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'local' } }], nodeSelector: { 'kubernetes.io/hostname': 'a' } });
  assert.equal(
    message(schedulePod(info(elsewhere), snap)),
    `0/3 nodes are available: 1 node(s) had volume node affinity conflict, 2 node(s) didn't match Pod's node affinity/selector. ${NOT_HELPFUL(3)}`,
  );
  // bound to a volume that is not there
  snap.setPVC(boundClaim('lost'));
  assert.equal(
    message(schedulePod(info(mounting('p', 'lost')), snap)),
    `0/3 nodes are available: node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s). ${NOT_HELPFUL(3)}`,
  );
  // unbound, with no class, an Immediate one, or a class that does not exist: not until it is bound
  snap.setStorageClass({ metadata: { name: 'wait' }, provisioner: 'berth.dev/local-path', volumeBindingMode: 'WaitForFirstConsumer' });
  snap.setStorageClass({ metadata: { name: 'now' }, provisioner: 'berth.dev/local-path', volumeBindingMode: 'Immediate' });
  const unbound = (name: string, cls?: string): PersistentVolumeClaim => ({ metadata: { name, namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], ...(cls ? { storageClassName: cls } : {}) } });
  for (const c of [unbound('none'), unbound('now', 'now'), unbound('ghost', 'ghost')]) {
    snap.setPVC(c);
    assert.equal(message(schedulePod(info(mounting('p', c.metadata!.name!)), snap)), `0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. ${NOT_HELPFUL(3)}`);
  }
  // WaitForFirstConsumer: anywhere it can be provisioned
  snap.setPVC(unbound('later', 'wait'));
  assert.ok(['a', 'b', 'c'].includes(placed(schedulePod(info(mounting('p', 'later')), snap))));
  snap.setStorageClass({ metadata: { name: 'z2' }, provisioner: 'berth.dev/local-path', volumeBindingMode: 'WaitForFirstConsumer', allowedTopologies: [{ matchLabelExpressions: [{ key: 'zone', values: ['z2'] }] }] });
  snap.setPVC(unbound('zoned', 'z2'));
  assert.equal(placed(schedulePod(info(mounting('p', 'zoned')), snap)), 'c');
  snap.setStorageClass({ metadata: { name: 'manual' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' });
  snap.setPVC(unbound('manual', 'manual'));
  assert.equal(message(schedulePod(info(mounting('p', 'manual')), snap)), `0/3 nodes are available: node(s) didn't find available persistent volumes to bind. ${NOT_HELPFUL(3)}`);
  // ... until a pre-made volume of its class fits, on a node of its own
  snap.setPV({ metadata: { name: 'disk-a' }, spec: { storageClassName: 'manual', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], nodeAffinity: onNode('a') } });
  assert.equal(placed(schedulePod(info(mounting('p', 'manual')), snap)), 'a');
  snap.setPV({ metadata: { name: 'disk-a' }, spec: { storageClassName: 'manual', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], nodeAffinity: onNode('a'), claimRef: { namespace: 'default', name: 'other' } } });
  assert.match(message(schedulePod(info(mounting('p', 'manual')), snap)), /node\(s\) didn't find available persistent volumes to bind/);
  // being deleted
  snap.setPVC({ ...boundClaim('going'), metadata: { ...boundClaim('going').metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } });
  assert.equal(message(schedulePod(info(mounting('p', 'going')), snap)), `0/3 nodes are available: persistentvolumeclaim "going" is being deleted. ${NOT_HELPFUL(3)}`);
});

test('preemption: a higher-priority pod names the fewest lower-priority victims; Never does not preempt', () => {
  const snap = cluster(
    [node('a', { cpu: '2' }), node('b', { cpu: '2' })],
    [
      pod('low1', { nodeName: 'a', cpu: '1', priority: 1 }),
      pod('low2', { nodeName: 'a', cpu: '1', priority: 2 }),
      pod('mid', { nodeName: 'b', cpu: '2', priority: 50 }),
    ],
  );
  const r = schedulePod(info(pod('vip', { cpu: '1', priority: 100 })), snap);
  assert.equal(r.kind, 'unschedulable');
  const u = r as Extract<ScheduleResult, { kind: 'unschedulable' }>;
  assert.equal(u.message, '0/2 nodes are available: 2 Insufficient cpu.');
  // Node a needs one victim of priority ≤ 2; node b's victim has priority 50.
  assert.equal(u.preemption?.node, 'a');
  assert.deepEqual(u.preemption?.victims.map((v) => v.name), ['low1']);
  const never = schedulePod(info(pod('vip', { cpu: '1', priority: 100, preemptionPolicy: 'Never' })), snap);
  assert.equal(message(never), '0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
  // Equal priority: nothing to preempt.
  assert.equal(message(schedulePod(info(pod('peer', { cpu: '1', priority: 1 })), cluster([node('a', { cpu: '1' })], [pod('x', { nodeName: 'a', cpu: '1', priority: 1 })]))), `0/1 nodes are available: 1 Insufficient cpu. ${NO_VICTIMS(1)}`);
  // A pod nominated to a node keeps its room from lower-priority pods.
  const nominated = info(pod('vip', { cpu: '2', priority: 100, nominated: 'a' }));
  const r2 = schedulePod(info(pod('small', { cpu: '1' })), cluster([node('a', { cpu: '2' })]), { nominated: (n) => (n === 'a' ? [nominated] : []) });
  assert.equal(message(r2), `0/1 nodes are available: 1 Insufficient cpu. ${NO_VICTIMS(1)}`);
});

test('preemption spares pods a disruption budget protects: the node whose victims break fewest budgets, and on a node those reprieved first', () => {
  const budget = (name: string, app: string, allowed: number, disrupted: Record<string, string> = {}) =>
    ({ metadata: { name, namespace: 'default' }, spec: { selector: { matchLabels: { app } } }, status: { disruptionsAllowed: allowed, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1, disruptedPods: disrupted } });
  const two = () => cluster(
    [node('a', { cpu: '2' }), node('b', { cpu: '2' })],
    [pod('guarded', { nodeName: 'a', cpu: '2', priority: 1, labels: { app: 'db' } }), pod('free', { nodeName: 'b', cpu: '2', priority: 5, labels: { app: 'web' } })],
  );
  const vip = info(pod('vip', { cpu: '2', priority: 100 }));
  // without budgets: the lowest-priority victim, on a
  const plain = schedulePod(vip, two()) as Extract<ScheduleResult, { kind: 'unschedulable' }>;
  assert.equal(plain.preemption?.node, 'a');
  // a's pod would break its budget: b instead, though its victim's priority is higher
  const snap = two();
  snap.setDisruptionBudget(budget('db', 'db', 0) as never);
  const spared = schedulePod(vip, snap) as Extract<ScheduleResult, { kind: 'unschedulable' }>;
  assert.equal(spared.preemption?.node, 'b');
  assert.deepEqual(spared.preemption?.victims.map((v) => v.name), ['free']);
  // a budget with room, or a pod the API already counts as disrupted, breaks nothing
  for (const b of [budget('db', 'db', 1), budget('db', 'db', 0, { guarded: '2026-01-01T00:00:00Z' })]) {
    const s2 = two();
    s2.setDisruptionBudget(b as never);
    assert.equal((schedulePod(vip, s2) as Extract<ScheduleResult, { kind: 'unschedulable' }>).preemption?.node, 'a');
  }
  // on one node: of two pods either of which would make room, the one a budget protects is reprieved
  const one = () => cluster([node('a', { cpu: '2' })], [
    pod('p1', { nodeName: 'a', cpu: '1', priority: 1, labels: { app: 'web' } }),
    pod('p2', { nodeName: 'a', cpu: '1', priority: 1, labels: { app: 'db' } }),
  ]);
  const small = info(pod('vip', { cpu: '1', priority: 100 }));
  assert.deepEqual((schedulePod(small, one()) as Extract<ScheduleResult, { kind: 'unschedulable' }>).preemption?.victims.map((v) => v.name), ['p2']);
  const guarded = one();
  guarded.setDisruptionBudget(budget('db', 'db', 0) as never);
  assert.deepEqual((schedulePod(small, guarded) as Extract<ScheduleResult, { kind: 'unschedulable' }>).preemption?.victims.map((v) => v.name), ['p1']);
});

test('the search: how many feasible nodes are enough, where it starts, and the tie-break', () => {
  assert.equal(feasibleNodesToFind(50), 50);
  assert.equal(feasibleNodesToFind(100), 100);
  assert.equal(feasibleNodesToFind(1000), 420);
  assert.equal(feasibleNodesToFind(5000), 500);
  assert.equal(feasibleNodesToFind(10000), 500);
  assert.equal(feasibleNodesToFind(1000, 10), 100);
  const snap = cluster([node('a'), node('b'), node('c')]);
  const p = info(pod('p'));
  // Equal nodes: the first in evaluation order, which starts at startIndex.
  assert.equal(placed(schedulePod(p, snap, { startIndex: 0 })), 'a');
  assert.equal(placed(schedulePod(p, snap, { startIndex: 1 })), 'b');
  assert.equal(placed(schedulePod(p, snap, { startIndex: 2 })), 'c');
  // With the runner's random number (upstream's selectHost): each equal node as likely, in evaluation order.
  assert.deepEqual([0, 0.33, 0.34, 0.66, 0.67, 0.999].map((tieBreak) => placed(schedulePod(p, snap, { startIndex: 1, tieBreak }))), ['b', 'b', 'c', 'c', 'a', 'a']);
  assert.equal(placed(schedulePod(p, snap, { startIndex: 1, tieBreak: NaN })), 'b');
  // A better node wins whatever the number; the tie is only among the best.
  const uneven = cluster([node('a'), node('b', { cpu: '8' }), node('c')]);
  assert.deepEqual([0, 0.5, 0.999].map((tieBreak) => placed(schedulePod(info(pod('q', { cpu: '1' })), uneven, { tieBreak }))), ['b', 'b', 'b']);
  // listTies names every best node in evaluation order (the model checker takes each).
  assert.deepEqual((schedulePod(p, snap, { startIndex: 1, listTies: true }) as { tied?: string[] }).tied, ['b', 'c', 'a']);
  assert.deepEqual((schedulePod(info(pod('q', { cpu: '1' })), uneven, { listTies: true }) as { tied?: string[] }).tied, ['b']);
  assert.equal((schedulePod(p, snap, {}) as { tied?: string[] }).tied, undefined);
  // On 1000 nodes it looks at 420 and moves the start on by that much.
  const many = cluster(Array.from({ length: 1000 }, (_, i) => node(`n${String(i).padStart(4, '0')}`)));
  const r = schedulePod(p, many, { startIndex: 900 });
  assert.equal(r.kind, 'scheduled');
  assert.equal((r as { feasibleNodes: number }).feasibleNodes, 420);
  assert.equal(r.nextStartIndex, (900 + 420) % 1000);
  assert.equal(placed(r), 'n0900');
  // No nodes at all.
  assert.equal(message(schedulePod(p, cluster([]))), 'no nodes available to schedule pods');
  assert.equal(fitErrorMessage(2, [], 'x'), '0/2 nodes are available: x.');
});
