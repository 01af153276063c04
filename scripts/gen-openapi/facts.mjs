// Facts neither npm package carries, looked up in upstream's Go types (staging/src/k8s.io/api/*/types.go
// struct tags and +markers) and, where those were older than the field, in upstream's generated
// api/openapi-spec/v3/*.json. Keys are upstream definition names; values map JSON field names to:
//   patchStrategy / patchMergeKey  -> x-kubernetes-patch-strategy / -merge-key (struct tags)
//   listType / listMapKeys / mapType -> x-kubernetes-list-type / -list-map-keys / -map-type (+markers)
//   value: true  -> the Go field is a struct value, not a pointer (OpenAPI v3 `default: {}`)
//   zero: true   -> a scalar without omitempty that is not required (v3 zero `default`)
//   noZero: true -> a required pointer scalar (no v3 zero `default`)
//   default: x   -> +default=x
const C = 'io.k8s.api.core.v1.';
const APPS = 'io.k8s.api.apps.v1.';
const BATCH = 'io.k8s.api.batch.v1.';
const NET = 'io.k8s.api.networking.v1.';
const DISC = 'io.k8s.api.discovery.v1.';
const POLICY = 'io.k8s.api.policy.v1.';
const RBAC = 'io.k8s.api.rbac.v1.';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const EXT = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.';

const atomic = { listType: 'atomic' };
const set = { listType: 'set' };
const V = { value: true };
const Z = { zero: true };
/** patchStrategy=merge + patchMergeKey=key + listType=map with the given map keys. */
const mergeMap = (key, keys = [key]) => ({ patchStrategy: 'merge', patchMergeKey: key, listType: 'map', listMapKeys: keys });
const map = (...keys) => ({ listType: 'map', listMapKeys: keys });

const containerLists = {
  command: atomic,
  args: atomic,
  ports: mergeMap('containerPort', ['containerPort', 'protocol']),
  envFrom: atomic,
  env: mergeMap('name'),
  resources: V,
  resizePolicy: atomic,
  restartPolicyRules: atomic,
  volumeMounts: mergeMap('mountPath'),
  volumeDevices: mergeMap('devicePath'),
};

export const FIELD_FACTS = {
  // ---- meta/v1
  [META + 'ObjectMeta']: {
    finalizers: { patchStrategy: 'merge', listType: 'set' },
    ownerReferences: mergeMap('uid'),
    managedFields: atomic,
  },
  [META + 'LabelSelector']: { matchExpressions: atomic },
  [META + 'LabelSelectorRequirement']: { values: atomic },
  [META + 'StatusDetails']: { causes: atomic },

  // ---- apps/v1
  [APPS + 'StatefulSetSpec']: { template: V, updateStrategy: V, volumeClaimTemplates: atomic },
  [APPS + 'StatefulSetOrdinals']: { start: Z },
  [APPS + 'StatefulSetStatus']: { availableReplicas: Z, conditions: mergeMap('type') },
  [APPS + 'DeploymentSpec']: { template: V, strategy: { value: true, patchStrategy: 'retainKeys' } },
  [APPS + 'DeploymentStatus']: { conditions: mergeMap('type') },
  [APPS + 'DaemonSetSpec']: { template: V, updateStrategy: V },
  [APPS + 'DaemonSetStatus']: { conditions: mergeMap('type') },
  [APPS + 'ReplicaSetSpec']: { template: V },
  [APPS + 'ReplicaSetStatus']: { conditions: mergeMap('type') },

  // ---- batch/v1
  [BATCH + 'CronJobSpec']: { jobTemplate: V },
  [BATCH + 'CronJobStatus']: { active: atomic },
  [BATCH + 'JobSpec']: { template: V },
  [BATCH + 'JobStatus']: { conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'atomic' } },
  [BATCH + 'JobTemplateSpec']: { spec: V },
  [BATCH + 'PodFailurePolicy']: { rules: atomic },
  [BATCH + 'PodFailurePolicyOnExitCodesRequirement']: { values: set },
  [BATCH + 'PodFailurePolicyRule']: { onPodConditions: atomic },
  [BATCH + 'SuccessPolicy']: { rules: atomic },
  [BATCH + 'UncountedTerminatedPods']: { failed: set, succeeded: set },

  // ---- core/v1: volumes
  [C + 'PersistentVolumeSpec']: { accessModes: atomic, claimRef: { mapType: 'granular' }, mountOptions: atomic },
  [C + 'PersistentVolumeClaimSpec']: { accessModes: atomic, resources: V },
  [C + 'PersistentVolumeClaimStatus']: { accessModes: atomic, conditions: mergeMap('type'), allocatedResourceStatuses: { mapType: 'granular' } },
  [C + 'PersistentVolumeClaimTemplate']: { spec: V },
  [C + 'RBDVolumeSource']: { monitors: atomic, pool: { default: 'rbd' }, user: { default: 'admin' }, keyring: { default: '/etc/ceph/keyring' } },
  [C + 'RBDPersistentVolumeSource']: { monitors: atomic, pool: { default: 'rbd' }, user: { default: 'admin' }, keyring: { default: '/etc/ceph/keyring' } },
  [C + 'CephFSVolumeSource']: { monitors: atomic },
  [C + 'CephFSPersistentVolumeSource']: { monitors: atomic },
  [C + 'SecretVolumeSource']: { items: atomic },
  [C + 'SecretProjection']: { items: atomic },
  [C + 'ConfigMapVolumeSource']: { items: atomic },
  [C + 'ConfigMapProjection']: { items: atomic },
  [C + 'ISCSIVolumeSource']: { portals: atomic, iscsiInterface: { default: 'default' } },
  [C + 'ISCSIPersistentVolumeSource']: { portals: atomic, iscsiInterface: { default: 'default' } },
  [C + 'FCVolumeSource']: { targetWWNs: atomic, wwids: atomic },
  [C + 'AzureDiskVolumeSource']: { cachingMode: { default: 'ReadWrite' }, fsType: { default: 'ext4' }, readOnly: { default: false }, kind: { default: 'Shared' } },
  [C + 'ScaleIOVolumeSource']: { storageMode: { default: 'ThinProvisioned' }, fsType: { default: 'xfs' } },
  [C + 'ScaleIOPersistentVolumeSource']: { storageMode: { default: 'ThinProvisioned' }, fsType: { default: 'xfs' } },
  [C + 'ProjectedVolumeSource']: { sources: atomic },
  [C + 'DownwardAPIVolumeSource']: { items: atomic },
  [C + 'DownwardAPIProjection']: { items: atomic },

  // ---- core/v1: containers and pods
  [C + 'ContainerPort']: { protocol: { default: 'TCP' } },
  [C + 'HTTPGetAction']: { httpHeaders: atomic },
  [C + 'GRPCAction']: { service: { default: '' } },
  [C + 'ExecAction']: { command: atomic },
  [C + 'Capabilities']: { add: atomic, drop: atomic },
  [C + 'ResourceRequirements']: { claims: map('name') },
  [C + 'Container']: containerLists,
  [C + 'EphemeralContainer']: containerLists,
  [C + 'ContainerStatus']: { state: V, lastState: V, volumeMounts: mergeMap('mountPath'), allocatedResourcesStatus: mergeMap('name') },
  [C + 'ResourceStatus']: { resources: map('resourceID') },
  [C + 'LinuxContainerUser']: { supplementalGroups: atomic },
  [C + 'NodeSelector']: { nodeSelectorTerms: atomic },
  [C + 'NodeSelectorTerm']: { matchExpressions: atomic, matchFields: atomic },
  [C + 'NodeSelectorRequirement']: { values: atomic },
  [C + 'TopologySelectorTerm']: { matchLabelExpressions: atomic },
  [C + 'TopologySelectorLabelRequirement']: { values: atomic },
  [C + 'PodAffinity']: { requiredDuringSchedulingIgnoredDuringExecution: atomic, preferredDuringSchedulingIgnoredDuringExecution: atomic },
  [C + 'PodAntiAffinity']: { requiredDuringSchedulingIgnoredDuringExecution: atomic, preferredDuringSchedulingIgnoredDuringExecution: atomic },
  [C + 'WeightedPodAffinityTerm']: { podAffinityTerm: V },
  [C + 'PodAffinityTerm']: { namespaces: atomic, matchLabelKeys: atomic, mismatchLabelKeys: atomic },
  [C + 'NodeAffinity']: { preferredDuringSchedulingIgnoredDuringExecution: atomic },
  [C + 'PreferredSchedulingTerm']: { preference: V },
  [C + 'PodSpec']: {
    volumes: { ...mergeMap('name'), patchStrategy: 'merge,retainKeys' },
    initContainers: mergeMap('name'),
    containers: mergeMap('name'),
    ephemeralContainers: mergeMap('name'),
    nodeSelector: { mapType: 'atomic' },
    imagePullSecrets: mergeMap('name'),
    tolerations: atomic,
    hostAliases: mergeMap('ip'),
    readinessGates: atomic,
    topologySpreadConstraints: mergeMap('topologyKey', ['topologyKey', 'whenUnsatisfiable']),
    schedulingGates: mergeMap('name'),
    resourceClaims: { ...mergeMap('name'), patchStrategy: 'merge,retainKeys' },
  },
  [C + 'TopologySpreadConstraint']: { matchLabelKeys: atomic },
  [C + 'HostAlias']: { hostnames: atomic },
  [C + 'PodSecurityContext']: { supplementalGroups: atomic, sysctls: atomic },
  [C + 'PodDNSConfig']: { nameservers: atomic, searches: atomic, options: atomic },
  [C + 'PodStatus']: {
    conditions: mergeMap('type'),
    hostIPs: { patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'atomic' },
    podIPs: mergeMap('ip'),
    initContainerStatuses: atomic,
    containerStatuses: atomic,
    ephemeralContainerStatuses: atomic,
    resourceClaimStatuses: { ...mergeMap('name'), patchStrategy: 'merge,retainKeys' },
    nodeAllocatableResourceClaimStatuses: atomic,
  },
  [C + 'PodTemplateSpec']: { spec: V },
  [C + 'PodTemplate']: { template: V },

  // ---- core/v1: services, endpoints, nodes, namespaces, the rest
  [C + 'ServiceSpec']: {
    ports: mergeMap('port', ['port', 'protocol']),
    selector: { mapType: 'atomic' },
    clusterIPs: atomic,
    externalIPs: atomic,
    loadBalancerSourceRanges: atomic,
    ipFamilies: atomic,
  },
  [C + 'ServicePort']: { protocol: { default: 'TCP' } },
  [C + 'ServiceStatus']: { loadBalancer: V, conditions: mergeMap('type') },
  [C + 'LoadBalancerStatus']: { ingress: atomic },
  [C + 'LoadBalancerIngress']: { ports: atomic },
  [C + 'ServiceAccount']: { secrets: mergeMap('name'), imagePullSecrets: atomic },
  [C + 'Endpoints']: { subsets: atomic },
  [C + 'EndpointSubset']: { addresses: atomic, notReadyAddresses: atomic, ports: atomic },
  [C + 'NodeSpec']: { podCIDRs: { patchStrategy: 'merge', listType: 'set' }, taints: atomic },
  [C + 'NodeDaemonEndpoints']: { kubeletEndpoint: V },
  [C + 'NodeRuntimeHandler']: { name: Z },
  [C + 'NodeStatus']: {
    conditions: mergeMap('type'),
    addresses: mergeMap('type'),
    daemonEndpoints: V,
    nodeInfo: V,
    images: atomic,
    volumesInUse: atomic,
    volumesAttached: atomic,
    runtimeHandlers: atomic,
    declaredFeatures: atomic,
  },
  [C + 'ContainerImage']: { names: atomic },
  [C + 'NamespaceSpec']: { finalizers: atomic },
  [C + 'NamespaceStatus']: { conditions: mergeMap('type') },
  [C + 'Binding']: { target: V },
  [C + 'LocalObjectReference']: { name: { default: '' } },
  [C + 'Event']: { involvedObject: V, source: V, reportingComponent: Z, reportingInstance: Z },
  [C + 'LimitRangeSpec']: { limits: atomic },
  [C + 'ResourceQuotaSpec']: { scopes: atomic },
  [C + 'ScopeSelector']: { matchExpressions: atomic },
  [C + 'ScopedResourceSelectorRequirement']: { values: atomic },

  // ---- networking/v1
  [NET + 'NetworkPolicySpec']: { podSelector: V, ingress: atomic, egress: atomic, policyTypes: atomic },
  [NET + 'NetworkPolicyIngressRule']: { ports: atomic, from: atomic },
  [NET + 'NetworkPolicyEgressRule']: { ports: atomic, to: atomic },
  [NET + 'IPBlock']: { except: atomic },
  [NET + 'IngressSpec']: { tls: atomic, rules: atomic },
  [NET + 'IngressTLS']: { hosts: atomic },
  [NET + 'IngressStatus']: { loadBalancer: V },
  [NET + 'IngressLoadBalancerStatus']: { ingress: atomic },
  [NET + 'IngressLoadBalancerIngress']: { ports: atomic },
  [NET + 'HTTPIngressRuleValue']: { paths: atomic },
  [NET + 'HTTPIngressPath']: { backend: V, pathType: { noZero: true } },
  [NET + 'IngressServiceBackend']: { port: V },

  // ---- discovery/v1
  [DISC + 'EndpointSlice']: { endpoints: atomic, ports: atomic },
  [DISC + 'Endpoint']: { addresses: set, conditions: V },
  [DISC + 'EndpointHints']: { forZones: atomic, forNodes: atomic },

  // ---- policy/v1, rbac/v1
  [POLICY + 'PodDisruptionBudgetSpec']: { selector: { patchStrategy: 'replace' } },
  [POLICY + 'PodDisruptionBudgetStatus']: { conditions: mergeMap('type') },
  [RBAC + 'RoleBinding']: { roleRef: V },
  [RBAC + 'ClusterRoleBinding']: { roleRef: V },

  // ---- certificates/v1 (request and certificate are []byte: +listType=atomic is on them upstream, but
  // the schema is a string, so it carries none)
  ['io.k8s.api.certificates.v1.CertificateSigningRequest']: { spec: V, status: V },
  ['io.k8s.api.certificates.v1.CertificateSigningRequestSpec']: { usages: atomic, groups: atomic },
  ['io.k8s.api.certificates.v1.CertificateSigningRequestStatus']: { conditions: map('type') },

  // ---- apiextensions/v1
  [EXT + 'CustomResourceDefinitionSpec']: { names: V },
  [EXT + 'CustomResourceDefinitionStatus']: { acceptedNames: V, conditions: map('type') },
  [EXT + 'JSONSchemaProps']: { 'x-kubernetes-validations': mergeMap('rule') },
};

/** Type-level facts: +structType=atomic (x-kubernetes-map-type) and +union (x-kubernetes-unions). */
const localhostUnion = [{ discriminator: 'type', 'fields-to-discriminateBy': { localhostProfile: 'LocalhostProfile' } }];
export const TYPE_FACTS = {
  [META + 'LabelSelector']: { mapType: 'atomic' },
  [META + 'OwnerReference']: { mapType: 'atomic' },
  [C + 'SecretReference']: { mapType: 'atomic' },
  [C + 'ObjectFieldSelector']: { mapType: 'atomic' },
  [C + 'ResourceFieldSelector']: { mapType: 'atomic' },
  [C + 'ConfigMapKeySelector']: { mapType: 'atomic' },
  [C + 'SecretKeySelector']: { mapType: 'atomic' },
  [C + 'NodeSelector']: { mapType: 'atomic' },
  [C + 'NodeSelectorTerm']: { mapType: 'atomic' },
  [C + 'TopologySelectorTerm']: { mapType: 'atomic' },
  [C + 'EndpointAddress']: { mapType: 'atomic' },
  [C + 'EndpointPort']: { mapType: 'atomic' },
  [C + 'ObjectReference']: { mapType: 'atomic' },
  [C + 'LocalObjectReference']: { mapType: 'atomic' },
  [C + 'TypedLocalObjectReference']: { mapType: 'atomic' },
  [C + 'ScopeSelector']: { mapType: 'atomic' },
  [C + 'SeccompProfile']: { unions: localhostUnion },
  [C + 'AppArmorProfile']: { unions: localhostUnion },
  [NET + 'ServiceBackendPort']: { mapType: 'atomic' },
  [DISC + 'EndpointPort']: { mapType: 'atomic' },
};

/** Fields whose upstream type is resource.Quantity where client-node says string and kubernetes-types has no entry. */
export const QUANTITY_FIELDS = new Set([
  C + 'PodStatus.allocatedResources',
  C + 'NodeAllocatableResourceClaimStatus.resources',
]);

/** Descriptions of fields newer than kubernetes-types whose type is a $ref (client-node drops those). */
export const FIELD_DOCS = {
  [C + 'PodSpec.resources']:
    'Resources is the total amount of CPU and Memory resources required by all containers in the pod. It supports specifying Requests and Limits for "cpu", "memory" and "hugepages-" resource names only. ResourceClaims are not supported.\n\nThis field enables fine-grained control over resource allocation for the entire pod, allowing resource sharing among containers in a pod.\n\nThis is an alpha field and requires enabling the PodLevelResources feature gate.',
  [C + 'EnvVarSource.fileKeyRef']: 'FileKeyRef selects a key of the env file. Requires the EnvFiles feature gate to be enabled.',
  [C + 'ContainerStatus.user']: 'User represents user identity information initially attached to the first process of the container',
  [C + 'ContainerUser.linux']:
    'Linux holds user identity information initially attached to the first process of the containers in Linux. Note that the actual running identity can be changed if the process has enough privilege to do so.',
  [C + 'NodeStatus.features']: 'Features describes the set of features implemented by the CRI implementation.',
  [C + 'Volume.image']:
    "image represents an OCI object (a container image or artifact) pulled and mounted on the kubelet's host machine. The volume is resolved at pod startup depending on which PullPolicy value is provided:\n\n- Always: the kubelet always attempts to pull the reference. Container creation will fail If the pull fails. - Never: the kubelet never pulls the reference and only uses a local image or artifact. Container creation will fail if the reference isn't present. - IfNotPresent: the kubelet pulls if the reference isn't already present on disk. Container creation will fail if the reference isn't present and the pull fails.\n\nThe volume gets re-resolved if the pod gets deleted and recreated, which means that new remote content will become available on pod recreation. A failure to resolve or pull the image during pod startup will block containers from starting and may add significant latency. Failures will be retried using normal volume backoff and will be reported on the pod reason and message. The types of objects that may be mounted by this volume are defined by the container runtime implementation on a host machine and at minimum must include all valid types supported by the container image field. The OCI object gets mounted in a single directory (spec.containers[*].volumeMounts.mountPath) by merging the manifest layers in the same way as for container images. The volume will be mounted read-only (ro) and non-executable files (noexec). Sub path mounts for containers are not supported (spec.containers[*].volumeMounts.subpath).",
};
