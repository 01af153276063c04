// A small HTTPS client for the Kubernetes API, configured from a kubeconfig: JSON requests with
// keep-alive, and watch streams decoded line by line.
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';

export interface Endpoint {
  server: string;
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
}

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }[];
  users?: { name: string; user: { 'client-certificate-data'?: string; 'client-key-data'?: string; 'client-certificate'?: string; 'client-key'?: string; token?: string } }[];
}

/** The current context's server and credentials from a kubeconfig file. */
export function loadKubeconfig(path: string): Endpoint {
  const cfg = parseYaml(readFileSync(path, 'utf8')) as KubeconfigFile;
  const ctx = cfg.contexts?.find((c) => c.name === cfg['current-context'])?.context;
  const cluster = cfg.clusters?.find((c) => c.name === ctx?.cluster)?.cluster;
  const user = cfg.users?.find((u) => u.name === ctx?.user)?.user;
  if (!cluster) throw new Error(`kubeconfig ${path}: no cluster for the current context`);
  const b64 = (s?: string) => (s ? Buffer.from(s, 'base64').toString('utf8') : undefined);
  const file = (p?: string) => (p ? readFileSync(p, 'utf8') : undefined);
  const e: Endpoint = { server: cluster.server };
  const ca = b64(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']);
  const cert = b64(user?.['client-certificate-data']) ?? file(user?.['client-certificate']);
  const key = b64(user?.['client-key-data']) ?? file(user?.['client-key']);
  if (ca) e.ca = ca;
  if (cert) e.cert = cert;
  if (key) e.key = key;
  if (user?.token) e.token = user.token;
  return e;
}

export interface Response<T = unknown> {
  status: number;
  body: T;
  headers: IncomingMessage['headers'];
}

export interface RequestOptions {
  contentType?: string;
  accept?: string;
}

export class HttpClient {
  private readonly agent: HttpsAgent | HttpAgent;
  private readonly url: URL;

  constructor(readonly endpoint: Endpoint, maxSockets = 64) {
    this.url = new URL(endpoint.server);
    const common = { keepAlive: true, maxSockets };
    this.agent = this.url.protocol === 'https:'
      ? new HttpsAgent({ ...common, ...(endpoint.ca ? { ca: endpoint.ca } : {}), ...(endpoint.cert ? { cert: endpoint.cert } : {}), ...(endpoint.key ? { key: endpoint.key } : {}) })
      : new HttpAgent(common);
  }

  private open(method: string, path: string, headers: Record<string, string>, onResponse: (res: IncomingMessage) => void) {
    const req = (this.url.protocol === 'https:' ? httpsRequest : httpRequest)({
      method,
      host: this.url.hostname,
      port: this.url.port,
      path,
      agent: this.agent,
      headers: { ...headers, ...(this.endpoint.token ? { Authorization: `Bearer ${this.endpoint.token}` } : {}) },
    }, onResponse);
    return req;
  }

  /** One request; the body is sent as JSON unless it is a string. The answer is parsed when it is JSON. */
  request<T = any>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<Response<T>> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
      if (payload !== undefined) {
        headers['Content-Type'] = opts.contentType ?? 'application/json';
        headers['Content-Length'] = String(Buffer.byteLength(payload));
      }
      const req = this.open(method, path, headers, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          if ((res.headers['content-type'] ?? '').startsWith('application/json')) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T, headers: res.headers });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A watch: calls onEvent per line until the server ends it or stop() is called. */
  watch(path: string, onEvent: (ev: { type: string; object: any }) => void, onEnd: (err?: Error) => void): { stop(): void } {
    let stopped = false;
    const req = this.open('GET', path, { Accept: 'application/json' }, (res) => {
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => onEnd(new Error(`watch ${path}: ${res.statusCode} ${Buffer.concat(chunks).toString()}`)));
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) onEvent(JSON.parse(line));
        }
      });
      res.on('end', () => { if (!stopped) onEnd(); });
      res.on('error', (e) => { if (!stopped) onEnd(e); });
    });
    req.on('error', (e) => { if (!stopped) onEnd(e); });
    req.end();
    return {
      stop: () => {
        stopped = true;
        req.destroy();
      },
    };
  }

  close(): void {
    this.agent.destroy();
  }
}
