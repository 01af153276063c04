// One conversation with a registry: which endpoint answers (HTTPS, or plain HTTP for loopback
// registries, which dockerd treats as insecure), the challenge its /v2/ ping gave, and the
// Authorization header each request gets (Bearer tokens from the realm, per scope set, or Basic).
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { basicHeader, credentials, isLoopback, parseChallenges, type AuthConfig, type Challenge } from './auth.js';
import { errorFromResponse, netCause, RegistryError, TransportError } from './errors.js';

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16 });
// loopback registries are insecure registries: dockerd does not verify their certificates
const insecureAgent = new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false });

export const USER_AGENT = 'docker/berth (linux)';
const MAX_TEXT = 4 << 20; // dockerd's limit on manifest and config documents

export interface SendOptions {
  headers?: Record<string, string | string[]>;
  body?: Buffer | Readable;
  /** abandon the request when this signal fires */
  signal?: AbortSignal;
}

/** One HTTP exchange; the response body is left unread for the caller. */
export function send(method: string, url: URL, opts: SendOptions = {}): Promise<IncomingMessage> {
  const secure = url.protocol === 'https:';
  const agent = secure ? (isLoopback(url.host) ? insecureAgent : httpsAgent) : httpAgent;
  const mod = secure ? https : http;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { 'User-Agent': USER_AGENT, ...(opts.headers ?? {}) };
    if (Buffer.isBuffer(opts.body)) headers['Content-Length'] = String(opts.body.length);
    const req = mod.request(url, { method, headers, agent, ...(opts.signal ? { signal: opts.signal } : {}) }, resolve);
    req.setTimeout(120_000, () => req.destroy(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => reject(new TransportError(method, url.href, netCause(e, url.host))));
    if (opts.body === undefined) req.end();
    else if (Buffer.isBuffer(opts.body)) req.end(opts.body);
    else {
      const src = opts.body;
      src.on('error', (e) => req.destroy(e));
      src.pipe(req);
    }
  });
}

export async function readBody(res: IncomingMessage, limit = MAX_TEXT): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > limit) {
      res.destroy();
      throw new Error(`response body exceeds the limit of ${limit} bytes`);
    }
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts);
}

export function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads and throws the registry's error for a response that is not what was expected. */
export async function fail(res: IncomingMessage): Promise<never> {
  const body = await readBody(res, 1 << 20).catch(() => Buffer.alloc(0));
  throw errorFromResponse(res.statusCode ?? 0, res.statusMessage ?? '', body);
}

export class RegistrySession {
  private base: URL | undefined;
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, string>();
  private pinging: Promise<void> | undefined;

  constructor(
    readonly domain: string,
    readonly auth: AuthConfig | undefined,
  ) {}

  /** The endpoint that answered, e.g. http://127.0.0.1:5000 */
  get endpoint(): string {
    return this.base ? this.base.origin : `https://${this.domain}`;
  }

  /** GET /v2/ on each candidate endpoint (HTTPS first), keeping the first that speaks HTTP. */
  ping(): Promise<void> {
    this.pinging ??= (async () => {
      const candidates = [`https://${this.domain}`];
      if (isLoopback(this.domain)) candidates.push(`http://${this.domain}`);
      let last: unknown;
      for (const c of candidates) {
        const url = new URL('/v2/', c);
        try {
          const res = await send('GET', url);
          res.resume();
          this.base = new URL(c);
          if (res.statusCode === 401) {
            const cs = parseChallenges(res.headers['www-authenticate']);
            this.challenge = cs.find((x) => x.scheme === 'bearer') ?? cs.find((x) => x.scheme === 'basic');
          }
          return;
        } catch (e) {
          last = e;
        }
      }
      throw last;
    })();
    this.pinging.catch(() => (this.pinging = undefined));
    return this.pinging;
  }

  url(pathOrURL: string): URL {
    return new URL(pathOrURL, this.base ?? `https://${this.domain}`);
  }

  /** The Authorization header for a request needing `scopes`; undefined when the registry asks for none. */
  async authorization(method: string, url: URL, scopes: string[]): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    const creds = credentials(this.auth);
    if (ch.scheme === 'basic') {
      if (!creds) throw new TransportError(method, url.href, 'no basic auth credentials', false);
      return basicHeader(creds.username, creds.password);
    }
    if (this.auth?.registrytoken) return `Bearer ${this.auth.registrytoken}`;
    const key = [...scopes].sort().join(' ');
    let token = this.tokens.get(key);
    if (!token) {
      try {
        token = await this.fetchToken(ch, scopes);
      } catch (e) {
        throw new TransportError(method, url.href, e instanceof Error ? e.message : String(e), false);
      }
      this.tokens.set(key, token);
    }
    return `Bearer ${token}`;
  }

  /** The token flow: GET the realm with service and scopes (Basic credentials if any), or OAuth with an identity token. */
  private async fetchToken(ch: Challenge, scopes: string[]): Promise<string> {
    const realm = ch.params['realm'];
    if (!realm) throw new Error('no realm specified for token auth challenge');
    const creds = credentials(this.auth);
    const realmURL = new URL(realm);
    let res: IncomingMessage;
    if (this.auth?.identitytoken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.auth.identitytoken, client_id: 'docker' });
      if (ch.params['service']) form.set('service', ch.params['service']);
      if (scopes.length) form.set('scope', scopes.join(' '));
      res = await send('POST', realmURL, { headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: Buffer.from(form.toString()) });
    } else {
      if (ch.params['service']) realmURL.searchParams.set('service', ch.params['service']);
      for (const s of scopes) realmURL.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (creds) {
        realmURL.searchParams.set('account', creds.username);
        realmURL.searchParams.set('client_id', 'docker');
        realmURL.searchParams.set('offline_token', 'true');
        headers['Authorization'] = basicHeader(creds.username, creds.password);
      }
      res = await send('GET', realmURL, { headers });
    }
    if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) await fail(res);
    const body = await readBody(res);
    let doc: { token?: string; access_token?: string };
    try {
      doc = JSON.parse(body.toString()) as typeof doc;
    } catch {
      throw new Error('unable to decode token response');
    }
    const token = doc.access_token || doc.token;
    if (!token) throw new Error('authorization server did not include a token in the response');
    return token;
  }

  /** An authorized request to the registry; redirects (blob storage elsewhere) are followed without credentials. */
  async request(method: string, pathOrURL: string, scopes: string[], opts: SendOptions = {}): Promise<IncomingMessage> {
    await this.ping();
    const url = this.url(pathOrURL);
    const auth = await this.authorization(method, url, scopes);
    const headers = { ...(opts.headers ?? {}) };
    if (auth) headers['Authorization'] = auth;
    let res = await send(method, url, { ...opts, headers });
    for (let hops = 0; (method === 'GET' || method === 'HEAD') && [301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && hops < 10; hops++) {
      const loc = header(res.headers, 'location');
      if (!loc) break;
      res.resume();
      const next = new URL(loc, url);
      const h = { ...(opts.headers ?? {}) };
      if (auth && next.host === url.host) h['Authorization'] = auth;
      res = await send(method, next, { ...opts, headers: h });
    }
    return res;
  }

  /** loginV2: GET /v2/ with the credentials; anything but 200 is a failed login. */
  async login(): Promise<void> {
    await this.ping();
    const url = this.url('/v2/');
    const auth = await this.authorization('GET', url, []);
    const res = await send('GET', url, { headers: auth ? { Authorization: auth } : {} });
    res.resume();
    if (res.statusCode !== 200) {
      throw new RegistryError(res.statusCode ?? 0, [], `login attempt to ${url.href} failed with status: ${res.statusCode} ${http.STATUS_CODES[res.statusCode ?? 0] ?? ''}`);
    }
  }
}
