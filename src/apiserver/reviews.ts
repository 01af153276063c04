// The review resources: ask the server who you are (SelfSubjectReview) and what a user may do
// (the access reviews behind `kubectl auth can-i`). Nothing is stored; the answer is computed.
// Authorization is "every authenticated user may do everything" (upstream's AlwaysAllow) until
// RBAC enforcement arrives; the Authorizer interface is where it will plug in.
import type { KubeObject } from '../model/object.js';
import { isPlainObject } from '../model/object.js';
import { apiVersionOf, type ResourceType } from '../model/registry.js';
import { errors } from '../model/status.js';
import { fieldErrors, FieldPath } from '../model/field.js';
import type { UserInfo } from './handler.js';

export interface Attributes {
  user: UserInfo;
  verb: string;
  resource?: { group: string; resource: string; namespace?: string; name?: string; subresource?: string };
  path?: string;
}

export interface Authorizer {
  authorize(a: Attributes): { allowed: boolean; reason?: string };
}

export const alwaysAllow: Authorizer = { authorize: () => ({ allowed: true }) };

export const REVIEW_KINDS = new Set([
  'authorization.k8s.io/SelfSubjectAccessReview',
  'authorization.k8s.io/SubjectAccessReview',
  'authorization.k8s.io/LocalSubjectAccessReview',
  'authorization.k8s.io/SelfSubjectRulesReview',
  'authentication.k8s.io/SelfSubjectReview',
]);

interface AccessSpec {
  user?: string;
  groups?: string[];
  resourceAttributes?: { namespace?: string; verb?: string; group?: string; resource?: string; subresource?: string; name?: string };
  nonResourceAttributes?: { path?: string; verb?: string };
}

export function review(t: ResourceType, ns: string | undefined, body: unknown, caller: UserInfo, authz: Authorizer): KubeObject {
  if (!isPlainObject(body)) throw errors.badRequest(`${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: the body must be a JSON object`);
  const out: KubeObject = { kind: t.kind, apiVersion: apiVersionOf(t), metadata: { creationTimestamp: null as unknown as string } };
  if (t.kind === 'SelfSubjectReview') {
    out.status = { userInfo: { username: caller.username, ...(caller.uid ? { uid: caller.uid } : {}), groups: caller.groups, ...(caller.extra ? { extra: caller.extra } : {}) } };
    return out;
  }
  const spec = (isPlainObject(body.spec) ? body.spec : {}) as AccessSpec;
  out.spec = spec;
  if (t.kind === 'SelfSubjectRulesReview') {
    const allowed = authz.authorize({ user: caller, verb: '*', resource: { group: '*', resource: '*', ...(spec as { namespace?: string }).namespace ? { namespace: (spec as { namespace: string }).namespace } : {} } }).allowed;
    out.status = allowed
      ? { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false }
      : { resourceRules: [], nonResourceRules: [], incomplete: false };
    return out;
  }
  if (!spec.resourceAttributes === !spec.nonResourceAttributes) {
    throw errors.invalid({ group: t.group, name: t.kind }, '', [
      fieldErrors.invalid(FieldPath.root('spec', 'resourceAttributes'), 'null', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'),
    ]);
  }
  const subject: UserInfo = t.kind === 'SelfSubjectAccessReview' ? caller : { username: spec.user ?? '', groups: spec.groups ?? [] };
  if (t.kind === 'LocalSubjectAccessReview' && spec.resourceAttributes?.namespace !== ns) {
    throw errors.badRequest(`spec.resourceAttributes.namespace must match namespace: ${ns}`);
  }
  const ra = spec.resourceAttributes;
  const decision = ra
    ? authz.authorize({
        user: subject,
        verb: ra.verb ?? '',
        resource: { group: ra.group ?? '', resource: ra.resource ?? '', ...(ra.namespace ? { namespace: ra.namespace } : {}), ...(ra.name ? { name: ra.name } : {}), ...(ra.subresource ? { subresource: ra.subresource } : {}) },
      })
    : authz.authorize({ user: subject, verb: spec.nonResourceAttributes!.verb ?? '', path: spec.nonResourceAttributes!.path ?? '' });
  out.status = { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) };
  return out;
}
