// apps/v1 defaults (pkg/apis/apps/v1/defaults.go) and the pod templates they embed.
import { persistentVolumeClaimDefaults } from './core.js';
import { podTemplateDefaults } from './pod.js';
import { ensure, items, materialize, setDefault, setDefaultString, type Obj } from './walk.js';

function rollingUpdate(strategy: Obj): Obj | undefined {
  return ensure(strategy, 'rollingUpdate');
}

export function deploymentDefaults(d: Obj): void {
  const spec = ensure(d, 'spec');
  if (spec) {
    setDefault(spec, 'replicas', 1);
    const strategy = ensure(spec, 'strategy');
    if (strategy) {
      setDefaultString(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        const ru = rollingUpdate(strategy);
        if (ru) {
          setDefault(ru, 'maxUnavailable', '25%');
          setDefault(ru, 'maxSurge', '25%');
        }
      }
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'progressDeadlineSeconds', 600);
    podTemplateDefaults(ensure(spec, 'template'));
  }
  materialize(d, 'status', {});
}

export function replicaSetDefaults(rs: Obj): void {
  const spec = ensure(rs, 'spec');
  if (spec) {
    setDefault(spec, 'replicas', 1);
    podTemplateDefaults(ensure(spec, 'template'));
  }
  const status = ensure(rs, 'status');
  if (status) materialize(status, 'replicas', 0);
}

export function daemonSetDefaults(ds: Obj): void {
  const spec = ensure(ds, 'spec');
  if (spec) {
    const strategy = ensure(spec, 'updateStrategy');
    if (strategy) {
      setDefaultString(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        const ru = rollingUpdate(strategy);
        if (ru) {
          setDefault(ru, 'maxUnavailable', 1);
          setDefault(ru, 'maxSurge', 0);
        }
      }
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
    podTemplateDefaults(ensure(spec, 'template'));
  }
  const status = ensure(ds, 'status');
  if (status) {
    for (const f of ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady']) materialize(status, f, 0);
  }
}

export function statefulSetDefaults(sts: Obj): void {
  const spec = ensure(sts, 'spec');
  if (spec) {
    setDefaultString(spec, 'podManagementPolicy', 'OrderedReady');
    const strategy = ensure(spec, 'updateStrategy');
    if (strategy) {
      if (strategy.type === undefined || strategy.type === null || strategy.type === '') {
        strategy.type = 'RollingUpdate';
        setDefault(strategy, 'rollingUpdate', {});
      }
      const ru = strategy.rollingUpdate;
      if (strategy.type === 'RollingUpdate' && ru && typeof ru === 'object' && !Array.isArray(ru)) {
        setDefault(ru as Obj, 'partition', 0);
      }
    }
    const retention = ensure(spec, 'persistentVolumeClaimRetentionPolicy');
    if (retention) {
      setDefaultString(retention, 'whenDeleted', 'Retain');
      setDefaultString(retention, 'whenScaled', 'Retain');
    }
    setDefault(spec, 'replicas', 1);
    setDefault(spec, 'revisionHistoryLimit', 10);
    podTemplateDefaults(ensure(spec, 'template'));
    for (const pvc of items(spec, 'volumeClaimTemplates')) persistentVolumeClaimDefaults(pvc);
  }
  const status = ensure(sts, 'status');
  if (status) {
    materialize(status, 'replicas', 0);
    materialize(status, 'availableReplicas', 0);
  }
}

export function controllerRevisionDefaults(cr: Obj): void {
  materialize(cr, 'revision', 0);
}
