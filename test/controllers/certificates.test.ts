// The CSR signer and approver: pure decisions (which request, which template, Failed or Approved),
// a real signature by a CA openssl made (parsed back with node:crypto and checked by openssl), and
// the controller manager issuing a certificate end to end over the in-process API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateRequest } from '../../src/model/x509.js';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { reconcileApproval, reconcileSigning, CSR_SIGNING_EXECUTOR, type SigningRequest } from '../../src/controllers/certificates.js';
import { loadAuthority, signingExecutor, type CertificateAuthority } from '../../src/controllers/authority.js';
import { startControllerManager } from '../../src/controllers/manager.js';
import { openStore } from '../../src/store/index.js';
import { createRest } from '../../src/apiserver/server.js';
import { LocalClient } from '../../src/apiserver/local-client.js';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const MIN = 60_000;

function makeCA(keyArgs: string[]): CertificateAuthority {
  const dir = mkdtempSync(join(tmpdir(), 'berth-ca-test-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', ...keyArgs, '-nodes', '-keyout', join(dir, 'ca.key'), '-subj', '/CN=berth-ca', '-days', '3650', '-sha256', '-out', join(dir, 'ca.crt'),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], { stdio: 'ignore' });
    return { cert: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const ecCA = makeCA(['ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);

function csr(name: string, opts: { o?: string[]; cn?: string; dns?: string[]; ips?: string[]; usages?: string[]; signer?: string; user?: string; groups?: string[]; conditions?: unknown[]; expirationSeconds?: number; certificate?: string } = {}): KubeObject {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = createCertificateRequest(privateKey, { organization: opts.o ?? ['system:nodes'], commonName: opts.cn ?? 'system:node:n1' }, { dnsNames: opts.dns ?? ['n1'], ipAddresses: opts.ips ?? ['10.0.0.5'] });
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name, resourceVersion: '7', uid: `uid-${name}` },
    spec: {
      request: Buffer.from(pem).toString('base64'),
      signerName: opts.signer ?? 'kubernetes.io/kubelet-serving',
      usages: opts.usages ?? ['digital signature', 'server auth'],
      username: opts.user ?? 'system:node:n1',
      groups: opts.groups ?? ['system:nodes', 'system:authenticated'],
      ...(opts.expirationSeconds ? { expirationSeconds: opts.expirationSeconds } : {}),
    },
    status: { ...(opts.conditions ? { conditions: opts.conditions } : {}), ...(opts.certificate ? { certificate: opts.certificate } : {}) },
  };
}

const approved = [{ type: 'Approved', status: 'True', reason: 'KubectlApprove' }];
const opts = { caNotAfter: loadAuthority(ecCA).notAfter };

test('the signer takes only approved, unfailed, unissued requests for its signers', () => {
  assert.deepEqual(reconcileSigning(csr('pending'), NOW, opts), { actions: [] });
  assert.deepEqual(reconcileSigning(csr('denied', { conditions: [{ type: 'Denied', status: 'True' }] }), NOW, opts), { actions: [] });
  assert.deepEqual(reconcileSigning(csr('failed', { conditions: [...approved, { type: 'Failed', status: 'True' }] }), NOW, opts), { actions: [] });
  assert.deepEqual(reconcileSigning(csr('issued', { conditions: approved, certificate: 'eA==' }), NOW, opts), { actions: [] });
  assert.deepEqual(reconcileSigning(csr('other', { conditions: approved, signer: 'example.com/mine' }), NOW, opts), { actions: [] });
  assert.deepEqual(reconcileSigning(csr('notmine', { conditions: approved }), NOW, { ...opts, signerNames: ['kubernetes.io/kube-apiserver-client'] }), { actions: [] });
  const d = reconcileSigning(csr('ok', { conditions: approved }), NOW, opts);
  assert.equal(d.actions.length, 0);
  assert.equal(d.effects?.[0]?.executor, CSR_SIGNING_EXECUTOR);
  const t = (d.effects![0]!.request as SigningRequest).template;
  assert.deepEqual(t, { notBefore: NOW - 5 * MIN, notAfter: NOW + 365 * 24 * 60 * MIN - 5 * MIN, keyUsage: [0], extKeyUsage: ['serverAuth'] });
});

test('requests the signer refuses get Failed with upstream\'s messages', () => {
  const cases: [Parameters<typeof csr>[1], string][] = [
    [{ o: ['acme'] }, 'subject organization is not system:nodes'],
    [{ cn: 'n1' }, 'subject common name does not begin with system:node:'],
    [{ dns: [], ips: [] }, 'DNS or IP subjectAltName is required'],
    [{ usages: ['digital signature', 'server auth', 'client auth'] }, 'usages did not match [digital signature key encipherment server auth]'],
    [{ signer: 'kubernetes.io/kube-apiserver-client-kubelet', dns: [], usages: ['digital signature', 'client auth'] }, 'IP subjectAltNames are not allowed'],
    [{ signer: 'kubernetes.io/kube-apiserver-client', usages: ['client auth', 'server auth'] }, 'invalid usage for client certificate: server auth'],
  ];
  for (const [o, message] of cases) {
    const d = reconcileSigning(csr('x', { ...o, conditions: approved }), NOW, opts);
    assert.equal(d.actions.length, 1, message);
    const a = d.actions[0]!;
    assert.ok(a.kind === 'update' && a.subresource === 'status');
    assert.deepEqual((a.object.status as { conditions: unknown[] }).conditions[1], { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message, lastUpdateTime: '2026-11-22T10:00:00Z' });
  }
});

test('validity: expirationSeconds honoured between 10 minutes and the signing duration, never past the CA', () => {
  const tmpl = (o: Parameters<typeof csr>[1], extra = {}) => (reconcileSigning(csr('v', { ...o, conditions: approved }), NOW, { ...opts, ...extra }).effects![0]!.request as SigningRequest).template;
  assert.equal(tmpl({ expirationSeconds: 3600 }).notAfter, NOW + 60 * MIN, 'short-lived: the end is not backdated');
  assert.equal(tmpl({ expirationSeconds: 600 }).notAfter, NOW + 10 * MIN);
  assert.equal(tmpl({ expirationSeconds: 86400 }).notAfter, NOW + 24 * 60 * MIN - 5 * MIN);
  assert.equal(tmpl({ expirationSeconds: 86400 * 365 * 5 }, { durationMs: 48 * 60 * MIN }).notAfter, NOW + 48 * 60 * MIN - 5 * MIN);
  assert.equal(tmpl({}, { caNotAfter: NOW + 30 * MIN }).notAfter, NOW + 30 * MIN);
  assert.deepEqual(reconcileSigning(csr('v', { conditions: approved }), NOW, { caNotAfter: NOW - 1 }), { actions: [], requeueAfterMs: 5 * MIN });
});

async function issue(ca: CertificateAuthority, o: Parameters<typeof csr>[1]): Promise<X509Certificate> {
  const d = reconcileSigning(csr('s', { ...o, conditions: approved }), Date.now(), { caNotAfter: loadAuthority(ca).notAfter });
  const [action] = await signingExecutor(loadAuthority(ca))(d.effects![0]!.request);
  assert.ok(action?.kind === 'update' && action.subresource === 'status' && action.object.metadata.resourceVersion === '7');
  const pem = Buffer.from((action.object.status as { certificate: string }).certificate, 'base64').toString();
  assert.deepEqual((action.object.status as { conditions: unknown[] }).conditions, approved, 'the conditions are left as they were');
  return new X509Certificate(pem);
}

test('a signed kubelet serving certificate: subject, SANs, usages, validity and issuer', async () => {
  for (const ca of [ecCA, makeCA(['rsa:2048'])]) {
    const before = Date.now();
    const cert = await issue(ca, { dns: ['n1', 'n1.example'], ips: ['10.0.0.5', 'fd00::5'], expirationSeconds: 3600 });
    const caCert = new X509Certificate(ca.cert);
    assert.equal(cert.subject, 'O=system:nodes\nCN=system:node:n1');
    assert.equal(cert.subjectAltName, 'DNS:n1, DNS:n1.example, IP Address:10.0.0.5, IP Address:FD00:0:0:0:0:0:0:5');
    assert.equal(cert.issuer, caCert.subject);
    assert.ok(cert.checkIssued(caCert));
    assert.ok(cert.verify(caCert.publicKey), 'the CA signed it');
    assert.equal(cert.ca, false);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extended key usage server auth');
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    assert.ok(Math.abs(from - (before - 5 * MIN)) < 5000, cert.validFrom);
    assert.ok(Math.abs(to - (before + 60 * MIN)) < 5000, cert.validTo);
    assert.match(cert.serialNumber, /^[0-9A-F]+$/);
    // openssl agrees: chain, key usage bits, basic constraints, authority key id
    const dir = mkdtempSync(join(tmpdir(), 'berth-verify-'));
    try {
      writeFileSync(join(dir, 'ca.crt'), ca.cert);
      writeFileSync(join(dir, 'c.crt'), cert.toString());
      assert.match(execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.crt'), '-purpose', 'sslserver', join(dir, 'c.crt')]).toString(), /OK/);
      const text = execFileSync('openssl', ['x509', '-in', join(dir, 'c.crt'), '-noout', '-text']).toString();
      assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/);
      assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
      assert.match(text, /X509v3 Authority Key Identifier/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const client = await issue(ecCA, { signer: 'kubernetes.io/kube-apiserver-client', o: ['team'], cn: 'jane', dns: [], ips: [], usages: ['digital signature', 'key encipherment', 'client auth'] });
  assert.equal(client.subject, 'O=team\nCN=jane');
  assert.deepEqual(client.keyUsage, ['1.3.6.1.5.5.7.3.2']);
});

test('the approver: a node for its own addresses, or a cluster admin; nobody else', () => {
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'Hostname', address: 'n1' }] } };
  const approvedBy = (o: Parameters<typeof csr>[1], n: KubeObject | null = node) => {
    const d = reconcileApproval({ csr: csr('a', o), ...(n ? { node: n } : {}) }, NOW);
    if (!d.actions.length) return undefined;
    const a = d.actions[0]!;
    assert.ok(a.kind === 'update' && a.subresource === 'approval');
    const c = (a.object.status as { conditions: { type: string; reason: string; message: string }[] }).conditions[0]!;
    assert.equal(c.type, 'Approved');
    assert.equal(c.reason, 'AutoApproved');
    return c.message;
  };
  assert.match(approvedBy({})!, /requested by node n1 for its own addresses/);
  assert.equal(approvedBy({ ips: ['10.0.0.6'] }), undefined, 'an address the node does not have');
  assert.equal(approvedBy({ dns: ['kubernetes'] }), undefined);
  assert.equal(approvedBy({ cn: 'system:node:n2' }), undefined, 'another node\'s name');
  assert.equal(approvedBy({}, null), undefined, 'no Node yet');
  assert.equal(approvedBy({ user: 'system:node:n1', groups: ['system:authenticated'] }), undefined, 'not in system:nodes');
  assert.match(approvedBy({ user: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'], cn: 'system:node:elsewhere', ips: ['192.0.2.1'] })!, /cluster administrator/);
  assert.equal(approvedBy({ user: 'jane', groups: ['dev'] }), undefined);
  assert.equal(approvedBy({ usages: ['digital signature', 'client auth'] }), undefined, 'not a serving request upstream\'s signer would take');
  assert.equal(approvedBy({ signer: 'kubernetes.io/kube-apiserver-client-kubelet', dns: [], ips: [], usages: ['digital signature', 'client auth'] }), undefined);
  assert.equal(approvedBy({ conditions: [{ type: 'Denied', status: 'True' }] }), undefined, 'a decision stands');
});

test('the controller manager approves and issues over the API; without a CA nothing is issued', async () => {
  const { rest } = createRest(openStore({ kind: 'memory' }));
  const client = new LocalClient(rest);
  const t = rest.resource('certificates.k8s.io', 'v1', 'certificatesigningrequests');
  const manager = startControllerManager(client, { workers: 1 }, { csrApproving: true, csrSigning: { ca: ecCA } });
  const plain = startControllerManager(client, { workers: 1 }, {});
  try {
    await Promise.all([manager.ready, plain.ready]);
    await client.create(R.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'Hostname', address: 'n1' }] } } as KubeObject);
    const body = csr('node-n1');
    delete (body.metadata as { resourceVersion?: string }).resourceVersion;
    delete (body.metadata as { uid?: string }).uid;
    await rest.create(t, undefined, { value: body, duplicates: [] }, { dryRun: false, fieldValidation: 'Strict', user: { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] } });
    let got: KubeObject | undefined;
    for (let i = 0; i < 200 && !(got?.status as { certificate?: string } | undefined)?.certificate; i++) {
      await new Promise((r) => setTimeout(r, 25));
      got = await client.get(R.certificatesigningrequests, undefined, 'node-n1');
    }
    const status = got!.status as { certificate: string; conditions: { type: string; reason: string }[] };
    assert.deepEqual(status.conditions.map((c) => [c.type, c.reason]), [['Approved', 'AutoApproved']]);
    const cert = new X509Certificate(Buffer.from(status.certificate, 'base64'));
    assert.equal(cert.subject, 'O=system:nodes\nCN=system:node:n1');
    assert.equal(plain.runner.statsSnapshot()['csrsigning'], undefined, 'no signer without a CA');
  } finally {
    manager.stop();
    plain.stop();
  }
});
