// The Service proxy's rules, as kube-proxy's iptables mode writes them (pkg/proxy/iptables/
// proxier.go), computed from the Services and EndpointSlices alone: pure, so tests read the exact
// iptables-restore input. nat: KUBE-SERVICES matches each ClusterIP:port and jumps to the port's
// KUBE-SVC-* chain, which picks one ready endpoint at random (statistic --probability 1/n, 1/(n-1),
// ...) and jumps to its KUBE-SEP-* chain, which DNATs; NodePorts go KUBE-NODEPORTS → KUBE-EXT-* →
// KUBE-SVC-*. Traffic that needs SNAT (from outside the cluster CIDR, hairpin, NodePort) is marked
// 0x4000 and masqueraded in KUBE-POSTROUTING. filter: ports without endpoints are REJECTed.
import { createHash } from 'node:crypto';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../model/object.js';

export type ServiceObj = KubeObject & Service;
export type SliceObj = KubeObject & EndpointSlice;

export interface ProxyConfig {
  /** Pods' addresses: traffic to a ClusterIP from elsewhere is masqueraded (kube-proxy's --cluster-cidr). */
  clusterCIDR: string;
  /** This node (for internal/externalTrafficPolicy Local). */
  nodeName?: string;
}

export const MASQ_MARK = '0x4000';

/** The chains that always exist, per table, and the jumps into them from the built-in chains. */
export const BASE_CHAINS = {
  nat: ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'],
  filter: ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS'],
} as const;

/** iptables args (without -A/-I/-D and the table) of each jump from a built-in chain, in kube-proxy's order. */
export const JUMPS: { table: 'nat' | 'filter'; chain: string; args: string[] }[] = [
  { table: 'nat', chain: 'PREROUTING', args: ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'] },
  { table: 'nat', chain: 'OUTPUT', args: ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'] },
  { table: 'nat', chain: 'POSTROUTING', args: ['-m', 'comment', '--comment', 'kubernetes postrouting rules', '-j', 'KUBE-POSTROUTING'] },
  { table: 'filter', chain: 'INPUT', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes externally-visible service portals', '-j', 'KUBE-EXTERNAL-SERVICES'] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'comment', '--comment', 'kubernetes forwarding rules', '-j', 'KUBE-FORWARD'] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes externally-visible service portals', '-j', 'KUBE-EXTERNAL-SERVICES'] },
  { table: 'filter', chain: 'OUTPUT', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'] },
];

/** Chains of ours that come and go with services (and are deleted when stale). */
export const isDynamicChain = (c: string) => /^KUBE-(SVC|SEP|EXT|SVL)-[A-Z2-7]{16}$/.test(c);

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Go's base32.StdEncoding of a digest, as kube-proxy names chains with it. */
function base32(buf: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

const hash16 = (s: string) => base32(createHash('sha256').update(s).digest()).slice(0, 16);

/** ServicePortName.String(): ns/name, plus :port when the port is named. */
export const servicePortName = (svc: ServiceObj, port: ServicePort) => `${svc.metadata.namespace}/${svc.metadata.name}${port.name ? `:${port.name}` : ''}`;
export const svcChain = (spn: string, proto: string) => `KUBE-SVC-${hash16(spn + proto.toLowerCase())}`;
export const extChain = (spn: string, proto: string) => `KUBE-EXT-${hash16(spn + proto.toLowerCase())}`;
export const sepChain = (spn: string, proto: string, endpoint: string) => `KUBE-SEP-${hash16(spn + proto.toLowerCase() + endpoint)}`;

export interface Endpoint {
  ip: string;
  port: number;
  nodeName?: string;
}

/**
 * The endpoints a service port sends to: the ready ones of its slices; when none is ready, the
 * serving terminating ones (ProxyTerminatingEndpoints). Deduplicated, sorted by address.
 */
export function endpointsFor(svc: ServiceObj, port: ServicePort, slices: SliceObj[]): Endpoint[] {
  const proto = port.protocol ?? 'TCP';
  const ready = new Map<string, Endpoint>();
  const serving = new Map<string, Endpoint>();
  for (const s of slices) {
    if (s.metadata.namespace !== svc.metadata.namespace || s.metadata.labels?.['kubernetes.io/service-name'] !== svc.metadata.name) continue;
    if (s.addressType !== 'IPv4') continue;
    const sp = (s.ports ?? []).find((p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === proto);
    if (!sp?.port) continue;
    for (const e of s.endpoints ?? []) {
      const ip = e.addresses?.[0];
      if (!ip) continue;
      const ep: Endpoint = { ip, port: sp.port, ...(e.nodeName ? { nodeName: e.nodeName } : {}) };
      const key = `${ip}:${sp.port}`;
      const c = e.conditions ?? {};
      if (c.ready !== false) ready.set(key, ep);
      else if (c.serving === true && c.terminating === true) serving.set(key, ep);
    }
  }
  const chosen = ready.size ? ready : serving;
  return [...chosen.values()].sort((a, b) => ipNum(a.ip) - ipNum(b.ip) || a.port - b.port);
}

const ipNum = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

const comment = (c: string) => ['-m', 'comment', '--comment', JSON.stringify(c)];

export interface RuleSet {
  /** Chain name → rules (each an argument string after "-A CHAIN"), per table, in order. */
  nat: Map<string, string[]>;
  filter: Map<string, string[]>;
}

/** Every rule the proxy wants, from the cluster's Services and EndpointSlices. */
export function computeRules(services: ServiceObj[], slices: SliceObj[], cfg: ProxyConfig): RuleSet {
  const nat = new Map<string, string[]>(BASE_CHAINS.nat.map((c) => [c, []]));
  const filter = new Map<string, string[]>(BASE_CHAINS.filter.map((c) => [c, []]));
  const add = (m: Map<string, string[]>, chain: string, ...args: string[]) => {
    let l = m.get(chain);
    if (!l) m.set(chain, (l = []));
    l.push(args.join(' '));
  };
  add(nat, 'KUBE-POSTROUTING', '-m mark ! --mark', `${MASQ_MARK}/${MASQ_MARK}`, '-j RETURN');
  add(nat, 'KUBE-POSTROUTING', '-j MARK --xor-mark', MASQ_MARK);
  add(nat, 'KUBE-POSTROUTING', ...comment('kubernetes service traffic requiring SNAT'), '-j MASQUERADE --random-fully');
  add(nat, 'KUBE-MARK-MASQ', '-j MARK --or-mark', MASQ_MARK);
  add(filter, 'KUBE-FORWARD', ...comment('kubernetes forwarding rules'), '-m mark --mark', `${MASQ_MARK}/${MASQ_MARK}`, '-j ACCEPT');
  add(filter, 'KUBE-FORWARD', ...comment('kubernetes forwarding conntrack rule'), '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');

  const sorted = [...services].sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  for (const svc of sorted) {
    const spec = svc.spec ?? {};
    const type = spec.type ?? 'ClusterIP';
    if (type === 'ExternalName') continue;
    const clusterIP = spec.clusterIP && spec.clusterIP !== 'None' ? spec.clusterIP : undefined;
    const nodePorts = type === 'NodePort' || type === 'LoadBalancer';
    // headless services are DNS only
    if (!clusterIP) continue;
    for (const port of spec.ports ?? []) {
      const proto = (port.protocol ?? 'TCP').toLowerCase();
      if (proto === 'sctp') continue;
      const spn = servicePortName(svc, port);
      let eps = endpointsFor(svc, port, slices);
      if (spec.internalTrafficPolicy === 'Local' && cfg.nodeName) eps = eps.filter((e) => e.nodeName === cfg.nodeName);
      const match = (ip: string, p: number) => [`-d ${ip}/32 -p ${proto}`, ...comment(`${spn} cluster IP`), `-m ${proto} --dport ${p}`];
      const nodePort = nodePorts && port.nodePort ? port.nodePort : undefined;
      if (eps.length === 0) {
        if (clusterIP) add(filter, 'KUBE-SERVICES', `-d ${clusterIP}/32 -p ${proto}`, ...comment(`${spn} has no endpoints`), `-m ${proto} --dport ${port.port}`, '-j REJECT --reject-with icmp-port-unreachable');
        if (nodePort) add(filter, 'KUBE-EXTERNAL-SERVICES', '-m addrtype --dst-type LOCAL', `-p ${proto}`, ...comment(`${spn} has no endpoints`), `-m ${proto} --dport ${nodePort}`, '-j REJECT --reject-with icmp-port-unreachable');
        continue;
      }
      const svcC = svcChain(spn, proto);
      nat.set(svcC, []);
      if (clusterIP) {
        add(nat, 'KUBE-SERVICES', ...match(clusterIP, port.port), '-j', svcC);
        add(nat, svcC, `! -s ${cfg.clusterCIDR}`, ...match(clusterIP, port.port), '-j KUBE-MARK-MASQ');
      }
      if (nodePort) {
        const extC = extChain(spn, proto);
        add(nat, 'KUBE-NODEPORTS', `-p ${proto}`, ...comment(spn), `-m ${proto} --dport ${nodePort}`, '-j', extC);
        add(nat, extC, ...comment(`masquerade traffic for ${spn} external destinations`), '-j KUBE-MARK-MASQ');
        add(nat, extC, '-j', svcC);
      }
      eps.forEach((ep, i) => {
        const endpoint = `${ep.ip}:${ep.port}`;
        const sepC = sepChain(spn, proto, endpoint);
        const left = eps.length - i;
        add(nat, svcC, ...comment(`${spn} -> ${endpoint}`), ...(left > 1 ? ['-m statistic --mode random --probability', (1 / left).toFixed(10)] : []), '-j', sepC);
        nat.set(sepC, []);
        add(nat, sepC, `-s ${ep.ip}/32`, ...comment(spn), '-j KUBE-MARK-MASQ');
        add(nat, sepC, `-p ${proto}`, ...comment(spn), `-m ${proto}`, '-j DNAT --to-destination', endpoint);
      });
    }
  }
  add(nat, 'KUBE-SERVICES', ...comment('kubernetes service nodeports; NOTE: this must be the last rule in this chain'), '-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
  return { nat, filter };
}

/**
 * The iptables-restore --noflush input that makes the tables hold exactly `rules` in our chains:
 * declaring a chain flushes it, so the whole change is one transaction; chains we had that are no
 * longer wanted (`existing`) are flushed and deleted.
 */
export function restoreInput(rules: RuleSet, existing: { nat: string[]; filter: string[] } = { nat: [], filter: [] }): string {
  const lines: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const want = rules[table];
    const stale = existing[table].filter((c) => isDynamicChain(c) && !want.has(c));
    lines.push(`*${table}`);
    for (const c of [...want.keys(), ...stale]) lines.push(`:${c} - [0:0]`);
    for (const [c, rs] of want) for (const r of rs) lines.push(`-A ${c} ${r}`);
    for (const c of stale) lines.push(`-X ${c}`);
    lines.push('COMMIT');
  }
  return lines.join('\n') + '\n';
}

/** The input that removes every chain of ours (after the jumps into them are gone). */
export function cleanupInput(existing: { nat: string[]; filter: string[] }): string {
  const lines: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const ours = existing[table].filter((c) => isDynamicChain(c) || (BASE_CHAINS[table] as readonly string[]).includes(c));
    lines.push(`*${table}`);
    for (const c of ours) lines.push(`:${c} - [0:0]`);
    for (const c of ours) lines.push(`-X ${c}`);
    lines.push('COMMIT');
  }
  return lines.join('\n') + '\n';
}

/** The chains of a table as `iptables-save` lists them. */
export function chainsOf(save: string, table: 'nat' | 'filter'): string[] {
  const out: string[] = [];
  let inTable = false;
  for (const l of save.split('\n')) {
    if (l.startsWith('*')) inTable = l === `*${table}`;
    else if (inTable && l.startsWith(':')) out.push(l.slice(1).split(' ')[0]!);
  }
  return out;
}
