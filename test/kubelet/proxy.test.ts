// The Service proxy's rules from Services and EndpointSlices (pure), and the Service env vars.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chainsOf, cleanupInput, computeRules, endpointsFor, restoreInput, sepChain, servicePortName, svcChain, type ServiceObj, type SliceObj } from '../../src/kubelet/proxy/rules.js';
import { serviceEnv } from '../../src/kubelet/proxy/envvars.js';

const svc = (name: string, spec: Record<string, unknown>, ns = 'default'): ServiceObj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec } as ServiceObj);
const slice = (svcName: string, eps: { ip: string; ready?: boolean; serving?: boolean; terminating?: boolean }[], ports: { name?: string; port: number; protocol?: string }[], ns = 'default', name = `${svcName}-abc`): SliceObj =>
  ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svcName } },
    addressType: 'IPv4',
    endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false } })),
    ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  }) as SliceObj;
const cfg = { clusterCIDR: '172.17.0.0/16' };

test('chain names are kube-proxy\'s: KUBE-SVC-/KUBE-SEP- and 16 base32 characters of a sha256', () => {
  const s = svc('web', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
  assert.equal(servicePortName(s, s.spec!.ports![0]!), 'default/web:http');
  assert.equal(servicePortName(s, { port: 80 }), 'default/web');
  // kube-proxy's own test vector: the kubernetes Service's https port
  assert.equal(svcChain('default/kubernetes:https', 'tcp'), 'KUBE-SVC-NPX46M4PTMTKRN6Y');
  assert.match(sepChain('default/web:http', 'tcp', '172.17.0.2:8080'), /^KUBE-SEP-[A-Z2-7]{16}$/);
});

test('a ClusterIP service: probability-weighted jumps over the ready endpoints, DNAT, masquerade marks', () => {
  const s = svc('web', { type: 'ClusterIP', clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] });
  const sl = slice('web', [{ ip: '172.17.0.4' }, { ip: '172.17.0.2' }, { ip: '172.17.0.3' }, { ip: '172.17.0.9', ready: false }], [{ name: 'http', port: 8080 }]);
  const r = computeRules([s], [sl], cfg);
  const c = svcChain('default/web:http', 'tcp');
  assert.deepEqual(r.nat.get('KUBE-SERVICES'), [
    `-d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j ${c}`,
    '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  ]);
  const svcRules = r.nat.get(c)!;
  assert.equal(svcRules[0], `! -s 172.17.0.0/16 -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ`);
  // sorted by address; 1/3, 1/2, then the rest
  const sep = (ip: string) => sepChain('default/web:http', 'tcp', `${ip}:8080`);
  assert.deepEqual(svcRules.slice(1), [
    `-m comment --comment "default/web:http -> 172.17.0.2:8080" -m statistic --mode random --probability 0.3333333333 -j ${sep('172.17.0.2')}`,
    `-m comment --comment "default/web:http -> 172.17.0.3:8080" -m statistic --mode random --probability 0.5000000000 -j ${sep('172.17.0.3')}`,
    `-m comment --comment "default/web:http -> 172.17.0.4:8080" -j ${sep('172.17.0.4')}`,
  ]);
  assert.deepEqual(r.nat.get(sep('172.17.0.2')), [
    '-s 172.17.0.2/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ',
    '-p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 172.17.0.2:8080',
  ]);
  assert.ok(!r.nat.has(sep('172.17.0.9')), 'the unready endpoint has no chain');
  assert.deepEqual(r.nat.get('KUBE-MARK-MASQ'), ['-j MARK --or-mark 0x4000']);
});

test('NodePort goes through KUBE-NODEPORTS and KUBE-EXT-*; no endpoints means REJECT in filter', () => {
  const s = svc('np', { type: 'NodePort', clusterIP: '10.96.0.30', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] });
  const empty = svc('empty', { type: 'NodePort', clusterIP: '10.96.0.31', ports: [{ port: 81, nodePort: 30081, protocol: 'UDP' }] });
  const r = computeRules([s, empty], [slice('np', [{ ip: '172.17.0.5' }], [{ port: 80 }])], cfg);
  const np = r.nat.get('KUBE-NODEPORTS')!;
  assert.equal(np.length, 1);
  assert.match(np[0]!, /^-p tcp -m comment --comment "default\/np" -m tcp --dport 30080 -j KUBE-EXT-[A-Z2-7]{16}$/);
  const ext = np[0]!.split(' ').pop()!;
  assert.deepEqual(r.nat.get(ext), ['-m comment --comment "masquerade traffic for default/np external destinations" -j KUBE-MARK-MASQ', `-j ${svcChain('default/np', 'tcp')}`]);
  assert.deepEqual(r.filter.get('KUBE-SERVICES'), ['-d 10.96.0.31/32 -p udp -m comment --comment "default/empty has no endpoints" -m udp --dport 81 -j REJECT --reject-with icmp-port-unreachable']);
  assert.deepEqual(r.filter.get('KUBE-EXTERNAL-SERVICES'), ['-m addrtype --dst-type LOCAL -p udp -m comment --comment "default/empty has no endpoints" -m udp --dport 30081 -j REJECT --reject-with icmp-port-unreachable']);
});

test('headless and ExternalName services get no rules; terminating serving endpoints are the fallback', () => {
  const r = computeRules([svc('h', { clusterIP: 'None', ports: [{ port: 80 }] }), svc('x', { type: 'ExternalName', externalName: 'example.com' })], [slice('h', [{ ip: '172.17.0.6' }], [{ port: 80 }])], cfg);
  assert.deepEqual([...r.nat.keys()].filter((c) => c.startsWith('KUBE-SVC')), []);
  const s = svc('t', { clusterIP: '10.96.0.40', ports: [{ port: 80, protocol: 'TCP' }] });
  const eps = endpointsFor(s, s.spec!.ports![0]!, [slice('t', [{ ip: '172.17.0.7', ready: false, serving: true, terminating: true }, { ip: '172.17.0.8', ready: false, serving: false, terminating: true }], [{ port: 80 }])]);
  assert.deepEqual(eps, [{ ip: '172.17.0.7', port: 80 }]);
});

test('restore input declares (flushes) our chains and deletes the stale ones; cleanup removes all of ours', () => {
  const s = svc('web', { clusterIP: '10.96.0.20', ports: [{ port: 80, protocol: 'TCP' }] });
  const r = computeRules([s], [slice('web', [{ ip: '172.17.0.2' }], [{ port: 80 }])], cfg);
  const input = restoreInput(r, { nat: ['PREROUTING', 'KUBE-SVC-AAAAAAAAAAAAAAAA', 'CNI-HOSTPORT-DNAT'], filter: [] });
  assert.match(input, /^\*filter\n:KUBE-SERVICES - \[0:0\]\n/);
  assert.match(input, /\n:KUBE-SVC-AAAAAAAAAAAAAAAA - \[0:0\]\n/);
  assert.match(input, /\n-X KUBE-SVC-AAAAAAAAAAAAAAAA\nCOMMIT\n$/);
  assert.ok(!input.includes('CNI-HOSTPORT-DNAT') && !input.includes(':PREROUTING'), 'chains not ours are left alone');
  const save = '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]\n:CNI-X - [0:0]\nCOMMIT\n*filter\n:KUBE-FORWARD - [0:0]\nCOMMIT\n';
  assert.deepEqual(chainsOf(save, 'nat'), ['PREROUTING', 'KUBE-SERVICES', 'KUBE-SEP-BBBBBBBBBBBBBBBB', 'CNI-X']);
  assert.equal(cleanupInput({ nat: chainsOf(save, 'nat'), filter: chainsOf(save, 'filter') }), '*filter\n:KUBE-FORWARD - [0:0]\n-X KUBE-FORWARD\nCOMMIT\n*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]\n-X KUBE-SERVICES\n-X KUBE-SEP-BBBBBBBBBBBBBBBB\nCOMMIT\n');
});

test('Service env vars: the namespace\'s services and the master, docker-link style too; enableServiceLinks off', () => {
  const services = [
    svc('kubernetes', { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] }),
    svc('my-web', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }),
    svc('other', { clusterIP: '10.96.0.21', ports: [{ port: 1 }] }, 'elsewhere'),
    svc('headless', { clusterIP: 'None', ports: [{ port: 2 }] }),
  ];
  const env = Object.fromEntries(serviceEnv({ metadata: { namespace: 'default' }, spec: { containers: [] } }, services).map((e) => [e.key, e.value]));
  assert.equal(env['MY_WEB_SERVICE_HOST'], '10.96.0.20');
  assert.equal(env['MY_WEB_SERVICE_PORT'], '80');
  assert.equal(env['MY_WEB_SERVICE_PORT_HTTP'], '80');
  assert.equal(env['MY_WEB_SERVICE_PORT_DNS'], '53');
  assert.equal(env['MY_WEB_PORT'], 'tcp://10.96.0.20:80');
  assert.equal(env['MY_WEB_PORT_53_UDP'], 'udp://10.96.0.20:53');
  assert.equal(env['MY_WEB_PORT_53_UDP_PROTO'], 'udp');
  assert.equal(env['MY_WEB_PORT_53_UDP_PORT'], '53');
  assert.equal(env['MY_WEB_PORT_53_UDP_ADDR'], '10.96.0.20');
  assert.equal(env['KUBERNETES_SERVICE_HOST'], '10.96.0.1');
  assert.equal(env['OTHER_SERVICE_HOST'], undefined);
  assert.equal(env['HEADLESS_SERVICE_HOST'], undefined);
  const off = serviceEnv({ metadata: { namespace: 'default' }, spec: { containers: [], enableServiceLinks: false } }, services).map((e) => e.key);
  assert.ok(off.includes('KUBERNETES_SERVICE_HOST') && !off.some((k) => k.startsWith('MY_WEB')));
});
