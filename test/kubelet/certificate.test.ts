// The kubelet's serving certificate through the certificates API, against the in-process API server
// and the controller manager's signer: the request it makes, waiting for approval, the files it
// keeps, reuse at restart, a new request when its names change, and rotation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { openStore } from '../../src/store/index.js';
import { createRest } from '../../src/apiserver/server.js';
import { LocalClient } from '../../src/apiserver/local-client.js';
import { startControllerManager } from '../../src/controllers/manager.js';
import { ServingCertificateManager, rotationDeadline, type KeyPair, type ServingIdentity } from '../../src/kubelet/certificate.js';
import { parseCSRPem } from '../../src/model/x509.js';

function makeCA(dir: string) {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ca.key'), '-subj', '/CN=berth-ca', '-days', '30', '-out', join(dir, 'ca.crt'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], { stdio: 'ignore' });
  return { cert: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') };
}

const until = async <T>(f: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('rotation falls between 70% and 90% of the validity', () => {
  assert.equal(rotationDeadline(1000, 2000, 0), 1700);
  assert.equal(rotationDeadline(1000, 2000, 0.5), 1800);
  assert.ok(rotationDeadline(1000, 2000, 0.999999) < 1900);
});

test('the kubelet asks for its serving certificate, waits for approval, keeps it, reuses it and rotates it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-kubelet-cert-'));
  const { rest } = createRest(openStore({ kind: 'memory' }));
  const client = new LocalClient(rest);
  const ca = makeCA(dir);
  const cm = startControllerManager(client, { workers: 1 }, { csrSigning: { ca } });
  const pkiDir = join(dir, 'kubelet', 'pki');
  const logs: string[] = [];
  const managers: ServingCertificateManager[] = [];
  const run = (identity: ServingIdentity, got: KeyPair[], now?: () => number, expirationSeconds?: number, then?: () => void) => {
    const m = new ServingCertificateManager({
      client, identity, dir: pkiDir, log: (s) => logs.push(s), onCertificate: (p) => (got.push(p), then?.()), pollMs: 10, maxPollMs: 50, random: () => 0,
      ...(now ? { now } : {}), ...(expirationSeconds ? { expirationSeconds } : {}),
    });
    managers.push(m);
    m.start();
    return m;
  };
  const csrs = async () => (await client.list(R.certificatesigningrequests, undefined)).items as (KubeObject & { spec: { request: string; usages: string[]; signerName: string }; status?: { conditions?: unknown[] } })[];
  const approve = async (name: string) => {
    const csr = await client.get(R.certificatesigningrequests, undefined, name);
    await client.update(R.certificatesigningrequests, undefined, { ...csr, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.' }] } }, { subresource: 'approval' });
  };
  try {
    await cm.ready;
    const id = { nodeName: 'n1', dnsNames: ['n1'], ipAddresses: ['10.0.0.5'] };
    const got: KeyPair[] = [];
    const first = run(id, got);
    const [csr] = await until(async () => ((await csrs()).length ? csrs() : undefined));
    assert.match(csr!.metadata.name!, /^csr-/);
    assert.equal(csr!.spec.signerName, 'kubernetes.io/kubelet-serving');
    assert.deepEqual(csr!.spec.usages, ['digital signature', 'server auth']);
    const req = parseCSRPem(Buffer.from(csr!.spec.request, 'base64').toString());
    assert.deepEqual([req.subject.organization, req.subject.commonName, req.dnsNames, req.ipAddresses, req.publicKeyAlgorithm], [['system:nodes'], 'system:node:n1', ['n1'], ['10.0.0.5'], 'ECDSA']);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got.length, 0, 'nothing before approval');
    await approve(csr!.metadata.name!);
    await until(() => got.length === 1);
    const cert = new X509Certificate(got[0]!.cert);
    assert.equal(cert.subject, 'O=system:nodes\nCN=system:node:n1');
    assert.ok(cert.checkPrivateKey(createPrivateKey(got[0]!.key)));
    assert.ok(cert.checkIssued(new X509Certificate(ca.cert)));
    const current = join(pkiDir, 'kubelet-server-current.pem');
    assert.ok(lstatSync(current).isSymbolicLink());
    assert.match(readlinkSync(current), /^kubelet-server-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.pem$/);
    assert.equal(lstatSync(join(pkiDir, readlinkSync(current))).mode & 0o777, 0o600);
    assert.ok(logs.some((l) => l.includes(`requested a serving certificate: CertificateSigningRequest ${csr!.metadata.name}`)), logs.join('\n'));
    first.stop();

    // a restart reuses the certificate on disk: no new request
    const again: KeyPair[] = [];
    run(id, again).stop();
    assert.equal(again.length, 1);
    assert.equal(again[0]!.cert, got[0]!.cert);
    assert.equal((await csrs()).length, 1);

    // a new address: the certificate no longer fits, a new request is made
    const moved: KeyPair[] = [];
    const m3 = run({ ...id, ipAddresses: ['10.0.0.6'] }, moved);
    await until(async () => ((await csrs()).length === 2 ? true : undefined));
    // denied: reported, and asked again after a back-off
    const denied = (await csrs()).find((c) => !c.status?.conditions?.length)!;
    await client.update(R.certificatesigningrequests, undefined, { ...denied, status: { conditions: [{ type: 'Denied', status: 'True', reason: 'KubectlDeny', message: 'no' }] } }, { subresource: 'approval' });
    await until(async () => ((await csrs()).length === 3 ? true : undefined));
    assert.ok(logs.some((l) => l.includes(`certificate signing request ${denied.metadata.name} is denied, reason: KubectlDeny, message: no; asking again in 1s`)), logs.join('\n'));
    m3.stop();
    assert.equal(moved.length, 0);

    // rotation: a 10-minute certificate is replaced once 70% of its 15 minutes (5 backdated) have passed
    rmSync(pkiDir, { recursive: true, force: true });
    let offset = 0;
    const rotated: KeyPair[] = [];
    // the clock jumps 6 minutes as each certificate arrives: past the deadline (70% of 15 minutes, 5.5 minutes from issue)
    const m4 = run(id, rotated, () => Date.now() + offset, 600, () => (offset += 6 * 60_000));
    const approveNew = async () => {
      for (const c of await csrs()) if (!c.status?.conditions?.length) await approve(c.metadata.name!);
      return undefined;
    };
    await until(async () => (await approveNew(), rotated.length === 1 ? true : undefined));
    const short = new X509Certificate(rotated[0]!.cert);
    assert.equal(Date.parse(short.validTo) - Date.parse(short.validFrom), 15 * 60_000);
    await until(async () => (await approveNew(), rotated.length >= 2 ? true : undefined));
    assert.notEqual(rotated[1]!.cert, rotated[0]!.cert);
    assert.ok(logs.some((l) => l.startsWith('rotating the serving certificate')), logs.join('\n'));
    m4.stop();
  } finally {
    for (const m of managers) m.stop();
    cm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
