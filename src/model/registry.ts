// The metamodel's registry: every built-in group/version/kind/resource the API serves, with the
// names, scope, verbs and subresources upstream's discovery advertises for it.
import { joinApiVersion } from './object.js';

export interface SubresourceType {
  name: string;
  /** The kind the subresource takes and returns. */
  group: string;
  version: string;
  kind: string;
  verbs: string[];
}

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  categories: string[];
  verbs: string[];
  subresources: SubresourceType[];
  /** Where objects of this resource are stored, when another version shares them (events.k8s.io/v1 Event). */
  storedAs?: { group: string; plural: string };
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const NO_COLLECTION_DELETE = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

const sub = (name: string, kind: string, verbs: string[], group = '', version = 'v1'): SubresourceType => ({
  name,
  group,
  version,
  kind,
  verbs,
});
const status = (kind: string, group: string, version = 'v1') => sub('status', kind, ['get', 'patch', 'update'], group, version);
const scale = () => sub('scale', 'Scale', ['get', 'patch', 'update'], 'autoscaling', 'v1');

interface Def {
  kind: string;
  plural?: string;
  short?: string[];
  cluster?: boolean;
  categories?: string[];
  verbs?: string[];
  subresources?: (g: string, v: string, kind: string) => SubresourceType[];
  storedAs?: { group: string; plural: string };
}

function plural(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

const withStatus = (g: string, v: string, k: string) => [status(k, g, v)];
const withStatusScale = (g: string, v: string, k: string) => [status(k, g, v), scale()];

const groups: { group: string; version: string; defs: Def[] }[] = [
  {
    group: '',
    version: 'v1',
    defs: [
      { kind: 'Namespace', short: ['ns'], cluster: true, verbs: NO_COLLECTION_DELETE,
        subresources: (g, v, k) => [status(k, g, v), sub('finalize', k, ['update'])] },
      { kind: 'Pod', short: ['po'], categories: ['all'],
        subresources: (g, v, k) => [
          sub('attach', 'PodAttachOptions', ['create', 'get']),
          sub('binding', 'Binding', ['create']),
          sub('ephemeralcontainers', k, ['get', 'patch', 'update']),
          sub('eviction', 'Eviction', ['create'], 'policy', 'v1'),
          sub('exec', 'PodExecOptions', ['create', 'get']),
          sub('log', k, ['get']),
          sub('portforward', 'PodPortForwardOptions', ['create', 'get']),
          sub('proxy', 'PodProxyOptions', ['create', 'delete', 'get', 'patch', 'update']),
          sub('resize', k, ['get', 'patch', 'update']),
          status(k, g, v),
        ] },
      { kind: 'Binding', cluster: false, verbs: ['create'] },
      { kind: 'Service', short: ['svc'], categories: ['all'], verbs: ALL_VERBS,
        subresources: (g, v, k) => [sub('proxy', 'ServiceProxyOptions', ['create', 'delete', 'get', 'patch', 'update']), status(k, g, v)] },
      { kind: 'Endpoints', plural: 'endpoints', short: ['ep'] },
      { kind: 'ConfigMap', short: ['cm'] },
      { kind: 'Secret' },
      { kind: 'ServiceAccount', short: ['sa'],
        subresources: () => [sub('token', 'TokenRequest', ['create'], 'authentication.k8s.io', 'v1')] },
      { kind: 'Node', short: ['no'], cluster: true,
        subresources: (g, v, k) => [sub('proxy', 'NodeProxyOptions', ['create', 'delete', 'get', 'patch', 'update']), status(k, g, v)] },
      { kind: 'PersistentVolume', short: ['pv'], cluster: true, subresources: withStatus },
      { kind: 'PersistentVolumeClaim', short: ['pvc'], subresources: withStatus },
      { kind: 'Event', short: ['ev'] },
      { kind: 'LimitRange', short: ['limits'] },
      { kind: 'ResourceQuota', short: ['quota'], subresources: withStatus },
      { kind: 'PodTemplate' },
    ],
  },
  {
    group: 'apps',
    version: 'v1',
    defs: [
      { kind: 'Deployment', short: ['deploy'], categories: ['all'], subresources: withStatusScale },
      { kind: 'ReplicaSet', short: ['rs'], categories: ['all'], subresources: withStatusScale },
      { kind: 'StatefulSet', short: ['sts'], categories: ['all'], subresources: withStatusScale },
      { kind: 'DaemonSet', short: ['ds'], categories: ['all'], subresources: withStatus },
      { kind: 'ControllerRevision' },
    ],
  },
  {
    group: 'batch',
    version: 'v1',
    defs: [
      { kind: 'Job', categories: ['all'], subresources: withStatus },
      { kind: 'CronJob', short: ['cj'], categories: ['all'], subresources: withStatus },
    ],
  },
  {
    group: 'certificates.k8s.io',
    version: 'v1',
    defs: [
      { kind: 'CertificateSigningRequest', short: ['csr'], cluster: true,
        subresources: (g, v, k) => [sub('approval', k, ['get', 'patch', 'update'], g, v), status(k, g, v)] },
    ],
  },
  { group: 'coordination.k8s.io', version: 'v1', defs: [{ kind: 'Lease' }] },
  { group: 'discovery.k8s.io', version: 'v1', defs: [{ kind: 'EndpointSlice' }] },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    defs: [
      { kind: 'NetworkPolicy', short: ['netpol'] },
      { kind: 'Ingress', short: ['ing'], subresources: withStatus },
      { kind: 'IngressClass', cluster: true },
    ],
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    defs: [
      { kind: 'ClusterRole', cluster: true },
      { kind: 'ClusterRoleBinding', cluster: true },
      { kind: 'Role' },
      { kind: 'RoleBinding' },
    ],
  },
  { group: 'policy', version: 'v1', defs: [{ kind: 'PodDisruptionBudget', short: ['pdb'], subresources: withStatus }] },
  { group: 'storage.k8s.io', version: 'v1', defs: [{ kind: 'StorageClass', short: ['sc'], cluster: true }] },
  {
    group: 'events.k8s.io',
    version: 'v1',
    defs: [{ kind: 'Event', short: ['ev'], storedAs: { group: '', plural: 'events' } }],
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    defs: [
      { kind: 'SelfSubjectAccessReview', cluster: true, verbs: ['create'] },
      { kind: 'SelfSubjectRulesReview', cluster: true, verbs: ['create'] },
      { kind: 'SubjectAccessReview', cluster: true, verbs: ['create'] },
      { kind: 'LocalSubjectAccessReview', verbs: ['create'] },
    ],
  },
  {
    group: 'authentication.k8s.io',
    version: 'v1',
    defs: [
      { kind: 'SelfSubjectReview', cluster: true, verbs: ['create'] },
    ],
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    defs: [{ kind: 'CustomResourceDefinition', short: ['crd', 'crds'], cluster: true, subresources: withStatus }],
  },
];

function build(): ResourceType[] {
  const out: ResourceType[] = [];
  for (const { group, version, defs } of groups) {
    for (const d of defs) {
      const p = d.plural ?? plural(d.kind);
      out.push({
        group,
        version,
        kind: d.kind,
        listKind: `${d.kind}List`,
        plural: d.kind === 'Binding' ? 'bindings' : p,
        singular: d.kind.toLowerCase(),
        shortNames: d.short ?? [],
        namespaced: !d.cluster,
        categories: d.categories ?? [],
        verbs: d.verbs ?? ALL_VERBS,
        subresources: d.subresources ? d.subresources(group, version, d.kind) : [],
        ...(d.storedAs ? { storedAs: d.storedAs } : {}),
      });
    }
  }
  return out;
}

/** Lookups over the served resources. Built-ins now; custom resources join later through add(). */
export class Registry {
  private readonly byGVR = new Map<string, ResourceType>();
  private readonly byGVK = new Map<string, ResourceType>();

  constructor(types: ResourceType[] = build()) {
    for (const t of types) this.add(t);
  }

  add(t: ResourceType): void {
    this.byGVR.set(`${t.group}/${t.version}/${t.plural}`, t);
    this.byGVK.set(`${t.group}/${t.version}/${t.kind}`, t);
  }

  all(): ResourceType[] {
    return [...this.byGVR.values()];
  }

  byResource(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byGVR.get(`${group}/${version}/${plural}`);
  }

  byKind(group: string, version: string, kind: string): ResourceType | undefined {
    return this.byGVK.get(`${group}/${version}/${kind}`);
  }

  /** Group/versions served, in discovery order (core first, then groups as registered). */
  groupVersions(): { group: string; version: string }[] {
    const seen = new Map<string, { group: string; version: string }>();
    for (const t of this.byGVR.values()) seen.set(`${t.group}/${t.version}`, { group: t.group, version: t.version });
    return [...seen.values()];
  }
}

export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return joinApiVersion(t.group, t.version);
}

/** The resource named for errors and storage: `{group, name: plural}`. */
export function groupResource(t: ResourceType): { group: string; name: string } {
  return { group: t.group, name: t.plural };
}

export function groupKind(t: ResourceType): { group: string; name: string } {
  return { group: t.group, name: t.kind };
}

/** Resources that only accept create (Binding, the access and identity reviews) are not stored objects. */
export function isStoredResource(t: ResourceType): boolean {
  return t.verbs.includes('get');
}
