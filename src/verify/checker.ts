// An explicit-state model checker: breadth-first exploration of every state a model can reach,
// each state hashed once (its canonical form), safety checked in every state and on every step,
// the shortest path to a violation printed as a counterexample (BFS finds shortest first), and
// eventual stability (◇□ goal) checked over the finished graph under weak fairness.
//
// Liveness, how: once the graph is complete (nothing cut by the depth or state bound), its
// strongly connected components over system steps are computed. Environment and fault steps are
// not fair (nobody has to take them) and are budgeted by every model here, so no cycle holds one.
//  - A state with no system step enabled is where a run may stop: the goal must hold there.
//  - A component with a cycle in which some state misses the goal is a violation when a run that
//    visits all its states forever is weakly fair: every step label enabled in all of its states is
//    also taken inside it. (This finds only fair cycles that cover their whole component: every
//    one it reports is real, but a fair cycle hiding in part of a component can be missed.)
// When the bound cut the graph, liveness is reported as not checked, never as holding.
//
// Partial-order reduction: none beyond what models do themselves (a model leaves out steps that
// change nothing, e.g. a reconcile that decides no action: stuttering steps cannot break a safety
// property or the ◇□ goal). Anything more needs an independence relation between controller steps
// that the API's shared state rarely gives; see the report of the cluster model.
//
// One thread, on purpose. A version on worker threads, which agree on states by 64-bit fingerprints
// in shared memory and explore level by level, is on the branch parallel-checker-prototype: it
// gives the same counts. On this project's 2-vCPU machines it ran at 0.87-1.02x of this checker
// (5 replicas, 1M states). Two checks side by side there each slow to about 67% of one alone, and
// this checker's GC and compiler already use part of the second core.

export interface Step<S> {
  label: string;
  next: S;
  /**
   * An environment step (the desired state changes) or a fault: not subject to fairness. An
   * environment step that is not a fault is assumed to happen eventually (the scope's one rollout);
   * a fault may never happen.
   */
  env?: boolean;
  fault?: boolean;
}

export interface Model<S> {
  name: string;
  init(): Promise<S[]> | S[];
  next(s: S): Promise<Step<S>[]> | Step<S>[];
  /** Canonical: equal for states that behave alike (a number: the model interns its forms). */
  hash(s: S): string | number;
  /** Safety in every state: violations as lines. */
  invariants: { name: string; check(s: S): string[] }[];
  /** Safety on every step (including steps into states seen before). */
  steps?: { name: string; check(before: S, after: S, label: string): string[] }[];
  /** ◇□ goal: what is unmet in s. */
  goal?: { name: string; unmet(s: S): string[] };
  describe?(s: S): string;
}

export interface CheckOptions {
  maxDepth?: number;
  maxStates?: number;
  /** Stop at the first safety violation (default true). */
  stopAtFirst?: boolean;
  /** Skip the liveness analysis. */
  safetyOnly?: boolean;
  onProgress?(explored: number, depth: number): void;
}

export interface TraceStep {
  label: string;
  state?: string;
}

export interface Violation {
  property: string;
  kind: 'safety' | 'liveness';
  messages: string[];
  /** From an initial state: the steps, each with the state it led to. */
  trace: TraceStep[];
  /** For a fair cycle: where it loops back. */
  loop?: TraceStep[];
}

export interface CheckResult {
  model: string;
  states: number;
  transitions: number;
  /** Every state computed, duplicates included (the initial states and each step's): TLC's "states generated". */
  generated: number;
  depth: number;
  /** The depth or state bound cut the exploration. */
  bounded: boolean;
  /** A safety violation ended the exploration (stopAtFirst): what lay past it was not explored, and liveness not checked. */
  stopped: boolean;
  violations: Violation[];
  liveness: 'held' | 'violated' | 'not checked';
  ms: number;
}

/**
 * A growable column of int32s: a typed array holds no pointers, so the GC never scans it, and a
 * push past its end doubles it rather than moving a large JS array.
 */
class Ints {
  a = new Int32Array(1 << 10);
  n = 0;

  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.n * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }

  at(i: number): number {
    return this.a[i]!;
  }
}

/**
 * The explored graph, kept flat (no object per state or edge: they are most of what a check
 * allocates). A state's steps are taken all at once, states in the order of their ids, so the
 * edges of state i are the run edgeStart[i] .. edgeStart[i + 1] (or to the end, for the last).
 */
class Graph<S> {
  readonly states: S[] = [];
  readonly parent = new Ints();
  /** The label of the step that found each state, by label id. */
  readonly label = new Ints();
  readonly depth = new Ints();
  readonly edgeStart = new Ints();
  readonly to = new Ints();
  /** Edge labels by id (labels repeat: a step's label names no state). */
  readonly edgeLabel = new Ints();
  /** ENV for an environment step or a fault, FAULT (with ENV) for a fault. */
  readonly flags = new Ints();
  readonly labels: string[] = [];
  private readonly labelIds = new Map<string, number>();
  /** The last label looked up and its id: a state's steps often repeat one (a fault's two, a controller's). */
  private lastLabel = '';
  private lastLabelId = -1;

  get size(): number {
    return this.states.length;
  }

  labelId(label: string): number {
    if (label === this.lastLabel && this.lastLabelId >= 0) return this.lastLabelId;
    let l = this.labelIds.get(label);
    if (l === undefined) {
      l = this.labels.length;
      this.labels.push(label);
      this.labelIds.set(label, l);
    }
    this.lastLabel = label;
    this.lastLabelId = l;
    return l;
  }

  add(state: S, parent: number, label: number, depth: number): number {
    const id = this.states.length;
    this.states.push(state);
    this.parent.push(parent);
    this.label.push(label);
    this.depth.push(depth);
    return id;
  }

  /** Starts state id's edges (called once per state, in id order). */
  open(id: number): void {
    while (this.edgeStart.n <= id) this.edgeStart.push(this.to.n);
  }

  edge(to: number, label: number, flags: number): void {
    this.to.push(to);
    this.edgeLabel.push(label);
    this.flags.push(flags);
  }

  /** The first edge of state i and the end of its edges (none for a state never expanded). */
  first(i: number): number {
    return i < this.edgeStart.n ? this.edgeStart.at(i) : this.to.n;
  }

  end(i: number): number {
    return i + 1 < this.edgeStart.n ? this.edgeStart.at(i + 1) : i < this.edgeStart.n ? this.to.n : this.first(i);
  }
}

/**
 * States' ids by their hash. A model that interns its forms hashes to small integers 0, 1, …: those
 * index a typed array (no hash table to probe, nothing per entry for the GC); any other hash goes
 * to a Map. Which of the two holds a hash depends on the hash alone.
 */
class Ids {
  /** id + 1 by hash (0: not seen), for integer hashes below DENSE. */
  private dense = new Int32Array(1 << 10);
  private readonly other = new Map<string | number, number>();

  get(h: string | number): number | undefined {
    if (typeof h === 'number' && h >= 0 && h < DENSE && (h | 0) === h) {
      const v = h < this.dense.length ? this.dense[h]! : 0;
      return v === 0 ? undefined : v - 1;
    }
    return this.other.get(h);
  }

  set(h: string | number, id: number): void {
    if (typeof h === 'number' && h >= 0 && h < DENSE && (h | 0) === h) {
      if (h >= this.dense.length) {
        let n = this.dense.length * 2;
        while (n <= h) n *= 2;
        const b = new Int32Array(n);
        b.set(this.dense);
        this.dense = b;
      }
      this.dense[h] = id + 1;
    } else this.other.set(h, id);
  }
}

const DENSE = 1 << 26;

const ENV = 1;
const FAULT = 2;

export async function check<S>(model: Model<S>, opts: CheckOptions = {}): Promise<CheckResult> {
  const t0 = performance.now();
  const maxDepth = opts.maxDepth ?? Infinity;
  const maxStates = opts.maxStates ?? 1_000_000;
  const stopAtFirst = opts.stopAtFirst ?? true;
  const g = new Graph<S>();
  const ids = new Ids();
  const violations: Violation[] = [];
  const seenProps = new Set<string>();
  let transitions = 0;
  let bounded = false;
  let depth = 0;
  const describe = (s: S) => model.describe?.(s);
  const pathTo = (id: number): TraceStep[] => {
    const out: TraceStep[] = [];
    for (let i = id; i >= 0; i = g.parent.at(i)) {
      const d = describe(g.states[i]!);
      const label = g.labels[g.label.at(i)]!;
      out.push(d === undefined ? { label } : { label, state: d });
    }
    return out.reverse();
  };
  const report = (v: Violation) => {
    if (seenProps.has(v.property) && !stopAtFirst) return;
    seenProps.add(v.property);
    violations.push(v);
  };
  const safety = (id: number): void => {
    const s = g.states[id]!;
    for (let i = 0; i < model.invariants.length; i++) {
      const inv = model.invariants[i]!;
      const m = inv.check(s);
      if (m.length) report({ property: inv.name, kind: 'safety', messages: m, trace: pathTo(id) });
    }
  };
  /** The state's id; a new state's is ~id (negative), so the caller knows it is fresh without an object to say so. */
  const add = (state: S, parent: number, label: string, d: number): number => {
    const h = model.hash(state);
    const known = ids.get(h);
    if (known !== undefined) return known;
    const id = g.add(state, parent, g.labelId(label), d);
    ids.set(h, id);
    safety(id);
    return ~id;
  };
  const stepProps = model.steps ?? [];
  let frontier: number[] = [];
  const inits = await model.init();
  for (const s of inits) {
    const id = add(s, -1, 'init', 0);
    if (id < 0) frontier.push(~id);
  }
  const done = () => stopAtFirst && violations.length > 0;
  while (frontier.length && !done()) {
    const next: number[] = [];
    // Indexed loops here and below: a for-of allocates its iterator's results until the code is
    // optimized, and a cold check runs much of its time before that.
    for (let fi = 0; fi < frontier.length; fi++) {
      const id = frontier[fi]!;
      if (done()) break;
      const nodeDepth = g.depth.at(id);
      if (nodeDepth >= maxDepth || g.size >= maxStates) {
        bounded = true;
        continue;
      }
      const state = g.states[id]!;
      const r = model.next(state);
      const steps = r instanceof Promise ? await r : r;
      g.open(id);
      // Two steps may lead to one state object (a model's faults often do): hashed once.
      let prevNext: S | undefined;
      let prevTo = 0;
      for (let si = 0; si < steps.length; si++) {
        const st = steps[si]!;
        transitions++;
        for (let pi = 0; pi < stepProps.length; pi++) {
          const p = stepProps[pi]!;
          const m = p.check(state, st.next, st.label);
          if (m.length) {
            const trace = pathTo(id);
            const d = describe(st.next);
            trace.push(d === undefined ? { label: st.label } : { label: st.label, state: d });
            report({ property: p.name, kind: 'safety', messages: m, trace });
          }
        }
        const to = st.next === prevNext ? (prevTo < 0 ? ~prevTo : prevTo) : add(st.next, id, st.label, nodeDepth + 1);
        prevNext = st.next;
        prevTo = to;
        g.edge(to < 0 ? ~to : to, g.labelId(st.label), (st.env || st.fault ? ENV : 0) | (st.fault ? FAULT : 0));
        if (to < 0) next.push(~to);
      }
      opts.onProgress?.(g.size, nodeDepth);
    }
    if (next.length) depth = g.depth.at(next[0]!);
    frontier = next;
  }
  const stopped = done();
  let liveness: CheckResult['liveness'] = 'not checked';
  if (model.goal && !opts.safetyOnly && !bounded && !stopped) {
    const v = livenessViolation(model.goal, g, pathTo, describe);
    if (v) report(v);
    liveness = v ? 'violated' : 'held';
  }
  return { model: model.name, states: g.size, transitions, generated: inits.length + transitions, depth, bounded, stopped, violations, liveness, ms: performance.now() - t0 };
}

interface Edge {
  from: number;
  to: number;
  label: string;
}

function livenessViolation<S>(
  goal: NonNullable<Model<S>['goal']>,
  g: Graph<S>,
  pathTo: (id: number) => TraceStep[],
  describe: (s: S) => string | undefined,
): Violation | undefined {
  const n = g.size;
  // The goal is judged only where the analysis looks: where a run may stop, and in cycles.
  const judged: (string[] | undefined)[] = new Array(n);
  const unmet = (i: number): string[] => (judged[i] ??= goal.unmet(g.states[i]!));
  // Where a run may stop: nothing but faults can happen.
  const stops: number[] = [];
  for (let i = 0; i < n; i++) {
    let onlyFaults = true;
    for (let e = g.first(i), end = g.end(i); e < end && onlyFaults; e++) if (!(g.flags.at(e) & FAULT)) onlyFaults = false;
    if (onlyFaults && unmet(i).length > 0) stops.push(i);
  }
  if (stops.length) {
    const i = stops.sort((a, b) => g.depth.at(a) - g.depth.at(b))[0]!;
    return { property: goal.name, kind: 'liveness', messages: ['the system stops short of the goal:', ...unmet(i)], trace: pathTo(i) };
  }
  // System steps of each state, as a flat successor list (the analysis below looks at them several times).
  const sysStart = new Array<number>(n + 1);
  const sysEdge: number[] = [];
  for (let i = 0; i < n; i++) {
    sysStart[i] = sysEdge.length;
    for (let e = g.first(i), end = g.end(i); e < end; e++) if (!(g.flags.at(e) & ENV)) sysEdge.push(e);
  }
  sysStart[n] = sysEdge.length;
  const sysTo = sysEdge.map((e) => g.to.at(e));
  const inside = new Uint8Array(n);
  for (const comp of sccs(n, sysStart, sysTo)) {
    // A single state without a step back to itself holds no cycle.
    if (comp.length === 1) {
      const v = comp[0]!;
      let loop = false;
      for (let k = sysStart[v]!; k < sysStart[v + 1]! && !loop; k++) if (sysTo[k] === v) loop = true;
      if (!loop) continue;
    }
    for (const i of comp) inside[i] = 1;
    try {
      const internal: Edge[] = [];
      for (const i of comp) for (let k = sysStart[i]!; k < sysStart[i + 1]!; k++) if (inside[sysTo[k]!]) internal.push({ from: i, to: sysTo[k]!, label: g.labels[g.edgeLabel.at(sysEdge[k]!)]! });
      if (internal.length === 0) continue;
      const bad = comp.filter((i) => unmet(i).length > 0);
      if (bad.length === 0) continue;
      // Labels enabled everywhere in the component must be taken inside it.
      let always: Set<number> | undefined;
      for (const i of comp) {
        const here = new Set<number>();
        for (let k = sysStart[i]!; k < sysStart[i + 1]!; k++) here.add(g.edgeLabel.at(sysEdge[k]!));
        always = always ? new Set([...always].filter((l) => here.has(l))) : here;
      }
      const taken = new Set(internal.map((e) => e.label));
      if ([...(always ?? [])].some((l) => !taken.has(g.labels[l]!))) continue;
      const entry = comp.sort((a, b) => g.depth.at(a) - g.depth.at(b))[0]!;
      const loop = cycleThrough(entry, bad[0]!, internal, g.states, describe);
      return { property: goal.name, kind: 'liveness', messages: ['a fair cycle never reaches the goal for good:', ...unmet(bad[0]!)], trace: pathTo(entry), loop };
    } finally {
      for (const i of comp) inside[i] = 0;
    }
  }
  return undefined;
}

/** A path entry → … → through → … → entry inside one component. */
function cycleThrough<S>(entry: number, through: number, edges: Edge[], states: S[], describe: (s: S) => string | undefined): TraceStep[] {
  const bfs = (from: number, to: number): TraceStep[] => {
    const prev = new Map<number, { from: number; label: string }>();
    const q = [from];
    const seen = new Set([from]);
    while (q.length) {
      const x = q.shift()!;
      if (x === to && (x !== from || prev.size)) break;
      for (const e of edges) {
        if (e.from !== x || seen.has(e.to)) continue;
        seen.add(e.to);
        prev.set(e.to, { from: x, label: e.label });
        q.push(e.to);
      }
    }
    const out: TraceStep[] = [];
    for (let x = to; x !== from; ) {
      const p = prev.get(x);
      if (!p) break;
      const d = describe(states[x]!);
      out.push(d === undefined ? { label: p.label } : { label: p.label, state: d });
      x = p.from;
    }
    return out.reverse();
  };
  if (entry === through) {
    const out = edges.find((e) => e.from === entry);
    if (!out) return [];
    const d = describe(states[out.to]!);
    return [d === undefined ? { label: out.label } : { label: out.label, state: d }, ...(out.to === entry ? [] : bfs(out.to, entry))];
  }
  return [...bfs(entry, through), ...bfs(through, entry)];
}

/** Tarjan's strongly connected components, iteratively, over successors succ[start[v]] .. succ[start[v + 1]]. */
function sccs(n: number, start: readonly number[], succ: readonly number[]): number[][] {
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const on = new Uint8Array(n);
  const stack: number[] = [];
  // The depth-first path: each vertex with the next of its successors to look at.
  const workV: number[] = [];
  const workK: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    workV.push(root);
    workK.push(start[root]!);
    index[root] = low[root] = counter++;
    stack.push(root);
    on[root] = 1;
    while (workV.length) {
      const top = workV.length - 1;
      const v = workV[top]!;
      const k = workK[top]!;
      if (k < start[v + 1]!) {
        workK[top] = k + 1;
        const w = succ[k]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          on[w] = 1;
          workV.push(w);
          workK.push(start[w]!);
        } else if (on[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      workV.pop();
      workK.pop();
      if (workV.length) {
        const u = workV[workV.length - 1]!;
        low[u] = Math.min(low[u]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const comp: number[] = [];
        for (;;) {
          const w = stack.pop()!;
          on[w] = 0;
          comp.push(w);
          if (w === v) break;
        }
        out.push(comp);
      }
    }
  }
  return out;
}

/** A counterexample as numbered lines. */
export function formatViolation(v: Violation): string {
  const lines = [`${v.kind} violation of ${v.property}:`, ...v.messages.map((m) => `  ${m}`), 'trace:'];
  v.trace.forEach((s, i) => {
    lines.push(`  ${String(i).padStart(3)}. ${s.label}`);
    if (s.state) lines.push(`       ${s.state}`);
  });
  if (v.loop) {
    lines.push('then forever:');
    v.loop.forEach((s, i) => {
      lines.push(`  ${String(i + 1).padStart(3)}. ${s.label}`);
      if (s.state) lines.push(`       ${s.state}`);
    });
  }
  return lines.join('\n');
}

export function formatResult(r: CheckResult): string {
  const head = `${r.model}: ${r.states} states, ${r.transitions} transitions, depth ${r.depth}${r.bounded ? ' (bounded)' : ''}${r.stopped ? ' (stopped at the first violation)' : ''}, ${(r.ms / 1000).toFixed(2)} s` +
    `, ${Math.round(r.states / Math.max(r.ms / 1000, 1e-9))} states/s; safety ${r.violations.some((v) => v.kind === 'safety') ? 'VIOLATED' : 'held'}; liveness ${r.liveness}`;
  return [head, ...r.violations.map(formatViolation)].join('\n');
}
