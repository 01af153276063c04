// Defaulting and create preparation of apps/v1 and batch/v1 workloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, prepareForCreate, prepareJobForCreate } from '../../../src/model/defaults/index.js';
import type { KubeObject } from '../../../src/model/object.js';

const now = Date.UTC(2024, 0, 1);
const podSpecDefaults = {
  dnsPolicy: 'ClusterFirst',
  restartPolicy: 'Always',
  schedulerName: 'default-scheduler',
  securityContext: {},
  terminationGracePeriodSeconds: 30,
};
const container = { name: 'web', image: 'nginx:1.25' };
const defaultedContainer = {
  ...container,
  imagePullPolicy: 'IfNotPresent',
  resources: {},
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
};
const template = () => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ ...container }] } });
const defaultedTemplate = { metadata: { labels: { app: 'web' } }, spec: { containers: [defaultedContainer], ...podSpecDefaults } };
const create = (group: string, kind: string, o: KubeObject, uid = 'uid-1') => {
  applyDefaults(group, 'v1', kind, o);
  prepareForCreate(group, 'v1', kind, o, { uid, now });
  return o;
};

test('deployment: replicas, rolling update 25%/25%, history, progress deadline, generation 1', () => {
  const d = create('apps', 'Deployment', {
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: template() },
    status: { replicas: 9 },
  });
  assert.deepEqual(d, {
    metadata: { name: 'web', namespace: 'default', generation: 1 },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: defaultedTemplate,
    },
    status: {},
  });
  const recreate: KubeObject = { metadata: { name: 'r' }, spec: { replicas: 0, strategy: { type: 'Recreate' } } };
  applyDefaults('apps', 'v1', 'Deployment', recreate);
  assert.deepEqual((recreate.spec as any).strategy, { type: 'Recreate' });
  assert.equal((recreate.spec as any).replicas, 0);
});

test('replica set: one replica and a status that always carries replicas', () => {
  const rs = create('apps', 'ReplicaSet', { metadata: { name: 'web-1' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template() } });
  assert.deepEqual(rs, {
    metadata: { name: 'web-1', generation: 1 },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: defaultedTemplate },
    status: { replicas: 0 },
  });
});

test('stateful set: policies, partition, retention, claim templates', () => {
  const sts = create('apps', 'StatefulSet', {
    metadata: { name: 'db' },
    spec: {
      serviceName: 'db',
      selector: { matchLabels: { app: 'web' } },
      template: template(),
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  });
  assert.deepEqual(sts, {
    metadata: { name: 'db', generation: 1 },
    spec: {
      serviceName: 'db',
      selector: { matchLabels: { app: 'web' } },
      template: defaultedTemplate,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      replicas: 1,
      revisionHistoryLimit: 10,
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' },
          status: { phase: 'Pending' },
        },
      ],
    },
    status: { replicas: 0, availableReplicas: 0 },
  });
  const onDelete: KubeObject = { metadata: { name: 'x' }, spec: { updateStrategy: { type: 'OnDelete' } } };
  applyDefaults('apps', 'v1', 'StatefulSet', onDelete);
  assert.deepEqual((onDelete.spec as any).updateStrategy, { type: 'OnDelete' });
});

test('daemon set: rolling update 1/0, template generation annotation, counters', () => {
  const ds = create('apps', 'DaemonSet', { metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template() } });
  assert.deepEqual(ds, {
    metadata: { name: 'agent', generation: 1, annotations: { 'deprecated.daemonset.template.generation': '1' } },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: defaultedTemplate,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    },
    status: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
  });
});

test('job: defaults, generated selector and labels, and metadata labels from the template on read-back', () => {
  const job = create('batch', 'Job', { metadata: { name: 'pi', namespace: 'default' }, spec: { template: { spec: { containers: [{ ...container }], restartPolicy: 'Never' } } } }, 'a1b2');
  const labels = { 'batch.kubernetes.io/controller-uid': 'a1b2', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'a1b2', 'job-name': 'pi' };
  assert.deepEqual(job, {
    metadata: { name: 'pi', namespace: 'default', generation: 1, labels },
    spec: {
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      manualSelector: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'a1b2' } },
      template: { metadata: { labels }, spec: { containers: [defaultedContainer], ...podSpecDefaults, restartPolicy: 'Never' } },
    },
    status: {},
  });
});

test('job: parallel, indexed, per-index backoff, failure policy and manual selectors', () => {
  const parallel: KubeObject = { metadata: { name: 'p' }, spec: { parallelism: 3 } };
  applyDefaults('batch', 'v1', 'Job', parallel);
  assert.equal((parallel.spec as any).completions, undefined);
  assert.equal((parallel.spec as any).parallelism, 3);

  const perIndex: KubeObject = { metadata: { name: 'i' }, spec: { completions: 4, completionMode: 'Indexed', backoffLimitPerIndex: 1 } };
  applyDefaults('batch', 'v1', 'Job', perIndex);
  assert.equal((perIndex.spec as any).parallelism, 1);
  assert.equal((perIndex.spec as any).backoffLimit, 2147483647);

  const withPolicy: KubeObject = { metadata: { name: 'f' }, spec: { podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } } };
  applyDefaults('batch', 'v1', 'Job', withPolicy);
  assert.equal((withPolicy.spec as any).podReplacementPolicy, 'Failed');
  assert.deepEqual((withPolicy.spec as any).podFailurePolicy.rules[0].onPodConditions, [{ type: 'DisruptionTarget', status: 'True' }]);

  const manual: KubeObject = { metadata: { name: 'm', labels: { team: 'x' } }, spec: { manualSelector: true, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } } } } };
  applyDefaults('batch', 'v1', 'Job', manual);
  prepareJobForCreate(manual, 'uid');
  assert.deepEqual((manual.spec as any).selector, { matchLabels: { a: 'b' } });
  assert.deepEqual((manual.spec as any).template.metadata.labels, { a: 'b' });
  assert.deepEqual(manual.metadata.labels, { team: 'x' });

  const userLabels: KubeObject = { metadata: { name: 'u' }, spec: { template: { metadata: { labels: { 'job-name': 'custom' } } } } };
  applyDefaults('batch', 'v1', 'Job', userLabels);
  prepareJobForCreate(userLabels, 'uid-9');
  assert.equal((userLabels.spec as any).template.metadata.labels['job-name'], 'custom', 'a label the user set is kept');
  assert.deepEqual(userLabels.metadata.labels, { 'job-name': 'custom' }, 'defaulting copied the template labels before the strategy ran');
});

test('cron job: policy, history limits; its job template gets pod defaults but not job defaults', () => {
  const cj = create('batch', 'CronJob', {
    metadata: { name: 'nightly' },
    spec: { schedule: '0 0 * * *', jobTemplate: { spec: { template: { spec: { containers: [{ ...container }], restartPolicy: 'OnFailure' } } } } },
  });
  assert.deepEqual(cj, {
    metadata: { name: 'nightly', generation: 1 },
    spec: {
      schedule: '0 0 * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: {},
        spec: { template: { metadata: {}, spec: { containers: [defaultedContainer], ...podSpecDefaults, restartPolicy: 'OnFailure' } } },
      },
    },
    status: {},
  });
});
