// The cluster DNS server: UDP and TCP on one of this host's addresses, answering from the
// Services and EndpointSlices it watches (records.ts) and forwarding other names to the host's
// resolvers. Pods reach it through the `kube-dns` Service in kube-system, whose ClusterIP is the
// conventional 10th address of the service range: that Service has no selector, and its
// EndpointSlice, written here, names this server's real address and port, so the Service proxy
// DNATs 10.96.0.10:53 to it like any other Service (no extra address on any interface, and the
// server need not own port 53 on the host).
import { createSocket, type Socket } from 'node:dgram';
import { createServer, Socket as TcpSocket, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import { R, type ApiClient } from '../../model/api.js';
import type { KubeObject } from '../../model/object.js';
import { StatusError } from '../../model/status.js';
import { Informer } from '../../client/informer.js';
import { resolve, type DnsView } from './records.js';
import { encodeReply, parseQuery, RCODE, type Query } from './wire.js';
import type { ServiceObj, SliceObj } from '../proxy/rules.js';

export const CLUSTER_DOMAIN = 'cluster.local';
export const DNS_SERVICE = { namespace: 'kube-system', name: 'kube-dns' };
const MANAGED_BY = 'berth-cluster-dns';

export interface DnsServerOptions {
  /** The host address to listen on (pods and the host reach it; the proxy DNATs to it). */
  host: string;
  /** 0: any free port (the same for UDP and TCP). */
  port?: number;
  /** The kube-dns Service's ClusterIP. */
  clusterIP: string;
  zone?: string;
  /** Resolvers ("ip" or "ip:port") for names outside the zone (default: the host's /etc/resolv.conf). */
  upstream?: string[];
  log?: (msg: string) => void;
}

/** The host's nameservers, loopback ones included (this process runs on the host). */
export function hostResolvers(): string[] {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8')
      .split('\n')
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
      .filter((s): s is string => !!s && s.includes('.'));
  } catch {
    return [];
  }
}

/** The kube-dns Service (kubeadm's CoreDNS addon's, without a selector: its endpoint is this process). */
export function dnsService(clusterIP: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: DNS_SERVICE.name, namespace: DNS_SERVICE.namespace, labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' } },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      clusterIPs: [clusterIP],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
      sessionAffinity: 'None',
    },
  } as KubeObject;
}

export function dnsEndpointSlice(host: string, port: number, nodeName?: string): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: DNS_SERVICE.name, namespace: DNS_SERVICE.namespace, labels: { 'kubernetes.io/service-name': DNS_SERVICE.name, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [host], conditions: { ready: true, serving: true, terminating: false }, ...(nodeName ? { nodeName } : {}) }],
    ports: [
      { name: 'dns', port, protocol: 'UDP' },
      { name: 'dns-tcp', port, protocol: 'TCP' },
    ],
  } as KubeObject;
}

export class ClusterDns {
  private readonly services: Informer;
  private readonly slices: Informer;
  private udp?: Socket;
  private tcp?: Server;
  private readonly conns = new Set<TcpSocket>();
  private serial = Math.floor(Date.now() / 1000);
  port = 0;

  constructor(
    private readonly client: ApiClient,
    private readonly opts: DnsServerOptions,
  ) {
    this.services = new Informer(client, R.services);
    this.slices = new Informer(client, R.endpointslices);
    const bump = () => (this.serial = Math.max(this.serial + 1, Math.floor(Date.now() / 1000)));
    this.services.on(bump);
    this.slices.on(bump);
  }

  get zone(): string {
    return this.opts.zone ?? CLUSTER_DOMAIN;
  }

  view(): DnsView {
    return { zone: this.zone, services: this.services.list() as ServiceObj[], slices: this.slices.list() as SliceObj[], serial: this.serial >>> 0 };
  }

  async start(nodeName?: string): Promise<void> {
    await Promise.all([this.services.start(), this.slices.start()]);
    await this.listen();
    await this.publish(nodeName);
  }

  private async listen(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket('udp4');
      udp.on('message', (msg, from) => void this.answer(msg, 'udp').then((r) => r && udp.send(r, from.port, from.address)));
      await new Promise<void>((res, rej) => {
        udp.once('error', rej);
        udp.bind(this.opts.port ?? 0, this.opts.host, () => {
          udp.off('error', rej);
          res();
        });
      });
      udp.on('error', (e) => this.opts.log?.(`dns: ${e.message}`));
      const port = udp.address().port;
      const tcp = createServer((sock) => this.serveTcp(sock));
      try {
        await new Promise<void>((res, rej) => {
          tcp.once('error', rej);
          tcp.listen(port, this.opts.host, () => {
            tcp.off('error', rej);
            res();
          });
        });
      } catch (e) {
        udp.close();
        // the UDP port was free but not the TCP one: try another
        if (this.opts.port || attempt >= 5) throw e;
        continue;
      }
      this.udp = udp;
      this.tcp = tcp;
      this.port = port;
      return;
    }
  }

  /** Creates (or points at us) the kube-dns Service and its EndpointSlice. */
  private async publish(nodeName?: string): Promise<void> {
    const svc = dnsService(this.opts.clusterIP);
    // Look first: creating it again would fail on its cluster IP (allocated before the name is checked, as upstream).
    const existing = await this.client.get(R.services, DNS_SERVICE.namespace, DNS_SERVICE.name).catch((e: unknown) => {
      if (StatusError.is(e, 'NotFound')) return undefined;
      throw e;
    });
    if (!existing) {
      try {
        await this.client.create(R.services, DNS_SERVICE.namespace, svc);
      } catch (e) {
        if (!StatusError.is(e, 'AlreadyExists')) throw e;
      }
    }
    const slice = dnsEndpointSlice(this.opts.host, this.port, nodeName);
    try {
      const cur = await this.client.get(R.endpointslices, DNS_SERVICE.namespace, DNS_SERVICE.name);
      await this.client.update(R.endpointslices, DNS_SERVICE.namespace, { ...slice, metadata: { ...slice.metadata, resourceVersion: cur.metadata.resourceVersion } } as KubeObject);
    } catch (e) {
      if (!StatusError.is(e, 'NotFound')) throw e;
      await this.client.create(R.endpointslices, DNS_SERVICE.namespace, slice);
    }
  }

  private serveTcp(sock: TcpSocket): void {
    this.conns.add(sock);
    sock.on('close', () => this.conns.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.setTimeout(10_000, () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.answer(msg, 'tcp').then((r) => {
          if (!r || sock.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(r.length);
          sock.write(Buffer.concat([len, r]));
        });
      }
    });
  }

  /** The response to one message, or undefined to say nothing (not a query). */
  async answer(msg: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let q: Query;
    try {
      q = parseQuery(msg);
    } catch {
      return undefined;
    }
    const limit = transport === 'udp' ? q.udpSize : 65535;
    if (((q.flags >> 11) & 15) !== 0) return encodeReply(q, { rcode: RCODE.NOTIMP, answers: [], authority: [], additional: [] }, { authoritative: false, limit });
    const r = resolve(this.view(), q.question.name, q.question.type);
    if (r) return encodeReply(q, r, { authoritative: true, limit });
    const fwd = await forward(msg, transport, this.opts.upstream ?? hostResolvers());
    return fwd ?? encodeReply(q, { rcode: RCODE.SERVFAIL, answers: [], authority: [], additional: [] }, { authoritative: false, limit });
  }

  async stop(): Promise<void> {
    this.services.stop();
    this.slices.stop();
    this.udp?.close();
    for (const c of this.conns) c.destroy();
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
  }
}

/** "ip" or "ip:port" (IPv4) of an upstream resolver. */
function hostPort(server: string): [string, number] {
  const m = /^([\d.]+):(\d+)$/.exec(server);
  return m ? [m[1]!, Number(m[2])] : [server, 53];
}

/** Asks the upstream resolvers in turn (2 s each), over the transport the client used. */
async function forward(msg: Buffer, transport: 'udp' | 'tcp', servers: string[]): Promise<Buffer | undefined> {
  for (const server of servers) {
    const r = transport === 'udp' ? await forwardUdp(msg, server) : await forwardTcp(msg, server);
    if (r) return r;
  }
  return undefined;
}

function forwardUdp(msg: Buffer, server: string): Promise<Buffer | undefined> {
  return new Promise((res) => {
    const s = createSocket('udp4');
    const done = (r: Buffer | undefined) => {
      clearTimeout(timer);
      s.close();
      res(r);
    };
    const timer = setTimeout(() => done(undefined), 2000);
    s.on('message', (reply) => done(reply));
    s.on('error', () => done(undefined));
    const [host, port] = hostPort(server);
    s.send(msg, port, host);
  });
}

function forwardTcp(msg: Buffer, server: string): Promise<Buffer | undefined> {
  return new Promise((res) => {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length);
    const s = new TcpSocket();
    let buf = Buffer.alloc(0);
    const done = (r: Buffer | undefined) => {
      clearTimeout(timer);
      s.destroy();
      res(r);
    };
    const timer = setTimeout(() => done(undefined), 2000);
    s.on('error', () => done(undefined));
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    const [host, port] = hostPort(server);
    s.connect(port, host, () => s.write(Buffer.concat([len, msg])));
  });
}
