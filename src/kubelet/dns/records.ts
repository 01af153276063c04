// What the cluster DNS answers, pure: from the Services and EndpointSlices, the records for one
// question, following the Kubernetes DNS specification (kubernetes/dns docs/specification.md) as
// CoreDNS's kubernetes plugin implements it:
//   <svc>.<ns>.svc.<zone>            A: the ClusterIP; headless: the ready endpoints' addresses;
//                                    ExternalName: a CNAME
//   <host>.<svc>.<ns>.svc.<zone>     A: a headless service's endpoint with that hostname (or its
//                                    dashed address, 10-1-2-3, when it has none)
//   _<port>._<proto>.<svc>.<ns>.svc.<zone>  SRV for a named port
//   <a-b-c-d>.<ns>.pod.<zone>        A: the address spelled in the name
//   <d>.<c>.<b>.<a>.in-addr.arpa     PTR for ClusterIPs and headless endpoints
// Unknown names in the zone are NXDOMAIN, known names without records of the type NODATA, both
// with the zone's SOA; names outside the zone return undefined (forwarded upstream).
import type { Reply, Record as RR, RData } from './wire.js';
import { RCODE, TYPE } from './wire.js';
import type { ServiceObj, SliceObj } from '../proxy/rules.js';
import { ipToNumber } from '../../apiserver/allocator.js';

export interface DnsView {
  zone: string;
  services: ServiceObj[];
  slices: SliceObj[];
  /** The SOA serial: changes whenever the answers may have (CoreDNS uses the last change's time). */
  serial: number;
}

/** CoreDNS's kubernetes plugin default TTL. */
export const TTL = 5;

const typeName = (t: number): RData['type'] | 'ANY' | undefined =>
  t === TYPE.A ? 'A' : t === TYPE.AAAA ? 'AAAA' : t === TYPE.SRV ? 'SRV' : t === TYPE.PTR ? 'PTR' : t === TYPE.CNAME ? 'CNAME' : t === TYPE.ANY ? 'ANY' : undefined;

export function soa(view: DnsView): RR {
  const z = view.zone;
  return { name: z, ttl: TTL, data: { type: 'SOA', mname: `ns.dns.${z}`, rname: `hostmaster.${z}`, serial: view.serial, refresh: 7200, retry: 1800, expire: 86400, minimum: TTL } };
}

interface Ep {
  ip: string;
  hostname?: string;
}

/** A headless service's endpoints, by address (ready ones, or all with publishNotReadyAddresses). */
function endpointsOf(view: DnsView, svc: ServiceObj): Ep[] {
  const out = new Map<string, Ep>();
  const all = !!svc.spec?.publishNotReadyAddresses;
  for (const s of view.slices) {
    if (s.metadata.namespace !== svc.metadata.namespace || s.metadata.labels?.['kubernetes.io/service-name'] !== svc.metadata.name || s.addressType !== 'IPv4') continue;
    for (const e of s.endpoints ?? []) {
      if (!all && e.conditions?.ready === false) continue;
      for (const ip of e.addresses ?? []) out.set(ip, { ip, ...(e.hostname ? { hostname: e.hostname } : {}) });
    }
  }
  return [...out.values()].sort((a, b) => (ipToNumber(a.ip) ?? 0) - (ipToNumber(b.ip) ?? 0));
}

/** The endpoint's label in DNS: its hostname, else its address with dashes. */
const endpointLabel = (e: Ep) => e.hostname ?? e.ip.replace(/\./g, '-');

const isHeadless = (svc: ServiceObj) => svc.spec?.clusterIP === 'None';

function serviceRecords(view: DnsView, svc: ServiceObj, name: string): RR[] {
  if (svc.spec?.type === 'ExternalName') return svc.spec.externalName ? [{ name, ttl: TTL, data: { type: 'CNAME', target: svc.spec.externalName } }] : [];
  if (isHeadless(svc)) return endpointsOf(view, svc).map((e) => ({ name, ttl: TTL, data: { type: 'A', ip: e.ip } }));
  const ips = svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec?.clusterIP ? [svc.spec.clusterIP] : [];
  return ips.map((ip) => ({ name, ttl: TTL, data: ip.includes(':') ? { type: 'AAAA', ip } : { type: 'A', ip } }));
}

/** SRV records (and the A records of their targets) for the service's ports matching port/proto ('' matches all). */
function srvRecords(view: DnsView, svc: ServiceObj, name: string, port: string, proto: string): { answers: RR[]; additional: RR[] } {
  const base = `${svc.metadata.name}.${svc.metadata.namespace}.svc.${view.zone}`;
  const ports = (svc.spec?.ports ?? []).filter((p) => (!port || p.name === port) && (!proto || (p.protocol ?? 'TCP').toLowerCase() === proto));
  const answers: RR[] = [];
  const additional: RR[] = [];
  if (svc.spec?.type === 'ExternalName') return { answers, additional };
  if (isHeadless(svc)) {
    const eps = endpointsOf(view, svc);
    const n = ports.length * eps.length;
    for (const p of ports) {
      for (const e of eps) {
        const target = `${endpointLabel(e)}.${base}`;
        answers.push({ name, ttl: TTL, data: { type: 'SRV', priority: 0, weight: Math.floor(100 / n), port: p.port, target } });
        if (!additional.some((a) => a.name === target)) additional.push({ name: target, ttl: TTL, data: { type: 'A', ip: e.ip } });
      }
    }
  } else {
    for (const p of ports) answers.push({ name, ttl: TTL, data: { type: 'SRV', priority: 0, weight: Math.floor(100 / ports.length), port: p.port, target: base } });
    additional.push(...serviceRecords(view, svc, base));
  }
  return { answers, additional };
}

function reverse(view: DnsView, name: string): RR[] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(name);
  if (!m) return undefined;
  const ip = [m[4], m[3], m[2], m[1]].join('.');
  for (const svc of view.services) {
    const base = `${svc.metadata.name}.${svc.metadata.namespace}.svc.${view.zone}`;
    if (!isHeadless(svc) && (svc.spec?.clusterIPs ?? [svc.spec?.clusterIP]).includes(ip)) return [{ name, ttl: TTL, data: { type: 'PTR', target: base } }];
    if (isHeadless(svc)) {
      const e = endpointsOf(view, svc).find((x) => x.ip === ip);
      if (e) return [{ name, ttl: TTL, data: { type: 'PTR', target: `${endpointLabel(e)}.${base}` } }];
    }
  }
  return undefined;
}

const reply = (rcode: number, answers: RR[], authority: RR[] = [], additional: RR[] = []): Reply => ({ rcode, answers, authority, additional });

/** The answer to one question, or undefined when the name is not ours (forward it). */
export function resolve(view: DnsView, qname: string, qtype: number): Reply | undefined {
  const name = qname.toLowerCase().replace(/\.$/, '');
  const want = typeName(qtype);
  const filter = (rrs: RR[]) => rrs.filter((r) => want === 'ANY' || r.data.type === want || (r.data.type === 'CNAME' && want !== 'PTR'));
  const done = (rrs: RR[], additional: RR[] = []) => {
    const a = filter(rrs);
    return a.length ? reply(RCODE.NOERROR, a, [], want === 'SRV' ? additional : []) : reply(RCODE.NOERROR, [], [soa(view)]);
  };
  const nx = () => reply(RCODE.NXDOMAIN, [], [soa(view)]);

  const ptr = reverse(view, name);
  if (ptr) return done(ptr);
  const zone = view.zone;
  if (name !== zone && !name.endsWith(`.${zone}`)) return undefined;
  if (name === zone) return qtype === TYPE.SOA ? reply(RCODE.NOERROR, [soa(view)]) : reply(RCODE.NOERROR, [], [soa(view)]);
  const labels = name.slice(0, -(zone.length + 1)).split('.');
  const kind = labels[labels.length - 1];
  const namespaces = new Set(view.services.map((s) => s.metadata.namespace));

  if (kind === 'pod') {
    // <a-b-c-d>.<ns>.pod.<zone> (CoreDNS "pods insecure": any well-formed address answers)
    if (labels.length === 1) return done([]);
    if (labels.length === 2) return done([]);
    if (labels.length !== 3) return nx();
    const ip = labels[0]!.replace(/-/g, '.');
    if (ipToNumber(ip) === undefined || labels[0]!.split('-').length !== 4) return nx();
    return done([{ name, ttl: TTL, data: { type: 'A', ip } }]);
  }
  if (kind !== 'svc') return nx();
  if (labels.length === 1) return done([]);
  const ns = labels[labels.length - 2]!;
  if (labels.length === 2) return namespaces.has(ns) ? done([]) : nx();
  const svcName = labels[labels.length - 3]!;
  const svc = view.services.find((s) => s.metadata.namespace === ns && s.metadata.name === svcName);
  if (!svc) return nx();
  const rest = labels.slice(0, -3);
  if (rest.length === 0) {
    if (want === 'SRV') {
      const s = srvRecords(view, svc, name, '', '');
      return done(s.answers, s.additional);
    }
    return done(serviceRecords(view, svc, name));
  }
  if (rest.length === 2 && rest[0]!.startsWith('_') && rest[1]!.startsWith('_')) {
    const port = rest[0]!.slice(1);
    const proto = rest[1]!.slice(1);
    const s = srvRecords(view, svc, name, port, proto);
    if (s.answers.length === 0) return nx();
    return want === 'SRV' || want === 'ANY' ? done(s.answers, s.additional) : done([]);
  }
  if (rest.length === 1 && isHeadless(svc)) {
    const e = endpointsOf(view, svc).filter((x) => endpointLabel(x) === rest[0]);
    if (e.length === 0) return nx();
    return done(e.map((x) => ({ name, ttl: TTL, data: { type: 'A', ip: x.ip } })));
  }
  return nx();
}
