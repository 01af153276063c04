// The Service environment variables every container gets (pkg/kubelet/envvars/envvars.go): for
// each Service with a ClusterIP in the pod's namespace (and the master `kubernetes` Service from
// `default`), FOO_SERVICE_HOST/_PORT/_PORT_<NAME> and the Docker-link style FOO_PORT,
// FOO_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]. enableServiceLinks: false keeps only the master's.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ServiceObj } from './rules.js';

const envName = (s: string) => s.toUpperCase().replace(/-/g, '_');

/** The variables, in upstream's order (services sorted by name). */
export function serviceEnv(pod: Pod & { metadata?: { namespace?: string } }, services: ServiceObj[]): { key: string; value: string }[] {
  const ns = pod.metadata?.namespace ?? 'default';
  const links = pod.spec?.enableServiceLinks ?? true;
  const byName = new Map<string, ServiceObj>();
  for (const svc of services) {
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None') continue;
    const name = svc.metadata.name!;
    // the master service is visible everywhere; one of the pod's own namespace with the same name wins
    if (svc.metadata.namespace === 'default' && name === 'kubernetes') {
      if (!byName.has(name)) byName.set(name, svc);
    }
    if (links && svc.metadata.namespace === ns) byName.set(name, svc);
  }
  const out: { key: string; value: string }[] = [];
  for (const name of [...byName.keys()].sort()) {
    const svc = byName.get(name)!;
    const ip = svc.spec!.clusterIP!;
    const ports = svc.spec?.ports ?? [];
    const prefix = envName(name);
    out.push({ key: `${prefix}_SERVICE_HOST`, value: ip });
    if (ports[0]) out.push({ key: `${prefix}_SERVICE_PORT`, value: String(ports[0].port) });
    for (const p of ports) if (p.name) out.push({ key: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
    // Docker link variables
    if (ports[0]) {
      const first = ports[0];
      const proto = (first.protocol ?? 'TCP').toLowerCase();
      out.push({ key: `${prefix}_PORT`, value: `${proto}://${ip}:${first.port}` });
    }
    for (const p of ports) {
      const proto = (p.protocol ?? 'TCP');
      const base = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push({ key: base, value: `${proto.toLowerCase()}://${ip}:${p.port}` });
      out.push({ key: `${base}_PROTO`, value: proto.toLowerCase() });
      out.push({ key: `${base}_PORT`, value: String(p.port) });
      out.push({ key: `${base}_ADDR`, value: ip });
    }
  }
  return out;
}
