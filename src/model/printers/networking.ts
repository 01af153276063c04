// Tables of networking.k8s.io/v1 and discovery.k8s.io/v1 kinds.
import { docs } from './descriptions.js';
import type { Printer } from './core.js';
import { formatLabelSelector } from './selector.js';
import { age, ageColumn, arr, col, int, loadBalancerIngress, nameColumn, nameOf, rec, str, type Rec } from './table.js';

function formatHosts(rules: Rec[]): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  for (const rule of rules) {
    if (list.length === max) more = true;
    if (!more && str(rule.host)) list.push(str(rule.host));
  }
  if (list.length === 0) return '*';
  const ret = list.join(',');
  return more ? `${ret} + ${rules.length - max} more...` : ret;
}

const ingress: Printer = {
  columns: () => [
    nameColumn(),
    col('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'string', 'Ports of TLS configurations that open'),
    ageColumn(),
  ],
  row: (o, wide, now) => {
    const spec = rec(o.spec);
    const className = typeof spec.ingressClassName === 'string' ? spec.ingressClassName : '<none>';
    const ports = Array.isArray(spec.tls) && spec.tls.length ? '80, 443' : '80';
    return { cells: [nameOf(o), className, formatHosts(arr(spec.rules)), loadBalancerIngress(rec(o.status).loadBalancer, wide), ports, age(o, now)] };
  },
};

const ingressClass: Printer = {
  columns: () => [
    nameColumn(),
    col('Controller', 'string', 'Controller that is responsible for handling this class'),
    col('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ageColumn(),
  ],
  row: (o, _wide, now) => {
    const spec = rec(o.spec);
    let parameters = '<none>';
    if (spec.parameters && typeof spec.parameters === 'object') {
      const p = rec(spec.parameters);
      parameters = str(p.kind);
      if (typeof p.apiGroup === 'string') parameters += `.${p.apiGroup}`;
      parameters += `/${str(p.name)}`;
    }
    return { cells: [nameOf(o), str(spec.controller), parameters, age(o, now)] };
  },
};

const networkPolicy: Printer = {
  columns: () => [nameColumn(), col('Pod-Selector', 'string', docs['NetworkPolicySpec.podSelector']), ageColumn()],
  row: (o, _wide, now) => ({ cells: [nameOf(o), formatLabelSelector(rec(rec(o.spec).podSelector)), age(o, now)] }),
};

/** Up to three entries, then "+ N more..."; "<unset>" when there are none. */
function listWithMore(all: string[]): string {
  const max = 3;
  const ret = all.slice(0, max).join(',');
  if (all.length > max) return `${ret} + ${all.length - max} more...`;
  return ret || '<unset>';
}

const endpointSlice: Printer = {
  columns: () => [
    nameColumn(),
    col('AddressType', 'string', docs['EndpointSlice.addressType']),
    col('Ports', 'string', docs['EndpointSlice.ports']),
    col('Endpoints', 'string', docs['EndpointSlice.endpoints']),
    ageColumn(),
  ],
  row: (o, _wide, now) => {
    const ports = arr(o.ports).map((p) => (typeof p.port === 'number' ? String(int(p.port)) : typeof p.name === 'string' ? p.name : '*'));
    const addresses = arr(o.endpoints).flatMap((e) => (Array.isArray(e.addresses) ? e.addresses.map(String) : []));
    return { cells: [nameOf(o), str(o.addressType), listWithMore(ports), listWithMore(addresses), age(o, now)] };
  },
};

export const networkingPrinters: Record<string, Printer> = { Ingress: ingress, IngressClass: ingressClass, NetworkPolicy: networkPolicy };
export const discoveryPrinters: Record<string, Printer> = { EndpointSlice: endpointSlice };
