// Service-account tokens as kube-apiserver issues and checks them (pkg/serviceaccount): JSON Web
// Tokens signed with the cluster's service-account key (RS256 for RSA keys, ES256 for P-256
// keys), with upstream's public claims (iss, sub, aud, exp, iat, nbf, jti) and its private
// `kubernetes.io` claim naming the namespace, the account and the object the token is bound to.
// Verification is upstream's: the signature, the issuer, exp/nbf/iat with go-jose's one-minute
// leeway, and an audience shared with the API server's. What the token names must still exist
// (authn.ts looks that up); this module holds only the cryptography and the claims.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/** The issuer (--service-account-issuer) and, as upstream defaults it, the API audience. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const API_AUDIENCES = [SERVICE_ACCOUNT_ISSUER];

/** go-jose's jwt.DefaultLeeway, which upstream's claim validation uses. */
const LEEWAY_SECONDS = 60;

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  alg: 'RS256' | 'ES256';
  /** Upstream's keyIDFromPublicKey: unpadded base64url of the SHA-256 of the DER public key. */
  kid: string;
}

function keyFrom(privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  const type = privateKey.asymmetricKeyType;
  let alg: SigningKey['alg'];
  if (type === 'rsa') alg = 'RS256';
  else if (type === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') alg = 'ES256';
  else throw new Error(`service account signing key: unsupported key type ${type}${privateKey.asymmetricKeyDetails?.namedCurve ? ` (${privateKey.asymmetricKeyDetails.namedCurve})` : ''}; use RSA or EC P-256`);
  const kid = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
  return { privateKey, publicKey, alg, kid };
}

/** A signing key from a PEM private key (upstream's sa.key: RSA, or EC P-256). */
export function signingKeyFromPem(pem: string): SigningKey {
  return keyFrom(createPrivateKey(pem));
}

/** A fresh in-memory key, for API servers without a PKI (tests, the simulator). */
export function generateSigningKey(): SigningKey {
  return keyFrom(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
}

export interface ObjectRef {
  name: string;
  uid: string;
}

/** The private claim under "kubernetes.io" (claims.go's `kubernetes`). */
export interface KubernetesClaim {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: { name: string; uid?: string };
  warnafter?: number;
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti?: string;
  'kubernetes.io': KubernetesClaim;
}

const b64json = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export function signJwt(key: SigningKey, claims: object): string {
  const input = `${b64json({ alg: key.alg, kid: key.kid })}.${b64json(claims)}`;
  const sig = key.alg === 'RS256'
    ? sign('sha256', Buffer.from(input), key.privateKey)
    : sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

export type Verification =
  /** Not a token of this issuer at all (upstream's authenticator passes it on: 401 in the end). */
  | { ok: false; ours: false; error: string }
  | { ok: false; ours: true; error: string }
  | { ok: true; claims: TokenClaims };

const B64URL = /^[A-Za-z0-9_-]*$/;

function parsePart(s: string): Record<string, unknown> | undefined {
  if (!B64URL.test(s)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks a token as upstream's JWT authenticator and claim validator do, up to (not including)
 * the look-ups of the objects it names: signature by one of `keys`, issuer, time claims, audience.
 */
export function verifyJwt(token: string, keys: readonly SigningKey[], issuer: string, apiAudiences: readonly string[], nowMs: number): Verification {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, ours: false, error: 'not a JWT' };
  const header = parsePart(parts[0]!);
  const payload = parsePart(parts[1]!);
  if (!header || !payload || !B64URL.test(parts[2]!)) return { ok: false, ours: false, error: 'not a JWT' };
  if (payload.iss !== issuer) return { ok: false, ours: false, error: `issuer ${JSON.stringify(payload.iss)} is not ${issuer}` };
  const input = Buffer.from(`${parts[0]}.${parts[1]}`);
  const sig = Buffer.from(parts[2]!, 'base64url');
  const candidates = keys.filter((k) => k.alg === header.alg && (header.kid === undefined || header.kid === k.kid));
  const good = candidates.some((k) =>
    k.alg === 'RS256' ? verify('sha256', input, k.publicKey, sig) : verify('sha256', input, { key: k.publicKey, dsaEncoding: 'ieee-p1363' }, sig),
  );
  if (!good) return { ok: false, ours: true, error: 'invalid signature' };
  const now = Math.floor(nowMs / 1000);
  const num = (k: string) => (typeof payload[k] === 'number' ? (payload[k] as number) : undefined);
  const exp = num('exp');
  const nbf = num('nbf');
  const iat = num('iat');
  if (exp !== undefined && now > exp + LEEWAY_SECONDS) return { ok: false, ours: true, error: 'service account token has expired' };
  if (nbf !== undefined && now < nbf - LEEWAY_SECONDS) return { ok: false, ours: true, error: 'service account token is not valid yet' };
  if (iat !== undefined && now < iat - LEEWAY_SECONDS) return { ok: false, ours: true, error: 'service account token is issued in the future' };
  const aud = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud.filter((a): a is string => typeof a === 'string') : [];
  const tokenAuds = aud.length ? aud : [...apiAudiences];
  if (!tokenAuds.some((a) => apiAudiences.includes(a))) {
    return { ok: false, ours: true, error: `token audiences ${JSON.stringify(tokenAuds)} is invalid for the target audiences ${JSON.stringify(apiAudiences)}` };
  }
  const k = payload['kubernetes.io'] as Partial<KubernetesClaim> | undefined;
  if (!k || typeof k.namespace !== 'string' || !k.namespace) return { ok: false, ours: true, error: 'service account token claims have no namespace' };
  if (typeof k.serviceaccount?.name !== 'string' || !k.serviceaccount.name) return { ok: false, ours: true, error: 'service account token claims have no service account' };
  if (payload.sub !== serviceAccountUsername(k.namespace, k.serviceaccount.name)) return { ok: false, ours: true, error: 'service account token subject does not match its claims' };
  return { ok: true, claims: { ...(payload as unknown as TokenClaims), aud: tokenAuds } };
}

export const serviceAccountUsername = (ns: string, name: string) => `system:serviceaccount:${ns}:${name}`;
export const serviceAccountGroups = (ns: string) => ['system:serviceaccounts', `system:serviceaccounts:${ns}`];

/** The key set of /openid/v1/jwks (RFC 7517). */
export function jwks(keys: readonly SigningKey[]): { keys: Record<string, unknown>[] } {
  return { keys: keys.map((k) => ({ use: 'sig', ...(k.publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: k.kid, alg: k.alg })) };
}

/** The service-account issuer's OpenID discovery document (/.well-known/openid-configuration). */
export function openIDConfiguration(issuer: string, jwksURI: string, keys: readonly SigningKey[]): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: jwksURI,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...new Set(keys.map((k) => k.alg))].sort(),
  };
}

/**
 * The server's token signer: one key (loaded from the PKI, or made in memory the first time it is
 * needed, so in-process servers that never issue a token never pay for it), the issuer and the
 * API audiences.
 */
export class ServiceAccountSigner {
  private key?: SigningKey;
  constructor(
    private readonly source: () => SigningKey,
    readonly issuer = SERVICE_ACCOUNT_ISSUER,
    readonly audiences: readonly string[] = API_AUDIENCES,
  ) {}

  static fromPem(pem: string | undefined): ServiceAccountSigner {
    return new ServiceAccountSigner(pem ? () => signingKeyFromPem(pem) : generateSigningKey);
  }

  get keys(): SigningKey[] {
    return [(this.key ??= this.source())];
  }

  sign(claims: TokenClaims): string {
    return signJwt(this.keys[0]!, claims);
  }

  verify(token: string, nowMs: number): Verification {
    return verifyJwt(token, this.keys, this.issuer, this.audiences, nowMs);
  }
}
