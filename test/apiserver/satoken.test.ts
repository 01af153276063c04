// Service-account tokens: the JWTs themselves, the TokenRequest API, bearer-token authentication
// over HTTP, and the ServiceAccount admission's token volume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { harness } from './harness.js';
import { generateSigningKey, signJwt, signingKeyFromPem, verifyJwt, API_AUDIENCES, SERVICE_ACCOUNT_ISSUER, type SigningKey } from '../../src/apiserver/satoken.js';
import { startApiServer } from '../../src/apiserver/server.js';
import { openStore } from '../../src/store/index.js';

const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, any>;
const header = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as Record<string, any>;

function claims(now: number, over: Record<string, unknown> = {}) {
  return {
    iss: SERVICE_ACCOUNT_ISSUER,
    sub: 'system:serviceaccount:ns:sa',
    aud: API_AUDIENCES,
    iat: now,
    nbf: now,
    exp: now + 600,
    'kubernetes.io': { namespace: 'ns', serviceaccount: { name: 'sa', uid: 'u1' } },
    ...over,
  };
}

test('JWTs: RS256 and ES256 round trips; signature, issuer, time and audience checks', () => {
  const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const keys: SigningKey[] = [signingKeyFromPem(rsaPem), generateSigningKey()];
  assert.deepEqual(keys.map((k) => k.alg), ['RS256', 'ES256']);
  const nowS = 1_800_000_000;
  const nowMs = nowS * 1000;
  for (const key of keys) {
    const jwt = signJwt(key, claims(nowS));
    assert.equal(header(jwt).alg, key.alg);
    assert.equal(header(jwt).kid, key.kid);
    const ok = verifyJwt(jwt, [key], SERVICE_ACCOUNT_ISSUER, API_AUDIENCES, nowMs);
    assert.equal(ok.ok, true, JSON.stringify(ok));
    // a token verifies only with its own key
    const other = generateSigningKey();
    const bad = verifyJwt(jwt, [{ ...other, alg: key.alg, kid: key.kid }], SERVICE_ACCOUNT_ISSUER, API_AUDIENCES, nowMs);
    assert.deepEqual(bad, { ok: false, ours: true, error: 'invalid signature' });
    // a changed payload breaks the signature
    const [h, , s] = jwt.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify(claims(nowS, { sub: 'system:serviceaccount:ns:admin' }))).toString('base64url')}.${s}`;
    assert.equal((verifyJwt(forged, [key], SERVICE_ACCOUNT_ISSUER, API_AUDIENCES, nowMs) as { error: string }).error, 'invalid signature');
  }
  const key = keys[1]!;
  const v = (c: object, at = nowMs) => verifyJwt(signJwt(key, c), [key], SERVICE_ACCOUNT_ISSUER, API_AUDIENCES, at);
  // expiry with go-jose's one-minute leeway
  assert.equal(v(claims(nowS), (nowS + 600 + 60) * 1000).ok, true);
  assert.deepEqual(v(claims(nowS), (nowS + 600 + 61) * 1000), { ok: false, ours: true, error: 'service account token has expired' });
  assert.equal((v(claims(nowS, { nbf: nowS + 120 })) as { error: string }).error, 'service account token is not valid yet');
  // another issuer's token is not ours to judge
  assert.equal((v(claims(nowS, { iss: 'https://elsewhere' })) as { ours: boolean }).ours, false);
  assert.match((v(claims(nowS, { aud: ['vault'] })) as { error: string }).error, /token audiences \["vault"\] is invalid for the target audiences/);
  assert.equal(verifyJwt('not-a-jwt', [key], SERVICE_ACCOUNT_ISSUER, API_AUDIENCES, nowMs).ok, false);
});

test('TokenRequest: defaults, claims, bound pods, and upstream errors', async () => {
  const h = await harness();
  const nowS = Math.floor(h.clock.t / 1000);
  const sa = (await h.call('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } })).body;
  const r = await h.call('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.kind, 'TokenRequest');
  assert.equal(r.body.metadata.name, 'robot');
  assert.equal(r.body.metadata.namespace, 'default');
  assert.deepEqual(r.body.spec, { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 3600, boundObjectRef: null });
  assert.equal(r.body.status.expirationTimestamp, new Date((nowS + 3600) * 1000).toISOString().replace('.000Z', 'Z'));
  const c = decode(r.body.status.token);
  assert.equal(c.iss, SERVICE_ACCOUNT_ISSUER);
  assert.equal(c.sub, 'system:serviceaccount:default:robot');
  assert.deepEqual(c.aud, [SERVICE_ACCOUNT_ISSUER]);
  assert.equal(c.iat, nowS);
  assert.equal(c.nbf, nowS);
  assert.equal(c.exp, nowS + 3600);
  assert.match(c.jti, /^[0-9a-f-]{36}$/);
  assert.deepEqual(c['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'robot', uid: sa.metadata.uid } });

  // audiences and lifetimes as asked
  const custom = await h.call('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { audiences: ['vault'], expirationSeconds: 7200 } });
  assert.equal(custom.status, 201, custom.text);
  assert.deepEqual(decode(custom.body.status.token).aud, ['vault']);
  assert.equal(decode(custom.body.status.token).exp, nowS + 7200);

  // errors, as upstream words them
  const missing = await h.call('POST', '/api/v1/namespaces/default/serviceaccounts/nobody/token', { spec: {} });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'serviceaccounts "nobody" not found');
  const short = await h.call('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { expirationSeconds: 599 } });
  assert.equal(short.status, 422);
  assert.equal(short.body.reason, 'Invalid');
  assert.equal(short.body.message, 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes');
  const named = await h.call('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { metadata: { name: 'other' }, spec: {} });
  assert.equal(named.status, 422);
  assert.match(named.body.message, /metadata.name: Invalid value: "other": must match the service account name if specified/);
  assert.equal((await h.call('GET', '/api/v1/namespaces/default/serviceaccounts/robot/token')).status, 405);

  // bound to a pod: the pod must exist, run as this account, and have the UID named
  const pod = (await h.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { serviceAccountName: 'robot', nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] } })).body;
  const bound = (ref: object) => h.call('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { boundObjectRef: ref } });
  const ok = await bound({ kind: 'Pod', apiVersion: 'v1', name: 'p', uid: pod.metadata.uid });
  assert.equal(ok.status, 201, ok.text);
  assert.deepEqual(decode(ok.body.status.token)['kubernetes.io'], {
    namespace: 'default',
    serviceaccount: { name: 'robot', uid: sa.metadata.uid },
    pod: { name: 'p', uid: pod.metadata.uid },
    node: { name: 'n1' },
  });
  const wrongUid = await bound({ kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'not-it' });
  assert.equal(wrongUid.status, 409);
  assert.equal(wrongUid.body.message, 'Operation cannot be fulfilled on Pod "p": the UID in the bound object reference (not-it) does not match the UID in record. The object might have been deleted and then recreated');
  const noPod = await bound({ kind: 'Pod', apiVersion: 'v1', name: 'q' });
  assert.equal(noPod.status, 404);
  assert.equal(noPod.body.message, 'pods "q" not found');
  const cm = await bound({ kind: 'ConfigMap', apiVersion: 'v1', name: 'x' });
  assert.equal(cm.status, 400);
  assert.equal(cm.body.message, 'cannot bind token to object of type /v1, Kind=ConfigMap');
  await h.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'other-sa' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const otherSA = await bound({ kind: 'Pod', apiVersion: 'v1', name: 'other-sa' });
  assert.equal(otherSA.status, 400);
  assert.equal(otherSA.body.message, 'cannot bind token for serviceaccount "robot" to pod running with different serviceaccount name.');

  // the kubelet's default lifetime, pod-bound: valid for a year, flagged after the hour (upstream's extension)
  const kubelet = await h.call('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: pod.metadata.uid } } });
  const kc = decode(kubelet.body.status.token);
  assert.equal(kc.exp, nowS + 365 * 24 * 3600);
  assert.equal(kc['kubernetes.io'].warnafter, nowS + 3607);
  assert.equal(kubelet.body.status.expirationTimestamp, new Date((nowS + 3607) * 1000).toISOString().replace('.000Z', 'Z'));
});

test('ServiceAccount admission: the kube-api-access volume and mounts, automount switches, mirror pods', async () => {
  const h = await harness();
  const pod = async (name: string, spec: object, annotations?: Record<string, string>) =>
    h.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name, ...(annotations ? { annotations } : {}) }, spec });
  const r = await pod('a', { initContainers: [{ name: 'i', image: 'busybox' }], containers: [{ name: 'c', image: 'busybox' }, { name: 'd', image: 'busybox', volumeMounts: [{ name: 'own', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] }], volumes: [{ name: 'own', emptyDir: {} }] });
  assert.equal(r.status, 201, r.text);
  const spec = r.body.spec;
  assert.equal(spec.serviceAccountName, 'default');
  const vol = spec.volumes.find((v: { name: string }) => v.name.startsWith('kube-api-access-'));
  assert.match(vol.name, /^kube-api-access-.{5}$/);
  assert.deepEqual(vol.projected, {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  });
  const mount = { name: vol.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' };
  assert.deepEqual(spec.initContainers[0].volumeMounts, [mount]);
  assert.deepEqual(spec.containers[0].volumeMounts, [mount]);
  // a container with its own mount there keeps it
  assert.deepEqual(spec.containers[1].volumeMounts, [{ name: 'own', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);

  const volumesOf = (b: any) => (b.spec.volumes ?? []).map((v: { name: string }) => v.name);
  assert.deepEqual(volumesOf((await pod('off', { automountServiceAccountToken: false, containers: [{ name: 'c', image: 'busybox' }] })).body), []);
  await h.call('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'quiet' }, automountServiceAccountToken: false, imagePullSecrets: [{ name: 'regcred' }] });
  const quiet = (await pod('quiet', { serviceAccountName: 'quiet', containers: [{ name: 'c', image: 'busybox' }] })).body;
  assert.deepEqual(volumesOf(quiet), []);
  assert.deepEqual(quiet.spec.imagePullSecrets, [{ name: 'regcred' }]);
  // the pod's own setting wins over its account's
  const loud = (await pod('loud', { serviceAccountName: 'quiet', automountServiceAccountToken: true, containers: [{ name: 'c', image: 'busybox' }] })).body;
  assert.equal(volumesOf(loud).length, 1);

  // mirror pods are left alone, and may not use accounts or secrets
  const mirror = await pod('m', { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] }, { 'kubernetes.io/config.mirror': 'x' });
  assert.equal(mirror.status, 201, mirror.text);
  assert.equal(mirror.body.spec.serviceAccountName, undefined);
  assert.deepEqual(volumesOf(mirror.body), []);
  const mirrorSA = await pod('m2', { nodeName: 'n1', serviceAccountName: 'default', containers: [{ name: 'c', image: 'busybox' }] }, { 'kubernetes.io/config.mirror': 'x' });
  assert.equal(mirrorSA.status, 403);
  assert.equal(mirrorSA.body.message, 'pods "m2" is forbidden: a mirror pod may not reference service accounts');
});

test('over HTTP: bearer tokens authenticate as the service account until it or the bound pod goes; the account must exist for a pod', async (t) => {
  const clock = { t: Date.parse('2026-11-22T10:00:00Z') };
  const store = openStore({ kind: 'memory' });
  const server = await startApiServer({ store, host: '127.0.0.1', port: 0, advertiseAddress: '10.0.0.1', clock: { now: () => clock.t } });
  t.after(async () => {
    await server.close();
    await store.close();
  });
  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  // upstream's admission: a pod's account must exist
  const noSA = await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'x' }, spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'busybox' }] } });
  assert.equal(noSA.status, 403);
  assert.equal(noSA.body.message, 'pods "x" is forbidden: error looking up service account default/robot: serviceaccount "robot" not found');

  const sa = (await call('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } })).body;
  const pod = (await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'busybox' }] } })).body;
  const issue = async (spec: object) => (await call('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec })).body.status.token as string;
  const token = await issue({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: pod.metadata.uid } });
  const whoami = (tok: string) => call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, tok);
  const me = await whoami(token);
  assert.equal(me.status, 201, JSON.stringify(me.body));
  const jti = decode(token).jti;
  assert.deepEqual(me.body.status.userInfo, {
    username: 'system:serviceaccount:default:robot',
    uid: sa.metadata.uid,
    groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
    extra: { 'authentication.kubernetes.io/pod-name': ['p'], 'authentication.kubernetes.io/pod-uid': [pod.metadata.uid], 'authentication.kubernetes.io/credential-id': [`JTI=${jti}`] },
  });
  assert.equal((await call('GET', '/api/v1/namespaces/default/pods', undefined, token)).status, 200);

  const unauthorized = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
  // a forged signature
  const [h, p] = token.split('.');
  const other = signJwt(generateSigningKey(), decode(token));
  const forged = await call('GET', '/api/v1/namespaces', undefined, `${h}.${p}.${other.split('.')[2]}`);
  assert.equal(forged.status, 401);
  assert.deepEqual(forged.body, unauthorized);
  assert.equal((await call('GET', '/api/v1/namespaces', undefined, 'garbage')).status, 401);

  // expired: an unbound token of ten minutes, an hour later
  const short = await issue({ expirationSeconds: 600 });
  assert.equal((await whoami(short)).status, 201);
  clock.t += 3600_000;
  assert.equal((await whoami(short)).status, 401);
  assert.equal((await whoami(token)).status, 201);

  // the bound pod deleted: the token goes with it
  await call('DELETE', '/api/v1/namespaces/default/pods/p?gracePeriodSeconds=0');
  assert.equal((await whoami(token)).status, 401);

  // the account deleted, or deleted and made again (another UID): its tokens fail
  const unbound = await issue({});
  assert.equal((await whoami(unbound)).status, 201);
  await call('DELETE', '/api/v1/namespaces/default/serviceaccounts/robot');
  assert.equal((await whoami(unbound)).status, 401);
  await call('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } });
  assert.equal((await whoami(unbound)).status, 401);

  // the issuer's discovery documents
  const oidc = await call('GET', '/.well-known/openid-configuration');
  assert.equal(oidc.body.issuer, SERVICE_ACCOUNT_ISSUER);
  assert.match(oidc.body.jwks_uri, /\/openid\/v1\/jwks$/);
  const set = await call('GET', '/openid/v1/jwks');
  assert.equal(set.body.keys.length, 1);
  assert.equal(set.body.keys[0].kid, header(token).kid);
});
