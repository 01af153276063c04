// policy/v1 and coordination.k8s.io/v1: no defaulting functions, only always-serialized zero values.
import { ensure, materialize, type Obj } from './walk.js';

export function podDisruptionBudgetDefaults(pdb: Obj): void {
  materialize(pdb, 'spec', {});
  const status = ensure(pdb, 'status');
  if (status) for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) materialize(status, f, 0);
}

export function leaseDefaults(lease: Obj): void {
  materialize(lease, 'spec', {});
}
