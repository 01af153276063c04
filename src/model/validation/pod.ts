// PodSpec validation (pkg/apis/core/validation: ValidatePodSpec and its helpers), shared by Pod,
// PodTemplate and every workload's pod template.
import { FieldError, GoRepr, goQuote } from '../field.js';
import { validateLabelName, validateLabels, validateLabelSelector } from '../labels.js';
import { compareQuantity, formatQuantity, milliValue, quantityFromJSON, quantityValue, type Quantity } from '../quantity.js';
import { validateAnnotations, validateTemplateObjectMeta } from './meta.js';
import {
  byteLength,
  isConfigMapKey,
  isHTTPHeaderName,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidGroupID,
  isValidIPMessages,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  isValidUserID,
  inclusiveRangeError,
} from './strings.js';
import {
  arr,
  bool,
  dns1123Label,
  dns1123Subdomain,
  entries,
  type Errs,
  FieldPath,
  fieldErrors,
  isSet,
  keys,
  nameErrors,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  nonNegative,
  num,
  obj,
  type Obj,
  objs,
  portNumOrName,
  qualifiedName,
  quantityAt,
  str,
  strs,
} from './util.js';

export interface PodOptions {
  /** The spec belongs to a Pod itself rather than to a template embedded in another object. */
  resourceIsPod?: boolean;
}

const fileModeErrorMsg = 'must be a number between 0 and 0777 (octal), both inclusive';
const MAX_INT32 = 2147483647;

function fileMode(v: unknown, path: FieldPath): Errs {
  if (!isSet(v)) return [];
  const m = num(v);
  return m > 0o777 || m < 0 ? [fieldErrors.invalid(path, m, fileModeErrorMsg)] : [];
}

// ---- paths ----

const isAbs = (p: string) => p.startsWith('/');

export function validatePathNoBacksteps(target: string, path: FieldPath): Errs {
  return target.split('/').includes('..') ? [fieldErrors.invalid(path, target, "must not contain '..'")] : [];
}

export function validateLocalDescendingPath(target: string, path: FieldPath): Errs {
  const errs: Errs = [];
  if (isAbs(target)) errs.push(fieldErrors.invalid(path, target, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(target, path));
  return errs;
}

function validateLocalNonReservedPath(target: string, path: FieldPath): Errs {
  const errs = validateLocalDescendingPath(target, path);
  if (target.startsWith('..') && !target.startsWith('../')) errs.push(fieldErrors.invalid(path, target, "must not start with '..'"));
  return errs;
}

function keyToPath(kp: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  if (!str(kp.key)) errs.push(fieldErrors.required(path.child('key'), ''));
  if (!str(kp.path)) errs.push(fieldErrors.required(path.child('path'), ''));
  errs.push(...validateLocalNonReservedPath(str(kp.path), path.child('path')));
  errs.push(...fileMode(kp.mode, path.child('mode')));
  return errs;
}

// ---- downward API ----

const volumeFieldPaths = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
const envFieldPaths = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
].sort();
const convertibleFieldLabels = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
]);

function splitSubscript(fp: string): { path: string; subscript: string } | undefined {
  if (!fp.endsWith("']")) return undefined;
  const i = fp.indexOf("['");
  if (i < 0) return undefined;
  return { path: fp.slice(0, i), subscript: fp.slice(i + 2, -2) };
}

function objectFieldSelector(fs: Obj, expressions: string[], path: FieldPath): Errs {
  const apiVersion = str(fs.apiVersion);
  const fieldPath = str(fs.fieldPath);
  if (!apiVersion) return [fieldErrors.required(path.child('apiVersion'), '')];
  if (!fieldPath) return [fieldErrors.required(path.child('fieldPath'), '')];
  // podshelper.ConvertDownwardAPIFieldLabel
  let convErr: string | undefined;
  if (apiVersion !== 'v1') convErr = `unsupported pod version: ${apiVersion}`;
  else {
    const sub = splitSubscript(fieldPath);
    if (sub) {
      if (sub.path !== 'metadata.annotations' && sub.path !== 'metadata.labels') convErr = `field label does not support subscript: ${fieldPath}`;
    } else if (!convertibleFieldLabels.has(fieldPath)) convErr = `field label not supported: ${fieldPath}`;
  }
  if (convErr) return [fieldErrors.invalid(path.child('fieldPath'), fieldPath, `error converting fieldPath: ${convErr}`)];
  const sub = splitSubscript(fieldPath);
  if (sub) {
    if (sub.path === 'metadata.annotations') return qualifiedName(sub.subscript.toLowerCase(), path);
    if (sub.path === 'metadata.labels') return qualifiedName(sub.subscript, path);
    return [fieldErrors.invalid(path, sub.path, 'does not support subscript')];
  }
  if (!expressions.includes(fieldPath)) return [fieldErrors.notSupported(path.child('fieldPath'), fieldPath, [...expressions].sort())];
  return [];
}

const resourceFieldPaths = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];
const memoryDivisors = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];

function resourceFieldSelector(fs: Obj, path: FieldPath, volume: boolean): Errs {
  const errs: Errs = [];
  const resource = str(fs.resource);
  if (volume && !str(fs.containerName)) errs.push(fieldErrors.required(path.child('containerName'), ''));
  else if (!resource) errs.push(fieldErrors.required(path.child('resource'), ''));
  else if (!resourceFieldPaths.includes(resource) && !resource.startsWith('requests.hugepages-') && !resource.startsWith('limits.hugepages-')) {
    errs.push(fieldErrors.notSupported(path.child('resource'), resource, resourceFieldPaths));
  }
  if (isSet(fs.divisor)) {
    const d = quantityAt(fs.divisor, path.child('divisor'), errs);
    if (d && d.mantissa !== 0n) {
      const text = formatQuantity(d);
      const bad = (what: string, allowed: string[], list: string) => {
        if (!allowed.includes(text)) errs.push(fieldErrors.invalid(path.child('divisor'), resource, `only divisor's values ${list} are supported with the ${what}`));
      };
      if (resource === 'limits.cpu' || resource === 'requests.cpu') bad('cpu resource', ['1m', '1'], '1m and 1');
      else if (resource === 'limits.memory' || resource === 'requests.memory') bad('memory resource', memoryDivisors, memoryDivisors.join(', '));
      else if (resource.endsWith('.ephemeral-storage')) bad('local ephemeral storage resource', memoryDivisors, memoryDivisors.join(', '));
      if (resource.startsWith('requests.hugepages-') || resource.startsWith('limits.hugepages-')) bad('hugepages resource', memoryDivisors, memoryDivisors.join(', '));
    }
  }
  return errs;
}

function downwardAPIFile(file: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  if (!str(file.path)) errs.push(fieldErrors.required(path.child('path'), ''));
  errs.push(...validateLocalNonReservedPath(str(file.path), path.child('path')));
  const fieldRef = obj(file.fieldRef);
  const resourceFieldRef = obj(file.resourceFieldRef);
  if (fieldRef) {
    errs.push(...objectFieldSelector(fieldRef, volumeFieldPaths, path.child('fieldRef')));
    if (resourceFieldRef) errs.push(fieldErrors.invalid(path, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (resourceFieldRef) {
    errs.push(...resourceFieldSelector(resourceFieldRef, path.child('resourceFieldRef'), true));
  } else {
    errs.push(fieldErrors.required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  errs.push(...fileMode(file.mode, path.child('mode')));
  return errs;
}

// ---- volumes ----

const hostPathTypes = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];

function pullPolicy(v: unknown, path: FieldPath): Errs {
  const p = str(v);
  if (pullPolicies.includes(p)) return [];
  if (!p) return [fieldErrors.required(path, '')];
  return [fieldErrors.notSupported(path, p, pullPolicies)];
}

function hostPathSource(hp: Obj, path: FieldPath): Errs {
  if (!str(hp.path)) return [fieldErrors.required(path.child('path'), '')];
  const errs = validatePathNoBacksteps(str(hp.path), path.child('path'));
  if (isSet(hp.type) && !hostPathTypes.includes(str(hp.type))) errs.push(fieldErrors.notSupported(path.child('type'), str(hp.type), hostPathTypes));
  return errs;
}

function requireStrings(o: Obj, fields: string[], path: FieldPath): Errs {
  return fields.filter((f) => !str(o[f])).map((f) => fieldErrors.required(path.child(f), ''));
}

function projectedSources(projection: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  const allPaths = new Set<string>();
  const addPath = (p: string, shown: string) => {
    if (allPaths.has(p)) errs.push(fieldErrors.invalid(path, shown, 'conflicting duplicate paths'));
    else allPaths.add(p);
  };
  objs(projection.sources).forEach((source, i) => {
    let numSources = 0;
    const srcPath = path.child('sources').index(i);
    for (const kind of ['secret', 'configMap'] as const) {
      const s = obj(source[kind]);
      if (!s) continue;
      numSources++;
      const p = srcPath.child(kind);
      if (!str(s.name)) errs.push(fieldErrors.required(p.child('name'), ''));
      objs(s.items).forEach((kp, j) => {
        errs.push(...keyToPath(kp, p.child('items').index(j)));
        if (str(kp.path)) addPath(str(kp.path), str(s.name));
      });
    }
    const dapi = obj(source.downwardAPI);
    if (dapi) {
      numSources++;
      for (const file of objs(dapi.items)) {
        errs.push(...downwardAPIFile(file, srcPath.child('downwardAPI')));
        if (str(file.path)) addPath(str(file.path), str(file.path));
      }
    }
    const sat = obj(source.serviceAccountToken);
    if (sat) {
      numSources++;
      const p = srcPath.child('serviceAccountToken');
      const exp = num(sat.expirationSeconds);
      if (exp < 600) errs.push(fieldErrors.invalid(p.child('expirationSeconds'), exp, 'may not specify a duration less than 10 minutes'));
      if (exp > 2 ** 32) errs.push(fieldErrors.invalid(p.child('expirationSeconds'), exp, 'may not specify a duration larger than 2^32 seconds'));
      if (!str(sat.path)) errs.push(fieldErrors.required(path.child('path'), ''));
      else errs.push(...validateLocalNonReservedPath(str(sat.path), path.child('path')));
    }
    const ctb = obj(source.clusterTrustBundle);
    if (ctb) {
      numSources++;
      const p = srcPath.child('clusterTrustBundle');
      const usingName = isSet(ctb.name);
      const usingSigner = isSet(ctb.signerName);
      if (usingName && usingSigner) errs.push(fieldErrors.invalid(p, new GoRepr('&core.ClusterTrustBundleProjection{...}'), 'only one of name and signerName may be used'));
      else if (usingName) {
        if (!str(ctb.name)) errs.push(fieldErrors.required(p.child('name'), 'must be a valid object name'));
        if (isSet(ctb.labelSelector)) errs.push(fieldErrors.invalid(p.child('labelSelector'), new GoRepr('&LabelSelector{...}'), 'labelSelector must be unset if name is specified'));
      } else if (usingSigner) {
        if (!str(ctb.signerName)) errs.push(fieldErrors.required(p.child('signerName'), 'must be a valid signer name'));
        errs.push(...validateLabelSelector(obj(ctb.labelSelector), p.child('labelSelector')));
      } else errs.push(fieldErrors.required(p, 'either name or signerName must be specified'));
      if (!str(ctb.path)) errs.push(fieldErrors.required(p.child('path'), ''));
      errs.push(...validateLocalNonReservedPath(str(ctb.path), p.child('path')));
      addPath(str(ctb.path), str(ctb.path));
    }
    if (numSources > 1) errs.push(fieldErrors.forbidden(srcPath, 'may not specify more than 1 volume type per source'));
  });
  return errs;
}

const iqnRe = /iqn\.\d{4}-\d{2}\.([A-Za-z0-9\-.]+)(:[^,;*&$|\s]+)$/;
const euiRe = /^eui.[A-Za-z0-9]{16}$/;
const naaRe = /^naa.[A-Za-z0-9]{32}$/;

function iscsiName(v: string, path: FieldPath, prefixMsg: string): Errs {
  const errs: Errs = [];
  if (!v.startsWith('iqn') && !v.startsWith('eui') && !v.startsWith('naa')) errs.push(fieldErrors.invalid(path, v, prefixMsg));
  if ((v.startsWith('iqn') && !iqnRe.test(v)) || (v.startsWith('eui') && !euiRe.test(v)) || (v.startsWith('naa') && !naaRe.test(v))) {
    errs.push(fieldErrors.invalid(path, v, 'must be valid format'));
  }
  return errs;
}

/** The checks of each volume source kind; `name` is the error path child for a source's own errors. */
const volumeSources: [string, string, (s: Obj, p: FieldPath, ctx: { volName: string; opts: PodOptions }) => Errs][] = [
  ['emptyDir', 'emptyDir', (s, p, _c) => {
    const errs: Errs = [];
    if (isSet(s.sizeLimit)) {
      const q = quantityAt(s.sizeLimit, p.child('sizeLimit'), errs);
      if (q && q.mantissa < 0n) errs.push(fieldErrors.forbidden(p.child('sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
    }
    return errs;
  }],
  ['hostPath', 'hostPath', (s, p) => hostPathSource(s, p)],
  ['gitRepo', 'gitRepo', (s, p) => [...requireStrings(s, ['repository'], p), ...validateLocalDescendingPath(str(s.directory), p.child('directory'))]],
  ['gcePersistentDisk', 'persistentDisk', (s, p) => {
    const errs = requireStrings(s, ['pdName'], p);
    if (num(s.partition) < 0 || num(s.partition) > 255) errs.push(fieldErrors.invalid(p.child('partition'), num(s.partition), inclusiveRangeError(1, 255)));
    return errs;
  }],
  ['awsElasticBlockStore', 'awsElasticBlockStore', (s, p) => {
    const errs = requireStrings(s, ['volumeID'], p);
    if (num(s.partition) < 0 || num(s.partition) > 255) errs.push(fieldErrors.invalid(p.child('partition'), num(s.partition), inclusiveRangeError(1, 255)));
    return errs;
  }],
  ['secret', 'secret', (s, p) => [
    ...requireStrings(s, ['secretName'], p),
    ...fileMode(s.defaultMode, p.child('defaultMode')),
    ...objs(s.items).flatMap((kp, i) => keyToPath(kp, p.child('items').index(i))),
  ]],
  ['nfs', 'nfs', (s, p) => {
    const errs = requireStrings(s, ['server', 'path'], p);
    if (!isAbs(str(s.path))) errs.push(fieldErrors.invalid(p.child('path'), str(s.path), 'must be an absolute path'));
    return errs;
  }],
  ['iscsi', 'iscsi', (s, p, c) => {
    const errs = requireStrings(s, ['targetPortal'], p);
    if (!str(s.iqn)) errs.push(fieldErrors.required(p.child('iqn'), ''));
    else errs.push(...iscsiName(str(s.iqn), p.child('iqn'), 'must be valid format starting with iqn, eui, or naa'));
    if (num(s.lun) < 0 || num(s.lun) > 255) errs.push(fieldErrors.invalid(p.child('lun'), num(s.lun), inclusiveRangeError(0, 255)));
    if ((bool(s.chapAuthDiscovery) || bool(s.chapAuthSession)) && !isSet(s.secretRef)) errs.push(fieldErrors.required(p.child('secretRef'), ''));
    if (isSet(s.initiatorName)) errs.push(...iscsiName(str(s.initiatorName), p.child('initiatorname'), 'must be valid format starting with iqn, eui, or naa'));
    if (isSet(s.initiatorName) && byteLength(`${c.volName}:${str(s.targetPortal)}`) > 64) {
      errs.push(fieldErrors.invalid(p.child('name'), c.volName, 'Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.'));
    }
    return errs;
  }],
  ['glusterfs', 'glusterfs', (s, p) => [...requireStrings(s, ['endpoints'], p), ...requireStrings(s, ['path'], p)]],
  ['flocker', 'flocker', (s, p) => {
    const errs: Errs = [];
    const name = str(s.datasetName);
    const uuid = str(s.datasetUUID);
    if (!name && !uuid) errs.push(fieldErrors.required(p, 'one of datasetName and datasetUUID is required'));
    if (name && uuid) errs.push(fieldErrors.invalid(p, 'resource', 'datasetName and datasetUUID can not be specified simultaneously'));
    if (name.includes('/')) errs.push(fieldErrors.invalid(p.child('datasetName'), name, "must not contain '/'"));
    return errs;
  }],
  ['persistentVolumeClaim', 'persistentVolumeClaim', (s, p) => requireStrings(s, ['claimName'], p)],
  ['rbd', 'rbd', (s, p) => [
    ...(arr(s.monitors).length === 0 ? [fieldErrors.required(p.child('monitors'), '')] : []),
    ...requireStrings(s, ['image'], p),
  ]],
  ['cinder', 'cinder', (s, p) => {
    const errs = requireStrings(s, ['volumeID'], p);
    const ref = obj(s.secretRef);
    if (ref && !str(ref.name)) errs.push(fieldErrors.required(p.child('secretRef', 'name'), ''));
    return errs;
  }],
  ['cephfs', 'cephfs', (s, p) => (arr(s.monitors).length === 0 ? [fieldErrors.required(p.child('monitors'), '')] : [])],
  ['quobyte', 'quobyte', (s, p) => {
    const errs: Errs = [];
    if (!str(s.registry)) errs.push(fieldErrors.required(p.child('registry'), 'must be a host:port pair or multiple pairs separated by commas'));
    else if (str(s.tenant).length >= 65) errs.push(fieldErrors.required(p.child('tenant'), 'must be a UUID and may not exceed a length of 64 characters'));
    else {
      for (const pair of str(s.registry).split(',')) {
        if (!/^(\[[^\]]*\]|[^:]*):[^:]*$/.test(pair)) errs.push(fieldErrors.invalid(p.child('registry'), str(s.registry), 'must be a host:port pair or multiple pairs separated by commas'));
      }
    }
    errs.push(...requireStrings(s, ['volume'], p));
    return errs;
  }],
  ['downwardAPI', 'downwardAPI', (s, p) => [
    ...fileMode(s.defaultMode, p.child('defaultMode')),
    ...objs(s.items).flatMap((f) => downwardAPIFile(f, p)),
  ]],
  ['fc', 'fc', (s, p) => {
    const errs: Errs = [];
    const wwns = arr(s.targetWWNs);
    const wwids = arr(s.wwids);
    if (wwns.length < 1 && wwids.length < 1) errs.push(fieldErrors.required(p.child('targetWWNs'), 'must specify either targetWWNs or wwids, but not both'));
    if (wwns.length && wwids.length) errs.push(fieldErrors.invalid(p.child('targetWWNs'), new GoRepr(`[]string{${strs(wwns).map(goQuote).join(', ')}}`), 'targetWWNs and wwids can not be specified simultaneously'));
    if (wwns.length) {
      if (!isSet(s.lun)) errs.push(fieldErrors.required(p.child('lun'), 'lun is required if targetWWNs is specified'));
      else if (num(s.lun) < 0 || num(s.lun) > 255) errs.push(fieldErrors.invalid(p.child('lun'), num(s.lun), inclusiveRangeError(0, 255)));
    }
    return errs;
  }],
  ['flexVolume', 'flexVolume', (s, p) => {
    const errs = requireStrings(s, ['driver'], p);
    for (const k of keys(s.options)) {
      const parts = k.split('/');
      const ns = parts.length >= 2 ? parts[0]! : k;
      const norm = `.${ns.toLowerCase()}`;
      if (norm.endsWith('.kubernetes.io') || norm.endsWith('.k8s.io')) errs.push(fieldErrors.invalid(p.child('options').key(k), k, 'kubernetes.io and k8s.io namespaces are reserved'));
    }
    return errs;
  }],
  ['configMap', 'configMap', (s, p) => [
    ...requireStrings(s, ['name'], p),
    ...fileMode(s.defaultMode, p.child('defaultMode')),
    ...objs(s.items).flatMap((kp, i) => keyToPath(kp, p.child('items').index(i))),
  ]],
  ['azureFile', 'azureFile', (s, p) => requireStrings(s, ['secretName', 'shareName'], p)],
  ['vsphereVolume', 'vsphereVolume', (s, p) => requireStrings(s, ['volumePath'], p)],
  ['photonPersistentDisk', 'photonPersistentDisk', (s, p) => requireStrings(s, ['pdID'], p)],
  ['portworxVolume', 'portworxVolume', (s, p) => requireStrings(s, ['volumeID'], p)],
  ['azureDisk', 'azureDisk', (s, p) => {
    const errs = requireStrings(s, ['diskName', 'diskURI'], p);
    const modes = ['None', 'ReadOnly', 'ReadWrite'];
    const kinds = ['Dedicated', 'Managed', 'Shared'];
    if (isSet(s.cachingMode) && !modes.includes(str(s.cachingMode))) errs.push(fieldErrors.notSupported(p.child('cachingMode'), str(s.cachingMode), modes));
    if (isSet(s.kind) && !kinds.includes(str(s.kind))) errs.push(fieldErrors.notSupported(p.child('kind'), str(s.kind), kinds));
    if (isSet(s.kind) && str(s.kind) === 'Managed' && !str(s.diskURI).startsWith('/subscriptions/')) {
      errs.push(fieldErrors.notSupported(p.child('diskURI'), str(s.diskURI), ['/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}']));
    }
    if (isSet(s.kind) && str(s.kind) !== 'Managed' && !str(s.diskURI).startsWith('https://')) {
      errs.push(fieldErrors.notSupported(p.child('diskURI'), str(s.diskURI), ['https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd']));
    }
    return errs;
  }],
  ['storageos', 'storageos', (s, p) => {
    const errs: Errs = [];
    if (!str(s.volumeName)) errs.push(fieldErrors.required(p.child('volumeName'), ''));
    else errs.push(...dns1123Label(str(s.volumeName), p.child('volumeName')));
    if (str(s.volumeNamespace)) errs.push(...dns1123Label(str(s.volumeNamespace), p.child('volumeNamespace')));
    const ref = obj(s.secretRef);
    if (ref && !str(ref.name)) errs.push(fieldErrors.required(p.child('secretRef', 'name'), ''));
    return errs;
  }],
  ['projected', 'projected', (s, p) => [...fileMode(s.defaultMode, p.child('defaultMode')), ...projectedSources(s, p)]],
  ['scaleIO', 'scaleIO', (s, p) => requireStrings(s, ['gateway', 'system', 'volumeName'], p)],
  ['csi', 'csi', (s, p) => {
    const errs = csiDriverName(str(s.driver), p.child('driver'));
    const ref = obj(s.nodePublishSecretRef);
    if (ref) {
      if (!str(ref.name)) errs.push(fieldErrors.required(p.child('nodePublishSecretRef', 'name'), ''));
      else errs.push(...nameErrors(nameIsDNSSubdomain, str(ref.name), p.child('name')));
    }
    return errs;
  }],
  ['ephemeral', 'ephemeral', (s, p) => {
    const tmpl = obj(s.volumeClaimTemplate);
    if (!tmpl) return [fieldErrors.required(p.child('volumeClaimTemplate'), '')];
    return [
      ...validateTemplateObjectMeta(tmpl.metadata, p.child('volumeClaimTemplate', 'metadata')),
      ...validatePersistentVolumeClaimSpec(obj(tmpl.spec) ?? {}, p.child('volumeClaimTemplate', 'spec')),
    ];
  }],
  ['image', 'image', (s, p, c) => [
    ...(c.opts.resourceIsPod && !str(s.reference) ? [fieldErrors.required(p.child('reference'), '')] : []),
    ...pullPolicy(s.pullPolicy, p.child('pullPolicy')),
  ]],
];

export function csiDriverName(driver: string, path: FieldPath): Errs {
  const errs: Errs = [];
  if (!driver) errs.push(fieldErrors.required(path, ''));
  if (byteLength(driver) > 63) errs.push(fieldErrors.tooLong(path, '', 63));
  errs.push(...dns1123Subdomain(driver.toLowerCase(), path).map((e) => fieldErrors.invalid(path, driver, e.detail)));
  return errs;
}

function volumeSource(vol: Obj, path: FieldPath, volName: string, podName: string, opts: PodOptions): Errs {
  const errs: Errs = [];
  let count = 0;
  for (const [field, childName, check] of volumeSources) {
    const s = obj(vol[field]);
    if (!s) continue;
    if (count > 0) {
      errs.push(fieldErrors.forbidden(path.child(field === 'downwardAPI' ? 'downwarAPI' : field === 'cephfs' ? 'cephFS' : field), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    errs.push(...check(s, path.child(childName), { volName, opts }));
    if (field === 'ephemeral' && podName && volName) {
      const pvcName = `${podName}-${volName}`;
      for (const m of nameIsDNSSubdomain(pvcName, false)) errs.push(fieldErrors.invalid(path.child('name'), volName, `PVC name ${goQuote(pvcName)}: ${m}`));
    }
  }
  if (count === 0) errs.push(fieldErrors.required(path, 'must specify a volume type'));
  return errs;
}

export function validateVolumes(volumes: unknown, podName: string, path: FieldPath, opts: PodOptions): { vols: Map<string, Obj>; errs: Errs } {
  const errs: Errs = [];
  const vols = new Map<string, Obj>();
  const created = new Set<string>();
  const list = objs(volumes);
  if (podName) for (const v of list) if (obj(v.ephemeral)) created.add(`${podName}-${str(v.name)}`);
  list.forEach((vol, i) => {
    const p = path.index(i);
    const name = str(vol.name);
    const el = volumeSource(vol, p, name, podName, opts);
    if (!name) el.push(fieldErrors.required(p.child('name'), ''));
    else el.push(...dns1123Label(name, p.child('name')));
    if (vols.has(name)) el.push(fieldErrors.duplicate(p.child('name'), name));
    if (el.length === 0) vols.set(name, vol);
    else errs.push(...el);
    const pvc = obj(vol.persistentVolumeClaim);
    if (pvc && created.has(str(pvc.claimName))) {
      errs.push(fieldErrors.invalid(p.child('persistentVolumeClaim').child('claimName'), str(pvc.claimName), 'must not reference a PVC that gets created for an ephemeral volume'));
    }
  });
  return { vols, errs };
}

// ---- PVC spec (also used by ephemeral volumes and StatefulSet claim templates) ----

export const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const volumeModes = ['Block', 'Filesystem'];

export function validateAccessModes(modes: unknown, path: FieldPath): Errs {
  const errs: Errs = [];
  let rwop = false;
  let other = false;
  for (const m of strs(modes)) {
    if (!accessModes.includes(m)) errs.push(fieldErrors.notSupported(path, m, accessModes));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (accessModes.includes(m)) other = true;
  }
  if (rwop && other) errs.push(fieldErrors.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function dataSource(ds: Obj, path: FieldPath, withNamespace: boolean): Errs {
  const errs = requireStrings(ds, ['name', 'kind'], path);
  const apiGroup = str(ds.apiGroup);
  if (!apiGroup && str(ds.kind) !== 'PersistentVolumeClaim') {
    errs.push(fieldErrors.invalid(path, str(ds.kind), "must be 'PersistentVolumeClaim' when referencing the default apiGroup"));
  }
  if (apiGroup) errs.push(...dns1123Subdomain(apiGroup, path.child('apiGroup')));
  if (withNamespace && str(ds.namespace)) errs.push(...nameErrors(nameIsDNSLabel, str(ds.namespace), path.child('namespace')));
  return errs;
}

export function validatePersistentVolumeClaimSpec(spec: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  if (arr(spec.accessModes).length === 0) errs.push(fieldErrors.required(path.child('accessModes'), 'at least 1 access mode is required'));
  if (obj(spec.selector)) errs.push(...validateLabelSelector(obj(spec.selector), path.child('selector')));
  errs.push(...validateAccessModes(spec.accessModes, path.child('accessModes')));
  const requests = obj(obj(spec.resources)?.requests);
  const storagePath = path.child('resources').key('storage');
  if (!requests || !('storage' in requests)) errs.push(fieldErrors.required(storagePath, ''));
  else {
    const q = quantityAt(requests.storage, storagePath, errs);
    if (q) {
      if (q.mantissa <= 0n) errs.push(fieldErrors.invalid(storagePath, formatQuantity(q), 'must be greater than zero'));
      else errs.push(...resourceQuantityValue('storage', q, storagePath));
    }
  }
  if (str(spec.storageClassName)) errs.push(...nameErrors(nameIsDNSSubdomain, str(spec.storageClassName), path.child('storageClassName')));
  if (isSet(spec.volumeMode) && !volumeModes.includes(str(spec.volumeMode))) errs.push(fieldErrors.notSupported(path.child('volumeMode'), str(spec.volumeMode), volumeModes));
  const ds = obj(spec.dataSource);
  const dsRef = obj(spec.dataSourceRef);
  if (ds) errs.push(...dataSource(ds, path.child('dataSource'), false));
  if (dsRef) errs.push(...dataSource(dsRef, path.child('dataSourceRef'), true));
  if (dsRef && str(dsRef.namespace)) {
    if (ds) errs.push(fieldErrors.invalid(path, new GoRepr(path.child('dataSource').toString()), 'may not be specified when dataSourceRef.namespace is specified'));
  } else if (ds && dsRef) {
    if (str(ds.apiGroup) !== str(dsRef.apiGroup) || str(ds.kind) !== str(dsRef.kind) || str(ds.name) !== str(dsRef.name)) {
      errs.push(fieldErrors.invalid(path, new GoRepr(path.child('dataSource').toString()), 'must match dataSourceRef'));
    }
  }
  if (str(spec.volumeAttributesClassName)) errs.push(...nameErrors(nameIsDNSSubdomain, str(spec.volumeAttributesClassName), path.child('volumeAttributesClassName')));
  return errs;
}

// ---- resources ----

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);
const standardResources = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu',
  'limits.memory', 'limits.ephemeral-storage', 'pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets',
  'configmaps', 'persistentvolumeclaims', 'storage', 'requests.storage', 'services.nodeports', 'services.loadbalancers',
]);
export const standardQuotaResources = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.storage', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods', 'resourcequotas', 'services', 'replicationcontrollers',
  'secrets', 'persistentvolumeclaims', 'configmaps', 'services.nodeports', 'services.loadbalancers',
]);
const integerResources = new Set([
  'pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers',
]);

export const isHugePageResourceName = (n: string) => n.startsWith('hugepages-');
const isQuotaHugePage = (n: string) => n.startsWith('hugepages-') || n.startsWith('requests.hugepages-');
export const isNativeResource = (n: string) => !n.includes('/') || n.includes('kubernetes.io/');
export const isStandardResourceName = (n: string) => standardResources.has(n) || isQuotaHugePage(n);
export const isStandardQuotaResourceName = (n: string) => standardQuotaResources.has(n) || isQuotaHugePage(n);
export const isExtendedResourceName = (n: string) =>
  !isNativeResource(n) && !n.startsWith('requests.') && isQualifiedName(`requests.${n}`).length === 0;
export const isOvercommitAllowed = (n: string) => isNativeResource(n) && !isHugePageResourceName(n);
const isIntegerResourceName = (n: string) => integerResources.has(n) || isExtendedResourceName(n);

export function validateResourceName(name: string, path: FieldPath): Errs {
  const errs = qualifiedName(name, path);
  if (errs.length) return errs;
  if (name.split('/').length === 1 && !isStandardResourceName(name)) {
    return [fieldErrors.invalid(path, name, 'must be a standard resource type or fully qualified')];
  }
  return [];
}

export function validateContainerResourceName(name: string, path: FieldPath): Errs {
  const errs = validateResourceName(name, path);
  if (name.split('/').length === 1) {
    if (!standardContainerResources.has(name) && !isHugePageResourceName(name)) {
      errs.push(fieldErrors.invalid(path, name, 'must be a standard resource for containers'));
    }
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(fieldErrors.invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** ValidateResourceQuantityValue: non-negative, and whole for countable resources. */
export function resourceQuantityValue(resource: string, q: Quantity, path: FieldPath): Errs {
  const errs: Errs = [];
  if (q.mantissa < 0n) errs.push(fieldErrors.invalid(path, formatQuantity(q), 'must be greater than or equal to 0'));
  if (isIntegerResourceName(resource) && milliValue(q) % 1000n !== 0n) {
    errs.push(fieldErrors.invalid(path, new GoRepr(formatQuantity(q)), 'must be an integer'));
  }
  return errs;
}

function hugePageError(name: string, q: Quantity): string | undefined {
  let size: Quantity | undefined;
  try {
    size = quantityFromJSON(name.slice('hugepages-'.length));
  } catch {
    size = undefined;
  }
  const v = quantityValue(q);
  const s = size ? quantityValue(size) : 0n;
  if (v > 0n && s > 0n && v % s === 0n) return undefined;
  return `${formatQuantity(q)} is not positive integer multiple of ${name}`;
}

export function validateResourceRequirements(
  requirements: unknown,
  podClaimNames: Set<string>,
  path: FieldPath,
  nameFn: (n: string, p: FieldPath) => Errs = validateContainerResourceName,
): Errs {
  const r = obj(requirements) ?? {};
  const errs: Errs = [];
  const limPath = path.child('limits');
  const reqPath = path.child('requests');
  let limCPUMem = false;
  let reqCPUMem = false;
  let limHuge = false;
  let reqHuge = false;
  const limits = new Map<string, Quantity>();
  for (const [name, raw] of entries(r.limits)) {
    const p = limPath.key(name);
    errs.push(...nameFn(name, p));
    const q = quantityAt(raw, p, errs);
    if (!q) continue;
    limits.set(name, q);
    errs.push(...resourceQuantityValue(name, q, p));
    if (isHugePageResourceName(name)) {
      limHuge = true;
      const m = hugePageError(name, q);
      if (m) errs.push(fieldErrors.invalid(p, formatQuantity(q), m));
    }
    if (name === 'cpu' || name === 'memory') limCPUMem = true;
  }
  for (const [name, raw] of entries(r.requests)) {
    const p = reqPath.key(name);
    errs.push(...nameFn(name, p));
    const q = quantityAt(raw, p, errs);
    if (!q) continue;
    errs.push(...resourceQuantityValue(name, q, p));
    const limit = limits.get(name);
    if (limit) {
      const c = compareQuantity(q, limit);
      if (c !== 0 && !isOvercommitAllowed(name)) {
        errs.push(fieldErrors.invalid(reqPath, formatQuantity(q), `must be equal to ${name} limit of ${formatQuantity(limit)}`));
      } else if (c > 0) {
        errs.push(fieldErrors.invalid(reqPath, formatQuantity(q), `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(fieldErrors.required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePageResourceName(name)) {
      reqHuge = true;
      const m = hugePageError(name, q);
      if (m) errs.push(fieldErrors.invalid(p, formatQuantity(q), m));
    }
    if (name === 'cpu' || name === 'memory') reqCPUMem = true;
  }
  if (!limCPUMem && !reqCPUMem && (reqHuge || limHuge)) errs.push(fieldErrors.forbidden(path, 'HugePages require cpu or memory'));
  // resource claim references
  const names = new Set<string>();
  objs(r.claims).forEach((claim, i) => {
    const p = path.child('claims').index(i);
    const name = str(claim.name);
    if (!name) {
      errs.push(fieldErrors.required(p, ''));
      return;
    }
    if (names.has(name)) errs.push(fieldErrors.duplicate(p, name));
    else {
      let key = name;
      const request = str(claim.request);
      if (request) {
        errs.push(...dns1123Label(request, p.child('request')));
        key += `/${request}`;
      }
      if (names.has(key)) errs.push(fieldErrors.duplicate(p, key));
      else if (!request) {
        for (const k of names) if (k.includes('/') && k.slice(0, k.indexOf('/')) === name) errs.push(fieldErrors.duplicate(p, name));
      }
      names.add(key);
    }
    if (!podClaimNames.has(name)) {
      const list = [...podClaimNames].sort();
      errs.push(new FieldError('FieldValueNotFound', p.toString(), name,
        `must be one of the names in pod.spec.resourceClaims${list.length === 0 ? ' which is empty' : `: ${list.join(', ')}`}`));
    }
  });
  return errs;
}

// ---- containers ----

const protocols = ['SCTP', 'TCP', 'UDP'];

function containerPorts(ports: unknown, path: FieldPath): Errs {
  const errs: Errs = [];
  const names = new Set<string>();
  objs(ports).forEach((port, i) => {
    const p = path.index(i);
    const name = str(port.name);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) for (const m of msgs) errs.push(fieldErrors.invalid(p.child('name'), name, m));
      else if (names.has(name)) errs.push(fieldErrors.duplicate(p.child('name'), name));
      else names.add(name);
    }
    const cp = num(port.containerPort);
    if (cp === 0) errs.push(fieldErrors.required(p.child('containerPort'), ''));
    else for (const m of isValidPortNum(cp)) errs.push(fieldErrors.invalid(p.child('containerPort'), cp, m));
    const hp = num(port.hostPort);
    if (hp !== 0) for (const m of isValidPortNum(hp)) errs.push(fieldErrors.invalid(p.child('hostPort'), hp, m));
    const proto = str(port.protocol);
    if (!proto) errs.push(fieldErrors.required(p.child('protocol'), ''));
    else if (!protocols.includes(proto)) errs.push(fieldErrors.notSupported(p.child('protocol'), proto, protocols));
  });
  return errs;
}

function envVars(vars: unknown, path: FieldPath): Errs {
  const errs: Errs = [];
  objs(vars).forEach((ev, i) => {
    const p = path.index(i);
    const name = str(ev.name);
    if (!name) errs.push(fieldErrors.required(p.child('name'), ''));
    else for (const m of isRelaxedEnvVarName(name)) errs.push(fieldErrors.invalid(p.child('name'), name, m));
    const vf = obj(ev.valueFrom);
    if (!vf) return;
    const vp = p.child('valueFrom');
    let n = 0;
    if (obj(vf.fieldRef)) {
      n++;
      errs.push(...objectFieldSelector(obj(vf.fieldRef)!, envFieldPaths, vp.child('fieldRef')));
    }
    if (obj(vf.resourceFieldRef)) {
      n++;
      errs.push(...resourceFieldSelector(obj(vf.resourceFieldRef)!, vp.child('resourceFieldRef'), false));
    }
    for (const kind of ['configMapKeyRef', 'secretKeyRef']) {
      const s = obj(vf[kind]);
      if (!s) continue;
      n++;
      const kp = vp.child(kind);
      errs.push(...nameErrors(nameIsDNSSubdomain, str(s.name), kp.child('name')));
      if (!str(s.key)) errs.push(fieldErrors.required(kp.child('key'), ''));
      else for (const m of isConfigMapKey(str(s.key))) errs.push(fieldErrors.invalid(kp.child('key'), str(s.key), m));
    }
    if (n === 0) errs.push(fieldErrors.invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (str(ev.value)) errs.push(fieldErrors.invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (n > 1) errs.push(fieldErrors.invalid(vp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function envFrom(vars: unknown, path: FieldPath): Errs {
  const errs: Errs = [];
  objs(vars).forEach((ev, i) => {
    const p = path.index(i);
    const prefix = str(ev.prefix);
    if (prefix) for (const m of isRelaxedEnvVarName(prefix)) errs.push(fieldErrors.invalid(p.child('prefix'), prefix, m));
    let n = 0;
    for (const kind of ['configMapRef', 'secretRef']) {
      const s = obj(ev[kind]);
      if (!s) continue;
      n++;
      const name = str(s.name);
      if (!name) errs.push(fieldErrors.required(p.child(kind, 'name'), ''));
      else for (const m of nameIsDNSSubdomain(name, true)) errs.push(fieldErrors.invalid(p.child(kind, 'name'), name, m));
    }
    if (n === 0) errs.push(fieldErrors.invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(fieldErrors.invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

const propagations = ['Bidirectional', 'HostToContainer', 'None'];

function volumeMounts(ctr: Obj, vols: Map<string, Obj>, path: FieldPath): Errs {
  const errs: Errs = [];
  const mountpoints = new Set<string>();
  const devices = new Map(objs(ctr.volumeDevices).map((d) => [str(d.name), str(d.devicePath)]));
  const devicePaths = new Set(devices.values());
  const privileged = bool(obj(ctr.securityContext)?.privileged);
  objs(ctr.volumeMounts).forEach((m, i) => {
    const p = path.index(i);
    const name = str(m.name);
    const mountPath = str(m.mountPath);
    if (!name) errs.push(fieldErrors.required(p.child('name'), ''));
    if (!vols.has(name)) errs.push(fieldErrors.notFound(p.child('name'), name));
    if (!mountPath) errs.push(fieldErrors.required(p.child('mountPath'), ''));
    if (mountpoints.has(mountPath)) errs.push(fieldErrors.invalid(p.child('mountPath'), mountPath, 'must be unique'));
    mountpoints.add(mountPath);
    if (devices.has(name)) errs.push(fieldErrors.invalid(p.child('name'), name, 'must not already exist in volumeDevices'));
    if (devicePaths.has(mountPath)) errs.push(fieldErrors.invalid(p.child('mountPath'), mountPath, 'must not already exist as a path in volumeDevices'));
    const subPath = str(m.subPath);
    const subPathExpr = str(m.subPathExpr);
    if (obj(vols.get(name)?.image)) {
      if (subPath) errs.push(fieldErrors.invalid(p.child('subPath'), subPath, 'not allowed in image volume sources'));
      if (subPathExpr) errs.push(fieldErrors.invalid(p.child('subPathExpr'), subPathExpr, 'not allowed in image volume sources'));
    }
    // upstream reports these at the list's path, not the item's
    if (subPath) errs.push(...validateLocalDescendingPath(subPath, path.child('subPath')));
    if (subPathExpr) {
      if (subPath) errs.push(fieldErrors.invalid(p.child('subPathExpr'), subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(subPathExpr, path.child('subPathExpr')));
    }
    if (isSet(m.mountPropagation)) {
      const mp = str(m.mountPropagation);
      const pp = path.child('mountPropagation');
      if (!propagations.includes(mp)) errs.push(fieldErrors.notSupported(pp, mp, propagations));
      if (mp === 'Bidirectional' && !privileged) errs.push(fieldErrors.forbidden(pp, 'Bidirectional mount propagation is available only to privileged containers'));
    }
    if (isSet(m.recursiveReadOnly)) {
      const rro = str(m.recursiveReadOnly);
      const rp = path.child('recursiveReadOnly');
      if (rro === 'Enabled' || rro === 'IfPossible') {
        if (!bool(m.readOnly)) errs.push(fieldErrors.forbidden(rp, 'may only be specified when readOnly is true'));
        if (isSet(m.mountPropagation) && str(m.mountPropagation) !== 'None') errs.push(fieldErrors.forbidden(rp, 'may only be specified when mountPropagation is None or not specified'));
      } else if (rro !== 'Disabled') errs.push(fieldErrors.notSupported(rp, rro, ['Disabled', 'Enabled', 'IfPossible']));
    }
  });
  return errs;
}

function volumeDevices(ctr: Obj, vols: Map<string, Obj>, path: FieldPath): Errs {
  const errs: Errs = [];
  const mounts = new Map(objs(ctr.volumeMounts).map((m) => [str(m.name), str(m.mountPath)]));
  const mountPaths = new Set(mounts.values());
  const names = new Set<string>();
  const paths = new Set<string>();
  objs(ctr.volumeDevices).forEach((d, i) => {
    const p = path.index(i);
    const name = str(d.name);
    const devPath = str(d.devicePath);
    const vol = vols.get(name);
    const isPVC = !!vol && (obj(vol.persistentVolumeClaim) !== undefined || obj(vol.ephemeral) !== undefined);
    if (!name) errs.push(fieldErrors.required(p.child('name'), ''));
    if (names.has(name)) errs.push(fieldErrors.invalid(p.child('name'), name, 'must be unique'));
    if (vol && !isPVC) errs.push(fieldErrors.invalid(p.child('name'), name, 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode'));
    if (!vol) errs.push(fieldErrors.notFound(p.child('name'), name));
    if (!devPath) errs.push(fieldErrors.required(p.child('devicePath'), ''));
    if (paths.has(devPath)) errs.push(fieldErrors.invalid(p.child('devicePath'), devPath, 'must be unique'));
    if (devPath && validatePathNoBacksteps(devPath, p).length) errs.push(fieldErrors.invalid(p.child('devicePath'), devPath, "can not contain backsteps ('..')"));
    else paths.add(devPath);
    if (mounts.has(name)) errs.push(fieldErrors.invalid(p.child('name'), name, 'must not already exist in volumeMounts'));
    if (mountPaths.has(devPath)) errs.push(fieldErrors.invalid(p.child('devicePath'), devPath, 'must not already exist as a path in volumeMounts'));
    if (name) names.add(name);
  });
  return errs;
}

function seccompProfile(sp: Obj | undefined, path: FieldPath): Errs {
  if (!sp) return [];
  const errs: Errs = [];
  const type = str(sp.type);
  const types = ['Localhost', 'RuntimeDefault', 'Unconfined'];
  if (!type) errs.push(fieldErrors.required(path.child('type'), 'type is required when seccompProfile is set'));
  else if (!types.includes(type)) errs.push(fieldErrors.notSupported(path.child('type'), type, types));
  if (type === 'Localhost') {
    if (!isSet(sp.localhostProfile)) errs.push(fieldErrors.required(path.child('localhostProfile'), 'must be set when seccomp type is Localhost'));
    else errs.push(...validateLocalDescendingPath(str(sp.localhostProfile), path.child('localhostProfile')));
  } else if (isSet(sp.localhostProfile)) {
    errs.push(fieldErrors.invalid(path.child('localhostProfile'), new GoRepr(`&SeccompProfile{Type:${type},LocalhostProfile:*${str(sp.localhostProfile)},}`), 'can only be set when seccomp type is Localhost'));
  }
  return errs;
}

function appArmorProfile(ap: Obj | undefined, path: FieldPath): Errs {
  if (!ap) return [];
  const errs: Errs = [];
  const type = str(ap.type);
  const types = ['Localhost', 'RuntimeDefault', 'Unconfined'];
  if (type === 'Localhost') {
    if (!isSet(ap.localhostProfile)) errs.push(fieldErrors.required(path.child('localhostProfile'), 'must be set when AppArmor type is Localhost'));
    else {
      const lp = str(ap.localhostProfile);
      if (lp.trim() !== lp) errs.push(fieldErrors.invalid(path.child('localhostProfile'), lp, 'must not be padded with whitespace'));
      else if (!lp) errs.push(fieldErrors.required(path.child('localhostProfile'), 'must be set when AppArmor type is Localhost'));
      if (byteLength(lp) > 4095) errs.push(fieldErrors.tooLong(path.child('localhostProfile'), '', 4095));
    }
  } else if (type === 'RuntimeDefault' || type === 'Unconfined') {
    if (isSet(ap.localhostProfile)) errs.push(fieldErrors.invalid(path.child('localhostProfile'), str(ap.localhostProfile), 'can only be set when AppArmor type is Localhost'));
  } else if (!type) errs.push(fieldErrors.required(path.child('type'), 'type is required when appArmorProfile is set'));
  else errs.push(fieldErrors.notSupported(path.child('type'), type, types));
  return errs;
}

function windowsOptions(wo: Obj | undefined, path: FieldPath): Errs {
  if (!wo) return [];
  const errs: Errs = [];
  if (isSet(wo.gmsaCredentialSpecName)) errs.push(...dns1123Subdomain(str(wo.gmsaCredentialSpecName), path.child('gmsaCredentialSpecName')));
  if (isSet(wo.gmsaCredentialSpec)) {
    const l = byteLength(str(wo.gmsaCredentialSpec));
    if (l === 0) errs.push(fieldErrors.invalid(path.child('gmsaCredentialSpec'), '', 'gmsaCredentialSpec cannot be an empty string'));
    else if (l > 64 * 1024) errs.push(fieldErrors.invalid(path.child('gmsaCredentialSpec'), str(wo.gmsaCredentialSpec), 'gmsaCredentialSpec size must be under 64 KiB'));
  }
  if (isSet(wo.runAsUserName)) {
    const u = str(wo.runAsUserName);
    const p = path.child('runAsUserName');
    const parts = u.split('\\');
    if (u.length === 0) errs.push(fieldErrors.invalid(p, u, 'runAsUserName cannot be an empty string'));
    else if (/[\x00-\x1f\x7f]/.test(u)) errs.push(fieldErrors.invalid(p, u, 'runAsUserName cannot contain control characters'));
    else if (parts.length > 2) errs.push(fieldErrors.invalid(p, u, 'runAsUserName cannot contain more than one backslash'));
    else {
      const hasDomain = parts.length === 2;
      const domain = hasDomain ? parts[0]! : '';
      const user = hasDomain ? parts[1]! : parts[0]!;
      if (domain.length >= 256) errs.push(fieldErrors.invalid(p, u, "runAsUserName's Domain length must be under 256 characters"));
      const netbios = /^[^\\/:*?"<>|.][^\\/:*?"<>|]{0,14}$/;
      const dns = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
      if (hasDomain && !(netbios.test(domain) || dns.test(domain))) errs.push(fieldErrors.invalid(p, u, "runAsUserName's Domain doesn't match the NetBios nor the DNS format"));
      if (user.length === 0) errs.push(fieldErrors.invalid(p, u, "runAsUserName's User cannot be empty"));
      else if (user.length > 104) errs.push(fieldErrors.invalid(p, u, "runAsUserName's User length must not be longer than 104 characters"));
      if (/^[. ]+$/.test(user)) errs.push(fieldErrors.invalid(p, u, "runAsUserName's User cannot contain only periods or spaces"));
      if (/["/\\:;|=,+*?<>@[\]]/.test(user)) errs.push(fieldErrors.invalid(p, u, `runAsUserName's User cannot contain the following characters: "/\\:;|=,+*?<>@[]`));
    }
  }
  return errs;
}

function containerSecurityContext(sc: Obj | undefined, path: FieldPath, hostUsers: boolean): Errs {
  if (!sc) return [];
  const errs: Errs = [];
  if (isSet(sc.runAsUser)) for (const m of isValidUserID(num(sc.runAsUser))) errs.push(fieldErrors.invalid(path.child('runAsUser'), num(sc.runAsUser), m));
  if (isSet(sc.runAsGroup)) for (const m of isValidGroupID(num(sc.runAsGroup))) errs.push(fieldErrors.invalid(path.child('runAsGroup'), num(sc.runAsGroup), m));
  if (isSet(sc.procMount)) {
    const pm = str(sc.procMount);
    if (pm !== 'Default' && pm !== 'Unmasked') errs.push(fieldErrors.notSupported(path.child('procMount'), pm, ['Default', 'Unmasked']));
    if (hostUsers && pm === 'Unmasked') errs.push(fieldErrors.invalid(path.child('procMount'), pm, '`hostUsers` must be false to use `Unmasked`'));
  }
  errs.push(...seccompProfile(obj(sc.seccompProfile), path.child('seccompProfile')));
  if (sc.allowPrivilegeEscalation === false) {
    const shown = new GoRepr('&SecurityContext{...}');
    if (bool(sc.privileged)) errs.push(fieldErrors.invalid(path, shown, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    for (const cap of strs(obj(sc.capabilities)?.add)) {
      if (cap === 'CAP_SYS_ADMIN') errs.push(fieldErrors.invalid(path, shown, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }
  errs.push(...windowsOptions(obj(sc.windowsOptions), path.child('windowsOptions')));
  errs.push(...appArmorProfile(obj(sc.appArmorProfile), path.child('appArmorProfile')));
  return errs;
}

interface SpecCtx {
  vols: Map<string, Obj>;
  claimNames: Set<string>;
  gracePeriod: number | undefined;
  restartPolicy: string;
  hostUsers: boolean;
}

function containerCommon(ctr: Obj, path: FieldPath, ctx: SpecCtx): Errs {
  const errs: Errs = [];
  const name = str(ctr.name);
  if (!name) errs.push(fieldErrors.required(path.child('name'), ''));
  else errs.push(...dns1123Label(name, path.child('name')));
  if (!str(ctr.image)) errs.push(fieldErrors.required(path.child('image'), ''));
  const tmp = str(ctr.terminationMessagePolicy);
  const policies = ['File', 'FallbackToLogsOnError'];
  if (!tmp) errs.push(fieldErrors.required(path.child('terminationMessagePolicy'), ''));
  else if (!policies.includes(tmp)) errs.push(fieldErrors.notSupported(path.child('terminationMessagePolicy'), tmp, policies));
  errs.push(...containerPorts(ctr.ports, path.child('ports')));
  errs.push(...envVars(ctr.env, path.child('env')));
  errs.push(...envFrom(ctr.envFrom, path.child('envFrom')));
  errs.push(...volumeMounts(ctr, ctx.vols, path.child('volumeMounts')));
  errs.push(...volumeDevices(ctr, ctx.vols, path.child('volumeDevices')));
  errs.push(...pullPolicy(ctr.imagePullPolicy, path.child('imagePullPolicy')));
  errs.push(...validateResourceRequirements(ctr.resources, ctx.claimNames, path.child('resources')));
  errs.push(...resizePolicy(ctr.resizePolicy, path.child('resizePolicy'), ctx.restartPolicy));
  errs.push(...containerSecurityContext(obj(ctr.securityContext), path.child('securityContext'), ctx.hostUsers));
  return errs;
}

function resizePolicy(list: unknown, path: FieldPath, podRestartPolicy: string): Errs {
  const errs: Errs = [];
  const seen = new Set<string>();
  objs(list).forEach((p, i) => {
    const rn = str(p.resourceName);
    if (seen.has(rn)) errs.push(fieldErrors.duplicate(path.index(i), rn));
    seen.add(rn);
    if (!rn) errs.push(fieldErrors.required(path, ''));
    else if (rn !== 'cpu' && rn !== 'memory') errs.push(fieldErrors.notSupported(path, rn, ['cpu', 'memory']));
    const rp = str(p.restartPolicy);
    if (!rp) errs.push(fieldErrors.required(path, ''));
    else if (rp !== 'NotRequired' && rp !== 'RestartContainer') errs.push(fieldErrors.notSupported(path, rp, ['NotRequired', 'RestartContainer']));
    if (podRestartPolicy === 'Never' && rp !== 'NotRequired') errs.push(fieldErrors.invalid(path, rp, "must be 'NotRequired' when `restartPolicy` is 'Never'"));
  });
  return errs;
}

// ---- probes and lifecycle handlers ----

const schemes = ['HTTP', 'HTTPS'];

function handler(h: Obj, path: FieldPath, gracePeriod: number | undefined, kinds: string[]): Errs {
  const errs: Errs = [];
  let n = 0;
  for (const kind of ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep']) {
    if (!kinds.includes(kind)) continue;
    const a = obj(h[kind]);
    if (!a) continue;
    const p = path.child(kind);
    if (n > 0) {
      errs.push(fieldErrors.forbidden(p, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    switch (kind) {
      case 'exec':
        if (arr(a.command).length === 0) errs.push(fieldErrors.required(p.child('command'), ''));
        break;
      case 'httpGet':
        if (!str(a.path)) errs.push(fieldErrors.required(p.child('path'), ''));
        errs.push(...portNumOrName(a.port, p.child('port')));
        if (!schemes.includes(str(a.scheme))) errs.push(fieldErrors.notSupported(p.child('scheme'), str(a.scheme), schemes));
        for (const hd of objs(a.httpHeaders)) for (const m of isHTTPHeaderName(str(hd.name))) errs.push(fieldErrors.invalid(p.child('httpHeaders'), str(hd.name), m));
        break;
      case 'tcpSocket':
        errs.push(...portNumOrName(a.port, p.child('port')));
        break;
      case 'grpc':
        errs.push(...portNumOrName(num(a.port), p.child('port')));
        break;
      case 'sleep': {
        const secs = num(a.seconds);
        if (gracePeriod !== undefined && (secs <= 0 || secs > gracePeriod)) {
          errs.push(fieldErrors.invalid(p, secs, `must be greater than 0 and less than terminationGracePeriodSeconds (${gracePeriod}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`));
        }
        break;
      }
    }
  }
  if (n === 0) errs.push(fieldErrors.required(path, 'must specify a handler type'));
  return errs;
}

function probe(pr: unknown, path: FieldPath, gracePeriod: number | undefined, kind: 'liveness' | 'readiness' | 'startup'): Errs {
  const p = obj(pr);
  if (!p) return [];
  const errs = handler(p, path, gracePeriod, ['exec', 'httpGet', 'tcpSocket', 'grpc']);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...nonNegative(p[f], path.child(f)));
  }
  if (isSet(p.terminationGracePeriodSeconds) && num(p.terminationGracePeriodSeconds) <= 0) {
    errs.push(fieldErrors.invalid(path.child('terminationGracePeriodSeconds'), num(p.terminationGracePeriodSeconds), 'must be greater than 0'));
  }
  if (kind !== 'readiness' && num(p.successThreshold) !== 1) errs.push(fieldErrors.invalid(path.child('successThreshold'), num(p.successThreshold), 'must be 1'));
  if (kind === 'readiness' && isSet(p.terminationGracePeriodSeconds)) {
    errs.push(fieldErrors.invalid(path.child('terminationGracePeriodSeconds'), num(p.terminationGracePeriodSeconds), 'must not be set for readinessProbes'));
  }
  return errs;
}

function lifecycle(lc: Obj, path: FieldPath, gracePeriod: number | undefined): Errs {
  const errs: Errs = [];
  for (const k of ['postStart', 'preStop']) {
    const h = obj(lc[k]);
    if (h) errs.push(...handler(h, path.child(k), gracePeriod, ['exec', 'httpGet', 'tcpSocket', 'sleep']));
  }
  return errs;
}

function probesAndLifecycle(ctr: Obj, path: FieldPath, gp: number | undefined): Errs {
  const errs: Errs = [];
  if (obj(ctr.lifecycle)) errs.push(...lifecycle(obj(ctr.lifecycle)!, path.child('lifecycle'), gp));
  errs.push(...probe(ctr.livenessProbe, path.child('livenessProbe'), gp, 'liveness'));
  errs.push(...probe(ctr.readinessProbe, path.child('readinessProbe'), gp, 'readiness'));
  errs.push(...probe(ctr.startupProbe, path.child('startupProbe'), gp, 'startup'));
  return errs;
}

function hostPortConflicts(containers: Obj[], path: FieldPath, seen = new Set<string>()): Errs {
  const errs: Errs = [];
  containers.forEach((ctr, ci) => {
    objs(ctr.ports).forEach((port, pi) => {
      const hp = num(port.hostPort);
      if (hp === 0) return;
      const key = `${str(port.protocol)}/${str(port.hostIP)}/${hp}`;
      if (seen.has(key)) errs.push(fieldErrors.duplicate(path.index(ci).child('ports').index(pi).child('hostPort'), key));
      else seen.add(key);
    });
  });
  return errs;
}

function containers(list: unknown, path: FieldPath, ctx: SpecCtx): Errs {
  const cs = objs(list);
  if (cs.length === 0) return [fieldErrors.required(path, '')];
  const errs: Errs = [];
  const names = new Set<string>();
  cs.forEach((ctr, i) => {
    const p = path.index(i);
    errs.push(...containerCommon(ctr, p, ctx));
    const name = str(ctr.name);
    if (names.has(name)) errs.push(fieldErrors.duplicate(p.child('name'), name));
    else names.add(name);
    errs.push(...probesAndLifecycle(ctr, p, ctx.gracePeriod));
    if (isSet(ctr.restartPolicy)) errs.push(fieldErrors.forbidden(p.child('restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...hostPortConflicts(cs, path));
  return errs;
}

function initContainers(list: unknown, regular: unknown, path: FieldPath, ctx: SpecCtx): Errs {
  const errs: Errs = [];
  const names = new Set(objs(regular).map((c) => str(c.name)));
  objs(list).forEach((ctr, i) => {
    const p = path.index(i);
    errs.push(...containerCommon(ctr, p, ctx));
    let restartAlways = false;
    if (isSet(ctr.restartPolicy)) {
      const rp = str(ctr.restartPolicy);
      if (rp !== 'Always') errs.push(fieldErrors.notSupported(p.child('restartPolicy'), rp, ['Always']));
      restartAlways = rp === 'Always';
    }
    const name = str(ctr.name);
    if (names.has(name)) errs.push(fieldErrors.duplicate(p.child('name'), name));
    else if (name) names.add(name);
    errs.push(...hostPortConflicts([ctr], path));
    if (restartAlways) errs.push(...probesAndLifecycle(ctr, p, ctx.gracePeriod));
    else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (isSet(ctr[f])) errs.push(fieldErrors.forbidden(p.child(f), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
    if (arr(ctr.resizePolicy).length > 0) errs.push(fieldErrors.invalid(p.child('resizePolicy'), new GoRepr('[]core.ContainerResizePolicy{...}'), 'must not be set for init containers'));
  });
  return errs;
}

const ephemeralAllowed = new Set([
  'name', 'image', 'command', 'args', 'workingDir', 'envFrom', 'env', 'volumeMounts', 'volumeDevices',
  'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty',
  'targetContainerName',
]);
// the order of EphemeralContainerCommon's fields, in which upstream reports disallowed ones
const ephemeralFieldOrder = [
  'ports', 'resources', 'resizePolicy', 'restartPolicy', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle',
];

function ephemeralContainers(list: unknown, spec: Obj, path: FieldPath, ctx: SpecCtx): Errs {
  const ecs = objs(list);
  if (ecs.length === 0) return [];
  const errs: Errs = [];
  const other = new Set([...objs(spec.containers), ...objs(spec.initContainers)].map((c) => str(c.name)));
  const all = new Set(other);
  ecs.forEach((ec, i) => {
    const p = path.index(i);
    errs.push(...containerCommon(ec, p, ctx));
    errs.push(...containerOnlyForPod(ec, p));
    const name = str(ec.name);
    if (all.has(name)) errs.push(fieldErrors.duplicate(p.child('name'), name));
    else all.add(name);
    const target = str(ec.targetContainerName);
    if (target && !other.has(target)) errs.push(fieldErrors.notFound(p.child('targetContainerName'), target));
    for (const f of ephemeralFieldOrder) {
      const v = ec[f];
      const set = isSet(v) && !(Array.isArray(v) && v.length === 0) && !(obj(v) && Object.keys(obj(v)!).length === 0);
      if (set && !ephemeralAllowed.has(f)) errs.push(fieldErrors.forbidden(p.child(f), 'cannot be set for an Ephemeral Container'));
    }
    objs(ec.volumeMounts).forEach((vm, j) => {
      if (str(vm.subPath)) errs.push(fieldErrors.forbidden(p.child('volumeMounts').index(j).child('subPath'), 'cannot be set for an Ephemeral Container'));
      if (str(vm.subPathExpr)) errs.push(fieldErrors.forbidden(p.child('volumeMounts').index(j).child('subPathExpr'), 'cannot be set for an Ephemeral Container'));
    });
  });
  return errs;
}

function containerOnlyForPod(ctr: Obj, path: FieldPath): Errs {
  const image = str(ctr.image);
  return image.length !== image.trim().length ? [fieldErrors.invalid(path.child('image'), image, 'must not have leading or trailing whitespace')] : [];
}

// ---- scheduling ----

export function validateTolerations(list: unknown, path: FieldPath): Errs {
  const errs: Errs = [];
  objs(list).forEach((t, i) => {
    const p = path.index(i);
    const key = str(t.key);
    const op = str(t.operator);
    const effect = str(t.effect);
    if (key) errs.push(...validateLabelName(key, p.child('key')));
    if (!key && op !== 'Exists') {
      errs.push(fieldErrors.invalid(p.child('operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (isSet(t.tolerationSeconds) && effect !== 'NoExecute') {
      errs.push(fieldErrors.invalid(p.child('effect'), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    const value = str(t.value);
    if (op === 'Equal' || op === '') {
      const ve = isValidLabelValue(value);
      if (ve.length) errs.push(fieldErrors.invalid(p.child('operator'), value, ve.join(';')));
    } else if (op === 'Exists') {
      if (value) errs.push(fieldErrors.invalid(p.child('operator'), value, "value must be empty when `operator` is 'Exists'"));
    } else errs.push(fieldErrors.notSupported(p.child('operator'), op, ['Equal', 'Exists']));
    if (effect) errs.push(...taintEffect(effect, true, p.child('effect')));
  });
  return errs;
}

export function taintEffect(effect: string, allowEmpty: boolean, path: FieldPath): Errs {
  if (!allowEmpty && !effect) return [fieldErrors.required(path, '')];
  const valid = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
  return valid.includes(effect) ? [] : [fieldErrors.notSupported(path, effect, valid)];
}

function nodeSelectorRequirement(rq: Obj, path: FieldPath, allowInvalidValues: boolean): Errs {
  const errs: Errs = [];
  const op = str(rq.operator);
  const values = strs(rq.values);
  switch (op) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(fieldErrors.required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(fieldErrors.forbidden(path.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) errs.push(fieldErrors.required(path.child('values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(fieldErrors.invalid(path.child('operator'), op, 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(str(rq.key), path.child('key')));
  if (!allowInvalidValues) {
    values.forEach((v, i) => {
      for (const m of isValidLabelValue(v)) errs.push(fieldErrors.invalid(path.child('values').index(i), v, m));
    });
  }
  return errs;
}

function nodeFieldSelectorRequirement(rq: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  const op = str(rq.operator);
  const values = strs(rq.values);
  if (op === 'In' || op === 'NotIn') {
    if (values.length !== 1) errs.push(fieldErrors.required(path.child('values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
  } else errs.push(fieldErrors.invalid(path.child('operator'), op, 'not a valid selector operator'));
  if (str(rq.key) !== 'metadata.name') errs.push(fieldErrors.invalid(path.child('key'), str(rq.key), 'not a valid field selector key'));
  else values.forEach((v, i) => errs.push(...nameErrors(nameIsDNSSubdomain, v, path.child('values').index(i))));
  return errs;
}

function nodeSelectorTerm(term: Obj, path: FieldPath, allowInvalidValues: boolean): Errs {
  return [
    ...objs(term.matchExpressions).flatMap((r, j) => nodeSelectorRequirement(r, path.child('matchExpressions').index(j), allowInvalidValues)),
    ...objs(term.matchFields).flatMap((r, j) => nodeFieldSelectorRequirement(r, path.child('matchFields').index(j))),
  ];
}

export function validateNodeSelector(ns: Obj, path: FieldPath): Errs {
  const terms = objs(ns.nodeSelectorTerms);
  const tp = path.child('nodeSelectorTerms');
  if (terms.length === 0) return [fieldErrors.required(tp, 'must have at least one node selector term')];
  return terms.flatMap((t, i) => nodeSelectorTerm(t, tp.index(i), false));
}

function labelKeys(path: FieldPath, keysList: string[], selector: Obj | undefined): Errs {
  if (keysList.length === 0) return [];
  if (!selector) return [fieldErrors.forbidden(path, 'must not be specified when labelSelector is not set')];
  return keysList.flatMap((k, i) => validateLabelName(k, path.index(i)));
}

function podAffinityTerm(term: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  const selector = obj(term.labelSelector);
  errs.push(...validateLabelSelector(selector, path.child('labelSelector')));
  errs.push(...validateLabelSelector(obj(term.namespaceSelector), path.child('namespaceSelector')));
  for (const name of strs(term.namespaces)) errs.push(...nameErrors(nameIsDNSLabel, name, path.child('namespace')));
  const matchKeys = strs(term.matchLabelKeys);
  const mismatchKeys = strs(term.mismatchLabelKeys);
  errs.push(...labelKeys(path.child('matchLabelKeys'), matchKeys, selector));
  errs.push(...labelKeys(path.child('mismatchLabelKeys'), mismatchKeys, selector));
  if (selector) {
    const idx = new Map(matchKeys.map((k, i) => [k, i]));
    const selKeys = new Set(keys(selector.matchLabels));
    for (const e of objs(selector.matchExpressions)) {
      const k = str(e.key);
      const i = idx.get(k);
      // upstream indexes the term's own path here, not matchLabelKeys'
      if (i !== undefined && selKeys.has(k)) errs.push(fieldErrors.invalid(path.index(i), k, 'exists in both matchLabelKeys and labelSelector'));
      selKeys.add(k);
    }
  }
  matchKeys.forEach((k, i) => {
    if (mismatchKeys.includes(k)) errs.push(fieldErrors.invalid(path.child('matchLabelKeys').index(i), k, 'exists in both matchLabelKeys and mismatchLabelKeys'));
  });
  if (!str(term.topologyKey)) errs.push(fieldErrors.required(path.child('topologyKey'), 'can not be empty'));
  errs.push(...validateLabelName(str(term.topologyKey), path.child('topologyKey')));
  return errs;
}

function weight(v: unknown, path: FieldPath): Errs {
  const w = num(v);
  return w <= 0 || w > 100 ? [fieldErrors.invalid(path, w, 'must be in the range 1-100')] : [];
}

function validateAffinity(affinity: Obj | undefined, path: FieldPath): Errs {
  if (!affinity) return [];
  const errs: Errs = [];
  const na = obj(affinity.nodeAffinity);
  if (na) {
    const p = path.child('nodeAffinity');
    const req = obj(na.requiredDuringSchedulingIgnoredDuringExecution);
    if (req) errs.push(...validateNodeSelector(req, p.child('requiredDuringSchedulingIgnoredDuringExecution')));
    objs(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      const tp = p.child('preferredDuringSchedulingIgnoredDuringExecution').index(i);
      errs.push(...weight(t.weight, tp.child('weight')));
      errs.push(...nodeSelectorTerm(obj(t.preference) ?? {}, tp.child('preference'), true));
    });
  }
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const pa = obj(affinity[kind]);
    if (!pa) continue;
    const p = path.child(kind);
    objs(pa.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) =>
      errs.push(...podAffinityTerm(t, p.child('requiredDuringSchedulingIgnoredDuringExecution').index(i))),
    );
    objs(pa.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      const tp = p.child('preferredDuringSchedulingIgnoredDuringExecution').index(i);
      errs.push(...weight(t.weight, tp.child('weight')));
      errs.push(...podAffinityTerm(obj(t.podAffinityTerm) ?? {}, tp.child('podAffinityTerm')));
    });
  }
  return errs;
}

function topologySpreadConstraints(list: unknown, path: FieldPath): Errs {
  const errs: Errs = [];
  const cs = objs(list);
  cs.forEach((c, i) => {
    const p = path.index(i);
    const maxSkew = num(c.maxSkew);
    if (maxSkew <= 0) errs.push(fieldErrors.invalid(p.child('maxSkew'), maxSkew, 'must be greater than zero'));
    if (!str(c.topologyKey)) errs.push(fieldErrors.required(p.child('topologyKey'), 'can not be empty'));
    const wu = str(c.whenUnsatisfiable);
    if (wu !== 'DoNotSchedule' && wu !== 'ScheduleAnyway') errs.push(fieldErrors.notSupported(p.child('whenUnsatisfiable'), wu, ['DoNotSchedule', 'ScheduleAnyway']));
    for (const rest of cs.slice(i + 1)) {
      if (str(rest.topologyKey) === str(c.topologyKey) && str(rest.whenUnsatisfiable) === wu) {
        errs.push(fieldErrors.duplicate(p.child('{topologyKey, whenUnsatisfiable}'), `{${str(c.topologyKey)}, ${wu}}`));
        break;
      }
    }
    if (isSet(c.minDomains)) {
      const md = num(c.minDomains);
      if (md <= 0) errs.push(fieldErrors.invalid(p.child('minDomains'), md, 'must be greater than zero'));
      if (wu !== 'DoNotSchedule') errs.push(fieldErrors.invalid(p.child('minDomains'), md, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${wu}`));
    }
    for (const f of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      if (isSet(c[f]) && str(c[f]) !== 'Honor' && str(c[f]) !== 'Ignore') errs.push(fieldErrors.notSupported(p.child(f), str(c[f]), ['Honor', 'Ignore']));
    }
    const selector = obj(c.labelSelector);
    const mlk = strs(c.matchLabelKeys);
    if (mlk.length) {
      const selKeys = new Set<string>();
      if (selector) {
        for (const k of keys(selector.matchLabels)) selKeys.add(k);
        for (const e of objs(selector.matchExpressions)) selKeys.add(str(e.key));
      } else errs.push(fieldErrors.forbidden(p.child('matchLabelKeys'), 'must not be specified when labelSelector is not set'));
      mlk.forEach((k, j) => {
        errs.push(...validateLabelName(k, p.child('matchLabelKeys').index(j)));
        if (selKeys.has(k)) errs.push(fieldErrors.invalid(p.child('matchLabelKeys').index(j), k, 'exists in both matchLabelKeys and labelSelector'));
      });
    }
    errs.push(...validateLabelSelector(selector, p.child('labelSelector')));
  });
  return errs;
}

function dnsConfig(cfg: Obj | undefined, dnsPolicy: string, path: FieldPath): Errs {
  if (dnsPolicy === 'None') {
    if (!cfg) return [fieldErrors.required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (arr(cfg.nameservers).length === 0) return [fieldErrors.required(path.child('nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!cfg) return [];
  const errs: Errs = [];
  const ns = strs(cfg.nameservers);
  if (ns.length > 3) errs.push(fieldErrors.invalid(path.child('nameservers'), new GoRepr(`[]string{${ns.map(goQuote).join(', ')}}`), 'must not have more than 3 nameservers'));
  ns.forEach((n, i) => errs.push(...isValidIPMessages(n).map((m) => fieldErrors.invalid(path.child('nameservers').index(i), n, m))));
  const searches = strs(cfg.searches);
  const shown = new GoRepr(`[]string{${searches.map(goQuote).join(', ')}}`);
  if (searches.length > 32) errs.push(fieldErrors.invalid(path.child('searches'), shown, 'must not have more than 32 search paths'));
  if (byteLength(searches.join(' ')) > 2048) errs.push(fieldErrors.invalid(path.child('searches'), shown, 'must not have more than 2048 characters (including spaces) in the search list'));
  searches.forEach((s, i) => errs.push(...dns1123Subdomain(s.endsWith('.') ? s.slice(0, -1) : s, path.child('searches').index(i))));
  objs(cfg.options).forEach((o, i) => {
    if (!str(o.name)) errs.push(fieldErrors.required(path.child('options').index(i), 'must not be empty'));
  });
  return errs;
}

const sysctlRe = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;
const ipcSysctl = (s: string) => {
  const n = s.replace(/\//g, '.');
  return ['kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced', 'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni'].includes(n) || n.startsWith('fs.mqueue.');
};

function podSecurityContext(spec: Obj, path: FieldPath): Errs {
  const sc = obj(spec.securityContext);
  if (!sc) return [];
  const errs: Errs = [];
  const ids: [string, (v: number) => string[]][] = [['fsGroup', isValidGroupID], ['runAsUser', isValidUserID], ['runAsGroup', isValidGroupID]];
  for (const [f, fn] of ids) if (isSet(sc[f])) for (const m of fn(num(sc[f]))) errs.push(fieldErrors.invalid(path.child(f), num(sc[f]), m));
  arr(sc.supplementalGroups).forEach((g, i) => {
    for (const m of isValidGroupID(num(g))) errs.push(fieldErrors.invalid(path.child('supplementalGroups').index(i), num(g), m));
  });
  if (spec.shareProcessNamespace === true && bool(spec.hostPID)) {
    errs.push(fieldErrors.invalid(path.child('shareProcessNamespace'), true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  const names = new Set<string>();
  objs(sc.sysctls).forEach((s, i) => {
    const p = path.child('sysctls').index(i).child('name');
    const name = str(s.name);
    if (!name) errs.push(fieldErrors.required(p, ''));
    else if (byteLength(name) > 253 || !sysctlRe.test(name)) errs.push(fieldErrors.invalid(p, name, `must have at most 253 characters and match regex ${sysctlRe.source}`));
    else if (names.has(name)) errs.push(fieldErrors.duplicate(p, name));
    if (bool(spec.hostNetwork) && name.replace(/\//g, '.').startsWith('net.')) errs.push(fieldErrors.invalid(p, name, "may not be specified when 'hostNetwork' is true"));
    else if (bool(spec.hostIPC) && ipcSysctl(name)) errs.push(fieldErrors.invalid(p, name, "may not be specified when 'hostIPC' is true"));
    names.add(name);
  });
  if (isSet(sc.fsGroupChangePolicy) && !['Always', 'OnRootMismatch'].includes(str(sc.fsGroupChangePolicy))) {
    errs.push(fieldErrors.notSupported(path.child('fsGroupChangePolicy'), str(sc.fsGroupChangePolicy), ['Always', 'OnRootMismatch']));
  }
  errs.push(...seccompProfile(obj(sc.seccompProfile), path.child('seccompProfile')));
  errs.push(...windowsOptions(obj(sc.windowsOptions), path.child('windowsOptions')));
  errs.push(...appArmorProfile(obj(sc.appArmorProfile), path.child('appArmorProfile')));
  if (isSet(sc.supplementalGroupsPolicy) && !['Merge', 'Strict'].includes(str(sc.supplementalGroupsPolicy))) {
    errs.push(fieldErrors.notSupported(path.child('supplementalGroupsPolicy'), str(sc.supplementalGroupsPolicy), ['Merge', 'Strict']));
  }
  if (isSet(sc.seLinuxChangePolicy) && !['MountOption', 'Recursive'].includes(str(sc.seLinuxChangePolicy))) {
    errs.push(fieldErrors.notSupported(path.child('seLinuxChangePolicy'), str(sc.seLinuxChangePolicy), ['MountOption', 'Recursive']));
  }
  return errs;
}

function allContainers(spec: Obj, path: FieldPath): [Obj, FieldPath][] {
  const out: [Obj, FieldPath][] = [];
  objs(spec.initContainers).forEach((c, i) => out.push([c, path.child('initContainers').index(i)]));
  objs(spec.containers).forEach((c, i) => out.push([c, path.child('containers').index(i)]));
  objs(spec.ephemeralContainers).forEach((c, i) => out.push([c, path.child('ephemeralContainers').index(i)]));
  return out;
}

function osChecks(spec: Obj, path: FieldPath): Errs {
  const os = obj(spec.os);
  if (!os) return [];
  const name = str(os.name);
  if (!name) return [fieldErrors.required(path.child('os', 'name'), 'cannot be empty')];
  if (name !== 'linux' && name !== 'windows') return [fieldErrors.notSupported(path.child('os'), name, ['linux', 'windows'])];
  const errs: Errs = [];
  const sc = obj(spec.securityContext);
  if (name === 'linux') {
    if (obj(sc?.windowsOptions)) errs.push(fieldErrors.forbidden(path.child('securityContext', 'windowsOptions'), 'windows options cannot be set for a linux pod'));
    for (const [c, cp] of allContainers(spec, path)) {
      if (obj(obj(c.securityContext)?.windowsOptions)) errs.push(fieldErrors.forbidden(cp.child('securityContext', 'windowsOptions'), 'windows options cannot be set for a linux pod'));
    }
    return errs;
  }
  const forbid = (p: FieldPath) => errs.push(fieldErrors.forbidden(p, 'cannot be set for a windows pod'));
  if (sc) {
    for (const f of ['appArmorProfile', 'seLinuxOptions']) if (isSet(sc[f])) forbid(path.child('securityContext', f));
  }
  if (isSet(sc?.hostUsers)) forbid(path.child('hostUsers'));
  if (bool(spec.hostPID)) forbid(path.child('hostPID'));
  if (bool(spec.hostIPC)) forbid(path.child('hostIPC'));
  if (sc) {
    for (const f of ['seccompProfile', 'fsGroup', 'fsGroupChangePolicy']) if (isSet(sc[f])) forbid(path.child('securityContext', f));
    if (arr(sc.sysctls).length) forbid(path.child('securityContext', 'sysctls'));
  }
  if (isSet(spec.shareProcessNamespace)) forbid(path.child('shareProcessNamespace'));
  if (sc) {
    for (const f of ['runAsUser', 'runAsGroup', 'supplementalGroups', 'supplementalGroupsPolicy', 'seLinuxChangePolicy']) if (isSet(sc[f])) forbid(path.child('securityContext', f));
  }
  for (const [c, cp] of allContainers(spec, path)) {
    const csc = obj(c.securityContext);
    if (!csc) continue;
    for (const f of ['appArmorProfile', 'seLinuxOptions', 'seccompProfile', 'capabilities', 'readOnlyRootFilesystem', 'privileged', 'allowPrivilegeEscalation', 'procMount', 'runAsUser', 'runAsGroup']) {
      if (isSet(csc[f])) forbid(cp.child('securityContext', f));
    }
  }
  return errs;
}

export interface PodSpecResult {
  errs: Errs;
}

/** ValidatePodSpec. `podName` enables the checks that need the pod's own name (ephemeral PVC names). */
export function validatePodSpec(spec: Obj, podName: string, path: FieldPath, opts: PodOptions): Errs {
  const errs: Errs = [];
  if (!isSet(spec.terminationGracePeriodSeconds)) errs.push(fieldErrors.required(path.child('terminationGracePeriodSeconds'), ''));
  const gracePeriod = isSet(spec.terminationGracePeriodSeconds) ? num(spec.terminationGracePeriodSeconds) : undefined;
  const sc = obj(spec.securityContext);
  const hostUsers = !sc || !isSet(sc.hostUsers) || bool(sc.hostUsers);
  const { vols, errs: vErrs } = validateVolumes(spec.volumes, podName, path.child('volumes'), opts);
  errs.push(...vErrs);
  const claimNames = new Set(objs(spec.resourceClaims).map((c) => str(c.name)).filter(Boolean));
  const seenClaims = new Set<string>();
  objs(spec.resourceClaims).forEach((c, i) => {
    const p = path.child('resourceClaims').index(i);
    const name = str(c.name);
    if (!name) errs.push(fieldErrors.required(p.child('name'), ''));
    else if (seenClaims.has(name)) errs.push(fieldErrors.duplicate(p.child('name'), name));
    else {
      errs.push(...dns1123Label(name, p.child('name')));
      seenClaims.add(name);
    }
    const rcn = isSet(c.resourceClaimName);
    const rctn = isSet(c.resourceClaimTemplateName);
    const shown = new GoRepr(`core.PodResourceClaim{Name:${goQuote(name)}, ...}`);
    if (rcn && rctn) errs.push(fieldErrors.invalid(p, shown, 'at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified'));
    if (!rcn && !rctn) errs.push(fieldErrors.invalid(p, shown, 'must specify one of: `resourceClaimName`, `resourceClaimTemplateName`'));
    if (rcn) errs.push(...nameErrors(nameIsDNSSubdomain, str(c.resourceClaimName), p.child('resourceClaimName')));
    if (rctn) errs.push(...nameErrors(nameIsDNSSubdomain, str(c.resourceClaimTemplateName), p.child('resourceClaimTemplateName')));
  });
  const restartPolicy = str(spec.restartPolicy);
  const ctx: SpecCtx = { vols, claimNames, gracePeriod, restartPolicy, hostUsers };
  errs.push(...containers(spec.containers, path.child('containers'), ctx));
  errs.push(...initContainers(spec.initContainers, spec.containers, path.child('initContainers'), ctx));
  errs.push(...ephemeralContainers(spec.ephemeralContainers, spec, path.child('ephemeralContainers'), ctx));

  // hostNetwork: hostPort must equal containerPort (or, in templates, be unset)
  if (bool(spec.hostNetwork)) {
    objs(spec.containers).forEach((c, i) => {
      objs(c.ports).forEach((port, j) => {
        const hp = num(port.hostPort);
        const cp = num(port.containerPort);
        if ((opts.resourceIsPod || hp !== 0) && hp !== cp) {
          errs.push(fieldErrors.invalid(path.child('containers').index(i).child('ports').index(j).child('hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    });
  }

  const restartPolicies = ['Always', 'OnFailure', 'Never'];
  if (!restartPolicy) errs.push(fieldErrors.required(path.child('restartPolicy'), ''));
  else if (!restartPolicies.includes(restartPolicy)) errs.push(fieldErrors.notSupported(path.child('restartPolicy'), restartPolicy, restartPolicies));
  const dnsPolicy = str(spec.dnsPolicy);
  const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  if (!dnsPolicy) errs.push(fieldErrors.required(path.child('dnsPolicy'), ''));
  else if (!dnsPolicies.includes(dnsPolicy)) errs.push(fieldErrors.notSupported(path.child('dnsPolicy'), dnsPolicy, dnsPolicies));
  errs.push(...validateLabels(spec.nodeSelector, path.child('nodeSelector')));
  errs.push(...podSecurityContext(spec, path.child('securityContext')));
  objs(spec.imagePullSecrets).forEach((s, i) => {
    const extra = Object.keys(s).filter((k) => k !== 'name' && isSet(s[k]));
    if (extra.length) errs.push(fieldErrors.invalid(path.child('imagePullSecrets').index(i), new GoRepr(`core.LocalObjectReference{Name:${goQuote(str(s.name))}}`), 'only name may be set'));
  });
  errs.push(...validateAffinity(obj(spec.affinity), path.child('affinity')));
  errs.push(...dnsConfig(obj(spec.dnsConfig), dnsPolicy, path.child('dnsConfig')));
  objs(spec.readinessGates).forEach((g, i) => errs.push(...qualifiedName(str(g.conditionType), path.child('readinessGates').index(i).child('conditionType'))));
  const gates = new Set<string>();
  objs(spec.schedulingGates).forEach((g, i) => {
    const name = str(g.name);
    errs.push(...qualifiedName(name, path.child('schedulingGates').index(i)));
    if (gates.has(name)) errs.push(fieldErrors.duplicate(path.child('schedulingGates').index(i), name));
    gates.add(name);
  });
  errs.push(...topologySpreadConstraints(spec.topologySpreadConstraints, path.child('topologySpreadConstraints')));
  errs.push(...windowsHostProcess(spec, path));
  if (sc && isSet(sc.hostUsers) && !bool(sc.hostUsers)) {
    if (bool(spec.hostNetwork)) errs.push(fieldErrors.forbidden(path.child('hostNetwork'), 'when `pod.Spec.HostUsers` is false'));
    if (bool(spec.hostPID)) errs.push(fieldErrors.forbidden(path.child('HostPID'), 'when `pod.Spec.HostUsers` is false'));
    if (bool(spec.hostIPC)) errs.push(fieldErrors.forbidden(path.child('HostIPC'), 'when `pod.Spec.HostUsers` is false'));
  }
  if (str(spec.serviceAccountName)) errs.push(...nameErrors(nameIsDNSSubdomain, str(spec.serviceAccountName), path.child('serviceAccountName')));
  if (str(spec.nodeName)) errs.push(...nameErrors(nameIsDNSSubdomain, str(spec.nodeName), path.child('nodeName')));
  if (isSet(spec.activeDeadlineSeconds)) {
    const v = num(spec.activeDeadlineSeconds);
    if (v < 1 || v > MAX_INT32) errs.push(fieldErrors.invalid(path.child('activeDeadlineSeconds'), v, inclusiveRangeError(1, MAX_INT32)));
  }
  if (str(spec.hostname)) errs.push(...dns1123Label(str(spec.hostname), path.child('hostname')));
  if (str(spec.subdomain)) errs.push(...dns1123Label(str(spec.subdomain), path.child('subdomain')));
  errs.push(...validateTolerations(spec.tolerations, path.child('tolerations')));
  objs(spec.hostAliases).forEach((ha, i) => {
    const p = path.child('hostAliases').index(i);
    errs.push(...isValidIPMessages(str(ha.ip)).map((m) => fieldErrors.invalid(p.child('ip'), str(ha.ip), m)));
    strs(ha.hostnames).forEach((h, j) => errs.push(...dns1123Subdomain(h, p.child('hostnames').index(j))));
  });
  if (str(spec.priorityClassName)) errs.push(...nameErrors(nameIsDNSSubdomain, str(spec.priorityClassName), path.child('priorityClassName')));
  if (isSet(spec.runtimeClassName)) errs.push(...nameErrors(nameIsDNSSubdomain, str(spec.runtimeClassName), path.child('runtimeClassName')));
  if (isSet(spec.preemptionPolicy)) {
    const pp = str(spec.preemptionPolicy);
    if (!pp) errs.push(fieldErrors.required(path.child('preemptionPolicy'), ''));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(fieldErrors.notSupported(path.child('preemptionPolicy'), pp, ['PreemptLowerPriority', 'Never']));
  }
  if (isSet(spec.overhead)) errs.push(...validateResourceRequirements({ limits: spec.overhead }, new Set(), path.child('overhead')));
  errs.push(...osChecks(spec, path));
  return errs;
}

function windowsHostProcess(spec: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  const podHP = obj(obj(spec.securityContext)?.windowsOptions)?.hostProcess;
  let count = 0;
  let hpCount = 0;
  for (const [c, cp] of allContainers(spec, path)) {
    count++;
    const chp = obj(obj(c.securityContext)?.windowsOptions)?.hostProcess;
    if (typeof podHP === 'boolean' && typeof chp === 'boolean' && podHP !== chp) {
      errs.push(fieldErrors.invalid(cp.child('securityContext', 'windowsOptions', 'hostProcess'), chp, `pod hostProcess value must be identical if both are specified, was ${podHP}`));
    }
    if (chp === true || (chp === undefined && podHP === true)) hpCount++;
  }
  if (hpCount > 0) {
    if (hpCount !== count) errs.push(fieldErrors.invalid(path, '', 'If pod contains any hostProcess containers then all containers must be HostProcess containers'));
    if (!bool(spec.hostNetwork)) errs.push(fieldErrors.invalid(path.child('hostNetwork'), false, 'hostNetwork must be true if pod contains any hostProcess containers'));
  }
  return errs;
}

const SECCOMP_POD = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER = 'container.seccomp.security.alpha.kubernetes.io/';
const APPARMOR_CONTAINER = 'container.apparmor.security.beta.kubernetes.io/';

function seccompProfileAnnotation(p: string, path: FieldPath): Errs {
  if (p === 'runtime/default' || p === 'docker/default' || p === 'unconfined') return [];
  if (p.startsWith('localhost/')) return validateLocalDescendingPath(p.slice('localhost/'.length), path);
  return [fieldErrors.invalid(path, p, 'must be a valid seccomp profile')];
}

/** ValidatePodSpecificAnnotations. */
export function validatePodSpecificAnnotations(annotations: unknown, spec: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  const a = obj(annotations) ?? {};
  if ('kubernetes.io/config.mirror' in a && !str(spec.nodeName)) {
    errs.push(fieldErrors.invalid(path.key('kubernetes.io/config.mirror'), str(a['kubernetes.io/config.mirror']), 'must set spec.nodeName if mirror pod annotation is set'));
  }
  const tolerations = str(a['scheduler.alpha.kubernetes.io/tolerations']);
  if (tolerations) {
    try {
      const parsed: unknown = JSON.parse(tolerations);
      if (arr(parsed).length) errs.push(...validateTolerations(parsed, path.child('scheduler.alpha.kubernetes.io/tolerations')));
    } catch (e) {
      errs.push(fieldErrors.invalid(path, 'scheduler.alpha.kubernetes.io/tolerations', (e as Error).message));
    }
  }
  const cost = a['controller.kubernetes.io/pod-deletion-cost'];
  if (cost !== undefined) {
    const c = str(cost);
    const ok = /^[+-]?\d+$/.test(c) && Number(c) >= -2147483648 && Number(c) <= MAX_INT32;
    if (!ok) errs.push(fieldErrors.invalid(path.key('controller.kubernetes.io/pod-deletion-cost'), c, 'must be a 32bit integer'));
  }
  if (SECCOMP_POD in a) errs.push(...seccompProfileAnnotation(str(a[SECCOMP_POD]), path.child(SECCOMP_POD)));
  for (const [k, v] of entries(a)) {
    if (k.startsWith(SECCOMP_CONTAINER)) errs.push(...seccompProfileAnnotation(str(v), path.child(k)));
  }
  const names = new Set(allContainers(spec, FieldPath.root('spec')).map(([c]) => str(c.name)));
  for (const [k, v] of entries(a)) {
    if (!k.startsWith(APPARMOR_CONTAINER)) continue;
    const cname = k.slice(APPARMOR_CONTAINER.length);
    if (!names.has(cname)) errs.push(fieldErrors.invalid(path.key(k), cname, 'container not found'));
    const p = str(v);
    if (p && p !== 'runtime/default' && p !== 'unconfined' && !p.startsWith('localhost/')) {
      errs.push(fieldErrors.invalid(path.key(k), p, `invalid AppArmor profile name: ${goQuote(p)}`));
    }
  }
  return errs;
}

function seccompAnnotationsAndFields(meta: Obj, spec: Obj, specPath: FieldPath): Errs {
  const errs: Errs = [];
  const a = obj(meta.annotations) ?? {};
  const match = (annotation: string, field: Obj, p: FieldPath) => {
    const type = str(field.type);
    if (type === 'Unconfined' && annotation !== 'unconfined') errs.push(fieldErrors.forbidden(p.child('type'), 'seccomp type in annotation and field must match'));
    else if (type === 'RuntimeDefault' && annotation !== 'runtime/default' && annotation !== 'docker/default') errs.push(fieldErrors.forbidden(p.child('type'), 'seccomp type in annotation and field must match'));
    else if (type === 'Localhost') {
      if (!annotation.startsWith('localhost/')) errs.push(fieldErrors.forbidden(p.child('type'), 'seccomp type in annotation and field must match'));
      else if (!isSet(field.localhostProfile) || annotation.slice('localhost/'.length) !== str(field.localhostProfile)) {
        errs.push(fieldErrors.forbidden(p.child('localhostProfile'), 'seccomp profile in annotation and field must match'));
      }
    }
  };
  const podSP = obj(obj(spec.securityContext)?.seccompProfile);
  if (podSP && SECCOMP_POD in a) match(str(a[SECCOMP_POD]), podSP, specPath.child('securityContext').child('seccompProfile'));
  for (const [c, cp] of allContainers(spec, specPath)) {
    const sp = obj(obj(c.securityContext)?.seccompProfile);
    const key = SECCOMP_CONTAINER + str(c.name);
    if (sp && key in a) match(str(a[key]), sp, cp.child('securityContext').child('seccompProfile'));
  }
  return errs;
}

function appArmorAnnotationsAndFields(meta: Obj, spec: Obj, specPath: FieldPath): Errs {
  if (str(obj(spec.os)?.name) === 'windows') return [];
  const errs: Errs = [];
  const a = obj(meta.annotations) ?? {};
  const podProfile = obj(obj(spec.securityContext)?.appArmorProfile);
  for (const [c, cp] of allContainers(spec, specPath)) {
    const profile = obj(obj(c.securityContext)?.appArmorProfile) ?? podProfile;
    if (!profile) continue;
    const key = APPARMOR_CONTAINER + str(c.name);
    if (!(key in a)) continue;
    const annotation = str(a[key]);
    const p = cp.child('securityContext').child('appArmorProfile');
    const type = str(profile.type);
    const mismatch = () => errs.push(fieldErrors.forbidden(p.child('type'), 'apparmor type in annotation and field must match'));
    if (type === 'Unconfined' && annotation !== 'unconfined') mismatch();
    else if (type === 'RuntimeDefault' && annotation !== 'runtime/default') mismatch();
    else if (type === 'Localhost') {
      if (!annotation.startsWith('localhost/')) mismatch();
      else if (!isSet(profile.localhostProfile) || annotation.slice('localhost/'.length) !== str(profile.localhostProfile)) {
        errs.push(fieldErrors.forbidden(p.child('localhostProfile'), 'apparmor profile in annotation and field must match'));
      }
    }
  }
  return errs;
}

/** ValidatePodTemplateSpec: an embedded template (Deployment, Job, ...). */
export function validatePodTemplateSpec(template: Obj, path: FieldPath): Errs {
  const meta = obj(template.metadata) ?? {};
  const spec = obj(template.spec) ?? {};
  const errs: Errs = [];
  errs.push(...validateLabels(meta.labels, path.child('labels')));
  errs.push(...validateAnnotations(meta.annotations, path.child('annotations')));
  errs.push(...validatePodSpecificAnnotations(meta.annotations, spec, path.child('annotations')));
  errs.push(...validatePodSpec(spec, '', path.child('spec'), {}));
  errs.push(...seccompAnnotationsAndFields(meta, spec, path.child('spec')));
  errs.push(...appArmorAnnotationsAndFields(meta, spec, path.child('spec')));
  if (arr(spec.ephemeralContainers).length) errs.push(fieldErrors.forbidden(path.child('spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  return errs;
}

/** The pod-only part of validatePodMetadataAndSpec (after ObjectMeta). */
export function validatePodOwnSpec(pod: Obj): Errs {
  const meta = obj(pod.metadata) ?? {};
  const spec = obj(pod.spec) ?? {};
  const specPath = FieldPath.root('spec');
  const errs: Errs = [];
  errs.push(...validatePodSpecificAnnotations(meta.annotations, spec, FieldPath.root('metadata', 'annotations')));
  errs.push(...validatePodSpec(spec, str(meta.name), specPath, { resourceIsPod: true }));
  if (!str(spec.serviceAccountName)) {
    objs(spec.volumes).forEach((v, vi) => {
      objs(obj(v.projected)?.sources).forEach((s, si) => {
        if (obj(s.serviceAccountToken)) {
          errs.push(fieldErrors.forbidden(specPath.child('volumes').index(vi).child('projected', 'sources').index(si).child('serviceAccountToken'), 'must not be specified when serviceAccountName is not set'));
        }
      });
    });
  }
  objs(spec.containers).forEach((c, i) => errs.push(...containerOnlyForPod(c, specPath.child('containers').index(i))));
  objs(spec.initContainers).forEach((c, i) => errs.push(...containerOnlyForPod(c, specPath.child('initContainers').index(i))));
  return errs;
}

export function podCreateExtras(pod: Obj): Errs {
  const meta = obj(pod.metadata) ?? {};
  const spec = obj(pod.spec) ?? {};
  const specPath = FieldPath.root('spec');
  const errs: Errs = [];
  if (arr(spec.ephemeralContainers).length) errs.push(fieldErrors.forbidden(specPath.child('ephemeralContainers'), 'cannot be set on create'));
  if (str(spec.nodeName) && arr(spec.schedulingGates).length) errs.push(fieldErrors.forbidden(specPath.child('nodeName'), 'cannot be set until all schedulingGates have been cleared'));
  errs.push(...seccompAnnotationsAndFields(meta, spec, specPath));
  errs.push(...appArmorAnnotationsAndFields(meta, spec, specPath));
  return errs;
}

