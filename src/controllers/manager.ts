// The controller manager: the built-in controllers over one set of shared informers.
import type { ApiClient, ResourceRef } from '../model/api.js';
import { Registry } from '../model/registry.js';
import { ControllerRunner, SharedInformers, type RunnerOptions } from './runtime.js';
import { namespaceController } from './namespace.js';
import { garbageCollector } from './gc.js';

/** Every stored resource once (a second version of the same objects, like events.k8s.io, is left out). */
export function storedResources(registry: Registry): { resource: ResourceRef; namespaced: boolean }[] {
  return registry
    .all()
    .filter((t) => !t.storedAs && ['list', 'watch', 'delete'].every((v) => t.verbs.includes(v)))
    .map((t) => ({ resource: { group: t.group, version: t.version, resource: t.plural }, namespaced: t.namespaced }));
}

export function startControllerManager(client: ApiClient, opts: RunnerOptions = {}): { runner: ControllerRunner; ready: Promise<void>; stop(): void } {
  const registry = new Registry();
  const resources = storedResources(registry);
  const runner = new ControllerRunner(client, new SharedInformers(client), opts);
  runner.add(namespaceController(resources.filter((r) => r.namespaced).map((r) => r.resource)));
  runner.add(garbageCollector(registry, resources.map((r) => r.resource)));
  const ready = runner.start();
  return { runner, ready, stop: () => runner.stop() };
}
