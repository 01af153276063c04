// The CertificateSigningRequest registry's strategies (pkg/registry/certificates/certificates):
// on create the requesting user's name, uid, groups and extra go into spec (whatever the client
// sent there is dropped) and the status starts empty; a main-resource update changes metadata
// only (strategy.ts); /status keeps spec and the Approved/Denied conditions as stored; /approval changes only
// the conditions. Conditions get lastUpdateTime and lastTransitionTime filled when missing.
import type { KubeObject } from '../model/object.js';
import { isPlainObject } from '../model/object.js';
import type { ResourceType } from '../model/registry.js';
import { errors } from '../model/status.js';
import { bytesField, CSR_CONDITIONS } from '../model/validation/certificates.js';
import type { UserInfo } from './handler.js';

interface Condition {
  type?: string;
  status?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  [k: string]: unknown;
}

type Spec = Record<string, unknown>;
type Status = { conditions?: Condition[]; certificate?: string; [k: string]: unknown };

export const isCSR = (t: Pick<ResourceType, 'group' | 'kind'>) => t.group === 'certificates.k8s.io' && t.kind === 'CertificateSigningRequest';

const specOf = (o: KubeObject): Spec => (isPlainObject(o.spec) ? (o.spec as Spec) : {});
const statusOf = (o: KubeObject): Status => (isPlainObject(o.status) ? (o.status as Status) : {});

/**
 * The []byte fields arrive base64-encoded; what does not decode is refused as the JSON decoder
 * refuses it, before validation (a 400, not a 422).
 */
export function checkEncoding(t: ResourceType, obj: KubeObject): void {
  for (const [path, v] of [['spec.request', specOf(obj).request], ['status.certificate', statusOf(obj).certificate]] as const) {
    if (bytesField(v) === undefined) {
      throw errors.badRequest(`${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: illegal base64 data in ${path}`);
    }
  }
}

/** PrepareForCreate: the requesting user in spec, an empty status. */
export function prepareForCreate(obj: KubeObject, user: UserInfo | undefined): void {
  const spec = specOf(obj);
  delete spec.username;
  delete spec.uid;
  delete spec.groups;
  delete spec.extra;
  if (user) {
    spec.username = user.username;
    if (user.uid) spec.uid = user.uid;
    if (user.groups.length) spec.groups = [...user.groups];
    if (user.extra && Object.keys(user.extra).length) spec.extra = { ...user.extra };
  }
  obj.spec = spec;
  obj.status = {};
}

/** populateConditionTimestamps: lastUpdateTime now when missing; lastTransitionTime from the same type and status before, else now. */
function stampConditions(conditions: Condition[], old: Condition[], now: string): Condition[] {
  return conditions.map((c) => {
    const out = { ...c };
    if (!out.lastUpdateTime) out.lastUpdateTime = now;
    if (!out.lastTransitionTime) {
      out.lastTransitionTime = old.find((o) => o.type === c.type && o.status === c.status && o.lastTransitionTime)?.lastTransitionTime ?? now;
    }
    return out;
  });
}

/** preserveConditionInstances: the stored conditions of a type replace the new ones, when as many. */
function preserveInstances(conditions: Condition[], old: Condition[], type: string): Condition[] {
  const oldOnes = old.filter((c) => c.type === type);
  const newIdx = conditions.flatMap((c, i) => (c.type === type ? [i] : []));
  if (oldOnes.length !== newIdx.length) return conditions;
  const out = [...conditions];
  newIdx.forEach((idx, i) => (out[idx] = oldOnes[i]!));
  return out;
}

/**
 * The object a write to /status or /approval stores: for status, the caller's status with spec and
 * the Approved/Denied conditions as stored; for approval, the stored object with the caller's
 * conditions. Metadata comes from the caller in both (as upstream's strategies leave it).
 */
export function prepareForSubresource(sub: 'status' | 'approval', given: KubeObject, old: KubeObject, now: string): KubeObject {
  const next: KubeObject = { ...given, apiVersion: old.apiVersion, kind: old.kind, metadata: { ...given.metadata } };
  if ('spec' in old) next.spec = old.spec;
  else delete next.spec;
  const oldConditions = statusOf(old).conditions ?? [];
  let conditions = Array.isArray(statusOf(given).conditions) ? (statusOf(given).conditions as Condition[]) : [];
  if (sub === 'status') {
    conditions = preserveInstances(conditions, oldConditions, CSR_CONDITIONS.approved);
    conditions = preserveInstances(conditions, oldConditions, CSR_CONDITIONS.denied);
    conditions = stampConditions(conditions, oldConditions, now);
    const status = { ...statusOf(given) };
    if (conditions.length) status.conditions = conditions;
    else delete status.conditions;
    next.status = status;
  } else {
    conditions = stampConditions(conditions, oldConditions, now);
    const status = { ...statusOf(old) };
    if (conditions.length) status.conditions = conditions;
    else delete status.conditions;
    next.status = status;
  }
  return next;
}
