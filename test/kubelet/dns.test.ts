// The cluster DNS's answers (pure), its wire format, the pods' resolv.conf, and the server over UDP and TCP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { resolve, type DnsView } from '../../src/kubelet/dns/records.js';
import { encodeQuery, encodeReply, parseQuery, parseReply, TYPE } from '../../src/kubelet/dns/wire.js';
import { parseResolvConf, podDNSConfig } from '../../src/kubelet/dns/config.js';
import { ClusterDns } from '../../src/kubelet/dns/server.js';
import type { ServiceObj, SliceObj } from '../../src/kubelet/proxy/rules.js';
import type { ApiClient } from '../../src/model/api.js';

const svc = (name: string, spec: Record<string, unknown>, ns = 'default'): ServiceObj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec } as ServiceObj);
const slice = (svcName: string, eps: { ip: string; ready?: boolean; hostname?: string }[], ns = 'default'): SliceObj =>
  ({ metadata: { name: `${svcName}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': svcName } }, addressType: 'IPv4', endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true }, ...(e.hostname ? { hostname: e.hostname } : {}) })), ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }) as SliceObj;

const view: DnsView = {
  zone: 'cluster.local',
  serial: 7,
  services: [
    svc('web', { clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP' }] }),
    svc('db', { clusterIP: 'None', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }),
    svc('ext', { type: 'ExternalName', externalName: 'example.com' }),
  ],
  slices: [slice('db', [{ ip: '172.17.0.3', hostname: 'db-0' }, { ip: '172.17.0.2' }, { ip: '172.17.0.9', ready: false }])],
};
const data = (r: ReturnType<typeof resolve>) => r!.answers.map((a) => `${a.data.type} ${'ip' in a.data ? a.data.ip : 'target' in a.data ? (a.data.type === 'SRV' ? `${a.data.port} ${a.data.target}` : a.data.target) : ''}`);

test('A records: ClusterIP, headless endpoints (ready only), hostnames, pods; ExternalName is a CNAME', () => {
  assert.deepEqual(data(resolve(view, 'web.default.svc.cluster.local', TYPE.A)), ['A 10.96.0.20']);
  assert.deepEqual(data(resolve(view, 'WEB.default.svc.cluster.local.', TYPE.A)), ['A 10.96.0.20']);
  assert.deepEqual(data(resolve(view, 'db.default.svc.cluster.local', TYPE.A)), ['A 172.17.0.2', 'A 172.17.0.3']);
  assert.deepEqual(data(resolve(view, 'db-0.db.default.svc.cluster.local', TYPE.A)), ['A 172.17.0.3']);
  assert.deepEqual(data(resolve(view, '172-17-0-2.db.default.svc.cluster.local', TYPE.A)), ['A 172.17.0.2']);
  assert.deepEqual(data(resolve(view, '10-1-2-3.any.pod.cluster.local', TYPE.A)), ['A 10.1.2.3']);
  assert.deepEqual(data(resolve(view, 'ext.default.svc.cluster.local', TYPE.A)), ['CNAME example.com']);
});

test('SRV: a named port of a ClusterIP service; every endpoint of a headless one, with A records added', () => {
  assert.deepEqual(data(resolve(view, '_http._tcp.web.default.svc.cluster.local', TYPE.SRV)), ['SRV 80 web.default.svc.cluster.local']);
  assert.deepEqual(data(resolve(view, 'web.default.svc.cluster.local', TYPE.SRV)), ['SRV 80 web.default.svc.cluster.local', 'SRV 9090 web.default.svc.cluster.local']);
  const h = resolve(view, '_http._tcp.db.default.svc.cluster.local', TYPE.SRV)!;
  assert.deepEqual(data(h), ['SRV 8080 172-17-0-2.db.default.svc.cluster.local', 'SRV 8080 db-0.db.default.svc.cluster.local']);
  assert.deepEqual(h.additional.map((a) => a.name), ['172-17-0-2.db.default.svc.cluster.local', 'db-0.db.default.svc.cluster.local']);
  assert.equal(resolve(view, '_nope._tcp.web.default.svc.cluster.local', TYPE.SRV)!.rcode, 3);
});

test('NXDOMAIN and NODATA carry the SOA; outside names are not ours; PTR for ClusterIPs', () => {
  const nx = resolve(view, 'nope.default.svc.cluster.local', TYPE.A)!;
  assert.equal(nx.rcode, 3);
  assert.equal(nx.authority[0]!.data.type, 'SOA');
  assert.equal(resolve(view, 'web.nons.svc.cluster.local', TYPE.A)!.rcode, 3);
  const nodata = resolve(view, 'web.default.svc.cluster.local', TYPE.AAAA)!;
  assert.equal(nodata.rcode, 0);
  assert.deepEqual(nodata.answers, []);
  assert.equal(nodata.authority.length, 1);
  assert.equal(resolve(view, 'default.svc.cluster.local', TYPE.A)!.rcode, 0);
  assert.equal(resolve(view, 'example.com', TYPE.A), undefined);
  assert.equal(resolve(view, 'web.default.svc.cluster.local.example.com', TYPE.A), undefined);
  assert.deepEqual(data(resolve(view, '20.0.96.10.in-addr.arpa', TYPE.PTR)), ['PTR web.default.svc.cluster.local']);
  assert.equal(resolve(view, '1.1.168.192.in-addr.arpa', TYPE.PTR), undefined);
});

test('wire: a query round-trips; an oversized UDP answer is truncated with TC', () => {
  const q = parseQuery(encodeQuery(99, 'Web.Default.svc.cluster.local', TYPE.A));
  assert.deepEqual(q.question, { name: 'web.default.svc.cluster.local', type: TYPE.A, class: 1 });
  const many = Array.from({ length: 60 }, (_, i) => ({ name: q.question.name, ttl: 5, data: { type: 'A' as const, ip: `10.0.0.${i}` } }));
  const msg = encodeReply(q, { rcode: 0, answers: many, authority: [], additional: [] }, { authoritative: true, limit: 512 });
  const r = parseReply(msg);
  assert.ok(msg.length <= 512);
  assert.equal(r.id, 99);
  assert.ok(r.flags & 0x0200, 'TC');
  assert.ok(r.flags & 0x0400, 'AA');
  assert.ok(r.answers.length < 60);
  assert.throws(() => parseQuery(Buffer.from([1, 2, 3])));
});

test('resolv.conf: ClusterFirst, hostNetwork, ClusterFirstWithHostNet, Default, None and dnsConfig merging', () => {
  const host = parseResolvConf('nameserver 10.0.0.53\nsearch corp.example\noptions edns0\n');
  assert.deepEqual(host, { servers: ['10.0.0.53'], searches: ['corp.example'], options: ['edns0'] });
  const s = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', host };
  const pod = (spec: Record<string, unknown>) => ({ metadata: { namespace: 'team' }, spec: { containers: [], ...spec } });
  assert.deepEqual(podDNSConfig(pod({}), s).config, { servers: ['10.96.0.10'], searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'], options: ['ndots:5'] });
  assert.equal(podDNSConfig(pod({ hostNetwork: true }), s).policy, 'Default');
  assert.equal(podDNSConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), s).policy, 'ClusterFirst');
  assert.deepEqual(podDNSConfig(pod({ dnsPolicy: 'Default' }), s).config, host);
  assert.deepEqual(podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }] } }), s).config, { servers: ['1.1.1.1'], searches: [], options: ['ndots:2'] });
  assert.deepEqual(podDNSConfig(pod({ dnsConfig: { searches: ['x.y'], options: [{ name: 'ndots', value: '1' }, { name: 'rotate' }] } }), s).config.options, ['ndots:1', 'rotate']);
  const none = podDNSConfig(pod({}), { ...s, clusterDNS: [] });
  assert.equal(none.fallback, true);
  assert.equal(none.policy, 'Default');
});

test('the server answers over UDP and TCP from its watched state and forwards other names', async (t) => {
  // a fake upstream resolver on loopback
  const upstream = createSocket('udp4');
  upstream.on('message', (m, from) => {
    const q = parseQuery(m);
    upstream.send(encodeReply(q, { rcode: 0, answers: [{ name: q.question.name, ttl: 60, data: { type: 'A', ip: '192.0.2.99' } }], authority: [], additional: [] }, { authoritative: false }), from.port, from.address);
  });
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
  t.after(() => upstream.close());
  const client = { watch: () => ({ stop() {} }), list: async () => ({ items: [], metadata: { resourceVersion: '1' } }) } as unknown as ApiClient;
  const dns = new ClusterDns(client, { host: '127.0.0.1', clusterIP: '10.96.0.10', upstream: [] });
  // the server's view is its informers' caches; fill them as a watch would
  (dns as unknown as { view: () => DnsView }).view = () => view;
  await (dns as unknown as { listen(): Promise<void> }).listen();
  t.after(() => dns.stop());
  const ask = (name: string, type: number) =>
    new Promise<ReturnType<typeof parseReply>>((res) => {
      const s = createSocket('udp4');
      s.on('message', (m) => {
        s.close();
        res(parseReply(m));
      });
      s.send(encodeQuery(7, name, type), dns.port, '127.0.0.1');
    });
  assert.deepEqual((await ask('web.default.svc.cluster.local', TYPE.A)).answers.map((a) => a.data), ['10.96.0.20']);
  // TCP: length-prefixed
  const tcp = await new Promise<ReturnType<typeof parseReply>>((res) => {
    const q = encodeQuery(8, 'db.default.svc.cluster.local', TYPE.A);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.length);
    const c = connect(dns.port, '127.0.0.1', () => c.write(Buffer.concat([len, q])));
    let buf = Buffer.alloc(0);
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        c.destroy();
        res(parseReply(buf.subarray(2)));
      }
    });
  });
  assert.deepEqual(tcp.answers.map((a) => a.data), ['172.17.0.2', '172.17.0.3']);
  // forwarding: names outside the zone go to the upstream resolver
  (dns as unknown as { opts: { upstream: string[] } }).opts.upstream = [`127.0.0.1:${(upstream.address() as { port: number }).port}`];
  const fwd = await ask('example.org', TYPE.A);
  assert.deepEqual(fwd.answers.map((a) => a.data), ['192.0.2.99']);
});
