// Scheduler decision throughput: the pure decision (filters, scores, selection) plus the cache
// update that assumes each pod onto its node, on 1,000 nodes, for 30,000 pods of mixed sizes —
// without the API server or binding (the end-to-end benchmark measures those). Printed beside
// KWOK's published 20 pods/s.
// Run: node dist/bench/scheduler.js
import { performance } from 'node:perf_hooks';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { labelSelectorAsSelector } from '../src/model/labels.js';
import { podInfoOf } from '../src/scheduler/podinfo.js';
import { schedulePod } from '../src/scheduler/schedule.js';
import { ClusterSnapshot } from '../src/scheduler/snapshot.js';
import { fmt, printTable } from './lib.js';

const NODES = 1000;
const PODS = 30_000;
const KWOK_PODS_PER_SECOND = 20;

function node(i: number): Node {
  const name = `node-${String(i).padStart(4, '0')}`;
  const alloc = { cpu: '32', memory: '128Gi', pods: '110' };
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${i % 3}` } },
    spec: {},
    status: { capacity: alloc, allocatable: alloc },
  };
}

const sizes = [
  { cpu: '100m', memory: '128Mi' },
  { cpu: '250m', memory: '256Mi' },
  { cpu: '500m', memory: '512Mi' },
  { cpu: '1', memory: '1Gi' },
];

/** Pods of 100 Deployments (their ReplicaSets select them, so the default spreading applies); every tenth Deployment spreads one per node by anti-affinity. */
function pod(i: number): Pod {
  const app = `app-${i % 100}`;
  const anti = i % 100 < 10;
  return {
    metadata: {
      name: `p-${i}`,
      namespace: 'default',
      uid: `uid-${i}`,
      labels: { app, 'pod-template-hash': 'abc' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-abc`, uid: `rs-${app}`, controller: true }],
    },
    spec: {
      containers: [{ name: 'c', image: 'x', resources: { requests: sizes[i % sizes.length]! } }],
      ...(anti
        ? { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' }] } } }
        : {}),
    },
  };
}

function run(label: string, make: (i: number) => Pod, withDefaultSpread: boolean): string[] {
  const snap = new ClusterSnapshot();
  for (let i = 0; i < NODES; i++) snap.setNode(node(i));
  snap.setNamespace('default', {});
  const pods = Array.from({ length: PODS }, (_, i) => podInfoOf(make(i)));
  let start = 0;
  let placed = 0;
  const t0 = performance.now();
  for (const p of pods) {
    const sel = withDefaultSpread ? labelSelectorAsSelector({ matchLabels: { app: p.labels.app!, 'pod-template-hash': 'abc' } }) : undefined;
    const r = schedulePod(p, snap, { startIndex: start, tieBreak: Math.random(), ...(sel ? { defaultSelector: sel } : {}) });
    start = r.nextStartIndex;
    if (r.kind === 'scheduled') {
      snap.addPod({ ...p, nodeName: r.node });
      placed++;
    }
  }
  const secs = (performance.now() - t0) / 1000;
  const rate = PODS / secs;
  return [label, `${placed}/${PODS}`, fmt(rate), `${fmt(rate / KWOK_PODS_PER_SECOND)}×`];
}

const rows = [
  ['1,000 nodes, 30,000 pods (decisions only)', 'placed', 'pods/s', 'vs KWOK 20 pods/s'],
  ['KWOK (published anchor)', '', fmt(KWOK_PODS_PER_SECOND), '1.00×'],
  run('requests only', (i) => ({ ...pod(i), spec: { containers: pod(i).spec!.containers } }), false),
  run('Deployment pods: default spreading, 10% anti-affinity', pod, true),
];
printTable(rows);
