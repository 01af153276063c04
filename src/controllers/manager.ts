// The controller manager: the built-in controllers over one set of shared informers.
import type { ApiClient, ResourceRef } from '../model/api.js';
import { Registry } from '../model/registry.js';
import { ControllerRunner, SharedInformers, type RunnerOptions } from './runtime.js';
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

/** Every stored resource once (a second version of the same objects, like events.k8s.io, is left out). */
export function storedResources(registry: Registry): { resource: ResourceRef; namespaced: boolean }[] {
  return registry
    .all()
    .filter((t) => !t.storedAs && ['list', 'watch', 'delete'].every((v) => t.verbs.includes(v)))
    .map((t) => ({ resource: { group: t.group, version: t.version, resource: t.plural }, namespaced: t.namespaced }));
}

/** Settings of individual controllers (kube-controller-manager's flags). */
export interface ControllerManagerConfig {
  nodeLifecycle?: NodeLifecycleOptions;
}

export function startControllerManager(client: ApiClient, opts: RunnerOptions = {}, config: ControllerManagerConfig = {}): { runner: ControllerRunner; ready: Promise<void>; stop(): void } {
  const registry = new Registry();
  const resources = storedResources(registry);
  const runner = new ControllerRunner(client, new SharedInformers(client), opts);
  runner.add(namespaceController(resources.filter((r) => r.namespaced).map((r) => r.resource)));
  runner.add(garbageCollector(registry, resources.map((r) => r.resource)));
  runner.add(replicaSetController());
  runner.add(deploymentController());
  runner.add(statefulSetController());
  runner.add(daemonSetController());
  runner.add(jobController());
  runner.add(ttlAfterFinishedController());
  runner.add(cronJobController());
  runner.add(endpointsController());
  runner.add(endpointSliceController());
  runner.add(serviceAccountController());
  runner.add(nodeLifecycleController(config.nodeLifecycle));
  runner.add(taintEvictionController());
  const ready = runner.start();
  return { runner, ready, stop: () => runner.stop() };
}
