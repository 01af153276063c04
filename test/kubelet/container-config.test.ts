// The PodSpec → runtime configuration mapping: command/args over the image, $(VAR) expansion,
// valueFrom and envFrom with upstream's errors, resources → cgroup settings, OOM scores, mounts,
// the managed /etc/hosts and volume contents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ConfigMap, Container, Secret } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../src/model/quantity.js';
import { ConfigError, containerConfig, environment, etcHosts, expand, milliCPUToQuota, milliCPUToShares, mounts, oomScoreAdj, processArgs, resources, volumePlan, type ConfigLookups, type NodeFacts } from '../../src/kubelet/container-config.js';
import type { PodObj } from '../../src/kubelet/sync.js';

const node: NodeFacts = { hostIP: '10.0.0.1', nodeName: 'n1', allocatable: { cpu: parseQuantity('2'), memory: parseQuantity('4Gi') }, memoryCapacityBytes: 4 * 1024 ** 3 };
const img = { entrypoint: ['/ep'], cmd: ['c1', 'c2'], user: '', workingDir: '', env: [] };

function pod(containers: Partial<Container>[], extra: Record<string, unknown> = {}): PodObj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'x', tier: 'web' } },
    spec: { containers: containers.map((c) => ({ name: 'c', image: 'busybox', ...c }) as Container), serviceAccountName: 'default', nodeName: 'n1', ...extra },
  } as PodObj;
}

const cms: Record<string, ConfigMap> = { cfg: { data: { greeting: 'hello', other: 'x' }, binaryData: { bin: Buffer.from([1, 2]).toString('base64') } } };
const secrets: Record<string, Secret> = { sec: { data: { password: Buffer.from('s3cret').toString('base64') } } };
const look: ConfigLookups = { configMap: (_ns, n) => cms[n], secret: (_ns, n) => secrets[n] };

test('command and args over the image\'s entrypoint and cmd, as containerd merges them', () => {
  const env = new Map<string, string>();
  const c = (x: Partial<Container>) => ({ name: 'c', ...x }) as Container;
  assert.deepEqual(processArgs(c({}), img, env), ['/ep', 'c1', 'c2']);
  assert.deepEqual(processArgs(c({ args: ['a'] }), img, env), ['/ep', 'a']);
  assert.deepEqual(processArgs(c({ command: ['/bin/x'] }), img, env), ['/bin/x']);
  assert.deepEqual(processArgs(c({ command: ['/bin/x'], args: ['a'] }), img, env), ['/bin/x', 'a']);
  assert.deepEqual(processArgs(c({}), { ...img, entrypoint: [''] }, env), ['c1', 'c2']);
  assert.throws(() => processArgs(c({}), { ...img, entrypoint: [], cmd: [] }, env), (e: ConfigError) => e.reason === 'CreateContainerError' && /no command specified/.test(e.message));
  assert.deepEqual(processArgs(c({ command: ['echo', '$(A)', '$$(A)', '$(B)'] }), img, new Map([['A', '1']])), ['echo', '1', '$(A)', '$(B)']);
});

test('$(VAR) expansion: $$ escapes, unknown names stay, a lone $ stays', () => {
  const m = new Map([['A', 'x'], ['B', 'y']]);
  const f = (s: string) => expand(s, (n) => m.get(n));
  assert.equal(f('$(A)-$(B)'), 'x-y');
  assert.equal(f('$$(A)'), '$(A)');
  assert.equal(f('$(C)'), '$(C)');
  assert.equal(f('a$b$'), 'a$b$');
  assert.equal(f('$(A'), '$(A');
  fc.assert(fc.property(fc.stringMatching(/^[a-z ]*$/), (s) => f(s) === s));
});

test('env: envFrom first, env over it, valueFrom of ConfigMaps, Secrets, fields and resources', () => {
  const p = pod([
    {
      envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CM_' }, { secretRef: { name: 'missing', optional: true } }],
      env: [
        { name: 'G', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
        { name: 'P', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
        { name: 'H', value: '$(G)-$(CM_other)' },
        { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
      ],
      resources: { requests: { cpu: '250m' } },
    },
  ]);
  const env = Object.fromEntries(environment(p, p.spec!.containers[0]!, look, node, ['172.17.0.2']).map((e) => [e.key, e.value]));
  assert.deepEqual(env, { CM_greeting: 'hello', CM_other: 'x', G: 'hello', P: 's3cret', H: 'hello-x', NAME: 'p', APP: 'x', IP: '172.17.0.2', HOST: '10.0.0.1', MEM: '4096', CPU: '250' });
  const bad = (e: object, msg: string) =>
    assert.throws(() => environment(pod([{ env: [{ name: 'X', ...e }] }]), { name: 'c', env: [{ name: 'X', ...e }] } as Container, look, node, []), (err: ConfigError) => err.reason === 'CreateContainerConfigError' && err.message === msg);
  bad({ valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }, 'configmap "nope" not found');
  bad({ valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }, "couldn't find key k in ConfigMap ns/cfg");
  bad({ valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }, 'secret "nope" not found');
  bad({ valueFrom: { secretKeyRef: { name: 'sec', key: 'k' } } }, "couldn't find key k in Secret ns/sec");
  const optional = environment(pod([]), { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } }] } as Container, look, node, []);
  assert.deepEqual(optional, [{ key: 'X', value: '' }]);
});

test('resources: cpu shares and quota, memory limit, OOM score by QoS class', () => {
  assert.equal(milliCPUToShares(0), 2);
  assert.equal(milliCPUToShares(1), 2);
  assert.equal(milliCPUToShares(250), 256);
  assert.equal(milliCPUToShares(1000), 1024);
  assert.equal(milliCPUToQuota(500), 50000);
  assert.equal(milliCPUToQuota(5), 1000);
  const guaranteed = pod([{ resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '500m', memory: '64Mi' } } }]);
  assert.deepEqual(resources(guaranteed, guaranteed.spec!.containers[0]!, node), { cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000, memoryLimitInBytes: 64 * 1024 * 1024, oomScoreAdj: -997 });
  const limitOnly = pod([{ resources: { limits: { cpu: '2' } } }]);
  assert.equal(resources(limitOnly, limitOnly.spec!.containers[0]!, node).cpuShares, 2048);
  const best = pod([{}]);
  assert.equal(oomScoreAdj(best, best.spec!.containers[0]!, node.memoryCapacityBytes), 1000);
  const burst = pod([{ resources: { requests: { memory: '1Gi' } } }]);
  assert.equal(oomScoreAdj(burst, burst.spec!.containers[0]!, node.memoryCapacityBytes), 750);
});

test('mounts: volumes with subPath and propagation, the kubelet\'s /etc/hosts unless mounted', () => {
  const c = { name: 'c', volumeMounts: [{ name: 'v', mountPath: '/data', subPath: 'sub', readOnly: true }, { name: 'w', mountPath: '/w', mountPropagation: 'HostToContainer' }] } as Container;
  assert.deepEqual(mounts(pod([]), c, { v: '/k/v', w: '/k/w' }, '/k/etc-hosts'), [
    { containerPath: '/data', hostPath: '/k/v/sub', readonly: true, propagation: 'private' },
    { containerPath: '/w', hostPath: '/k/w', readonly: false, propagation: 'rslave' },
    { containerPath: '/etc/hosts', hostPath: '/k/etc-hosts', readonly: false },
  ]);
  assert.throws(() => mounts(pod([]), { name: 'c', volumeMounts: [{ name: 'x', mountPath: '/x' }] } as Container, {}, undefined), /cannot find volume "x"/);
  assert.throws(() => mounts(pod([]), { name: 'c', volumeMounts: [{ name: 'v', mountPath: '/x', subPath: '../up' }] } as Container, { v: '/k' }, undefined), ConfigError);
});

test('the managed /etc/hosts, with the pod\'s address, subdomain and host aliases', () => {
  assert.equal(
    etcHosts(pod([], { hostname: 'h', subdomain: 'sd', hostAliases: [{ ip: '1.2.3.4', hostnames: ['a', 'b'] }] }), ['172.17.0.3']),
    '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n172.17.0.3\th.sd.ns.svc.cluster.local\th\n\n# Entries added by HostAliases.\n1.2.3.4\ta\tb\n',
  );
});

test('volume plans: configMap items and modes, secrets on tmpfs, downward API, projected, errors', () => {
  const p = pod([]);
  const cm = volumePlan(p, { name: 'v', configMap: { name: 'cfg', items: [{ key: 'greeting', path: 'a/g', mode: 0o600 }], defaultMode: 0o640 } }, look, node, []);
  assert.deepEqual(cm, { kind: 'files', plugin: 'configmap', files: [{ path: 'a/g', data: Buffer.from('hello'), mode: 0o600 }], tmpfs: false });
  const all = volumePlan(p, { name: 'v', configMap: { name: 'cfg' } }, look, node, []);
  assert.deepEqual(all.kind === 'files' && all.files.map((f) => [f.path, f.data.toString('hex'), f.mode]), [['greeting', Buffer.from('hello').toString('hex'), 0o644], ['other', '78', 0o644], ['bin', '0102', 0o644]]);
  const sec = volumePlan(p, { name: 's', secret: { secretName: 'sec' } }, look, node, []);
  assert.equal(sec.kind === 'files' && sec.tmpfs, true);
  assert.equal(sec.kind === 'files' && sec.files[0]!.data.toString(), 's3cret');
  const dw = volumePlan(p, { name: 'd', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } }, look, node, []);
  assert.equal(dw.kind === 'files' && dw.files[0]!.data.toString(), 'app="x"\ntier="web"');
  const proj = volumePlan(p, { name: 'pr', projected: { sources: [{ configMap: { name: 'cfg', items: [{ key: 'other', path: 'o' }] } }, { secret: { name: 'sec' } }] } }, look, node, []);
  assert.deepEqual(proj.kind === 'files' && proj.files.map((f) => f.path), ['o', 'password']);
  assert.throws(() => volumePlan(p, { name: 'v', configMap: { name: 'nope' } }, look, node, []), /configmap "nope" not found/);
  assert.deepEqual(volumePlan(p, { name: 'v', configMap: { name: 'nope', optional: true } }, look, node, []), { kind: 'files', plugin: 'configmap', files: [], tmpfs: false });
  assert.deepEqual(volumePlan(p, { name: 'e', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }, look, node, []), { kind: 'emptyDir', medium: 'Memory', sizeLimitBytes: 1048576 });
});

test('the whole container config carries the kubelet\'s labels and annotations', () => {
  const p = pod([{ name: 'web', command: ['httpd'], workingDir: '/w', securityContext: { runAsUser: 1000, runAsGroup: 2000, capabilities: { add: ['NET_ADMIN'] } } }]);
  const cfg = containerConfig({ pod: p, container: p.spec!.containers[0]!, kind: 'app', attempt: 3, image: { id: 'sha256:x', repoTags: [], repoDigests: [], size: 0, config: img }, lookups: look, node, podIPs: [], volumes: {}, etcHostsPath: '/k/hosts' });
  assert.deepEqual(cfg.labels, { 'io.kubernetes.pod.name': 'p', 'io.kubernetes.pod.namespace': 'ns', 'io.kubernetes.pod.uid': 'u1', 'io.kubernetes.container.name': 'web', 'dev.berth.kubelet.container-kind': 'app' });
  assert.equal(cfg.annotations['io.kubernetes.container.restartCount'], '3');
  assert.match(cfg.annotations['io.kubernetes.container.hash']!, /^[0-9a-f]+$/);
  assert.deepEqual(cfg.command, ['httpd']);
  assert.equal(cfg.workingDir, '/w');
  assert.deepEqual(cfg.linux.securityContext.capabilities, { addCapabilities: ['CAP_NET_ADMIN'], dropCapabilities: [] });
  assert.equal(cfg.linux.securityContext.runAsUser, 1000);
  assert.equal(cfg.linux.securityContext.runAsGroup, 2000);
});
