// The registry client's pure parts: challenges, X-Registry-Auth, manifests and platform choice,
// and errors worded as the distribution client and dockerd word them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeRegistryAuth, encodeRegistryAuth, isLoopback, parseChallenges, credentials } from '../../../src/engine/registry/auth.js';
import { errorFromResponse, translatePullError } from '../../../src/engine/registry/errors.js';
import { matchingManifests, parseManifest } from '../../../src/engine/registry/manifest.js';
import { parseNormalizedNamed } from '../../../src/engine/reference.js';
import { MEDIA } from '../../../src/engine/content.js';

const D = (c: string) => 'sha256:' + c.repeat(64);

test('WWW-Authenticate challenges: Bearer with quoted params, Basic', () => {
  const [b] = parseChallenges('Bearer realm="http://127.0.0.1:9/token",service="reg",scope="repository:x/bb:pull,push",error="insufficient_scope"');
  assert.equal(b!.scheme, 'bearer');
  assert.deepEqual(b!.params, { realm: 'http://127.0.0.1:9/token', service: 'reg', scope: 'repository:x/bb:pull,push', error: 'insufficient_scope' });
  assert.deepEqual(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  assert.deepEqual(parseChallenges(undefined), []);
});

test('X-Registry-Auth round-trips any credentials; garbage is a 400; the legacy auth field works', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (username, password) => {
      assert.deepEqual(decodeRegistryAuth(encodeRegistryAuth({ username, password })), { username, password });
    }),
  );
  assert.equal(decodeRegistryAuth(undefined), undefined);
  assert.throws(() => decodeRegistryAuth('!!!'), /invalid X-Registry-Auth header/);
  assert.deepEqual(credentials({ auth: Buffer.from('al:pa:ss').toString('base64') }), { username: 'al', password: 'pa:ss' });
});

test('loopback registries are the insecure ones', () => {
  for (const h of ['localhost:5000', '127.0.0.1:5000', '127.3.4.5', '[::1]:5000']) assert.ok(isLoopback(h), h);
  for (const h of ['registry.local:5000', '10.0.0.1:5000', 'docker.io']) assert.ok(!isLoopback(h), h);
});

test('manifests are told apart by media type, or by their fields when it is missing', () => {
  const m = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: { mediaType: MEDIA.dockerConfig, digest: D('a'), size: 1 }, layers: [{ mediaType: MEDIA.dockerLayerGzip, digest: D('b'), size: 2 }] })), undefined);
  assert.equal(m.kind, 'manifest');
  const i = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] })), 'application/json');
  assert.equal(i.kind, 'index');
  assert.throws(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 1, fsLayers: [] })), undefined), /schema 1 support has been removed/);
  assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":2,"config":{"digest":"sha256:zz","size":1},"layers":[]}'), MEDIA.ociManifest), /invalid checksum digest format/);
});

test('an index gives linux/amd64, preferring no variant, whatever the order', () => {
  fc.assert(
    fc.property(fc.shuffledSubarray(['arm64', 'arm', 's390x', 'ppc64le'], { minLength: 0, maxLength: 4 }), fc.nat(5), (others, pos) => {
      const entries = others.map((a, k) => ({ mediaType: MEDIA.ociManifest, digest: D(String(k + 1)), size: 1, platform: { os: 'linux', architecture: a } }));
      entries.splice(Math.min(pos, entries.length), 0, { mediaType: MEDIA.ociManifest, digest: D('f'), size: 1, platform: { os: 'linux', architecture: 'amd64' } });
      const pick = matchingManifests({ kind: 'index', mediaType: MEDIA.ociIndex, manifests: entries });
      assert.equal(pick[0]!.digest, D('f'));
    }),
  );
  const none = matchingManifests({ kind: 'index', mediaType: MEDIA.ociIndex, manifests: [{ mediaType: MEDIA.ociManifest, digest: D('1'), size: 1, platform: { os: 'windows', architecture: 'amd64' } }] });
  assert.deepEqual(none, []);
});

test('registry errors read as the distribution client prints them, and pull errors as dockerd words them', () => {
  const ref = parseNormalizedNamed('127.0.0.1:5000/x/bb:nope');
  const unknown = errorFromResponse(404, 'Not Found', Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]}'));
  assert.equal(unknown.message, 'manifest unknown: manifest unknown');
  assert.equal(translatePullError(unknown, ref).message, 'manifest for 127.0.0.1:5000/x/bb:nope not found: manifest unknown: manifest unknown');
  const denied = errorFromResponse(403, 'Forbidden', Buffer.from('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}'));
  assert.equal(translatePullError(denied, parseNormalizedNamed('me/app:1')).message, "pull access denied for me/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied");
  assert.equal(errorFromResponse(401, 'Unauthorized', Buffer.alloc(0)).message, 'unauthorized: authentication required');
  assert.equal(errorFromResponse(401, 'Unauthorized', Buffer.from('{"details":"incorrect username or password"}')).message, 'unauthorized: incorrect username or password');
  assert.equal(errorFromResponse(502, 'Bad Gateway', Buffer.alloc(0)).message, 'received unexpected HTTP status: 502 Bad Gateway');
});
