// Validation of networking.k8s.io/v1 NetworkPolicy, Ingress and IngressClass
// (pkg/apis/networking/validation).
import { GoRepr } from '../field.js';
import { validateLabelSelector } from '../labels.js';
import {
  isDNS1035Label,
  isDNS1123Subdomain,
  isValidCIDRMessages,
  isValidPortName,
  isValidPortNum,
  isWildcardDNS1123Subdomain,
  parseIP,
} from './strings.js';
import {
  byteLen,
  type Errs,
  type FieldPath,
  FIELD_IMMUTABLE,
  fieldErrors,
  intOrString,
  isSet,
  nameErrors,
  nameIsDNSSubdomain,
  num,
  obj,
  type Obj,
  objs,
  root,
  str,
  strs,
} from './util.js';

const protocols = ['TCP', 'UDP', 'SCTP'];

function cidrNet(v: string): { bytes: number[]; bits: number; v4: boolean } | undefined {
  const i = v.indexOf('/');
  if (i < 0) return undefined;
  const ip = parseIP(v.slice(0, i));
  if (!ip || isValidCIDRMessages(v).length) return undefined;
  const bits = Number(v.slice(i + 1)) + (ip.v4 ? 96 : 0);
  return { bytes: ip.bytes, bits, v4: ip.v4 };
}

function contains(net: { bytes: number[]; bits: number }, ip: number[]): boolean {
  for (let b = 0; b < net.bits; b++) {
    const byte = b >> 3;
    const mask = 0x80 >> (b & 7);
    if ((net.bytes[byte]! & mask) !== (ip[byte]! & mask)) return false;
  }
  return true;
}

function ipBlock(ipb: Obj, path: FieldPath): Errs {
  const cidr = str(ipb.cidr);
  if (!cidr) return [fieldErrors.required(path.child('cidr'), '')];
  const errs = isValidCIDRMessages(cidr).map((m) => fieldErrors.invalid(path.child('cidr'), cidr, m));
  const net = cidrNet(cidr);
  if (!net) return errs;
  strs(ipb.except).forEach((ex, i) => {
    const p = path.child('except').index(i);
    errs.push(...isValidCIDRMessages(ex).map((m) => fieldErrors.invalid(p, ex, m)));
    const exNet = cidrNet(ex);
    if (!exNet) return;
    if (!contains(net, exNet.bytes) || net.bits >= exNet.bits) errs.push(fieldErrors.invalid(p, ex, 'must be a strict subset of `cidr`'));
  });
  return errs;
}

function networkPolicyPort(port: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  if (isSet(port.protocol) && !protocols.includes(str(port.protocol))) errs.push(fieldErrors.notSupported(path.child('protocol'), str(port.protocol), protocols));
  const p = intOrString(port.port);
  if (p?.type === 'int') {
    for (const m of isValidPortNum(p.value)) errs.push(fieldErrors.invalid(path.child('port'), p.value, m));
    if (isSet(port.endPort)) {
      if (num(port.endPort) < p.value) errs.push(fieldErrors.invalid(path.child('endPort'), p.value, 'must be greater than or equal to `port`'));
      for (const m of isValidPortNum(num(port.endPort))) errs.push(fieldErrors.invalid(path.child('endPort'), num(port.endPort), m));
    }
  } else if (p?.type === 'string') {
    if (isSet(port.endPort)) errs.push(fieldErrors.invalid(path.child('endPort'), num(port.endPort), 'may not be specified when `port` is non-numeric'));
    for (const m of isValidPortName(p.value)) errs.push(fieldErrors.invalid(path.child('port'), p.value, m));
  } else if (isSet(port.endPort)) {
    errs.push(fieldErrors.invalid(path.child('endPort'), num(port.endPort), 'may not be specified when `port` is not specified'));
  }
  return errs;
}

function peer(pe: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  let n = 0;
  for (const f of ['podSelector', 'namespaceSelector']) {
    if (obj(pe[f])) {
      n++;
      errs.push(...validateLabelSelector(obj(pe[f]), path.child(f)));
    }
  }
  if (obj(pe.ipBlock)) {
    n++;
    errs.push(...ipBlock(obj(pe.ipBlock)!, path.child('ipBlock')));
  }
  if (n === 0) errs.push(fieldErrors.required(path, 'must specify a peer'));
  else if (n > 1 && obj(pe.ipBlock)) errs.push(fieldErrors.forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

export function validateNetworkPolicy(np: Obj): Errs {
  const s = obj(np.spec) ?? {};
  const path = root('spec');
  const errs = validateLabelSelector(obj(s.podSelector) ?? {}, path.child('podSelector'));
  for (const [dir, peers] of [['ingress', 'from'], ['egress', 'to']] as const) {
    objs(s[dir]).forEach((rule, i) => {
      const rp = path.child(dir).index(i);
      objs(rule.ports).forEach((port, j) => errs.push(...networkPolicyPort(port, rp.child('ports').index(j))));
      objs(rule[peers]).forEach((pe, j) => errs.push(...peer(pe, rp.child(peers).index(j))));
    });
  }
  const types = strs(s.policyTypes);
  if (types.length > 2) {
    errs.push(fieldErrors.invalid(path.child('policyTypes'), new GoRepr(`&[]networking.PolicyType{${types.map((t) => JSON.stringify(t)).join(', ')}}`), 'may not specify more than two policyTypes'));
    return errs;
  }
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(fieldErrors.notSupported(path.child('policyTypes').index(i), t, ['Ingress', 'Egress']));
  });
  return errs;
}

// ---- Ingress ----

const pathTypes = ['Exact', 'ImplementationSpecific', 'Prefix'];
const invalidPathSequences = ['//', '/./', '/../', '%2f', '%2F'];
const invalidPathSuffixes = ['/..', '/.'];

function backend(b: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  const resource = obj(b.resource);
  const service = obj(b.service);
  if (resource && service) return [fieldErrors.invalid(path, '', 'cannot set both resource and service backends')];
  if (resource) {
    const rp = path.child('resource');
    if (!str(resource.name)) errs.push(fieldErrors.required(rp.child('name'), ''));
    if (!str(resource.kind)) errs.push(fieldErrors.required(rp.child('kind'), ''));
    if (isSet(resource.apiGroup)) {
      const g = str(resource.apiGroup);
      if (!g) errs.push(fieldErrors.required(rp.child('apiGroup'), ''));
      else for (const m of isDNS1123Subdomain(g)) errs.push(fieldErrors.invalid(rp.child('apiGroup'), g, m));
    } else errs.push(fieldErrors.required(rp.child('apiGroup'), ''));
  } else if (service) {
    const name = str(service.name);
    if (!name) errs.push(fieldErrors.required(path.child('service', 'name'), ''));
    else for (const m of isDNS1035Label(name)) errs.push(fieldErrors.invalid(path.child('service', 'name'), name, m));
    const port = obj(service.port) ?? {};
    const pname = str(port.name);
    const pnum = num(port.number);
    if (pname && pnum) errs.push(fieldErrors.invalid(path, '', 'cannot set both port name & port number'));
    else if (pname) for (const m of isValidPortName(pname)) errs.push(fieldErrors.invalid(path.child('service', 'port', 'name'), pname, m));
    else if (pnum) for (const m of isValidPortNum(pnum)) errs.push(fieldErrors.invalid(path.child('service', 'port', 'number'), pnum, m));
    else errs.push(fieldErrors.required(path, 'port name or number is required'));
  } else errs.push(fieldErrors.invalid(path, '', 'resource or service backend is required'));
  return errs;
}

function hostErrors(host: string, path: FieldPath): Errs {
  const errs: Errs = [];
  if (parseIP(host)) errs.push(fieldErrors.invalid(path, host, 'must be a DNS name, not an IP address'));
  const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
  for (const m of msgs) errs.push(fieldErrors.invalid(path, host, m));
  return errs;
}

function httpPath(p: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  if (!isSet(p.pathType)) return [fieldErrors.required(path.child('pathType'), 'pathType must be specified')];
  const value = str(p.path);
  switch (str(p.pathType)) {
    case 'Exact':
    case 'Prefix':
      if (!value.startsWith('/')) errs.push(fieldErrors.invalid(path.child('path'), value, 'must be an absolute path'));
      if (value.length > 0) {
        for (const seq of invalidPathSequences) if (value.includes(seq)) errs.push(fieldErrors.invalid(path.child('path'), value, `must not contain '${seq}'`));
        for (const suf of invalidPathSuffixes) if (value.endsWith(suf)) errs.push(fieldErrors.invalid(path.child('path'), value, `cannot end with '${suf}'`));
      }
      break;
    case 'ImplementationSpecific':
      if (value.length > 0 && !value.startsWith('/')) errs.push(fieldErrors.invalid(path.child('path'), value, 'must be an absolute path'));
      break;
    default:
      errs.push(fieldErrors.notSupported(path.child('pathType'), str(p.pathType), pathTypes));
  }
  errs.push(...backend(obj(p.backend) ?? {}, path.child('backend')));
  return errs;
}

export function validateIngress(ing: Obj): Errs {
  const s = obj(ing.spec) ?? {};
  const path = root('spec');
  const errs: Errs = [];
  const rules = objs(s.rules);
  if (rules.length === 0 && !obj(s.defaultBackend)) {
    errs.push(fieldErrors.invalid(path, new GoRepr('[]networking.IngressRule(nil)'), 'either `defaultBackend` or `rules` must be specified'));
  }
  if (obj(s.defaultBackend)) errs.push(...backend(obj(s.defaultBackend)!, path.child('defaultBackend')));
  rules.forEach((rule, i) => {
    const rp = path.child('rules').index(i);
    const host = str(rule.host);
    if (host) errs.push(...hostErrors(host, rp.child('host')));
    const http = obj(rule.http);
    if (http) {
      const hp = rp.child('http');
      const paths = objs(http.paths);
      if (paths.length === 0) errs.push(fieldErrors.required(hp.child('paths'), ''));
      paths.forEach((p, j) => errs.push(...httpPath(p, hp.child('paths').index(j))));
    }
  });
  objs(s.tls).forEach((tls, i) => {
    const tp = path.child('tls').index(i);
    strs(tls.hosts).forEach((h, j) => {
      const msgs = h.includes('*') ? isWildcardDNS1123Subdomain(h) : isDNS1123Subdomain(h);
      for (const m of msgs) errs.push(fieldErrors.invalid(tp.child('hosts').index(j), h, m));
    });
    if (str(tls.secretName)) errs.push(...nameErrors(nameIsDNSSubdomain, str(tls.secretName), tp.child('secretName')));
  });
  if (isSet(s.ingressClassName)) errs.push(...nameErrors(nameIsDNSSubdomain, str(s.ingressClassName), path.child('ingressClassName')));
  return errs;
}

export function validateIngressStatus(ing: Obj): Errs {
  const errs: Errs = [];
  const ingress = objs(obj(obj(ing.status)?.loadBalancer)?.ingress);
  ingress.forEach((i, n) => {
    const p = root('status', 'loadBalancer', 'ingress').index(n);
    if (str(i.ip) && !parseIP(str(i.ip))) errs.push(fieldErrors.invalid(p.child('ip'), str(i.ip), 'must be a valid IP address'));
    if (str(i.hostname)) {
      for (const m of isDNS1123Subdomain(str(i.hostname))) errs.push(fieldErrors.invalid(p.child('hostname'), str(i.hostname), m));
      if (parseIP(str(i.hostname))) errs.push(fieldErrors.invalid(p.child('hostname'), str(i.hostname), 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

// ---- IngressClass ----

const MAX_CONTROLLER_LEN = 250;

export function validateIngressClass(ic: Obj): Errs {
  const s = obj(ic.spec) ?? {};
  const path = root('spec');
  const errs: Errs = [];
  const controller = str(s.controller);
  const cp = path.child('controller');
  if (byteLen(controller) > MAX_CONTROLLER_LEN) errs.push(fieldErrors.tooLong(cp, controller, MAX_CONTROLLER_LEN));
  // IsDomainPrefixedPath
  if (!controller) errs.push(fieldErrors.required(cp, ''));
  else {
    const i = controller.indexOf('/');
    const host = i < 0 ? '' : controller.slice(0, i);
    const rest = i < 0 ? '' : controller.slice(i + 1);
    if (!host || !rest) errs.push(fieldErrors.invalid(cp, controller, 'must be a domain-prefixed path (such as "acme.io/foo")'));
    else {
      for (const m of isDNS1123Subdomain(host)) errs.push(fieldErrors.invalid(cp, host, m));
      if (!/^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(rest)) {
        errs.push(fieldErrors.invalid(cp, rest, "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
      }
    }
  }
  const params = obj(s.parameters);
  if (params) {
    const pp = path.child('parameters');
    if (!str(params.kind)) errs.push(fieldErrors.required(pp.child('kind'), ''));
    if (!str(params.name)) errs.push(fieldErrors.required(pp.child('name'), ''));
    if (isSet(params.apiGroup)) for (const m of isDNS1123Subdomain(str(params.apiGroup))) errs.push(fieldErrors.invalid(pp.child('apiGroup'), str(params.apiGroup), m));
    const scope = str(params.scope);
    if (isSet(params.scope)) {
      if (scope !== 'Cluster' && scope !== 'Namespace') errs.push(fieldErrors.notSupported(pp.child('scope'), scope, ['Cluster', 'Namespace']));
      if (scope === 'Namespace' && !str(params.namespace)) errs.push(fieldErrors.required(pp.child('namespace'), '`parameters.scope` is set to "Namespace"'));
      if (scope === 'Cluster' && isSet(params.namespace)) errs.push(fieldErrors.forbidden(pp.child('namespace'), '`parameters.scope` is set to "Cluster"'));
    } else errs.push(fieldErrors.required(pp.child('scope'), ''));
  }
  return errs;
}

export function validateIngressClassUpdate(ic: Obj, old: Obj): Errs {
  const errs = validateIngressClass(ic);
  const n = str(obj(ic.spec)?.controller);
  if (n !== str(obj(old.spec)?.controller)) errs.push(fieldErrors.invalid(root('spec', 'controller'), n, FIELD_IMMUTABLE));
  return errs;
}
