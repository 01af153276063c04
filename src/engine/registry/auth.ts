// Registry credentials and challenges: the AuthConfig the docker CLI sends (POST /auth, and
// base64url JSON in X-Registry-Auth), and the WWW-Authenticate challenges a registry answers
// with (distribution's registry/client/auth/challenge).
import { invalidParameter } from '../errors.js';

/** registry.AuthConfig, with the CLI's JSON field names. */
export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** Username and password, also from the legacy `auth` field ("user:pass" in base64). */
export function credentials(a: AuthConfig | undefined): { username: string; password: string } | undefined {
  if (!a) return undefined;
  let { username = '', password = '' } = a;
  if (!username && !password && a.auth) {
    const plain = Buffer.from(a.auth, 'base64').toString();
    const i = plain.indexOf(':');
    if (i > 0) {
      username = plain.slice(0, i);
      password = plain.slice(i + 1);
    }
  }
  return username || password ? { username, password } : undefined;
}

/** registry.DecodeAuthConfig: an empty header is anonymous; anything unparsable is a 400. */
export function decodeRegistryAuth(header: string | string[] | undefined): AuthConfig | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return undefined;
  let json: unknown;
  try {
    // the CLI sends base64url with padding; node's decoder takes both alphabets
    json = JSON.parse(Buffer.from(v, 'base64').toString());
  } catch (e) {
    throw invalidParameter(`invalid X-Registry-Auth header: ${(e as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw invalidParameter('invalid X-Registry-Auth header: not a JSON object');
  const out: AuthConfig = {};
  for (const k of ['username', 'password', 'auth', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const) {
    const x = (json as Record<string, unknown>)[k];
    if (typeof x === 'string' && x) out[k] = x;
  }
  return out;
}

export function encodeRegistryAuth(a: AuthConfig): string {
  return Buffer.from(JSON.stringify(a)).toString('base64url');
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses WWW-Authenticate values: `Bearer realm="…",service="…",scope="…"` and `Basic realm="…"`. */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  for (const v of values) {
    let i = 0;
    const s = v.trim();
    const sp = s.search(/\s/);
    const scheme = (sp < 0 ? s : s.slice(0, sp)).toLowerCase();
    i = sp < 0 ? s.length : sp;
    const params: Record<string, string> = {};
    while (i < s.length) {
      while (i < s.length && /[\s,]/.test(s[i]!)) i++;
      const eq = s.indexOf('=', i);
      if (eq < 0) break;
      const key = s.slice(i, eq).trim().toLowerCase();
      i = eq + 1;
      let val = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          val += s[i];
          i++;
        }
        i++;
      } else {
        const end = s.slice(i).search(/[,\s]/);
        val = end < 0 ? s.slice(i) : s.slice(i, i + end);
        i = end < 0 ? s.length : i + end;
      }
      params[key] = val;
    }
    if (scheme) out.push({ scheme, params });
  }
  return out;
}

export function basicHeader(username: string, password: string): string {
  return 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64');
}

/** A repository scope for the token server: `repository:x/bb:pull,push`. */
export function repositoryScope(path: string, actions: string[]): string {
  return `repository:${path}:${actions.join(',')}`;
}

/** dockerd treats loopback registries as insecure: plain HTTP is allowed for them. */
export function isLoopback(domain: string): boolean {
  const host = domain.startsWith('[') ? domain.slice(1, domain.indexOf(']')) : domain.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
