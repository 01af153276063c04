// Tables of the core/v1 kinds other than Pod.
import type { Instant } from '../object.js';
import { formatQuantity, newQuantity } from '../quantity.js';
import { toQuantity } from '../defaults/pod.js';
import { docs } from './descriptions.js';
import { parseTime, translateTimestampSince } from './duration.js';
import { printPod, podColumns } from './pod.js';
import {
  age, ageColumn, arr, loadBalancerIngress, col, containerCells, formatLabels, int, meta, nameColumn, nameOf, rec, str, wideCol,
  type Cell, type Rec, type TableColumnDefinition, type TableRow,
} from './table.js';

export interface Printer {
  columns: () => TableColumnDefinition[];
  row: (o: Rec, wide: boolean, now: Instant) => TableRow;
}

/** Quantity.String() of a wire quantity; an absent one prints as "0". */
export function quantityString(v: unknown): string {
  return formatQuantity(toQuantity(v) ?? newQuantity(0));
}

const podTemplate: Printer = {
  columns: () => [
    nameColumn(),
    col('Containers', 'string', 'Names of each container in the template.'),
    col('Images', 'string', 'Images referenced by each container in the template.'),
    col('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  row: (o) => {
    const template = rec(o.template);
    const [names, images] = containerCells(template.spec);
    return { cells: [nameOf(o), names, images, formatLabels(rec(template.metadata).labels)] };
  },
};

function serviceExternalIP(svc: Rec, wide: boolean): string {
  const spec = rec(svc.spec);
  const externalIPs = Array.isArray(spec.externalIPs) ? spec.externalIPs.map(String) : [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(rec(svc.status).loadBalancer, wide);
      if (externalIPs.length) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
  }
  return '<unknown>';
}

function servicePorts(ports: unknown): string {
  return arr(ports)
    .map((p) => (int(p.nodePort) > 0 ? `${int(p.port)}:${int(p.nodePort)}/${str(p.protocol)}` : `${int(p.port)}/${str(p.protocol)}`))
    .join(',');
}

const service: Printer = {
  columns: () => [
    nameColumn(),
    col('Type', 'string', docs['ServiceSpec.type']),
    col('Cluster-IP', 'string', docs['ServiceSpec.clusterIP']),
    col('External-IP', 'string', docs['ServiceSpec.externalIPs']),
    col('Port(s)', 'string', docs['ServiceSpec.ports']),
    ageColumn(),
    wideCol('Selector', 'string', docs['ServiceSpec.selector']),
  ],
  row: (o, wide, now) => {
    const spec = rec(o.spec);
    const clusterIPs = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
    const internal = (typeof clusterIPs[0] === 'string' && clusterIPs[0]) || str(spec.clusterIP) || '<none>';
    const cells: Cell[] = [nameOf(o), str(spec.type), internal, serviceExternalIP(o, wide), servicePorts(spec.ports) || '<none>', age(o, now)];
    if (wide) cells.push(formatLabels(spec.selector));
    return { cells };
  },
};

/** net.JoinHostPort: IPv6 hosts get brackets. */
const joinHostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

function formatEndpoints(ep: Rec): string {
  const subsets = arr(ep.subsets);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = arr(ss.addresses);
    const ports = arr(ss.ports);
    if (ports.length === 0) {
      // Headless services may have addresses without ports.
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(str(a.ip));
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(str(a.ip), int(port.port)));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

const endpoints: Printer = {
  columns: () => [nameColumn(), col('Endpoints', 'string', docs['Endpoints.subsets']), ageColumn()],
  row: (o, _wide, now) => ({ cells: [nameOf(o), formatEndpoints(o), age(o, now)] }),
};

function nodeRoles(node: Rec): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(rec(meta(node).labels))) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && typeof v === 'string' && v !== '') roles.add(v);
  }
  return [...roles].sort().join(',');
}

function nodeAddress(node: Rec, type: string): string {
  const a = arr(rec(node.status).addresses).find((x) => x.type === type);
  return a ? str(a.address) : '<none>';
}

const node: Printer = {
  columns: () => [
    nameColumn(),
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    ageColumn(),
    col('Version', 'string', docs['NodeSystemInfo.kubeletVersion']),
    wideCol('Internal-IP', 'string', docs['NodeStatus.addresses']),
    wideCol('External-IP', 'string', docs['NodeStatus.addresses']),
    wideCol('OS-Image', 'string', docs['NodeSystemInfo.osImage']),
    wideCol('Kernel-Version', 'string', docs['NodeSystemInfo.kernelVersion']),
    wideCol('Container-Runtime', 'string', docs['NodeSystemInfo.containerRuntimeVersion']),
  ],
  row: (o, wide, now) => {
    const status = rec(o.status);
    // The last Ready condition in the list wins, as in upstream's condition map.
    const ready = arr(status.conditions).filter((c) => c.type === 'Ready').pop();
    const states: string[] = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
    if (rec(o.spec).unschedulable === true) states.push('SchedulingDisabled');
    const info = rec(status.nodeInfo);
    const cells: Cell[] = [nameOf(o), states.join(','), nodeRoles(o) || '<none>', age(o, now), str(info.kubeletVersion)];
    if (wide) {
      cells.push(
        nodeAddress(o, 'InternalIP'),
        nodeAddress(o, 'ExternalIP'),
        str(info.osImage) || '<unknown>',
        str(info.kernelVersion) || '<unknown>',
        str(info.containerRuntimeVersion) || '<unknown>',
      );
    }
    return { cells };
  },
};

const sinceMicro = (v: unknown, now: Instant) => translateTimestampSince(v, now);

export const event: Printer = {
  columns: () => [
    col('Last Seen', 'string', docs['Event.lastTimestamp']),
    col('Type', 'string', docs['Event.type']),
    col('Reason', 'string', docs['Event.reason']),
    col('Object', 'string', docs['Event.involvedObject']),
    wideCol('Subobject', 'string', docs['ObjectReference.fieldPath']),
    wideCol('Source', 'string', docs['Event.source']),
    col('Message', 'string', docs['Event.message']),
    wideCol('First Seen', 'string', docs['Event.firstTimestamp']),
    wideCol('Count', 'string', docs['Event.count']),
    col('Name', 'string', docs['ObjectMeta.name'], { format: 'name', priority: 1 }),
  ],
  row: (o, wide, now) => {
    let first = translateTimestampSince(o.firstTimestamp, now);
    if (parseTime(o.firstTimestamp) === undefined) first = sinceMicro(o.eventTime, now);
    let last = parseTime(o.lastTimestamp) === undefined ? first : translateTimestampSince(o.lastTimestamp, now);
    let count = int(o.count);
    if (o.series && typeof o.series === 'object') {
      last = sinceMicro(rec(o.series).lastObservedTime, now);
      count = int(rec(o.series).count);
    } else if (count === 0) {
      count = 1; // singleton events of the new API carry no count
    }
    const involved = rec(o.involvedObject);
    const kind = str(involved.kind).toLowerCase();
    const target = str(involved.name) ? `${kind}/${str(involved.name)}` : kind;
    const message = str(o.message).trim();
    if (!wide) return { cells: [last, str(o.type), str(o.reason), target, message] };
    const source = rec(o.source);
    const component = str(source.component) || str(o.reportingComponent);
    const instance = str(source.host) || str(o.reportingInstance);
    return {
      cells: [last, str(o.type), str(o.reason), target, str(involved.fieldPath), instance ? `${component}, ${instance}` : component, message, first, count, nameOf(o)],
    };
  },
};

const namespace: Printer = {
  columns: () => [nameColumn(), col('Status', 'string', 'The status of the namespace'), ageColumn()],
  row: (o, _wide, now) => ({ cells: [nameOf(o), str(rec(o.status).phase), age(o, now)] }),
};

const secret: Printer = {
  columns: () => [nameColumn(), col('Type', 'string', docs['Secret.type']), col('Data', 'string', docs['Secret.data']), ageColumn()],
  row: (o, _wide, now) => ({ cells: [nameOf(o), str(o.type), Object.keys(rec(o.data)).length, age(o, now)] }),
};

const serviceAccount: Printer = {
  columns: () => [nameColumn(), col('Secrets', 'string', docs['ServiceAccount.secrets']), ageColumn()],
  row: (o, _wide, now) => ({ cells: [nameOf(o), Array.isArray(o.secrets) ? o.secrets.length : 0, age(o, now)] }),
};

const configMap: Printer = {
  columns: () => [nameColumn(), col('Data', 'string', docs['ConfigMap.data']), ageColumn()],
  row: (o, _wide, now) => ({ cells: [nameOf(o), Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length, age(o, now)] }),
};

/** helper.GetAccessModesAsString: RWO,ROX,RWX,RWOP in that order, duplicates dropped. */
export function accessModes(v: unknown): string {
  const modes = new Set(Array.isArray(v) ? v : []);
  const out: string[] = [];
  if (modes.has('ReadWriteOnce')) out.push('RWO');
  if (modes.has('ReadOnlyMany')) out.push('ROX');
  if (modes.has('ReadWriteMany')) out.push('RWX');
  if (modes.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

const betaStorageClass = 'volume.beta.kubernetes.io/storage-class';

const persistentVolume: Printer = {
  columns: () => [
    nameColumn(),
    col('Capacity', 'string', docs['PersistentVolumeSpec.capacity']),
    col('Access Modes', 'string', docs['PersistentVolumeSpec.accessModes']),
    col('Reclaim Policy', 'string', docs['PersistentVolumeSpec.persistentVolumeReclaimPolicy']),
    col('Status', 'string', docs['PersistentVolumeStatus.phase']),
    col('Claim', 'string', docs['PersistentVolumeSpec.claimRef']),
    col('StorageClass', 'string', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    col('Reason', 'string', docs['PersistentVolumeStatus.reason']),
    ageColumn(),
    wideCol('VolumeMode', 'string', docs['PersistentVolumeSpec.volumeMode']),
  ],
  // Upstream appends VolumeMode whether or not the output is wide.
  row: (o, _wide, now) => {
    const spec = rec(o.spec);
    const claim = spec.claimRef ? `${str(rec(spec.claimRef).namespace)}/${str(rec(spec.claimRef).name)}` : '';
    const annotations = rec(meta(o).annotations);
    const storageClass = betaStorageClass in annotations ? str(annotations[betaStorageClass]) : str(spec.storageClassName);
    const phase = meta(o).deletionTimestamp ? 'Terminating' : str(rec(o.status).phase);
    return {
      cells: [
        nameOf(o), quantityString(rec(spec.capacity).storage), accessModes(spec.accessModes), str(spec.persistentVolumeReclaimPolicy),
        phase, claim, storageClass, typeof spec.volumeAttributesClassName === 'string' ? spec.volumeAttributesClassName : '<unset>',
        str(rec(o.status).reason), age(o, now), typeof spec.volumeMode === 'string' ? spec.volumeMode : '<unset>',
      ],
    };
  },
};

const persistentVolumeClaim: Printer = {
  columns: () => [
    nameColumn(),
    col('Status', 'string', docs['PersistentVolumeClaimStatus.phase']),
    col('Volume', 'string', docs['PersistentVolumeClaimSpec.volumeName']),
    col('Capacity', 'string', docs['PersistentVolumeClaimStatus.capacity']),
    col('Access Modes', 'string', docs['PersistentVolumeClaimStatus.accessModes']),
    col('StorageClass', 'string', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageColumn(),
    wideCol('VolumeMode', 'string', docs['PersistentVolumeClaimSpec.volumeMode']),
  ],
  row: (o, _wide, now) => {
    const spec = rec(o.spec);
    const status = rec(o.status);
    const volumeName = str(spec.volumeName);
    const annotations = rec(meta(o).annotations);
    const storageClass = betaStorageClass in annotations ? str(annotations[betaStorageClass]) : str(spec.storageClassName);
    return {
      cells: [
        nameOf(o), meta(o).deletionTimestamp ? 'Terminating' : str(status.phase), volumeName,
        volumeName ? quantityString(rec(status.capacity).storage) : '', volumeName ? accessModes(status.accessModes) : '',
        storageClass, typeof spec.volumeAttributesClassName === 'string' ? spec.volumeAttributesClassName : '<unset>',
        age(o, now), typeof spec.volumeMode === 'string' ? spec.volumeMode : '<unset>',
      ],
    };
  },
};

const resourceQuota: Printer = {
  columns: () => [
    nameColumn(),
    col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    ageColumn(),
  ],
  row: (o, _wide, now) => {
    const status = rec(o.status);
    const hard = rec(status.hard);
    const used = rec(status.used);
    const requests: string[] = [];
    const limits: string[] = [];
    for (const name of Object.keys(hard).sort()) {
      const text = `${name}: ${quantityString(used[name])}/${quantityString(hard[name])}`;
      const pieces = name.split('.');
      (pieces.length > 1 && pieces[0] === 'limits' ? limits : requests).push(text);
    }
    return { cells: [nameOf(o), requests.join(', '), limits.join(', '), age(o, now)] };
  },
};

export const corePrinters: Record<string, Printer> = {
  Pod: { columns: podColumns, row: printPod },
  PodTemplate: podTemplate,
  Service: service,
  Endpoints: endpoints,
  Node: node,
  Event: event,
  Namespace: namespace,
  Secret: secret,
  ServiceAccount: serviceAccount,
  ConfigMap: configMap,
  PersistentVolume: persistentVolume,
  PersistentVolumeClaim: persistentVolumeClaim,
  ResourceQuota: resourceQuota,
};
