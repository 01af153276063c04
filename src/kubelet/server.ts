// The kubelet's HTTPS server on port 10250 (pkg/kubelet/server/server.go), its streaming part:
// /containerLogs/{ns}/{pod}/{container}, /exec and /attach/{ns}/{pod}/{container} over the
// WebSocket remote command protocol, /portForward/{ns}/{pod} as SPDY/3.1 tunnelled in a WebSocket
// (portforward.k8s.io) or as plain SPDY. Callers authenticate with a client certificate signed by
// the cluster CA (the API server's kube-apiserver-kubelet-client), as with upstream's x509 authn.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { WebSocketServer, type WebSocket } from 'ws';
import { nowNano } from '../engine/logs.js';
import { LABEL_POD_UID, type Runtime, type StreamingRuntime } from './runtime.js';
import { logContainerId, LogFormatter, parseLogQuery } from './streaming/logs.js';
import { REMOTECOMMAND_PROTOCOLS, serveRemoteCommand } from './streaming/remotecommand.js';
import { PORTFORWARD_WS_PROTOCOL, servePortForward, SPDY_UPGRADE, spdyOverSocket, spdyOverWebSocket } from './streaming/portforward.js';

export const KUBELET_PORT = 10250;

export interface KubeletServerOptions {
  runtime: StreamingRuntime & Pick<Runtime, 'listPodSandbox'>;
  /** The pod as the kubelet knows it (its status names the container instances). */
  getPod(namespace: string, name: string): Promise<Pod | undefined>;
  tls: { cert: string; key: string; clientCA: string };
  host?: string;
  port?: number;
  log?: (msg: string) => void;
}

export interface RunningKubeletServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error' };

interface Route {
  kind: 'containerLogs' | 'exec' | 'attach' | 'portForward';
  namespace: string;
  pod: string;
  container: string;
}

function route(path: string): Route | undefined {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [kind, namespace, pod, container, ...extra] = parts;
  if (!namespace || !pod || extra.length) return undefined;
  if (kind === 'portForward') return container === undefined ? { kind, namespace, pod, container: '' } : undefined;
  if ((kind === 'containerLogs' || kind === 'exec' || kind === 'attach') && container) return { kind, namespace, pod, container };
  return undefined;
}

const authorized = (req: IncomingMessage) => (req.socket as TLSSocket).authorized === true;

export async function startKubeletServer(opts: KubeletServerOptions): Promise<RunningKubeletServer> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => pickProtocol(offered) });
  const sockets = new Set<Duplex>();
  const server = createServer({ cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.clientCA, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    void serveHttp(opts, req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(e instanceof HttpError ? e.code : 500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(e instanceof Error ? e.message : String(e));
      } else res.destroy();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    void serveUpgrade(opts, wss, req, socket, head).catch((e: unknown) => {
      const code = e instanceof HttpError ? e.code : 500;
      const msg = e instanceof Error ? e.message : String(e);
      if (socket.writable) socket.end(`HTTP/1.1 ${code} ${REASONS[code] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(msg)}\r\nConnection: close\r\n\r\n${msg}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? KUBELET_PORT, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function pickProtocol(offered: Set<string>): string | false {
  for (const p of [...REMOTECOMMAND_PROTOCOLS, PORTFORWARD_WS_PROTOCOL]) if (offered.has(p)) return p;
  return false;
}

async function findPod(opts: KubeletServerOptions, r: Route): Promise<Pod> {
  const pod = await opts.getPod(r.namespace, r.pod);
  if (!pod) throw new HttpError(404, `pod ${JSON.stringify(r.pod)} does not exist\n`);
  return pod;
}

async function serveHttp(opts: KubeletServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!authorized(req)) throw new HttpError(401, 'Unauthorized');
  const url = new URL(req.url ?? '/', 'https://kubelet');
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('ok');
    return;
  }
  const r = route(url.pathname);
  if (!r) throw new HttpError(404, '404 page not found');
  if (r.kind !== 'containerLogs') throw new HttpError(400, `Upgrade request required`);
  if (req.method !== 'GET') throw new HttpError(405, `${req.method} is not allowed`);
  let logOpts;
  try {
    logOpts = parseLogQuery(url.searchParams, nowNano());
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
  const pod = await findPod(opts, r);
  const which = logContainerId(pod, r.container, logOpts.previous);
  if ('error' in which) throw new HttpError(400, which.error);
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  if (logOpts.limitBytes !== undefined && logOpts.limitBytes <= 0) {
    res.end();
    return;
  }
  const fmt = new LogFormatter(logOpts, (b) => res.write(b));
  await opts.runtime.containerLogs(
    which.id,
    { ...(logOpts.tailLines !== undefined ? { tail: logOpts.tailLines } : {}), follow: logOpts.follow },
    (l) => {
      if (!fmt.line(l)) abort.abort();
    },
    abort.signal,
  );
  res.end();
}

/** The runtime ID of the running instance of a container (the kubelet's GetExec/GetAttach). */
function runningContainer(pod: Pod, name: string): string {
  const all = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])];
  const st = all.find((s) => s.name === name);
  if (!st?.containerID || !st.state?.running) throw new HttpError(404, `container not found (${JSON.stringify(name)})`);
  return st.containerID.replace(/^[a-z0-9]+:\/\//, '');
}

const truthy = (q: URLSearchParams, name: string) => q.get(name) === '1' || q.get(name) === 'true';

async function serveUpgrade(opts: KubeletServerOptions, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  if (!authorized(req)) throw new HttpError(401, 'Unauthorized');
  const url = new URL(req.url ?? '/', 'https://kubelet');
  const r = route(url.pathname);
  if (!r || r.kind === 'containerLogs') throw new HttpError(404, '404 page not found');
  const pod = await findPod(opts, r);
  const isWebSocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
  const accept = () => new Promise<WebSocket>((resolve) => wss.handleUpgrade(req, socket, head, resolve));

  if (r.kind === 'portForward') {
    const sandbox = (await opts.runtime.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: pod.metadata?.uid ?? '' } })).find((s) => s.state === 'SANDBOX_READY');
    if (!sandbox) throw new HttpError(400, `pod ${JSON.stringify(r.pod)} has no running sandbox`);
    const dial = (port: number): Promise<Socket> => opts.runtime.portForward(sandbox.id, port);
    if (isWebSocket) {
      const protos = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      if (!protos.includes(PORTFORWARD_WS_PROTOCOL)) throw new HttpError(400, `unable to upgrade: no supported port-forward protocol among ${JSON.stringify(protos)}`);
      const ws = await accept();
      servePortForward(spdyOverWebSocket(ws), sandbox.id, dial, opts.log);
      return;
    }
    if ((req.headers.upgrade ?? '').toLowerCase() !== SPDY_UPGRADE.toLowerCase()) throw new HttpError(400, 'unable to upgrade: missing upgrade headers in request');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SPDY_UPGRADE}\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n`);
    servePortForward(spdyOverSocket(socket, head), sandbox.id, dial, opts.log);
    return;
  }

  // the container first: kubectl retries a failed WebSocket upgrade over SPDY and shows what that one says
  const id = runningContainer(pod, r.container);
  // (no colon-space: kubectl reads a plain-text refusal as YAML when it can)
  if (!isWebSocket) throw new HttpError(400, 'unable to upgrade - only the WebSocket remote command protocols v5.channel.k8s.io and v4.channel.k8s.io are served, not SPDY');
  const q = url.searchParams;
  const streams = { stdin: truthy(q, 'input'), stdout: truthy(q, 'output'), stderr: truthy(q, 'error'), tty: truthy(q, 'tty') };
  if (!streams.stdin && !streams.stdout && !streams.stderr) throw new HttpError(400, 'you must specify at least 1 of stdin, stdout, stderr');
  const cmd = q.getAll('command');
  if (r.kind === 'exec' && cmd.length === 0) throw new HttpError(400, 'you must specify at least one command for the container');
  const ws = await accept();
  if (r.kind === 'exec') {
    await serveRemoteCommand(ws, () => opts.runtime.exec(id, cmd, streams), cmd);
  } else {
    // an attach ends in Success whatever the container's exit code (ServeAttach)
    await serveRemoteCommand(ws, async () => {
      const p = await opts.runtime.attach(id, streams);
      return { ...p, done: p.done.then(() => undefined) };
    }, undefined);
  }
}
