// certificates.k8s.io/v1 CertificateSigningRequest through the handler: the requestor recorded from
// the request's user, upstream's validation messages, and who may change what (main resource,
// /status, /approval), with upstream's codes and reasons.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { harness } from './harness.js';
import { createCertificateRequest } from '../../src/model/x509.js';

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const b64 = (s: string) => Buffer.from(s).toString('base64');

function requestPem(cn = 'system:node:n1'): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return createCertificateRequest(privateKey, { organization: ['system:nodes'], commonName: cn }, { dnsNames: ['n1'], ipAddresses: ['10.0.0.5'] });
}

function csr(name: string, spec: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: { request: b64(requestPem()), signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'], ...spec },
    ...extra,
  };
}

/** A self-signed certificate, PEM, for status.certificate. */
function someCertificate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-csr-test-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k'), '-subj', '/CN=x', '-days', '1', '-out', join(dir, 'c')], { stdio: 'ignore' });
    return readFileSync(join(dir, 'c'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('create records the requesting user in spec and starts with an empty status', async () => {
  const h = await harness();
  const c = await h.call('POST', CSRS, csr('a', { username: 'mallory', groups: ['system:masters'], uid: 'x' }, { status: { conditions: [{ type: 'Approved', status: 'True' }] } }));
  assert.equal(c.status, 201, c.text);
  assert.equal(c.body.spec.username, 'admin');
  assert.deepEqual(c.body.spec.groups, ['system:masters']);
  assert.equal(c.body.spec.uid, undefined);
  assert.deepEqual(c.body.status, {});
  assert.equal(c.body.metadata.namespace, undefined);
  const g = await h.call('GET', `${CSRS}/a`);
  assert.deepEqual(g.body, c.body);
  // discovery names it as upstream does
  const d = await h.call('GET', '/apis/certificates.k8s.io/v1');
  const r = d.body.resources.find((x: any) => x.name === 'certificatesigningrequests');
  assert.deepEqual(r.shortNames, ['csr']);
  assert.equal(r.namespaced, false);
  assert.deepEqual(d.body.resources.filter((x: any) => x.name.startsWith('certificatesigningrequests/')).map((x: any) => x.name).sort(), ['certificatesigningrequests/approval', 'certificatesigningrequests/status']);
});

test('validation: request, usages, signerName and expirationSeconds as upstream words them', async () => {
  const h = await harness();
  const bad = await h.call('POST', CSRS, csr('bad', { request: b64('not a request') }));
  assert.equal(bad.status, 422);
  assert.equal(bad.body.reason, 'Invalid');
  assert.match(bad.body.message, /^CertificateSigningRequest\.certificates\.k8s\.io "bad" is invalid: spec\.request: Invalid value: \[\]byte\{0x6e, 0x6f, 0x74.*\}: PEM block type must be CERTIFICATE REQUEST$/);
  assert.deepEqual(bad.body.details.causes.map((c: any) => c.field), ['spec.request']);

  const fields = await h.call('POST', CSRS, csr('fields', { signerName: '', usages: ['server auth', 'bogus', 'server auth'], expirationSeconds: 60 }));
  assert.equal(fields.status, 422);
  assert.equal(
    fields.body.message,
    'CertificateSigningRequest.certificates.k8s.io "fields" is invalid: [spec.usages[1]: Unsupported value: "bogus": supported values: ' +
      '"any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment", "decipher only", ' +
      '"digital signature", "email protection", "encipher only", "ipsec end system", "ipsec tunnel", "ipsec user", "key agreement", ' +
      '"key encipherment", "microsoft sgc", "netscape sgc", "ocsp signing", "s/mime", "server auth", "signing", "timestamping", ' +
      'spec.usages[2]: Duplicate value: "server auth", spec.signerName: Required value, ' +
      'spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)]',
  );
  const none = await h.call('POST', CSRS, csr('none', { usages: [], signerName: 'example' }));
  assert.equal(none.status, 422);
  assert.equal(
    none.body.message,
    'CertificateSigningRequest.certificates.k8s.io "none" is invalid: [spec.usages: Required value, ' +
      "spec.signerName: Invalid value: \"example\": must be a fully qualified domain and path of the form 'example.com/signer-name']",
  );
  const legacy = await h.call('POST', CSRS, csr('legacy', { signerName: 'kubernetes.io/legacy-unknown' }));
  assert.match(legacy.body.message, /spec\.signerName: Invalid value: "kubernetes\.io\/legacy-unknown": the legacy signerName is not allowed via this API version/);
  const base64 = await h.call('POST', CSRS, csr('b64', { request: '***' }));
  assert.equal(base64.status, 400);
  assert.equal(base64.body.reason, 'BadRequest');
  // a request whose signature does not verify
  const pem = requestPem();
  const der = Buffer.from(pem.split('\n').slice(1, -2).join(''), 'base64');
  der[der.length - 3] ^= 0xff;
  const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  const sig = await h.call('POST', CSRS, csr('forged', { request: b64(forged) }));
  assert.equal(sig.status, 422);
  assert.match(sig.body.message, /spec\.request: Invalid value: .*: (x509: ECDSA verification failure|asn1: .*)$/);
  assert.equal((await h.call('GET', CSRS)).body.items.length, 0);
});

test('the main resource changes metadata only; /status may not approve; /approval may', async () => {
  const h = await harness();
  const created = (await h.call('POST', CSRS, csr('c'))).body;
  // PUT: spec and status stay as stored, labels change
  const put = await h.call('PUT', `${CSRS}/c`, { ...created, metadata: { ...created.metadata, labels: { a: 'b' } }, spec: { ...created.spec, signerName: 'example.com/x' }, status: { conditions: [{ type: 'Approved', status: 'True' }] } });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.spec.signerName, 'kubernetes.io/kubelet-serving');
  assert.deepEqual(put.body.status, {});
  assert.deepEqual(put.body.metadata.labels, { a: 'b' });

  const viaStatus = await h.call('PUT', `${CSRS}/c/status`, { ...put.body, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'X' }] } });
  assert.equal(viaStatus.status, 422);
  assert.equal(viaStatus.body.message, 'CertificateSigningRequest.certificates.k8s.io "c" is invalid: status.conditions: Forbidden: updates may not add a condition of type "Approved"');

  // kubectl certificate approve: GET, then PUT .../approval with the condition appended
  const approved = await h.call('PUT', `${CSRS}/c/approval`, {
    ...put.body,
    status: { conditions: [{ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.', lastUpdateTime: '2026-11-22T09:00:00Z' }], certificate: b64(someCertificate()) },
  });
  assert.equal(approved.status, 200, approved.text);
  const cond = approved.body.status.conditions[0];
  assert.equal(cond.type, 'Approved');
  assert.equal(cond.lastUpdateTime, '2026-11-22T09:00:00Z');
  assert.equal(cond.lastTransitionTime, '2026-11-22T10:00:00Z');
  assert.equal(approved.body.status.certificate, undefined, 'approval does not set the certificate');

  const both = await h.call('PUT', `${CSRS}/c/approval`, { ...approved.body, status: { conditions: [...approved.body.status.conditions, { type: 'Denied', status: 'True' }] } });
  assert.equal(both.status, 422);
  assert.equal(both.body.message, 'CertificateSigningRequest.certificates.k8s.io "c" is invalid: status.conditions: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive');
  const removed = await h.call('PUT', `${CSRS}/c/approval`, { ...approved.body, status: { conditions: [] } });
  assert.equal(removed.status, 422);
  assert.equal(removed.body.message, 'CertificateSigningRequest.certificates.k8s.io "c" is invalid: status.conditions: Forbidden: updates may not remove a condition of type "Approved"');
  const falseApproval = await h.call('PUT', `${CSRS}/c/approval`, { ...approved.body, status: { conditions: [{ type: 'Approved', status: 'False' }] } });
  assert.equal(falseApproval.status, 422);
  assert.match(falseApproval.body.message, /status\.conditions\[0\]\.status: Unsupported value: "False": supported values: "True"/);

  // /status: the signer's certificate, once; a Failed condition may be added; Approved stays as stored
  const cert = b64(someCertificate());
  const issued = await h.call('PUT', `${CSRS}/c/status`, { ...approved.body, status: { ...approved.body.status, certificate: cert } });
  assert.equal(issued.status, 200, issued.text);
  assert.equal(issued.body.status.certificate, cert);
  assert.deepEqual(issued.body.status.conditions, approved.body.status.conditions);
  const again = await h.call('PUT', `${CSRS}/c/status`, { ...issued.body, status: { ...issued.body.status, certificate: b64(someCertificate()) } });
  assert.equal(again.status, 422);
  assert.equal(again.body.message, 'CertificateSigningRequest.certificates.k8s.io "c" is invalid: status.certificate: Forbidden: updates may not modify existing certificate content');
  const mainCert = await h.call('PATCH', `${CSRS}/c`, { status: { certificate: null } }, { contentType: 'application/merge-patch+json' });
  assert.equal(mainCert.status, 200);
  assert.equal(mainCert.body.status.certificate, cert, 'the main resource cannot touch the certificate');
});

test('/status refuses what is not a PEM certificate; /approval may deny', async () => {
  const h = await harness();
  const created = (await h.call('POST', CSRS, csr('d'))).body;
  const junk = await h.call('PUT', `${CSRS}/d/status`, { ...created, status: { certificate: b64('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n') } });
  assert.equal(junk.status, 422);
  assert.equal(junk.body.message, 'CertificateSigningRequest.certificates.k8s.io "d" is invalid: status.certificate: Invalid value: "<certificate data>": only CERTIFICATE PEM blocks are allowed, found "PRIVATE KEY"');
  const empty = await h.call('PUT', `${CSRS}/d/status`, { ...created, status: { certificate: b64('nothing') } });
  assert.match(empty.body.message, /must contain at least one CERTIFICATE PEM block/);
  const denied = await h.call('PATCH', `${CSRS}/d/approval`, [{ op: 'add', path: '/status/conditions', value: [{ type: 'Denied', status: 'True', reason: 'KubectlDeny' }] }], { contentType: 'application/json-patch+json' });
  assert.equal(denied.status, 200, denied.text);
  assert.equal(denied.body.status.conditions[0].type, 'Denied');
  const failed = await h.call('PUT', `${CSRS}/d/status`, { ...denied.body, status: { conditions: [...denied.body.status.conditions, { type: 'Failed', status: 'True', reason: 'SignerValidationFailure' }] } });
  assert.equal(failed.status, 200, failed.text);
  assert.deepEqual(failed.body.status.conditions.map((c: any) => c.type), ['Denied', 'Failed']);
});

test('kubectl get csr columns and the spec.signerName field selector', async () => {
  const h = await harness();
  await h.call('POST', CSRS, csr('serving', { expirationSeconds: 3600 }));
  await h.call('POST', CSRS, csr('client', { signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] }));
  await h.call('PUT', `${CSRS}/serving/approval`, { ...(await h.call('GET', `${CSRS}/serving`)).body, status: { conditions: [{ type: 'Approved', status: 'True' }] } });
  h.clock.t += 90_000;
  const t = await h.call('GET', CSRS, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
  assert.deepEqual(t.body.columnDefinitions.map((c: any) => c.name), ['Name', 'Age', 'SignerName', 'Requestor', 'RequestedDuration', 'Condition']);
  assert.deepEqual(t.body.rows.map((r: any) => r.cells), [
    ['client', '90s', 'kubernetes.io/kube-apiserver-client', 'admin', '<none>', 'Pending'],
    ['serving', '90s', 'kubernetes.io/kubelet-serving', 'admin', '60m', 'Approved'],
  ]);
  const sel = await h.call('GET', `${CSRS}?fieldSelector=spec.signerName%3Dkubernetes.io%2Fkube-apiserver-client`);
  assert.deepEqual(sel.body.items.map((o: any) => o.metadata.name), ['client']);
  const badSel = await h.call('GET', `${CSRS}?fieldSelector=spec.username%3Dx`);
  assert.equal(badSel.status, 400);
  assert.equal(badSel.body.message, 'field label not supported: spec.username');
});
