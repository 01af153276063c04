// The Eviction API (POST .../pods/NAME/eviction, upstream's pkg/registry/core/pod/storage/
// eviction.go): a pod is deleted as its DeleteOptions say unless a PodDisruptionBudget selecting it
// allows no disruption now (429, which `kubectl drain` retries). An allowed eviction first takes one
// disruption from the budget (disruptionsAllowed - 1, the pod in disruptedPods) so that evictions
// racing each other cannot overrun it; the disruption controller gives it back once it sees the pod.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { budgetSelects, podReady } from '../model/disruption.js';
import { isPlainObject, type KubeObject } from '../model/object.js';
import { errors, StatusError, type Status } from '../model/status.js';
import { deleteOptions, type DeleteOptions } from './options.js';
import type { Rest } from './rest.js';

/** More pods than this in a budget's disruptedPods and it takes no more (MaxDisruptedPodSize). */
const MAX_DISRUPTED_PODS = 2000;
/** Tries at taking a disruption when the budget's status keeps changing under us. */
const ATTEMPTS = 5;

type Budget = KubeObject & PodDisruptionBudget;
type PodObj = KubeObject & Pod;

const SUCCESS: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };

function violates(cause: string): StatusError {
  return new StatusError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
    retryAfterSeconds: 0,
    causes: [{ reason: 'DisruptionBudget', message: cause }],
  });
}

/** Pods already on their way out (terminal, never started, or being deleted) disrupt nothing: no budget is asked. */
function canIgnoreBudget(pod: PodObj): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
}

/** POST pods/NAME/eviction: the pod deleted (201 Success), or why not. */
export async function evict(rest: Rest, ns: string, name: string, body: unknown, query: URLSearchParams): Promise<Status> {
  if (!isPlainObject(body)) throw errors.badRequest('Eviction in version "v1" cannot be handled as a Eviction: the body must be a JSON object');
  const eviction = body as { kind?: string; metadata?: { name?: string }; deleteOptions?: unknown };
  if (eviction.kind !== undefined && eviction.kind !== 'Eviction') {
    throw errors.badRequest(`Eviction in version "v1" cannot be handled as a Eviction: unexpected kind ${JSON.stringify(eviction.kind)}`);
  }
  if ((eviction.metadata?.name ?? '') !== name) throw errors.badRequest('name in URL does not match name in Eviction object');
  const opts: DeleteOptions = deleteOptions(query, eviction.deleteOptions ?? {});
  const pods = rest.resource('', 'v1', 'pods');
  const pod = (await rest.get(pods, ns, name)) as PodObj;
  const remove = async () => {
    await rest.delete(pods, ns, name, opts);
    return SUCCESS;
  };
  if (canIgnoreBudget(pod)) return remove();

  const budgets = rest.resource('policy', 'v1', 'poddisruptionbudgets');
  for (let attempt = 0; ; attempt++) {
    const selecting = ((await rest.list(budgets, ns, {})).items as Budget[]).filter((b) => budgetSelects(b, pod));
    if (selecting.length === 0) return remove();
    if (selecting.length > 1) throw errors.internal(new Error('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'));
    const pdb = selecting[0]!;
    const st = pdb.status;
    if ((st?.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) throw violates(`The disruption budget ${pdb.metadata.name} is still being processed by the server.`);
    // An unready pod counts for nothing in the budget: with the budget met (or by policy), it may go without taking a disruption.
    if (!podReady(pod)) {
      const policy = pdb.spec?.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
      if (policy === 'AlwaysAllow' || ((st?.currentHealthy ?? 0) >= (st?.desiredHealthy ?? 0) && (st?.desiredHealthy ?? 0) > 0)) return remove();
    }
    const allowed = st?.disruptionsAllowed ?? 0;
    if (allowed < 0) throw errors.forbidden({ group: 'policy', name: 'poddisruptionbudgets' }, pdb.metadata.name!, 'pdb disruptions allowed is negative');
    if (Object.keys(st?.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) throw errors.forbidden({ group: 'policy', name: 'poddisruptionbudgets' }, pdb.metadata.name!, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
    if (allowed === 0) throw violates(`The disruption budget ${pdb.metadata.name} needs ${st?.desiredHealthy ?? 0} healthy pods and has ${st?.currentHealthy ?? 0} currently`);
    if (opts.dryRun) return SUCCESS;
    const next: Budget = {
      ...pdb,
      status: { ...st!, disruptionsAllowed: allowed - 1, disruptedPods: { ...(st?.disruptedPods ?? {}), [name]: rest.now() } },
    };
    try {
      await rest.writeSubresource(budgets, ns, pdb.metadata.name!, 'status', { value: next, duplicates: [] }, { dryRun: false, fieldValidation: 'Ignore' });
    } catch (e) {
      // the budget changed since it was read: read it again
      if (StatusError.is(e, 'Conflict') && attempt + 1 < ATTEMPTS) continue;
      throw e;
    }
    return remove();
  }
}
