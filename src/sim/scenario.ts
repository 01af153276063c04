// Scenario files (YAML): the cluster, the workload over time (manifests to create, later patches
// and deletions such as a rollout), the faults and the properties a simulator run checks.
//
//   name: rollout-under-faults
//   cluster: { nodes: 3, cpu: "4", memory: 16Gi, pods: 110, timing: { startDelay: 500ms, readyDelay: 1s } }
//   until: 10m                       # virtual time to run
//   properties: [rolling-update, node-capacity, finalizers, rollout-complete]
//   faults:
//     writeFailureRate: 0.02         # per write, refused before the API (Conflict or ServerTimeout)
//     lostResponseRate: 0.01         # per write, done but the answer lost
//     watchDropRate: 0.002           # per watch event, the watch breaks and the process relists
//     crashes: [{ process: controller-manager, at: 20s, restartAfter: 3s }]
//     nodeFailures: [{ node: sim-node-2, at: 40s, until: 3m }]
//     partitions: [{ node: sim-node-1, at: 30s, until: 50s }]
//     clockSkew: { controller-manager: 300ms, sim-node-0: -2s }
//   costs: { apiWriteMs: 0.2, reconcileMs: 0.2, jitter: 0.5 }   # virtual ms per piece of work (SimCosts; defaults: Berth's real server)
//   workload:
//     - at: 0s
//       apply: { apiVersion: apps/v1, kind: Deployment, metadata: {...}, spec: {...} }
//     - at: 60s
//       patch: { apiVersion: apps/v1, kind: Deployment, namespace: default, name: web, patch: {...} }
//     - at: 5m
//       delete: { apiVersion: apps/v1, kind: Deployment, namespace: default, name: web, propagationPolicy: Foreground }
import { parse } from 'yaml';
import type { KubeObject } from '../model/object.js';
import type { SimTiming } from './kubelet.js';
import { MAX_SIM_NODES } from './nodes.js';
import { defaultCosts, type Faults, type Scenario, type SimCosts, type WorkItem } from './simulator.js';

export class ScenarioError extends Error {}

/** `costs: { apiWriteMs: 0.2, reconcileMs: 1, jitter: 0 }`: virtual ms per piece of work (sim/simulator.ts SimCosts). */
function costs(v: unknown): Partial<SimCosts> {
  const out: Partial<SimCosts> = {};
  for (const [k, x] of Object.entries(obj(v, 'costs'))) {
    if (!(k in defaultCosts)) throw new ScenarioError(`costs.${k}: unknown (known: ${Object.keys(defaultCosts).join(', ')})`);
    if (typeof x !== 'number' || !(x >= 0) || (k === 'jitter' && x > 1)) throw new ScenarioError(`costs.${k}: want a number of ms${k === 'jitter' ? ' (jitter: a fraction between 0 and 1)' : ''}`);
    out[k as keyof SimCosts] = x;
  }
  return out;
}

/** 1500, "1.5s", "500ms", "2m", "1h" → ms. */
export function duration(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  const m = typeof v === 'string' ? /^(-?\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v.trim()) : null;
  if (!m) throw new ScenarioError(`${where}: want a duration such as 500ms, 30s or 5m, got ${JSON.stringify(v)}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms']!;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(v: unknown, where: string): Record<string, unknown> {
  if (!isObj(v)) throw new ScenarioError(`${where}: want a mapping`);
  return v;
}

function list(v: unknown, where: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ScenarioError(`${where}: want a list`);
  return v;
}

function rate(v: unknown, where: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new ScenarioError(`${where}: want a probability between 0 and 1`);
  return v;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string' || !v) throw new ScenarioError(`${where}: want a string`);
  return v;
}

const TIMING: Record<string, keyof SimTiming> = {
  startDelay: 'startDelayMs', readyDelay: 'readyDelayMs', runTime: 'runMs', deleteDelay: 'deleteDelayMs', leaseRenew: 'leaseRenewMs', statusReport: 'statusReportMs',
};

export function parseScenario(text: string): Scenario {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new ScenarioError(`not YAML: ${(e as Error).message}`);
  }
  const d = obj(doc, 'scenario');
  const c = obj(d.cluster ?? {}, 'cluster');
  const nodes = c.nodes ?? 1;
  if (!Number.isInteger(nodes) || (nodes as number) < 0) throw new ScenarioError('cluster.nodes: want a whole number');
  if ((nodes as number) > MAX_SIM_NODES) throw new ScenarioError(`cluster.nodes: at most ${MAX_SIM_NODES} (a /24 pod CIDR each)`);
  const timing: Partial<SimTiming> = {};
  for (const [k, v] of Object.entries(obj(c.timing ?? {}, 'cluster.timing'))) {
    if (k === 'leaseDurationSeconds') timing.leaseDurationSeconds = Number(v);
    else if (TIMING[k]) (timing as Record<string, number>)[TIMING[k]!] = duration(v, `cluster.timing.${k}`);
    else throw new ScenarioError(`cluster.timing.${k}: unknown (known: ${[...Object.keys(TIMING), 'leaseDurationSeconds'].join(', ')})`);
  }
  const f = obj(d.faults ?? {}, 'faults');
  const window = (x: unknown, i: number, what: string) => {
    const o = obj(x, `faults.${what}[${i}]`);
    return { node: str(o.node, `faults.${what}[${i}].node`), at: duration(o.at, `faults.${what}[${i}].at`), ...(o.until !== undefined ? { until: duration(o.until, `faults.${what}[${i}].until`) } : {}) };
  };
  const faults: Faults = {
    ...(rate(f.writeFailureRate, 'faults.writeFailureRate') !== undefined ? { writeFailureRate: f.writeFailureRate as number } : {}),
    ...(rate(f.lostResponseRate, 'faults.lostResponseRate') !== undefined ? { lostResponseRate: f.lostResponseRate as number } : {}),
    ...(rate(f.watchDropRate, 'faults.watchDropRate') !== undefined ? { watchDropRate: f.watchDropRate as number } : {}),
    crashes: list(f.crashes, 'faults.crashes').map((x, i) => {
      const o = obj(x, `faults.crashes[${i}]`);
      const process = str(o.process, `faults.crashes[${i}].process`);
      if (!['controller-manager', 'scheduler', 'kubelets'].includes(process)) throw new ScenarioError(`faults.crashes[${i}].process: one of controller-manager, scheduler, kubelets`);
      return { process, at: duration(o.at, `faults.crashes[${i}].at`), restartAfter: duration(o.restartAfter ?? '1s', `faults.crashes[${i}].restartAfter`) };
    }),
    nodeFailures: list(f.nodeFailures, 'faults.nodeFailures').map((x, i) => window(x, i, 'nodeFailures')),
    partitions: list(f.partitions, 'faults.partitions').map((x, i) => window(x, i, 'partitions')),
    clockSkew: Object.fromEntries(Object.entries(obj(f.clockSkew ?? {}, 'faults.clockSkew')).map(([k, v]) => {
      const neg = typeof v === 'string' && v.trim().startsWith('-');
      const ms = duration(neg ? (v as string).trim().slice(1) : v, `faults.clockSkew.${k}`);
      return [k, neg ? -ms : ms];
    })),
  };
  const workload: WorkItem[] = list(d.workload, 'workload').map((x, i) => {
    const o = obj(x, `workload[${i}]`);
    const at = duration(o.at ?? 0, `workload[${i}].at`);
    if (o.apply !== undefined) {
      const m = obj(o.apply, `workload[${i}].apply`);
      if (typeof m.apiVersion !== 'string' || typeof m.kind !== 'string' || !isObj(m.metadata)) throw new ScenarioError(`workload[${i}].apply: want a manifest with apiVersion, kind and metadata`);
      return { at, apply: m as unknown as KubeObject };
    }
    if (o.patch !== undefined) {
      const p = obj(o.patch, `workload[${i}].patch`);
      return { at, patch: { apiVersion: str(p.apiVersion, `workload[${i}].patch.apiVersion`), kind: str(p.kind, `workload[${i}].patch.kind`), name: str(p.name, `workload[${i}].patch.name`), ...(p.namespace ? { namespace: String(p.namespace) } : {}), patch: obj(p.patch, `workload[${i}].patch.patch`) } };
    }
    if (o.delete !== undefined) {
      const p = obj(o.delete, `workload[${i}].delete`);
      const policy = p.propagationPolicy;
      if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy as string)) throw new ScenarioError(`workload[${i}].delete.propagationPolicy: Orphan, Background or Foreground`);
      return { at, delete: { apiVersion: str(p.apiVersion, `workload[${i}].delete.apiVersion`), kind: str(p.kind, `workload[${i}].delete.kind`), name: str(p.name, `workload[${i}].delete.name`), ...(p.namespace ? { namespace: String(p.namespace) } : {}), ...(policy ? { propagationPolicy: policy as 'Foreground' } : {}) } };
    }
    throw new ScenarioError(`workload[${i}]: want one of apply, patch, delete`);
  });
  const props = list(d.properties, 'properties').map((p, i) => str(p, `properties[${i}]`));
  const controllers = d.controllers === undefined ? undefined : list(d.controllers, 'controllers').map((p, i) => str(p, `controllers[${i}]`));
  return {
    name: typeof d.name === 'string' ? d.name : 'scenario',
    cluster: {
      nodes: nodes as number,
      ...(c.namePrefix ? { namePrefix: String(c.namePrefix) } : {}),
      ...(c.cpu !== undefined ? { cpu: String(c.cpu) } : {}),
      ...(c.memory !== undefined ? { memory: String(c.memory) } : {}),
      ...(c.pods !== undefined ? { pods: Number(c.pods) } : {}),
      timing,
    },
    ...(controllers ? { controllers } : {}),
    workload,
    faults,
    properties: props,
    until: duration(d.until ?? '10m', 'until'),
    ...(d.stepMs !== undefined ? { stepMs: duration(d.stepMs, 'stepMs') } : {}),
    ...(d.costs !== undefined ? { costs: costs(d.costs) } : {}),
    ...(d.checkEvery !== undefined ? { checkEvery: Number(d.checkEvery) } : {}),
    ...(d.events !== undefined ? { events: !!d.events } : {}),
  };
}
