// Deliberately broken controllers, for showing that the model checker catches real bugs. Each
// wraps the real controller and changes one thing. Never used by the product: only `berth check
// --mutant` and tests reach them.
import type { Controller } from '../../controllers/runtime.js';
import type { DeploymentObservation } from '../../controllers/deployment.js';
import type { StatefulSetObservation } from '../../controllers/statefulset.js';
import { reconcileGc, type GcObservation } from '../../controllers/gc.js';

/** Counts a new ReplicaSet's pods as available before they are: scales the old one down too early. */
export function eagerDeployment(real: Controller<DeploymentObservation>): Controller<DeploymentObservation> {
  return {
    ...real,
    name: real.name,
    reconcile: (obs, now) => real.reconcile({
      ...obs,
      replicaSets: obs.replicaSets.map((rs) => ({ ...rs, status: { ...rs.status, replicas: rs.status?.replicas ?? 0, availableReplicas: rs.spec?.replicas ?? 0, readyReplicas: rs.spec?.replicas ?? 0 } })),
    }, now),
  };
}

/** Ignores OrderedReady: creates every missing ordinal at once, 2 before 1 is Ready. */
export function unorderedStatefulSet(real: Controller<StatefulSetObservation>): Controller<StatefulSetObservation> {
  return {
    ...real,
    reconcile: (obs, now) => real.reconcile(obs.set ? { ...obs, set: { ...obs.set, spec: { ...obs.set.spec, podManagementPolicy: 'Parallel' } } } : obs, now),
  };
}

/** A garbage collector that ignores blockOwnerDeletion: a foreground owner leaves before its dependents. */
export function nonBlockingGc(real: Controller<GcObservation>): Controller<GcObservation> {
  return {
    ...real,
    reconcile: (obs) => reconcileGc({
      ...obs,
      dependents: obs.dependents.map((d) => ({
        ...d,
        object: { ...d.object, metadata: { ...d.object.metadata, ownerReferences: d.object.metadata.ownerReferences?.map(({ blockOwnerDeletion: _, ...r }) => r) } },
      })),
    }),
  };
}

export const MUTANTS = {
  'eager-deployment': 'a Deployment controller that scales the old ReplicaSet down before new pods are available',
  'unordered-statefulset': 'a StatefulSet controller that creates ordinal 2 before 1 is Ready',
  'nonblocking-gc': 'a garbage collector that ignores blockOwnerDeletion',
} as const;

export type MutantName = keyof typeof MUTANTS;
