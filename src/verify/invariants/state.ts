// What the invariant library judges: one state of the cluster (every object the API holds, at an
// instant), a step between two states, or a decision a controller made from what it observed.
// The simulator, the model checker and tests all hand the same shapes to the same predicates.
import type { ResourceRef } from '../../model/api.js';
import type { Instant, KubeObject } from '../../model/object.js';
import type { Decision } from '../../controllers/runtime.js';

/** The objects of one state, by resource plural (pods, nodes, deployments, …). */
export interface ClusterState {
  readonly now: Instant;
  list(resource: string): readonly KubeObject[];
  /** The resources this state holds objects of. */
  resources(): string[];
}

export class MapState implements ClusterState {
  private readonly byResource = new Map<string, KubeObject[]>();
  constructor(readonly now: Instant, objects: Iterable<{ resource: ResourceRef; object: KubeObject }> = []) {
    for (const { resource, object } of objects) this.add(resource.resource, object);
  }

  add(resource: string, o: KubeObject): this {
    let l = this.byResource.get(resource);
    if (!l) this.byResource.set(resource, (l = []));
    l.push(o);
    return this;
  }

  list(resource: string): readonly KubeObject[] {
    return this.byResource.get(resource) ?? [];
  }

  resources(): string[] {
    return [...this.byResource.keys()];
  }
}

/** A state from plain lists: `stateOf(now, { pods: [...], nodes: [...] })`. */
export function stateOf(now: Instant, lists: Record<string, KubeObject[]>): MapState {
  const s = new MapState(now);
  for (const [r, objs] of Object.entries(lists)) for (const o of objs) s.add(r, o);
  return s;
}

/** Every object of a state with the resource it is in. */
export function* allObjects(s: ClusterState, resources: Iterable<string>): Generator<{ resource: string; object: KubeObject }> {
  for (const resource of resources) for (const object of s.list(resource)) yield { resource, object };
}

/** A safety property of each state (□P): the violations of P in s, as readable lines. */
export interface StateProperty {
  kind: 'state';
  name: string;
  /** The seed section it comes from. */
  cite: string;
  check(s: ClusterState): string[];
}

/** A safety property of each step (□[A]): the violations of A between consecutive states. */
export interface StepProperty {
  kind: 'step';
  name: string;
  cite: string;
  /** The resources whose objects the property follows across the step. */
  resources: string[];
  check(before: ClusterState, after: ClusterState): string[];
  /**
   * Set when the property judges each object on its own: its violations for one object of the
   * state before and the object of that uid after (undefined: gone). check is then objectwise(it),
   * and the model checker judges a step by object versions, most of which the step left alone.
   */
  perObject?(resource: string, before: KubeObject, after: KubeObject | undefined): string[];
}

/** A step's violations as those of each object of the state before (in byUid order) with its object of the same uid after. */
export function objectwise(perObject: NonNullable<StepProperty['perObject']>): StepProperty['check'] {
  return (before, after) => {
    const resources = [...new Set([...before.resources(), ...after.resources()])];
    const now = byUid(after, resources);
    const out: string[] = [];
    for (const [uid, { resource, object }] of byUid(before, resources)) out.push(...perObject(resource, object, now.get(uid)?.object));
    return out;
  };
}

/** A property of each reconcile: the decision a controller made from what it observed. */
export interface DecisionProperty {
  kind: 'decision';
  name: string;
  cite: string;
  controller: string;
  check(observed: unknown, decision: Decision): string[];
}

/**
 * A liveness property ◇□G: eventually G holds and keeps holding. Over a finite run it is judged
 * at the end, once the desired state stopped changing and the run settled (simulator), or over
 * every fair cycle and end state of the explored graph (model checker).
 */
export interface GoalProperty {
  kind: 'goal';
  name: string;
  cite: string;
  /** What is not yet so in s (empty when the goal holds). */
  unmet(s: ClusterState): string[];
}

export type Property = StateProperty | StepProperty | DecisionProperty | GoalProperty;

/** Objects across resources by uid (the identity that survives updates, not a recreation). */
export function byUid(s: ClusterState, resources: Iterable<string>): Map<string, { resource: string; object: KubeObject }> {
  const m = new Map<string, { resource: string; object: KubeObject }>();
  // Plain loops rather than allObjects' generator: the model checker judges every step with this.
  for (const resource of resources) {
    for (const object of s.list(resource)) {
      const uid = object.metadata.uid;
      if (uid) m.set(uid, { resource, object });
    }
  }
  return m;
}

export const nameOf = (o: KubeObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!);
