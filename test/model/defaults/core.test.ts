// Defaulting of the core/v1 kinds besides Pod.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, prepareForCreate, prepareNamespaceForCreate } from '../../../src/model/defaults/index.js';
import type { KubeObject } from '../../../src/model/object.js';

const now = Date.UTC(2024, 5, 1, 12, 0, 0);
const obj = (rest: Record<string, unknown>, name = 'x'): KubeObject => ({ metadata: { name, namespace: 'default' }, ...rest });
const defaulted = (kind: string, o: KubeObject) => {
  applyDefaults('', 'v1', kind, o);
  return o;
};

test('ClusterIP service: affinity, protocol, targetPort, traffic policy and empty load-balancer status', () => {
  const svc = obj({ spec: { selector: { app: 'web' }, ports: [{ port: 80 }, { name: 'metrics', port: 9090, targetPort: 'http-metrics' }] } });
  prepareForCreate('', 'v1', 'Service', defaulted('Service', svc), { uid: 'u', now });
  assert.deepEqual(svc, {
    metadata: { name: 'x', namespace: 'default' },
    spec: {
      selector: { app: 'web' },
      ports: [
        { port: 80, protocol: 'TCP', targetPort: 80 },
        { name: 'metrics', port: 9090, targetPort: 'http-metrics', protocol: 'TCP' },
      ],
      sessionAffinity: 'None',
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  });
});

test('NodePort, LoadBalancer, ClientIP affinity and ExternalName services', () => {
  const np = defaulted('Service', obj({ spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 0 }] } }));
  assert.equal((np.spec as any).externalTrafficPolicy, 'Cluster');
  assert.equal((np.spec as any).ports[0].targetPort, 80);
  assert.equal((np.spec as any).allocateLoadBalancerNodePorts, undefined);

  const lb = defaulted('Service', obj({ spec: { type: 'LoadBalancer', ports: [{ port: 443, protocol: 'TCP' }] }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { hostname: 'lb.example' }] } } }));
  assert.equal((lb.spec as any).allocateLoadBalancerNodePorts, true);
  assert.equal((lb.spec as any).externalTrafficPolicy, 'Cluster');
  assert.deepEqual((lb.status as any).loadBalancer.ingress, [{ ip: '1.2.3.4', ipMode: 'VIP' }, { hostname: 'lb.example' }]);

  const sticky = defaulted('Service', obj({ spec: { sessionAffinity: 'ClientIP', ports: [{ port: 1 }] } }));
  assert.deepEqual((sticky.spec as any).sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  const notSticky = defaulted('Service', obj({ spec: { sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } } } }));
  assert.equal((notSticky.spec as any).sessionAffinityConfig, undefined);

  const ext = defaulted('Service', obj({ spec: { type: 'ExternalName', externalName: 'db.example.com' } }));
  assert.equal((ext.spec as any).internalTrafficPolicy, undefined);
  assert.equal((ext.spec as any).externalTrafficPolicy, undefined);

  const withExternalIPs = defaulted('Service', obj({ spec: { externalIPs: ['5.6.7.8'], ports: [{ port: 80 }] } }));
  assert.equal((withExternalIPs.spec as any).externalTrafficPolicy, 'Cluster');
});

test('namespace: name label on defaulting, finalizer and Active phase on create', () => {
  const ns: KubeObject = { metadata: { name: 'team-a', labels: { env: 'dev' } } };
  applyDefaults('', 'v1', 'Namespace', ns);
  prepareForCreate('', 'v1', 'Namespace', ns, { uid: 'u', now });
  assert.deepEqual(ns, {
    metadata: { name: 'team-a', labels: { env: 'dev', 'kubernetes.io/metadata.name': 'team-a' } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
  const gen: KubeObject = { metadata: { generateName: 'tmp-' }, spec: { finalizers: ['example.com/x'] }, status: { phase: 'Terminating' } };
  applyDefaults('', 'v1', 'Namespace', gen);
  assert.equal(gen.metadata.labels, undefined, 'nameless namespaces get no name label');
  prepareNamespaceForCreate(gen);
  assert.deepEqual(gen.spec, { finalizers: ['example.com/x', 'kubernetes'] });
  assert.deepEqual(gen.status, { phase: 'Active' });
});

test('secrets default to Opaque; configmaps and service accounts are stored as given', () => {
  assert.equal(defaulted('Secret', obj({ data: { a: 'Yg==' } })).type, 'Opaque');
  assert.equal(defaulted('Secret', obj({ type: 'kubernetes.io/tls' })).type, 'kubernetes.io/tls');
  const cm = obj({ data: {} });
  assert.deepEqual(defaulted('ConfigMap', cm), obj({ data: {} }));
  assert.deepEqual(defaulted('ServiceAccount', obj({})), obj({}));
});

test('persistent volumes and claims', () => {
  const pv: KubeObject = { metadata: { name: 'pv1' }, spec: { capacity: { storage: '10240Mi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/mnt' } } };
  applyDefaults('', 'v1', 'PersistentVolume', pv);
  prepareForCreate('', 'v1', 'PersistentVolume', pv, { uid: 'u', now });
  assert.deepEqual(pv, {
    metadata: { name: 'pv1' },
    spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/mnt', type: '' }, persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' },
    status: { phase: 'Pending', lastPhaseTransitionTime: '2024-06-01T12:00:00Z' },
  });
  const pvc = obj({ spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Bound' } });
  applyDefaults('', 'v1', 'PersistentVolumeClaim', pvc);
  assert.equal((pvc.status as any).phase, 'Bound');
  prepareForCreate('', 'v1', 'PersistentVolumeClaim', pvc, { uid: 'u', now });
  assert.deepEqual(pvc, obj({ spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' }, status: { phase: 'Pending' } }));
});

test('endpoints ports default to TCP', () => {
  const ep = defaulted('Endpoints', obj({ subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] }] }));
  assert.deepEqual((ep.subsets as any)[0].ports, [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }]);
});

test('limit ranges: default limit from max, default request from the default limit, then from min', () => {
  const lr = defaulted(
    'LimitRange',
    obj({
      spec: {
        limits: [
          { type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '100m', 'ephemeral-storage': '1Gi' }, default: { memory: '512Mi' } },
          { type: 'Pod', max: { cpu: '4' } },
        ],
      },
    }),
  );
  assert.deepEqual((lr.spec as any).limits, [
    {
      type: 'Container',
      max: { cpu: '2', memory: '1Gi' },
      min: { cpu: '100m', 'ephemeral-storage': '1Gi' },
      default: { memory: '512Mi', cpu: '2' },
      defaultRequest: { memory: '512Mi', cpu: '2', 'ephemeral-storage': '1Gi' },
    },
    { type: 'Pod', max: { cpu: '4' } },
  ]);
});

test('nodes: allocatable from capacity and the always-serialized status structs', () => {
  const node: KubeObject = { metadata: { name: 'n1' }, status: { capacity: { cpu: '4', memory: '8192Mi', pods: '110' } } };
  applyDefaults('', 'v1', 'Node', node);
  assert.deepEqual(node, {
    metadata: { name: 'n1' },
    spec: {},
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
      nodeInfo: {
        machineID: '', systemUUID: '', bootID: '', kernelVersion: '', osImage: '', containerRuntimeVersion: '',
        kubeletVersion: '', kubeProxyVersion: '', operatingSystem: '', architecture: '',
      },
    },
  });
});

test('events serialize their zero-valued fields', () => {
  const ev = defaulted('Event', obj({ involvedObject: { kind: 'Pod', name: 'p' }, reason: 'Started', type: 'Normal', source: { component: 'kubelet' }, count: 1 }));
  assert.deepEqual(ev, obj({
    involvedObject: { kind: 'Pod', name: 'p' }, reason: 'Started', type: 'Normal', source: { component: 'kubelet' }, count: 1,
    firstTimestamp: null, lastTimestamp: null, eventTime: null, reportingComponent: '', reportingInstance: '',
  }));
});

test('resource quotas and pod templates', () => {
  const rq = obj({ spec: { hard: { 'requests.cpu': '1.5', pods: '10' } } });
  applyDefaults('', 'v1', 'ResourceQuota', rq);
  prepareForCreate('', 'v1', 'ResourceQuota', rq, { uid: 'u', now });
  assert.deepEqual(rq, obj({ spec: { hard: { 'requests.cpu': '1500m', pods: '10' } }, status: {} }));
  const pt = obj({ template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } } });
  prepareForCreate('', 'v1', 'PodTemplate', pt, { uid: 'u', now });
  const tpl = (pt as any).template;
  assert.equal(pt.metadata.generation, 1);
  assert.equal(tpl.spec.restartPolicy, 'Always');
  assert.equal(tpl.spec.containers[0].imagePullPolicy, 'IfNotPresent');
});

test('conversion normalizations: secret stringData, pod IPs, node pod CIDRs, service account names', () => {
  const secret = defaulted('Secret', obj({ data: { a: 'YQ==' }, stringData: { b: 'héllo', a: 'x' } }));
  assert.deepEqual(secret, obj({ data: { a: 'eA==', b: 'aMOpbGxv' }, type: 'Opaque' }));
  const bad = defaulted('Secret', obj({ stringData: { n: 5 } }));
  assert.deepEqual(bad.stringData, { n: 5 }, 'non-string values are left for validation');

  const p = defaulted('Pod', obj({ spec: { serviceAccount: 'legacy', containers: [] }, status: { podIP: '10.0.0.2', hostIPs: [{ ip: '192.168.0.1' }] } }));
  assert.equal((p.spec as any).serviceAccountName, 'legacy');
  assert.equal((p.spec as any).serviceAccount, 'legacy');
  assert.deepEqual((p.status as any).podIPs, [{ ip: '10.0.0.2' }]);
  assert.equal((p.status as any).hostIP, '192.168.0.1');
  const named = defaulted('Pod', obj({ spec: { serviceAccountName: 'sa', containers: [] }, status: { podIP: '10.0.0.3', podIPs: [{ ip: '10.0.0.9' }, { ip: 'fd00::9' }] } }));
  assert.equal((named.spec as any).serviceAccount, 'sa');
  assert.deepEqual((named.status as any).podIPs, [{ ip: '10.0.0.3' }], 'podIP is authoritative when they disagree');

  const node: KubeObject = { metadata: { name: 'n' }, spec: { podCIDR: '10.244.1.0/24' } };
  applyDefaults('', 'v1', 'Node', node);
  assert.deepEqual(node.spec, { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] });
  const dual: KubeObject = { metadata: { name: 'n' }, spec: { podCIDRs: ['10.244.1.0/24', 'fd00::/64'] } };
  applyDefaults('', 'v1', 'Node', dual);
  assert.deepEqual(dual.spec, { podCIDRs: ['10.244.1.0/24', 'fd00::/64'], podCIDR: '10.244.1.0/24' });
});
