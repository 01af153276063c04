// Facts from upstream's current generated.proto files that the Kubernetes 1.17 copy gen-protobuf
// reads lacks: whole packages promoted or added since (batch/v1 CronJob, policy/v1, discovery/v1,
// events.k8s.io/v1, networking.k8s.io/v1 Ingress, apiextensions.k8s.io/v1, autoscaling/v2), fields
// added to old messages, fields whose message type was renamed, and fields removed.
//
// Written in the .proto syntax gen-protobuf parses, with the message and field numbers as in
// kubernetes/kubernetes staging/src/k8s.io/{api,apiextensions-apiserver}/.../generated.proto, and
// for fields added to a message that already exists, only the new fields. A message here that
// exists in the old copy gains these fields; a field whose number exists replaces the old one (a
// renamed message type, or Go struct tags that changed since 1.17).
//
// types.go facts the .proto does not carry, as field options (all taken from the upstream Go
// struct tags):
//   [oe]         a non-pointer scalar with `json:",omitempty"`: encoding/json drops its zero value
//                (every other new scalar is a pointer or has no omitempty, so a zero value stays)
//   [inline]     an embedded struct with `json:",inline"`: its fields appear in the parent object
//   [json="x"]     the JSON name, where it differs from the proto field name
//   [go=X]       the Go field name (used in wire-type errors), where it is not the capitalized name
// Short prefixes: meta. core. intstr. resource. runtime. (see ALIASES).
//
// Left out on purpose: fields whose numbers could not be confirmed from upstream sources (the alpha
// fields PodSpec.schedulingGroup, PodStatus.nodeAllocatableResourceClaimStatuses and
// ListMeta.shardInfo; DeleteOptions.ignoreStoreReadErrorWithClusterBreakingPotential; discovery/v1
// EndpointHints.forNodes; apiextensions/v1 ValidationRule.optionalOldSelf and the observedGeneration
// of CustomResourceDefinitionStatus and its conditions), and alpha fields our OpenAPI does not
// serve (PodSpec.workloadRef, SecurityContext.ulimits, NodeFeatures.containerUlimits,
// SubjectAccessReviewSpec.authorizationOptions). The decoder
// skips such fields as unknown, as a server without them does.

export const ALIASES = {
  meta: 'k8s.io.apimachinery.pkg.apis.meta.v1',
  core: 'k8s.io.api.core.v1',
  intstr: 'k8s.io.apimachinery.pkg.util.intstr',
  resource: 'k8s.io.apimachinery.pkg.api.resource',
  runtime: 'k8s.io.apimachinery.pkg.runtime',
};

export const ADDITIONS = {
  'k8s.io.apimachinery.pkg.apis.meta.v1': `
    message Condition {
      optional string type = 1;
      optional string status = 2;
      optional int64 observedGeneration = 3 [oe];
      optional Time lastTransitionTime = 4;
      optional string reason = 5;
      optional string message = 6;
    }
    message FieldSelectorRequirement { optional string key = 1; optional string operator = 2; repeated string values = 3; }
    message ManagedFieldsEntry { optional string subresource = 8 [oe]; }
  `,

  'k8s.io.api.core.v1': `
    message AppArmorProfile { optional string type = 1; optional string localhostProfile = 2; }
    message CSIPersistentVolumeSource { optional SecretReference nodeExpandSecretRef = 10; }
    message ClusterTrustBundleProjection {
      optional string name = 1; optional string signerName = 2; optional meta.LabelSelector labelSelector = 3;
      optional bool optional = 5; optional string path = 4;
    }
    message ConfigMap { optional bool immutable = 4; }
    message Container {
      repeated ContainerResizePolicy resizePolicy = 23; optional string restartPolicy = 24;
      repeated ContainerRestartRule restartPolicyRules = 25;
    }
    message ContainerExtendedResourceRequest { optional string containerName = 1; optional string resourceName = 2; optional string requestName = 3; }
    message ContainerResizePolicy { optional string resourceName = 1; optional string restartPolicy = 2; }
    message ContainerRestartRule { optional string action = 1; optional ContainerRestartRuleOnExitCodes exitCodes = 2; }
    message ContainerRestartRuleOnExitCodes { optional string operator = 1; repeated int32 values = 2; }
    message ContainerStatus {
      map<string, resource.Quantity> allocatedResources = 10; optional ResourceRequirements resources = 11;
      repeated VolumeMountStatus volumeMounts = 12; optional ContainerUser user = 13;
      repeated ResourceStatus allocatedResourcesStatus = 14; optional string stopSignal = 15;
    }
    message ContainerUser { optional LinuxContainerUser linux = 1; }
    message EndpointPort { optional string appProtocol = 4; }
    message EnvVarSource { optional FileKeySelector fileKeyRef = 5; }
    message EphemeralContainerCommon {
      repeated ContainerResizePolicy resizePolicy = 23; optional string restartPolicy = 24;
      repeated ContainerRestartRule restartPolicyRules = 25;
    }
    message EphemeralVolumeSource { optional PersistentVolumeClaimTemplate volumeClaimTemplate = 1; }
    message FileKeySelector { optional string volumeName = 1; optional string path = 2; optional string key = 3; optional bool optional = 4; }
    message GRPCAction { optional int32 port = 1; optional string service = 2; }
    message HostAlias { optional string ip = 1 [go=IP]; } // json:"ip" since 1.30 (was omitempty)
    message HostIP { optional string ip = 1 [go=IP]; }
    message ImageVolumeSource { optional string reference = 1 [oe]; optional string pullPolicy = 2 [oe]; }
    message ImageVolumeStatus { optional string imageRef = 1; }
    message Lifecycle { optional LifecycleHandler postStart = 1; optional LifecycleHandler preStop = 2; optional string stopSignal = 3; }
    message LifecycleHandler {
      optional ExecAction exec = 1; optional HTTPGetAction httpGet = 2 [go=HTTPGet];
      optional TCPSocketAction tcpSocket = 3 [go=TCPSocket]; optional SleepAction sleep = 4;
    }
    message LimitRangeItem { optional string type = 1; } // json:"type" since 1.30 (was omitempty)
    message LinuxContainerUser { optional int64 uid = 1 [go=UID]; optional int64 gid = 2 [go=GID]; repeated int64 supplementalGroups = 3; }
    message LoadBalancerIngress { optional string ipMode = 3 [go=IPMode]; repeated PortStatus ports = 4; }
    message ModifyVolumeStatus { optional string targetVolumeAttributesClassName = 1 [oe]; optional string status = 2; }
    message NodeFeatures { optional bool supplementalGroupsPolicy = 1; }
    message NodeRuntimeHandler { optional string name = 1; optional NodeRuntimeHandlerFeatures features = 2; }
    message NodeRuntimeHandlerFeatures { optional bool recursiveReadOnlyMounts = 1; optional bool userNamespaces = 2; }
    message NodeStatus {
      repeated NodeRuntimeHandler runtimeHandlers = 12; optional NodeFeatures features = 13;
      repeated string declaredFeatures = 14;
    }
    message NodeSwapStatus { optional int64 capacity = 1; }
    message NodeSystemInfo { optional NodeSwapStatus swap = 11; }
    message PersistentVolumeClaimSpec {
      optional VolumeResourceRequirements resources = 2; optional TypedObjectReference dataSourceRef = 8;
      optional string volumeAttributesClassName = 9;
    }
    message PersistentVolumeClaimStatus {
      map<string, resource.Quantity> allocatedResources = 5; map<string, string> allocatedResourceStatuses = 7;
      optional string currentVolumeAttributesClassName = 8; optional ModifyVolumeStatus modifyVolumeStatus = 9;
    }
    message PersistentVolumeClaimTemplate { optional meta.ObjectMeta metadata = 1 [go=ObjectMeta]; optional PersistentVolumeClaimSpec spec = 2; }
    message PersistentVolumeSpec { optional string volumeAttributesClassName = 10; }
    message PersistentVolumeStatus { optional meta.Time lastPhaseTransitionTime = 4; }
    message PodAffinityTerm {
      optional meta.LabelSelector namespaceSelector = 4; repeated string matchLabelKeys = 5;
      repeated string mismatchLabelKeys = 6;
    }
    message PodCertificateProjection {
      optional string signerName = 1; optional string keyType = 2; optional int32 maxExpirationSeconds = 3;
      optional string credentialBundlePath = 4 [oe]; optional string keyPath = 5 [oe];
      optional string certificateChainPath = 6 [oe]; map<string, string> userAnnotations = 7;
    }
    message PodCondition { optional int64 observedGeneration = 7 [oe]; }
    message PodExtendedResourceClaimStatus { repeated ContainerExtendedResourceRequest requestMappings = 1; optional string resourceClaimName = 2; }
    message PodIP { optional string ip = 1 [go=IP]; } // json:"ip" since 1.30 (was omitempty)
    message PodOS { optional string name = 1; }
    message PodResourceClaim { optional string name = 1; optional string resourceClaimName = 3; optional string resourceClaimTemplateName = 4; }
    message PodResourceClaimStatus { optional string name = 1; optional string resourceClaimName = 2; }
    message PodSchedulingGate { optional string name = 1; }
    message PodSecurityContext {
      optional string fsGroupChangePolicy = 9; optional SeccompProfile seccompProfile = 10;
      optional AppArmorProfile appArmorProfile = 11; optional string supplementalGroupsPolicy = 12;
      optional string seLinuxChangePolicy = 13;
    }
    message PodSpec {
      optional bool setHostnameAsFQDN = 35; optional PodOS os = 36 [go=OS]; optional bool hostUsers = 37;
      repeated PodSchedulingGate schedulingGates = 38; repeated PodResourceClaim resourceClaims = 39;
      optional ResourceRequirements resources = 40; optional string hostnameOverride = 41;
    }
    message PodStatus {
      optional string resize = 14 [oe]; repeated PodResourceClaimStatus resourceClaimStatuses = 15;
      repeated HostIP hostIPs = 16 [go=HostIPs]; optional int64 observedGeneration = 17 [oe];
      optional PodExtendedResourceClaimStatus extendedResourceClaimStatus = 18;
      map<string, resource.Quantity> allocatedResources = 19; optional ResourceRequirements resources = 20;
    }
    message PortStatus { optional int32 port = 1; optional string protocol = 2; optional string error = 3; }
    message Probe { optional ProbeHandler handler = 1 [inline, go=ProbeHandler]; optional int64 terminationGracePeriodSeconds = 7; }
    message ProbeHandler {
      optional ExecAction exec = 1; optional HTTPGetAction httpGet = 2 [go=HTTPGet];
      optional TCPSocketAction tcpSocket = 3 [go=TCPSocket]; optional GRPCAction grpc = 4 [go=GRPC];
    }
    message ResourceClaim { optional string name = 1; optional string request = 2 [oe]; }
    message ResourceHealth { optional string resourceID = 1 [go=ResourceID]; optional string health = 2 [oe]; optional string message = 6; }
    message ResourceRequirements { repeated ResourceClaim claims = 3; }
    message ResourceStatus { optional string name = 1; repeated ResourceHealth resources = 2; }
    message SeccompProfile { optional string type = 1; optional string localhostProfile = 2; }
    message Secret { optional bool immutable = 5; }
    message SecurityContext { optional SeccompProfile seccompProfile = 11; optional AppArmorProfile appArmorProfile = 12; }
    message ServicePort { optional string appProtocol = 6; }
    message ServiceSpec {
      optional string ipFamilyPolicy = 17 [go=IPFamilyPolicy]; repeated string clusterIPs = 18 [go=ClusterIPs];
      repeated string ipFamilies = 19 [go=IPFamilies]; optional bool allocateLoadBalancerNodePorts = 20;
      optional string loadBalancerClass = 21; optional string internalTrafficPolicy = 22;
      optional string trafficDistribution = 23;
    }
    message ServiceStatus { repeated meta.Condition conditions = 2; }
    message SleepAction { optional int64 seconds = 1; }
    message TopologySpreadConstraint {
      optional int32 minDomains = 5; optional string nodeAffinityPolicy = 6; optional string nodeTaintsPolicy = 7;
      repeated string matchLabelKeys = 8;
    }
    message TypedObjectReference { optional string apiGroup = 1 [go=APIGroup]; optional string kind = 2; optional string name = 3; optional string namespace = 4; }
    message VolumeMount { optional string recursiveReadOnly = 7; }
    message VolumeMountStatus {
      optional string name = 1; optional string mountPath = 2; optional bool readOnly = 3 [oe];
      optional string recursiveReadOnly = 4; optional VolumeStatus volumeStatus = 5;
    }
    message VolumeProjection { optional ClusterTrustBundleProjection clusterTrustBundle = 5; optional PodCertificateProjection podCertificate = 6; }
    message VolumeResourceRequirements { map<string, resource.Quantity> limits = 1; map<string, resource.Quantity> requests = 2; }
    message VolumeSource { optional EphemeralVolumeSource ephemeral = 29; optional ImageVolumeSource image = 30; }
    message VolumeStatus { optional ImageVolumeStatus image = 1; }
    message WindowsSecurityContextOptions { optional bool hostProcess = 4; }
  `,

  'k8s.io.api.apps.v1': `
    message DeploymentStatus { optional int32 terminatingReplicas = 9; }
    message ReplicaSetStatus { optional int32 terminatingReplicas = 7; }
    message RollingUpdateDaemonSet { optional intstr.IntOrString maxSurge = 2; }
    message RollingUpdateStatefulSetStrategy { optional intstr.IntOrString maxUnavailable = 2; }
    message StatefulSetOrdinals { optional int32 start = 1; }
    message StatefulSetPersistentVolumeClaimRetentionPolicy { optional string whenDeleted = 1 [oe]; optional string whenScaled = 2 [oe]; }
    message StatefulSetSpec {
      optional string serviceName = 5 [oe]; // optional, json:",omitempty", since 1.33
      optional int32 minReadySeconds = 9 [oe];
      optional StatefulSetPersistentVolumeClaimRetentionPolicy persistentVolumeClaimRetentionPolicy = 10;
      optional StatefulSetOrdinals ordinals = 11;
    }
    message StatefulSetStatus { optional int32 availableReplicas = 11; }
  `,

  'k8s.io.api.batch.v1': `
    message CronJob { optional meta.ObjectMeta metadata = 1 [go=ObjectMeta]; optional CronJobSpec spec = 2; optional CronJobStatus status = 3; }
    message CronJobList { optional meta.ListMeta metadata = 1 [go=ListMeta]; repeated CronJob items = 2; }
    message CronJobSpec {
      optional string schedule = 1; optional string timeZone = 8; optional int64 startingDeadlineSeconds = 2;
      optional string concurrencyPolicy = 3 [oe]; optional bool suspend = 4; optional JobTemplateSpec jobTemplate = 5;
      optional int32 successfulJobsHistoryLimit = 6; optional int32 failedJobsHistoryLimit = 7;
    }
    message CronJobStatus { repeated core.ObjectReference active = 1; optional meta.Time lastScheduleTime = 4; optional meta.Time lastSuccessfulTime = 5; }
    message JobSpec {
      optional string completionMode = 9; optional bool suspend = 10; optional PodFailurePolicy podFailurePolicy = 11;
      optional int32 backoffLimitPerIndex = 12; optional int32 maxFailedIndexes = 13; optional string podReplacementPolicy = 14;
      optional string managedBy = 15; optional SuccessPolicy successPolicy = 16;
    }
    message JobStatus {
      optional string completedIndexes = 7 [oe]; optional UncountedTerminatedPods uncountedTerminatedPods = 8;
      optional int32 ready = 9; optional string failedIndexes = 10; optional int32 terminating = 11;
    }
    message JobTemplateSpec { optional meta.ObjectMeta metadata = 1 [go=ObjectMeta]; optional JobSpec spec = 2; }
    message PodFailurePolicy { repeated PodFailurePolicyRule rules = 1; }
    message PodFailurePolicyOnExitCodesRequirement { optional string containerName = 1; optional string operator = 2; repeated int32 values = 3; }
    message PodFailurePolicyOnPodConditionsPattern { optional string type = 1; optional string status = 2; }
    message PodFailurePolicyRule {
      optional string action = 1; optional PodFailurePolicyOnExitCodesRequirement onExitCodes = 2;
      repeated PodFailurePolicyOnPodConditionsPattern onPodConditions = 3;
    }
    message SuccessPolicy { repeated SuccessPolicyRule rules = 1; }
    message SuccessPolicyRule { optional string succeededIndexes = 1; optional int32 succeededCount = 2; }
    message UncountedTerminatedPods { repeated string succeeded = 1; repeated string failed = 2; }
  `,

  'k8s.io.api.authentication.v1': `
    message SelfSubjectReview { optional meta.ObjectMeta metadata = 1 [go=ObjectMeta]; optional SelfSubjectReviewStatus status = 2; }
    message SelfSubjectReviewStatus { optional UserInfo userInfo = 1; }
  `,

  'k8s.io.api.authorization.v1': `
    message FieldSelectorAttributes { optional string rawSelector = 1 [oe]; repeated meta.FieldSelectorRequirement requirements = 2; }
    message LabelSelectorAttributes { optional string rawSelector = 1 [oe]; repeated meta.LabelSelectorRequirement requirements = 2; }
    message ResourceAttributes { optional FieldSelectorAttributes fieldSelector = 8; optional LabelSelectorAttributes labelSelector = 9; }
  `,

  'k8s.io.api.certificates.v1': `
    message CertificateSigningRequest {
      optional meta.ObjectMeta metadata = 1 [go=ObjectMeta]; optional CertificateSigningRequestSpec spec = 2;
      optional CertificateSigningRequestStatus status = 3;
    }
    message CertificateSigningRequestCondition {
      optional string type = 1; optional string status = 6; optional string reason = 2 [oe]; optional string message = 3 [oe];
      optional meta.Time lastUpdateTime = 4; optional meta.Time lastTransitionTime = 5;
    }
    message CertificateSigningRequestList { optional meta.ListMeta metadata = 1 [go=ListMeta]; repeated CertificateSigningRequest items = 2; }
    message CertificateSigningRequestSpec {
      optional bytes request = 1; optional string signerName = 7; optional int32 expirationSeconds = 8; repeated string usages = 5;
      optional string username = 2 [oe]; optional string uid = 3 [oe, go=UID]; repeated string groups = 4; map<string, ExtraValue> extra = 6;
    }
    message CertificateSigningRequestStatus { repeated CertificateSigningRequestCondition conditions = 1; optional bytes certificate = 2 [oe]; }
    message ExtraValue { repeated string items = 1; }
  `,

  'k8s.io.api.coordination.v1': `
    message LeaseSpec { optional string strategy = 6; optional string preferredHolder = 7; }
  `,

  'k8s.io.api.discovery.v1': `
    message Endpoint {
      repeated string addresses = 1; optional EndpointConditions conditions = 2; optional string hostname = 3;
      optional core.ObjectReference targetRef = 4; map<string, string> deprecatedTopology = 5;
      optional string nodeName = 6; optional string zone = 7; optional EndpointHints hints = 8;
    }
    message EndpointConditions { optional bool ready = 1; optional bool serving = 2; optional bool terminating = 3; }
    message EndpointHints { repeated ForZone forZones = 1; }
    message EndpointPort { optional string name = 1; optional string protocol = 2; optional int32 port = 3; optional string appProtocol = 4; }
    message EndpointSlice {
      optional meta.ObjectMeta metadata = 1 [go=ObjectMeta]; optional string addressType = 4;
      repeated Endpoint endpoints = 2; repeated EndpointPort ports = 3;
    }
    message EndpointSliceList { optional meta.ListMeta metadata = 1 [go=ListMeta]; repeated EndpointSlice items = 2; }
    message ForZone { optional string name = 1; }
  `,

  'k8s.io.api.events.v1': `
    message Event {
      optional meta.ObjectMeta metadata = 1 [go=ObjectMeta]; optional meta.MicroTime eventTime = 2;
      optional EventSeries series = 3; optional string reportingController = 4 [oe];
      optional string reportingInstance = 5 [oe]; optional string action = 6 [oe]; optional string reason = 7 [oe];
      optional core.ObjectReference regarding = 8; optional core.ObjectReference related = 9;
      optional string note = 10 [oe]; optional string type = 11 [oe]; optional core.EventSource deprecatedSource = 12;
      optional meta.Time deprecatedFirstTimestamp = 13; optional meta.Time deprecatedLastTimestamp = 14;
      optional int32 deprecatedCount = 15 [oe];
    }
    message EventList { optional meta.ListMeta metadata = 1 [go=ListMeta]; repeated Event items = 2; }
    message EventSeries { optional int32 count = 1; optional meta.MicroTime lastObservedTime = 2; }
  `,

  'k8s.io.api.networking.v1': `
    message HTTPIngressPath { optional string path = 1 [oe]; optional string pathType = 3; optional IngressBackend backend = 2; }
    message HTTPIngressRuleValue { repeated HTTPIngressPath paths = 1; }
    message Ingress { optional meta.ObjectMeta metadata = 1 [go=ObjectMeta]; optional IngressSpec spec = 2; optional IngressStatus status = 3; }
    message IngressBackend { optional IngressServiceBackend service = 4; optional core.TypedLocalObjectReference resource = 3; }
    message IngressClass { optional meta.ObjectMeta metadata = 1 [go=ObjectMeta]; optional IngressClassSpec spec = 2; }
    message IngressClassList { optional meta.ListMeta metadata = 1 [go=ListMeta]; repeated IngressClass items = 2; }
    message IngressClassParametersReference {
      optional string aPIGroup = 1 [json="apiGroup", go=APIGroup]; optional string kind = 2; optional string name = 3;
      optional string scope = 4; optional string namespace = 5;
    }
    message IngressClassSpec { optional string controller = 1 [oe]; optional IngressClassParametersReference parameters = 2; }
    message IngressList { optional meta.ListMeta metadata = 1 [go=ListMeta]; repeated Ingress items = 2; }
    message IngressLoadBalancerIngress { optional string ip = 1 [oe, go=IP]; optional string hostname = 2 [oe]; repeated IngressPortStatus ports = 4; }
    message IngressLoadBalancerStatus { repeated IngressLoadBalancerIngress ingress = 1; }
    message IngressPortStatus { optional int32 port = 1; optional string protocol = 2; optional string error = 3; }
    message IngressRule { optional string host = 1 [oe]; optional IngressRuleValue ingressRuleValue = 2 [inline, go=IngressRuleValue]; }
    message IngressRuleValue { optional HTTPIngressRuleValue http = 1 [go=HTTP]; }
    message IngressServiceBackend { optional string name = 1; optional ServiceBackendPort port = 2; }
    message IngressSpec {
      optional IngressBackend defaultBackend = 1; repeated IngressTLS tls = 2 [go=TLS]; repeated IngressRule rules = 3;
      optional string ingressClassName = 4;
    }
    message IngressStatus { optional IngressLoadBalancerStatus loadBalancer = 1; }
    message IngressTLS { repeated string hosts = 1; optional string secretName = 2 [oe]; }
    message NetworkPolicyPort { optional int32 endPort = 3; }
    message ServiceBackendPort { optional string name = 1 [oe]; optional int32 number = 2 [oe]; }
  `,

  'k8s.io.api.policy.v1': `
    message Eviction { optional meta.ObjectMeta metadata = 1 [go=ObjectMeta]; optional meta.DeleteOptions deleteOptions = 2; }
    message PodDisruptionBudget {
      optional meta.ObjectMeta metadata = 1 [go=ObjectMeta]; optional PodDisruptionBudgetSpec spec = 2;
      optional PodDisruptionBudgetStatus status = 3;
    }
    message PodDisruptionBudgetList { optional meta.ListMeta metadata = 1 [go=ListMeta]; repeated PodDisruptionBudget items = 2; }
    message PodDisruptionBudgetSpec {
      optional intstr.IntOrString minAvailable = 1; optional meta.LabelSelector selector = 2;
      optional intstr.IntOrString maxUnavailable = 3; optional string unhealthyPodEvictionPolicy = 4;
    }
    message PodDisruptionBudgetStatus {
      optional int64 observedGeneration = 1 [oe]; map<string, meta.Time> disruptedPods = 2;
      optional int32 disruptionsAllowed = 3; optional int32 currentHealthy = 4; optional int32 desiredHealthy = 5;
      optional int32 expectedPods = 6; repeated meta.Condition conditions = 7;
    }
  `,

  'k8s.io.api.autoscaling.v2': `
    message ContainerResourceMetricSource { optional string name = 1; optional MetricTarget target = 2; optional string container = 3; }
    message ContainerResourceMetricStatus { optional string name = 1; optional MetricValueStatus current = 2; optional string container = 3; }
    message CrossVersionObjectReference { optional string kind = 1; optional string name = 2; optional string apiVersion = 3 [oe, go=APIVersion]; }
    message ExternalMetricSource { optional MetricIdentifier metric = 1; optional MetricTarget target = 2; }
    message ExternalMetricStatus { optional MetricIdentifier metric = 1; optional MetricValueStatus current = 2; }
    message HPAScalingPolicy { optional string type = 1; optional int32 value = 2; optional int32 periodSeconds = 3; }
    message HPAScalingRules {
      optional int32 stabilizationWindowSeconds = 3; optional string selectPolicy = 1; repeated HPAScalingPolicy policies = 2;
      optional resource.Quantity tolerance = 4;
    }
    message HorizontalPodAutoscaler {
      optional meta.ObjectMeta metadata = 1 [go=ObjectMeta]; optional HorizontalPodAutoscalerSpec spec = 2;
      optional HorizontalPodAutoscalerStatus status = 3;
    }
    message HorizontalPodAutoscalerBehavior { optional HPAScalingRules scaleUp = 1; optional HPAScalingRules scaleDown = 2; }
    message HorizontalPodAutoscalerCondition {
      optional string type = 1; optional string status = 2; optional meta.Time lastTransitionTime = 3;
      optional string reason = 4 [oe]; optional string message = 5 [oe];
    }
    message HorizontalPodAutoscalerList { optional meta.ListMeta metadata = 1 [go=ListMeta]; repeated HorizontalPodAutoscaler items = 2; }
    message HorizontalPodAutoscalerSpec {
      optional CrossVersionObjectReference scaleTargetRef = 1; optional int32 minReplicas = 2; optional int32 maxReplicas = 3;
      repeated MetricSpec metrics = 4; optional HorizontalPodAutoscalerBehavior behavior = 5;
    }
    message HorizontalPodAutoscalerStatus {
      optional int64 observedGeneration = 1; optional meta.Time lastScaleTime = 2; optional int32 currentReplicas = 3 [oe];
      optional int32 desiredReplicas = 4; repeated MetricStatus currentMetrics = 5;
      repeated HorizontalPodAutoscalerCondition conditions = 6;
    }
    message MetricIdentifier { optional string name = 1; optional meta.LabelSelector selector = 2; }
    message MetricSpec {
      optional string type = 1; optional ObjectMetricSource object = 2; optional PodsMetricSource pods = 3;
      optional ResourceMetricSource resource = 4; optional ExternalMetricSource external = 5;
      optional ContainerResourceMetricSource containerResource = 7;
    }
    message MetricStatus {
      optional string type = 1; optional ObjectMetricStatus object = 2; optional PodsMetricStatus pods = 3;
      optional ResourceMetricStatus resource = 4; optional ExternalMetricStatus external = 5;
      optional ContainerResourceMetricStatus containerResource = 7;
    }
    message MetricTarget {
      optional string type = 1; optional resource.Quantity value = 2; optional resource.Quantity averageValue = 3;
      optional int32 averageUtilization = 4;
    }
    message MetricValueStatus { optional resource.Quantity value = 1; optional resource.Quantity averageValue = 2; optional int32 averageUtilization = 3; }
    message ObjectMetricSource { optional CrossVersionObjectReference describedObject = 1; optional MetricTarget target = 2; optional MetricIdentifier metric = 3; }
    message ObjectMetricStatus { optional MetricIdentifier metric = 1; optional MetricValueStatus current = 2; optional CrossVersionObjectReference describedObject = 3; }
    message PodsMetricSource { optional MetricIdentifier metric = 1; optional MetricTarget target = 2; }
    message PodsMetricStatus { optional MetricIdentifier metric = 1; optional MetricValueStatus current = 2; }
    message ResourceMetricSource { optional string name = 1; optional MetricTarget target = 2; }
    message ResourceMetricStatus { optional string name = 1; optional MetricValueStatus current = 2; }
  `,

  'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1': `
    message CustomResourceColumnDefinition {
      optional string name = 1; optional string type = 2; optional string format = 3 [oe];
      optional string description = 4 [oe]; optional int32 priority = 5 [oe]; optional string jsonPath = 6 [go=JSONPath];
    }
    message CustomResourceConversion { optional string strategy = 1; optional WebhookConversion webhook = 2; }
    message CustomResourceDefinition {
      optional meta.ObjectMeta metadata = 1 [go=ObjectMeta]; optional CustomResourceDefinitionSpec spec = 2;
      optional CustomResourceDefinitionStatus status = 3;
    }
    message CustomResourceDefinitionCondition {
      optional string type = 1; optional string status = 2; optional meta.Time lastTransitionTime = 3;
      optional string reason = 4 [oe]; optional string message = 5 [oe];
    }
    message CustomResourceDefinitionList { optional meta.ListMeta metadata = 1 [go=ListMeta]; repeated CustomResourceDefinition items = 2; }
    message CustomResourceDefinitionNames {
      optional string plural = 1; optional string singular = 2 [oe]; repeated string shortNames = 3;
      optional string kind = 4; optional string listKind = 5 [oe]; repeated string categories = 6;
    }
    message CustomResourceDefinitionSpec {
      optional string group = 1; optional CustomResourceDefinitionNames names = 3; optional string scope = 4;
      repeated CustomResourceDefinitionVersion versions = 7; optional CustomResourceConversion conversion = 9;
      optional bool preserveUnknownFields = 10 [oe];
    }
    message CustomResourceDefinitionStatus {
      repeated CustomResourceDefinitionCondition conditions = 1; optional CustomResourceDefinitionNames acceptedNames = 2;
      repeated string storedVersions = 3;
    }
    message CustomResourceDefinitionVersion {
      optional string name = 1; optional bool served = 2; optional bool storage = 3; optional CustomResourceValidation schema = 4;
      optional CustomResourceSubresources subresources = 5; repeated CustomResourceColumnDefinition additionalPrinterColumns = 6;
      optional bool deprecated = 7 [oe]; optional string deprecationWarning = 8; repeated SelectableField selectableFields = 9;
    }
    message CustomResourceSubresourceScale { optional string specReplicasPath = 1; optional string statusReplicasPath = 2; optional string labelSelectorPath = 3; }
    message CustomResourceSubresourceStatus { }
    message CustomResourceSubresources { optional CustomResourceSubresourceStatus status = 1; optional CustomResourceSubresourceScale scale = 2; }
    message CustomResourceValidation { optional JSONSchemaProps openAPIV3Schema = 1 [go=OpenAPIV3Schema]; }
    message ExternalDocumentation { optional string description = 1 [oe]; optional string url = 2 [oe, go=URL]; }
    message JSON { optional bytes raw = 1; }
    message JSONSchemaProps {
      optional string id = 1 [oe, go=ID]; optional string schema = 2 [oe, json="$schema"]; optional string ref = 3 [json="$ref"];
      optional string description = 4 [oe]; optional string type = 5 [oe]; optional string format = 6 [oe];
      optional string title = 7 [oe]; optional JSON default = 8; optional double maximum = 9; optional bool exclusiveMaximum = 10 [oe];
      optional double minimum = 11; optional bool exclusiveMinimum = 12 [oe]; optional int64 maxLength = 13; optional int64 minLength = 14;
      optional string pattern = 15 [oe]; optional int64 maxItems = 16; optional int64 minItems = 17; optional bool uniqueItems = 18 [oe];
      optional double multipleOf = 19; repeated JSON enum = 20; optional int64 maxProperties = 21; optional int64 minProperties = 22;
      repeated string required = 23; optional JSONSchemaPropsOrArray items = 24; repeated JSONSchemaProps allOf = 25;
      repeated JSONSchemaProps oneOf = 26; repeated JSONSchemaProps anyOf = 27; optional JSONSchemaProps not = 28;
      map<string, JSONSchemaProps> properties = 29; optional JSONSchemaPropsOrBool additionalProperties = 30;
      map<string, JSONSchemaProps> patternProperties = 31; map<string, JSONSchemaPropsOrStringArray> dependencies = 32;
      optional JSONSchemaPropsOrBool additionalItems = 33; map<string, JSONSchemaProps> definitions = 34;
      optional ExternalDocumentation externalDocs = 35; optional JSON example = 36; optional bool nullable = 37 [oe];
      optional bool xKubernetesPreserveUnknownFields = 38 [json="x-kubernetes-preserve-unknown-fields", go=XPreserveUnknownFields];
      optional bool xKubernetesEmbeddedResource = 39 [oe, json="x-kubernetes-embedded-resource", go=XEmbeddedResource];
      optional bool xKubernetesIntOrString = 40 [oe, json="x-kubernetes-int-or-string", go=XIntOrString];
      repeated string xKubernetesListMapKeys = 41 [json="x-kubernetes-list-map-keys", go=XListMapKeys];
      optional string xKubernetesListType = 42 [json="x-kubernetes-list-type", go=XListType];
      optional string xKubernetesMapType = 43 [json="x-kubernetes-map-type", go=XMapType];
      repeated ValidationRule xKubernetesValidations = 44 [json="x-kubernetes-validations", go=XValidations];
    }
    message JSONSchemaPropsOrArray { optional JSONSchemaProps schema = 1; repeated JSONSchemaProps jSONSchemas = 2 [go=JSONSchemas]; }
    message JSONSchemaPropsOrBool { optional bool allows = 1; optional JSONSchemaProps schema = 2; }
    message JSONSchemaPropsOrStringArray { optional JSONSchemaProps schema = 1; repeated string property = 2; }
    message SelectableField { optional string jsonPath = 1 [go=JSONPath]; }
    message ServiceReference { optional string namespace = 1; optional string name = 2; optional string path = 3; optional int32 port = 4; }
    message ValidationRule {
      optional string rule = 1; optional string message = 2 [oe]; optional string messageExpression = 3 [oe];
      optional string reason = 4; optional string fieldPath = 5 [oe];
    }
    message WebhookClientConfig { optional ServiceReference service = 1; optional bytes caBundle = 2 [oe, go=CABundle]; optional string url = 3 [go=URL]; }
    message WebhookConversion { optional WebhookClientConfig clientConfig = 2; repeated string conversionReviewVersions = 3; }
  `,
};

/** Fields upstream removed since 1.17 (their numbers are reserved, never reused). */
export const REMOVED = {
  // clusterName, dropped in 1.25.
  'k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta': [15],
  // ipFamily, replaced by ipFamilies in 1.20.
  'k8s.io.api.core.v1.ServiceSpec': [15],
  // state, dropped when core/v1 EventSeries lost its alpha field (1.19).
  'k8s.io.api.core.v1.EventSeries': [3],
};
