// End to end: in-cluster API access with projected service-account tokens. `berth server
// --kubelet` publishes kube-root-ca.crt, the ServiceAccount admission mounts kube-api-access-*
// into the pod, the kubelet fetches a pod-bound token through the TokenRequest API, the pod
// reaches the API server through the kubernetes Service, and the mounted token authenticates as
// the pod's service account (kubectl --token) until the pod is deleted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, kubectl, which, type ServerProcess } from './cluster.js';
import { startNodeServer, type NodeServer } from './node.js';
import { canRunContainers } from '../engine/hoststate.js';

const skip = canRunContainers() ?? (which('kubectl') ? undefined : 'needs kubectl');
if (skip) process.stdout.write(`# skipping service-account token end-to-end tests: ${skip}\n`);

let node: NodeServer;
let s: ServerProcess;

before(async () => {
  if (skip) return;
  // on every address: pods reach the server through the kubernetes Service's endpoint (the node's IP)
  node = await startNodeServer('satoken', ['--host', '0.0.0.0']);
  s = node.server;
});

after(async () => {
  if (skip) return;
  await node?.stop();
});

const k = (args: string[], input?: string) => kubectl(s.kubeconfig, args, input);
const MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** kubectl as the bearer of a token only: no client certificate. */
const asToken = (token: string, args: string[]) =>
  kubectl('/dev/null', [`--server=https://127.0.0.1:${s.port}`, `--certificate-authority=${join(s.dataDir, 'pki', 'ca.crt')}`, `--token=${token}`, ...args]);

test('kubectl create token: a token that authenticates as the service account', { skip }, async () => {
  assert.equal((await k(['create', 'serviceaccount', 'robot'])).code, 0);
  const t = await k(['create', 'token', 'robot', '--duration=15m']);
  assert.equal(t.code, 0, t.stderr);
  const token = t.stdout.trim();
  const who = await asToken(token, ['auth', 'whoami', '-o', 'json']);
  assert.equal(who.code, 0, who.stderr);
  const info = JSON.parse(who.stdout).status.userInfo;
  assert.equal(info.username, 'system:serviceaccount:default:robot');
  assert.deepEqual(info.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
  const bad = await asToken(`${token.slice(0, -4)}AAAA`, ['get', 'pods']);
  assert.notEqual(bad.code, 0);
  // kubectl's words for a 401
  assert.match(bad.stderr, /Unauthorized|the server has asked for the client to provide credentials/);
});

test('a pod gets token, ca.crt and namespace, reaches the API as its account, and its token dies with it', { skip }, async () => {
  const manifest = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'api-client' },
    spec: { serviceAccountName: 'robot', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
  });
  const created = await k(['create', '-f', '-'], manifest);
  assert.equal(created.code, 0, created.stderr);
  await eventually(async () => (await k(['get', 'pod', 'api-client', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 90_000, 'pod Running');
  const exec = (cmd: string) => k(['exec', 'api-client', '--', 'sh', '-c', cmd]);
  const ls = await exec(`ls ${MOUNT}`);
  assert.equal(ls.code, 0, ls.stderr);
  assert.deepEqual(ls.stdout.trim().split(/\s+/).sort(), ['ca.crt', 'namespace', 'token']);
  assert.equal((await exec(`cat ${MOUNT}/namespace`)).stdout, 'default');
  assert.equal((await exec(`cat ${MOUNT}/ca.crt`)).stdout, readFileSync(join(s.dataDir, 'pki', 'ca.crt'), 'utf8'));
  const token = (await exec(`cat ${MOUNT}/token`)).stdout.trim();
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
  assert.equal(claims.sub, 'system:serviceaccount:default:robot');
  assert.equal(claims['kubernetes.io'].pod.name, 'api-client');

  // from inside the pod, the API server is where client libraries look: the kubernetes Service's
  // variables lead to it. (An HTTPS request from the pod itself cannot be made with busybox 1.35:
  // its wget's own TLS offers no signature_algorithms, so it only works with servers that accept
  // SHA-1 handshake signatures, which Node's OpenSSL refuses at its default security level.)
  const reach = await exec('printf "" | nc -w 3 $KUBERNETES_SERVICE_HOST $KUBERNETES_SERVICE_PORT && echo reached $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT');
  assert.equal(reach.code, 0, reach.stderr);
  assert.match(reach.stdout, /^reached 10\.96\.0\.1:443/);

  // the mounted token, used from outside the pod as the pod would use it
  const who = await asToken(token, ['auth', 'whoami', '-o', 'json']);
  assert.equal(who.code, 0, who.stderr);
  const info = JSON.parse(who.stdout).status.userInfo;
  assert.equal(info.username, 'system:serviceaccount:default:robot');
  assert.deepEqual(info.extra['authentication.kubernetes.io/pod-name'], ['api-client']);
  assert.equal((await asToken(token, ['get', 'pods'])).code, 0);

  // the pod gone, its token is refused
  assert.equal((await k(['delete', 'pod', 'api-client', '--wait=true'])).code, 0);
  const after = await asToken(token, ['get', 'pods']);
  assert.notEqual(after.code, 0);
  assert.match(after.stderr, /Unauthorized|the server has asked for the client to provide credentials/);
});
