// The placement vocabulary the scheduler, the DaemonSet controller and the node lifecycle
// controller share: tolerations against taints (v1.Toleration.ToleratesTaint) and node selectors
// (nodeSelector, required node affinity) against a node's labels and name, as upstream's
// component-helpers/scheduling/corev1 evaluates them.
import type { NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { newRequirement, requirementMatches, SelectorError, type Labels, type Requirement } from './labels.js';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

/** Well-known taints the node lifecycle controller and the scheduler agree on. */
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/** Toleration.ToleratesTaint: effect and key must match when set; operator Equal (or empty) compares values. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** The first taint (in the node's order) that passes the filter and that no toleration tolerates. */
export function findUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  inclusion: (t: Taint) => boolean,
): Taint | undefined {
  for (const taint of taints ?? []) {
    if (inclusion(taint) && !tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

/** Taints that keep new pods off a node: NoSchedule and NoExecute. */
export const doNotScheduleTaint = (t: Taint) => t.effect === 'NoSchedule' || t.effect === 'NoExecute';

/** What a node selector is evaluated against. */
export interface NodeFacts {
  name: string;
  labels: Labels | undefined;
}

export type NodeMatcher = (node: NodeFacts) => boolean;

const OPERATORS: Record<string, string> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!', Gt: 'gt', Lt: 'lt' };

/** A requirement on labels, or undefined when it cannot be parsed (the term then matches nothing, as upstream). */
function labelRequirement(r: NodeSelectorRequirement): Requirement | undefined {
  const op = OPERATORS[r.operator];
  if (!op) return undefined;
  try {
    return newRequirement(r.key, op, r.values ?? []);
  } catch (e) {
    if (e instanceof SelectorError) return undefined;
    throw e;
  }
}

/** metadata.name is the only field a node selector term may match, with In or NotIn and one value. */
function fieldRequirement(r: NodeSelectorRequirement): ((name: string) => boolean) | undefined {
  if (r.key !== 'metadata.name' || (r.values ?? []).length !== 1) return undefined;
  const v = r.values![0]!;
  if (r.operator === 'In') return (n) => n === v;
  if (r.operator === 'NotIn') return (n) => n !== v;
  return undefined;
}

/** One NodeSelectorTerm: its expressions and fields are ANDed; an empty or unparsable term matches nothing. */
export function compileNodeSelectorTerm(term: NodeSelectorTerm): NodeMatcher {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return () => false;
  const reqs: Requirement[] = [];
  for (const e of exprs) {
    const r = labelRequirement(e);
    if (!r) return () => false;
    reqs.push(r);
  }
  const fieldReqs: ((name: string) => boolean)[] = [];
  for (const f of fields) {
    const r = fieldRequirement(f);
    if (!r) return () => false;
    fieldReqs.push(r);
  }
  return (node) => reqs.every((r) => requirementMatches(r, node.labels)) && fieldReqs.every((f) => f(node.name));
}

/** A NodeSelector: its terms are ORed. */
export function compileNodeSelector(ns: NodeSelector): NodeMatcher {
  const terms = (ns.nodeSelectorTerms ?? []).map(compileNodeSelectorTerm);
  return (node) => terms.some((t) => t(node));
}

interface PlacementSpec {
  nodeSelector?: Record<string, string>;
  affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector } };
}

/**
 * GetRequiredNodeAffinity(pod).Match: spec.nodeSelector (every label equal) and the required node
 * affinity (any term) must both hold.
 */
/** The matcher of a pod with no nodeSelector and no required node affinity: every node. */
export const anyNode: NodeMatcher = () => true;

export function compileRequiredNodeAffinity(spec: PlacementSpec | undefined): NodeMatcher {
  const sel = Object.entries(spec?.nodeSelector ?? {});
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const aff = required ? compileNodeSelector(required) : undefined;
  if (sel.length === 0 && !aff) return anyNode;
  return (node) => {
    for (const [k, v] of sel) {
      if (node.labels?.[k] !== v) return false;
    }
    return aff ? aff(node) : true;
  };
}
