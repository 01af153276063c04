// A pod's resolv.conf as the kubelet decides it (pkg/kubelet/network/dns/dns.go GetPodDNS), pure:
// ClusterFirst points at the cluster DNS with the pod's namespace first in the search path and
// ndots:5; hostNetwork pods use the host's unless ClusterFirstWithHostNet; Default is the host's;
// None is only what spec.dnsConfig says; spec.dnsConfig is merged into all of them.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { DNSConfig } from '../runtime.js';

export interface ClusterDnsSettings {
  /** The cluster DNS Service's address(es) (kubelet's --cluster-dns); empty: none configured. */
  clusterDNS: string[];
  clusterDomain: string;
  /** The host's resolv.conf, for Default and for the search domains ClusterFirst appends. */
  host: DNSConfig;
}

/** Upstream's limits (validation.MaxDNSSearchPaths and the nameserver count glibc reads). */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

/** The pod's DNS configuration; `fallback` says ClusterFirst fell back to Default for want of a cluster DNS. */
export function podDNSConfig(pod: Pod & { metadata?: { namespace?: string } }, s: ClusterDnsSettings): { config: DNSConfig; policy: 'ClusterFirst' | 'Default' | 'None'; fallback: boolean } {
  const spec = pod.spec ?? { containers: [] };
  let policy: string = spec.dnsPolicy ?? 'ClusterFirst';
  let fallback = false;
  if (policy === 'ClusterFirst' && spec.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  if (policy === 'ClusterFirst' && s.clusterDNS.length === 0) {
    policy = 'Default';
    fallback = true;
  }
  let base: DNSConfig;
  if (policy === 'None') base = { servers: [], searches: [], options: [] };
  else if (policy === 'Default') base = { servers: [...s.host.servers], searches: [...s.host.searches], options: [...s.host.options] };
  else {
    const ns = pod.metadata?.namespace ?? 'default';
    const z = s.clusterDomain;
    base = { servers: [...s.clusterDNS], searches: [`${ns}.svc.${z}`, `svc.${z}`, z, ...s.host.searches.filter((d) => d !== '.')], options: ['ndots:5'] };
  }
  const extra = spec.dnsConfig;
  if (extra) {
    base.servers = [...new Set([...base.servers, ...(extra.nameservers ?? [])])];
    base.searches = [...new Set([...base.searches, ...(extra.searches ?? [])])];
    // an option named again replaces the earlier one (mergeDNSOptions)
    const opts = new Map<string, string>();
    for (const o of base.options) opts.set(o.split(':')[0]!, o);
    for (const o of extra.options ?? []) if (o.name) opts.set(o.name, o.value !== undefined ? `${o.name}:${o.value}` : o.name);
    base.options = [...opts.values()];
  }
  base.servers = base.servers.slice(0, MAX_NAMESERVERS);
  base.searches = base.searches.slice(0, MAX_SEARCHES);
  return { config: base, policy: policy as 'ClusterFirst' | 'Default' | 'None', fallback };
}

/** The host's resolv.conf, parsed. */
export function parseResolvConf(text: string): DNSConfig {
  const c: DNSConfig = { servers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    const f = line.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (f[0] === 'nameserver' && f[1]) c.servers.push(f[1]);
    else if (f[0] === 'search' || f[0] === 'domain') c.searches = f.slice(1);
    else if (f[0] === 'options') c.options.push(...f.slice(1));
  }
  return c;
}
