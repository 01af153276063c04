// Playing the kubelet in controller tests: pods move through their phases by status writes, as a
// node would report them, with the time of each transition given explicitly.
import { R, type ApiClient } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { rfc3339 } from '../../src/model/object.js';

let nextIP = 10;

export interface PodState {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ready?: boolean;
  /** When the pod reached this state (defaults to now). */
  at?: number;
  ip?: string;
  node?: string;
}

/** The status a kubelet would report for the pod in this state. */
export function podStatus(pod: KubeObject, s: PodState): Record<string, unknown> {
  const t = rfc3339(s.at ?? Date.now());
  const old = (pod.status ?? {}) as { podIP?: string };
  const ip = s.ip ?? old.podIP ?? (s.phase === 'Running' ? `10.244.0.${nextIP++ % 250}` : undefined);
  const terminated = s.phase === 'Succeeded' || s.phase === 'Failed';
  const ready = s.phase === 'Running' && (s.ready ?? true);
  const containers = ((pod.spec as { containers?: { name: string; image: string }[] })?.containers ?? []).map((c) => ({
    name: c.name, image: c.image, imageID: '', ready, restartCount: 0, started: s.phase === 'Running',
    state: terminated
      ? { terminated: { exitCode: s.phase === 'Succeeded' ? 0 : 1, reason: s.phase === 'Succeeded' ? 'Completed' : 'Error', startedAt: t, finishedAt: t } }
      : s.phase === 'Running' ? { running: { startedAt: t } } : { waiting: { reason: 'ContainerCreating' } },
  }));
  return {
    ...(pod.status as Record<string, unknown> | undefined),
    phase: s.phase,
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
      { type: 'Initialized', status: 'True', lastTransitionTime: t },
      { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: t },
      { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: t },
    ],
    ...(ip ? { podIP: ip, podIPs: [{ ip }], hostIP: '192.168.0.1' } : {}),
    startTime: t,
    containerStatuses: containers,
  };
}

/** Writes the pod's status subresource (and binds it to a node if asked), as a kubelet would. */
export async function setPod(client: ApiClient, namespace: string, name: string, s: PodState): Promise<KubeObject> {
  let pod = await client.get(R.pods, namespace, name);
  if (s.node && !(pod.spec as { nodeName?: string }).nodeName) {
    await client.create(R.pods, namespace, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: s.node } } as KubeObject, { subresource: 'binding' });
    pod = await client.get(R.pods, namespace, name);
  }
  return client.update(R.pods, namespace, { ...pod, status: podStatus(pod, s) }, { subresource: 'status' });
}
