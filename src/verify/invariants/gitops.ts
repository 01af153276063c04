// GitOps (seed 004 §18.2, A-8, P-22): G the desired objects (Git), K the cluster's, d the diff,
// R the reconcile. d(g,k) = {create r | r ∈ g∖k} ∪ {update r | r ∈ g∩k, g's fields differ} ∪
// {delete r | r ∈ k∖g} (prune: K is the set of objects under GitOps' management). Idempotence:
// d(g, R(d(g,k))(k)) = ∅. "Fields differ" compares what Git says only: fields Git leaves out (server
// defaults, status, uid, resourceVersion) are the cluster's; lists compare whole, as a merge patch
// replaces them.
import { deepEqual, type KubeObject } from '../../model/object.js';
import { applyMergePatch, createMergePatch, type Json, type JsonObject } from '../../model/patch/index.js';

export type GitOp =
  | { op: 'create'; key: string; object: KubeObject }
  | { op: 'update'; key: string; patch: JsonObject }
  | { op: 'delete'; key: string };

/** apiVersion/kind/namespace/name: an object's identity in Git and in the cluster. */
export const gitKey = (o: KubeObject) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

const isObj = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether actual agrees with every field desired sets. */
export function covers(actual: unknown, desired: unknown): boolean {
  if (isObj(desired)) {
    if (!isObj(actual)) return false;
    return Object.entries(desired).every(([k, v]) => covers(actual[k], v));
  }
  return deepEqual(actual, desired);
}

/** actual cut down to the fields desired sets (the part of the object Git speaks for). */
function project(actual: unknown, desired: unknown): Json {
  if (!isObj(desired) || !isObj(actual)) return actual as Json;
  const out: JsonObject = {};
  for (const k of Object.keys(desired)) if (k in actual) out[k] = project(actual[k], desired[k]);
  return out;
}

/** d(g, k). */
export function gitDiff(g: KubeObject[], k: KubeObject[]): GitOp[] {
  const have = new Map(k.map((o) => [gitKey(o), o]));
  const want = new Set(g.map(gitKey));
  const ops: GitOp[] = [];
  for (const o of g) {
    const key = gitKey(o);
    const cur = have.get(key);
    if (!cur) ops.push({ op: 'create', key, object: o });
    else if (!covers(cur, o)) ops.push({ op: 'update', key, patch: createMergePatch(project(cur, o) as JsonObject, o as unknown as JsonObject) });
  }
  for (const key of have.keys()) if (!want.has(key)) ops.push({ op: 'delete', key });
  return ops;
}

/** R(δ)(k) over plain objects: the operations carried out as the API would (merge patch for updates). */
export function applyGitOps(k: KubeObject[], ops: GitOp[]): KubeObject[] {
  const m = new Map(k.map((o) => [gitKey(o), o]));
  for (const op of ops) {
    if (op.op === 'create') m.set(op.key, op.object);
    else if (op.op === 'delete') m.delete(op.key);
    else m.set(op.key, applyMergePatch(m.get(op.key) as unknown as Json, op.patch) as unknown as KubeObject);
  }
  return [...m.values()];
}

export const describeOp = (op: GitOp) => (op.op === 'update' ? `update ${op.key} ${JSON.stringify(op.patch)}` : `${op.op} ${op.key}`);

/** d(g, R(d(g,k))(k)), as readable lines: empty when one reconcile converges. */
export function idempotenceViolations(g: KubeObject[], k: KubeObject[], reconcile: (k: KubeObject[], ops: GitOp[]) => KubeObject[] = applyGitOps): string[] {
  return gitDiff(g, reconcile(k, gitDiff(g, k))).map((op) => `after one reconcile, still: ${describeOp(op)}`);
}
