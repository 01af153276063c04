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
  /** Canonical: equal for states that behave alike. */
  hash(s: S): string;
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
  depth: number;
  /** The depth or state bound cut the exploration. */
  bounded: boolean;
  violations: Violation[];
  liveness: 'held' | 'violated' | 'not checked';
  ms: number;
}

interface Node<S> {
  state: S;
  parent: number;
  label: string;
  depth: number;
  edges: { to: number; label: string; env: boolean; fault: boolean }[];
}

export async function check<S>(model: Model<S>, opts: CheckOptions = {}): Promise<CheckResult> {
  const t0 = performance.now();
  const maxDepth = opts.maxDepth ?? Infinity;
  const maxStates = opts.maxStates ?? 1_000_000;
  const stopAtFirst = opts.stopAtFirst ?? true;
  const nodes: Node<S>[] = [];
  const ids = new Map<string, number>();
  const violations: Violation[] = [];
  const seenProps = new Set<string>();
  let transitions = 0;
  let bounded = false;
  let depth = 0;
  const describe = (s: S) => model.describe?.(s);
  const pathTo = (id: number): TraceStep[] => {
    const out: TraceStep[] = [];
    for (let i = id; i >= 0; i = nodes[i]!.parent) {
      const n = nodes[i]!;
      const d = describe(n.state);
      out.push(d === undefined ? { label: n.label } : { label: n.label, state: d });
    }
    return out.reverse();
  };
  const report = (v: Violation) => {
    if (seenProps.has(v.property) && !stopAtFirst) return;
    seenProps.add(v.property);
    violations.push(v);
  };
  const safety = (id: number): void => {
    const s = nodes[id]!.state;
    for (const inv of model.invariants) {
      const m = inv.check(s);
      if (m.length) report({ property: inv.name, kind: 'safety', messages: m, trace: pathTo(id) });
    }
  };
  const add = (state: S, parent: number, label: string, d: number): { id: number; fresh: boolean } => {
    const h = model.hash(state);
    const known = ids.get(h);
    if (known !== undefined) return { id: known, fresh: false };
    const id = nodes.length;
    nodes.push({ state, parent, label, depth: d, edges: [] });
    ids.set(h, id);
    safety(id);
    return { id, fresh: true };
  };
  let frontier: number[] = [];
  for (const s of await model.init()) {
    const { id, fresh } = add(s, -1, 'init', 0);
    if (fresh) frontier.push(id);
  }
  const done = () => stopAtFirst && violations.length > 0;
  while (frontier.length && !done()) {
    const next: number[] = [];
    for (const id of frontier) {
      if (done()) break;
      const node = nodes[id]!;
      if (node.depth >= maxDepth || nodes.length >= maxStates) {
        bounded = true;
        continue;
      }
      const r = model.next(node.state);
      const steps = r instanceof Promise ? await r : r;
      for (const st of steps) {
        transitions++;
        for (const p of model.steps ?? []) {
          const m = p.check(node.state, st.next, st.label);
          if (m.length) {
            const trace = pathTo(id);
            const d = describe(st.next);
            trace.push(d === undefined ? { label: st.label } : { label: st.label, state: d });
            report({ property: p.name, kind: 'safety', messages: m, trace });
          }
        }
        const { id: to, fresh } = add(st.next, id, st.label, node.depth + 1);
        node.edges.push({ to, label: st.label, env: !!st.env || !!st.fault, fault: !!st.fault });
        if (fresh) next.push(to);
      }
      opts.onProgress?.(nodes.length, node.depth);
    }
    if (next.length) depth = nodes[next[0]!]!.depth;
    frontier = next;
  }
  if (frontier.length) bounded = true;
  let liveness: CheckResult['liveness'] = 'not checked';
  if (model.goal && !opts.safetyOnly && !bounded && !done()) {
    const v = livenessViolation(model.goal, nodes, pathTo, describe);
    if (v) report(v);
    liveness = v ? 'violated' : 'held';
  }
  return { model: model.name, states: nodes.length, transitions, depth, bounded, violations, liveness, ms: performance.now() - t0 };
}

function livenessViolation<S>(
  goal: NonNullable<Model<S>['goal']>,
  nodes: Node<S>[],
  pathTo: (id: number) => TraceStep[],
  describe: (s: S) => string | undefined,
): Violation | undefined {
  const unmet = nodes.map((n) => goal.unmet(n.state));
  // System steps of each node, taken once (the analysis below looks at them several times).
  const sysEdges = nodes.map((n) => n.edges.filter((e) => !e.env));
  // Where a run may stop: nothing but faults can happen.
  const stops = nodes.map((n, i) => i).filter((i) => nodes[i]!.edges.every((e) => e.fault) && unmet[i]!.length > 0);
  if (stops.length) {
    const i = stops.sort((a, b) => nodes[a]!.depth - nodes[b]!.depth)[0]!;
    return { property: goal.name, kind: 'liveness', messages: ['the system stops short of the goal:', ...unmet[i]!], trace: pathTo(i) };
  }
  const succ = sysEdges.map((es) => es.map((e) => e.to));
  for (const comp of sccs(nodes.length, (i) => succ[i]!)) {
    // A single state without a step back to itself holds no cycle.
    if (comp.length === 1 && !succ[comp[0]!]!.includes(comp[0]!)) continue;
    const inside = new Set(comp);
    const internal = comp.flatMap((i) => sysEdges[i]!.filter((e) => inside.has(e.to)).map((e) => ({ from: i, ...e })));
    if (internal.length === 0) continue;
    const bad = comp.filter((i) => unmet[i]!.length > 0);
    if (bad.length === 0) continue;
    // Labels enabled everywhere in the component must be taken inside it.
    let always: Set<string> | undefined;
    for (const i of comp) {
      const here = new Set(sysEdges[i]!.map((e) => e.label));
      always = always ? new Set([...always].filter((l) => here.has(l))) : here;
    }
    const taken = new Set(internal.map((e) => e.label));
    if ([...(always ?? [])].some((l) => !taken.has(l))) continue;
    const entry = comp.sort((a, b) => nodes[a]!.depth - nodes[b]!.depth)[0]!;
    const loop = cycleThrough(entry, bad[0]!, internal, nodes, describe);
    return { property: goal.name, kind: 'liveness', messages: ['a fair cycle never reaches the goal for good:', ...unmet[bad[0]!]!], trace: pathTo(entry), loop };
  }
  return undefined;
}

/** A path entry → … → through → … → entry inside one component. */
function cycleThrough<S>(entry: number, through: number, edges: { from: number; to: number; label: string }[], nodes: Node<S>[], describe: (s: S) => string | undefined): TraceStep[] {
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
      const d = describe(nodes[x]!.state);
      out.push(d === undefined ? { label: p.label } : { label: p.label, state: d });
      x = p.from;
    }
    return out.reverse();
  };
  if (entry === through) {
    const out = edges.find((e) => e.from === entry);
    if (!out) return [];
    const d = describe(nodes[out.to]!.state);
    return [d === undefined ? { label: out.label } : { label: out.label, state: d }, ...(out.to === entry ? [] : bfs(out.to, entry))];
  }
  return [...bfs(entry, through), ...bfs(through, entry)];
}

/** Tarjan's strongly connected components, iteratively. */
function sccs(n: number, succ: (i: number) => number[]): number[][] {
  const index = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const on = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: { v: number; succ: number[]; i: number }[] = [{ v: root, succ: succ(root), i: 0 }];
    index[root] = low[root] = counter++;
    stack.push(root);
    on[root] = true;
    while (work.length) {
      const top = work[work.length - 1]!;
      if (top.i < top.succ.length) {
        const w = top.succ[top.i++]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          on[w] = true;
          work.push({ v: w, succ: succ(w), i: 0 });
        } else if (on[w]) low[top.v] = Math.min(low[top.v]!, index[w]!);
        continue;
      }
      work.pop();
      if (work.length) low[work[work.length - 1]!.v] = Math.min(low[work[work.length - 1]!.v]!, low[top.v]!);
      if (low[top.v] === index[top.v]) {
        const comp: number[] = [];
        for (;;) {
          const w = stack.pop()!;
          on[w] = false;
          comp.push(w);
          if (w === top.v) break;
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
  const head = `${r.model}: ${r.states} states, ${r.transitions} transitions, depth ${r.depth}${r.bounded ? ' (bounded)' : ''}, ${(r.ms / 1000).toFixed(2)} s` +
    `, ${Math.round(r.states / Math.max(r.ms / 1000, 1e-9))} states/s; safety ${r.violations.some((v) => v.kind === 'safety') ? 'VIOLATED' : 'held'}; liveness ${r.liveness}`;
  return [head, ...r.violations.map(formatViolation)].join('\n');
}
