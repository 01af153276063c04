// Validation of certificates.k8s.io/v1 CertificateSigningRequest (pkg/apis/certificates/validation):
// the request must be a PEM CERTIFICATE REQUEST whose signature checks out, signerName well formed,
// usages known and unique, expirationSeconds at least 600; Approved and Denied exclude each other,
// Approved/Denied/Failed only say True and are never removed; only /approval may add or change
// Approved and Denied, only /status may set the certificate (once), which must be PEM CERTIFICATEs.
// Leniencies upstream keeps for objects already stored that break a rule are kept too.
import { X509Certificate } from 'node:crypto';
import { deepEqual } from '../object.js';
import { checkSignature, parseCSRPem, pemBlocks } from '../x509.js';
import { isDNS1123Label, isDNS1123Subdomain } from './strings.js';
import { GoRepr } from '../field.js';
import { fieldErrors, isSet, num, obj, objs, type Errs, type FieldPath, type Obj, root, str, strs } from './util.js';

export const CSR_CONDITIONS = { approved: 'Approved', denied: 'Denied', failed: 'Failed' } as const;

export const KEY_USAGES = [
  'signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment',
  'cert sign', 'crl sign', 'encipher only', 'decipher only', 'any', 'server auth', 'client auth', 'code signing',
  'email protection', 's/mime', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing',
  'microsoft sgc', 'netscape sgc',
] as const;
const VALID_USAGES = new Set<string>(KEY_USAGES);
const SORTED_USAGES = [...KEY_USAGES].sort();

const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';
const TRUE_ONLY = new Set<string>([CSR_CONDITIONS.approved, CSR_CONDITIONS.denied, CSR_CONDITIONS.failed]);

/** A []byte field as the API carries it (base64); undefined when it is not valid base64. */
export function bytesField(v: unknown): Buffer | undefined {
  if (v === undefined || v === null) return Buffer.alloc(0);
  // encoding/json decodes []byte with base64.StdEncoding: padded, whole quanta
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) return undefined;
  return Buffer.from(v, 'base64');
}

/** Go's %#v of a []byte, as field errors print a bad request. */
const goBytes = (b: Buffer) => new GoRepr(`[]byte{${[...b].map((x) => `0x${x.toString(16)}`).join(', ')}}`);

/** ValidateSignerName (pkg/apis/core/validation): `example.com/signer-name` with DNS-shaped parts. */
export function validateSignerName(path: FieldPath, signerName: string): Errs {
  if (signerName === '') return [fieldErrors.required(path)];
  const segments = signerName.split('/');
  if (segments.length !== 2) return [fieldErrors.invalid(path, signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const [domain, rest] = segments as [string, string];
  const errs: Errs = [];
  if (domain.length > 253) errs.push(fieldErrors.tooLong(path, '', 253));
  const domainLabels = domain.split('.');
  for (const lbl of domainLabels) {
    const e = isDNS1123Label(lbl);
    if (e.length) {
      errs.push(...e.map((m) => fieldErrors.invalid(path, domain, `validating label ${JSON.stringify(lbl)}: ${m}`)));
      break;
    }
  }
  if (domainLabels.length < 2) errs.push(fieldErrors.invalid(path, domain, 'should be a domain with at least two segments separated by dots'));
  for (const lbl of rest.split('.')) {
    const e = isDNS1123Subdomain(lbl);
    if (e.length) {
      errs.push(...e.map((m) => fieldErrors.invalid(path, rest, `validating label ${JSON.stringify(lbl)}: ${m}`)));
      break;
    }
  }
  const max = 253 + (253 + 63 + 1) + 1;
  if (signerName.length > max) errs.push(fieldErrors.tooLong(path, '', max));
  return errs;
}

/** validateCertificate: every PEM block a CERTIFICATE without headers that parses, at least one. */
function certificateError(pem: Buffer): string | undefined {
  if (pem.length === 0) return undefined;
  const blocks = pemBlocks(pem.toString('latin1'));
  for (const b of blocks) {
    if (b.type !== 'CERTIFICATE') return `only CERTIFICATE PEM blocks are allowed, found ${JSON.stringify(b.type)}`;
    if (Object.keys(b.headers).length) return 'no PEM block headers are permitted';
    try {
      new X509Certificate(Buffer.from(b.bytes));
    } catch {
      return 'x509: malformed certificate';
    }
  }
  return blocks.length === 0 ? 'must contain at least one CERTIFICATE PEM block' : undefined;
}

interface Options {
  allowSettingApprovalConditions: boolean;
  allowSettingCertificate: boolean;
  allowBothApprovedAndDenied: boolean;
  allowLegacySignerName: boolean;
  allowDuplicateConditionTypes: boolean;
  allowEmptyConditionType: boolean;
  allowArbitraryCertificate: boolean;
  allowUnknownUsages: boolean;
  allowDuplicateUsages: boolean;
}

const conditionsOf = (csr: Obj): Obj[] => objs(obj(csr.status)?.conditions);
const usagesOf = (csr: Obj): string[] => strs(obj(csr.spec)?.usages);
const certificateOf = (csr: Obj): string => str(obj(csr.status)?.certificate);
const hasType = (csr: Obj, t: string) => conditionsOf(csr).some((c) => c.type === t);

function options(next: Obj, old: Obj | undefined): Options {
  const oldTypes = old ? conditionsOf(old).map((c) => str(c.type)) : [];
  const oldUsages = old ? usagesOf(old) : [];
  const oldCert = old ? bytesField(certificateOf(old)) : undefined;
  return {
    allowSettingApprovalConditions: false,
    allowSettingCertificate: false,
    allowBothApprovedAndDenied: !!old && hasType(old, CSR_CONDITIONS.approved) && hasType(old, CSR_CONDITIONS.denied),
    allowLegacySignerName: !!old && str(obj(old.spec)?.signerName) === LEGACY_UNKNOWN_SIGNER,
    allowDuplicateConditionTypes: new Set(oldTypes).size !== oldTypes.length,
    allowEmptyConditionType: oldTypes.includes(''),
    allowArbitraryCertificate: !!old && (certificateOf(next) === certificateOf(old) || (oldCert !== undefined && certificateError(oldCert) !== undefined)),
    allowUnknownUsages: oldUsages.some((u) => !VALID_USAGES.has(u)),
    allowDuplicateUsages: new Set(oldUsages).size !== oldUsages.length,
  };
}

function validateCSR(csr: Obj, opts: Options): Errs {
  const spec = obj(csr.spec) ?? {};
  const specPath = root('spec');
  const errs: Errs = [];
  const request = bytesField(spec.request) ?? Buffer.alloc(0);
  try {
    checkSignature(parseCSRPem(request.toString('latin1')));
  } catch (e) {
    errs.push(fieldErrors.invalid(specPath.child('request'), goBytes(request), (e as Error).message));
  }
  const usages = strs(spec.usages);
  if (usages.length === 0) errs.push(fieldErrors.required(specPath.child('usages')));
  if (!opts.allowUnknownUsages) {
    usages.forEach((u, i) => {
      if (!VALID_USAGES.has(u)) errs.push(fieldErrors.notSupported(specPath.child('usages').index(i), u, SORTED_USAGES));
    });
  }
  if (!opts.allowDuplicateUsages) {
    const seen = new Set<string>();
    usages.forEach((u, i) => {
      if (seen.has(u)) errs.push(fieldErrors.duplicate(specPath.child('usages').index(i), u));
      seen.add(u);
    });
  }
  const signerName = str(spec.signerName);
  if (!opts.allowLegacySignerName && signerName === LEGACY_UNKNOWN_SIGNER) {
    errs.push(fieldErrors.invalid(specPath.child('signerName'), signerName, 'the legacy signerName is not allowed via this API version'));
  } else errs.push(...validateSignerName(specPath.child('signerName'), signerName));
  if (isSet(spec.expirationSeconds) && num(spec.expirationSeconds) < 600) {
    errs.push(fieldErrors.invalid(specPath.child('expirationSeconds'), num(spec.expirationSeconds), 'may not specify a duration less than 600 seconds (10 minutes)'));
  }
  errs.push(...validateConditions(csr, opts));
  if (!opts.allowArbitraryCertificate) {
    const cert = bytesField(certificateOf(csr));
    const problem = cert === undefined ? 'illegal base64 data' : certificateError(cert);
    if (problem) errs.push(fieldErrors.invalid(root('status', 'certificate'), '<certificate data>', problem));
  }
  return errs;
}

function validateConditions(csr: Obj, opts: Options): Errs {
  const path = root('status', 'conditions');
  const errs: Errs = [];
  const seen = new Set<string>();
  let approved = false;
  let denied = false;
  conditionsOf(csr).forEach((c, i) => {
    const type = str(c.type);
    const status = str(c.status);
    if (!opts.allowEmptyConditionType && type === '') errs.push(fieldErrors.required(path.index(i).child('type')));
    const allowed = TRUE_ONLY.has(type) ? ['True'] : ['False', 'True', 'Unknown'];
    if (status === '') errs.push(fieldErrors.required(path.index(i).child('status')));
    else if (!allowed.includes(status)) errs.push(fieldErrors.notSupported(path.index(i).child('status'), status, allowed));
    if (!opts.allowBothApprovedAndDenied) {
      if (type === CSR_CONDITIONS.approved) {
        approved = true;
        if (denied) errs.push(fieldErrors.invalid(path, type, 'Approved and Denied conditions are mutually exclusive'));
      } else if (type === CSR_CONDITIONS.denied) {
        denied = true;
        if (approved) errs.push(fieldErrors.invalid(path, type, 'Approved and Denied conditions are mutually exclusive'));
      }
    }
    if (!opts.allowDuplicateConditionTypes) {
      if (seen.has(type)) errs.push(fieldErrors.duplicate(path.index(i).child('type'), type));
      seen.add(type);
    }
  });
  return errs;
}

function validateUpdate(next: Obj, old: Obj, opts: Options): Errs {
  const errs = validateCSR(next, opts);
  const path = root('status', 'conditions');
  const find = (o: Obj, t: string) => conditionsOf(o).filter((c) => c.type === t);
  for (const t of [CSR_CONDITIONS.approved, CSR_CONDITIONS.denied, CSR_CONDITIONS.failed]) {
    if (find(next, t).length < find(old, t).length) errs.push(fieldErrors.forbidden(path, `updates may not remove a condition of type ${JSON.stringify(t)}`));
  }
  if (!opts.allowSettingApprovalConditions) {
    for (const t of [CSR_CONDITIONS.approved, CSR_CONDITIONS.denied]) {
      const o = find(old, t);
      const n = find(next, t);
      if (n.length > o.length) errs.push(fieldErrors.forbidden(path, `updates may not add a condition of type ${JSON.stringify(t)}`));
      else if (n.length === o.length && !deepEqual(o, n)) {
        errs.push(fieldErrors.forbidden(path, `updates may not modify a condition of type ${JSON.stringify(t)}\n${conditionDiff(o, n)}`));
      }
    }
  }
  if (certificateOf(next) !== certificateOf(old)) {
    if (!opts.allowSettingCertificate) errs.push(fieldErrors.forbidden(root('status', 'certificate'), 'updates may not set certificate content'));
    else if (certificateOf(old) !== '') errs.push(fieldErrors.forbidden(root('status', 'certificate'), 'updates may not modify existing certificate content'));
  }
  return errs;
}

/** What changed between two lists of conditions, line by line (upstream prints a diff here). */
function conditionDiff(a: Obj[], b: Obj[]): string {
  const la = JSON.stringify(a, null, 2).split('\n');
  const lb = JSON.stringify(b, null, 2).split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] === lb[i]) out.push(`  ${la[i]}`);
    else {
      if (la[i] !== undefined) out.push(`- ${la[i]}`);
      if (lb[i] !== undefined) out.push(`+ ${lb[i]}`);
    }
  }
  return out.join('\n');
}

export const validateCertificateSigningRequestCreate = (csr: Obj): Errs => validateCSR(csr, options(csr, undefined));

export const validateCertificateSigningRequestUpdate = (csr: Obj, old: Obj): Errs => validateUpdate(csr, old, options(csr, old));

export const validateCertificateSigningRequestStatusUpdate = (csr: Obj, old: Obj): Errs =>
  validateUpdate(csr, old, { ...options(csr, old), allowSettingCertificate: true });

export const validateCertificateSigningRequestApprovalUpdate = (csr: Obj, old: Obj): Errs =>
  validateUpdate(csr, old, { ...options(csr, old), allowSettingApprovalConditions: true });

