// X.509 as the certificates API needs it, without openssl: PEM blocks (Go's encoding/pem), DER
// reading and writing, PKCS#10 certificate requests parsed and their signatures checked (Go's
// x509.ParseCertificateRequest and CheckSignature), requests built for a key, and certificate
// bodies (TBSCertificate) built from a request and a template, as upstream's local signer does
// with x509.CreateCertificate. Signing itself (a private key, randomness) is the caller's.
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

// ---- PEM ---------------------------------------------------------------------------------------

export interface PemBlock {
  type: string;
  headers: Record<string, string>;
  bytes: Uint8Array;
}

const PEM_RE = /-----BEGIN ([^-\r\n]*)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** Every PEM block in the text, in order (encoding/pem: text between blocks is skipped). */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(PEM_RE)) {
    const body = m[2]!;
    const headers: Record<string, string> = {};
    let rest = body;
    const sep = /\r?\n\r?\n/.exec(body);
    if (sep && /^[^\s:]+:/.test(body)) {
      for (const line of body.slice(0, sep.index).split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      rest = body.slice(sep.index + sep[0].length);
    }
    const b64 = rest.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) continue;
    out.push({ type: m[1]!, headers, bytes: new Uint8Array(Buffer.from(b64, 'base64')) });
  }
  return out;
}

export function pemEncode(type: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}${lines.length ? '\n' : ''}-----END ${type}-----\n`;
}

// ---- DER reading -------------------------------------------------------------------------------

export class Asn1Error extends Error {}

export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number; only low tag numbers occur here). */
  tag: number;
  /** The whole element, header included. */
  raw: Uint8Array;
  content: Uint8Array;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** One DER element at `offset`, and where the next one starts. */
export function readTlv(buf: Uint8Array, offset = 0): { tlv: Tlv; next: number } {
  if (offset + 2 > buf.length) throw new Asn1Error('asn1: syntax error: data truncated');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error('asn1: structure error: high tag numbers are not supported');
  let len = buf[offset + 1]!;
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Asn1Error('asn1: syntax error: indefinite or too long length');
    if (offset + 2 + n > buf.length) throw new Asn1Error('asn1: syntax error: data truncated');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i]!;
    if (len < 0x80 || (n > 1 && buf[offset + 2] === 0)) throw new Asn1Error('asn1: structure error: non-minimal length');
    header += n;
  }
  const end = offset + header + len;
  if (end > buf.length) throw new Asn1Error('asn1: syntax error: data truncated');
  return { tlv: { tag, raw: buf.subarray(offset, end), content: buf.subarray(offset + header, end) }, next: end };
}

/** The one element the bytes hold; trailing data is an error (Go's "trailing data"). */
export function readOne(buf: Uint8Array): Tlv {
  const { tlv, next } = readTlv(buf, 0);
  if (next !== buf.length) throw new Asn1Error('asn1: syntax error: trailing data');
  return tlv;
}

/** The elements inside a constructed element. */
export function childrenOf(t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = 0; off < t.content.length; ) {
    const { tlv, next } = readTlv(t.content, off);
    out.push(tlv);
    off = next;
  }
  return out;
}

function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new Asn1Error(`asn1: structure error: tags don't match (${what})`);
  return t;
}

export function oidToString(content: Uint8Array): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < content.length; i++) {
    v = v * 128 + (content[i]! & 0x7f);
    if (!(content[i]! & 0x80)) {
      if (parts.length === 0) {
        const first = v < 80 ? Math.floor(v / 40) : 2;
        parts.push(first, v - first * 40);
      } else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

const decodeString = (t: Tlv): string => {
  if (t.tag === TAG.BMP_STRING) {
    let s = '';
    for (let i = 0; i + 1 < t.content.length; i += 2) s += String.fromCharCode((t.content[i]! << 8) | t.content[i + 1]!);
    return s;
  }
  return t.tag === TAG.T61_STRING ? Buffer.from(t.content).toString('latin1') : Buffer.from(t.content).toString('utf8');
};

// ---- DER writing -------------------------------------------------------------------------------

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

export const der = {
  tlv(tag: number, content: Uint8Array): Uint8Array {
    return concat([Uint8Array.from([tag, ...lengthBytes(content.length)]), content]);
  },
  seq: (...items: Uint8Array[]) => der.tlv(TAG.SEQUENCE, concat(items)),
  set: (...items: Uint8Array[]) => der.tlv(TAG.SET, concat(items)),
  /** An INTEGER from unsigned big-endian magnitude bytes (a leading 0 is added when the top bit is set). */
  uint(bytes: Uint8Array): Uint8Array {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    let b = bytes.subarray(i);
    if (b.length === 0) b = Uint8Array.of(0);
    if (b[0]! & 0x80) b = concat([Uint8Array.of(0), b]);
    return der.tlv(TAG.INTEGER, b);
  },
  small(n: number): Uint8Array {
    const b: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) b.unshift(v & 0xff);
    return der.uint(Uint8Array.from(b.length ? b : [0]));
  },
  bool: (v: boolean) => der.tlv(TAG.BOOLEAN, Uint8Array.of(v ? 0xff : 0)),
  null: () => Uint8Array.of(TAG.NULL, 0),
  oid(dotted: string): Uint8Array {
    const p = dotted.split('.').map(Number);
    const arcs = [p[0]! * 40 + p[1]!, ...p.slice(2)];
    const out: number[] = [];
    for (const a of arcs) {
      const chunk: number[] = [a & 0x7f];
      for (let v = Math.floor(a / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
      out.push(...chunk);
    }
    return der.tlv(TAG.OID, Uint8Array.from(out));
  },
  bitString: (bytes: Uint8Array, unusedBits = 0) => der.tlv(TAG.BIT_STRING, concat([Uint8Array.of(unusedBits), bytes])),
  octetString: (bytes: Uint8Array) => der.tlv(TAG.OCTET_STRING, bytes),
  utf8: (s: string) => der.tlv(TAG.UTF8_STRING, new Uint8Array(Buffer.from(s, 'utf8'))),
  /** Go's asn1 marshals a Name's strings as PrintableString when they fit, else UTF8String. */
  nameString: (s: string) => der.tlv(/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s) ? TAG.PRINTABLE_STRING : TAG.UTF8_STRING, new Uint8Array(Buffer.from(s, 'utf8'))),
  /** UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5), to the second. */
  time(ms: number): Uint8Array {
    const d = new Date(Math.floor(ms / 1000) * 1000);
    const y = d.getUTCFullYear();
    const two = (n: number) => String(n).padStart(2, '0');
    const rest = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
    if (y >= 1950 && y < 2050) return der.tlv(TAG.UTC_TIME, new Uint8Array(Buffer.from(`${two(y % 100)}${rest}`, 'ascii')));
    return der.tlv(TAG.GENERALIZED_TIME, new Uint8Array(Buffer.from(`${String(y).padStart(4, '0')}${rest}`, 'ascii')));
  },
  /** [n] EXPLICIT, wrapping one encoded element. */
  explicit: (n: number, inner: Uint8Array) => der.tlv(0xa0 | n, inner),
};

// ---- names and extensions ----------------------------------------------------------------------

export const OID = {
  commonName: '2.5.4.3',
  country: '2.5.4.6',
  locality: '2.5.4.7',
  province: '2.5.4.8',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  serialNumber: '2.5.4.5',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
} as const;

/** Signature algorithms Go verifies (SHA-1 ones are refused as insecure, as Go does). */
const SIGNATURE_ALGORITHMS: Record<string, { name: string; hash: string | null; key: 'RSA' | 'ECDSA' | 'Ed25519'; params?: 'null' }> = {
  '1.2.840.113549.1.1.11': { name: 'SHA256-RSA', hash: 'sha256', key: 'RSA', params: 'null' },
  '1.2.840.113549.1.1.12': { name: 'SHA384-RSA', hash: 'sha384', key: 'RSA', params: 'null' },
  '1.2.840.113549.1.1.13': { name: 'SHA512-RSA', hash: 'sha512', key: 'RSA', params: 'null' },
  '1.2.840.10045.4.3.2': { name: 'ECDSA-SHA256', hash: 'sha256', key: 'ECDSA' },
  '1.2.840.10045.4.3.3': { name: 'ECDSA-SHA384', hash: 'sha384', key: 'ECDSA' },
  '1.2.840.10045.4.3.4': { name: 'ECDSA-SHA512', hash: 'sha512', key: 'ECDSA' },
  '1.3.101.112': { name: 'Ed25519', hash: null, key: 'Ed25519' },
};
const INSECURE_SIGNATURES: Record<string, string> = { '1.2.840.113549.1.1.5': 'SHA1-RSA', '1.2.840.10045.4.1': 'ECDSA-SHA1', '1.2.840.113549.1.1.4': 'MD5-RSA' };

export interface Subject {
  commonName: string;
  organization: string[];
  organizationalUnit: string[];
  country: string[];
}

function parseName(t: Tlv): Subject {
  const s: Subject = { commonName: '', organization: [], organizationalUnit: [], country: [] };
  for (const rdn of childrenOf(expect(t, TAG.SEQUENCE, 'Name'))) {
    for (const atv of childrenOf(expect(rdn, TAG.SET, 'RelativeDistinguishedName'))) {
      const [type, value] = childrenOf(expect(atv, TAG.SEQUENCE, 'AttributeTypeAndValue'));
      const oid = oidToString(expect(type, TAG.OID, 'attribute type').content);
      if (!value) throw new Asn1Error('asn1: syntax error: attribute value missing');
      const v = decodeString(value);
      if (oid === OID.commonName) s.commonName = v;
      else if (oid === OID.organization) s.organization.push(v);
      else if (oid === OID.organizationalUnit) s.organizationalUnit.push(v);
      else if (oid === OID.country) s.country.push(v);
    }
  }
  return s;
}

/** A Name of the given attributes, one per RDN, in Go's order (C, O, OU, CN). */
export function encodeName(s: Partial<Subject>): Uint8Array {
  const rdn = (oid: string, v: string) => der.set(der.seq(der.oid(oid), der.nameString(v)));
  return der.seq(
    ...(s.country ?? []).map((v) => rdn(OID.country, v)),
    ...(s.organization ?? []).map((v) => rdn(OID.organization, v)),
    ...(s.organizationalUnit ?? []).map((v) => rdn(OID.organizationalUnit, v)),
    ...(s.commonName ? [rdn(OID.commonName, s.commonName)] : []),
  );
}

export interface SubjectAltNames {
  dnsNames: string[];
  emailAddresses: string[];
  ipAddresses: string[];
  uris: string[];
}

function formatIP(b: Uint8Array): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length !== 16) throw new Asn1Error(`x509: cannot parse IP address of length ${b.length}`);
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return [...b.subarray(12)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  // the longest run of zero groups becomes "::"
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function parseIP(s: string): Uint8Array | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const b = v4.slice(1).map(Number);
    return b.every((x) => x <= 255) ? Uint8Array.from(b) : undefined;
  }
  if (!s.includes(':')) return undefined;
  const [head, tail, extra] = s.split('::');
  if (extra !== undefined) return undefined;
  const parts = (x: string | undefined) => (x ? x.split(':') : []);
  const h = parts(head), t = parts(tail);
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  if (fill < 0 || (tail === undefined && h.length !== 8)) return undefined;
  const all = [...h, ...Array<string>(fill).fill('0'), ...t];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

function parseSANs(extnValue: Uint8Array, into: SubjectAltNames): void {
  for (const gn of childrenOf(expect(readOne(extnValue), TAG.SEQUENCE, 'GeneralNames'))) {
    const text = () => Buffer.from(gn.content).toString('latin1');
    switch (gn.tag) {
      case 0x81:
        into.emailAddresses.push(text());
        break;
      case 0x82:
        into.dnsNames.push(text());
        break;
      case 0x86:
        into.uris.push(text());
        break;
      case 0x87:
        into.ipAddresses.push(formatIP(gn.content));
        break;
    }
  }
}

/** subjectAltName's value: GeneralNames in Go's order (DNS names, emails, IPs, URIs). */
export function encodeSANs(s: Partial<SubjectAltNames>): Uint8Array {
  const ia5 = (tag: number, v: string) => der.tlv(tag, new Uint8Array(Buffer.from(v, 'latin1')));
  const ips = (s.ipAddresses ?? []).map((ip) => {
    const b = parseIP(ip);
    if (!b) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
    return der.tlv(0x87, b);
  });
  return der.seq(...(s.dnsNames ?? []).map((d) => ia5(0x82, d)), ...(s.emailAddresses ?? []).map((e) => ia5(0x81, e)), ...ips, ...(s.uris ?? []).map((u) => ia5(0x86, u)));
}

export function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return der.seq(der.oid(oid), ...(critical ? [der.bool(true)] : []), der.octetString(value));
}

// ---- certificate requests ----------------------------------------------------------------------

export interface CertificateRequest extends SubjectAltNames {
  raw: Uint8Array;
  rawInfo: Uint8Array;
  rawSubject: Uint8Array;
  /** The SubjectPublicKeyInfo, DER. */
  rawPublicKeyInfo: Uint8Array;
  subject: Subject;
  publicKeyAlgorithm: 'RSA' | 'ECDSA' | 'Ed25519' | 'unknown';
  signatureAlgorithm: string;
  signature: Uint8Array;
}

/** x509.ParseCertificateRequest: a PKCS#10 request from DER. Throws with Go's kind of message. */
export function parseCertificateRequest(bytes: Uint8Array): CertificateRequest {
  const outer = readOne(bytes);
  const [info, sigAlg, sig] = childrenOf(expect(outer, TAG.SEQUENCE, 'CertificationRequest'));
  const infoParts = childrenOf(expect(info, TAG.SEQUENCE, 'CertificationRequestInfo'));
  const [version, subject, spki, attrs] = infoParts;
  expect(version, TAG.INTEGER, 'version');
  const spkiParts = childrenOf(expect(spki, TAG.SEQUENCE, 'SubjectPublicKeyInfo'));
  const keyAlgOid = oidToString(expect(childrenOf(expect(spkiParts[0], TAG.SEQUENCE, 'AlgorithmIdentifier'))[0], TAG.OID, 'algorithm').content);
  const sans: SubjectAltNames = { dnsNames: [], emailAddresses: [], ipAddresses: [], uris: [] };
  if (attrs) {
    if (attrs.tag !== 0xa0) throw new Asn1Error("asn1: structure error: tags don't match (attributes)");
    for (const attr of childrenOf(attrs)) {
      const [type, values] = childrenOf(expect(attr, TAG.SEQUENCE, 'Attribute'));
      if (oidToString(expect(type, TAG.OID, 'attribute type').content) !== OID.extensionRequest) continue;
      for (const exts of childrenOf(expect(values, TAG.SET, 'attribute values'))) {
        for (const ext of childrenOf(expect(exts, TAG.SEQUENCE, 'Extensions'))) {
          const parts = childrenOf(expect(ext, TAG.SEQUENCE, 'Extension'));
          const id = oidToString(expect(parts[0], TAG.OID, 'extnID').content);
          const value = expect(parts[parts.length - 1], TAG.OCTET_STRING, 'extnValue').content;
          if (id === OID.subjectAltName) parseSANs(value, sans);
        }
      }
    }
  }
  const sigAlgOid = oidToString(expect(childrenOf(expect(sigAlg, TAG.SEQUENCE, 'signatureAlgorithm'))[0], TAG.OID, 'algorithm').content);
  const sigBits = expect(sig, TAG.BIT_STRING, 'signature').content;
  const algorithm = keyAlgOid === OID.rsaEncryption ? 'RSA' : keyAlgOid === OID.ecPublicKey ? 'ECDSA' : keyAlgOid === OID.ed25519 ? 'Ed25519' : 'unknown';
  return {
    raw: outer.raw,
    rawInfo: info!.raw,
    rawSubject: subject!.raw,
    rawPublicKeyInfo: spki!.raw,
    subject: parseName(subject!),
    publicKeyAlgorithm: algorithm,
    signatureAlgorithm: sigAlgOid,
    signature: sigBits.subarray(1),
    ...sans,
  };
}

export function publicKeyOf(cr: Pick<CertificateRequest, 'rawPublicKeyInfo'>): KeyObject {
  return createPublicKey({ key: Buffer.from(cr.rawPublicKeyInfo), format: 'der', type: 'spki' });
}

/** CertificateRequest.CheckSignature: the request is signed by the key it carries. */
export function checkSignature(cr: CertificateRequest): void {
  const insecure = INSECURE_SIGNATURES[cr.signatureAlgorithm];
  if (insecure) throw new Error(`x509: cannot verify signature: insecure algorithm ${insecure}`);
  const alg = SIGNATURE_ALGORITHMS[cr.signatureAlgorithm];
  if (!alg) throw new Error('x509: cannot verify signature: algorithm unimplemented');
  const keyType = cr.publicKeyAlgorithm;
  if (keyType !== alg.key) throw new Error(`x509: signature algorithm specifies an ${alg.key} public key, but have public key of type ${keyType}`);
  let key: KeyObject;
  try {
    key = publicKeyOf(cr);
  } catch {
    throw new Error('x509: failed to parse public key');
  }
  if (!verify(alg.hash, cr.rawInfo, key, cr.signature)) {
    throw new Error(alg.key === 'ECDSA' ? 'x509: ECDSA verification failure' : alg.key === 'RSA' ? 'crypto/rsa: verification error' : 'x509: Ed25519 verification failure');
  }
}

/** certificates.ParseCSR: the first PEM block must be a CERTIFICATE REQUEST that parses. */
export function parseCSRPem(pem: string): CertificateRequest {
  const block = pemBlocks(pem)[0];
  if (!block || block.type !== 'CERTIFICATE REQUEST') throw new Error('PEM block type must be CERTIFICATE REQUEST');
  return parseCertificateRequest(block.bytes);
}

/** The AlgorithmIdentifier a key signs with (SHA-256 for RSA and ECDSA P-256, as Go picks). */
export function signatureAlgorithmFor(key: KeyObject): { der: Uint8Array; hash: string | null } {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { der: der.seq(der.oid('1.2.840.113549.1.1.11'), der.null()), hash: 'sha256' };
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'secp384r1') return { der: der.seq(der.oid('1.2.840.10045.4.3.3')), hash: 'sha384' };
      if (curve === 'secp521r1') return { der: der.seq(der.oid('1.2.840.10045.4.3.4')), hash: 'sha512' };
      return { der: der.seq(der.oid('1.2.840.10045.4.3.2')), hash: 'sha256' };
    }
    case 'ed25519':
      return { der: der.seq(der.oid(OID.ed25519)), hash: null };
    default:
      throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
  }
}

/** The CertificationRequestInfo of a request for `publicKey` with this subject and SANs; sign it and pass the signature to requestDer. */
export function requestInfo(publicKeyInfo: Uint8Array, subject: Partial<Subject>, sans: Partial<SubjectAltNames>): Uint8Array {
  const hasSans = (['dnsNames', 'emailAddresses', 'ipAddresses', 'uris'] as const).some((k) => (sans[k]?.length ?? 0) > 0);
  const attrs = hasSans ? [der.seq(der.oid(OID.extensionRequest), der.set(der.seq(extension(OID.subjectAltName, false, encodeSANs(sans)))))] : [];
  return der.seq(der.small(0), encodeName(subject), publicKeyInfo, der.tlv(0xa0, concat(attrs)));
}

/** A PEM CERTIFICATE REQUEST for the key pair, signed with its private key (what `openssl req -new` writes). */
export function createCertificateRequest(privateKey: KeyObject, subject: Partial<Subject>, sans: Partial<SubjectAltNames> = {}): string {
  const spki = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));
  const info = requestInfo(spki, subject, sans);
  const alg = signatureAlgorithmFor(privateKey);
  const signature = new Uint8Array(sign(alg.hash, info, privateKey));
  return pemEncode('CERTIFICATE REQUEST', signedDer(info, alg.der, signature));
}

/** A signed object (a request or a certificate): the signed part, its algorithm and the signature. */
export function signedDer(tbs: Uint8Array, algorithm: Uint8Array, signature: Uint8Array): Uint8Array {
  return der.seq(tbs, algorithm, der.bitString(signature));
}

// ---- certificates ------------------------------------------------------------------------------

/** The parts of a CA certificate an issued certificate refers to. */
export interface IssuerInfo {
  rawSubject: Uint8Array;
  subjectKeyId?: Uint8Array;
  notAfter: number;
}

/** The issuer's subject, key identifier and expiry, from its DER certificate. */
export function issuerInfo(certDer: Uint8Array): IssuerInfo {
  const [tbs] = childrenOf(expect(readOne(certDer), TAG.SEQUENCE, 'Certificate'));
  const parts = childrenOf(expect(tbs, TAG.SEQUENCE, 'TBSCertificate'));
  const i = parts[0]?.tag === 0xa0 ? 1 : 0;
  const validity = childrenOf(expect(parts[i + 3], TAG.SEQUENCE, 'Validity'));
  const out: IssuerInfo = { rawSubject: parts[i + 4]!.raw, notAfter: parseTime(validity[1]!) };
  const exts = parts.find((p) => p.tag === 0xa3);
  if (exts) {
    for (const ext of childrenOf(childrenOf(exts)[0]!)) {
      const e = childrenOf(ext);
      if (oidToString(e[0]!.content) === OID.subjectKeyIdentifier) out.subjectKeyId = readOne(e[e.length - 1]!.content).content;
    }
  }
  return out;
}

function parseTime(t: Tlv): number {
  const s = Buffer.from(t.content).toString('ascii');
  const m = t.tag === TAG.UTC_TIME ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s) : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
  if (!m) throw new Asn1Error(`asn1: time did not parse: ${s}`);
  let y = Number(m[1]);
  if (t.tag === TAG.UTC_TIME) y += y < 50 ? 2000 : 1900;
  return Date.UTC(y, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Key usage bits, as x509.KeyUsage numbers them. */
export const KEY_USAGE_BITS = {
  digitalSignature: 0,
  contentCommitment: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  certSign: 5,
  crlSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

/** Extended key usages, in x509.ExtKeyUsage's order (which is how Go sorts them). */
export const EXT_KEY_USAGES = [
  ['any', '2.5.29.37.0'],
  ['serverAuth', '1.3.6.1.5.5.7.3.1'],
  ['clientAuth', '1.3.6.1.5.5.7.3.2'],
  ['codeSigning', '1.3.6.1.5.5.7.3.3'],
  ['emailProtection', '1.3.6.1.5.5.7.3.4'],
  ['ipsecEndSystem', '1.3.6.1.5.5.7.3.5'],
  ['ipsecTunnel', '1.3.6.1.5.5.7.3.6'],
  ['ipsecUser', '1.3.6.1.5.5.7.3.7'],
  ['timeStamping', '1.3.6.1.5.5.7.3.8'],
  ['ocspSigning', '1.3.6.1.5.5.7.3.9'],
  ['microsoftSGC', '1.3.6.1.4.1.311.10.3.3'],
  ['netscapeSGC', '2.16.840.1.113730.4.1'],
] as const;
export type ExtKeyUsage = (typeof EXT_KEY_USAGES)[number][0];

/** What upstream's signing policy puts in a certificate besides the request's subject, key and SANs. */
export interface CertificateTemplate {
  /** The serial number, unsigned big-endian. */
  serial: Uint8Array;
  notBefore: number;
  notAfter: number;
  keyUsage: number[];
  extKeyUsage: ExtKeyUsage[];
}

/** The TBSCertificate x509.CreateCertificate writes for a request signed under a template (v3, not a CA). */
export function tbsCertificate(cr: CertificateRequest, tmpl: CertificateTemplate, issuer: IssuerInfo, signatureAlgorithm: Uint8Array): Uint8Array {
  const exts: Uint8Array[] = [];
  if (tmpl.keyUsage.length) {
    const bits = [0, 0];
    for (const b of tmpl.keyUsage) bits[b >> 3] = (bits[b >> 3] ?? 0) | (0x80 >> (b & 7));
    const bytes = bits[1] ? bits : [bits[0]!];
    const last = bytes[bytes.length - 1]!;
    let unused = 0;
    while (unused < 8 && !(last & (1 << unused))) unused++;
    exts.push(extension(OID.keyUsage, true, der.bitString(Uint8Array.from(bytes), unused === 8 ? 0 : unused)));
  }
  if (tmpl.extKeyUsage.length) {
    const oids = EXT_KEY_USAGES.filter(([n]) => tmpl.extKeyUsage.includes(n)).map(([, oid]) => der.oid(oid));
    exts.push(extension(OID.extKeyUsage, false, der.seq(...oids)));
  }
  exts.push(extension(OID.basicConstraints, true, der.seq()));
  if (issuer.subjectKeyId) exts.push(extension(OID.authorityKeyIdentifier, false, der.seq(der.tlv(0x80, issuer.subjectKeyId))));
  if (cr.dnsNames.length || cr.emailAddresses.length || cr.ipAddresses.length || cr.uris.length) {
    // critical when the subject is empty (RFC 5280 4.2.1.6), as Go marks it
    const emptySubject = readOne(cr.rawSubject).content.length === 0;
    exts.push(extension(OID.subjectAltName, emptySubject, encodeSANs(cr)));
  }
  return der.seq(
    der.explicit(0, der.small(2)),
    der.uint(tmpl.serial),
    signatureAlgorithm,
    issuer.rawSubject,
    der.seq(der.time(tmpl.notBefore), der.time(tmpl.notAfter)),
    cr.rawSubject,
    cr.rawPublicKeyInfo,
    der.explicit(3, der.seq(...exts)),
  );
}
