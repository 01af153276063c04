// Seed 004 §16.1's KubernetesConsistency, model-checked: TypeInvariant and SafetyProperty in every
// state, EventualConsistency under weak fairness; and wrong variants of Next are caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, formatViolation } from '../../src/verify/checker.js';
import fc from 'fast-check';
import { kubernetesConsistency, kcInterned, DEFAULT_KC } from '../../src/verify/tla-model.js';
import { kcHash, kcNext, kcTypeViolations, kcInit, type KcState, type NodeStatus } from '../../src/verify/invariants/tla.js';

test('KubernetesConsistency holds: type, safety and eventual consistency', async () => {
  const r = await check(kubernetesConsistency());
  assert.equal(r.bounded, false);
  assert.deepEqual(r.violations.map(formatViolation), []);
  assert.equal(r.liveness, 'held');
  assert.ok(r.states > 100, `${r.states} states`);
});

test('TypeInvariant rejects ill-typed states', () => {
  const s = kcInit(DEFAULT_KC);
  assert.deepEqual(kcTypeViolations(DEFAULT_KC, s), []);
  const bad = { ...s, commitIndex: 2, controller: { desiredReplicas: 0, actualReplicas: 4 }, nodeState: { ...s.nodeState, n1: 'Gone' as never } };
  const v = kcTypeViolations(DEFAULT_KC, bad).join('\n');
  assert.match(v, /nodeState\[n1\] = Gone/);
  assert.match(v, /commitIndex 2 outside 0..0/);
  assert.match(v, /desiredReplicas 0 outside 1..3/);
});

test('a ScaleUp that overshoots breaks SafetyProperty, with the shortest trace', async () => {
  const r = await check(kubernetesConsistency(DEFAULT_KC, 'overshoot'));
  const v = r.violations.find((x) => x.property === 'SafetyProperty' || x.property === 'TypeInvariant');
  assert.ok(v, 'caught');
  // Shortest: set 3, commit, then four scale-ups.
  assert.deepEqual(v.trace.map((s) => s.label), ['init', 'SetDesired(3)', 'Commit', 'ScaleUp', 'ScaleUp', 'ScaleUp', 'ScaleUp']);
});

test('a controller that never scales down breaks EventualConsistency', async () => {
  const r = await check(kubernetesConsistency(DEFAULT_KC, 'no-scale-down'));
  assert.equal(r.liveness, 'violated');
  const v = r.violations.find((x) => x.property === 'EventualConsistency')!;
  assert.match(formatViolation(v), /stops short of the goal/);
});

/** Ids equal exactly where kcHash's strings are, and new ids 0, 1, … in order of arrival. */
function assertSameDistinctions(states: KcState[]): void {
  const id = kcInterned();
  const byHash = new Map<string, number>();
  for (const s of states) {
    const h = kcHash(s);
    const i = id(s);
    const seen = byHash.get(h);
    if (seen === undefined) {
      assert.equal(i, byHash.size, `a new state takes the next id: ${h}`);
      byHash.set(h, i);
    } else assert.equal(i, seen, h);
  }
}

test('the interned KubernetesConsistency hash tells states apart exactly as kcHash does, over every reachable state', () => {
  const k = { ...DEFAULT_KC, nodes: ['n1', 'n2', 'n3'], maxTerm: 2 };
  const seen = new Set<string>();
  const all: KcState[] = [];
  let frontier = [kcInit(k)];
  while (frontier.length) {
    const next: KcState[] = [];
    for (const s of frontier) {
      all.push(s);
      for (const x of kcNext(k, s)) {
        all.push(x.next);
        if (!seen.has(kcHash(x.next))) {
          seen.add(kcHash(x.next));
          next.push(x.next);
        }
      }
    }
    frontier = next;
  }
  assert.ok(seen.size > 1000, `${seen.size} states`);
  assertSameDistinctions(all);
});

test('the interned KubernetesConsistency hash tells arbitrary states apart exactly as kcHash does', () => {
  const status = fc.constantFrom<NodeStatus>('Running', 'Failed', 'Unknown');
  const small = fc.integer({ min: 0, max: 3 });
  const state: fc.Arbitrary<KcState> = fc.record({
    nodeState: fc.record({ n1: status, n2: status }),
    etcdLog: fc.array(fc.record({ term: small, desired: small }), { maxLength: 3 }),
    currentTerm: small,
    commitIndex: small,
    controller: fc.record({ desiredReplicas: small, actualReplicas: small }),
    changes: small,
    failures: small,
  });
  fc.assert(fc.property(fc.array(state, { maxLength: 200 }), (states) => assertSameDistinctions([...states, ...states])), { numRuns: 100 });
});

test('the interned KubernetesConsistency hash refuses a number it cannot hold exactly', () => {
  const s = kcInit(DEFAULT_KC);
  assert.throws(() => kcInterned()({ ...s, currentTerm: 0.5 }), /not an int32/);
});
