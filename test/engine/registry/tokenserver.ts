// A small token server for the registry's token auth (distribution's spec/auth/token.md): it
// checks Basic credentials, grants the scopes a known user asks for (none to anonymous), and
// signs an RS256 JWT whose x5c header carries a self-signed certificate (made with openssl) that
// the registry trusts through its rootcertbundle.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SERVICE = 'berth-test-registry';
export const ISSUER = 'berth-test-issuer';

export interface TokenRequest {
  account?: string;
  scopes: string[];
  authorized: boolean;
}

export class TokenServer {
  readonly requests: TokenRequest[] = [];
  private server: Server | undefined;
  port = 0;

  private constructor(
    readonly certFile: string,
    private readonly keyPEM: string,
    private readonly certDER: Buffer,
    readonly users: Record<string, string>,
  ) {}

  get realm(): string {
    return `http://127.0.0.1:${this.port}/token`;
  }

  static async start(dir: string, users: Record<string, string>): Promise<TokenServer> {
    const key = join(dir, 'token-key.pem');
    const cert = join(dir, 'token-cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=berth-token-signer'], { stdio: 'ignore' });
    const t = new TokenServer(cert, readFileSync(key, 'utf8'), new X509Certificate(readFileSync(cert)).raw, users);
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
      let account: string | undefined;
      const h = req.headers.authorization;
      if (h?.startsWith('Basic ')) {
        const [u, ...rest] = Buffer.from(h.slice(6), 'base64').toString().split(':');
        if (t.users[u!] !== rest.join(':')) {
          t.requests.push({ account: u!, scopes, authorized: false });
          res.writeHead(401, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ details: 'incorrect username or password' }));
          return;
        }
        account = u;
      }
      t.requests.push({ ...(account ? { account } : {}), scopes, authorized: !!account });
      const access = account
        ? scopes.map((s) => {
            const [type, name, actions] = s.split(':');
            return { type, name, actions: (actions ?? '').split(',').filter(Boolean) };
          })
        : [];
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: t.jwt(account ?? '', access), expires_in: 300, issued_at: new Date().toISOString() }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    t.server = server;
    t.port = (server.address() as { port: number }).port;
    return t;
  }

  private jwt(subject: string, access: unknown[]): string {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const head = b64({ typ: 'JWT', alg: 'RS256', x5c: [this.certDER.toString('base64')] });
    const claims = b64({ iss: ISSUER, sub: subject, aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access });
    const sig = sign('sha256', Buffer.from(`${head}.${claims}`), createPrivateKey(this.keyPEM)).toString('base64url');
    return `${head}.${claims}.${sig}`;
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
