// What the scheduler needs of a pod, computed once when the pod enters the cache or the queue:
// requests, affinity terms with their selectors parsed, host ports and claims (upstream's PodInfo).
import type { Pod, PodAffinityTerm, PodSpec, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { addRequirements, labelSelectorAsSelector, matches, newRequirement, nothing, SelectorError, selectorToString, type Labels, type Selector } from '../model/labels.js';
import { compileRequiredNodeAffinity, type NodeMatcher } from '../model/scheduling.js';
import { podRequests, type Resources } from './resources.js';

export interface AffinityTerm {
  /** Namespaces named by the term (the pod's own when neither namespaces nor namespaceSelector is set). */
  namespaces: ReadonlySet<string>;
  /** Further namespaces by label; `nothing` when the term has no namespaceSelector. */
  namespaceSelector: Selector;
  selector: Selector;
  /** The selector's canonical string, to share match counts between pods with equal terms. */
  selectorKey: string;
  topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export interface HostPort {
  hostIP: string;
  protocol: string;
  port: number;
}

export interface PodInfo {
  /** namespace/name */
  key: string;
  uid: string;
  name: string;
  namespace: string;
  labels: Labels;
  priority: number;
  nodeName: string;
  terminating: boolean;
  pod: Pod;
  spec: PodSpec;
  requests: Resources;
  /** cpu and memory with 100m / 200Mi for containers that request none (for scoring). */
  nonZero: { milliCPU: number; memory: number };
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: WeightedAffinityTerm[];
  preferredAntiAffinity: WeightedAffinityTerm[];
  /** The pod has any pod affinity or anti-affinity (upstream's PodsWithAffinity). */
  hasAffinity: boolean;
  hostPorts: HostPort[];
  /** Names of the PersistentVolumeClaims the pod mounts. */
  claims: string[];
  nodeMatcher: NodeMatcher;
  /** An error parsing the pod's terms: the pod cannot be scheduled until it is fixed. */
  parseError?: string;
}

function selectorOf(ls: LabelSelector | undefined): Selector {
  return labelSelectorAsSelector(ls);
}

/** A term's selector with matchLabelKeys/mismatchLabelKeys merged from the pod's labels (a no-op when the server already merged them). */
function termSelector(pod: Pod, term: PodAffinityTerm): Selector {
  let s = selectorOf(term.labelSelector);
  const labels = pod.metadata?.labels ?? {};
  const extra = [
    ...(term.matchLabelKeys ?? []).filter((k) => k in labels).map((k) => newRequirement(k, 'in', [labels[k]!])),
    ...(term.mismatchLabelKeys ?? []).filter((k) => k in labels).map((k) => newRequirement(k, 'notin', [labels[k]!])),
  ];
  if (extra.length && !s.nothing) s = addRequirements(s, ...extra);
  return s;
}

function newTerm(pod: Pod, term: PodAffinityTerm): AffinityTerm {
  const selector = termSelector(pod, term);
  const nsList = term.namespaces ?? [];
  const namespaces = new Set(nsList.length === 0 && !term.namespaceSelector ? [pod.metadata?.namespace ?? 'default'] : nsList);
  return {
    namespaces,
    namespaceSelector: term.namespaceSelector ? selectorOf(term.namespaceSelector) : nothing,
    selector,
    selectorKey: selector.nothing ? '<nothing>' : selectorToString(selector),
    topologyKey: term.topologyKey,
  };
}

/** AffinityTerm.Matches: the pod is in one of the term's namespaces and its labels match. */
export function termMatches(t: AffinityTerm, pod: PodInfo, nsLabels: Labels | undefined): boolean {
  if (!t.namespaces.has(pod.namespace) && !matches(t.namespaceSelector, nsLabels ?? {})) return false;
  return matches(t.selector, pod.labels);
}

export function podInfoOf(pod: Pod): PodInfo {
  const spec = (pod.spec ?? { containers: [] }) as PodSpec;
  const m = pod.metadata ?? {};
  const aff = spec.affinity;
  let parseError: string | undefined;
  const terms = (list: PodAffinityTerm[] | undefined): AffinityTerm[] => {
    const out: AffinityTerm[] = [];
    for (const t of list ?? []) {
      try {
        out.push(newTerm(pod, t));
      } catch (e) {
        if (!(e instanceof SelectorError)) throw e;
        parseError ??= e.message;
      }
    }
    return out;
  };
  const weighted = (list: WeightedPodAffinityTerm[] | undefined): WeightedAffinityTerm[] => {
    const out: WeightedAffinityTerm[] = [];
    for (const w of list ?? []) {
      try {
        out.push({ ...newTerm(pod, w.podAffinityTerm), weight: w.weight });
      } catch (e) {
        if (!(e instanceof SelectorError)) throw e;
        parseError ??= e.message;
      }
    }
    return out;
  };
  const requests = podRequests(spec);
  const nz = podRequests(spec, true);
  const hostPorts: HostPort[] = [];
  for (const c of [...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'), ...(spec.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (p.hostPort && p.hostPort > 0) hostPorts.push({ hostIP: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  const info: PodInfo = {
    key: `${m.namespace ?? ''}/${m.name ?? ''}`,
    uid: m.uid ?? '',
    name: m.name ?? '',
    namespace: m.namespace ?? '',
    labels: m.labels ?? {},
    priority: spec.priority ?? 0,
    nodeName: spec.nodeName ?? '',
    terminating: !!m.deletionTimestamp,
    pod,
    spec,
    requests,
    nonZero: { milliCPU: nz.milliCPU, memory: nz.memory },
    requiredAffinity: terms(aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    requiredAntiAffinity: terms(aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    preferredAffinity: weighted(aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinity: weighted(aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    hasAffinity: !!(aff?.podAffinity || aff?.podAntiAffinity),
    hostPorts,
    claims: (spec.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : [])),
    nodeMatcher: compileRequiredNodeAffinity(spec),
  };
  if (parseError) info.parseError = parseError;
  return info;
}

/** The pod's start time for preemption's tie-breaks (status.startTime, else creation). */
export function podStartTime(p: PodInfo): string {
  return (p.pod.status?.startTime as string | undefined) ?? p.pod.metadata?.creationTimestamp ?? '';
}
