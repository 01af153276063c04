// Validation of discovery.k8s.io/v1 EndpointSlice (pkg/apis/discovery/validation).
import { isDNS1123Label, isDNS1123Subdomain, isValidPortNum, parseIP } from './strings.js';
import {

  dns1123Label,
  type Errs,
  type FieldPath,
  fieldErrors,
  FIELD_IMMUTABLE,
  isSet,
  nameErrors,
  nameIsDNSSubdomain,
  num,
  obj,
  type Obj,
  objs,
  qualifiedName,
  root,
  str,
  strs,
  validateLabelsOf,
} from './util.js';

const addressTypes = ['FQDN', 'IPv4', 'IPv6'];
const protocols = ['SCTP', 'TCP', 'UDP'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;
const MAX_HINTS = 8;

function fqdnErrors(value: string, path: FieldPath): Errs {
  // IsFullyQualifiedDomainName
  if (!value) return [fieldErrors.required(path, '')];
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  const sub = isDNS1123Subdomain(name);
  if (sub.length) return [fieldErrors.invalid(path, name, sub.join(','))];
  if (name.split('.').length < 2) return [fieldErrors.invalid(path, name, 'should be a domain with at least two segments separated by dots')];
  for (const label of name.split('.')) {
    const e = isDNS1123Label(label);
    if (e.length) return [fieldErrors.invalid(path, label, e.join(','))];
  }
  return [];
}

function endpoints(list: unknown, addressType: string, path: FieldPath): Errs {
  const errs: Errs = [];
  const eps = objs(list);
  if (eps.length > MAX_ENDPOINTS) return [fieldErrors.tooMany(path, eps.length, MAX_ENDPOINTS)];
  eps.forEach((ep, i) => {
    const p = path.index(i);
    const ap = p.child('addresses');
    const addresses = strs(ep.addresses);
    if (addresses.length === 0) errs.push(fieldErrors.required(ap, 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) errs.push(fieldErrors.tooMany(ap, addresses.length, MAX_ADDRESSES));
    addresses.forEach((a, j) => {
      const ip = parseIP(a);
      if (addressType === 'IPv4' && !(ip && ip.v4)) errs.push(fieldErrors.invalid(ap.index(j), a, 'must be an IPv4 address'));
      else if (addressType === 'IPv6' && !(ip && !ip.v4)) errs.push(fieldErrors.invalid(ap.index(j), a, 'must be an IPv6 address'));
      else if (addressType === 'FQDN') errs.push(...fqdnErrors(a, ap.index(j)));
    });
    if (isSet(ep.nodeName)) errs.push(...nameErrors(nameIsDNSSubdomain, str(ep.nodeName), p.child('nodeName')));
    if (isSet(ep.hostname)) errs.push(...dns1123Label(str(ep.hostname), p.child('hostname')));
    errs.push(...validateLabelsOf(ep.deprecatedTopology, p.child('deprecatedTopology')));
    const zones = objs(obj(ep.hints)?.forZones);
    if (zones.length > MAX_HINTS) errs.push(fieldErrors.tooMany(p.child('hints', 'forZones'), zones.length, MAX_HINTS));
    const seenZones = new Set<string>();
    zones.forEach((z, j) => {
      const zp = p.child('hints', 'forZones').index(j).child('name');
      if (seenZones.has(str(z.name))) errs.push(fieldErrors.duplicate(zp, str(z.name)));
      seenZones.add(str(z.name));
    });
  });
  return errs;
}

function ports(list: unknown, path: FieldPath): Errs {
  const errs: Errs = [];
  const ps = objs(list);
  if (ps.length > MAX_PORTS) return [fieldErrors.tooMany(path, ps.length, MAX_PORTS)];
  const names = new Set<string>();
  ps.forEach((port, i) => {
    const p = path.index(i);
    const name = str(port.name);
    if (name) for (const m of isDNS1123Label(name)) errs.push(fieldErrors.invalid(p.child('name'), name, m));
    if (names.has(name)) errs.push(fieldErrors.duplicate(p.child('name'), name));
    names.add(name);
    if (!isSet(port.protocol)) errs.push(fieldErrors.required(p.child('protocol'), ''));
    else if (!protocols.includes(str(port.protocol))) errs.push(fieldErrors.notSupported(p.child('protocol'), str(port.protocol), protocols));
    if (isSet(port.port)) for (const m of isValidPortNum(num(port.port))) errs.push(fieldErrors.invalid(p.child('port'), num(port.port), m));
    if (isSet(port.appProtocol)) errs.push(...qualifiedName(str(port.appProtocol), p.child('appProtocol')));
  });
  return errs;
}

export function validateEndpointSlice(es: Obj): Errs {
  const errs: Errs = [];
  const at = str(es.addressType);
  if (!at) errs.push(fieldErrors.required(root('addressType'), ''));
  else if (!addressTypes.includes(at)) errs.push(fieldErrors.notSupported(root('addressType'), at, addressTypes));
  errs.push(...endpoints(es.endpoints, at, root('endpoints')));
  errs.push(...ports(es.ports, root('ports')));
  return errs;
}

export function validateEndpointSliceUpdate(es: Obj, old: Obj): Errs {
  const errs = validateEndpointSlice(es);
  if (str(es.addressType) !== str(old.addressType)) errs.push(fieldErrors.invalid(root('addressType'), str(es.addressType), FIELD_IMMUTABLE));
  return errs;
}

