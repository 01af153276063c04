// The pods/log, pods/exec, pods/attach and pods/portforward subresources: the API server finds
// the pod's node and proxies to that node's kubelet over HTTPS (its InternalIP and
// status.daemonEndpoints.kubeletEndpoint.Port), authenticating with its kubelet client
// certificate and verifying the kubelet's against the cluster CA. Logs are a streamed GET;
// exec, attach and port-forward are upgraded connections (WebSocket or SPDY) piped byte for byte
// once the kubelet has answered, as upstream's UpgradeAwareHandler does.
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { fieldErrors, type FieldError } from '../model/field.js';
import { errors, StatusError } from '../model/status.js';
import type { Rest } from './rest.js';

export interface KubeletClientConfig {
  cert: string;
  key: string;
  /** The CA kubelets' serving certificates are checked against. */
  ca: string;
}

export type PodStreamKind = 'log' | 'exec' | 'attach' | 'portforward';

export interface PodStreamRequest {
  namespace: string;
  name: string;
  kind: PodStreamKind;
}

const PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(log|exec|attach|portforward)\/?$/;
const DEFAULT_KUBELET_PORT = 10250;
const MAX_ERROR_BODY = 4096;

/** A request for one of the proxied pod subresources, or undefined. */
export function podStreamRequest(path: string): PodStreamRequest | undefined {
  const m = PATH.exec(path);
  if (!m) return undefined;
  return { namespace: decodeURIComponent(m[1]!), name: decodeURIComponent(m[2]!), kind: m[3] as PodStreamKind };
}

const names = (cs: { name: string }[] | undefined) => (cs ?? []).map((c) => c.name).join(' ');

/** The container a request means (upstream's streamLocation/LogLocation checks, word for word). */
export function resolveContainer(pod: Pod, name: string, asked: string): string {
  const spec = pod.spec;
  if (!asked) {
    const cs = spec?.containers ?? [];
    if (cs.length === 1) return cs[0]!.name;
    if (cs.length === 0) throw errors.badRequest(`a container name must be specified for pod ${name}`);
    let msg = `a container name must be specified for pod ${name}, choose one of: [${names(cs)}]`;
    if (spec?.initContainers?.length) msg += ` or one of the init containers: [${names(spec.initContainers)}]`;
    throw errors.badRequest(msg);
  }
  const all = [...(spec?.containers ?? []), ...(spec?.initContainers ?? []), ...(spec?.ephemeralContainers ?? [])];
  if (!all.some((c) => c.name === asked)) throw errors.badRequest(`container ${asked} is not valid for pod ${name}`);
  return asked;
}

/** ValidatePodLogOptions. */
export function validateLogOptions(q: URLSearchParams): FieldError[] {
  const errs: FieldError[] = [];
  const int = (k: string) => (q.get(k) ? Number(q.get(k)) : undefined);
  const tail = int('tailLines');
  if (tail !== undefined && tail < 0) errs.push(fieldErrors.invalid('tailLines', tail, 'must be greater than or equal to 0'));
  const limit = int('limitBytes');
  if (limit !== undefined && limit < 1) errs.push(fieldErrors.invalid('limitBytes', limit, 'must be greater than 0'));
  const since = int('sinceSeconds');
  if (since !== undefined && q.get('sinceTime')) errs.push(fieldErrors.forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  else if (since !== undefined && since < 1) errs.push(fieldErrors.invalid('sinceSeconds', since, 'must be greater than 0'));
  return errs;
}

const truthy = (q: URLSearchParams, k: string) => q.get(k) === 'true' || q.get(k) === '1';

/** The kubelet's path and query for a request (LogLocation, ExecLocation, AttachLocation, PortForwardLocation). */
export function kubeletPath(r: PodStreamRequest, container: string, q: URLSearchParams): string {
  const out = new URLSearchParams();
  const seg = (s: string) => encodeURIComponent(s);
  switch (r.kind) {
    case 'log':
      for (const k of ['follow', 'previous', 'timestamps']) if (truthy(q, k)) out.set(k, 'true');
      for (const k of ['sinceSeconds', 'sinceTime', 'tailLines', 'limitBytes']) if (q.get(k)) out.set(k, q.get(k)!);
      return `/containerLogs/${seg(r.namespace)}/${seg(r.name)}/${seg(container)}${out.size ? `?${out}` : ''}`;
    case 'exec':
    case 'attach':
      if (truthy(q, 'stdin')) out.set('input', '1');
      if (truthy(q, 'stdout')) out.set('output', '1');
      if (truthy(q, 'stderr')) out.set('error', '1');
      if (truthy(q, 'tty')) out.set('tty', '1');
      if (r.kind === 'exec') for (const c of q.getAll('command')) out.append('command', c);
      return `/${r.kind}/${seg(r.namespace)}/${seg(r.name)}/${seg(container)}?${out}`;
    case 'portforward':
      for (const p of q.getAll('ports')) out.append('port', p);
      return `/portForward/${seg(r.namespace)}/${seg(r.name)}${out.size ? `?${out}` : ''}`;
  }
}

function writeUpgradeError(socket: Duplex, e: StatusError): void {
  const body = JSON.stringify(e.toStatus());
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${e.code} ${e.reason}\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
}

/** Headers that describe one hop, not the request (RFC 7230 §6.1); Upgrade and Connection are re-added for upgrades. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'authorization']);

export class PodStreams {
  constructor(
    private readonly rest: Rest,
    private readonly kubelet: KubeletClientConfig | undefined,
  ) {}

  private async target(r: PodStreamRequest, q: URLSearchParams): Promise<{ host: string; port: number; path: string }> {
    const pod = (await this.rest.get(this.rest.resource('', 'v1', 'pods'), r.namespace, r.name)) as Pod;
    const container = r.kind === 'portforward' ? '' : resolveContainer(pod, r.name, q.get('container') ?? '');
    if (r.kind === 'log') {
      const errs = validateLogOptions(q);
      if (errs.length) throw errors.invalid({ group: '', name: 'PodLogOptions' }, r.name, errs);
    }
    if ((r.kind === 'exec' || r.kind === 'attach') && !truthy(q, 'stdin') && !truthy(q, 'stdout') && !truthy(q, 'stderr')) {
      throw errors.badRequest('you must specify at least 1 of stdin, stdout, stderr');
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw errors.badRequest(`pod ${r.name} does not have a host assigned`);
    const node = (await this.rest.get(this.rest.resource('', 'v1', 'nodes'), undefined, nodeName)) as Node;
    const addrs = node.status?.addresses ?? [];
    const host = (addrs.find((a) => a.type === 'InternalIP') ?? addrs.find((a) => a.type === 'Hostname') ?? addrs[0])?.address;
    if (!host) throw errors.internal(new Error(`no preferred addresses found; known addresses: []`));
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port || DEFAULT_KUBELET_PORT;
    if (!this.kubelet) throw errors.serviceUnavailable('the API server has no kubelet client certificate configured');
    return { host, port, path: kubeletPath(r, container, q) };
  }

  /** GET pods/log: the kubelet's answer streamed through, or its error as upstream reports it. */
  async serveLog(r: PodStreamRequest, req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    if (req.method !== 'GET') throw errors.methodNotSupported({ group: '', name: 'pods/log' }, (req.method ?? '').toLowerCase());
    const q = new URL(req.url ?? '/', 'http://local').searchParams;
    const t = await this.target(r, q);
    const kc = this.kubelet!;
    const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
      const kreq = httpsRequest({ host: t.host, port: t.port, path: t.path, method: 'GET', cert: kc.cert, key: kc.key, ca: kc.ca }, resolve);
      kreq.on('error', (e) => reject(errors.internal(new Error(`Get "https://${t.host}:${t.port}${t.path}": ${e.message}`))));
      res.on('close', () => kreq.destroy());
      kreq.end();
    });
    const code = upstream.statusCode ?? 500;
    if (code < 200 || code > 206) {
      let body = '';
      for await (const c of upstream) if (body.length < MAX_ERROR_BODY) body += (c as Buffer).toString();
      body = body.slice(0, MAX_ERROR_BODY);
      // GenericHttpResponseChecker
      if (code === 400) throw errors.badRequest(body);
      if (code === 500) throw errors.internal(new Error(body));
      throw new StatusError(code, code === 404 ? 'NotFound' : code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : 'InternalError', body);
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    upstream.pipe(res);
    res.on('close', () => upstream.destroy());
  }

  /** exec, attach, portforward: the upgrade request goes to the kubelet, then bytes flow both ways untouched. */
  async serveUpgrade(r: PodStreamRequest, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (r.kind === 'log') throw errors.badRequest('pods/log is not an upgradeable resource');
    const q = new URL(req.url ?? '/', 'http://local').searchParams;
    const t = await this.target(r, q);
    const kc = this.kubelet!;
    const backend: TLSSocket = await new Promise((resolve, reject) => {
      const s = tlsConnect({ host: t.host, port: t.port, cert: kc.cert, key: kc.key, ca: kc.ca, servername: /^[\d.]+$|:/.test(t.host) ? '' : t.host }, () => resolve(s));
      s.once('error', (e) => reject(errors.internal(new Error(`error dialing backend: ${e.message}`))));
    });
    backend.on('error', () => socket.destroy());
    socket.on('error', () => backend.destroy());
    const lines = [`${req.method ?? 'GET'} ${t.path} HTTP/1.1`, `Host: ${t.host}:${t.port}`, `Connection: Upgrade`, `Upgrade: ${req.headers.upgrade ?? ''}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i]!;
      if (!HOP.has(k.toLowerCase())) lines.push(`${k}: ${req.rawHeaders[i + 1]}`);
    }
    backend.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) backend.write(head);
    backend.pipe(socket);
    socket.pipe(backend);
    socket.on('close', () => backend.destroy());
    backend.on('close', () => socket.destroy());
  }

  static writeUpgradeError = writeUpgradeError;
}
