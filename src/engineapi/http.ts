// The Docker Engine API's HTTP transport over a unix socket, on node's http module: routing with
// the optional /v1.NN prefix, dockerd's version middleware (negotiation and its errors), upstream's
// error JSON and status codes, and connection hijacking for attach and exec.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { EngineError, type ErrorKind } from '../engine/errors.js';

export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.24';

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

const STATUS: Record<ErrorKind, number> = {
  notFound: 404,
  invalidParameter: 400,
  conflict: 409,
  notModified: 304,
  forbidden: 403,
  unavailable: 503,
  notImplemented: 501,
  system: 500,
};

export function statusOf(e: unknown): number {
  return e instanceof EngineError ? STATUS[e.kind] : 500;
}

/** What a handler gets for one request. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** the API version in effect (the path's, or the server's own) */
  version: string;
  body(): Promise<Buffer>;
  json<T>(): Promise<T>;
  /** for routes that take over the connection (attach, exec start); set only on upgrade requests */
  upgrade?: { socket: Duplex; head: Buffer };
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

interface Route {
  method: string;
  re: RegExp;
  keys: string[];
  handler: Handler;
  hijack: boolean;
}

/** httputils.BoolValue: anything but "", "0", "no", "false", "none" is true. */
export function boolValue(q: URLSearchParams, key: string): boolean {
  const v = (q.get(key) ?? '').trim().toLowerCase();
  return !['', '0', 'no', 'false', 'none'].includes(v);
}

/** httputils.BoolValueOrDefault. */
export function boolOr(q: URLSearchParams, key: string, d: boolean): boolean {
  return q.has(key) ? boolValue(q, key) : d;
}

export function writeJSON(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function writeError(res: ServerResponse, e: unknown): void {
  const status = statusOf(e);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (status === 304) {
    res.writeHead(304);
    res.end();
    return;
  }
  writeJSON(res, status, { message: e instanceof Error ? e.message : String(e) });
}

export class ApiServer {
  private readonly routes: Route[] = [];
  private server: Server | undefined;

  constructor(
    readonly serverVersion: string,
    readonly experimental = false,
  ) {}

  private add(method: string, pattern: string, handler: Handler, hijack: boolean): void {
    const keys: string[] = [];
    const re = new RegExp(
      '^' +
        pattern.replace(/\{(\w+)(\*)?\}/g, (_, k: string, star?: string) => {
          keys.push(k);
          return star ? '(.+)' : '([^/]+)';
        }) +
        '$',
    );
    this.routes.push({ method, re, keys, handler, hijack });
  }

  get(p: string, h: Handler): void {
    this.add('GET', p, h, false);
  }
  head(p: string, h: Handler): void {
    this.add('HEAD', p, h, false);
  }
  post(p: string, h: Handler): void {
    this.add('POST', p, h, false);
  }
  put(p: string, h: Handler): void {
    this.add('PUT', p, h, false);
  }
  delete(p: string, h: Handler): void {
    this.add('DELETE', p, h, false);
  }
  /** A POST that hijacks the connection when the client asks for an upgrade. */
  hijack(p: string, h: Handler): void {
    this.add('POST', p, h, true);
  }

  private headers(res: { setHeader(k: string, v: string): unknown }): void {
    res.setHeader('Api-Version', API_VERSION);
    res.setHeader('Docker-Experimental', String(this.experimental));
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', `Docker/${this.serverVersion} (linux)`);
  }

  /** Finds the route and checks the API version, as dockerd's router and VersionMiddleware do. */
  private resolve(method: string, rawUrl: string): { route: Route; params: Record<string, string>; query: URLSearchParams; version: string } | { error: EngineError | 'notFound' } {
    const url = new URL(rawUrl, 'http://d');
    let path = url.pathname;
    let version = '';
    const m = /^\/v([0-9.]+)(\/.*)$/.exec(path);
    if (m) {
      version = m[1]!;
      path = m[2]!;
    }
    const candidates = this.routes.filter((r) => r.re.test(path));
    const route = candidates.find((r) => r.method === method || (method === 'HEAD' && r.method === 'GET' && !candidates.some((c) => c.method === 'HEAD')));
    if (!route) return { error: 'notFound' };
    const eff = version || API_VERSION;
    if (compareVersions(eff, MIN_API_VERSION) < 0) {
      return { error: new EngineError('invalidParameter', `client version ${eff} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`) };
    }
    if (compareVersions(eff, API_VERSION) > 0) {
      return { error: new EngineError('invalidParameter', `client version ${eff} is too new. Maximum supported API version is ${API_VERSION}`) };
    }
    const mm = route.re.exec(path)!;
    const params: Record<string, string> = {};
    route.keys.forEach((k, i) => (params[k] = decodeURIComponent(mm[i + 1]!)));
    return { route, params, query: url.searchParams, version: eff };
  }

  private ctx(req: IncomingMessage, res: ServerResponse, r: { params: Record<string, string>; query: URLSearchParams; version: string }, upgrade?: { socket: Duplex; head: Buffer }): Ctx {
    let body: Promise<Buffer> | undefined;
    const readBody = (): Promise<Buffer> => {
      if (upgrade) {
        // the body of an upgrade request arrives ahead of the raw stream: take exactly its length
        const len = Number(req.headers['content-length'] ?? 0);
        const got = upgrade.head.subarray(0, len);
        upgrade.head = upgrade.head.subarray(got.length);
        if (got.length >= len) return Promise.resolve(got);
        return new Promise((resolve) => {
          const parts = [got];
          let n = got.length;
          const onData = (d: Buffer) => {
            const need = len - n;
            parts.push(d.subarray(0, need));
            n += Math.min(need, d.length);
            if (d.length > need) upgrade.head = Buffer.concat([upgrade.head, d.subarray(need)]);
            if (n >= len) {
              upgrade.socket.off('data', onData);
              upgrade.socket.pause();
              resolve(Buffer.concat(parts));
            }
          };
          upgrade.socket.on('data', onData);
          upgrade.socket.resume();
        });
      }
      return new Promise((resolve, reject) => {
        const parts: Buffer[] = [];
        req.on('data', (d: Buffer) => parts.push(d));
        req.on('end', () => resolve(Buffer.concat(parts)));
        req.on('error', reject);
      });
    };
    return {
      req,
      res,
      params: r.params,
      query: r.query,
      version: r.version,
      body: () => (body ??= readBody()),
      json: async <T>() => {
        const b = await (body ??= readBody());
        if (b.length === 0) return {} as T;
        try {
          return JSON.parse(b.toString()) as T;
        } catch (e) {
          throw new EngineError('invalidParameter', (e as Error).message);
        }
      },
      ...(upgrade ? { upgrade } : {}),
    };
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.headers(res);
    const r = this.resolve(req.method ?? 'GET', req.url ?? '/');
    if ('error' in r) {
      if (r.error === 'notFound') {
        writeJSON(res, 404, { message: 'page not found' });
        return;
      }
      writeError(res, r.error);
      return;
    }
    try {
      await r.route.handler(this.ctx(req, res, r));
    } catch (e) {
      writeError(res, e);
    }
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    const r = this.resolve(req.method ?? 'GET', req.url ?? '/');
    const fail = (status: number, msg: string) => {
      socket.end(`HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: application/json\r\nApi-Version: ${API_VERSION}\r\n\r\n${JSON.stringify({ message: msg })}\n`);
    };
    if ('error' in r) {
      if (r.error === 'notFound') fail(404, 'page not found');
      else fail(statusOf(r.error), r.error.message);
      return;
    }
    if (!r.route.hijack) {
      fail(400, 'upgrade not supported on this endpoint');
      return;
    }
    const fakeRes = { headersSent: false } as unknown as ServerResponse;
    try {
      await r.route.handler(this.ctx(req, fakeRes, r, { socket, head }));
    } catch (e) {
      if (socket.writable) fail(statusOf(e), e instanceof Error ? e.message : String(e));
    }
  }

  listen(socketPath: string): Promise<void> {
    if (existsSync(socketPath)) rmSync(socketPath);
    const server = createServer({ keepAlive: true }, (req, res) => void this.onRequest(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.onUpgrade(req, socket, head));
    server.keepAliveTimeout = 0;
    server.requestTimeout = 0;
    server.headersTimeout = 0;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        chmodSync(socketPath, 0o660);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

export function statusText(code: number): string {
  return (
    { 101: 'Switching Protocols', 200: 'OK', 304: 'Not Modified', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable' } as Record<number, string>
  )[code] ?? 'Error';
}

/** Takes over an upgrade connection: the 101 response dockerd writes before the raw stream. */
export function upgraded(socket: Duplex, contentType = 'application/vnd.docker.raw-stream'): void {
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: ${API_VERSION}\r\n\r\n`);
}
