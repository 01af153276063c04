import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyMergePatch, createMergePatch, PatchError, type Json } from '../../../src/model/patch/index.js';
import { deepFreeze, nullFreeObject } from './arbitraries.js';

describe('JSON merge patch (RFC 7386)', () => {
  // The examples of RFC 7386 appendix A that kube-apiserver's merge patch agrees with.
  const rfcExamples: Array<[Json, Json, Json]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [doc, patch, result] of rfcExamples) {
    test(`${JSON.stringify(doc)} + ${JSON.stringify(patch)}`, () => {
      assert.deepEqual(applyMergePatch(doc, patch), result);
    });
  }

  test('a Kubernetes object: labels merge, null removes, lists replace whole', () => {
    const pod = {
      metadata: { name: 'web', labels: { app: 'web', tier: 'fe' }, finalizers: ['a', 'b'] },
      spec: { containers: [{ name: 'app', image: 'nginx:1', env: [{ name: 'A', value: '1' }] }] },
    };
    const patch = { metadata: { labels: { tier: null, env: 'prod' }, finalizers: ['c'] }, spec: { containers: [{ name: 'app', image: 'nginx:2' }] } };
    assert.deepEqual(applyMergePatch(pod, patch), {
      metadata: { name: 'web', labels: { app: 'web', env: 'prod' }, finalizers: ['c'] },
      spec: { containers: [{ name: 'app', image: 'nginx:2' }] },
    });
  });

  test('a null or scalar patch is refused, as kube-apiserver refuses it ("Invalid JSON Patch")', () => {
    for (const patch of [null, 'bar', 42, true]) {
      assert.throws(() => applyMergePatch({ a: 'foo' }, patch), (e) => e instanceof PatchError && e.failure === 'BadRequest' && e.message === 'Invalid JSON Patch');
    }
  });

  test('v4: values landing where no object was lose their null fields, inside arrays too', () => {
    assert.deepEqual(applyMergePatch({ a: [1] }, { a: [{ x: null, y: 1 }, null] }), { a: [{ y: 1 }, null] });
    assert.deepEqual(applyMergePatch({}, { a: { b: [{ c: null }] } }), { a: { b: [{}] } });
    // ...but an object replaced by a non-object takes the value exactly as sent.
    assert.deepEqual(applyMergePatch({ a: { k: 1 } }, { a: [{ x: null }] }), { a: [{ x: null }] });
  });

  test('inputs are not changed', () => {
    const doc = deepFreeze({ a: { b: 1 }, c: [1] });
    const patch = deepFreeze({ a: { b: null, d: { e: null } }, c: [2] });
    assert.deepEqual(applyMergePatch(doc, patch), { a: { d: {} }, c: [2] });
  });
});

describe('creating a JSON merge patch', () => {
  test('holds changed and added fields, nulls for removed ones, and whole changed lists', () => {
    const original = { metadata: { labels: { app: 'web', tier: 'fe' }, annotations: { x: '1' } }, spec: { replicas: 1, args: ['a', 'b'] } };
    const modified = { metadata: { labels: { app: 'web', env: 'prod' }, annotations: { x: '1' } }, spec: { replicas: 2, args: ['a', 'b'] } };
    assert.deepEqual(createMergePatch(original, modified), { metadata: { labels: { tier: null, env: 'prod' } }, spec: { replicas: 2 } });
    assert.deepEqual(createMergePatch(original, original), {});
    assert.deepEqual(createMergePatch({ a: { b: 1 } }, { a: [1] }), { a: [1] });
  });

  test('applying createMergePatch(a, b) to a gives b (null-free JSON)', () => {
    fc.assert(
      fc.property(nullFreeObject, nullFreeObject, (a, b) => {
        deepFreeze(a);
        deepFreeze(b);
        assert.deepEqual(applyMergePatch(a, createMergePatch(a, b)), b);
      }),
      { numRuns: 500 },
    );
  });
});
