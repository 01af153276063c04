// The controller manager: the built-in controllers over one set of shared informers.
import type { ApiClient, ResourceRef } from '../model/api.js';
import { Registry } from '../model/registry.js';
import { ControllerRunner, SharedInformers, type Controller, type RunnerOptions } from './runtime.js';
import { csrApprovingController, csrSigningController, CSR_SIGNING_EXECUTOR } from './certificates.js';
import { loadAuthority, signingExecutor, type CertificateAuthority } from './authority.js';
import { namespaceController } from './namespace.js';
import { garbageCollector } from './gc.js';
import { replicaSetController } from './replicaset.js';
import { deploymentController } from './deployment.js';
import { nodeLifecycleController, taintEvictionController, type NodeLifecycleOptions } from './nodelifecycle.js';
import { statefulSetController } from './statefulset.js';
import { daemonSetController } from './daemonset.js';
import { jobController } from './job.js';
import { ttlAfterFinishedController } from './ttlafterfinished.js';
import { cronJobController } from './cronjob.js';
import { endpointsController } from './endpoints.js';
import { endpointSliceController } from './endpointslice.js';
import { serviceAccountController } from './serviceaccount.js';
import { localPathController, type LocalPathOptions } from './localpath.js';
import { disruptionController } from './disruption.js';
import { rootCACertPublisher } from './rootcacertpublisher.js';

/** Every stored resource once (a second version of the same objects, like events.k8s.io, is left out). */
export function storedResources(registry: Registry): { resource: ResourceRef; namespaced: boolean }[] {
  return registry
    .all()
    .filter((t) => !t.storedAs && ['list', 'watch', 'delete'].every((v) => t.verbs.includes(v)))
    .map((t) => ({ resource: { group: t.group, version: t.version, resource: t.plural }, namespaced: t.namespaced }));
}

/** Settings of individual controllers (kube-controller-manager's flags). */
export interface ControllerManagerConfig {
  /**
   * The CSR signer (csrsigning) with the cluster CA (kube-controller-manager's
   * --cluster-signing-cert-file/-key-file and --cluster-signing-duration). Absent (tests, the
   * simulator, a server without a CA): no certificates are issued.
   */
  csrSigning?: { ca: CertificateAuthority; durationMs?: number };
  /** Berth's approver of kubelet serving certificates (certificates.ts); off unless asked for. */
  csrApproving?: boolean;
  nodeLifecycle?: NodeLifecycleOptions;
  /** The local-path provisioner's volume root and node (default: /var/lib/berth/local-path). */
  localPath?: LocalPathOptions;
  /**
   * The cluster CA (PEM) the root-ca-cert-publisher puts in every namespace's kube-root-ca.crt
   * (kube-controller-manager's --root-ca-file). Absent (an API server without TLS): that
   * controller does not run.
   */
  rootCA?: string;
}

/** Every controller of the controller manager, as it builds them (the simulator runs the same list). */
export function managerControllers(registry: Registry, config: ControllerManagerConfig = {}): Controller<unknown>[] {
  const resources = storedResources(registry);
  return [
    ...(config.csrApproving ? [csrApprovingController()] : []),
    ...(config.csrSigning ? [csrSigningController({ caNotAfter: loadAuthority(config.csrSigning.ca).notAfter, ...(config.csrSigning.durationMs ? { durationMs: config.csrSigning.durationMs } : {}) })] : []),
    namespaceController(resources.filter((r) => r.namespaced).map((r) => r.resource)),
    garbageCollector(registry, resources.map((r) => r.resource)),
    replicaSetController(),
    deploymentController(),
    statefulSetController(),
    daemonSetController(),
    jobController(),
    ttlAfterFinishedController(),
    cronJobController(),
    endpointsController(),
    endpointSliceController(),
    serviceAccountController(),
    nodeLifecycleController(config.nodeLifecycle),
    taintEvictionController(),
    localPathController(config.localPath ?? { baseDir: '/var/lib/berth/local-path' }),
    disruptionController(),
    ...(config.rootCA ? [rootCACertPublisher(config.rootCA)] : []),
  ] as Controller<unknown>[];
}

export function startControllerManager(client: ApiClient, opts: RunnerOptions = {}, config: ControllerManagerConfig = {}): { runner: ControllerRunner; ready: Promise<void>; stop(): void } {
  const executors = { ...opts.executors, ...(config.csrSigning ? { [CSR_SIGNING_EXECUTOR]: signingExecutor(loadAuthority(config.csrSigning.ca)) } : {}) };
  const runner = new ControllerRunner(client, new SharedInformers(client), { ...opts, executors });
  for (const c of managerControllers(new Registry(), config)) runner.add(c);
  const ready = runner.start();
  return { runner, ready, stop: () => runner.stop() };
}
