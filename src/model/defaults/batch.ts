// batch/v1 defaults (pkg/apis/batch/v1/defaults.go).
import { podTemplateDefaults } from './pod.js';
import { child, ensure, isEmpty, items, materialize, setDefault, setDefaultString, type Obj } from './walk.js';

const maxInt32 = 2147483647;

function podFailurePolicyDefaults(spec: Obj): void {
  for (const rule of items(child(spec, 'podFailurePolicy'), 'rules')) {
    for (const pattern of items(rule, 'onPodConditions')) setDefaultString(pattern, 'status', 'True');
  }
}

export function jobDefaults(job: Obj): void {
  const spec = ensure(job, 'spec');
  if (spec) {
    const unset = (k: string) => spec[k] === undefined || spec[k] === null;
    if (unset('completions') && unset('parallelism')) {
      spec.completions = 1;
      spec.parallelism = 1;
    }
    setDefault(spec, 'parallelism', 1);
    setDefault(spec, 'backoffLimit', unset('backoffLimitPerIndex') ? 6 : maxInt32);
    const templateLabels = child(child(spec, 'template'), 'metadata')?.labels;
    const meta = child(job, 'metadata');
    if (meta && templateLabels && typeof templateLabels === 'object' && isEmpty(meta.labels)) {
      meta.labels = { ...(templateLabels as Obj) };
    }
    setDefault(spec, 'completionMode', 'NonIndexed');
    setDefault(spec, 'suspend', false);
    setDefault(spec, 'podReplacementPolicy', unset('podFailurePolicy') ? 'TerminatingOrFailed' : 'Failed');
    setDefault(spec, 'manualSelector', false);
    podFailurePolicyDefaults(spec);
    podTemplateDefaults(ensure(spec, 'template'));
  }
  materialize(job, 'status', {});
}

export function cronJobDefaults(cj: Obj): void {
  const spec = ensure(cj, 'spec');
  if (spec) {
    setDefaultString(spec, 'concurrencyPolicy', 'Allow');
    setDefault(spec, 'suspend', false);
    setDefault(spec, 'successfulJobsHistoryLimit', 3);
    setDefault(spec, 'failedJobsHistoryLimit', 1);
    const jobTemplate = ensure(spec, 'jobTemplate');
    if (jobTemplate) {
      materialize(jobTemplate, 'metadata', {});
      const jobSpec = ensure(jobTemplate, 'spec');
      if (jobSpec) {
        podFailurePolicyDefaults(jobSpec);
        podTemplateDefaults(ensure(jobSpec, 'template'));
      }
    }
  }
  materialize(cj, 'status', {});
}
