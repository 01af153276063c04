// The HTTP(S) transport: authenticates the caller (client certificate, else a bearer token), reads the request,
// hands it to ApiHandler, and writes the answer, streaming watches chunk by chunk.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { errors, StatusError } from '../model/status.js';
import type { ApiHandler, ApiRequest, UserInfo } from './handler.js';
import { podStreamRequest, PodStreams } from './proxy.js';
import type { TokenAuthentication } from './tokenrequest.js';

export interface TlsConfig {
  cert: string;
  key: string;
  /** CA that signs client certificates; when set, clients authenticate with them. */
  clientCA: string;
}

export interface TransportOptions {
  tls?: TlsConfig;
  /** Without TLS, every caller without a bearer token is this user (tests and in-machine use only). */
  insecureUser?: UserInfo;
  /** Checks an `Authorization: Bearer` token (undefined: not one this server knows). */
  authenticateBearer?: (token: string) => Promise<TokenAuthentication | undefined>;
  maxBodyBytes?: number;
  /** Serves pods/log, exec, attach and portforward by proxying to kubelets. */
  podStreams?: PodStreams;
}

const PUBLIC_PATHS = /^\/(healthz|livez|readyz|version)(\/.*)?$/;
const DEFAULT_MAX_BODY = 3 * 1024 * 1024;

export function createApiServer(handler: ApiHandler, opts: TransportOptions): Server {
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const streamed = opts.podStreams && podStreamRequest(new URL(req.url ?? '/', 'http://local').pathname);
    if (opts.podStreams && streamed) {
      const podStreams = opts.podStreams;
      void authenticate(req, opts).then(async (user) => {
        if (!user) {
          req.resume();
          writeStatus(res, errors.unauthorized());
          return;
        }
        await podStreams.serveLog(streamed, req, res);
      }).catch((e: unknown) => {
        if (!res.headersSent) writeStatus(res, e instanceof StatusError ? e : errors.internal(e));
        else res.destroy();
      });
      return;
    }
    serve(handler, opts, req, res).catch((e: unknown) => {
      if (!res.headersSent) writeStatus(res, errors.internal(e));
      else res.destroy();
    });
  };
  const server = !opts.tls
    ? createHttpServer(listener)
    : createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.clientCA, requestCert: true, rejectUnauthorized: false }, listener);
  // exec, attach and port-forward arrive as upgrades (WebSocket or SPDY)
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const streamed = opts.podStreams && podStreamRequest(new URL(req.url ?? '/', 'http://local').pathname);
    if (!opts.podStreams || !streamed) {
      PodStreams.writeUpgradeError(socket, errors.pathNotFound());
      return;
    }
    const podStreams = opts.podStreams;
    void authenticate(req, opts).then(async (user) => {
      if (!user) {
        PodStreams.writeUpgradeError(socket, errors.unauthorized());
        return;
      }
      await podStreams.serveUpgrade(streamed, req, socket, head);
    }).catch((e: unknown) => PodStreams.writeUpgradeError(socket, e instanceof StatusError ? e : errors.internal(e)));
  });
  return server;
}

/** A connection's client certificate does not change, so its identity is worked out once. */
const identities = new WeakMap<TLSSocket, UserInfo | null>();

/**
 * The user a request acts as, as upstream's union of authenticators decides it: the verified
 * client certificate's CN and O (x509), else the bearer token's service account. A bearer token
 * that fails is a 401 even where an anonymous or insecure caller would be let in.
 */
async function authenticate(req: IncomingMessage, opts: TransportOptions): Promise<UserInfo | undefined> {
  if (opts.tls) {
    const sock = req.socket as TLSSocket;
    let id = identities.get(sock);
    if (id === undefined) identities.set(sock, (id = certificateUser(sock)));
    if (id) return id;
  }
  const token = bearerToken(req.headers.authorization);
  if (token !== undefined) {
    const r = await opts.authenticateBearer?.(token);
    return r && 'user' in r ? r.user : undefined;
  }
  return opts.tls ? undefined : opts.insecureUser;
}

/** The token of `Authorization: Bearer TOKEN` (bearertoken.go: the scheme in any case, a non-empty token). */
function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const parts = header.trim().split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  return parts[1] || undefined;
}

function certificateUser(sock: TLSSocket): UserInfo | null {
  if (!sock.authorized) return null;
  const cert = sock.getPeerCertificate();
  if (!cert?.subject) return null;
  const asList = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const cn = asList(cert.subject.CN)[0];
  if (!cn) return null;
  return { username: cn, groups: [...asList(cert.subject.O), 'system:authenticated'] };
}

async function serve(handler: ApiHandler, opts: TransportOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const user = await authenticate(req, opts);
  if (!user && !PUBLIC_PATHS.test(url.pathname)) {
    writeStatus(res, errors.unauthorized());
    req.resume();
    return;
  }
  const max = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) {
      writeStatus(res, errors.tooLarge(`limit is ${max}`));
      req.destroy();
      return;
    }
    chunks.push(c as Buffer);
  }
  const apiReq: ApiRequest = {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    body: Buffer.concat(chunks),
  };
  if (req.headers.accept) apiReq.accept = req.headers.accept;
  if (req.headers['content-type']) apiReq.contentType = req.headers['content-type'];
  if (req.headers['user-agent']) apiReq.userAgent = req.headers['user-agent'];
  if (user) apiReq.user = user;

  const answer = await handler.handle(apiReq);
  res.setHeader('Cache-Control', 'no-cache, private');
  res.setHeader('Content-Type', answer.contentType);
  if ('stream' in answer) {
    res.setHeader('Transfer-Encoding', 'chunked');
    res.writeHead(answer.status);
    res.flushHeaders();
    let ended = false;
    // Events that arrive together (one commit's worth) leave as one chunk.
    let pending: string[] = [];
    const send = () => {
      const data = pending.join('');
      pending = [];
      if (!ended && data) res.write(data);
    };
    const stop = await answer.stream({
      write: (chunk) => {
        if (ended) return;
        if (pending.length === 0) process.nextTick(send);
        pending.push(chunk);
      },
      end: () => {
        if (!ended) {
          send();
          ended = true;
          res.end();
        }
      },
    });
    const close = () => {
      ended = true;
      stop();
    };
    if (res.destroyed || res.writableEnded) close();
    else res.on('close', close);
    return;
  }
  for (const w of answer.warnings ?? []) res.appendHeader('Warning', `299 - ${JSON.stringify(w)}`);
  for (const [k, v] of Object.entries(answer.headers ?? {})) res.setHeader(k, v);
  res.writeHead(answer.status);
  res.end(req.method === 'HEAD' ? undefined : answer.body);
}

function writeStatus(res: ServerResponse, e: StatusError): void {
  res.writeHead(e.code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.end(JSON.stringify(e.toStatus()));
}
