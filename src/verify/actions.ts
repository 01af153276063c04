// In-flight actions as the cluster model keeps them (cluster-model.ts): each action's template (its
// JSON with the resourceVersions it names taken out) interned, so the canonical form and the write
// memo key actions by template and rank their revisions apart; and their step labels.
import type { KubeObject } from '../model/object.js';
import type { Action } from '../controllers/runtime.js';
import { Interner } from './memo.js';

/** An action's canonical parts: its JSON with the resourceVersions it names taken out, and those. */
export interface ActionInfo {
  tpl: number;
  rvs: string[];
  /** The revisions as numbers (NaN for one no revision could print as: it never matches). */
  nums: number[];
}

export interface ActionLabels {
  ok: string;
  refused: string;
  crash: string;
  fail: string;
}

export class ActionTable {
  private readonly templates = new Interner<string>();
  private readonly infos = new WeakMap<Action, ActionInfo>();
  private readonly labelsOf = new Map<string, Map<number, ActionLabels>>();

  /** printed: JSON.stringify(a) when the caller has it (onError, a function, prints as nothing). */
  info(a: Action, printed?: string): ActionInfo {
    let d = this.infos.get(a);
    if (!d) {
      const { onError: _, ...plain } = a;
      const rvs: string[] = [];
      const json = (printed ?? JSON.stringify(plain)).replace(/"resourceVersion":"(\d+)"/g, (_m, rv: string) => {
        rvs.push(rv);
        return '"resourceVersion":?';
      });
      d = { tpl: this.templates.id(json), rvs, nums: rvs.map((rv) => (String(Number(rv)) === rv ? Number(rv) : NaN)) };
      this.infos.set(a, d);
    }
    return d;
  }

  /** a with the revisions it names (from) replaced by to, its template kept (a memoized decision made over other revisions). */
  withRevisions(a: Action, from: number[], to: number[]): Action {
    let same = true;
    for (let i = 0; i < from.length && same; i++) same = from[i] === to[i];
    if (same) return a;
    let i = 0;
    const b = replaceRevisions(a, () => String(to[i++])) as Action;
    const info = this.info(a);
    if (i !== to.length) throw new Error('cluster model: an action\'s revisions moved');
    this.infos.set(b, { tpl: info.tpl, rvs: to.map(String), nums: to });
    return b;
  }

  /** The labels of an in-flight action's steps (they name no revision: one set per template). */
  labels(controller: string, a: Action): ActionLabels {
    const tpl = this.info(a).tpl;
    let m = this.labelsOf.get(controller);
    if (!m) this.labelsOf.set(controller, (m = new Map()));
    let l = m.get(tpl);
    if (!l) {
      const what = describe(a);
      m.set(tpl, (l = { ok: `${controller}: ${what}`, refused: `${controller}: ${what} (refused)`, crash: `fault: ${controller} crashes`, fail: `fault: ${controller}: ${what} fails` }));
    }
    return l;
  }
}

/** The action with its resourceVersions replaced, in the order JSON meets them; unchanged parts are shared. */
function replaceRevisions(v: unknown, next: () => string): unknown {
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const y = replaceRevisions(v[i], next);
      if (y !== v[i]) (out ??= [...v])[i] = y;
    }
    return out ?? v;
  }
  if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON !== 'function') {
    let out: Record<string, unknown> | undefined;
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      const y = k === 'resourceVersion' && typeof x === 'string' && /^\d+$/.test(x) ? next() : replaceRevisions(x, next);
      if (y !== x) (out ??= { ...(v as Record<string, unknown>) })[k] = y;
    }
    return out ?? v;
  }
  return v;
}

export function describe(a: Action): string {
  const spec = (o: KubeObject) => (o.spec as { replicas?: number } | undefined)?.replicas;
  switch (a.kind) {
    case 'create':
      return `create ${a.resource.resource}/${a.object.metadata.name ?? a.object.metadata.generateName}${spec(a.object) !== undefined ? ` replicas=${spec(a.object)}` : ''}`;
    case 'update':
      return a.subresource ? `update ${a.resource.resource}/${a.object.metadata.name}/${a.subresource}` : `update ${a.resource.resource}/${a.object.metadata.name}${spec(a.object) !== undefined ? ` replicas=${spec(a.object)}` : ''}`;
    case 'patch': {
      const r = (a.patch as { spec?: { replicas?: number } } | undefined)?.spec?.replicas;
      return `patch ${a.resource.resource}/${a.name}${a.subresource ? `/${a.subresource}` : ''}${r !== undefined ? ` replicas=${r}` : ''}`;
    }
    case 'delete':
      return `delete ${a.resource.resource}/${a.name}`;
  }
}

