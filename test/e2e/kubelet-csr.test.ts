// End to end: a `berth server` without a kubelet and a separate `berth kubelet` process with its
// own data directory (no cluster CA key there), joined with the admin kubeconfig. The kubelet gets
// its serving certificate through a kubelet-serving CertificateSigningRequest, which the controller
// manager approves (requested by a cluster admin) and signs; then the real kubectl's logs and exec
// reach a pod on that node through the API server. kubectl get/describe csr and kubectl
// certificate approve|deny work on requests of other signers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { berthMain, eventually, kubectl, removeDir, startServer, which, type ServerProcess } from './cluster.js';
import { canRunContainers, hostLinks, natChainsExist, removeTestBridges } from '../engine/hoststate.js';
import { preloadBusybox } from '../kubelet/preload.js';
import { Engine } from '../../src/engine/engine.js';
import { removeCgroup } from '../../src/engine/cgroups.js';
import { unmountAll } from '../../src/engine/sys.js';
import { createCertificateRequest } from '../../src/model/x509.js';

const skip = canRunContainers() ?? (which('kubectl') ? undefined : 'needs kubectl');
if (skip) process.stdout.write(`# skipping the standalone kubelet CSR end-to-end test: ${skip}\n`);

const NODE = 'berth-e2e-csr-node';
let server: ServerProcess;
let kubeletDir = '';
let kubelet: ChildProcess | undefined;
let kubeletErr = '';
let links: Set<string>;
let nat = false;

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });

const k = (args: string[], input?: string, timeoutMs?: number) => kubectl(server.kubeconfig, args, input, timeoutMs);

before(async () => {
  if (skip) return;
  links = hostLinks();
  nat = natChainsExist();
  server = await startServer();
  assert.ok(existsSync(join(server.dataDir, 'pki', 'ca.key')));
  kubeletDir = mkdtempSync('/tmp/berth-e2e-csr-kubelet-');
  await preloadBusybox(kubeletDir);
  const port = await freePort();
  kubelet = spawn(process.execPath, ['--enable-source-maps', berthMain, 'kubelet', '--kubeconfig', server.kubeconfig, '--data-dir', kubeletDir, '--node-name', NODE, '--kubelet-port', String(port), `--cgroup-root=/${basename(kubeletDir)}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  kubelet.stderr!.on('data', (d) => (kubeletErr += d));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`berth kubelet did not start: ${kubeletErr}`)), 60_000);
    kubelet!.stdout!.on('data', (d) => {
      out += d;
      if (out.includes(`kubelet running as node ${NODE}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    kubelet!.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`berth kubelet exited with ${code}: ${kubeletErr}`));
    });
  });
});

after(async () => {
  if (skip) return;
  try {
    await k(['delete', 'pods', '--all', '--grace-period=0', '--force', '--wait=true'], undefined, 60_000).catch(() => undefined);
    if (kubelet && kubelet.exitCode === null) {
      const exited = new Promise((r) => kubelet!.once('exit', r));
      kubelet.kill('SIGTERM');
      await exited;
    }
    // a stopped kubelet leaves its pods' containers running, as upstream's does: remove what is left
    if (kubeletDir) {
      const engine = await Engine.open({ dataDir: join(kubeletDir, 'engine') });
      try {
        for (const c of engine.containers.list()) await engine.containers.remove(c.id, { force: true }).catch(() => undefined);
      } finally {
        engine.close();
      }
      // a force-deleted pod's token volume (tmpfs) may outlive the kubelet, and its cgroup hierarchy does
      await unmountAll(kubeletDir);
      await removeCgroup(`/${basename(kubeletDir)}`);
      removeDir(kubeletDir);
    }
  } finally {
    // whatever failed above, the server goes (a live child would keep the test process waiting)
    await server?.stop();
    if (server) removeDir(server.dataDir);
    removeTestBridges(links, nat);
  }
});

test('the standalone kubelet\'s serving certificate comes through an approved and issued CSR', { skip }, async () => {
  assert.ok(!existsSync(join(kubeletDir, 'pki', 'ca.key')), 'the kubelet has no CA key');
  const line = await eventually(async () => {
    const r = await k(['get', 'csr', '--no-headers']);
    return r.stdout.split('\n').find((l) => l.includes('kubernetes.io/kubelet-serving') && l.includes('Approved,Issued'));
  }, 60_000, `an issued kubelet-serving CSR (kubelet log: ${kubeletErr})`);
  const [name, , signer, requestor, duration, condition] = line.trim().split(/\s+/);
  assert.match(name!, /^csr-/);
  assert.deepEqual([signer, requestor, duration, condition], ['kubernetes.io/kubelet-serving', 'kubernetes-admin', '<none>', 'Approved,Issued']);
  const headers = (await k(['get', 'csr'])).stdout.split('\n')[0]!.trim().split(/\s+/);
  assert.deepEqual(headers, ['NAME', 'AGE', 'SIGNERNAME', 'REQUESTOR', 'REQUESTEDDURATION', 'CONDITION']);
  const d = await k(['describe', 'csr', name!]);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /Signer:\s+kubernetes\.io\/kubelet-serving/);
  assert.match(d.stdout, /Requesting User:\s+kubernetes-admin/);
  assert.match(d.stdout, /Status:\s+Approved,Issued/);
  assert.match(d.stdout, /Common Name:\s+system:node:berth-e2e-csr-node/);
  assert.match(d.stdout, /Serving Organization:\s+system:nodes|Organization:\s+system:nodes/);
  const reason = await k(['get', 'csr', name!, '-o', 'jsonpath={.status.conditions[0].reason}']);
  assert.equal(reason.stdout, 'AutoApproved');
  // on disk as upstream's kubelet keeps it, and what the kubelet serves
  const current = join(kubeletDir, 'kubelet', 'pki', 'kubelet-server-current.pem');
  await eventually(() => existsSync(current) && /serving certificate issued, valid until/.test(kubeletErr), 30_000, 'the kubelet to take its certificate');
  assert.ok(lstatSync(current).isSymbolicLink());
  const cert = new X509Certificate(readFileSync(current));
  assert.equal(cert.subject, `O=system:nodes\nCN=system:node:${NODE}`);
  assert.ok(cert.checkIssued(new X509Certificate(readFileSync(join(server.dataDir, 'pki', 'ca.crt')))));
});

test('kubectl logs and exec reach a pod on the standalone kubelet', { skip }, async () => {
  await eventually(async () => (await k(['get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout === 'True', 60_000, 'node Ready');
  const pod = `
apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: "busybox:1.36", command: [sh, -c, "echo hello from the standalone kubelet; sleep 3600"]}
`;
  const r = await k(['apply', '-f', '-'], pod);
  assert.equal(r.code, 0, r.stderr);
  await eventually(async () => (await k(['get', 'pod', 'talker', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 90_000, `pod Running (kubelet log: ${kubeletErr})`);
  const logs = await eventually(async () => {
    const l = await k(['logs', 'talker']);
    return l.stdout.includes('hello from the standalone kubelet') ? l : undefined;
  }, 20_000, 'kubectl logs');
  assert.equal(logs.code, 0, logs.stderr);
  const exec = await k(['exec', 'talker', '--', 'sh', '-c', 'echo exec-ok; hostname']);
  assert.equal(exec.code, 0, exec.stderr);
  assert.equal(exec.stdout, 'exec-ok\ntalker\n');
  const failing = await k(['exec', 'talker', '--', 'sh', '-c', 'exit 3']);
  assert.equal(failing.code, 3);
});

test('kubectl certificate approve and deny, and the signer for kube-apiserver-client', { skip }, async () => {
  const request = (cn: string) => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return Buffer.from(createCertificateRequest(privateKey, { organization: ['devs'], commonName: cn })).toString('base64');
  };
  const manifest = (name: string, cn: string) => `
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {name: ${name}}
spec:
  request: ${request(cn)}
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: 86400
  usages: [client auth]
`;
  assert.equal((await k(['apply', '-f', '-'], manifest('jane', 'jane'))).code, 0);
  assert.equal((await k(['apply', '-f', '-'], manifest('mallory', 'mallory'))).code, 0);
  const pending = await k(['get', 'csr', 'jane', '--no-headers']);
  assert.match(pending.stdout, /kubernetes\.io\/kube-apiserver-client\s+kubernetes-admin\s+24h\s+Pending/);
  const approve = await k(['certificate', 'approve', 'jane']);
  assert.equal(approve.code, 0, approve.stderr);
  assert.equal(approve.stdout, 'certificatesigningrequest.certificates.k8s.io/jane approved\n');
  const deny = await k(['certificate', 'deny', 'mallory']);
  assert.equal(deny.code, 0, deny.stderr);
  assert.equal(deny.stdout, 'certificatesigningrequest.certificates.k8s.io/mallory denied\n');
  const issued = await eventually(async () => {
    const r = await k(['get', 'csr', 'jane', '-o', 'jsonpath={.status.certificate}']);
    return r.stdout || undefined;
  }, 20_000, 'jane issued');
  const cert = new X509Certificate(Buffer.from(issued, 'base64'));
  assert.equal(cert.subject, 'O=devs\nCN=jane');
  assert.ok(Math.abs(Date.parse(cert.validTo) - Date.parse(cert.validFrom) - 24 * 3600 * 1000) < 2000, 'backdated 5 minutes at both ends');
  assert.match((await k(['get', 'csr', 'mallory', '--no-headers'])).stdout, /\sDenied\s*$/m);
  const again = await k(['certificate', 'approve', 'mallory']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /certificate signing request "mallory" is already Denied/);
});
