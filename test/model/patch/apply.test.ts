import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError, type Status } from '../../../src/model/status.js';
import {
  applyPatch,
  jsonPatchType,
  mergePatchType,
  strategicMergePatchType,
  type Json,
} from '../../../src/model/patch/index.js';
import { deploymentSchema } from './schema-builder.js';

const doc = {
  metadata: { name: 'web', finalizers: [] as Json[] },
  spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1' }] } } },
};

/** The metav1.Status the API server would answer with. */
function status(contentType: string, body: string, accepted?: readonly string[]): Status {
  try {
    applyPatch(contentType, doc, body, deploymentSchema, accepted);
  } catch (e) {
    assert.ok(e instanceof StatusError, `unexpected ${String(e)}`);
    return e.toStatus();
  }
  assert.fail('patch applied, but a failure was expected');
}

const failure = (code: number, message: string, reason?: Status['reason'], details?: Status['details']): Status => {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code };
  if (reason) s.reason = reason;
  if (details) s.details = details;
  return s;
};

describe('applyPatch dispatches on the media type', () => {
  test('each patch type, with or without parameters, from a string or bytes', () => {
    const image = (out: Json) => ((out as typeof doc).spec.template.spec.containers[0] as { image: string }).image;
    assert.equal(image(applyPatch(jsonPatchType, doc, '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"a"}]')), 'a');
    assert.equal(image(applyPatch(`${mergePatchType}; charset=utf-8`, doc, '{"metadata":{"labels":{"x":"y"}}}')), 'nginx:1');
    const smp = applyPatch(strategicMergePatchType, doc, new TextEncoder().encode('{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"b"}]}}}}'), deploymentSchema);
    assert.equal(image(smp), 'b');
  });

  test('a media type the resource does not accept is 415, listing the accepted ones', () => {
    assert.deepEqual(
      status('application/json', '{}'),
      failure(
        415,
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
        'UnsupportedMediaType',
      ),
    );
    // Custom resources take no strategic merge patch.
    const crd = [jsonPatchType, mergePatchType, 'application/apply-patch+yaml'];
    assert.equal(status(strategicMergePatchType, '{}', crd).code, 415);
  });

  test('server-side apply is not a patch applied here', () => {
    assert.deepEqual(status('application/apply-patch+yaml', 'a: b'), failure(500, 'application/apply-patch+yaml: unimplemented patch type'));
  });
});

describe('applyPatch answers failures as kube-apiserver does', () => {
  test('JSON patch: undecodable body 400, failed operation 422 without detail, too many operations 413', () => {
    assert.deepEqual(status(jsonPatchType, '[{"op":'), failure(400, 'unexpected end of JSON input', 'BadRequest'));
    assert.deepEqual(status(jsonPatchType, '{"op":"add"}'), failure(400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch', 'BadRequest'));
    assert.deepEqual(
      status(jsonPatchType, '[{"op":"remove","path":"/status/phase"}]'),
      failure(422, 'the server rejected our request due to an error in our request', 'Invalid', {}),
    );
    const many = JSON.stringify(Array.from({ length: 10001 }, () => ({ op: 'test', path: '/metadata/name', value: 'web' })));
    assert.deepEqual(
      status(jsonPatchType, many),
      failure(413, 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001', 'RequestEntityTooLarge'),
    );
  });

  test('the hidden detail of a 422 stays available as the error cause', () => {
    try {
      applyPatch(jsonPatchType, doc, '[{"op":"test","path":"/metadata/name","value":"db"}]');
      assert.fail('expected a failure');
    } catch (e) {
      assert.ok(e instanceof StatusError);
      assert.equal((e.cause as Error).message, 'testing value /metadata/name failed: test failed');
    }
  });

  test('merge patch: an undecodable, null or scalar body is 400 "Invalid JSON Patch"', () => {
    for (const body of ['{bad', 'null', '"x"', '']) {
      assert.deepEqual(status(mergePatchType, body), failure(400, 'Invalid JSON Patch', 'BadRequest'), body);
    }
  });

  test('strategic merge patch: decode errors 400 with Go texts', () => {
    assert.deepEqual(status(strategicMergePatchType, '{"spec":'), failure(400, 'unexpected end of JSON input', 'BadRequest'));
    assert.deepEqual(status(strategicMergePatchType, "{'spec':1}"), failure(400, "invalid character '\\'' looking for beginning of object key string", 'BadRequest'));
    assert.deepEqual(
      status(strategicMergePatchType, '[{"spec":1}]'),
      failure(400, 'json: cannot unmarshal array into Go value of type map[string]interface {}', 'BadRequest'),
    );
    assert.deepEqual(applyPatch(strategicMergePatchType, doc, 'null', deploymentSchema), doc);
  });

  test('strategic merge patch: directive errors as upstream classifies them', () => {
    assert.deepEqual(
      status(strategicMergePatchType, '{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}'),
      failure(500, 'map: map[image:x] does not contain declared merge key: name'),
    );
    assert.deepEqual(status(strategicMergePatchType, '{"spec":{"$patch":"frob"}}'), failure(500, 'unknown patch type: frob in map: map[$patch:frob]'));
    assert.deepEqual(status(strategicMergePatchType, '{"metadata":{"$retainKeys":["name"],"x":1}}'), failure(400, 'invalid patch format of retainKeys', 'BadRequest'));
    assert.deepEqual(
      status(strategicMergePatchType, '{"metadata":{"$setElementOrderfinalizers":[]}}'),
      failure(400, 'invalid patch format of setElementOrder list', 'BadRequest'),
    );
    assert.deepEqual(
      status(strategicMergePatchType, '{"metadata":{"finalizers":[["a"]]}}'),
      failure(422, 'the server rejected our request due to an error in our request', 'Invalid', {}),
    );
  });

  test('where upstream code panics, the answer is a 500', () => {
    // A merge list whose first element is null: upstream asks a nil type for its kind.
    assert.deepEqual(
      status(strategicMergePatchType, '{"metadata":{"finalizers":[null,"a"]}}'),
      failure(500, 'This request caused apiserver to panic. Look in the logs for details.', 'InternalError'),
    );
  });
});
