// The real API over a model state (cluster-model.ts): one REST instance over a store whose log is
// the state, switched to each state a step starts from, with a uid counter that is part of the
// state. The memo of writes (write-memo.ts) listens to its store calls and uid draws.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { R } from '../model/api.js';
import { rfc3339, type Instant, type KubeObject } from '../model/object.js';
import { StatusError } from '../model/status.js';
import { compareKeys } from '../store/keys.js';
import { LogStore, type LogEntry, type LogRow, type RevisionLog } from '../store/log.js';
import type { ListOptions, ListResult, ObjectStore, ReadOptions, Watch, WatchHandlers } from '../store/types.js';
import { createRest } from '../apiserver/server.js';
import { LocalClient } from '../apiserver/local-client.js';
import type { Action } from '../controllers/runtime.js';
import type { ClusterModelState } from './cluster-model.js';
import type { RowTable } from './rows.js';

/** The latest row of every key; commits are recorded so a step's writes become the next state. */
export class StateLog implements RevisionLog {
  /** Every row committed through this log, in order (what a recorded write did). */
  readonly committed: LogRow[] = [];
  constructor(readonly rows: Map<string, LogRow>, private rev: number) {}
  head(): number {
    return this.rev;
  }
  compacted(): number {
    return 0;
  }
  commit(rows: LogRow[]): void {
    for (const r of rows) {
      if (r.deleted) this.rows.delete(r.key);
      else this.rows.set(r.key, r);
      this.rev = r.revision;
      this.committed.push(r);
    }
  }
  private live(prefix: string, after: string | undefined): LogRow[] {
    return [...this.rows.values()].filter((r) => r.key.startsWith(prefix) && (after === undefined || compareKeys(r.key, after) > 0)).sort((a, b) => compareKeys(a.key, b.key));
  }
  range(prefix: string, after: string | undefined, _revision: number, limit: number): LogRow[] {
    const l = this.live(prefix, after);
    return limit > 0 ? l.slice(0, limit) : l;
  }
  count(prefix: string, after: string | undefined): number {
    return this.live(prefix, after).length;
  }
  since(): LogEntry[] {
    return [];
  }
  compact(): void {}
  close(): void {}
}

/** What a recorded run is told before each store call (a write also when it is over). */
export type StoreTap = (kind: 'row' | 'write' | 'prefix' | 'head' | 'compacted', key?: string) => (() => void) | undefined;

/** One REST instance over whichever state's store is current; while a run is recorded, every call is told to the tap first. */
class SwitchStore implements ObjectStore {
  target!: LogStore;
  tap?: StoreTap;
  revision(): Promise<number> {
    this.tap?.('head');
    return this.target.revision();
  }
  compactedRevision(): Promise<number> {
    this.tap?.('compacted');
    return this.target.compactedRevision();
  }
  create(key: string, obj: KubeObject, opts?: ReadOptions): Promise<KubeObject> {
    return this.writing(key, () => this.target.create(key, obj, opts));
  }
  get(key: string, opts?: ReadOptions): Promise<KubeObject | undefined> {
    this.tap?.('row', key);
    return this.target.get(key, opts);
  }
  list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    this.tap?.('prefix', prefix);
    return this.target.list(prefix, opts);
  }
  count(prefix: string): Promise<number> {
    this.tap?.('prefix', prefix);
    return this.target.count(prefix);
  }
  update(key: string, obj: KubeObject, expectedRevision?: number, opts?: ReadOptions): Promise<KubeObject> {
    return this.writing(key, () => this.target.update(key, obj, expectedRevision, opts));
  }
  delete(key: string, expectedRevision?: number, opts?: ReadOptions): Promise<KubeObject> {
    return this.writing(key, () => this.target.delete(key, expectedRevision, opts));
  }
  watch(prefix: string, from: number, handlers: WatchHandlers): Watch {
    if (this.tap) throw new Error('cluster model: a recorded run may not watch');
    return this.target.watch(prefix, from, handlers);
  }
  compact(revision: number): Promise<void> {
    if (this.tap) throw new Error('cluster model: a recorded run may not compact');
    return this.target.compact(revision);
  }
  close(): Promise<void> {
    return this.target.close();
  }
  private async writing(key: string, write: () => Promise<KubeObject>): Promise<KubeObject> {
    const done = this.tap?.('write', key);
    try {
      return await write();
    } finally {
      done?.();
    }
  }
}

/** The REST layer over whichever state is loaded, and the writes the model's actors make through it. */
export class StateApi {
  readonly store = new SwitchStore();
  readonly client: LocalClient;
  /** The uid counter, loaded with the state (uids and generated names are drawn from it). */
  uid = 0;
  /** Told of each draw before the counter moves (a recorded write notes it as a read). */
  onDraw?: (kind: 'uid' | 'suffix') => void;

  constructor(private readonly table: RowTable, private readonly now: Instant) {
    const { rest } = createRest(this.store, {
      clock: { now: () => this.now },
      ids: {
        uid: () => {
          this.onDraw?.('uid');
          return `uid-${String(++this.uid).padStart(4, '0')}`;
        },
        nameSuffix: () => {
          this.onDraw?.('suffix');
          return (++this.uid).toString(36).padStart(5, 'x');
        },
      },
    });
    this.client = new LocalClient(rest, undefined, { sharedResults: true });
  }

  /** Points the API at s: the log its writes commit to, from which the next state's rows are read. */
  load(s: ClusterModelState): StateLog {
    const log = new StateLog(new Map(s.rows.map((r) => [r.key, r])), s.head);
    this.store.target = new LogStore(log, { parsed: (row) => this.table.rowObject(this.table.internLogRow(row)) });
    this.uid = s.uid;
    return log;
  }

  async apply(a: Action): Promise<void> {
    switch (a.kind) {
      case 'create':
        await this.client.create(a.resource, a.namespace, a.object);
        return;
      case 'update':
        await this.client.update(a.resource, a.namespace, a.object, a.subresource ? { subresource: a.subresource } : {});
        return;
      case 'patch':
        await this.client.patch(a.resource, a.namespace, a.name, a.patchType, a.patch, a.subresource ? { subresource: a.subresource } : {});
        return;
      case 'delete':
        try {
          await this.client.delete(a.resource, a.namespace, a.name, a.options);
        } catch (e) {
          if (!StatusError.is(e, 'NotFound')) throw e;
        }
    }
  }

  bind(namespace: string, name: string, node: string): Promise<unknown> {
    return this.client.create(R.pods, namespace, bindingOf(namespace, name, node), { subresource: 'binding' });
  }

  /** A kubelet's sync of a bound pod: Running and Ready in one status write, or removed once it is being deleted. */
  async kubelet(p: KubeObject & Pod): Promise<void> {
    if (p.metadata.deletionTimestamp) await this.client.delete(R.pods, p.metadata.namespace, p.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid! } });
    else await this.client.update(R.pods, p.metadata.namespace, { ...p, status: runningStatus(p, this.now) } as KubeObject, { subresource: 'status' });
  }
}

function bindingOf(namespace: string, name: string, node: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: node } } as KubeObject;
}

function runningStatus(p: KubeObject & Pod, now: Instant): Pod['status'] {
  const t = rfc3339(now);
  return {
    ...p.status,
    phase: 'Running',
    startTime: t,
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
      { type: 'Initialized', status: 'True', lastTransitionTime: t },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: t },
      { type: 'Ready', status: 'True', lastTransitionTime: t },
    ],
    containerStatuses: (p.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image!, imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: t } } })),
  };
}
