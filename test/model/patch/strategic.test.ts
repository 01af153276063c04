import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch, PatchError, type Json, type JsonObject } from '../../../src/model/patch/index.js';
import { deepFreeze } from './arbitraries.js';
import { deploymentSchema, podSchema } from './schema-builder.js';

const deployment = (): JsonObject => ({
  metadata: { name: 'web', labels: { app: 'web', tier: 'fe' }, finalizers: ['a', 'b'] },
  spec: {
    replicas: 2,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'app', image: 'nginx:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80, protocol: 'TCP' }] },
          { name: 'side', image: 'busybox' },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    },
  },
});

const apply = (doc: JsonObject, patch: JsonObject | null) => applyStrategicMergePatch(doc, patch, deploymentSchema);
/** The patch of `podSpec` under spec.template.spec. */
const inPodSpec = (podSpec: JsonObject): JsonObject => ({ spec: { template: { spec: podSpec } } });
const podSpecOf = (d: JsonObject) => ((d.spec as JsonObject).template as JsonObject).spec as JsonObject;
const containersOf = (d: JsonObject) => podSpecOf(d).containers as JsonObject[];
const names = (list: Json) => (list as JsonObject[]).map((c) => c.name);

function failure(doc: JsonObject, patch: JsonObject): { failure: string; message: string } {
  try {
    apply(doc, patch);
  } catch (e) {
    assert.ok(e instanceof PatchError, `unexpected ${String(e)}`);
    return { failure: e.failure, message: e.message };
  }
  assert.fail('patch applied, but a failure was expected');
}

describe('strategic merge patch: lists merged by key', () => {
  test('changing a container image keeps its env, ports and the other containers', () => {
    const out = apply(deployment(), inPodSpec({ containers: [{ name: 'app', image: 'nginx:2' }] }));
    const expected = deployment();
    (containersOf(expected)[0] as JsonObject).image = 'nginx:2';
    assert.deepEqual(out, expected);
  });

  test('nested merge lists merge by their own keys: env by name, ports by containerPort', () => {
    const out = apply(
      deployment(),
      inPodSpec({
        containers: [{ name: 'app', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }], ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }],
      }),
    );
    const app = containersOf(out)[0]!;
    assert.deepEqual(app.env, [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }]);
    assert.deepEqual(app.ports, [{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 443 }]);
  });

  test('`$patch: delete` removes the item with that key (every such item)', () => {
    assert.deepEqual(names(containersOf(apply(deployment(), inPodSpec({ containers: [{ name: 'side', $patch: 'delete' }] })))), ['app']);
    const dup = deployment();
    podSpecOf(dup).containers = [{ name: 'x' }, { name: 'y' }, { name: 'x', image: 'again' }];
    assert.deepEqual(containersOf(apply(dup, inPodSpec({ containers: [{ name: 'x', $patch: 'delete' }] }))), [{ name: 'y' }]);
  });

  test('a new item goes before the items the patch does not mention, as upstream orders it', () => {
    const out = apply(deployment(), inPodSpec({ containers: [{ name: 'new', image: 'x' }] }));
    assert.deepEqual(names(containersOf(out)), ['new', 'app', 'side']);
  });

  test('items keep the patch order, interleaved with the others by the live order', () => {
    const doc = deployment();
    podSpecOf(doc).containers = [{ name: '1' }, { name: '2', image: 'b' }, { name: '3' }];
    const out = apply(doc, inPodSpec({ containers: [{ name: '3', image: 'c' }, { name: '1', image: 'a' }] }));
    assert.deepEqual(containersOf(out), [{ name: '2', image: 'b' }, { name: '3', image: 'c' }, { name: '1', image: 'a' }]);
  });

  test('$setElementOrder orders the merged list, new items included', () => {
    const out = apply(
      deployment(),
      inPodSpec({ '$setElementOrder/containers': [{ name: 'side' }, { name: 'new' }, { name: 'app' }], containers: [{ name: 'new', image: 'x' }] }),
    );
    assert.deepEqual(names(containersOf(out)), ['side', 'new', 'app']);
    // On its own it reorders; names it gives that the list lacks are ignored.
    const reordered = apply(deployment(), inPodSpec({ '$setElementOrder/containers': [{ name: 'side' }, { name: 'gone' }, { name: 'app' }] }));
    assert.deepEqual(containersOf(reordered), [...containersOf(deployment())].reverse());
  });

  test('$setElementOrder must list the patch items in the patch order', () => {
    const f = failure(
      deployment(),
      inPodSpec({ '$setElementOrder/containers': [{ name: 'app' }, { name: 'side' }], containers: [{ name: 'side', image: 'y' }, { name: 'app', image: 'z' }] }),
    );
    assert.deepEqual(f, {
      failure: 'Unknown',
      message:
        "the order in patch list:\n[map[image:y name:side] map[image:z name:app]]\n doesn't match $setElementOrder list:\n[map[name:app] map[name:side]]",
    });
  });

  test('`$patch: replace` in a list makes the rest of the patch list the whole list', () => {
    const out = apply(deployment(), inPodSpec({ containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] }));
    assert.deepEqual(containersOf(out), [{ name: 'only', image: 'x' }]);
    assert.deepEqual(containersOf(apply(deployment(), inPodSpec({ containers: [{ $patch: 'replace' }] }))), []);
  });

  test('volumes (merge,retainKeys): a volume source change clears the old source', () => {
    const out = apply(deployment(), inPodSpec({ volumes: [{ name: 'data', hostPath: { path: '/x' }, $retainKeys: ['hostPath', 'name'] }] }));
    assert.deepEqual(podSpecOf(out).volumes, [{ name: 'data', hostPath: { path: '/x' } }]);
  });

  test('lists the schema does not merge are replaced whole', () => {
    const doc = deployment();
    (containersOf(doc)[1] as JsonObject).args = ['a', 'b'];
    const out = apply(doc, inPodSpec({ containers: [{ name: 'side', args: ['c'] }] }));
    assert.deepEqual(containersOf(out)[1], { name: 'side', image: 'busybox', args: ['c'] });
  });
});

describe('strategic merge patch: lists of scalars with merge strategy', () => {
  const finalizers = (patch: JsonObject) => (apply(deployment(), { metadata: patch }).metadata as JsonObject).finalizers;

  test('merge as a set: no duplicates, new items first', () => {
    assert.deepEqual(finalizers({ finalizers: ['b', 'c'] }), ['a', 'b', 'c']);
    assert.deepEqual(finalizers({ finalizers: ['c'] }), ['c', 'a', 'b']);
  });

  test('$deleteFromPrimitiveList removes items; $setElementOrder orders the list', () => {
    assert.deepEqual(finalizers({ '$deleteFromPrimitiveList/finalizers': ['a'] }), ['b']);
    assert.deepEqual(finalizers({ finalizers: ['c'], '$deleteFromPrimitiveList/finalizers': ['a'], '$setElementOrder/finalizers': ['b', 'c'] }), ['b', 'c']);
    assert.deepEqual(finalizers({ '$setElementOrder/finalizers': ['b', 'a'] }), ['b', 'a']);
  });

  test('a malformed $deleteFromPrimitiveList key is a bad request', () => {
    assert.deepEqual(failure(deployment(), { metadata: { $deleteFromPrimitiveListfinalizers: ['a'] } }), {
      failure: 'BadRequest',
      message: 'invalid patch format of primitive list',
    });
  });

  test('lists of lists are refused', () => {
    const doc = deployment();
    (doc.metadata as JsonObject).finalizers = [];
    assert.deepEqual(failure(doc, { metadata: { finalizers: [['x']] } }), { failure: 'Invalid', message: 'lists of lists are not supported' });
  });
});

describe('strategic merge patch: maps', () => {
  test('null deletes a field; maps merge recursively', () => {
    const out = apply(deployment(), { metadata: { labels: { tier: null, env: 'prod' } }, spec: { replicas: null } });
    assert.deepEqual((out.metadata as JsonObject).labels, { app: 'web', env: 'prod' });
    assert.equal('replicas' in (out.spec as JsonObject), false);
  });

  test('`$patch: replace` replaces a map, `$patch: delete` empties it', () => {
    assert.deepEqual((apply(deployment(), { metadata: { labels: { $patch: 'replace', only: 'x' } } }).metadata as JsonObject).labels, { only: 'x' });
    assert.deepEqual((apply(deployment(), { metadata: { labels: { $patch: 'delete' } } }).metadata as JsonObject).labels, {});
    assert.deepEqual(apply(deployment(), { $patch: 'delete' }), {});
  });

  test('$retainKeys: switching RollingUpdate to Recreate clears rollingUpdate', () => {
    const out = apply(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } });
    assert.deepEqual((out.spec as JsonObject).strategy, { type: 'Recreate' });
    // The directive alone clears unlisted fields; without it they stay.
    assert.deepEqual((apply(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }).spec as JsonObject).strategy, { type: 'Recreate' });
    assert.deepEqual((apply(deployment(), { spec: { strategy: { type: 'Recreate' } } }).spec as JsonObject).strategy, {
      type: 'Recreate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
    });
  });

  test('$retainKeys must be a list naming every field the patch sets', () => {
    const bad = { failure: 'BadRequest', message: 'invalid patch format of retainKeys' };
    assert.deepEqual(failure(deployment(), { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: { maxSurge: 1 } } } }), bad);
    assert.deepEqual(failure(deployment(), { spec: { strategy: { $retainKeys: 'type' } } }), bad);
  });

  test('a value placed where nothing was loses its nulls and any `$patch` maps', () => {
    const out = apply(deployment(), {
      metadata: { annotations: { a: '1', b: null } },
      spec: { template: { spec: { nodeSelector: { $patch: 'replace', zone: 'a' }, hostname: 'h' } } },
    });
    assert.deepEqual((out.metadata as JsonObject).annotations, { a: '1' });
    assert.equal('nodeSelector' in podSpecOf(out), false);
    assert.equal(podSpecOf(out).hostname, 'h');
  });

  test('unknown directives and values are refused with upstream texts', () => {
    assert.deepEqual(failure(deployment(), { spec: { $patch: 'merge' } }), { failure: 'Unknown', message: 'unknown patch type: merge in map: map[$patch:merge]' });
    assert.equal(failure(deployment(), { spec: { $patch: 1 } }).message, 'unknown patch type: %!s(int64=1) in map: map[$patch:1]');
    assert.equal(
      failure(deployment(), inPodSpec({ containers: [{ name: 'app', $patch: 'frob' }] })).message,
      'unknown patch type: frob in map: map[$patch:frob name:app]',
    );
    assert.equal(failure(deployment(), inPodSpec({ containers: [{ name: 'app', $patch: 'merge' }] })).message, 'merging lists cannot yet be specified in the patch');
    assert.equal(failure(deployment(), inPodSpec({ '$setElementOrder/containers': 'app' })).message, 'expected a []interface {}, but received a string');
  });

  test('a list item without its merge key is refused', () => {
    assert.deepEqual(failure(deployment(), inPodSpec({ containers: [{ image: 'nginx:2' }] })), {
      failure: 'Unknown',
      message: 'map: map[image:nginx:2] does not contain declared merge key: name',
    });
    assert.equal(
      failure(deployment(), inPodSpec({ containers: [{ name: 'app', env: [{ value: 'x' }] }] })).message,
      'map: map[value:x] does not contain declared merge key: name',
    );
  });
});

describe('strategic merge patch without schema knowledge', () => {
  test('with no schema, maps merge and lists are replaced (merge patch semantics)', () => {
    const out = applyStrategicMergePatch(deployment(), inPodSpec({ containers: [{ name: 'app', image: 'nginx:2' }] }));
    assert.deepEqual(containersOf(out), [{ name: 'app', image: 'nginx:2' }]);
    assert.deepEqual(out.metadata, deployment().metadata);
  });

  test('fields the schema does not know behave the same way', () => {
    const doc = { ...deployment(), status: { conditions: [{ type: 'Ready', status: 'True' }], counts: { a: 1, b: 2 } } };
    const out = apply(doc, { status: { conditions: [{ type: 'Available', status: 'True' }], counts: { b: null, c: 3 } } });
    assert.deepEqual(out.status, { conditions: [{ type: 'Available', status: 'True' }], counts: { a: 1, c: 3 } });
  });

  test('directives still apply: `$patch: replace` on an unknown map', () => {
    const out = applyStrategicMergePatch({ a: { x: 1, y: 2 } }, { a: { $patch: 'replace', z: 3 } });
    assert.deepEqual(out, { a: { z: 3 } });
  });
});

describe('strategic merge patch inputs', () => {
  test('are never changed', () => {
    const doc = deepFreeze(deployment());
    const patch = deepFreeze({
      metadata: { labels: { $patch: 'replace', x: 'y' }, '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['z'] },
      spec: {
        strategy: { $retainKeys: ['type'], type: 'Recreate' },
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }],
            containers: [{ name: 'side', image: 'y', env: [{ name: 'E', value: null }] }],
            volumes: [{ name: 'data', $patch: 'delete' }],
          },
        },
      },
    });
    const out = apply(doc, patch);
    assert.deepEqual(names(containersOf(out)), ['side', 'app']);
    assert.deepEqual((out.metadata as JsonObject).finalizers, ['z', 'b']);
  });

  test('a null patch changes nothing', () => {
    assert.deepEqual(apply(deployment(), null), deployment());
  });

  test('pod schema: ownerReferences merge by uid', () => {
    const pod = { metadata: { ownerReferences: [{ uid: 'u1', name: 'rs-1' }] } };
    const out = applyStrategicMergePatch(pod, { metadata: { ownerReferences: [{ uid: 'u2', name: 'rs-2' }] } }, podSchema);
    assert.deepEqual((out.metadata as JsonObject).ownerReferences, [{ uid: 'u2', name: 'rs-2' }, { uid: 'u1', name: 'rs-1' }]);
  });
});
