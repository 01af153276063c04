// The scopes the cluster model explores (cluster-model.ts): a few nodes, what a user set up before
// the checker starts, the one change of desired state it may make at any point, the controllers that
// run, the fault budget, and the properties judged along every path.
import { R, type ResourceRef } from '../model/api.js';
import type { KubeObject } from '../model/object.js';
import type { LocalClient } from '../apiserver/local-client.js';
import { isRunningAndReady } from '../controllers/statefulset.js';
import type { GoalProperty, StateProperty, StepProperty } from './invariants/state.js';
import { rollingUpdate, rolloutsComplete, statefulSetIdentity } from './invariants/workloads.js';
import { nodeCapacity } from './invariants/capacity.js';
import { finalizers } from './invariants/finalizers.js';
import { foregroundDeletion, noOrphans } from './invariants/gc.js';

export interface Scope {
  name: string;
  nodes: number;
  /** What a user created before the checker starts; controllers then settle it. */
  setup: { resource: ResourceRef; object: KubeObject }[];
  /** The one change of desired state the checker may make at any point. */
  change?: { label: string; apply(c: LocalClient): Promise<unknown> };
  controllers: string[];
  /** Faults allowed along any path. */
  faultBudget: number;
  invariants: StateProperty[];
  stepProperties: StepProperty[];
  goal: GoalProperty;
}

/** The namespace every scope's objects are in (the model creates it first). */
export const ns = 'default';
const podSpec = { containers: [{ name: 'app', image: 'app:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] };

/** An apps/v1 workload of podSpec pods labelled app=<name>; `extra` spec fields go after replicas, where they stood. */
function workload(kind: string, name: string, replicas: number, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1', kind, metadata: { name, namespace: ns },
    spec: { replicas, ...extra, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec } },
  };
}

// The goals of the statefulset and foreground scopes (the rollout's is in invariants/workloads.ts).

const statefulSetReady: GoalProperty = {
  kind: 'goal',
  name: 'statefulset-ready',
  cite: 'seed 003 §3 (the set reaches its replicas, in order)',
  unmet: (s) => s.list('statefulsets').flatMap((set) => {
    const want = (set.spec as { replicas?: number }).replicas ?? 1;
    const ready = s.list('pods').filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === set.metadata.uid) && isRunningAndReady(p as never)).length;
    return ready === want ? [] : [`statefulset ${set.metadata.name}: ${ready} of ${want} Running and Ready`];
  }),
};

const ownerGone: GoalProperty = {
  kind: 'goal',
  name: 'foreground-complete',
  cite: 'seed 003 §A5 (a foreground deletion ends with the owner and its dependents gone)',
  unmet: (s) => [...s.list('replicasets').map((o) => `replicaset ${o.metadata.name} still there`), ...noOrphans.unmet(s)],
};

export function rolloutScope(replicas = 3, nodes = 2): Scope {
  return {
    name: `rollout (${nodes} nodes, ${replicas} replicas, one rollout)`,
    nodes,
    setup: [{ resource: R.deployments, object: workload('Deployment', 'web', replicas) }],
    change: {
      label: 'env: roll out app:2',
      apply: (c) => c.patch(R.deployments, ns, 'web', 'application/merge-patch+json', { spec: { template: { spec: { containers: [{ ...podSpec.containers[0], image: 'app:2' }] } } } }),
    },
    controllers: ['deployment', 'replicaset'],
    faultBudget: 1,
    invariants: [rollingUpdate, nodeCapacity],
    stepProperties: [finalizers],
    goal: rolloutsComplete,
  };
}

export function statefulSetScope(replicas = 3, nodes = 2): Scope {
  return {
    name: `statefulset (${nodes} nodes, ${replicas} replicas, OrderedReady)`,
    nodes,
    setup: [],
    change: {
      label: 'env: create statefulset db',
      apply: (c) => c.create(R.statefulsets, ns, workload('StatefulSet', 'db', replicas, { serviceName: 'db' })),
    },
    controllers: ['statefulset'],
    faultBudget: 1,
    invariants: [statefulSetIdentity, nodeCapacity],
    stepProperties: [finalizers],
    goal: statefulSetReady,
  };
}

export function foregroundScope(replicas = 2, nodes = 2): Scope {
  return {
    name: `foreground deletion (${nodes} nodes, a ReplicaSet of ${replicas})`,
    nodes,
    setup: [{ resource: R.replicasets, object: workload('ReplicaSet', 'rs', replicas) }],
    change: { label: 'env: delete replicaset rs (Foreground)', apply: (c) => c.delete(R.replicasets, ns, 'rs', { propagationPolicy: 'Foreground' }) },
    controllers: ['garbage-collector', 'replicaset'],
    faultBudget: 1,
    invariants: [nodeCapacity],
    stepProperties: [foregroundDeletion, finalizers],
    goal: ownerGone,
  };
}

export const SCOPES: Record<string, (replicas?: number, nodes?: number) => Scope> = {
  rollout: rolloutScope,
  statefulset: statefulSetScope,
  foreground: foregroundScope,
};
