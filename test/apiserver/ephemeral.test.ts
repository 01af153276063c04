// pods/ephemeralcontainers over the real handler (what `kubectl debug` calls): a strategic merge
// patch adds a container, defaulted; the pod's other fields stay; existing ones may be neither
// changed nor removed; bad ones are refused with upstream's reasons; the main resource cannot add one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './harness.js';

const SMP = 'application/strategic-merge-patch+json';

test('ephemeral containers: added by patch, kept, never changed or removed; refused when invalid', async () => {
  const h = await harness();
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } };
  assert.equal((await h.call('POST', '/api/v1/namespaces/default/pods', pod)).status, 201);
  const path = '/api/v1/namespaces/default/pods/p/ephemeralcontainers';
  const patch = (ec: Record<string, unknown>) => h.call('PATCH', path, { spec: { ephemeralContainers: [ec] } }, { contentType: SMP });

  const added = await patch({ name: 'debugger', image: 'busybox', targetContainerName: 'app', stdin: true, tty: true });
  assert.equal(added.status, 200, added.text);
  const ec = added.body.spec.ephemeralContainers;
  assert.equal(ec.length, 1);
  assert.equal(ec[0].terminationMessagePath, '/dev/termination-log', 'defaulted as containers are');
  assert.equal(ec[0].imagePullPolicy, 'Always');
  assert.equal(added.body.spec.containers[0].name, 'app');
  assert.equal((await h.call('GET', path)).body.spec.ephemeralContainers[0].name, 'debugger');

  // a second one by patch: both there, merged by name (a patch without $setElementOrder puts its
  // new item first, as upstream's mergeSortedSlice does; kubectl debug sends the order)
  assert.equal((await patch({ name: 'second', image: 'busybox' })).status, 200);
  assert.deepEqual((await h.call('GET', '/api/v1/namespaces/default/pods/p')).body.spec.ephemeralContainers.map((c: { name: string }) => c.name), ['second', 'debugger']);

  const changed = await patch({ name: 'debugger', image: 'busybox:other' });
  assert.equal(changed.status, 422);
  assert.match(changed.body.message, /existing ephemeral containers "debugger" may not be changed/);
  const cur = (await h.call('GET', path)).body;
  const removed = await h.call('PUT', path, { ...cur, spec: { ...cur.spec, ephemeralContainers: [cur.spec.ephemeralContainers[0]] } });
  assert.equal(removed.status, 422);
  assert.match(removed.body.message, /existing ephemeral containers "debugger" may not be removed/);

  const dup = await patch({ name: 'app', image: 'busybox' });
  assert.equal(dup.status, 422);
  assert.match(dup.body.message, /spec\.ephemeralContainers\[0\]\.name: Duplicate value: "app"/);
  const target = await patch({ name: 'x', image: 'busybox', targetContainerName: 'nope' });
  assert.match(target.body.message, /spec\.ephemeralContainers\[0\]\.targetContainerName: Not found: "nope"/);
  const ports = await patch({ name: 'y', image: 'busybox', ports: [{ containerPort: 80 }] });
  assert.match(ports.body.message, /spec\.ephemeralContainers\[0\]\.ports: Forbidden: cannot be set for an Ephemeral Container/);

  // not through the pod itself
  const viaPod = await h.call('PATCH', '/api/v1/namespaces/default/pods/p', { spec: { ephemeralContainers: [{ name: 'z', image: 'busybox' }] } }, { contentType: SMP });
  assert.equal(viaPod.status, 422, viaPod.text);
  const onCreate = await h.call('POST', '/api/v1/namespaces/default/pods', { ...pod, metadata: { name: 'q' }, spec: { ...pod.spec, ephemeralContainers: [{ name: 'd', image: 'busybox' }] } });
  assert.equal(onCreate.status, 422);
  assert.match(onCreate.body.message, /spec\.ephemeralContainers: Forbidden: cannot be set on create/);
});
