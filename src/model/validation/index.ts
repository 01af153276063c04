// Validation entry points: the built-in kinds dispatch to their group's validators after the
// ObjectMeta checks; unknown kinds (custom resources) get the ObjectMeta checks only. Objects are
// validated as they arrive after defaulting, exactly as upstream's REST strategies do.
import type { FieldError } from '../field.js';
import { Registry } from '../registry.js';
import * as apps from './apps.js';
import * as batch from './batch.js';
import * as core from './core.js';
import { validateCustomResourceDefinition, validateCustomResourceDefinitionUpdate } from './apiextensions.js';
import { validateLease } from './coordination.js';
import * as certificates from './certificates.js';
import { validateEndpointSlice, validateEndpointSliceUpdate } from './discovery.js';
import { validateEvent, validateEventUpdate } from './events.js';
import { nameRuleFor, validateObjectMeta, validateObjectMetaUpdate, type MetaOptions } from './meta.js';
import * as networking from './networking.js';
import { validatePodDisruptionBudget, validatePodDisruptionBudgetStatus } from './policy.js';
import * as rbac from './rbac.js';
import { validateStorageClass, validateStorageClassUpdate } from './storage.js';
import { obj, type Obj } from './util.js';

type Create = (o: Obj) => FieldError[];
type Update = (o: Obj, old: Obj) => FieldError[];

interface KindRules {
  create?: Create;
  /** The update rules; by default the create rules run again on the new object. */
  update?: Update;
  status?: Update;
  /** Other subresources that write the object (a CSR's approval), each with its own rules. */
  subresources?: Record<string, Update>;
  /** Upstream's update also re-runs the create-time ObjectMeta checks. */
  metaOnUpdate?: boolean;
  /** No ObjectMeta checks at all (core/v1 Event keeps its legacy leniency). */
  skipMeta?: boolean;
}

const both = (...fns: Update[]): Update => (o, old) => fns.flatMap((f) => f(o, old));
const asUpdate = (f: Create): Update => (o) => f(o);

const rules: Record<string, KindRules> = {
  '/Namespace': { create: core.validateNamespace, update: () => [], status: asUpdate(core.validateNamespaceStatus) },
  '/Pod': {
    create: core.validatePod, update: core.validatePodUpdate, status: core.validatePodStatusUpdate, metaOnUpdate: true,
    subresources: { ephemeralcontainers: core.validatePodEphemeralContainersUpdate },
  },
  '/PodTemplate': { create: core.validatePodTemplate },
  '/ReplicationController': { create: core.validateReplicationController, status: asUpdate(core.validateReplicationControllerStatus) },
  '/Service': { create: core.validateService, update: core.validateServiceUpdate, status: asUpdate(core.validateServiceStatus), metaOnUpdate: true },
  '/Endpoints': { create: core.validateEndpoints, metaOnUpdate: true },
  '/ConfigMap': { create: core.validateConfigMap, update: core.validateConfigMapUpdate, metaOnUpdate: true },
  '/Secret': { create: core.validateSecret, update: core.validateSecretUpdate, metaOnUpdate: true },
  '/ServiceAccount': { create: () => [], metaOnUpdate: true },
  '/Node': { create: core.validateNode, update: core.validateNodeUpdate, status: core.validateNodeUpdate },
  '/PersistentVolume': { create: core.validatePersistentVolume, update: core.validatePersistentVolumeUpdate, status: () => [], metaOnUpdate: true },
  '/PersistentVolumeClaim': {
    create: core.validatePersistentVolumeClaim,
    update: core.validatePersistentVolumeClaimUpdate,
    status: asUpdate(core.validatePersistentVolumeClaimStatus),
    metaOnUpdate: true,
  },
  '/Event': { create: (o) => validateEvent(o, ''), update: (o, old) => validateEventUpdate(o, old, ''), skipMeta: true },
  '/LimitRange': { create: core.validateLimitRange, metaOnUpdate: true },
  '/ResourceQuota': { create: core.validateResourceQuota, update: core.validateResourceQuotaUpdate, status: asUpdate(core.validateResourceQuotaStatus) },
  'apps/Deployment': { create: apps.validateDeployment, update: apps.validateDeploymentUpdate, status: apps.validateDeploymentStatusUpdate },
  'apps/ReplicaSet': { create: apps.validateReplicaSet, update: apps.validateReplicaSetUpdate, status: asUpdate(apps.validateReplicaSetStatus) },
  'apps/StatefulSet': { create: apps.validateStatefulSet, update: apps.validateStatefulSetUpdate, status: apps.validateStatefulSetStatusUpdate },
  'apps/DaemonSet': { create: apps.validateDaemonSet, update: apps.validateDaemonSetUpdate, status: apps.validateDaemonSetStatusUpdate },
  'apps/ControllerRevision': { create: apps.validateControllerRevision, update: apps.validateControllerRevisionUpdate, metaOnUpdate: true },
  'batch/Job': { create: batch.validateJob, update: batch.validateJobUpdate, status: batch.validateJobStatusUpdate },
  'batch/CronJob': { create: batch.validateCronJob, update: batch.validateCronJobUpdate, status: () => [] },
  'coordination.k8s.io/Lease': { create: validateLease },
  'certificates.k8s.io/CertificateSigningRequest': {
    create: certificates.validateCertificateSigningRequestCreate,
    update: certificates.validateCertificateSigningRequestUpdate,
    status: certificates.validateCertificateSigningRequestStatusUpdate,
    subresources: { approval: certificates.validateCertificateSigningRequestApprovalUpdate },
    metaOnUpdate: true,
  },
  'discovery.k8s.io/EndpointSlice': { create: validateEndpointSlice, update: validateEndpointSliceUpdate },
  'networking.k8s.io/NetworkPolicy': { create: networking.validateNetworkPolicy },
  'networking.k8s.io/Ingress': { create: networking.validateIngress, status: asUpdate(networking.validateIngressStatus) },
  'networking.k8s.io/IngressClass': { create: networking.validateIngressClass, update: networking.validateIngressClassUpdate },
  'rbac.authorization.k8s.io/Role': { create: rbac.validateRole, metaOnUpdate: true },
  'rbac.authorization.k8s.io/ClusterRole': { create: rbac.validateClusterRole, metaOnUpdate: true },
  'rbac.authorization.k8s.io/RoleBinding': {
    create: rbac.validateRoleBinding,
    update: both(asUpdate(rbac.validateRoleBinding), rbac.roleRefImmutable),
    metaOnUpdate: true,
  },
  'rbac.authorization.k8s.io/ClusterRoleBinding': {
    create: rbac.validateClusterRoleBinding,
    update: both(asUpdate(rbac.validateClusterRoleBinding), rbac.roleRefImmutable),
    metaOnUpdate: true,
  },
  'policy/PodDisruptionBudget': { create: validatePodDisruptionBudget, status: asUpdate(validatePodDisruptionBudgetStatus) },
  'storage.k8s.io/StorageClass': { create: validateStorageClass, update: validateStorageClassUpdate },
  'events.k8s.io/Event': { create: (o) => validateEvent(o, 'events.k8s.io'), update: (o, old) => validateEventUpdate(o, old, 'events.k8s.io') },
  'apiextensions.k8s.io/CustomResourceDefinition': {
    create: validateCustomResourceDefinition,
    update: validateCustomResourceDefinitionUpdate,
    status: () => [],
  },
};

const registry = new Registry();
const scopes = new Map<string, boolean>();
for (const t of registry.all()) scopes.set(`${t.group}/${t.kind}`, t.namespaced);
// ReplicationController is served by upstream's core group though our registry does not list it
scopes.set('/ReplicationController', true);

export interface ValidateOptions {
  /** Scope of a kind the built-in registry does not know (a custom resource). */
  namespaced?: boolean;
}

function metaOptions(group: string, kind: string, opts: ValidateOptions): MetaOptions {
  const key = `${group}/${kind}`;
  const builtin = key in rules;
  return {
    namespaced: scopes.get(key) ?? opts.namespaced,
    // apiextensions and custom resources use apimachinery's checks without the core finalizer rule
    kubeFinalizers: builtin && group !== 'apiextensions.k8s.io',
  };
}

/** Upstream's ErrorList keeps duplicates; the Status message drops them, and so do we throughout. */
function dedupe(errs: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const k = `${e.type}\u0000${e.toString()}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const asObj = (o: unknown): Obj => obj(o) ?? {};

/** Validation of an object about to be created. */
export function validateCreate(group: string, kind: string, object: unknown, opts: ValidateOptions = {}): FieldError[] {
  const o = asObj(object);
  const r = rules[`${group}/${kind}`];
  const errs: FieldError[] = [];
  if (!r?.skipMeta) errs.push(...validateObjectMeta(o.metadata, nameRuleFor(group, kind), metaOptions(group, kind, opts)));
  if (r?.create) errs.push(...r.create(o));
  return dedupe(errs);
}

/** Validation of an update of `old` to `object` (the main resource, not a subresource). */
export function validateUpdate(group: string, kind: string, object: unknown, old: unknown, opts: ValidateOptions = {}): FieldError[] {
  const o = asObj(object);
  const prev = asObj(old);
  const r = rules[`${group}/${kind}`];
  const mo = metaOptions(group, kind, opts);
  const errs: FieldError[] = [];
  if (!r?.skipMeta) {
    errs.push(...validateObjectMetaUpdate(o.metadata, prev.metadata, mo));
    if (r?.metaOnUpdate) errs.push(...validateObjectMeta(o.metadata, nameRuleFor(group, kind), mo));
  }
  if (r?.update) errs.push(...r.update(o, prev));
  else if (r?.create) errs.push(...r.create(o));
  return dedupe(errs);
}

/** Validation of an update through the status subresource: metadata rules plus the kind's status rules. */
export function validateStatusUpdate(group: string, kind: string, object: unknown, old: unknown, opts: ValidateOptions = {}): FieldError[] {
  const o = asObj(object);
  const prev = asObj(old);
  const r = rules[`${group}/${kind}`];
  const errs: FieldError[] = [...validateObjectMetaUpdate(o.metadata, prev.metadata, metaOptions(group, kind, opts))];
  if (r?.status) errs.push(...r.status(o, prev));
  return dedupe(errs);
}

/** Validation of an update through another subresource (status has its own entry point above). */
export function validateSubresourceUpdate(group: string, kind: string, subresource: string, object: unknown, old: unknown, opts: ValidateOptions = {}): FieldError[] {
  const r = rules[`${group}/${kind}`]?.subresources?.[subresource];
  if (!r) return validateUpdate(group, kind, object, old, opts);
  const o = asObj(object);
  const prev = asObj(old);
  return dedupe([...validateObjectMetaUpdate(o.metadata, prev.metadata, metaOptions(group, kind, opts)), ...r(o, prev)]);
}

export { validateObjectMeta, validateObjectMetaUpdate, nameRuleFor };
