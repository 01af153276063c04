// PATCH as kube-apiserver performs it (endpoints/handlers/patch.go): the media type picks the
// patch kind, the body is decoded as Go decodes it, and each failure becomes the status upstream
// answers with.
import { errors, StatusError } from '../status.js';
import { PatchError } from './errors.js';
import { GoPanic } from './gofmt.js';
import { deepClone } from '../object.js';
import { decodeJson, GoDecodeError, unmarshalTypeError } from './godecode.js';
import { applyJsonPatch, decodeOperations } from './jsonpatch.js';
import { isObject, type Json } from './json.js';
import { applyMergePatch, errBadJSONPatch } from './mergepatch.js';
import type { PatchSchema } from './schema.js';
import { applyStrategicMergePatch } from './strategic.js';
import { errBadArgType, mapType } from './strategic-meta.js';

export { applyJsonPatch } from './jsonpatch.js';
export { applyMergePatch, createMergePatch } from './mergepatch.js';
export { applyStrategicMergePatch, createStrategicMergePatch } from './strategic.js';
export { PatchError, type PatchFailure } from './errors.js';
export type { Json, JsonObject } from './json.js';
export type { PatchSchema } from './schema.js';

export const jsonPatchType = 'application/json-patch+json';
export const mergePatchType = 'application/merge-patch+json';
export const strategicMergePatchType = 'application/strategic-merge-patch+json';
export const applyPatchType = 'application/apply-patch+yaml';

/** The PATCH media types upstream accepts for built-in resources, in the order it lists them. */
export const builtinPatchTypes: readonly string[] = [jsonPatchType, mergePatchType, strategicMergePatchType, applyPatchType];

/**
 * A PATCH body: the bytes as received, or a value an in-process caller built (then what decoding
 * its JSON text would give is a copy of it: the text is valid JSON by construction, and JSON.parse
 * of JSON.stringify is deepClone).
 */
export type PatchBody = string | Uint8Array | { decoded: Json };

/** Upstream's maxJSONPatchOperations. */
export const maxJSONPatchOperations = 10000;

/**
 * Applies a PATCH body of the given Content-Type to `doc` (the stored object, as JSON, only read:
 * it may be the store's frozen object), returning a new patched value, which the caller still decodes and validates. `accepted` is the resource's list
 * of PATCH media types (custom resources accept no strategic merge patch). Throws StatusError.
 */
export function applyPatch(
  contentType: string,
  doc: object,
  body: PatchBody,
  schema?: PatchSchema,
  accepted: readonly string[] = builtinPatchTypes,
): Json {
  // Upstream drops parameters ("; charset=utf-8") and compares the rest exactly.
  const semi = contentType.indexOf(';');
  const type = semi > 0 ? contentType.slice(0, semi) : contentType;
  if (!accepted.includes(type)) {
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    );
  }
  try {
    switch (type) {
      case jsonPatchType:
        return jsonPatch(doc as Json, body);
      case mergePatchType:
        return mergePatch(doc as Json, body);
      case strategicMergePatchType:
        return strategicPatch(doc as Json, body, schema);
      default:
        throw new PatchError('Unknown', `${type}: unimplemented patch type`);
    }
  } catch (e) {
    throw toStatusError(e);
  }
}

function jsonPatch(doc: Json, body: PatchBody): Json {
  const ops = decode(body, (e) => e.message);
  const count = decodeOperations(ops).length;
  if (count > maxJSONPatchOperations) {
    throw new PatchError('TooLarge', `The allowed maximum operations in a JSON patch is ${maxJSONPatchOperations}, got ${count}`);
  }
  return applyJsonPatch(doc, ops);
}

// Merge and strategic merge patches copy the patch before they use it (and a copy is what decoding
// an in-process value gives): they take that value as it is, where a copy made first would be
// copied again (every lease renewal is one).

function mergePatch(doc: Json, body: PatchBody): Json {
  return applyMergePatch(doc, decode(body, () => errBadJSONPatch, true));
}

function strategicPatch(doc: Json, body: PatchBody, schema: PatchSchema | undefined): Json {
  const patch = decode(body, (e) => e.message, true);
  if (patch !== null && !isObject(patch)) throw new PatchError('BadRequest', unmarshalTypeError(patch, mapType).message);
  if (!isObject(doc)) throw errBadArgType(mapType, doc);
  return applyStrategicMergePatch(doc, patch, schema);
}

/**
 * The body as JSON; an undecodable body is a 400 with the text `message` gives. `copiedAfter`: the
 * caller copies the value before it uses or keeps any of it (an in-process value is then handed
 * over as it is: the copy is what decoding it would give).
 */
function decode(body: PatchBody, message: (e: GoDecodeError) => string, copiedAfter = false): Json {
  if (typeof body === 'object' && !(body instanceof Uint8Array)) return copiedAfter ? body.decoded : deepClone(body.decoded);
  try {
    return decodeJson(body);
  } catch (e) {
    if (e instanceof GoDecodeError) throw new PatchError('BadRequest', message(e));
    throw e;
  }
}

/** How the API server answers each failure (patch.go, and ErrorToAPIStatus for plain errors). */
export function toStatusError(e: unknown): StatusError {
  if (e instanceof StatusError) return e;
  let status: StatusError;
  if (e instanceof GoPanic) status = panicked();
  else if (!(e instanceof PatchError)) status = errors.internal(e);
  else {
    switch (e.failure) {
      case 'BadRequest':
        status = errors.badRequest(e.message);
        break;
      case 'Invalid':
        // NewGenericServerResponse(422, ...): the detail is dropped from the response.
        status = new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
        break;
      case 'TooLarge':
        status = errors.tooLarge(e.message);
        break;
      case 'Unknown':
        status = new StatusError(500, '', e.message);
        break;
    }
  }
  status.cause = e;
  return status;
}

/** The panic-recovery filter's answer, as a status. */
function panicked(): StatusError {
  return new StatusError(500, 'InternalError', 'This request caused apiserver to panic. Look in the logs for details.');
}
