// The selector the system default topology spreading counts a pod's peers by (upstream's
// helper.DefaultSelector), from what the caller's caches hold: the runner's informers, the
// simulator's scheduler cache.
import type { KubeObject } from '../model/object.js';
import { addRequirements, isEmpty, labelSelectorAsSelector, matches, SelectorError, selectorFromSet, type Selector } from '../model/labels.js';
import type { PodInfo } from './podinfo.js';

/**
 * The selectors of the Services that select the pod and of its controller (ReplicaSet or
 * StatefulSet; the API serves no ReplicationControllers), merged; undefined when that is empty.
 */
export function defaultSelector(p: PodInfo, services: Iterable<KubeObject>, controller: KubeObject | undefined): Selector | undefined {
  let set: Record<string, string> = {};
  for (const svc of services) {
    const sel = (svc.spec as { selector?: Record<string, string> } | undefined)?.selector;
    if (sel && Object.keys(sel).length && matches(selectorFromSet(sel), p.labels)) set = { ...set, ...sel };
  }
  let selector = selectorFromSet(set);
  if (controller) {
    const spec = controller.spec as { selector?: unknown } | undefined;
    try {
      const other = labelSelectorAsSelector(spec?.selector as Parameters<typeof labelSelectorAsSelector>[0]);
      if (!other.nothing) selector = addRequirements(selector, ...other.requirements);
    } catch (e) {
      if (!(e instanceof SelectorError)) throw e;
    }
  }
  return isEmpty(selector) ? undefined : selector;
}

/** The pod's controlling owner reference, when it has one. */
export function controllerRef(p: PodInfo): { kind: string; name: string; uid: string } | undefined {
  return p.pod.metadata?.ownerReferences?.find((r) => r.controller);
}

/**
 * Pods of one controller share their labels and owner, so their default selector is one: the key
 * to remember it by until a Service or a controller's selector changes.
 */
export function defaultSelectorKey(p: PodInfo): string {
  return `${p.namespace}\u0000${controllerRef(p)?.uid ?? ''}\u0000${Object.keys(p.labels).sort().map((k) => `${k}=${p.labels[k]}`).join(',')}`;
}
