// Validation of the core group's kinds (pkg/apis/core/validation), PodSpec aside (pod.ts).
import { FieldError, GoRepr, goQuote, textOf } from '../field.js';
import { matches, selectorFromSet, isEmpty, validateLabels } from '../labels.js';
import { compareQuantity, formatQuantity, milliValue, newQuantity, quantityValue, type Quantity } from '../quantity.js';
import {
  csiDriverName,
  isStandardQuotaResourceName,
  isOvercommitAllowed,
  resourceQuantityValue,
  taintEffect,
  validateAccessModes,
  validateContainerResourceName,
  validateNodeSelector,
  validatePersistentVolumeClaimSpec,
  validatePathNoBacksteps,
  validatePodOwnSpec,
  validatePodTemplateSpec,
  validateResourceName,
  validateTolerations,
  podCreateExtras,
  volumeModes,
} from './pod.js';
import {
  byteLength,
  inclusiveRangeError,
  isConfigMapKey,
  isValidCIDRMessages,
  isValidIPMessages,
  isValidLabelValue,
  isValidPortNum,
  isIPv6String,
  parseIP,
} from './strings.js';
import {
  arr,
  dns1123Label,
  dns1123Subdomain,
  entries,
  type Errs,
  FIELD_IMMUTABLE,
  FieldPath,
  fieldErrors,
  goStringMap,
  goStringSlice,
  immutable,
  isSet,
  keys,
  nameErrors,
  nameIsDNSSubdomain,
  nonNegative,
  num,
  obj,
  type Obj,
  objs,
  portNumOrName,
  qualifiedName,
  quantityAt,
  root,
  semanticEqual,
  str,
  strs,
} from './util.js';
import { validateLabelName } from '../labels.js';

const spec = (o: Obj) => obj(o.spec) ?? {};
const status = (o: Obj) => obj(o.status) ?? {};
const metaOf = (o: Obj) => obj(o.metadata) ?? {};

// ---- Namespace ----

function finalizerName(f: string, path: FieldPath): Errs {
  const errs = qualifiedName(f, path);
  if (f.split('/').length === 1 && !['kubernetes', 'orphan', 'foregroundDeletion'].includes(f)) {
    errs.push(fieldErrors.invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified'));
  }
  return errs;
}

export function validateNamespace(ns: Obj): Errs {
  return strs(spec(ns).finalizers).flatMap((f) => finalizerName(f, root('spec', 'finalizers')));
}

export function validateNamespaceStatus(ns: Obj): Errs {
  const phase = str(status(ns).phase);
  if (!isSet(metaOf(ns).deletionTimestamp)) {
    if (phase !== 'Active') return [fieldErrors.invalid(root('status', 'Phase'), phase, "may only be 'Active' if `deletionTimestamp` is empty")];
  } else if (phase !== 'Terminating') {
    return [fieldErrors.invalid(root('status', 'Phase'), phase, "may only be 'Terminating' if `deletionTimestamp` is not empty")];
  }
  return [];
}

export function validateNamespaceFinalize(ns: Obj): Errs {
  return strs(spec(ns).finalizers).flatMap((f, i) => finalizerName(f, root('spec', 'finalizers').index(i)));
}

// ---- Pod ----

export const validatePod = (pod: Obj): Errs => [...validatePodOwnSpec(pod), ...podCreateExtras(pod)];

const updatablePodSpecFields = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** A short listing of what differs, in the spirit of cmp.Diff (whose exact text is Go-specific). */
export function specDiff(oldV: unknown, newV: unknown, typeName: string): string {
  const lines: string[] = [];
  const walk = (a: unknown, b: unknown, p: string) => {
    if (semanticEqual(a, b)) return;
    const oa = obj(a);
    const ob = obj(b);
    if (oa && ob) {
      for (const k of [...new Set([...Object.keys(oa), ...Object.keys(ob)])].sort()) walk(oa[k], ob[k], p ? `${p}.${k}` : k);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => walk(x, b[i], `${p}[${i}]`));
      return;
    }
    lines.push(`- \t${p}: ${JSON.stringify(a ?? null)},`);
    lines.push(`+ \t${p}: ${JSON.stringify(b ?? null)},`);
  };
  walk(oldV, newV, '');
  return `  ${typeName}{\n${lines.join('\n')}\n  }\n`;
}

function tolerationsOnlyAdded(newT: Obj[], oldT: Obj[], path: FieldPath): Errs {
  for (const old of oldT) {
    const found = newT.some((n) => semanticEqual({ ...old, tolerationSeconds: n.tolerationSeconds }, n));
    if (!found) return [fieldErrors.forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(newT, path);
}

/**
 * An update through pods/ephemeralcontainers (ValidatePodEphemeralContainersUpdate): the pod's spec
 * as a whole is valid (the new ephemeral containers with it), a static pod takes none, and those
 * already there are neither removed nor changed (order aside: a patch need not keep it).
 */
export function validatePodEphemeralContainersUpdate(pod: Obj, old: Obj): Errs {
  if (obj(metaOf(old).annotations)?.['kubernetes.io/config.mirror'] !== undefined) {
    return [fieldErrors.forbidden(root(), 'static pods do not support ephemeral containers')];
  }
  const errs = validatePodOwnSpec(pod);
  const path = root('spec', 'ephemeralContainers');
  const now = new Map(objs(spec(pod).ephemeralContainers).map((c) => [str(c.name), c]));
  for (const was of objs(spec(old).ephemeralContainers)) {
    const name = str(was.name);
    const is = now.get(name);
    if (!is) errs.push(fieldErrors.forbidden(path, `existing ephemeral containers ${JSON.stringify(name)} may not be removed\n`));
    else if (!semanticEqual(was, is)) errs.push(fieldErrors.forbidden(path, `existing ephemeral containers ${JSON.stringify(name)} may not be changed\n`));
  }
  return errs;
}

export function validatePodUpdate(pod: Obj, old: Obj): Errs {
  const errs = validatePodOwnSpec(pod);
  const annPath = root('metadata', 'annotations');
  const na = obj(metaOf(pod).annotations) ?? {};
  const oa = obj(metaOf(old).annotations) ?? {};
  for (const [k, v] of entries(oa)) {
    if (k in na && na[k] === v) continue;
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/')) errs.push(fieldErrors.forbidden(annPath.key(k), 'may not remove or update AppArmor annotations'));
    if (k === 'kubernetes.io/config.mirror') errs.push(fieldErrors.forbidden(annPath.key(k), 'may not remove or update mirror pod annotation'));
  }
  for (const k of keys(na)) {
    if (k in oa) continue;
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/')) errs.push(fieldErrors.forbidden(annPath.key(k), 'may not add AppArmor annotations'));
    if (k === 'kubernetes.io/config.mirror') errs.push(fieldErrors.forbidden(annPath.key(k), 'may not add mirror pod annotation'));
  }
  const ns = spec(pod);
  const os = spec(old);
  const specPath = root('spec');
  for (const list of ['containers', 'initContainers'] as const) {
    const n = objs(ns[list]);
    const o = objs(os[list]);
    if (n.length !== o.length) {
      errs.push(fieldErrors.forbidden(specPath.child(list), 'pod updates may not add or remove containers'));
      return errs;
    }
    n.forEach((c, i) => {
      const image = str(c.image);
      if (!image) errs.push(fieldErrors.required(specPath.child(list).index(i).child('image'), ''));
      if (image.trim().length !== image.length) errs.push(fieldErrors.invalid(specPath.child(list).index(i).child('image'), image, 'must not have leading or trailing whitespace'));
    });
  }
  if (isSet(ns.activeDeadlineSeconds)) {
    const v = num(ns.activeDeadlineSeconds);
    if (v < 0 || v > 2147483647) {
      errs.push(fieldErrors.invalid(specPath.child('activeDeadlineSeconds'), v, inclusiveRangeError(0, 2147483647)));
      return errs;
    }
    if (isSet(os.activeDeadlineSeconds) && num(os.activeDeadlineSeconds) < v) {
      errs.push(fieldErrors.invalid(specPath.child('activeDeadlineSeconds'), v, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (isSet(os.activeDeadlineSeconds)) {
    errs.push(fieldErrors.invalid(specPath.child('activeDeadlineSeconds'), null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...tolerationsOnlyAdded(objs(ns.tolerations), objs(os.tolerations), specPath.child('tolerations')));
  const oldGates = new Set(objs(os.schedulingGates).map((g) => str(g.name)));
  objs(ns.schedulingGates).forEach((g, i) => {
    if (!oldGates.has(str(g.name))) errs.push(fieldErrors.forbidden(specPath.child('schedulingGates').index(i).child('name'), `only deletion is allowed, but found new scheduling gate '${str(g.name)}'`));
  });
  if (semanticEqual(ns, os)) return errs;
  const munged: Obj = structuredClone(ns);
  for (const list of ['containers', 'initContainers'] as const) {
    const o = objs(os[list]);
    munged[list] = objs(munged[list]).map((c, i) => ({ ...c, image: o[i]?.image }));
  }
  munged.activeDeadlineSeconds = os.activeDeadlineSeconds;
  munged.schedulingGates = os.schedulingGates;
  munged.tolerations = os.tolerations;
  if (isSet(os.terminationGracePeriodSeconds) && num(os.terminationGracePeriodSeconds) < 0 && num(munged.terminationGracePeriodSeconds) === 1) {
    munged.terminationGracePeriodSeconds = os.terminationGracePeriodSeconds;
  }
  if (arr(os.schedulingGates).length > 0 && !semanticEqual(munged.nodeSelector, os.nodeSelector)) {
    const nsel = obj(munged.nodeSelector) ?? {};
    for (const [k, v] of entries(os.nodeSelector)) {
      if (nsel[k] !== v) {
        errs.push(fieldErrors.invalid(specPath.child('nodeSelector'), goStringMap(munged.nodeSelector), 'only additions to spec.nodeSelector are allowed (no mutations or deletions)'));
        break;
      }
    }
    munged.nodeSelector = os.nodeSelector;
  }
  if (!semanticEqual(munged, os)) {
    errs.push(fieldErrors.forbidden(specPath, `pod updates may not change fields other than ${updatablePodSpecFields.join(',')}\n${specDiff(os, munged, 'core.PodSpec')}`));
  }
  return errs;
}

export function validatePodStatusUpdate(pod: Obj, old: Obj): Errs {
  const errs: Errs = [];
  const systemConditions = ['PodScheduled', 'Ready', 'Initialized'];
  objs(status(pod).conditions).forEach((c, i) => {
    if (!systemConditions.includes(str(c.type))) errs.push(...qualifiedName(str(c.type), root('metadata', 'conditions').index(i).child('Type')));
  });
  const statusPath = root('status');
  if (str(spec(pod).nodeName) !== str(spec(old).nodeName)) errs.push(fieldErrors.forbidden(statusPath.child('nodeName'), 'may not be changed directly'));
  const nnn = str(status(pod).nominatedNodeName);
  if (nnn !== str(status(old).nominatedNodeName) && nnn) errs.push(...nameErrors(nameIsDNSSubdomain, nnn, statusPath.child('nominatedNodeName')));
  if (str(status(pod).qosClass) !== str(status(old).qosClass)) errs.push(fieldErrors.invalid(statusPath.child('qosClass'), str(status(pod).qosClass), FIELD_IMMUTABLE));
  const transitions = (newS: unknown, oldS: unknown, path: FieldPath, restartPolicy: string, initSpec?: Obj[]) => {
    if (restartPolicy === 'Always') return;
    objs(oldS).forEach((o, i) => {
      const term = obj(obj(o.state)?.terminated);
      if (!term) return;
      if (num(term.exitCode) !== 0 && restartPolicy === 'OnFailure') return;
      if (initSpec && initSpec.some((c) => str(c.name) === str(o.name) && str(c.restartPolicy) === 'Always')) return;
      for (const n of objs(newS)) {
        if (str(n.name) === str(o.name) && !obj(obj(n.state)?.terminated)) errs.push(fieldErrors.forbidden(path.index(i).child('state'), 'may not be transitioned to non-terminated state'));
      }
    });
  };
  const rp = str(spec(old).restartPolicy);
  transitions(status(pod).containerStatuses, status(old).containerStatuses, statusPath.child('containerStatuses'), rp);
  transitions(status(pod).initContainerStatuses, status(old).initContainerStatuses, statusPath.child('initContainerStatuses'), rp, objs(spec(old).initContainers));
  transitions(status(pod).ephemeralContainerStatuses, status(old).ephemeralContainerStatuses, statusPath.child('ephemeralContainerStatuses'), 'Never');
  errs.push(...ipList(objs(status(pod).podIPs), statusPath.child('podIPs')));
  const hostIPs = objs(status(pod).hostIPs);
  if (hostIPs.length) {
    if (str(status(pod).hostIP) !== str(hostIPs[0]!.ip)) errs.push(fieldErrors.invalid(statusPath.child('hostIPs').index(0).child('ip'), str(hostIPs[0]!.ip), 'must be equal to `hostIP`'));
    errs.push(...ipList(hostIPs, statusPath.child('hostIPs')));
  }
  return errs;
}

function ipList(list: Obj[], path: FieldPath): Errs {
  const errs: Errs = [];
  list.forEach((e, i) => errs.push(...isValidIPMessages(str(e.ip)).map((m) => fieldErrors.invalid(path.index(i), str(e.ip), m))));
  if (list.length > 1) {
    const parsed = list.map((e) => parseIP(str(e.ip)));
    if (parsed.every(Boolean)) {
      const v4 = parsed.filter((p) => p!.v4).length;
      const dual = v4 > 0 && v4 < parsed.length;
      if (!dual || list.length > 2) {
        errs.push(fieldErrors.invalid(path, new GoRepr(`[]core.PodIP{${list.map((e) => `core.PodIP{IP:${goQuote(str(e.ip))}}`).join(', ')}}`), 'may specify no more than one IP for each IP family'));
      }
    }
    const seen = new Set<string>();
    list.forEach((e, i) => {
      if (seen.has(str(e.ip))) errs.push(fieldErrors.duplicate(path.index(i), new GoRepr(`core.PodIP{IP:${goQuote(str(e.ip))}}`)));
      seen.add(str(e.ip));
    });
  }
  return errs;
}

// ---- PodTemplate and ReplicationController ----

export const validatePodTemplate = (pt: Obj): Errs => validatePodTemplateSpec(obj(pt.template) ?? {}, root('template'));

export function validateReplicationController(rc: Obj): Errs {
  const s = spec(rc);
  const path = root('spec');
  const errs: Errs = [];
  errs.push(...nonNegative(s.minReadySeconds, path.child('minReadySeconds')));
  const selector = obj(s.selector);
  if (!selector || keys(selector).length === 0) errs.push(fieldErrors.required(path.child('selector'), ''));
  errs.push(...nonNegative(s.replicas, path.child('replicas')));
  const template = obj(s.template);
  const tp = path.child('template');
  if (!template) errs.push(fieldErrors.required(tp, ''));
  else {
    const sel = selectorFromSet(selector as Record<string, string> | undefined);
    const labels = obj(obj(template.metadata)?.labels) as Record<string, string> | undefined;
    if (!isEmpty(sel) && !matches(sel, labels ?? {})) {
      errs.push(fieldErrors.invalid(tp.child('metadata', 'labels'), goStringMap(labels), '`selector` does not match template `labels`'));
    }
    errs.push(...validatePodTemplateSpec(template, tp));
    const rp = str(obj(template.spec)?.restartPolicy);
    if (rp !== 'Always') errs.push(fieldErrors.notSupported(tp.child('spec', 'restartPolicy'), rp, ['Always']));
    if (isSet(obj(template.spec)?.activeDeadlineSeconds)) errs.push(fieldErrors.forbidden(tp.child('spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in ReplicationController is not Supported'));
  }
  return errs;
}

export function replicaStatus(st: Obj, path: FieldPath, fields: string[], extras: { readyVsAvailable?: string } = {}): Errs {
  const errs: Errs = [];
  for (const f of fields) errs.push(...nonNegative(st[f], path.child(f)));
  const replicas = num(st.replicas);
  const msg = 'cannot be greater than status.replicas';
  for (const f of fields) {
    if (f === 'replicas' || f === 'observedGeneration' || f === 'collisionCount' || f === 'unavailableReplicas') continue;
    if (num(st[f]) > replicas) errs.push(fieldErrors.invalid(path.child(f), num(st[f]), msg));
  }
  if (extras.readyVsAvailable && num(st.availableReplicas) > num(st.readyReplicas)) {
    errs.push(fieldErrors.invalid(path.child('availableReplicas'), num(st.availableReplicas), extras.readyVsAvailable));
  }
  return errs;
}

export const validateReplicationControllerStatus = (rc: Obj): Errs =>
  replicaStatus(status(rc), root('status'), ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'], {
    readyVsAvailable: 'cannot be greater than readyReplicas',
  });

// ---- Service ----

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const protocols = ['SCTP', 'TCP', 'UDP'];

const isHeadless = (s: Obj) => arr(s.clusterIPs).length === 1 && str(arr(s.clusterIPs)[0]) === 'None';

function nonSpecialIP(ip: string, path: FieldPath): Errs {
  const p = parseIP(ip);
  if (!p) return [fieldErrors.invalid(path, ip, 'must be a valid IP address')];
  const b = p.bytes;
  const errs: Errs = [];
  const v4 = p.v4 ? b.slice(12) : undefined;
  const unspecified = v4 ? v4.every((x) => x === 0) : b.every((x) => x === 0);
  const loopback = v4 ? v4[0] === 127 : b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
  const linkLocalUnicast = v4 ? v4[0] === 169 && v4[1] === 254 : b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
  const linkLocalMulticast = v4 ? v4[0] === 224 && v4[1] === 0 && v4[2] === 0 : b[0] === 0xff && (b[1]! & 0x0f) === 0x02;
  if (unspecified) errs.push(fieldErrors.invalid(path, ip, `may not be unspecified (${ip})`));
  if (loopback) errs.push(fieldErrors.invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if (linkLocalUnicast) errs.push(fieldErrors.invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if (linkLocalMulticast) errs.push(fieldErrors.invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return errs;
}

const ipErrs = (ip: string, path: FieldPath) => isValidIPMessages(ip).map((m) => fieldErrors.invalid(path, ip, m));
const cidrErrs = (v: string, path: FieldPath) => isValidCIDRMessages(v).map((m) => fieldErrors.invalid(path, v, m));

function servicePortKey(protocol: string, port: number): GoRepr {
  return new GoRepr(
    `core.ServicePort{Name:"", Protocol:${goQuote(protocol)}, AppProtocol:(*string)(nil), Port:${port}, ` +
      `TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

function clusterIPsRelated(s: Obj): Errs {
  if (str(s.type) === 'ExternalName') return [];
  const errs: Errs = [];
  const ipsPath = root('spec', 'clusterIPs');
  const famPath = root('spec', 'ipFamilies');
  const clusterIP = str(s.clusterIP);
  const ips = strs(s.clusterIPs);
  const shownIPs = goStringSlice(s.clusterIPs);
  if (clusterIP) {
    if (ips.length === 0) errs.push(fieldErrors.required(ipsPath, ''));
    else if (ips[0] !== clusterIP) errs.push(fieldErrors.invalid(ipsPath, shownIPs, 'first value must match `clusterIP`'));
  } else if (ips.length) errs.push(fieldErrors.invalid(ipsPath, shownIPs, 'must be empty when `clusterIP` is not specified'));
  const seen = new Set<string>();
  strs(s.ipFamilies).forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(fieldErrors.notSupported(famPath.index(i), f, ['IPv4', 'IPv6']));
    if (seen.has(f)) errs.push(fieldErrors.duplicate(famPath.index(i), f));
    seen.add(f);
  });
  if (isSet(s.ipFamilyPolicy)) {
    const pol = str(s.ipFamilyPolicy);
    const valid = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
    if (!valid.includes(pol)) errs.push(fieldErrors.notSupported(root('spec', 'ipFamilyPolicy'), pol, valid));
  }
  let invalid = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        invalid = true;
        errs.push(fieldErrors.invalid(ipsPath, shownIPs, "'None' must be the first and only value"));
      }
      return;
    }
    const e = ipErrs(ip, ipsPath.index(i));
    if (e.length) invalid = true;
    errs.push(...e);
  });
  if (ips.length > 2) errs.push(fieldErrors.invalid(ipsPath, shownIPs, 'may only hold up to 2 values'));
  if (invalid) return errs;
  if (ips.length > 1) {
    const v6 = ips.filter(isIPv6String).length;
    if (v6 === 0 || v6 === ips.length) errs.push(fieldErrors.invalid(ipsPath, shownIPs, 'may specify no more than one IP for each IP family'));
  }
  const fams = strs(s.ipFamilies);
  if (!isHeadless(s) && ips.length && fams.length) {
    ips.forEach((ip, i) => {
      if (i > fams.length - 1) return;
      if (fams[i] === 'IPv4' && isIPv6String(ip)) errs.push(fieldErrors.invalid(ipsPath.index(i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (fams[i] === 'IPv6' && !isIPv6String(ip)) errs.push(fieldErrors.invalid(ipsPath.index(i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

export function validateService(svc: Obj): Errs {
  const errs: Errs = [];
  const s = spec(svc);
  const specPath = root('spec');
  const ann = obj(metaOf(svc).annotations) ?? {};
  const hintsKey = 'service.kubernetes.io/topology-aware-hints';
  const modeKey = 'service.kubernetes.io/topology-mode';
  if (modeKey in ann && hintsKey in ann && ann[modeKey] !== ann[hintsKey]) {
    errs.push(fieldErrors.invalid(root('metadata', 'annotations').key(modeKey), str(ann[modeKey]), `must match annotations[${hintsKey}] when both are specified`));
  }
  const type = str(s.type);
  const ports = objs(s.ports);
  if (ports.length === 0 && !isHeadless(s) && type !== 'ExternalName') errs.push(fieldErrors.required(specPath.child('ports'), ''));
  if (type === 'LoadBalancer' && isHeadless(s)) errs.push(fieldErrors.invalid(specPath.child('clusterIPs').index(0), 'None', "may not be set to 'None' for LoadBalancer services"));
  if (type === 'NodePort' && isHeadless(s)) errs.push(fieldErrors.invalid(specPath.child('clusterIPs').index(0), 'None', "may not be set to 'None' for NodePort services"));
  if (type === 'ExternalName') {
    if (arr(s.clusterIPs).length) errs.push(fieldErrors.forbidden(specPath.child('clusterIPs'), 'may not be set for ExternalName services'));
    if (arr(s.ipFamilies).length) errs.push(fieldErrors.forbidden(specPath.child('ipFamilies'), 'may not be set for ExternalName services'));
    if (isSet(s.ipFamilyPolicy)) errs.push(fieldErrors.forbidden(specPath.child('ipFamilyPolicy'), 'may not be set for ExternalName services'));
    const cname = str(s.externalName).replace(/\.$/, '');
    if (cname) errs.push(...dns1123Subdomain(cname, specPath.child('externalName')));
    else errs.push(fieldErrors.required(specPath.child('externalName'), ''));
  }
  const names = new Set<string>();
  ports.forEach((sp, i) => {
    const p = specPath.child('ports').index(i);
    const name = str(sp.name);
    if (ports.length > 1 && !name) errs.push(fieldErrors.required(p.child('name'), ''));
    else if (name) {
      errs.push(...dns1123Label(name, p.child('name')));
      if (names.has(name)) errs.push(fieldErrors.duplicate(p.child('name'), name));
      else names.add(name);
    }
    for (const m of isValidPortNum(num(sp.port))) errs.push(fieldErrors.invalid(p.child('port'), num(sp.port), m));
    const proto = str(sp.protocol);
    if (!proto) errs.push(fieldErrors.required(p.child('protocol'), ''));
    else if (!protocols.includes(proto)) errs.push(fieldErrors.notSupported(p.child('protocol'), proto, protocols));
    errs.push(...portNumOrName(sp.targetPort, p.child('targetPort')));
    if (isSet(sp.appProtocol)) errs.push(...qualifiedName(str(sp.appProtocol), p.child('appProtocol')));
  });
  if (isSet(s.selector)) errs.push(...validateLabels(s.selector, specPath.child('selector')));
  const affinity = str(s.sessionAffinity);
  if (!affinity) errs.push(fieldErrors.required(specPath.child('sessionAffinity'), ''));
  else if (affinity !== 'ClientIP' && affinity !== 'None') errs.push(fieldErrors.notSupported(specPath.child('sessionAffinity'), affinity, ['ClientIP', 'None']));
  const cfgPath = specPath.child('sessionAffinityConfig');
  if (affinity === 'ClientIP') {
    const cfg = obj(s.sessionAffinityConfig);
    const clientIP = obj(cfg?.clientIP);
    if (!cfg) errs.push(fieldErrors.required(cfgPath, 'when session affinity type is ClientIP'));
    else if (!clientIP) errs.push(fieldErrors.required(cfgPath.child('clientIP'), 'when session affinity type is ClientIP'));
    else if (!isSet(clientIP.timeoutSeconds)) errs.push(fieldErrors.required(cfgPath.child('clientIP').child('timeoutSeconds'), 'when session affinity type is ClientIP'));
    else {
      const t = num(clientIP.timeoutSeconds);
      if (t <= 0 || t > 86400) errs.push(fieldErrors.invalid(cfgPath.child('clientIP').child('timeoutSeconds'), t, 'must be greater than 0 and less than 86400'));
    }
  } else if (affinity === 'None' && isSet(s.sessionAffinityConfig)) {
    errs.push(fieldErrors.forbidden(cfgPath, 'must not be set when session affinity is None'));
  }
  errs.push(...clusterIPsRelated(s));
  strs(s.externalIPs).forEach((ip, i) => {
    const p = specPath.child('externalIPs').index(i);
    const e = ipErrs(ip, p);
    errs.push(...(e.length ? e : nonSpecialIP(ip, p)));
  });
  if (!type) errs.push(fieldErrors.required(specPath.child('type'), ''));
  else if (!serviceTypes.includes(type)) errs.push(fieldErrors.notSupported(specPath.child('type'), type, serviceTypes));
  if (type === 'ClusterIP') {
    ports.forEach((sp, i) => {
      if (num(sp.nodePort) !== 0) errs.push(fieldErrors.forbidden(specPath.child('ports').index(i).child('nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((sp, i) => {
    const np = num(sp.nodePort);
    if (np === 0) return;
    const key = `${str(sp.protocol)}/${np}`;
    if (nodePorts.has(key)) errs.push(fieldErrors.duplicate(specPath.child('ports').index(i).child('nodePort'), np));
    nodePorts.add(key);
  });
  const portKeys = new Set<string>();
  ports.forEach((sp, i) => {
    const key = `${str(sp.protocol)}/${num(sp.port)}`;
    if (portKeys.has(key)) errs.push(fieldErrors.duplicate(specPath.child('ports').index(i), servicePortKey(str(sp.protocol), num(sp.port))));
    portKeys.add(key);
  });
  const ranges = strs(s.loadBalancerSourceRanges);
  const rangesAnn = 'service.beta.kubernetes.io/load-balancer-source-ranges';
  if (ranges.length) {
    const p = specPath.child('LoadBalancerSourceRanges');
    if (type !== 'LoadBalancer') errs.push(fieldErrors.forbidden(p, "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => errs.push(...cidrErrs(r.trim(), p.index(i))));
  } else if (rangesAnn in ann) {
    const p = root('metadata', 'annotations').key(rangesAnn);
    if (type !== 'LoadBalancer') errs.push(fieldErrors.forbidden(p, "may only be used when `type` is 'LoadBalancer'"));
    const val = str(ann[rangesAnn]).trim();
    if (val) for (const c of val.split(',')) errs.push(...cidrErrs(c.trim(), p));
  }
  if (isSet(s.allocateLoadBalancerNodePorts) && type !== 'LoadBalancer') {
    errs.push(fieldErrors.forbidden(specPath.child('allocateLoadBalancerNodePorts'), "may only be used when `type` is 'LoadBalancer'"));
  }
  if (type === 'LoadBalancer' && !isSet(s.allocateLoadBalancerNodePorts)) errs.push(fieldErrors.required(root('allocateLoadBalancerNodePorts'), ''));
  errs.push(...loadBalancerClass(undefined, s));
  // external traffic policy
  const externallyAccessible = type === 'LoadBalancer' || type === 'NodePort' || (type === 'ClusterIP' && arr(s.externalIPs).length > 0);
  const etp = str(s.externalTrafficPolicy);
  if (!externallyAccessible) {
    if (etp) errs.push(fieldErrors.invalid(specPath.child('externalTrafficPolicy'), etp, 'may only be set for externally-accessible services'));
  } else if (!etp) errs.push(fieldErrors.required(specPath.child('externalTrafficPolicy'), ''));
  else if (etp !== 'Cluster' && etp !== 'Local') errs.push(fieldErrors.notSupported(specPath.child('externalTrafficPolicy'), etp, ['Cluster', 'Local']));
  const needsHC = type === 'LoadBalancer' && etp === 'Local';
  const hc = num(s.healthCheckNodePort);
  if (!needsHC) {
    if (hc !== 0) errs.push(fieldErrors.invalid(specPath.child('healthCheckNodePort'), hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  } else if (hc === 0) errs.push(fieldErrors.required(specPath.child('healthCheckNodePort'), ''));
  else for (const m of isValidPortNum(hc)) errs.push(fieldErrors.invalid(specPath.child('healthCheckNodePort'), hc, m));
  if (!isSet(s.internalTrafficPolicy)) {
    if (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP') errs.push(fieldErrors.required(specPath.child('internalTrafficPolicy'), ''));
  } else if (!['Cluster', 'Local'].includes(str(s.internalTrafficPolicy))) {
    errs.push(fieldErrors.notSupported(specPath.child('internalTrafficPolicy'), str(s.internalTrafficPolicy), ['Cluster', 'Local']));
  }
  if (isSet(s.trafficDistribution) && str(s.trafficDistribution) !== 'PreferClose') {
    errs.push(fieldErrors.notSupported(specPath.child('trafficDistribution'), str(s.trafficDistribution), ['PreferClose']));
  }
  return errs;
}

function loadBalancerClass(old: Obj | undefined, s: Obj): Errs {
  const errs: Errs = [];
  const p = root('spec', 'loadBalancerClass');
  if (old && str(old.type) === 'LoadBalancer' && str(s.type) === 'LoadBalancer' && (old.loadBalancerClass ?? null) !== (s.loadBalancerClass ?? null)) {
    errs.push(fieldErrors.invalid(p, s.loadBalancerClass ?? null, 'may not change once set'));
  }
  if (str(s.type) === 'LoadBalancer') {
    if (isSet(s.loadBalancerClass)) errs.push(...qualifiedName(str(s.loadBalancerClass), p));
  } else if (isSet(s.loadBalancerClass)) errs.push(fieldErrors.forbidden(p, "may only be used when `type` is 'LoadBalancer'"));
  return errs;
}

export function validateServiceUpdate(svc: Obj, old: Obj): Errs {
  const errs: Errs = [];
  const s = spec(svc);
  const o = spec(old);
  const ips = strs(s.clusterIPs);
  const oips = strs(o.clusterIPs);
  const ipsPath = root('spec', 'clusterIPs');
  const shown = goStringSlice(s.clusterIPs);
  const external = str(s.type) === 'ExternalName' || str(o.type) === 'ExternalName';
  if (!external && !(isHeadless(s) && isHeadless(o))) {
    if (oips.length === ips.length) {
      oips.forEach((ip, i) => {
        if (ip !== ips[i]) errs.push(fieldErrors.invalid(ipsPath.index(i), shown, 'may not change once set'));
      });
    } else if (oips.length > ips.length) {
      if (ips.length === 0) errs.push(fieldErrors.invalid(ipsPath.index(0), shown, 'primary clusterIP can not be unset'));
      if (oips.length && ips.length && ips[0] !== oips[0]) errs.push(fieldErrors.invalid(ipsPath.index(0), shown, 'may not change once set'));
      if (ips.length === 1 && str(s.ipFamilyPolicy) !== 'SingleStack') {
        errs.push(fieldErrors.invalid(root('spec', 'ipFamilyPolicy'), s.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
      }
    } else if (oips.length && ips[0] !== oips[0]) errs.push(fieldErrors.invalid(ipsPath.index(0), shown, 'may not change once set'));
  }
  if (!external && isHeadless(s) === isHeadless(o) && !isHeadless(s)) {
    const f = strs(s.ipFamilies);
    const of = strs(o.ipFamilies);
    const famPath = root('spec', 'ipFamilies');
    const shownF = goStringSlice(s.ipFamilies, 'core.IPFamily');
    if (of.length === f.length) {
      of.forEach((x, i) => {
        if (x !== f[i]) errs.push(fieldErrors.invalid(famPath.index(0), shownF, 'may not change once set'));
      });
    } else if (of.length > f.length) {
      if (ips.length === 0) errs.push(fieldErrors.invalid(famPath.index(0), shownF, 'primary ipFamily can not be unset'));
      if (f.length && f[0] !== of[0]) errs.push(fieldErrors.invalid(famPath.index(0), shown, 'may not change once set'));
      if (f.length === 1 && str(s.ipFamilyPolicy) !== 'SingleStack') {
        errs.push(fieldErrors.invalid(root('spec', 'ipFamilyPolicy'), s.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary ipFamily"));
      }
    } else if (of.length && f.length && f[0] !== of[0]) errs.push(fieldErrors.invalid(famPath.index(0), shown, 'may not change once set'));
  }
  errs.push(...loadBalancerClass(o, s).filter((e) => e.detail === 'may not change once set'));
  const needsHC = (x: Obj) => str(x.type) === 'LoadBalancer' && str(x.externalTrafficPolicy) === 'Local';
  if (needsHC(o) && needsHC(s) && num(s.healthCheckNodePort) !== num(o.healthCheckNodePort)) {
    errs.push(fieldErrors.forbidden(root('spec', 'healthCheckNodePort'), FIELD_IMMUTABLE));
  }
  errs.push(...validateService(svc));
  return errs;
}

export function validateServiceStatus(svc: Obj): Errs {
  const errs: Errs = [];
  const ingPath = root('status', 'loadBalancer', 'ingress');
  const ingress = objs(obj(status(svc).loadBalancer)?.ingress);
  if (str(spec(svc).type) !== 'LoadBalancer' && ingress.length) {
    return [fieldErrors.forbidden(ingPath, "may only be used when `spec.type` is 'LoadBalancer'")];
  }
  ingress.forEach((ing, i) => {
    const p = ingPath.index(i);
    const ip = str(ing.ip);
    if (ip) errs.push(...ipErrs(ip, p.child('ip')));
    if (!isSet(ing.ipMode)) {
      if (ip) errs.push(fieldErrors.required(p.child('ipMode'), 'must be specified when `ip` is set'));
    } else if (!ip) errs.push(fieldErrors.forbidden(p.child('ipMode'), 'may not be specified when `ip` is not set'));
    else if (!['Proxy', 'VIP'].includes(str(ing.ipMode))) errs.push(fieldErrors.notSupported(p.child('ipMode'), str(ing.ipMode), ['Proxy', 'VIP']));
    const host = str(ing.hostname);
    if (host) {
      errs.push(...dns1123Subdomain(host, p.child('hostname')));
      if (parseIP(host)) errs.push(fieldErrors.invalid(p.child('hostname'), host, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

// ---- Endpoints ----

export function validateEndpoints(ep: Obj): Errs {
  const errs: Errs = [];
  objs(ep.subsets).forEach((ss, i) => {
    const p = root('subsets').index(i);
    if (arr(ss.addresses).length === 0 && arr(ss.notReadyAddresses).length === 0) {
      errs.push(fieldErrors.required(p, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const list of ['addresses', 'notReadyAddresses']) {
      objs(ss[list]).forEach((a, j) => {
        const ap = p.child(list).index(j);
        const ip = str(a.ip);
        errs.push(...ipErrs(ip, ap.child('ip')));
        if (str(a.hostname)) errs.push(...dns1123Label(str(a.hostname), ap.child('hostname')));
        if (isSet(a.nodeName)) errs.push(...nameErrors(nameIsDNSSubdomain, str(a.nodeName), ap.child('nodeName')));
        errs.push(...nonSpecialIP(ip, ap.child('ip')));
      });
    }
    const ports = objs(ss.ports);
    ports.forEach((port, j) => {
      const pp = p.child('ports').index(j);
      const name = str(port.name);
      if (ports.length > 1 && !name) errs.push(fieldErrors.required(pp.child('name'), ''));
      else if (name) errs.push(...dns1123Label(name, pp.child('name')));
      for (const m of isValidPortNum(num(port.port))) errs.push(fieldErrors.invalid(pp.child('port'), num(port.port), m));
      const proto = str(port.protocol);
      if (!proto) errs.push(fieldErrors.required(pp.child('protocol'), ''));
      else if (!protocols.includes(proto)) errs.push(fieldErrors.notSupported(pp.child('protocol'), proto, protocols));
      if (isSet(port.appProtocol)) errs.push(...qualifiedName(str(port.appProtocol), pp.child('appProtocol')));
    });
  });
  return errs;
}

// ---- ConfigMap and Secret ----

export const MAX_SECRET_SIZE = 1024 * 1024;

/** The decoded length of base64 text (Secret and ConfigMap binary data travel base64-encoded). */
function base64Length(s: string): number {
  const clean = s.replace(/[\r\n]/g, '');
  const pad = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - pad);
}

function base64Decode(s: string): string {
  let out = '';
  try {
    out = atob(s.replace(/[\r\n]/g, ''));
  } catch {
    return '';
  }
  const bytes = Uint8Array.from(out, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export function validateConfigMap(cm: Obj): Errs {
  const errs: Errs = [];
  let total = 0;
  const binary = obj(cm.binaryData) ?? {};
  for (const [k, v] of entries(cm.data)) {
    for (const m of isConfigMapKey(k)) errs.push(fieldErrors.invalid(root('data').key(k), k, m));
    if (k in binary) errs.push(fieldErrors.invalid(root('data').key(k), k, 'duplicate of key present in binaryData'));
    total += byteLength(str(v));
  }
  for (const [k, v] of entries(cm.binaryData)) {
    for (const m of isConfigMapKey(k)) errs.push(fieldErrors.invalid(root('binaryData').key(k), k, m));
    total += base64Length(str(v));
  }
  if (total > MAX_SECRET_SIZE) errs.push(fieldErrors.tooLong(root(''), '', MAX_SECRET_SIZE));
  return errs;
}

export function validateConfigMapUpdate(cm: Obj, old: Obj): Errs {
  const errs: Errs = [];
  if (old.immutable === true) {
    if (cm.immutable !== true) errs.push(fieldErrors.forbidden(root('immutable'), 'field is immutable when `immutable` is set'));
    if (!semanticEqual(cm.data, old.data)) errs.push(fieldErrors.forbidden(root('data'), 'field is immutable when `immutable` is set'));
    if (!semanticEqual(cm.binaryData, old.binaryData)) errs.push(fieldErrors.forbidden(root('binaryData'), 'field is immutable when `immutable` is set'));
  }
  return [...errs, ...validateConfigMap(cm)];
}

/** Go's encoding/json error for text that is not a JSON object. */
function goJSONObjectError(text: string): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const t = text.trim();
    if (t === '' || /end of JSON input|Unexpected end/i.test((e as Error).message)) return 'unexpected end of JSON input';
    const m = /position (\d+)/.exec((e as Error).message);
    const ch = m ? text[Number(m[1])] : t[0];
    return `invalid character '${ch ?? ''}' looking for beginning of value`;
  }
  if (v === null || (typeof v === 'object' && !Array.isArray(v))) return undefined;
  const kind = Array.isArray(v) ? 'array' : typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : 'bool';
  return `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`;
}

/** A Secret's data as validation sees it: stringData merged over data, decoded. */
function secretData(secret: Obj): Map<string, { size: number; text: () => string }> {
  const data = new Map<string, { size: number; text: () => string }>();
  for (const [k, v] of entries(secret.data)) data.set(k, { size: base64Length(str(v)), text: () => base64Decode(str(v)) });
  for (const [k, v] of entries(secret.stringData)) data.set(k, { size: byteLength(str(v)), text: () => str(v) });
  return data;
}

export function validateSecret(secret: Obj): Errs {
  const errs: Errs = [];
  const dataPath = root('data');
  const data = secretData(secret);
  let total = 0;
  for (const k of [...data.keys()].sort()) {
    for (const m of isConfigMapKey(k)) errs.push(fieldErrors.invalid(dataPath.key(k), k, m));
    total += data.get(k)!.size;
  }
  if (total > MAX_SECRET_SIZE) errs.push(fieldErrors.tooLong(dataPath, '', MAX_SECRET_SIZE));
  const json = (key: string) => {
    const d = data.get(key);
    if (!d) {
      errs.push(fieldErrors.required(dataPath.key(key), ''));
      return;
    }
    const e = goJSONObjectError(d.text());
    if (e) errs.push(fieldErrors.invalid(dataPath.key(key), '<secret contents redacted>', e));
  };
  switch (str(secret.type)) {
    case 'kubernetes.io/service-account-token':
      if (!str(obj(metaOf(secret).annotations)?.['kubernetes.io/service-account.name'])) {
        errs.push(fieldErrors.required(root('metadata', 'annotations').key('kubernetes.io/service-account.name'), ''));
      }
      break;
    case 'kubernetes.io/dockercfg':
      json('.dockercfg');
      break;
    case 'kubernetes.io/dockerconfigjson':
      json('.dockerconfigjson');
      break;
    case 'kubernetes.io/basic-auth':
      if (!data.has('username') && !data.has('password')) {
        errs.push(fieldErrors.required(dataPath.key('username'), ''), fieldErrors.required(dataPath.key('password'), ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!data.get('ssh-privatekey')?.size) errs.push(fieldErrors.required(dataPath.key('ssh-privatekey'), ''));
      break;
    case 'kubernetes.io/tls':
      if (!data.has('tls.crt')) errs.push(fieldErrors.required(dataPath.key('tls.crt'), ''));
      if (!data.has('tls.key')) errs.push(fieldErrors.required(dataPath.key('tls.key'), ''));
      break;
  }
  return errs;
}

export function validateSecretUpdate(secret: Obj, old: Obj): Errs {
  const errs: Errs = [];
  if (str(secret.type) !== str(old.type)) errs.push(fieldErrors.invalid(root('type'), str(secret.type), FIELD_IMMUTABLE));
  if (old.immutable === true) {
    if (secret.immutable !== true) errs.push(fieldErrors.forbidden(root('immutable'), 'field is immutable when `immutable` is set'));
    const flat = (s: Obj) => Object.fromEntries([...secretData(s)].map(([k, v]) => [k, v.text()]));
    if (!semanticEqual(flat(secret), flat(old))) errs.push(fieldErrors.forbidden(root('data'), 'field is immutable when `immutable` is set'));
  }
  return [...errs, ...validateSecret(secret)];
}

// ---- Node ----

function nodeTaints(list: unknown, path: FieldPath): Errs {
  const errs: Errs = [];
  const unique = new Map<string, Set<string>>();
  objs(list).forEach((t, i) => {
    const p = path.index(i);
    const key = str(t.key);
    const effect = str(t.effect);
    errs.push(...validateLabelName(key, p.child('key')));
    const ve = isValidLabelValue(str(t.value));
    if (ve.length) errs.push(fieldErrors.invalid(p.child('value'), str(t.value), ve.join(';')));
    errs.push(...taintEffect(effect, false, p.child('effect')));
    if (unique.get(effect)?.has(key)) {
      const shown = new GoRepr(`core.Taint{Key:${goQuote(key)}, Value:${goQuote(str(t.value))}, Effect:${goQuote(effect)}, TimeAdded:(*v1.Time)(nil)}`);
      errs.push(new FieldError('FieldValueDuplicate', p.toString(), shown, 'taints must be unique by key and effect pair'));
      return;
    }
    if (!unique.has(effect)) unique.set(effect, new Set());
    unique.get(effect)!.add(key);
  });
  return errs;
}

function nodeResources(node: Obj): Errs {
  const errs: Errs = [];
  for (const f of ['capacity', 'allocatable']) {
    for (const [k, v] of entries(status(node)[f])) {
      const p = root('status', f, k);
      const q = quantityAt(v, p, errs);
      if (q) errs.push(...resourceQuantityValue(k, q, p));
    }
  }
  return errs;
}

export function validateNode(node: Obj): Errs {
  const errs: Errs = [];
  // upstream reports taints under metadata
  errs.push(...nodeTaints(spec(node).taints, root('metadata', 'taints')));
  errs.push(...nodeResources(node));
  const cidrs = strs(spec(node).podCIDRs);
  const cp = root('spec', 'podCIDRs');
  cidrs.forEach((c, i) => errs.push(...cidrErrs(c, cp.index(i))));
  if (cidrs.length > 1) {
    const v6 = cidrs.filter((c) => isIPv6String(c.split('/')[0]!)).length;
    if (v6 === 0 || v6 === cidrs.length || cidrs.length > 2) errs.push(fieldErrors.invalid(cp, goStringSlice(cidrs), 'may specify no more than one CIDR for each IP family'));
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(fieldErrors.duplicate(cp.index(i), c));
      seen.add(c);
    });
  }
  return errs;
}

export function validateNodeUpdate(node: Obj, old: Obj): Errs {
  const errs: Errs = [];
  errs.push(...nodeResources(node));
  const seen = new Set<string>();
  objs(status(node).addresses).forEach((a, i) => {
    const key = `${str(a.type)}/${str(a.address)}`;
    if (seen.has(key)) errs.push(fieldErrors.duplicate(root('status', 'addresses').index(i), new GoRepr(`core.NodeAddress{Type:${goQuote(str(a.type))}, Address:${goQuote(str(a.address))}}`)));
    seen.add(key);
  });
  const oldCIDRs = strs(spec(old).podCIDRs);
  const newCIDRs = strs(spec(node).podCIDRs);
  const cidrMsg = 'node updates may not change podCIDR except from "" to valid';
  if (oldCIDRs.length) {
    if (oldCIDRs.length !== newCIDRs.length) errs.push(fieldErrors.forbidden(root('spec', 'podCIDRs'), cidrMsg));
    else oldCIDRs.forEach((c, i) => {
      if (c !== newCIDRs[i]) errs.push(fieldErrors.forbidden(root('spec', 'podCIDRs'), cidrMsg));
    });
  }
  const oldProvider = str(spec(old).providerID);
  if (oldProvider && oldProvider !== str(spec(node).providerID)) {
    errs.push(fieldErrors.forbidden(root('spec', 'providerID'), 'node updates may not change providerID except from "" to valid'));
  }
  errs.push(...nodeTaints(spec(node).taints, root('metadata', 'taints')));
  if (str(spec(node).externalID) !== str(spec(old).externalID)) errs.push(fieldErrors.forbidden(root('spec', 'externalID'), 'may not be updated'));
  return errs;
}

// ---- PersistentVolume and PersistentVolumeClaim ----

const pvSources = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'glusterfs', 'flocker', 'nfs', 'rbd', 'quobyte', 'cephfs', 'iscsi',
  'cinder', 'fc', 'flexVolume', 'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk', 'scaleIO',
  'local', 'storageos', 'csi',
];
const reclaimPolicies = ['Delete', 'Recycle', 'Retain'];

function pvSourceChecks(kind: string, s: Obj, p: FieldPath, pvName: string): Errs {
  const req = (...fields: string[]) => fields.filter((f) => !str(s[f])).map((f) => fieldErrors.required(p.child(f), ''));
  switch (kind) {
    case 'hostPath':
    case 'local': {
      if (!str(s.path)) return [fieldErrors.required(p.child('path'), '')];
      const errs = validatePathNoBacksteps(str(s.path), p.child('path'));
      const types = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
      if (kind === 'hostPath' && isSet(s.type) && !types.includes(str(s.type))) errs.push(fieldErrors.notSupported(p.child('type'), str(s.type), types));
      return errs;
    }
    case 'nfs': {
      const errs = req('server', 'path');
      if (!str(s.path).startsWith('/')) errs.push(fieldErrors.invalid(p.child('path'), str(s.path), 'must be an absolute path'));
      return errs;
    }
    case 'csi': {
      const errs = csiDriverName(str(s.driver), p.child('driver'));
      errs.push(...req('volumeHandle'));
      for (const ref of ['controllerPublishSecretRef', 'controllerExpandSecretRef', 'nodePublishSecretRef', 'nodeExpandSecretRef']) {
        const r = obj(s[ref]);
        if (!r) continue;
        const rp = p.child(ref);
        if (!str(r.name)) errs.push(fieldErrors.required(rp.child('name'), ''));
        else errs.push(...dns1123Subdomain(str(r.name), rp.child('name')));
        if (!str(r.namespace)) errs.push(fieldErrors.required(rp.child('namespace'), ''));
        else errs.push(...dns1123Label(str(r.namespace), rp.child('namespace')));
      }
      return errs;
    }
    case 'iscsi': {
      const errs = req('targetPortal');
      if (isSet(s.initiatorName) && byteLength(`${pvName}:${str(s.targetPortal)}`) > 64) {
        errs.push(fieldErrors.invalid(p.child('targetportal'), str(s.targetPortal), 'Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.'));
      }
      if (!str(s.iqn)) errs.push(fieldErrors.required(p.child('iqn'), ''));
      if (num(s.lun) < 0 || num(s.lun) > 255) errs.push(fieldErrors.invalid(p.child('lun'), num(s.lun), inclusiveRangeError(0, 255)));
      return errs;
    }
    case 'gcePersistentDisk':
      return req('pdName');
    case 'awsElasticBlockStore':
    case 'cinder':
    case 'portworxVolume':
      return req('volumeID');
    case 'glusterfs':
      return req('endpoints', 'path');
    case 'rbd':
      return [...(arr(s.monitors).length ? [] : [fieldErrors.required(p.child('monitors'), '')]), ...req('image')];
    case 'cephfs':
      return arr(s.monitors).length ? [] : [fieldErrors.required(p.child('monitors'), '')];
    case 'flexVolume':
      return req('driver');
    case 'azureFile':
      return req('secretName', 'shareName');
    case 'vsphereVolume':
      return req('volumePath');
    case 'photonPersistentDisk':
      return req('pdID');
    case 'azureDisk':
      return req('diskName', 'diskURI');
    case 'scaleIO':
      return req('gateway', 'system', 'volumeName');
    case 'quobyte':
      return req('registry', 'volume');
    case 'storageos':
      return str(s.volumeName) ? dns1123Label(str(s.volumeName), p.child('volumeName')) : [fieldErrors.required(p.child('volumeName'), '')];
    default:
      return [];
  }
}

export function validatePersistentVolume(pv: Obj): Errs {
  const errs: Errs = [];
  const s = spec(pv);
  const path = root('spec');
  const name = str(metaOf(pv).name);
  if (arr(s.accessModes).length === 0) errs.push(fieldErrors.required(path.child('accessModes'), ''));
  errs.push(...validateAccessModes(s.accessModes, path.child('accessModes')));
  const capacity = obj(s.capacity);
  const capPath = path.child('capacity');
  if (!capacity || keys(capacity).length === 0) errs.push(fieldErrors.required(capPath, ''));
  if (!capacity || !('storage' in capacity) || keys(capacity).length > 1) {
    errs.push(fieldErrors.notSupported(capPath, new GoRepr(`core.ResourceList{${keys(capacity).map((k) => `${goQuote(k)}:${formatQuantitySafe(capacity![k])}`).join(', ')}}`), ['storage']));
  }
  for (const [k, v] of entries(capacity)) {
    const q = quantityAt(v, capPath.key(k), errs);
    if (!q) continue;
    if (quantityValue(q) < 0n) errs.push(fieldErrors.invalid(capPath.key(k), Number(quantityValue(q)), 'must be a valid resource quantity'));
    if (q.mantissa <= 0n) errs.push(fieldErrors.invalid(capPath.key(k), formatQuantity(q), 'must be greater than zero'));
  }
  const policy = str(s.persistentVolumeReclaimPolicy);
  if (policy && !reclaimPolicies.includes(policy)) errs.push(fieldErrors.notSupported(path.child('persistentVolumeReclaimPolicy'), policy, reclaimPolicies));
  let affinitySet = false;
  const affinity = obj(s.nodeAffinity);
  if (affinity) {
    affinitySet = true;
    const req = obj(affinity.required);
    if (req) errs.push(...validateNodeSelector(req, path.child('nodeAffinity').child('required')));
    else errs.push(fieldErrors.required(path.child('nodeAffinity').child('required'), 'must specify required node constraints'));
  }
  let count = 0;
  for (const kind of pvSources) {
    const src = obj(s[kind]);
    if (!src) continue;
    const child = kind === 'gcePersistentDisk' ? 'persistentDisk' : kind;
    if (count > 0 && kind !== 'flexVolume') {
      errs.push(fieldErrors.forbidden(path.child(kind), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    errs.push(...pvSourceChecks(kind, src, path.child(child), name));
    if (kind === 'local' && !affinitySet) errs.push(fieldErrors.required(path.child('nodeAffinity'), 'Local volume requires node affinity'));
  }
  if (count === 0) errs.push(fieldErrors.required(path, 'must specify a volume type'));
  const hp = obj(s.hostPath);
  if (hp && str(hp.path).replace(/\/+/g, '/').replace(/(.)\/$/, '$1') === '/' && policy === 'Recycle') {
    errs.push(fieldErrors.forbidden(path.child('persistentVolumeReclaimPolicy'), "may not be 'recycle' for a hostPath mount of '/'"));
  }
  if (str(s.storageClassName)) errs.push(...nameErrors(nameIsDNSSubdomain, str(s.storageClassName), path.child('storageClassName')));
  if (isSet(s.volumeMode) && !volumeModes.includes(str(s.volumeMode))) errs.push(fieldErrors.notSupported(path.child('volumeMode'), str(s.volumeMode), volumeModes));
  if (isSet(s.volumeAttributesClassName)) {
    const v = str(s.volumeAttributesClassName);
    if (!v) errs.push(fieldErrors.required(path.child('volumeAttributesClassName'), 'an empty string is disallowed'));
    else errs.push(...nameErrors(nameIsDNSSubdomain, v, path.child('volumeAttributesClassName')));
    if (!obj(s.csi)) errs.push(fieldErrors.required(path.child('csi'), 'has to be specified when using volumeAttributesClassName'));
  }
  return errs;
}

function formatQuantitySafe(v: unknown): string {
  try {
    return formatQuantity(quantityAt(v, root(''), [])!);
  } catch {
    return textOf(v);
  }
}

const pvSourceOf = (s: Obj) => Object.fromEntries(pvSources.filter((k) => isSet(s[k])).map((k) => [k, s[k]]));

export function validatePersistentVolumeUpdate(pv: Obj, old: Obj): Errs {
  const errs = validatePersistentVolume(pv);
  const ns = spec(pv);
  const os = spec(old);
  const newSrc = pvSourceOf(ns);
  const oldSrc = pvSourceOf(os);
  // a CSI volume may gain a controllerExpandSecretRef
  const newCSI = obj(newSrc.csi);
  if (newCSI && obj(oldSrc.csi) && !isSet(obj(oldSrc.csi)!.controllerExpandSecretRef)) {
    newSrc.csi = { ...newCSI, controllerExpandSecretRef: undefined };
  }
  if (!semanticEqual(newSrc, oldSrc)) {
    errs.push(fieldErrors.forbidden(root('spec', 'persistentvolumesource'), `spec.persistentvolumesource is immutable after creation\n${specDiff(oldSrc, newSrc, 'core.PersistentVolumeSource')}`));
  }
  errs.push(...immutable(ns.volumeMode ?? null, os.volumeMode ?? null, root('volumeMode')));
  if (obj(os.nodeAffinity) && !semanticEqual(ns.nodeAffinity, os.nodeAffinity)) {
    errs.push(fieldErrors.invalid(root('nodeAffinity'), new GoRepr('&core.VolumeNodeAffinity{...}'), `${FIELD_IMMUTABLE}, except for updating from beta label to GA`));
  }
  if (isSet(os.volumeAttributesClassName) && !isSet(ns.volumeAttributesClassName)) {
    errs.push(fieldErrors.forbidden(root('spec', 'volumeAttributesClassName'), 'update from non-nil value to nil is forbidden'));
  }
  return errs;
}

export const validatePersistentVolumeClaim = (pvc: Obj): Errs => validatePersistentVolumeClaimSpec(spec(pvc), root('spec'));

const BETA_SC = 'volume.beta.kubernetes.io/storage-class';

export function validatePersistentVolumeClaimUpdate(pvc: Obj, old: Obj): Errs {
  const errs = validatePersistentVolumeClaim(pvc);
  const ns: Obj = structuredClone(spec(pvc));
  const os: Obj = structuredClone(spec(old));
  const newAnn = obj(metaOf(pvc).annotations) ?? {};
  const oldAnn = obj(metaOf(old).annotations) ?? {};
  if (!str(os.volumeName)) os.volumeName = ns.volumeName;
  const upgradeFromAnnotation =
    BETA_SC in oldAnn && !isSet(os.storageClassName) && isSet(ns.storageClassName) && str(ns.storageClassName) === str(oldAnn[BETA_SC]) &&
    (!(BETA_SC in newAnn) || newAnn[BETA_SC] === oldAnn[BETA_SC]);
  if (upgradeFromAnnotation) delete ns.storageClassName;
  else {
    if (str(newAnn[BETA_SC]) !== str(oldAnn[BETA_SC])) errs.push(fieldErrors.invalid(root('metadata').child('annotations', BETA_SC), str(newAnn[BETA_SC]), FIELD_IMMUTABLE));
    if (isSet(ns.storageClassName) && !isSet(os.storageClassName) && (!(BETA_SC in oldAnn) || str(ns.storageClassName) === str(oldAnn[BETA_SC]))) {
      ns.storageClassName = os.storageClassName;
    }
  }
  const bound = str(status(pvc).phase) === 'Bound';
  const nreq = obj(obj(ns.resources)?.requests);
  if (bound && nreq) nreq.storage = obj(obj(os.resources)?.requests)?.storage;
  if (bound && isSet(ns.volumeAttributesClassName)) ns.volumeAttributesClassName = os.volumeAttributesClassName;
  if (!semanticEqual(ns, os)) {
    errs.push(fieldErrors.forbidden(root('spec'), `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${specDiff(os, ns, 'core.PersistentVolumeClaimSpec')}`));
  }
  const sizeOf = (o: Obj) => {
    const v = obj(obj(spec(o).resources)?.requests)?.storage;
    return isSet(v) ? quantityAt(v, root(''), []) : newQuantity(0);
  };
  const newSize = sizeOf(pvc);
  const oldSize = sizeOf(old);
  const capacity = obj(status(old).capacity)?.storage;
  const statusSize = isSet(capacity) ? quantityAt(capacity, root(''), []) : newQuantity(0);
  if (newSize && oldSize && compareQuantity(newSize, oldSize) < 0 && statusSize && compareQuantity(newSize, statusSize) <= 0) {
    errs.push(fieldErrors.forbidden(root('spec', 'resources', 'requests', 'storage'), 'field can not be less than status.capacity'));
  }
  errs.push(...immutable(spec(pvc).volumeMode ?? null, spec(old).volumeMode ?? null, root('volumeMode')));
  const nvac = spec(pvc).volumeAttributesClassName;
  if (isSet(spec(old).volumeAttributesClassName) && !semanticEqual(nvac, spec(old).volumeAttributesClassName)) {
    if (!isSet(nvac)) errs.push(fieldErrors.forbidden(root('spec', 'volumeAttributesClassName'), 'update from non-nil value to nil is forbidden'));
    else if (!str(nvac)) errs.push(fieldErrors.forbidden(root('spec', 'volumeAttributesClassName'), 'update from non-nil value to an empty string is forbidden'));
  }
  return errs;
}

export function validatePersistentVolumeClaimStatus(pvc: Obj): Errs {
  const errs: Errs = [];
  if (arr(spec(pvc).accessModes).length === 0) errs.push(fieldErrors.required(root('Spec', 'accessModes'), ''));
  for (const [k, v] of entries(status(pvc).capacity)) {
    const q = quantityAt(v, root('status', 'capacity').key(k), errs);
    if (q && quantityValue(q) < 0n) errs.push(fieldErrors.invalid(root('status', 'capacity').key(k), Number(quantityValue(q)), 'must be a valid resource quantity'));
  }
  return errs;
}

// ---- LimitRange and ResourceQuota ----

export function validateLimitRange(lr: Obj): Errs {
  const errs: Errs = [];
  const types = new Set<string>();
  objs(spec(lr).limits).forEach((limit, i) => {
    const p = root('spec', 'limits').index(i);
    const type = str(limit.type);
    const tn = qualifiedName(type, p.child('type'));
    if (tn.length) errs.push(...tn);
    else if (type.split('/').length === 1 && !['Pod', 'Container', 'PersistentVolumeClaim'].includes(type)) {
      errs.push(fieldErrors.invalid(p.child('type'), type, 'must be a standard limit type or fully qualified'));
    }
    if (types.has(type)) errs.push(fieldErrors.duplicate(p.child('type'), type));
    types.add(type);
    const nameFn = type === 'Pod' || type === 'Container' ? validateContainerResourceName : validateResourceName;
    const maps: Record<string, Map<string, Quantity>> = {};
    const allKeys = new Set<string>();
    const read = (field: string) => {
      maps[field] = new Map();
      for (const [k, v] of entries(limit[field])) {
        errs.push(...nameFn(k, p.child(field).key(k)));
        allKeys.add(k);
        const q = quantityAt(v, p.child(field).key(k), errs);
        if (q) maps[field]!.set(k, q);
      }
    };
    read('max');
    read('min');
    if (type === 'Pod') {
      if (keys(limit.default).length) errs.push(fieldErrors.forbidden(p.child('default'), "may not be specified when `type` is 'Pod'"));
      if (keys(limit.defaultRequest).length) errs.push(fieldErrors.forbidden(p.child('defaultRequest'), "may not be specified when `type` is 'Pod'"));
      maps.default = new Map();
      maps.defaultRequest = new Map();
    } else {
      read('default');
      read('defaultRequest');
    }
    if (type === 'PersistentVolumeClaim' && !maps.min!.has('storage') && !maps.max!.has('storage')) {
      errs.push(fieldErrors.required(p.child('limits'), 'either minimum or maximum storage value is required, but neither was provided'));
    }
    read('maxLimitRequestRatio');
    const s = (q: Quantity) => formatQuantity(q);
    const g = (q: Quantity) => new GoRepr(formatQuantity(q));
    for (const k of [...allKeys].sort()) {
      const min = maps.min!.get(k);
      const max = maps.max!.get(k);
      const def = maps.default!.get(k);
      const defReq = maps.defaultRequest!.get(k);
      const ratio = maps.maxLimitRequestRatio!.get(k);
      if (min && max && compareQuantity(min, max) > 0) errs.push(fieldErrors.invalid(p.child('min').key(k), g(min), `min value ${s(min)} is greater than max value ${s(max)}`));
      if (defReq && min && compareQuantity(min, defReq) > 0) errs.push(fieldErrors.invalid(p.child('defaultRequest').key(k), g(defReq), `min value ${s(min)} is greater than default request value ${s(defReq)}`));
      if (defReq && max && compareQuantity(defReq, max) > 0) errs.push(fieldErrors.invalid(p.child('defaultRequest').key(k), g(defReq), `default request value ${s(defReq)} is greater than max value ${s(max)}`));
      if (defReq && def && compareQuantity(defReq, def) > 0) errs.push(fieldErrors.invalid(p.child('defaultRequest').key(k), g(defReq), `default request value ${s(defReq)} is greater than default limit value ${s(def)}`));
      if (def && min && compareQuantity(min, def) > 0) errs.push(fieldErrors.invalid(p.child('default').key(k), g(min), `min value ${s(min)} is greater than default value ${s(def)}`));
      if (def && max && compareQuantity(def, max) > 0) errs.push(fieldErrors.invalid(p.child('default').key(k), g(max), `default value ${s(def)} is greater than max value ${s(max)}`));
      if (ratio && compareQuantity(ratio, newQuantity(1)) < 0) errs.push(fieldErrors.invalid(p.child('maxLimitRequestRatio').key(k), g(ratio), `ratio ${s(ratio)} is less than 1`));
      if (ratio && min && max) {
        const limit = Number(milliValue(max)) / Number(milliValue(min));
        if (Number(milliValue(ratio)) / 1000 > limit) {
          errs.push(fieldErrors.invalid(p.child('maxLimitRequestRatio').key(k), g(ratio), `ratio ${s(ratio)} is greater than max/min = ${limit.toFixed(6)}`));
        }
      }
      if (!isOvercommitAllowed(k) && def && defReq && compareQuantity(def, defReq) !== 0) {
        errs.push(fieldErrors.invalid(p.child('defaultRequest').key(k), g(defReq), `default value ${s(def)} must equal to defaultRequest value ${s(defReq)} in ${k}`));
      }
    }
  });
  return errs;
}

const quotaScopes = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity', 'VolumeAttributesClass'];
const podCountOrCompute = new Set(['pods', 'cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);
const scopeValidFor = (scope: string, res: string) =>
  ['Terminating', 'NotTerminating', 'NotBestEffort'].includes(scope) ? podCountOrCompute.has(res) : scope === 'BestEffort' ? res === 'pods' : true;

function quotaResourceName(k: string, path: FieldPath): Errs {
  const errs = validateResourceName(k, path);
  if (k.split('/').length === 1 && !isStandardQuotaResourceName(k)) errs.push(fieldErrors.invalid(path, k, 'must be a standard resource for quota'));
  return errs;
}

function quotaList(list: unknown, path: FieldPath): Errs {
  const errs: Errs = [];
  for (const [k, v] of entries(list)) {
    const p = path.key(k);
    errs.push(...quotaResourceName(k, p));
    const q = quantityAt(v, p, errs);
    if (q) errs.push(...resourceQuantityValue(k, q, p));
  }
  return errs;
}

function validateResourceQuotaSpec(s: Obj): Errs {
  const path = root('spec');
  const errs = quotaList(s.hard, path.child('hard'));
  const hard = keys(s.hard);
  const scopes = strs(s.scopes);
  const shownScopes = goStringSlice(s.scopes, 'core.ResourceQuotaScope');
  if (scopes.length) {
    const sp = path.child('scopes');
    for (const scope of scopes) {
      if (!quotaScopes.includes(scope)) errs.push(fieldErrors.invalid(sp, shownScopes, 'unsupported scope'));
      for (const k of hard) if (isStandardQuotaResourceName(k) && !scopeValidFor(scope, k)) errs.push(fieldErrors.invalid(sp, shownScopes, 'unsupported scope applied to resource'));
    }
    for (const [a, b] of [['BestEffort', 'NotBestEffort'], ['Terminating', 'NotTerminating']]) {
      if (scopes.includes(a!) && scopes.includes(b!)) errs.push(fieldErrors.invalid(sp, shownScopes, 'conflicting scopes'));
    }
  }
  const sel = obj(s.scopeSelector);
  if (sel) {
    const mp = path.child('scopeSelector', 'matchExpressions');
    const seen = new Set<string>();
    for (const req of objs(sel.matchExpressions)) {
      const scope = str(req.scopeName);
      if (!quotaScopes.includes(scope)) errs.push(fieldErrors.invalid(mp.child('scopeName'), scope, 'unsupported scope'));
      for (const k of hard) if (isStandardQuotaResourceName(k) && !scopeValidFor(scope, k)) errs.push(fieldErrors.invalid(mp, new GoRepr('&core.ScopeSelector{...}'), 'unsupported scope applied to resource'));
      const op = str(req.operator);
      if (['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating', 'CrossNamespacePodAffinity'].includes(scope) && op !== 'Exists') {
        errs.push(fieldErrors.invalid(mp.child('operator'), op, "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"));
      }
      const values = arr(req.values);
      if (op === 'In' || op === 'NotIn') {
        if (values.length === 0) errs.push(fieldErrors.required(mp.child('values'), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
      } else if (op === 'Exists' || op === 'DoesNotExist') {
        if (values.length) errs.push(fieldErrors.invalid(mp.child('values'), goStringSlice(values), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
      } else errs.push(fieldErrors.invalid(mp.child('operator'), op, 'not a valid selector operator'));
      seen.add(scope);
    }
    for (const [a, b] of [['BestEffort', 'NotBestEffort'], ['Terminating', 'NotTerminating']]) {
      if (seen.has(a!) && seen.has(b!)) errs.push(fieldErrors.invalid(mp, shownScopes, 'conflicting scopes'));
    }
  }
  return errs;
}

export function validateResourceQuota(rq: Obj): Errs {
  return [
    ...validateResourceQuotaSpec(spec(rq)),
    ...quotaList(status(rq).hard, root('status', 'hard')),
    ...quotaList(status(rq).used, root('status', 'used')),
  ];
}

export function validateResourceQuotaUpdate(rq: Obj, old: Obj): Errs {
  const errs = validateResourceQuotaSpec(spec(rq));
  const a = new Set(strs(spec(rq).scopes));
  const b = new Set(strs(spec(old).scopes));
  if (a.size !== b.size || [...a].some((x) => !b.has(x))) {
    errs.push(fieldErrors.invalid(root('spec', 'scopes'), goStringSlice(spec(rq).scopes, 'core.ResourceQuotaScope'), FIELD_IMMUTABLE));
  }
  return errs;
}

export function validateResourceQuotaStatus(rq: Obj): Errs {
  const errs: Errs = [];
  if (!str(metaOf(rq).resourceVersion)) errs.push(fieldErrors.required(root('resourceVersion'), ''));
  errs.push(...quotaList(status(rq).hard, root('status', 'hard')), ...quotaList(status(rq).used, root('status', 'used')));
  return errs;
}

