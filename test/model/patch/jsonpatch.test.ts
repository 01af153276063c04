import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyJsonPatch, PatchError, type Json } from '../../../src/model/patch/index.js';
import { deepFreeze, jsonObject, pointers, touchEverywhere, valueAt } from './arbitraries.js';

const apply = (doc: Json, ops: Json) => applyJsonPatch(doc, ops);

/** The failure's kind and evanphx/json-patch v4 text. */
function failure(doc: Json, ops: Json): { failure: string; message: string } {
  try {
    apply(doc, ops);
  } catch (e) {
    assert.ok(e instanceof PatchError, `unexpected ${String(e)}`);
    return { failure: e.failure, message: e.message };
  }
  assert.fail('patch applied, but a failure was expected');
}

describe('JSON patch (RFC 6902) operations', () => {
  test('add sets an object member and inserts into arrays (before the index, "-" appends)', () => {
    assert.deepEqual(apply({ spec: {} }, [{ op: 'add', path: '/spec/replicas', value: 3 }]), { spec: { replicas: 3 } });
    const doc = { args: ['a', 'c'] };
    assert.deepEqual(apply(doc, [{ op: 'add', path: '/args/1', value: 'b' }]), { args: ['a', 'b', 'c'] });
    assert.deepEqual(apply(doc, [{ op: 'add', path: '/args/2', value: 'z' }]), { args: ['a', 'c', 'z'] });
    assert.deepEqual(apply(doc, [{ op: 'add', path: '/args/-', value: ['x', 'y'] }]), { args: ['a', 'c', ['x', 'y']] });
  });

  test('remove deletes a member or an element', () => {
    const doc = { metadata: { labels: { app: 'web', tier: 'fe' } }, list: [1, 2, 3] };
    assert.deepEqual(apply(doc, [{ op: 'remove', path: '/metadata/labels/tier' }]), {
      metadata: { labels: { app: 'web' } },
      list: [1, 2, 3],
    });
    assert.deepEqual(apply(doc, [{ op: 'remove', path: '/list/1' }]), { metadata: doc.metadata, list: [1, 3] });
  });

  test('replace, move and copy', () => {
    const doc = { spec: { image: 'nginx:1', old: { x: 1 } }, list: ['all', 'grass', 'cows', 'eat'] };
    assert.deepEqual(apply(doc, [{ op: 'replace', path: '/spec/image', value: 'nginx:2' }]), {
      spec: { image: 'nginx:2', old: { x: 1 } },
      list: doc.list,
    });
    assert.deepEqual(apply(doc, [{ op: 'move', from: '/spec/old', path: '/moved' }]), {
      spec: { image: 'nginx:1' },
      list: doc.list,
      moved: { x: 1 },
    });
    assert.deepEqual((apply(doc, [{ op: 'move', from: '/list/1', path: '/list/3' }]) as { list: Json }).list, ['all', 'cows', 'eat', 'grass']);
    const copied = apply(doc, [{ op: 'copy', from: '/spec/old', path: '/spec/new' }]) as { spec: Record<string, Json> };
    assert.deepEqual(copied.spec.new, { x: 1 });
    assert.notEqual(copied.spec.new, copied.spec.old, 'a copy is not shared with its source');
  });

  test('test compares JSON values; a failed test aborts the whole patch', () => {
    const doc = { baz: 'qux', foo: ['a', 2, 'c'] };
    assert.deepEqual(apply(doc, [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }]), doc);
    assert.deepEqual(failure(doc, [{ op: 'add', path: '/x', value: 1 }, { op: 'test', path: '/baz', value: 'bar' }]), {
      failure: 'Invalid',
      message: 'testing value /baz failed: test failed',
    });
    // A string is not the number it spells (RFC 6902 A.15).
    assert.equal(failure({ n: 10 }, [{ op: 'test', path: '/n', value: '10' }]).failure, 'Invalid');
    // A missing or null member matches a null value.
    assert.deepEqual(apply({ a: null }, [{ op: 'test', path: '/a', value: null }, { op: 'test', path: '/b', value: null }]), { a: null });
    // The empty path tests the whole document.
    assert.deepEqual(apply({ a: 1 }, [{ op: 'test', path: '', value: { a: 1 } }]), { a: 1 });
  });

  test('pointer tokens decode ~1 to "/" and ~0 to "~", in that order', () => {
    const doc = { '/': 9, '~1': 10, 'a/b': { 'c~d': 1 } };
    assert.deepEqual(apply(doc, [{ op: 'test', path: '/~01', value: 10 }]), doc);
    assert.deepEqual(apply(doc, [{ op: 'test', path: '/~1', value: 9 }]), doc);
    assert.deepEqual(apply(doc, [{ op: 'replace', path: '/a~1b/c~0d', value: 2 }]), { ...doc, 'a/b': { 'c~d': 2 } });
  });

  test('unknown members of an operation are ignored', () => {
    assert.deepEqual(apply({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }]), { foo: 'bar', baz: 'qux' });
  });

  test('keys like __proto__ and constructor are plain members', () => {
    const out = apply({}, [
      { op: 'add', path: '/__proto__', value: { polluted: true } },
      { op: 'add', path: '/constructor', value: 1 },
    ]) as Record<string, Json>;
    assert.deepEqual(Object.keys(out), ['__proto__', 'constructor']);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(failure({}, [{ op: 'remove', path: '/toString' }]).failure, 'Invalid');
  });
});

describe('JSON patch as evanphx/json-patch v4 (and so kube-apiserver) applies it', () => {
  test('operations on missing paths fail with v4 texts', () => {
    const doc = { spec: { containers: [{ name: 'app' }] } };
    assert.equal(
      failure(doc, [{ op: 'add', path: '/status/phase', value: 'Running' }]).message,
      'add operation does not apply: doc is missing path: "/status/phase": missing value',
    );
    assert.equal(
      failure(doc, [{ op: 'remove', path: '/spec/replicas' }]).message,
      "error in remove for path: '/spec/replicas': Unable to remove nonexistent key: replicas: missing value",
    );
    assert.equal(
      failure(doc, [{ op: 'replace', path: '/spec/x/y', value: 1 }]).message,
      'replace operation does not apply: doc is missing path: /spec/x/y: missing value',
    );
    assert.equal(
      failure(doc, [{ op: 'move', from: '/nope/a', path: '/b' }]).message,
      'move operation does not apply: doc is missing from path: /nope/a: missing value',
    );
    assert.equal(failure(doc, [{ op: 'test', path: '/a/b', value: 1 }]).message, 'test operation does not apply: is missing path: /a/b: missing value');
  });

  test('bad array indexes fail', () => {
    const doc = { list: ['a', 'b'] };
    assert.equal(
      failure(doc, [{ op: 'add', path: '/list/3', value: 'x' }]).message,
      "error in add for path: '/list/3': Unable to access invalid index: 3: invalid index referenced",
    );
    assert.equal(
      failure(doc, [{ op: 'add', path: '/list/x', value: 'x' }]).message,
      `error in add for path: '/list/x': value was not a proper array index: 'x': strconv.Atoi: parsing "x": invalid syntax`,
    );
    assert.equal(
      failure(doc, [{ op: 'remove', path: '/list/2' }]).message,
      "error in remove for path: '/list/2': Unable to access invalid index: 2: invalid index referenced",
    );
    assert.equal(
      failure(doc, [{ op: 'replace', path: '/list/2', value: 'x' }]).message,
      'replace operation does not apply: doc is missing key: /list/2: missing value',
    );
  });

  test('negative indexes count from the end', () => {
    const doc = { list: ['a', 'b', 'c'] };
    assert.deepEqual(apply(doc, [{ op: 'remove', path: '/list/-1' }]), { list: ['a', 'b'] });
    assert.deepEqual(apply(doc, [{ op: 'add', path: '/list/-1', value: 'z' }]), { list: ['a', 'b', 'c', 'z'] });
    assert.deepEqual(apply(doc, [{ op: 'replace', path: '/list/-3', value: 'z' }]), { list: ['z', 'b', 'c'] });
    assert.equal(failure(doc, [{ op: 'remove', path: '/list/-4' }]).failure, 'Invalid');
  });

  test('replace adds a missing object member, and copy from a missing member copies null', () => {
    assert.deepEqual(apply({ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }]), { a: 1, b: 2 });
    assert.deepEqual(apply({ a: 1 }, [{ op: 'copy', from: '/missing', path: '/b' }]), { a: 1, b: null });
  });

  test('an operation without a value adds null; replace of the empty path swaps the document', () => {
    assert.deepEqual(apply({}, [{ op: 'add', path: '/a' }]), { a: null });
    assert.deepEqual(apply({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }]), { b: 2 });
  });

  test('malformed operations', () => {
    assert.equal(failure({}, [{ op: 'frobnicate', path: '/a' }]).message, 'Unexpected kind: frobnicate');
    assert.equal(failure({}, [{ path: '/a' }]).message, 'Unexpected kind: unknown');
    assert.equal(failure({}, [null]).message, 'Unexpected kind: unknown');
    assert.equal(failure({}, [{ op: 'add', value: 1 }]).message, 'add operation failed to decode path: missing value');
    assert.equal(failure({}, [{ op: 'move', path: '/a' }]).message, 'move operation failed to decode from: operation, missing from field: missing value');
    assert.equal(
      failure({}, [{ op: 'replace', path: 5, value: 1 }]).message,
      'replace operation failed to decode path: json: cannot unmarshal number into Go value of type string',
    );
  });

  test('a patch that is not a list of objects is refused as undecodable', () => {
    assert.deepEqual(failure({}, { op: 'add' }), {
      failure: 'BadRequest',
      message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    });
    assert.deepEqual(failure({}, ['add']), {
      failure: 'BadRequest',
      message: 'json: cannot unmarshal string into Go value of type jsonpatch.Operation',
    });
    assert.deepEqual(apply({ a: 1 }, null), { a: 1 }, 'a null patch has no operations');
  });
});

describe('JSON patch properties', () => {
  const op = (paths: string[]) =>
    fc.oneof(
      fc.record({ op: fc.constantFrom('add', 'replace', 'test'), path: fc.constantFrom(...paths), value: fc.jsonValue({ maxDepth: 2 }) }),
      fc.record({ op: fc.constant('remove'), path: fc.constantFrom(...paths) }),
      fc.record({ op: fc.constantFrom('move', 'copy'), from: fc.constantFrom(...paths), path: fc.constantFrom(...paths) }),
    );
  const docAndOps = jsonObject.chain((doc) => {
    const paths = [...pointers(doc), '/fresh', '/a/-', '/a/0', '/x/y'];
    return fc.tuple(fc.constant(doc), fc.array(op(paths), { maxLength: 6 }));
  });

  test('applying any operation sequence never mutates the document or the patch', () => {
    fc.assert(
      fc.property(docAndOps, ([doc, ops]) => {
        const docBefore = JSON.stringify(doc);
        const opsBefore = JSON.stringify(ops);
        deepFreeze(doc);
        deepFreeze(ops);
        try {
          // The result shares nothing with the frozen inputs, so it can be changed throughout.
          touchEverywhere(apply(doc, ops as Json));
        } catch (e) {
          if (!(e instanceof PatchError)) throw e;
        }
        assert.equal(JSON.stringify(doc), docBefore);
        assert.equal(JSON.stringify(ops), opsBefore);
      }),
      { numRuns: 300 },
    );
  });

  test('testing any member for its own value succeeds, and for another value fails', () => {
    const docAndPath = jsonObject.filter((d) => pointers(d).length > 0).chain((doc) => fc.tuple(fc.constant(doc), fc.constantFrom(...pointers(doc))));
    fc.assert(
      fc.property(docAndPath, ([doc, path]) => {
        const value = valueAt(doc, path);
        assert.deepEqual(apply(doc, [{ op: 'test', path, value }]), doc);
        assert.equal(failure(doc, [{ op: 'test', path, value: [value] }]).message, `testing value ${path} failed: test failed`);
      }),
      { numRuns: 300 },
    );
  });

  test('adding a new member and removing it again gives back the document', () => {
    fc.assert(
      fc.property(jsonObject, fc.jsonValue({ maxDepth: 2 }), (doc, value) => {
        const key = '/new~1member';
        assert.deepEqual(apply(doc, [{ op: 'add', path: key, value: value as Json }, { op: 'remove', path: key }]), doc);
      }),
    );
  });
});
