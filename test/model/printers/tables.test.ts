// Columns and cells of the non-pod tables, and the default NAME / CREATED AT table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasPrinter, printTable } from '../../../src/model/printers/index.js';

const now = Date.parse('2024-03-01T12:00:00Z');
const created = '2024-03-01T11:00:00Z'; // 60m ago
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', creationTimestamp: created, ...extra });
const names = (group: string, kind: string, wide = true) => printTable(group, kind, [], { now, wide }).columnDefinitions!.map((c) => (c.priority ? `${c.name}*` : c.name));
const cells = (group: string, kind: string, o: unknown, wide = true) => printTable(group, kind, [o], { now, wide }).rows![0]!.cells;

test('services: types, cluster IPs, external IPs and ports', () => {
  assert.deepEqual(names('', 'Service'), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']);
  const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) => ({ metadata: meta('web'), spec, status });
  assert.deepEqual(cells('', 'Service', svc({ type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'web', tier: 'fe' } })), [
    'web', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP', '60m', 'app=web,tier=fe',
  ]);
  assert.deepEqual(cells('', 'Service', svc({ type: 'NodePort', clusterIPs: ['10.96.0.11'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, nodePort: 30053, protocol: 'UDP' }] })).slice(1, 5), [
    'NodePort', '10.96.0.11', '<none>', '80:30080/TCP,53:30053/UDP',
  ]);
  assert.equal(cells('', 'Service', svc({ type: 'LoadBalancer', clusterIPs: ['10.0.0.1'], ports: [] }))[3], '<pending>');
  assert.equal(cells('', 'Service', svc({ type: 'LoadBalancer', ports: [] }, { loadBalancer: { ingress: [{ ip: '5.5.5.5' }, { hostname: 'lb.example' }] } }))[3], '5.5.5.5,lb.example');
  assert.equal(cells('', 'Service', svc({ type: 'LoadBalancer', externalIPs: ['9.9.9.9'] }, { loadBalancer: { ingress: [{ ip: '5.5.5.5' }] } }))[3], '5.5.5.5,9.9.9.9');
  assert.equal(cells('', 'Service', svc({ type: 'ClusterIP', externalIPs: ['1.1.1.1', '2.2.2.2'] }))[3], '1.1.1.1,2.2.2.2');
  assert.deepEqual(cells('', 'Service', svc({ type: 'ExternalName', externalName: 'db.example.com' })).slice(1, 5), ['ExternalName', '<none>', 'db.example.com', '<none>']);
  assert.equal(cells('', 'Service', svc({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] }))[2], 'None');
  assert.equal(cells('', 'Service', svc({ type: 'ClusterIP' }))[6], '<none>');
  const lbLong = svc({ type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ hostname: 'a-very-long-hostname.example.com' }] } });
  assert.equal(cells('', 'Service', lbLong, false)[3], 'a-very-long-h...');
  assert.equal(cells('', 'Service', lbLong, true)[3], 'a-very-long-hostname.example.com');
});

test('deployments, replica sets, stateful sets, daemon sets', () => {
  assert.deepEqual(names('apps', 'Deployment'), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']);
  const template = { spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'log', image: 'busybox' }], nodeSelector: { disk: 'ssd' } } };
  const selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }, { key: 'canary', operator: 'DoesNotExist' }] };
  const d = { metadata: meta('web'), spec: { replicas: 3, selector, template }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
  assert.deepEqual(cells('apps', 'Deployment', d), ['web', '2/3', 3, 2, '60m', 'web,log', 'nginx:1,busybox', 'app=web,!canary,tier in (be,fe)']);
  assert.deepEqual(cells('apps', 'Deployment', { metadata: meta('x'), spec: { replicas: 1 }, status: {} }, false), ['x', '0/1', 0, 0, '60m']);
  assert.equal(cells('apps', 'Deployment', { metadata: meta('x'), spec: { selector: { matchExpressions: [{ key: 'a', operator: 'Bogus' }] } } })[7], '<invalid>');

  assert.deepEqual(names('apps', 'ReplicaSet'), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*']);
  assert.deepEqual(cells('apps', 'ReplicaSet', { metadata: meta('web-1'), spec: { replicas: 2, selector: {}, template }, status: { replicas: 2, readyReplicas: 1 } }), [
    'web-1', 2, 2, 1, '60m', 'web,log', 'nginx:1,busybox', '<none>',
  ]);
  assert.deepEqual(names('apps', 'StatefulSet'), ['Name', 'Ready', 'Age', 'Containers*', 'Images*']);
  assert.deepEqual(cells('apps', 'StatefulSet', { metadata: meta('db'), spec: { replicas: 3, template }, status: { readyReplicas: 3 } }), ['db', '3/3', '60m', 'web,log', 'nginx:1,busybox']);
  assert.deepEqual(names('apps', 'DaemonSet'), ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers*', 'Images*', 'Selector*']);
  const ds = { metadata: meta('agent'), spec: { selector: { matchLabels: { app: 'agent' } }, template }, status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 } };
  assert.deepEqual(cells('apps', 'DaemonSet', ds), ['agent', 3, 3, 2, 3, 2, 'disk=ssd', '60m', 'web,log', 'nginx:1,busybox', 'app=agent']);
  const cr = { metadata: meta('db-5d8', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', controller: true }] }), revision: 2 };
  assert.deepEqual(cells('apps', 'ControllerRevision', cr), ['db-5d8', 'statefulset.apps/db', 2, '60m']);
});

test('jobs: status, completions, duration; cron jobs', () => {
  assert.deepEqual(names('batch', 'Job'), ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers*', 'Images*', 'Selector*']);
  const job = (spec: Record<string, unknown>, status: Record<string, unknown>, m: Record<string, unknown> = {}) => ({ metadata: meta('pi', m), spec, status });
  const start = '2024-03-01T11:58:00Z';
  assert.deepEqual(cells('batch', 'Job', job({ completions: 1, template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } }, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } } }, { startTime: start, succeeded: 0, active: 1 })), [
    'pi', 'Running', '0/1', '2m', '60m', 'pi', 'perl', 'batch.kubernetes.io/controller-uid=u',
  ]);
  const complete = job({ completions: 3 }, { startTime: start, completionTime: '2024-03-01T11:59:30Z', succeeded: 3, conditions: [{ type: 'Complete', status: 'True' }] });
  assert.deepEqual(cells('batch', 'Job', complete, false), ['pi', 'Complete', '3/3', '90s', '60m']);
  assert.equal(cells('batch', 'Job', job({ parallelism: 4 }, {}), false)[2], '0/1 of 4');
  assert.equal(cells('batch', 'Job', job({}, {}), false)[3], '');
  assert.equal(cells('batch', 'Job', job({}, { conditions: [{ type: 'Failed', status: 'True' }] }))[1], 'Failed');
  assert.equal(cells('batch', 'Job', job({}, { conditions: [{ type: 'Suspended', status: 'True' }] }))[1], 'Suspended');
  assert.equal(cells('batch', 'Job', job({}, { conditions: [{ type: 'FailureTarget', status: 'True' }] }))[1], 'FailureTarget');
  assert.equal(cells('batch', 'Job', job({}, {}, { deletionTimestamp: created }))[1], 'Terminating');

  assert.deepEqual(names('batch', 'CronJob'), ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', 'Containers*', 'Images*', 'Selector*']);
  const cj = { metadata: meta('nightly'), spec: { schedule: '0 0 * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } } }, status: { active: [{ name: 'x' }], lastScheduleTime: '2024-03-01T11:30:00Z' } };
  assert.deepEqual(cells('batch', 'CronJob', cj), ['nightly', '0 0 * * *', '<none>', 'False', 1, '30m', '60m', 'c', 'i', '<none>']);
  assert.deepEqual(cells('batch', 'CronJob', { metadata: meta('x'), spec: { schedule: '@hourly', timeZone: 'Etc/UTC' } }, false), ['x', '@hourly', 'Etc/UTC', '<unset>', 0, '<none>', '60m']);
});

test('nodes: status with SchedulingDisabled, roles, wide addresses', () => {
  assert.deepEqual(names('', 'Node'), ['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP*', 'External-IP*', 'OS-Image*', 'Kernel-Version*', 'Container-Runtime*']);
  const node = {
    metadata: { name: 'n1', creationTimestamp: '2024-02-28T09:00:00Z', labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '', 'kubernetes.io/role': 'edge' } },
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '192.168.1.10' }, { type: 'Hostname', address: 'n1' }],
      nodeInfo: { kubeletVersion: 'v1.30.0', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'berth://0.1.0' },
    },
  };
  assert.deepEqual(cells('', 'Node', node), ['n1', 'Ready,SchedulingDisabled', 'control-plane,edge,worker', '2d3h', 'v1.30.0', '192.168.1.10', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0', 'berth://0.1.0']);
  assert.deepEqual(cells('', 'Node', { metadata: { name: 'n2' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }), ['n2', 'NotReady', '<none>', '<unknown>', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  assert.equal(cells('', 'Node', { metadata: { name: 'n3' } })[1], 'Unknown');
});

test('events: compact and wide rows, series, events.k8s.io', () => {
  assert.deepEqual(names('', 'Event'), ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*']);
  const ev = {
    metadata: meta('web.17a'),
    involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{app}' },
    reason: 'Pulled', type: 'Normal', message: ' Successfully pulled image \n', source: { component: 'kubelet', host: 'n1' },
    firstTimestamp: '2024-03-01T11:50:00Z', lastTimestamp: '2024-03-01T11:58:00Z', count: 3,
  };
  assert.deepEqual(cells('', 'Event', ev, false), ['2m', 'Normal', 'Pulled', 'pod/web', 'Successfully pulled image']);
  assert.deepEqual(cells('', 'Event', ev), ['2m', 'Normal', 'Pulled', 'pod/web', 'spec.containers{app}', 'kubelet, n1', 'Successfully pulled image', '10m', 3, 'web.17a']);
  const micro = { metadata: meta('e2'), involvedObject: { kind: 'Node' }, eventTime: '2024-03-01T11:59:00.123456Z', reportingComponent: 'scheduler', series: { count: 7, lastObservedTime: '2024-03-01T11:59:30.000000Z' } };
  assert.deepEqual(cells('', 'Event', micro), ['30s', '', '', 'node', '', 'scheduler', '', '59s', 7, 'e2']);
  const v1 = { metadata: meta('e3'), regarding: { kind: 'Pod', name: 'p' }, note: 'hi', reason: 'Scheduled', type: 'Normal', eventTime: '2024-03-01T11:59:00.000000Z', reportingController: 'default-scheduler', reportingInstance: 'sched-1' };
  assert.deepEqual(cells('events.k8s.io', 'Event', v1), ['60s', 'Normal', 'Scheduled', 'pod/p', '', 'default-scheduler, sched-1', 'hi', '60s', 1, 'e3']);
});

test('namespaces, secrets, config maps, service accounts, endpoints', () => {
  assert.deepEqual(cells('', 'Namespace', { metadata: meta('kube-system'), status: { phase: 'Active' } }), ['kube-system', 'Active', '60m']);
  assert.deepEqual(names('', 'Secret'), ['Name', 'Type', 'Data', 'Age']);
  assert.deepEqual(cells('', 'Secret', { metadata: meta('tls'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } }), ['tls', 'kubernetes.io/tls', 2, '60m']);
  assert.deepEqual(cells('', 'ConfigMap', { metadata: meta('cfg'), data: { a: '1' }, binaryData: { b: 'AA==' } }), ['cfg', 2, '60m']);
  assert.deepEqual(cells('', 'ServiceAccount', { metadata: meta('default') }), ['default', 0, '60m']);
  const ep = { metadata: meta('web'), subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] }] };
  assert.deepEqual(cells('', 'Endpoints', ep), ['web', '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...', '60m']);
  assert.deepEqual(cells('', 'Endpoints', { metadata: meta('none') }), ['none', '<none>', '60m']);
  assert.deepEqual(cells('', 'Endpoints', { metadata: meta('v6'), subsets: [{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 53 }] }] })[1], '[fd00::1]:53');
});

test('persistent volumes and claims', () => {
  assert.deepEqual(names('', 'PersistentVolume'), ['Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', 'VolumeMode*']);
  const pv = { metadata: meta('pv1'), spec: { capacity: { storage: '10240Mi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'std', volumeMode: 'Filesystem' }, status: { phase: 'Bound' } };
  assert.deepEqual(cells('', 'PersistentVolume', pv), ['pv1', '10Gi', 'RWO,RWX', 'Retain', 'Bound', 'default/data', 'std', '<unset>', '', '60m', 'Filesystem']);
  const pvc = { metadata: meta('data'), spec: { volumeName: 'pv1', storageClassName: 'std', volumeMode: 'Filesystem', resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Bound', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'] } };
  assert.deepEqual(cells('', 'PersistentVolumeClaim', pvc), ['data', 'Bound', 'pv1', '10Gi', 'RWO', 'std', '<unset>', '60m', 'Filesystem']);
  const pending = { metadata: meta('p', { deletionTimestamp: created }), spec: {}, status: { phase: 'Pending' } };
  assert.deepEqual(cells('', 'PersistentVolumeClaim', pending), ['p', 'Terminating', '', '', '', '', '<unset>', '60m', '<unset>']);
});

test('networking, discovery, RBAC, policy, storage and coordination tables', () => {
  const ing = { metadata: meta('ing'), spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example' }, { host: 'b.example' }, {}, { host: 'd.example' }, { host: 'e.example' }], tls: [{}] }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } };
  assert.deepEqual(cells('networking.k8s.io', 'Ingress', ing), ['ing', 'nginx', 'a.example,b.example,d.example + 2 more...', '1.2.3.4', '80, 443', '60m']);
  assert.deepEqual(cells('networking.k8s.io', 'Ingress', { metadata: meta('i2'), spec: {} }), ['i2', '<none>', '*', '', '80', '60m']);
  assert.deepEqual(cells('networking.k8s.io', 'IngressClass', { metadata: meta('nginx'), spec: { controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' } } }), [
    'nginx', 'k8s.io/ingress-nginx', 'IngressParameters.k8s.example.com/p', '60m',
  ]);
  assert.deepEqual(cells('networking.k8s.io', 'NetworkPolicy', { metadata: meta('deny'), spec: { podSelector: {} } }), ['deny', '<none>', '60m']);
  const slice = { metadata: meta('web-abc'), addressType: 'IPv4', ports: [{ name: 'http', port: 80 }, { name: 'x' }, {}], endpoints: [{ addresses: ['10.0.0.1', '10.0.0.2'] }, { addresses: ['10.0.0.3', '10.0.0.4'] }] };
  assert.deepEqual(cells('discovery.k8s.io', 'EndpointSlice', slice), ['web-abc', 'IPv4', '80,x,*', '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...', '60m']);
  assert.deepEqual(cells('discovery.k8s.io', 'EndpointSlice', { metadata: meta('e'), addressType: 'IPv6' }), ['e', 'IPv6', '<unset>', '<unset>', '60m']);

  assert.deepEqual(names('rbac.authorization.k8s.io', 'RoleBinding'), ['Name', 'Role', 'Age', 'Users*', 'Groups*', 'ServiceAccounts*']);
  const rb = { metadata: meta('rb'), roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'alice' }, { kind: 'User', name: 'bob' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', namespace: 'ci', name: 'bot' }] };
  assert.deepEqual(cells('rbac.authorization.k8s.io', 'RoleBinding', rb), ['rb', 'ClusterRole/view', '60m', 'alice, bob', 'devs', 'ci/bot']);
  assert.deepEqual(cells('policy', 'PodDisruptionBudget', { metadata: meta('pdb'), spec: { maxUnavailable: '25%' }, status: { disruptionsAllowed: 1 } }), ['pdb', 'N/A', '25%', 1, '60m']);
  assert.deepEqual(cells('storage.k8s.io', 'StorageClass', { metadata: meta('std', { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }), provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' }), [
    'std (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '60m',
  ]);
  assert.deepEqual(cells('coordination.k8s.io', 'Lease', { metadata: meta('kube-scheduler'), spec: { holderIdentity: 'sched-1' } }), ['kube-scheduler', 'sched-1', '60m']);
  const rq = { metadata: meta('quota'), status: { hard: { 'limits.cpu': '2', pods: '10', 'requests.memory': '1Gi' }, used: { pods: '3', 'requests.memory': '512Mi' } } };
  assert.deepEqual(cells('', 'ResourceQuota', rq), ['quota', 'pods: 3/10, requests.memory: 512Mi/1Gi', 'limits.cpu: 0/2', '60m']);
  const pt = { metadata: meta('pt'), template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } };
  assert.deepEqual(cells('', 'PodTemplate', pt), ['pt', 'c', 'i', 'app=x']);
});

test('kinds without a printer get NAME and CREATED AT', () => {
  assert.equal(hasPrinter('rbac.authorization.k8s.io', 'ClusterRole'), false);
  const t = printTable('rbac.authorization.k8s.io', 'ClusterRole', [{ metadata: { name: 'admin', creationTimestamp: created } }, { metadata: { name: 'x' } }], { now });
  assert.deepEqual(t.columnDefinitions!.map((c) => [c.name, c.type, c.format]), [['Name', 'string', 'name'], ['Created At', 'date', '']]);
  assert.deepEqual(t.rows!.map((r) => r.cells), [['admin', created], ['x', '0001-01-01T00:00:00Z']]);
  assert.equal(printTable('example.com', 'Widget', [], { now }).rows, null);
  assert.deepEqual(printTable('apiextensions.k8s.io', 'CustomResourceDefinition', [{ metadata: { name: 'w.example.com', creationTimestamp: created } }], { now }).rows![0]!.cells, ['w.example.com', created]);
});
