// The plugins that look at one node at a time: NodeUnschedulable, NodeName, TaintToleration,
// NodeAffinity and NodePorts, with upstream's reasons and scores.
import type { NodeSelectorTerm, PreferredSchedulingTerm, Taint } from 'kubernetes-types/core/v1.js';
import { compileNodeSelectorTerm, doNotScheduleTaint, findUntoleratedTaint, tolerationsTolerateTaint, TAINT_NODE_UNSCHEDULABLE } from '../../model/scheduling.js';
import { defaultNormalize, unresolvable, unschedulable, type FilterPlugin, type ScorePlugin } from '../framework.js';
import { NODE_PORTS_IN_USE, NODE_TAINTED, NODE_UNSCHEDULABLE } from '../nodetable.js';
import type { NodeInfo } from '../snapshot.js';

export const ERR_NODE_UNSCHEDULABLE = 'node(s) were unschedulable';
export const ERR_NODE_NAME = "node(s) didn't match the requested node name";
export const ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const ERR_NODE_AFFINITY_CONFLICT = 'pod affinity terms conflict';
export const ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";
export const untoleratedTaintReason = (t: Taint) => `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;

export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  preFilter({ pod }) {
    const tolerates = tolerationsTolerateTaint(pod.spec.tolerations, { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' });
    if (tolerates) return undefined;
    return { filter: (n) => (n.unschedulable ? unresolvable(ERR_NODE_UNSCHEDULABLE) : undefined), check: { flags: NODE_UNSCHEDULABLE } };
  },
};

export const nodeName: FilterPlugin = {
  name: 'NodeName',
  preFilter({ pod }) {
    const want = pod.spec.nodeName;
    if (!want) return undefined;
    return { filter: (n) => (n.name === want ? undefined : unresolvable(ERR_NODE_NAME)) };
  },
};

export const taintToleration: FilterPlugin & ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  preFilter({ pod }) {
    const tolerations = pod.spec.tolerations;
    return {
      filter: (n) => {
        if (n.taints.length === 0) return undefined;
        const t = findUntoleratedTaint(n.taints, tolerations, doNotScheduleTaint);
        return t ? unresolvable(untoleratedTaintReason(t)) : undefined;
      },
      check: { flags: NODE_TAINTED },
    };
  },
  preScore({ pod }) {
    const prefer = (pod.spec.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    const score = (n: NodeInfo) => {
      let count = 0;
      for (const t of n.taints) if (t.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(prefer, t)) count++;
      return count;
    };
    return {
      score,
      scoreRow: (t, i, n) => ((t.flags[i]! & NODE_TAINTED) === 0 ? 0 : score(n)),
      normalize: (scores) => defaultNormalize(scores, true),
    };
  },
};

/** The node names a required affinity pins the pod to through matchFields metadata.name In, if every term does. */
function pinnedNodeNames(terms: NodeSelectorTerm[]): Set<string> | undefined {
  let names: Set<string> | undefined;
  for (const t of terms) {
    let termNames: Set<string> | undefined;
    for (const r of t.matchFields ?? []) {
      if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
      const s = new Set(r.values ?? []);
      termNames = termNames ? new Set([...termNames].filter((x) => s.has(x))) : s;
    }
    if (!termNames) return undefined;
    names = new Set([...(names ?? []), ...termNames]);
  }
  return names;
}

export const nodeAffinity: FilterPlugin & ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  preFilter({ pod }) {
    const spec = pod.spec;
    const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (!required && Object.keys(spec.nodeSelector ?? {}).length === 0) return undefined;
    const filter = (n: NodeInfo) => (pod.nodeMatcher(n) ? undefined : unresolvable(ERR_NODE_AFFINITY));
    const names = required ? pinnedNodeNames(required.nodeSelectorTerms ?? []) : undefined;
    if (names && names.size === 0) return unresolvable(ERR_NODE_AFFINITY_CONFLICT);
    return names ? { filter, nodeNames: names } : { filter };
  },
  preScore({ pod }) {
    const preferred = (pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) as PreferredSchedulingTerm[];
    if (preferred.length === 0) return undefined;
    const terms = preferred.filter((p) => p.weight !== 0).map((p) => ({ weight: p.weight, match: compileNodeSelectorTerm(p.preference) }));
    return {
      score: (n) => terms.reduce((sum, t) => (t.match(n) ? sum + t.weight : sum), 0),
      normalize: (scores) => defaultNormalize(scores, false),
    };
  },
};

export const nodePorts: FilterPlugin = {
  name: 'NodePorts',
  preFilter({ pod }) {
    const wanted = pod.hostPorts;
    if (wanted.length === 0) return undefined;
    return {
      filter: (n) => (wanted.some((p) => n.portInUse(p.protocol, p.port, p.hostIP)) ? unschedulable(ERR_NODE_PORTS) : undefined),
      check: { flags: NODE_PORTS_IN_USE },
    };
  },
};
