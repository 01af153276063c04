// A small world for stepping pure controllers by hand: the real API semantics (in-process REST on a
// memory store) under a virtual clock with deterministic uids; observations are snapshots of what
// the API holds; decisions are carried out action by action, as the runner would, stopping at the
// first refusal. Tests drive the controller, the kubelet and the user in whatever interleaving
// they choose.
import { openStore } from '../../src/store/index.js';
import { createRest } from '../../src/apiserver/server.js';
import { LocalClient } from '../../src/apiserver/local-client.js';
import { R, type ResourceRef } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { applyAction, type Action, type Controller, type Decision, type Located } from '../../src/controllers/runtime.js';
import { SnapshotView } from '../../src/controllers/snapshot.js';
import type { ObjectStore } from '../../src/store/types.js';
import { podStatus, type PodState } from './kubelet.js';

export class ApiWorld {
  t = Date.parse('2026-01-01T00:00:00Z');
  readonly client: LocalClient;
  private readonly store: ObjectStore;
  private uid = 0;

  constructor(readonly resources: ResourceRef[]) {
    this.store = openStore({ kind: 'memory' });
    const { rest } = createRest(this.store, {
      clock: { now: () => this.t },
      ids: { uid: () => `uid-${String(++this.uid).padStart(6, '0')}`, nameSuffix: () => `s${String(this.uid).padStart(4, '0')}` },
    });
    this.client = new LocalClient(rest);
  }

  async init(namespaces = ['default']): Promise<this> {
    for (const name of namespaces) await this.client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    return this;
  }

  close(): Promise<void> {
    return this.store.close();
  }

  async list(r: ResourceRef, ns?: string): Promise<KubeObject[]> {
    return (await this.client.list(r, ns)).items;
  }

  /** What a controller would observe now. */
  async view(): Promise<SnapshotView> {
    const objects: Located[] = [];
    for (const resource of this.resources) for (const object of await this.list(resource)) objects.push({ resource, object });
    return new SnapshotView(objects);
  }

  /** Carries out one action; false if the API refused it. */
  async apply(a: Action): Promise<boolean> {
    try {
      await applyAction(this.client, a);
      return true;
    } catch {
      return false;
    }
  }

  /** Observes one key, reconciles at the world's time and carries out up to `limit` actions (events skipped). */
  async reconcile<O>(c: Controller<O>, key: string, limit = Infinity): Promise<{ obs: O; decision: Decision; applied: number }> {
    const obs = c.observe(key, await this.view());
    const decision = c.reconcile(obs, this.t);
    let applied = 0;
    for (const a of decision.actions) {
      if (a.kind === 'create' && a.bestEffort) continue;
      if (applied >= limit) break;
      if (!(await this.apply(a))) break;
      applied++;
    }
    return { obs, decision, applied };
  }

  /** The kubelet's report for a pod, at the world's time. */
  async setPod(namespace: string, name: string, s: PodState): Promise<boolean> {
    try {
      const pod = await this.client.get(R.pods, namespace, name);
      await this.client.update(R.pods, namespace, { ...pod, status: podStatus(pod, { at: this.t, ...s }) }, { subresource: 'status' });
      return true;
    } catch {
      return false;
    }
  }
}
