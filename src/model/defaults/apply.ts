// applyDefaults: the scheme's defaulting step, dispatched by group/version/kind. It runs on every
// object the server decodes (request bodies, and objects read back from storage), so it must be
// idempotent: defaulting a defaulted object changes nothing.
import { isPlainObject, type KubeObject } from '../object.js';
import { customResourceDefinitionDefaults } from './apiextensions.js';
import { controllerRevisionDefaults, daemonSetDefaults, deploymentDefaults, replicaSetDefaults, statefulSetDefaults } from './apps.js';
import { cronJobDefaults, jobDefaults } from './batch.js';
import {
  endpointsDefaults,
  eventDefaults,
  eventsV1EventDefaults,
  limitRangeDefaults,
  namespaceDefaults,
  nodeDefaults,
  persistentVolumeClaimDefaults,
  persistentVolumeDefaults,
  podTemplateKindDefaults,
  resourceQuotaDefaults,
  secretDefaults,
  serviceDefaults,
} from './core.js';
import { endpointSliceDefaults } from './discovery.js';
import { ingressClassDefaults, ingressDefaults, networkPolicyDefaults } from './networking.js';
import { podDefaults } from './pod.js';
import { leaseDefaults, podDisruptionBudgetDefaults } from './policy.js';
import { bindingDefaults, roleDefaults } from './rbac.js';
import { storageClassDefaults } from './storage.js';
import type { Obj } from './walk.js';

type Defaulter = (o: Obj) => void;

const defaulters: Record<string, Defaulter> = {
  '/v1/Pod': podDefaults,
  '/v1/PodTemplate': podTemplateKindDefaults,
  '/v1/Service': serviceDefaults,
  '/v1/Namespace': namespaceDefaults,
  '/v1/Secret': secretDefaults,
  '/v1/Node': nodeDefaults,
  '/v1/PersistentVolume': persistentVolumeDefaults,
  '/v1/PersistentVolumeClaim': persistentVolumeClaimDefaults,
  '/v1/Endpoints': endpointsDefaults,
  '/v1/Event': eventDefaults,
  '/v1/LimitRange': limitRangeDefaults,
  '/v1/ResourceQuota': resourceQuotaDefaults,
  'apps/v1/Deployment': deploymentDefaults,
  'apps/v1/ReplicaSet': replicaSetDefaults,
  'apps/v1/StatefulSet': statefulSetDefaults,
  'apps/v1/DaemonSet': daemonSetDefaults,
  'apps/v1/ControllerRevision': controllerRevisionDefaults,
  'batch/v1/Job': jobDefaults,
  'batch/v1/CronJob': cronJobDefaults,
  'coordination.k8s.io/v1/Lease': leaseDefaults,
  'discovery.k8s.io/v1/EndpointSlice': endpointSliceDefaults,
  'networking.k8s.io/v1/NetworkPolicy': networkPolicyDefaults,
  'networking.k8s.io/v1/Ingress': ingressDefaults,
  'networking.k8s.io/v1/IngressClass': ingressClassDefaults,
  'rbac.authorization.k8s.io/v1/Role': roleDefaults,
  'rbac.authorization.k8s.io/v1/ClusterRole': roleDefaults,
  'rbac.authorization.k8s.io/v1/RoleBinding': bindingDefaults,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': bindingDefaults,
  'policy/v1/PodDisruptionBudget': podDisruptionBudgetDefaults,
  'storage.k8s.io/v1/StorageClass': storageClassDefaults,
  'events.k8s.io/v1/Event': eventsV1EventDefaults,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': customResourceDefinitionDefaults,
};

/** Whether the kind has defaulting of its own (ConfigMap, ServiceAccount, custom resources... do not). */
export function hasDefaults(group: string, version: string, kind: string): boolean {
  return `${group}/${version}/${kind}` in defaulters;
}

/** Mutates `obj` (a fresh copy the caller owns) into the defaulted form upstream stores and returns. */
export function applyDefaults(group: string, version: string, kind: string, obj: KubeObject | Obj): void {
  if (!isPlainObject(obj)) return;
  defaulters[`${group}/${version}/${kind}`]?.(obj);
}
