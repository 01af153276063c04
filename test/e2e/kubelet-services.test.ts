// End to end: Services, cluster DNS, PVCs and lifecycle hooks with the real kubectl against
// `berth server --kubelet` (kubelet, iptables Service proxy and cluster DNS in one process).
// Client pods write what they fetched into a hostPath directory the test reads, so nothing here
// depends on `kubectl logs` or `exec`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, fetchText, kubectl, which, type ServerProcess } from './cluster.js';
import { startNodeServer, type NodeServer } from './node.js';
import { canRunContainers } from '../engine/hoststate.js';
import { encodeQuery, parseReply, TYPE } from '../../src/kubelet/dns/wire.js';

const skip = canRunContainers() ?? (which('kubectl') ? (which('iptables-save') ? undefined : 'needs iptables') : 'needs kubectl');
if (skip) process.stdout.write(`# skipping kubelet services end-to-end tests: ${skip}\n`);

let node: NodeServer;
let s: ServerProcess;
let dir = '';
let out = '';
let rulesBefore: string[] = [];

/** Our rules in iptables-save, without counters. */
const kubeRules = () => execFileSync('iptables-save').toString().split('\n').filter((l) => l.includes('KUBE-')).map((l) => l.replace(/\[\d+:\d+\]/, '')).sort();

before(async () => {
  if (skip) return;
  rulesBefore = kubeRules();
  node = await startNodeServer('svc');
  s = node.server;
  dir = node.dataDir;
  out = join(dir, 'out');
  mkdirSync(out);
});

after(async () => {
  if (skip) return;
  await node?.stop();
});

const k = (args: string[], input?: string, timeoutMs?: number) => kubectl(s.kubeconfig, args, input, timeoutMs);
const json = async (args: string[]) => {
  const r = await k([...args, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, any>;
};
const apply = async (yaml: string) => {
  const r = await k(['apply', '-f', '-'], yaml);
  assert.equal(r.code, 0, r.stderr);
};

function dnsQuery(server: string, name: string, type: number): Promise<ReturnType<typeof parseReply>> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no DNS answer for ${name}`));
    }, 3000);
    sock.on('message', (m) => {
      clearTimeout(timer);
      sock.close();
      resolve(parseReply(m));
    });
    sock.send(encodeQuery(4242, name, type), 53, server);
  });
}

/**
 * An HTTP GET of / on port 80 from inside a pod, printing the body's last line. Debian's static
 * busybox wget crashes in glibc's NSS (even for an address), so the request goes through nc,
 * which resolves names through the pod's resolv.conf like any client.
 */
const GET = `get() { printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 "$1" 80 | tail -1; }; get`;

/** A one-shot busybox pod whose script writes into /out (the test's directory); waits for it to finish. */
async function runClient(name: string, script: string, extra = ''): Promise<Record<string, any>> {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  volumes: [{name: out, hostPath: {path: ${out}}}${extra ? `, ${extra}` : ''}]
  containers:
  - name: c
    image: "busybox:1.36"
    command: [sh, -c, ${JSON.stringify(script)}]
    volumeMounts: [{name: out, mountPath: /out}${extra ? ', {name: data, mountPath: /data}' : ''}]
`);
  const p = await eventually(async () => {
    const p = await json(['get', 'pod', name]);
    return p.status.phase === 'Succeeded' || p.status.phase === 'Failed' ? p : undefined;
  }, 60_000, `pod ${name} finished`);
  const r = await k(['delete', 'pod', name, '--wait=false']);
  assert.equal(r.code, 0, r.stderr);
  return p;
}

const web = (replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      volumes: [{name: ctl, hostPath: {path: ${dir}/ctl, type: DirectoryOrCreate}}]
      containers:
      - name: httpd
        image: "busybox:1.36"
        command: [sh, -c, 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www']
        ports: [{containerPort: 8080, name: http}]
        volumeMounts: [{name: ctl, mountPath: /ctl}]
        readinessProbe: {exec: {command: [sh, -c, 'test ! -e /ctl/unready-$(hostname)']}, periodSeconds: 1}
`;

test('a Deployment behind a Service: reachable by ClusterIP, NodePort and DNS name from pods and the host', { skip }, async () => {
  // the cluster DNS Service sits at the conventional address
  const dns = await json(['get', 'svc', '-n', 'kube-system', 'kube-dns']);
  assert.equal(dns.spec.clusterIP, '10.96.0.10');
  const sc = await json(['get', 'storageclass', 'local-path']);
  assert.equal(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');

  await apply(web(2) + `
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`);
  const rollout = await k(['rollout', 'status', 'deploy/web', '--timeout=60s'], undefined, 70_000);
  assert.equal(rollout.code, 0, rollout.stderr + rollout.stdout);
  const svc = await json(['get', 'svc', 'web']);
  const ip = svc.spec.clusterIP as string;
  const nodePort = svc.spec.ports[0].nodePort as number;
  const names = new Set((await json(['get', 'pods', '-l', 'app=web'])).items.map((p: any) => p.metadata.name));

  // from the host: ClusterIP and NodePort, through the proxy's rules
  const fromHost = await eventually(async () => {
    const t = (await fetchText(`http://${ip}/`).catch(() => '')).trim();
    return names.has(t) ? t : undefined;
  }, 15_000, 'the ClusterIP answering from the host').catch((e: Error) => {
    throw new Error(`${e.message}\n${execFileSync('iptables-save', ['-t', 'nat']).toString().split('\n').filter((l) => l.includes('KUBE-')).join('\n')}`);
  });
  assert.ok(names.has(fromHost));
  const node = (await json(['get', 'nodes'])).items[0];
  const nodeIP = node.status.addresses.find((a: any) => a.type === 'InternalIP').address;
  assert.ok(names.has((await fetchText(`http://${nodeIP}:${nodePort}/`)).trim()), 'NodePort on the node IP');
  await eventually(async () => names.has((await fetchText(`http://127.0.0.1:${nodePort}/`).catch(() => '')).trim()), 10_000, 'NodePort on 127.0.0.1');

  // the cluster DNS through its ClusterIP, from the host
  const a = await dnsQuery('10.96.0.10', 'web.default.svc.cluster.local', TYPE.A);
  assert.deepEqual(a.answers.map((x) => x.data), [ip]);
  const srv = await dnsQuery('10.96.0.10', '_http._tcp.web.default.svc.cluster.local', TYPE.SRV);
  assert.deepEqual(srv.answers.map((x) => x.data), ['0 100 80 web.default.svc.cluster.local']);
  const nx = await dnsQuery('10.96.0.10', 'nope.default.svc.cluster.local', TYPE.A);
  assert.equal(nx.rcode, 3);
  assert.equal(nx.authority, 1);

  // from a pod: by full name, by short name (search path), and the Service's env vars
  const client = await runClient('client', `cat /etc/resolv.conf > /out/resolv.conf; env > /out/env; ${GET} web.default.svc.cluster.local > /out/full; ${GET} web > /out/short; nslookup web > /out/nslookup; true`);
  const resolv = readFileSync(join(out, 'resolv.conf'), 'utf8');
  assert.match(resolv, /^nameserver 10\.96\.0\.10$/m);
  assert.match(resolv, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/m);
  assert.match(resolv, /^options ndots:5$/m);
  const env = readFileSync(join(out, 'env'), 'utf8');
  assert.match(env, new RegExp(`^WEB_SERVICE_HOST=${ip.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(env, /^WEB_SERVICE_PORT_HTTP=80$/m);
  assert.match(env, new RegExp(`^WEB_PORT_80_TCP=tcp://${ip.replace(/\./g, '\\.')}:80$`, 'm'));
  assert.match(env, /^KUBERNETES_SERVICE_HOST=10\.96\.0\.1$/m);
  assert.match(readFileSync(join(out, 'nslookup'), 'utf8'), new RegExp(ip.replace(/\./g, '\\.')));
  assert.equal(client.status.phase, 'Succeeded', JSON.stringify(client.status.containerStatuses));
  assert.ok(names.has(readFileSync(join(out, 'full'), 'utf8').trim()), 'by full name');
  assert.ok(names.has(readFileSync(join(out, 'short'), 'utf8').trim()), 'by short name');
});

/** Who answers 40 requests to the Service from a pod. */
async function answering(tag: string): Promise<Set<string>> {
  await runClient(`ask-${tag}`, `for i in $(seq 40); do ${GET} web.default.svc.cluster.local; done > /out/${tag}`);
  return new Set(readFileSync(join(out, tag), 'utf8').split('\n').filter(Boolean));
}

const readyPods = async () => (await json(['get', 'pods', '-l', 'app=web'])).items.filter((p: any) => !p.metadata.deletionTimestamp && p.status.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True').map((p: any) => p.metadata.name as string).sort();

test('scaling changes which pods answer; a pod failing readiness leaves the endpoints and the proxy', { skip }, async () => {
  await apply(web(3));
  const three = await eventually(async () => {
    const r = await readyPods();
    return r.length === 3 ? r : undefined;
  }, 60_000, '3 ready pods');
  await eventually(async () => (await json(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web'])).items.flatMap((s: any) => s.endpoints ?? []).filter((e: any) => e.conditions.ready).length === 3, 15_000, '3 ready endpoints');
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual([...(await answering('three'))].sort(), three);

  // one pod turns unready: gone from the slice and from the rules, the others still answer
  const [victim, ...rest] = three;
  mkdirSync(join(dir, 'ctl'), { recursive: true });
  writeFileSync(join(dir, 'ctl', `unready-${victim}`), '');
  await eventually(async () => {
    const eps = (await json(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web'])).items.flatMap((s: any) => s.endpoints ?? []);
    return eps.find((e: any) => e.targetRef.name === victim)?.conditions.ready === false;
  }, 20_000, 'the unready pod marked not ready in the slice');
  const victimIP = (await json(['get', 'pod', victim!])).status.podIP;
  await eventually(() => !execFileSync('iptables-save', ['-t', 'nat']).toString().includes(`--to-destination ${victimIP}:8080`), 5_000, 'the unready endpoint out of the rules');
  const withoutVictim = await answering('unready');
  assert.ok(!withoutVictim.has(victim!), `the unready pod still answered: ${[...withoutVictim].join(' ')}`);
  assert.deepEqual([...withoutVictim].sort(), rest);
  rmSync(join(dir, 'ctl', `unready-${victim}`));

  // scaled to one: only that one answers
  await apply(web(1));
  const one = await eventually(async () => {
    const all = await json(['get', 'pods', '-l', 'app=web']);
    const r = await readyPods();
    return all.items.length === 1 && r.length === 1 ? r : undefined;
  }, 60_000, 'scaled down to 1');
  await eventually(async () => (await json(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web'])).items.flatMap((s: any) => s.endpoints ?? []).length === 1, 15_000, '1 endpoint');
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual([...(await answering('one'))], one);
});

test("a PVC's data survives the pod's deletion and re-creation", { skip }, async () => {
  await apply(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
`);
  const token = `t${Date.now()}`;
  const vol = '{name: data, persistentVolumeClaim: {claimName: data}}';
  const w = await runClient('writer', `echo ${token} > /data/f`, vol);
  assert.equal(w.status.phase, 'Succeeded', JSON.stringify(w.status));
  const pvc = await json(['get', 'pvc', 'data']);
  assert.equal(pvc.status.phase, 'Bound');
  assert.equal(pvc.spec.storageClassName, 'local-path');
  const pv = await json(['get', 'pv', pvc.spec.volumeName]);
  assert.equal(pv.status.phase, 'Bound');
  assert.equal(pv.spec.claimRef.uid, pvc.metadata.uid);
  assert.ok(pv.spec.hostPath.path.startsWith(join(dir, 'local-path') + '/'), pv.spec.hostPath.path);
  await eventually(async () => (await json(['get', 'pods'])).items.every((p: any) => p.metadata.name !== 'writer'), 30_000, 'writer gone');
  const r = await runClient('reader', 'cat /data/f > /out/pvc', vol);
  assert.equal(r.status.phase, 'Succeeded');
  assert.equal(readFileSync(join(out, 'pvc'), 'utf8').trim(), token);
});

test('postStart and preStop hooks run; a failing postStart kills the container', { skip }, async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: hooks}
spec:
  terminationGracePeriodSeconds: 5
  volumes: [{name: out, hostPath: {path: ${out}}}]
  containers:
  - name: c
    image: "busybox:1.36"
    command: [sleep, "3600"]
    volumeMounts: [{name: out, mountPath: /out}]
    lifecycle:
      postStart: {exec: {command: [sh, -c, "echo started > /out/poststart"]}}
      preStop: {exec: {command: [sh, -c, "echo stopping > /out/prestop"]}}
---
apiVersion: v1
kind: Pod
metadata: {name: badhook}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: "busybox:1.36"
    command: [sleep, "3600"]
    lifecycle:
      postStart: {exec: {command: [sh, -c, "exit 3"]}}
`);
  await eventually(async () => (await json(['get', 'pod', 'hooks'])).status.phase === 'Running', 30_000, 'hooks Running');
  assert.equal(readFileSync(join(out, 'poststart'), 'utf8').trim(), 'started');
  const del = await k(['delete', 'pod', 'hooks', '--wait=true', '--timeout=30s'], undefined, 40_000);
  assert.equal(del.code, 0, del.stderr);
  assert.equal(readFileSync(join(out, 'prestop'), 'utf8').trim(), 'stopping');
  const ev = await eventually(async () => {
    const e = await k(['get', 'events', '--field-selector', 'involvedObject.name=badhook']);
    return /FailedPostStartHook/.test(e.stdout) ? e.stdout : undefined;
  }, 30_000, 'FailedPostStartHook event');
  assert.match(ev, /Exec lifecycle hook \(\[sh -c exit 3\]\) for Container "c" in Pod "badhook_default/);
  await eventually(async () => (await json(['get', 'pod', 'badhook'])).status.containerStatuses?.[0]?.restartCount >= 1, 30_000, 'badhook restarted');
});

test('kubectl debug runs an ephemeral container that sees its target\'s processes; kubectl drain evicts, held back by a disruption budget', { skip }, async () => {
  const target = (await json(['get', 'pods', '-l', 'app=web'])).items.find((p: any) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp);
  assert.ok(target, 'a running web pod');
  const d = await k(['debug', target.metadata.name, '-i', '--image=busybox:1.36', '--target=httpd', '--container=dbg', '--', 'sh', '-c', 'sleep 1; ps'], undefined, 60_000);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /httpd -f -p 8080/, 'the target container\'s process, from the debugger');
  const st = await eventually(async () => (await json(['get', 'pod', target.metadata.name])).status.ephemeralContainerStatuses?.find((c: any) => c.name === 'dbg' && c.state.terminated), 30_000, 'dbg ended');
  assert.equal(st.state.terminated.exitCode, 0);

  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: evictme, labels: {app: evictme}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: "busybox:1.36", command: [sleep, "3600"]}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: evictme}
spec: {minAvailable: 1, selector: {matchLabels: {app: evictme}}}
`);
  await eventually(async () => (await json(['get', 'pdb', 'evictme'])).status?.currentHealthy === 1, 30_000, 'the budget sees its pod');
  const node = (await json(['get', 'pod', 'evictme'])).spec.nodeName;
  // (evictme has no controller: drain wants --force for it, as upstream's does)
  try {
    const held = await k(['drain', node, '--pod-selector=app=evictme', '--force', '--timeout=4s'], undefined, 30_000);
    assert.notEqual(held.code, 0);
    assert.match(held.stdout + held.stderr, /Cannot evict pod as it would violate the pod's disruption budget/);
    assert.equal((await json(['get', 'pod', 'evictme'])).metadata.deletionTimestamp, undefined, 'nothing evicted');
    assert.equal((await k(['delete', 'pdb', 'evictme'])).code, 0);
    const drained = await k(['drain', node, '--pod-selector=app=evictme', '--force', '--timeout=30s'], undefined, 40_000);
    assert.equal(drained.code, 0, drained.stderr);
    assert.match(drained.stdout, /pod\/evictme evicted/);
  } finally {
    await k(['uncordon', node]);
  }
});

test('deleting everything leaves no proxy rules behind', { skip }, async () => {
  for (const args of [['delete', 'deploy', 'web'], ['delete', 'svc', 'web'], ['delete', 'pod', '--all', '--grace-period=1', '--wait=true', '--timeout=60s'], ['delete', 'pvc', 'data']]) {
    const r = await k(args, undefined, 70_000);
    assert.equal(r.code, 0, r.stderr);
  }
  await eventually(async () => (await json(['get', 'pv'])).items.length === 0, 20_000, 'the provisioned PV deleted');
  await eventually(() => !execFileSync('iptables-save', ['-t', 'nat']).toString().includes('default/web:http'), 10_000, 'the web rules gone');
  await s.stop();
  assert.deepEqual(kubeRules(), rulesBefore);
  assert.equal(existsSync(join(dir, 'kubelet', 'pods')) ? execFileSync('ls', [join(dir, 'kubelet', 'pods')]).toString().trim() : '', '');
});
