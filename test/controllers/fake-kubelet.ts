// A stand-in for kubelets in controller tests: every active pod that is not ready becomes Running
// and Ready after a delay, through the status subresource, as a kubelet reports it.
import { R, type ApiClient } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { rfc3339 } from '../../src/model/object.js';
import { StatusError } from '../../src/model/status.js';
import { Informer } from '../../src/client/informer.js';
import { isPodActive, isPodReady } from '../../src/controllers/pods.js';

export interface FakeKubelet {
  /** Pods made ready so far. */
  readonly readied: string[];
  /** Stop making pods ready (pods stay as they are). */
  hold(on: boolean): void;
  stop(): void;
}

export function readyStatus(pod: KubeObject, now: number): Record<string, unknown> {
  const t = rfc3339(now);
  return {
    ...(pod.status as object),
    phase: 'Running',
    conditions: [
      { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: t },
      { type: 'Initialized', status: 'True', lastTransitionTime: t },
      { type: 'Ready', status: 'True', lastTransitionTime: t },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: t },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
    ],
    startTime: t,
  };
}

export async function startFakeKubelet(client: ApiClient, opts: { delayMs?: number; namespace?: string } = {}): Promise<FakeKubelet> {
  const informer = new Informer(client, R.pods, opts.namespace ? { namespace: opts.namespace } : {});
  const pending = new Set<string>();
  const readied: string[] = [];
  let held = false;
  let stopped = false;
  const key = (p: KubeObject) => `${p.metadata.namespace}/${p.metadata.name}`;

  const ready = async (ns: string, name: string, uid: string): Promise<void> => {
    for (let attempt = 0; attempt < 5 && !stopped; attempt++) {
      let pod: KubeObject;
      try {
        pod = await client.get(R.pods, ns, name);
      } catch {
        return;
      }
      if (pod.metadata.uid !== uid || !isPodActive(pod as never) || isPodReady(pod as never)) return;
      try {
        await client.update(R.pods, ns, { ...pod, status: readyStatus(pod, Date.now()) }, { subresource: 'status' });
        readied.push(name);
        return;
      } catch (e) {
        if (!StatusError.is(e, 'Conflict')) return;
      }
    }
  };

  const consider = (p: KubeObject) => {
    if (stopped || held || pending.has(key(p)) || !isPodActive(p as never) || isPodReady(p as never)) return;
    pending.add(key(p));
    setTimeout(() => {
      void ready(p.metadata.namespace!, p.metadata.name!, p.metadata.uid!).finally(() => pending.delete(key(p)));
    }, opts.delayMs ?? 30).unref();
  };
  informer.on((ev) => {
    if (ev.type !== 'delete') consider(ev.object);
  });
  await informer.start();
  return {
    readied,
    hold(on: boolean) {
      held = on;
      if (!on) for (const p of informer.list()) consider(p);
    },
    stop() {
      stopped = true;
      informer.stop();
    },
  };
}
