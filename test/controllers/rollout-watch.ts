// Records every state of a Deployment's pods a watch shows, and checks seed 003's bounds in each.
import { R, type ApiClient } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { Informer } from '../../src/client/informer.js';
import { labelSelectorAsSelector, matches } from '../../src/model/labels.js';
import { isPodActive, isPodAvailable } from '../../src/controllers/pods.js';
import { rolloutBounds, withinSurge, aboveMinAvailable, type RolloutCounts } from '../../src/verify/invariants/workloads.js';
import type { DeploymentObject } from '../../src/controllers/deployment-util.js';

export interface RolloutWatch {
  /** States seen while armed. */
  readonly states: RolloutCounts[];
  readonly violations: string[];
  /** Check states from now on, against this deployment's spec. */
  arm(d: DeploymentObject): void;
  disarm(): void;
  stop(): void;
}

export async function watchRollout(client: ApiClient, namespace: string): Promise<RolloutWatch> {
  const pods = new Informer(client, R.pods, { namespace });
  let armed: DeploymentObject | undefined;
  const states: RolloutCounts[] = [];
  const violations: string[] = [];
  pods.on(() => {
    const d = armed;
    if (!d) return;
    const sel = labelSelectorAsSelector(d.spec?.selector);
    const now = Date.now();
    const mine = pods.list(namespace).filter((p: KubeObject) => matches(sel, p.metadata.labels ?? {}) && isPodActive(p as never));
    const c: RolloutCounts = { total: mine.length, available: mine.filter((p) => isPodAvailable(p as never, d.spec?.minReadySeconds ?? 0, now)).length, updated: 0, old: 0 };
    states.push(c);
    const b = rolloutBounds(d);
    if (!withinSurge(b, c)) violations.push(`${c.total} pods > ${b.replicas} + ${b.maxSurge}`);
    if (!aboveMinAvailable(b, c)) violations.push(`${c.available} available < ${b.replicas} − ${b.maxUnavailable}`);
  });
  await pods.start();
  return {
    states,
    violations,
    arm: (d) => (armed = d),
    disarm: () => (armed = undefined),
    stop: () => pods.stop(),
  };
}
