import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyStrategicMergePatch, createMergePatch, createStrategicMergePatch, PatchError, type JsonObject } from '../../../src/model/patch/index.js';
import { deepFreeze, deployment, nullFreeObject } from './arbitraries.js';
import { deploymentSchema } from './schema-builder.js';

const original = (): JsonObject => ({
  metadata: { name: 'web', labels: { app: 'web', tier: 'fe' }, finalizers: ['a', 'b'] },
  spec: {
    replicas: 2,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
    template: {
      spec: {
        containers: [
          { name: 'app', image: 'nginx:1', args: ['-v'], env: [{ name: 'A', value: '1' }] },
          { name: 'side', image: 'busybox' },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    },
  },
});

/** `original()` changed by `edit`, and the two-way patch between them (checked to round-trip). */
function diff(edit: (d: JsonObject) => void): JsonObject {
  const before = original();
  const after = original();
  edit(after);
  const patch = createStrategicMergePatch(before, after, deploymentSchema);
  assert.deepEqual(applyStrategicMergePatch(before, patch, deploymentSchema), after, 'the patch yields the modified object');
  return patch;
}
const podSpec = (d: JsonObject) => ((d.spec as JsonObject).template as JsonObject).spec as JsonObject;
const containers = (d: JsonObject) => podSpec(d).containers as JsonObject[];
const inPodSpec = (p: JsonObject): JsonObject => ({ spec: { template: { spec: p } } });

describe('creating a two-way strategic merge patch', () => {
  test('an unchanged object gives an empty patch', () => {
    assert.deepEqual(diff(() => {}), {});
  });

  test('map fields: changes and additions as they are, removals as null', () => {
    const patch = diff((d) => {
      (d.metadata as JsonObject).labels = { app: 'web', env: 'prod' };
      (d.spec as JsonObject).replicas = 3;
    });
    assert.deepEqual(patch, { metadata: { labels: { tier: null, env: 'prod' } }, spec: { replicas: 3 } });
  });

  test('a changed container is sent as its merge key and changes, with $setElementOrder', () => {
    const patch = diff((d) => {
      containers(d)[0]!.image = 'nginx:2';
    });
    assert.deepEqual(patch, inPodSpec({ '$setElementOrder/containers': [{ name: 'app' }, { name: 'side' }], containers: [{ name: 'app', image: 'nginx:2' }] }));
  });

  test('a removed container is a `$patch: delete` item; a reordering is $setElementOrder alone', () => {
    assert.deepEqual(
      diff((d) => void containers(d).pop()),
      inPodSpec({ '$setElementOrder/containers': [{ name: 'app' }], containers: [{ $patch: 'delete', name: 'side' }] }),
    );
    assert.deepEqual(
      diff((d) => void containers(d).reverse()),
      inPodSpec({ '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }] }),
    );
  });

  test('an added container is sent whole, in the modified order', () => {
    const patch = diff((d) => {
      containers(d).splice(1, 0, { name: 'mid', image: 'x' });
    });
    assert.deepEqual(
      patch,
      inPodSpec({ '$setElementOrder/containers': [{ name: 'app' }, { name: 'mid' }, { name: 'side' }], containers: [{ name: 'mid', image: 'x' }] }),
    );
  });

  test('scalar merge lists: additions, $deleteFromPrimitiveList and $setElementOrder', () => {
    const patch = diff((d) => {
      (d.metadata as JsonObject).finalizers = ['a', 'c'];
    });
    assert.deepEqual(patch, {
      metadata: { finalizers: ['c'], '$deleteFromPrimitiveList/finalizers': ['b'], '$setElementOrder/finalizers': ['a', 'c'] },
    });
    // Reordering into sorted order is kept (upstream's own diff loses it: see strategic-diff.ts).
    const sorted = original();
    (sorted.metadata as JsonObject).finalizers = ['b', 'a'];
    const reordered = createStrategicMergePatch(sorted, original(), deploymentSchema);
    assert.deepEqual(reordered, { metadata: { '$setElementOrder/finalizers': ['a', 'b'] } });
  });

  test('lists without merge strategy are sent whole', () => {
    const patch = diff((d) => {
      containers(d)[0]!.args = ['-q'];
    });
    assert.deepEqual(patch, inPodSpec({ '$setElementOrder/containers': [{ name: 'app' }, { name: 'side' }], containers: [{ name: 'app', args: ['-q'] }] }));
  });

  test('retainKeys: changing the strategy type lists the kept fields and clears the rest', () => {
    const patch = diff((d) => {
      (d.spec as JsonObject).strategy = { type: 'Recreate' };
    });
    assert.deepEqual(patch, { spec: { strategy: { type: 'Recreate', rollingUpdate: null, $retainKeys: ['type'] } } });
  });

  test('retainKeys list items: a volume source change', () => {
    const patch = diff((d) => {
      podSpec(d).volumes = [{ name: 'data', hostPath: { path: '/x' } }];
    });
    assert.deepEqual(
      patch,
      inPodSpec({
        '$setElementOrder/volumes': [{ name: 'data' }],
        volumes: [{ name: 'data', hostPath: { path: '/x' }, emptyDir: null, $retainKeys: ['hostPath', 'name'] }],
      }),
    );
  });

  test('an explicit null in the modified object is sent as null', () => {
    assert.deepEqual(createStrategicMergePatch({ a: 1 }, { a: 1, b: null }, deploymentSchema), { b: null });
  });

  test('without a schema every list is sent whole', () => {
    const after = original();
    containers(after)[0]!.image = 'nginx:2';
    assert.deepEqual(createStrategicMergePatch(original(), after), inPodSpec({ containers: containers(after) }));
  });

  test('merge-list items without their merge key are refused', () => {
    const before = original();
    containers(before).push({ image: 'nameless' });
    assert.throws(
      () => createStrategicMergePatch(before, original(), deploymentSchema),
      (e) => e instanceof PatchError && e.message === 'map: map[image:nameless] does not contain declared merge key: name',
    );
  });
});

describe('two-way strategic merge patch properties', () => {
  test('applying createStrategicMergePatch(a, b) to a gives b, for objects fitting the schema', () => {
    fc.assert(
      fc.property(deployment, deployment, (a, b) => {
        deepFreeze(a);
        deepFreeze(b);
        const patch = createStrategicMergePatch(a, b, deploymentSchema);
        // As sent over the wire.
        const wire = JSON.parse(JSON.stringify(patch)) as JsonObject;
        assert.deepEqual(applyStrategicMergePatch(a, wire, deploymentSchema), b);
      }),
      { numRuns: 1000 },
    );
  });

  test('an object diffed against itself gives an empty patch', () => {
    fc.assert(
      fc.property(deployment, (a) => {
        assert.deepEqual(createStrategicMergePatch(a, a, deploymentSchema), {});
      }),
    );
  });

  test('without schema knowledge, a JSON merge patch applies as it does as merge patch', () => {
    fc.assert(
      fc.property(nullFreeObject, nullFreeObject, (a, b) => {
        assert.deepEqual(applyStrategicMergePatch(a, createMergePatch(a, b)), b);
        assert.deepEqual(applyStrategicMergePatch(a, createStrategicMergePatch(a, b)), b);
      }),
      { numRuns: 500 },
    );
  });
});
