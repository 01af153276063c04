// The TTL-after-finished controller (upstream pkg/controller/ttlafterfinished): a finished Job
// with spec.ttlSecondsAfterFinished is deleted, in the foreground, that many seconds after the
// transition time of its Complete or Failed condition; until then it is looked at again when the
// time is up.
import { R } from '../model/api.js';
import type { Instant } from '../model/object.js';
import type { Controller, Decision } from './runtime.js';
import { keyOf, splitKey } from './runtime.js';
import { finishedCondition, type Job } from './job.js';

export interface TtlObservation {
  job?: Job;
}

export function ttlAfterFinishedController(): Controller<TtlObservation> {
  return {
    name: 'ttl-after-finished',
    watches: [{ resource: R.jobs, keys: (o) => ((o as Job).spec?.ttlSecondsAfterFinished !== undefined ? [keyOf(o)] : []) }],
    observe(key, view) {
      const { namespace, name } = splitKey(key);
      const job = view.get(R.jobs, namespace, name) as Job | undefined;
      return job ? { job } : {};
    },
    reconcile: reconcileTtlAfterFinished,
  };
}

export function reconcileTtlAfterFinished(obs: TtlObservation, now: Instant): Decision {
  const job = obs.job;
  const ttl = job?.spec.ttlSecondsAfterFinished;
  if (!job || ttl === undefined || ttl === null || job.metadata.deletionTimestamp) return { actions: [] };
  const finished = finishedCondition(job);
  const finishAt = finished?.lastTransitionTime ? Date.parse(finished.lastTransitionTime) : NaN;
  if (!finished || Number.isNaN(finishAt)) return { actions: [] };
  const left = finishAt + ttl * 1000 - now;
  if (left > 0) return { actions: [], requeueAfterMs: left };
  return {
    actions: [{
      kind: 'delete',
      resource: R.jobs,
      namespace: job.metadata.namespace!,
      name: job.metadata.name!,
      options: { propagationPolicy: 'Foreground', preconditions: { uid: job.metadata.uid! } },
    }],
  };
}
