// Quantities in defaulted resource lists, and image reference parsing for pull policies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../../src/model/defaults/index.js';
import { parseImageRef } from '../../../src/model/defaults/image.js';
import type { KubeObject } from '../../../src/model/object.js';

test('resource lists round up to milli precision and serialize as upstream does', () => {
  const list = (v: unknown) => {
    const p: KubeObject = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: v } } }] } };
    applyDefaults('', 'v1', 'Pod', p);
    return (p.spec as any).containers[0].resources.requests.cpu;
  };
  const cases: [unknown, string][] = [
    ['0.5', '500m'], ['1000m', '1'], ['100m', '100m'], ['0.0001', '1m'], ['-0.0001', '-1m'], ['1.5', '1500m'], [2, '2'], [0.25, '250m'],
    ['1024Mi', '1Gi'], ['0.5Gi', '512Mi'], ['1e3', '1e3'],
  ];
  for (const [input, want] of cases) assert.equal(list(input), want, String(input));
  assert.equal(list('lots'), 'lots', 'a non-quantity is left for the decoder/validation to reject');
});

test('image references: tag, digest, default latest, invalid names', () => {
  const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
  assert.deepEqual(parseImageRef('nginx'), { tag: 'latest', digest: '' });
  assert.deepEqual(parseImageRef('library/nginx:1.25-alpine'), { tag: '1.25-alpine', digest: '' });
  assert.deepEqual(parseImageRef('localhost:5000/app'), { tag: 'latest', digest: '' });
  assert.deepEqual(parseImageRef('localhost/app:v1'), { tag: 'v1', digest: '' });
  assert.deepEqual(parseImageRef(`ghcr.io/org/app@${digest}`), { tag: '', digest });
  assert.deepEqual(parseImageRef(`app:v2@${digest}`), { tag: 'v2', digest });
  assert.deepEqual(parseImageRef('[::1]:5000/app:x'), { tag: 'x', digest: '' });
  for (const bad of ['UPPER', 'a//b', 'app:', ':tag', 'app@sha256:abc', '0123456789abcdef'.repeat(4), 'app:-bad']) {
    assert.equal(parseImageRef(bad), undefined, bad);
  }
});
