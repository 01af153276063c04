// The controller manager's CertificateSigningRequest controllers, as pure reconciles:
//
// - csrSigningController (pkg/controller/certificates/signer): an Approved, not Failed, not yet
//   issued request for one of the kubernetes.io signers it serves is checked as upstream's signer
//   checks it (kubelet-serving: O=system:nodes, CN=system:node:*, DNS or IP SANs only, the serving
//   usages; kube-apiserver-client-kubelet: the same subject, no SANs, the client usages;
//   kube-apiserver-client: client auth among digital signature and key encipherment). A request
//   that fails gets Failed=True (SignerValidationFailure); one that passes gets a certificate
//   template (validity from spec.expirationSeconds, at least 10 minutes and at most the configured
//   duration, backdated 5 minutes, never past the CA's expiry; key usages and extended key usages
//   from spec.usages) and an effect: signing needs the CA's key and randomness, so the runner's
//   executor (authority.ts) signs and writes status.certificate.
// - csrApprovingController: berth's approver for kubernetes.io/kubelet-serving (upstream approves
//   none; see the README): a request that upstream's signer would accept is Approved (AutoApproved)
//   when a node asks for itself (user system:node:<name> in system:nodes, CN equal to that user,
//   every DNS and IP SAN one of that Node's addresses) or when a cluster administrator (group
//   system:masters) asks. Others wait for `kubectl certificate approve|deny`.
import { R } from '../model/api.js';
import { rfc3339, type Instant, type KubeObject } from '../model/object.js';
import { parseCSRPem, KEY_USAGE_BITS, type CertificateRequest, type ExtKeyUsage } from '../model/x509.js';
import type { Action, Controller, Decision } from './runtime.js';
import { ownKey } from './runtime.js';

export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
export const KUBE_APISERVER_CLIENT_KUBELET_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBE_APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
export const CSR_SIGNING_EXECUTOR = 'csrsigning';

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
}

type CSR = KubeObject & {
  spec?: { request?: string; signerName?: string; usages?: string[]; expirationSeconds?: number; username?: string; groups?: string[] };
  status?: { conditions?: Condition[]; certificate?: string };
};

const conditions = (csr: CSR) => csr.status?.conditions ?? [];
const hasType = (csr: CSR, type: string) => conditions(csr).some((c) => c.type === type);
/** IsCertificateRequestApproved: Approved and not Denied. */
export const isApproved = (csr: CSR) => hasType(csr, 'Approved') && !hasType(csr, 'Denied');
const hasTrueCondition = (csr: CSR, type: string) => conditions(csr).some((c) => c.type === type && c.status === 'True');

/** certificates.ParseCSR on spec.request (base64 of the PEM). */
export function requestOf(csr: CSR): CertificateRequest {
  return parseCSRPem(Buffer.from(csr.spec?.request ?? '', 'base64').toString('latin1'));
}

const setEqual = (a: Set<string>, b: string[]) => a.size === b.length && b.every((x) => a.has(x));

/** ValidateKubeletServingCSR (pkg/apis/certificates/helpers.go); undefined when it passes. */
export function kubeletServingError(req: CertificateRequest, usages: string[]): string | undefined {
  const u = new Set(usages);
  if (req.subject.organization.length !== 1 || req.subject.organization[0] !== 'system:nodes') return 'subject organization is not system:nodes';
  if (req.dnsNames.length === 0 && req.ipAddresses.length === 0) return 'DNS or IP subjectAltName is required';
  if (req.emailAddresses.length > 0) return 'Email subjectAltNames are not allowed';
  if (req.uris.length > 0) return 'URI subjectAltNames are not allowed';
  if (!setEqual(u, ['digital signature', 'key encipherment', 'server auth']) && !setEqual(u, ['digital signature', 'server auth'])) {
    return 'usages did not match [digital signature key encipherment server auth]';
  }
  if (!req.subject.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  return undefined;
}

/** ValidateKubeletClientCSR. */
export function kubeletClientError(req: CertificateRequest, usages: string[]): string | undefined {
  const u = new Set(usages);
  if (req.subject.organization.length !== 1 || req.subject.organization[0] !== 'system:nodes') return 'subject organization is not system:nodes';
  if (req.dnsNames.length > 0) return 'DNS subjectAltNames are not allowed';
  if (req.emailAddresses.length > 0) return 'Email subjectAltNames are not allowed';
  if (req.ipAddresses.length > 0) return 'IP subjectAltNames are not allowed';
  if (req.uris.length > 0) return 'URI subjectAltNames are not allowed';
  if (!req.subject.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  if (!setEqual(u, ['digital signature', 'key encipherment', 'client auth']) && !setEqual(u, ['digital signature', 'client auth'])) {
    return 'usages did not match [client auth digital signature key encipherment]';
  }
  return undefined;
}

/** validAPIServerClientUsages. */
function apiServerClientError(usages: string[]): string | undefined {
  for (const u of usages) {
    if (u !== 'digital signature' && u !== 'key encipherment' && u !== 'client auth') return `invalid usage for client certificate: ${u}`;
  }
  return usages.includes('client auth') ? undefined : 'missing required usage for client certificate: client auth';
}

const SIGNER_CHECKS: Record<string, (req: CertificateRequest, usages: string[]) => string | undefined> = {
  [KUBELET_SERVING_SIGNER]: kubeletServingError,
  [KUBE_APISERVER_CLIENT_KUBELET_SIGNER]: kubeletClientError,
  [KUBE_APISERVER_CLIENT_SIGNER]: (_req, usages) => apiServerClientError(usages),
};

const KEY_USAGES: Record<string, number> = {
  signing: KEY_USAGE_BITS.digitalSignature,
  'digital signature': KEY_USAGE_BITS.digitalSignature,
  'content commitment': KEY_USAGE_BITS.contentCommitment,
  'key encipherment': KEY_USAGE_BITS.keyEncipherment,
  'key agreement': KEY_USAGE_BITS.keyAgreement,
  'data encipherment': KEY_USAGE_BITS.dataEncipherment,
  'cert sign': KEY_USAGE_BITS.certSign,
  'crl sign': KEY_USAGE_BITS.crlSign,
  'encipher only': KEY_USAGE_BITS.encipherOnly,
  'decipher only': KEY_USAGE_BITS.decipherOnly,
};
const EXT_KEY_USAGES: Record<string, ExtKeyUsage> = {
  any: 'any',
  'server auth': 'serverAuth',
  'client auth': 'clientAuth',
  'code signing': 'codeSigning',
  'email protection': 'emailProtection',
  's/mime': 'emailProtection',
  'ipsec end system': 'ipsecEndSystem',
  'ipsec tunnel': 'ipsecTunnel',
  'ipsec user': 'ipsecUser',
  timestamping: 'timeStamping',
  'ocsp signing': 'ocspSigning',
  'microsoft sgc': 'microsoftSGC',
  'netscape sgc': 'netscapeSGC',
};

/** What the signer puts in a certificate, apart from the request's subject, key and SANs. */
export interface SigningTemplate {
  notBefore: Instant;
  notAfter: Instant;
  keyUsage: number[];
  extKeyUsage: ExtKeyUsage[];
}

/** The effect's request: the CSR as read, and the template to sign it under. */
export interface SigningRequest {
  csr: KubeObject;
  template: SigningTemplate;
}

export interface CSRSigningOptions {
  /** The signers this controller issues for (default: the three kubernetes.io signers above). */
  signerNames?: string[];
  /** --cluster-signing-duration: the longest validity issued (default one year). */
  durationMs?: number;
  /** The CA certificate's notAfter: nothing is issued past it. */
  caNotAfter: Instant;
}

const MINUTE = 60_000;
const BACKDATE = 5 * MINUTE;
const SHORT = 8 * 60 * MINUTE;
export const DEFAULT_SIGNING_DURATION_MS = 365 * 24 * 60 * MINUTE;

/** signer.duration and PermissiveSigningPolicy.apply: the validity and usages of the certificate. */
export function signingTemplate(csr: CSR, now: Instant, opts: CSRSigningOptions): SigningTemplate | { error: string } {
  const max = opts.durationMs ?? DEFAULT_SIGNING_DURATION_MS;
  const requested = csr.spec?.expirationSeconds;
  const ttl = requested === undefined ? max : Math.min(max, Math.max(10 * MINUTE, requested * 1000));
  const keyUsage = new Set<number>();
  const ext = new Set<ExtKeyUsage>();
  const unrecognized: string[] = [];
  for (const u of csr.spec?.usages ?? []) {
    if (u in KEY_USAGES) keyUsage.add(KEY_USAGES[u]!);
    else if (u in EXT_KEY_USAGES) ext.add(EXT_KEY_USAGES[u]!);
    else unrecognized.push(u);
  }
  if (unrecognized.length) return { error: `unrecognized usage values: [${unrecognized.map((u) => JSON.stringify(u)).join(' ')}]` };
  const notBefore = now - BACKDATE;
  let notAfter = ttl < SHORT ? now + ttl : now + ttl - BACKDATE;
  if (notAfter >= opts.caNotAfter) notAfter = opts.caNotAfter;
  if (notBefore >= opts.caNotAfter) return { error: `the signer has expired: NotAfter=${rfc3339(opts.caNotAfter)}` };
  if (now >= opts.caNotAfter) return { error: `refusing to sign a certificate that expired in the past: NotAfter=${rfc3339(opts.caNotAfter)}` };
  return { notBefore, notAfter, keyUsage: [...keyUsage].sort((a, b) => a - b), extKeyUsage: [...ext] };
}

/** The signer's decision for one request: nothing, a Failed condition, or an effect that signs it. */
export function reconcileSigning(csr: CSR | undefined, now: Instant, opts: CSRSigningOptions): Decision {
  if (!csr || !isApproved(csr) || hasTrueCondition(csr, 'Failed') || csr.status?.certificate) return { actions: [] };
  const signerName = csr.spec?.signerName ?? '';
  const check = SIGNER_CHECKS[signerName];
  if (!check || !(opts.signerNames ?? Object.keys(SIGNER_CHECKS)).includes(signerName)) return { actions: [] };
  let req: CertificateRequest;
  try {
    req = requestOf(csr);
  } catch {
    // validation keeps unparseable requests out; one that got in anyway is not ours to fail
    return { actions: [] };
  }
  const problem = check(req, csr.spec?.usages ?? []);
  if (problem) {
    const failed: Condition = { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: problem, lastUpdateTime: rfc3339(now) };
    const next: CSR = { ...csr, status: { ...csr.status, conditions: [...conditions(csr), failed] } };
    return { actions: [{ kind: 'update', resource: R.certificatesigningrequests, object: next, subresource: 'status' }] };
  }
  const template = signingTemplate(csr, now, opts);
  // upstream returns the error and retries with back-off; the CA's expiry will not change by itself
  if ('error' in template) return { actions: [], requeueAfterMs: 5 * MINUTE };
  const request: SigningRequest = { csr, template };
  return { actions: [], effects: [{ executor: CSR_SIGNING_EXECUTOR, request }] };
}

export function csrSigningController(opts: CSRSigningOptions): Controller<CSR | undefined> {
  return {
    name: 'csrsigning',
    watches: [{ resource: R.certificatesigningrequests, keys: ownKey }],
    observe: (key, view) => view.get(R.certificatesigningrequests, undefined, key) as CSR | undefined,
    reconcile: (csr, now) => reconcileSigning(csr, now, opts),
  };
}

// ---- approval ----------------------------------------------------------------------------------

export interface ApprovalObservation {
  csr?: CSR;
  /** The Node a node requestor names (system:node:<name>), when it exists. */
  node?: KubeObject;
}

const NODE_USER_PREFIX = 'system:node:';

/** The node a requestor is, as upstream's NodeIdentifier decides: system:node:<name> in group system:nodes. */
export function nodeIdentity(username: string | undefined, groups: string[] | undefined): string | undefined {
  if (!username?.startsWith(NODE_USER_PREFIX) || !(groups ?? []).includes('system:nodes')) return undefined;
  return username.slice(NODE_USER_PREFIX.length) || undefined;
}

/** Why a kubelet-serving request may be approved without a person, or undefined. */
export function autoApprovalReason(csr: CSR, node: KubeObject | undefined): string | undefined {
  let req: CertificateRequest;
  try {
    req = requestOf(csr);
  } catch {
    return undefined;
  }
  if (kubeletServingError(req, csr.spec?.usages ?? [])) return undefined;
  const user = csr.spec?.username;
  const nodeName = nodeIdentity(user, csr.spec?.groups);
  if (nodeName !== undefined) {
    if (req.subject.commonName !== user || !node || node.metadata.name !== nodeName) return undefined;
    const addresses = ((node.status as { addresses?: { type?: string; address?: string }[] } | undefined)?.addresses ?? []);
    const of = (types: string[]) => new Set(addresses.filter((a) => types.includes(a.type ?? '')).map((a) => a.address ?? ''));
    const dns = of(['Hostname', 'InternalDNS', 'ExternalDNS']);
    const ips = of(['InternalIP', 'ExternalIP']);
    if (!req.dnsNames.every((d) => dns.has(d)) || !req.ipAddresses.every((ip) => ips.has(ip))) return undefined;
    return `Auto approving kubelet serving certificate: requested by node ${nodeName} for its own addresses.`;
  }
  if ((csr.spec?.groups ?? []).includes('system:masters')) {
    return 'Auto approving kubelet serving certificate: requested by a cluster administrator (system:masters).';
  }
  return undefined;
}

export function reconcileApproval(o: ApprovalObservation, now: Instant): Decision {
  const csr = o.csr;
  if (!csr || csr.spec?.signerName !== KUBELET_SERVING_SIGNER) return { actions: [] };
  if (hasType(csr, 'Approved') || hasType(csr, 'Denied') || csr.status?.certificate) return { actions: [] };
  const message = autoApprovalReason(csr, o.node);
  if (!message) return { actions: [] };
  const approved: Condition = { type: 'Approved', status: 'True', reason: 'AutoApproved', message, lastUpdateTime: rfc3339(now) };
  const next: CSR = { ...csr, status: { ...csr.status, conditions: [...conditions(csr), approved] } };
  const action: Action = { kind: 'update', resource: R.certificatesigningrequests, object: next, subresource: 'approval' };
  return { actions: [action] };
}

export function csrApprovingController(): Controller<ApprovalObservation> {
  return {
    name: 'csrapproving',
    watches: [
      { resource: R.certificatesigningrequests, keys: ownKey },
      {
        // a node's addresses may arrive after its request: look again at its pending ones
        resource: R.nodes,
        keys: (node, view) =>
          view
            .list(R.certificatesigningrequests)
            .filter((c) => (c as CSR).spec?.username === `${NODE_USER_PREFIX}${node.metadata.name}` && !(c as CSR).status?.conditions?.length)
            .map((c) => c.metadata.name!),
        changed: (o, old) => JSON.stringify((o.status as { addresses?: unknown } | undefined)?.addresses) !== JSON.stringify((old.status as { addresses?: unknown } | undefined)?.addresses),
      },
    ],
    observe(key, view) {
      const csr = view.get(R.certificatesigningrequests, undefined, key) as CSR | undefined;
      const nodeName = nodeIdentity(csr?.spec?.username, csr?.spec?.groups);
      const node = nodeName === undefined ? undefined : view.get(R.nodes, undefined, nodeName);
      return { ...(csr ? { csr } : {}), ...(node ? { node } : {}) };
    },
    reconcile: reconcileApproval,
  };
}
