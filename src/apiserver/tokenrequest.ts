// The TokenRequest API (POST .../serviceaccounts/NAME/token, upstream's
// pkg/registry/core/serviceaccount/storage/token.go) and the service-account token authenticator
// (pkg/serviceaccount/jwt.go and claims.go): tokens are issued for an existing account, optionally
// bound to a Pod, Secret or Node, and accepted only while the account and the bound object still
// exist with the UIDs the token names.
import { isPlainObject, rfc3339, type KubeObject } from '../model/object.js';
import { errors, StatusError } from '../model/status.js';
import { fieldErrors, FieldPath } from '../model/field.js';
import type { Rest } from './rest.js';
import type { UserInfo } from './handler.js';
import { serviceAccountGroups, serviceAccountUsername, type KubernetesClaim, type TokenClaims } from './satoken.js';

const TOKEN_REQUEST = { group: 'authentication.k8s.io', name: 'TokenRequest' };
const DEFAULT_EXPIRATION_SECONDS = 3600;
/** The kubelet's default projected token lifetime, which upstream extends to a year when pod-bound. */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 3607;
const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60;
/** A bound object deleted longer ago than this no longer vouches for its tokens (claims.go). */
const DELETED_GRACE_MS = 60_000;

export const EXTRA_POD_NAME = 'authentication.kubernetes.io/pod-name';
export const EXTRA_POD_UID = 'authentication.kubernetes.io/pod-uid';
export const EXTRA_NODE_NAME = 'authentication.kubernetes.io/node-name';
export const EXTRA_NODE_UID = 'authentication.kubernetes.io/node-uid';
export const EXTRA_CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';

interface TokenRequestSpec {
  audiences?: string[] | null;
  expirationSeconds?: number | null;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string } | null;
}

/** POST /api/v1/namespaces/NS/serviceaccounts/NAME/token: the TokenRequest with its status filled. */
export async function createToken(rest: Rest, namespace: string, name: string, body: unknown): Promise<KubeObject> {
  if (!isPlainObject(body)) throw errors.badRequest('TokenRequest in version "v1" cannot be handled as a TokenRequest: the body must be a JSON object');
  const req = body as unknown as KubeObject & { spec?: TokenRequestSpec };
  const meta = isPlainObject(req.metadata) ? req.metadata : {};
  if (meta.name && meta.name !== name) {
    throw errors.invalid(TOKEN_REQUEST, name, [fieldErrors.invalid(FieldPath.root('metadata', 'name'), meta.name, 'must match the service account name if specified')]);
  }
  if (meta.namespace && meta.namespace !== namespace) {
    throw errors.invalid(TOKEN_REQUEST, name, [fieldErrors.invalid(FieldPath.root('metadata', 'namespace'), meta.namespace, 'must match the service account namespace if specified')]);
  }
  const sa = await rest.get(rest.resource('', 'v1', 'serviceaccounts'), namespace, name);
  const signer = rest.deps.signer;
  const spec: TokenRequestSpec = isPlainObject(req.spec) ? { ...(req.spec as TokenRequestSpec) } : {};
  // SetDefaults_TokenRequestSpec, then the registry's defaulting of the audiences
  const expirationSeconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : DEFAULT_EXPIRATION_SECONDS;
  const audiences = spec.audiences?.length ? spec.audiences : [...signer.audiences];
  const nowMs = rest.deps.clock.now();
  // ValidateTokenRequest
  const errs = [];
  if (expirationSeconds < 10 * 60) errs.push(fieldErrors.invalid(FieldPath.root('spec', 'expirationSeconds'), expirationSeconds, 'may not specify a duration less than 10 minutes'));
  if (expirationSeconds > 2 ** 32) errs.push(fieldErrors.invalid(FieldPath.root('spec', 'expirationSeconds'), expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
  if (errs.length) throw errors.invalid(TOKEN_REQUEST, '', errs);

  const claim: KubernetesClaim = { namespace, serviceaccount: { name, uid: sa.metadata.uid! } };
  let podBound = false;
  const ref = spec.boundObjectRef;
  if (ref) {
    const { group, kind } = splitGVK(ref.apiVersion ?? '', ref.kind ?? '');
    const version = (ref.apiVersion ?? '').split('/').pop() ?? '';
    let uid: string;
    if (group === '' && kind === 'Pod') {
      const pod = await rest.get(rest.resource('', 'v1', 'pods'), namespace, ref.name ?? '');
      const podSA = (pod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName;
      if (podSA !== name) throw errors.badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
      uid = pod.metadata.uid!;
      claim.pod = { name: pod.metadata.name!, uid };
      podBound = true;
      const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
      if (nodeName) {
        const node = await rest.get(rest.resource('', 'v1', 'nodes'), undefined, nodeName).catch((e: unknown) => {
          if (StatusError.is(e, 'NotFound')) return undefined;
          throw e;
        });
        claim.node = node ? { name: nodeName, uid: node.metadata.uid! } : { name: nodeName };
      }
    } else if (group === '' && kind === 'Node') {
      const node = await rest.get(rest.resource('', 'v1', 'nodes'), undefined, ref.name ?? '');
      uid = node.metadata.uid!;
      claim.node = { name: node.metadata.name!, uid };
    } else if (group === '' && kind === 'Secret') {
      const secret = await rest.get(rest.resource('', 'v1', 'secrets'), namespace, ref.name ?? '');
      uid = secret.metadata.uid!;
      claim.secret = { name: secret.metadata.name!, uid };
    } else {
      throw errors.badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${kind}`);
    }
    if (ref.uid && ref.uid !== uid) {
      throw errors.conflict({ group, name: kind }, ref.name ?? '', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
  }

  // Upstream's safe transition for the kubelet's default tokens: valid for a year, flagged after the requested time.
  let lifetime = expirationSeconds;
  if (podBound && expirationSeconds === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && audiences.every((a) => signer.audiences.includes(a))) {
    claim.warnafter = Math.floor(nowMs / 1000) + expirationSeconds;
    lifetime = EXPIRATION_EXTENSION_SECONDS;
  }
  const now = Math.floor(nowMs / 1000);
  const claims: TokenClaims = {
    aud: audiences,
    exp: now + lifetime,
    iat: now,
    iss: signer.issuer,
    jti: rest.deps.ids.uid(),
    'kubernetes.io': claim,
    nbf: now,
    sub: serviceAccountUsername(namespace, name),
  };
  const token = signer.sign(claims);
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { ...meta, name, namespace, creationTimestamp: rfc3339(nowMs) },
    spec: { ...spec, audiences, expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
    status: { token, expirationTimestamp: rfc3339(nowMs + expirationSeconds * 1000) },
  };
}

function splitGVK(apiVersion: string, kind: string): { group: string; kind: string } {
  const i = apiVersion.indexOf('/');
  return { group: i < 0 ? '' : apiVersion.slice(0, i), kind };
}

export type TokenAuthentication = { user: UserInfo } | { error: string };

/**
 * Authenticates a bearer token as a service account (undefined: not a token of ours). The account
 * must still exist with the token's UID, and so must a bound pod or secret; an object deleted more
 * than a minute ago no longer counts (claims.go's validator).
 */
export async function authenticateToken(rest: Rest, token: string): Promise<TokenAuthentication | undefined> {
  const nowMs = rest.deps.clock.now();
  const v = rest.deps.signer.verify(token, nowMs);
  if (!v.ok) return v.ours ? { error: v.error } : undefined;
  const k = v.claims['kubernetes.io'];
  const ns = k.namespace;
  const lookup = async (resource: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined> => {
    try {
      return await rest.get(rest.resource('', 'v1', resource), namespace, name);
    } catch (e) {
      if (StatusError.is(e, 'NotFound')) return undefined;
      throw e;
    }
  };
  const gone = (o: KubeObject) => !!o.metadata.deletionTimestamp && Date.parse(o.metadata.deletionTimestamp) < nowMs - DELETED_GRACE_MS;
  const sa = await lookup('serviceaccounts', ns, k.serviceaccount.name);
  if (!sa) return { error: `serviceaccounts "${k.serviceaccount.name}" not found` };
  if (sa.metadata.uid !== k.serviceaccount.uid) return { error: `service account UID (${sa.metadata.uid}) does not match claim (${k.serviceaccount.uid})` };
  if (gone(sa)) return { error: `service account ${ns}/${k.serviceaccount.name} has been deleted` };
  if (k.secret) {
    const s = await lookup('secrets', ns, k.secret.name);
    if (!s) return { error: `secrets "${k.secret.name}" not found` };
    if (s.metadata.uid !== k.secret.uid) return { error: `secret UID (${s.metadata.uid}) does not match service account secret ref claim (${k.secret.uid})` };
    if (gone(s)) return { error: `secret ${ns}/${k.secret.name} has been deleted` };
  }
  if (k.pod) {
    const p = await lookup('pods', ns, k.pod.name);
    if (!p) return { error: `pods "${k.pod.name}" not found` };
    if (p.metadata.uid !== k.pod.uid) return { error: `pod UID (${p.metadata.uid}) does not match claim (${k.pod.uid})` };
    if (gone(p)) return { error: `pod ${ns}/${k.pod.name} has been deleted` };
  }
  if (k.node && !k.pod) {
    // a token bound to a node itself (not a pod's node) lives as long as the node
    const n = await lookup('nodes', undefined, k.node.name);
    if (!n) return { error: `nodes "${k.node.name}" not found` };
    if (k.node.uid && n.metadata.uid !== k.node.uid) return { error: `node UID (${n.metadata.uid}) does not match claim (${k.node.uid})` };
    if (gone(n)) return { error: `node ${k.node.name} has been deleted` };
  }
  const extra: Record<string, string[]> = {};
  if (k.pod) {
    extra[EXTRA_POD_NAME] = [k.pod.name];
    extra[EXTRA_POD_UID] = [k.pod.uid];
  }
  if (v.claims.jti) extra[EXTRA_CREDENTIAL_ID] = [`JTI=${v.claims.jti}`];
  if (k.node) {
    extra[EXTRA_NODE_NAME] = [k.node.name];
    if (k.node.uid) extra[EXTRA_NODE_UID] = [k.node.uid];
  }
  return {
    user: {
      username: serviceAccountUsername(ns, k.serviceaccount.name),
      uid: k.serviceaccount.uid,
      groups: [...serviceAccountGroups(ns), 'system:authenticated'],
      ...(Object.keys(extra).length ? { extra } : {}),
    },
  };
}
