// metav1.Table, the answer to `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, and the
// pieces every printer shares.
import { isPlainObject, type Instant } from '../object.js';
import { docs } from './descriptions.js';
import { translateTimestampSince } from './duration.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export type Cell = string | number | boolean | null;

export interface TableRow {
  cells: Cell[];
  conditions?: TableRowCondition[];
  /** Filled per includeObject: the full object, its PartialObjectMetadata, or null. */
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[] | null;
}

/** A column: `priority` 1 marks the ones `kubectl get -o wide` adds. */
export function col(name: string, type: string, description: string, extra: { format?: string; priority?: number } = {}): TableColumnDefinition {
  return { name, type, format: extra.format ?? '', description, priority: extra.priority ?? 0 };
}

export const nameColumn = () => col('Name', 'string', docs['ObjectMeta.name'], { format: 'name' });
export const ageColumn = () => col('Age', 'string', docs['ObjectMeta.creationTimestamp']);
export const wideCol = (name: string, type: string, description: string) => col(name, type, description, { priority: 1 });

export type Rec = Record<string, unknown>;

export const rec = (v: unknown): Rec => (isPlainObject(v) ? v : {});
export const arr = (v: unknown): Rec[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);
export const meta = (o: Rec): Rec => rec(o.metadata);
export const nameOf = (o: Rec): string => str(meta(o).name);

/** labels.FormatLabels: `k=v,...` sorted by key, or "<none>". */
export function formatLabels(v: unknown): string {
  const entries = Object.entries(rec(v))
    .filter(([, val]) => typeof val === 'string')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? entries.map(([k, val]) => `${k}=${val as string}`).join(',') : '<none>';
}

/** The containers' names and images, comma-joined (layoutContainerCells). */
export function containerCells(podSpec: unknown): [string, string] {
  const containers = arr(rec(podSpec).containers);
  return [containers.map((c) => str(c.name)).join(','), containers.map((c) => str(c.image)).join(',')];
}

/** printBoolPtr: "True", "False", or "<unset>". */
export function boolPtr(v: unknown): string {
  return v === true ? 'True' : v === false ? 'False' : '<unset>';
}

/** The AGE cell: time since metadata.creationTimestamp. */
export const age = (o: Rec, now: Instant): string => translateTimestampSince(meta(o).creationTimestamp, now);

/** A load balancer's ingress points, IPs or else hostnames, sorted and deduplicated; clipped to 16
 * characters unless wide (loadBalancerStatusStringer). */
export function loadBalancerIngress(loadBalancer: unknown, wide: boolean): string {
  const set = new Set<string>();
  for (const ing of arr(rec(loadBalancer).ingress)) {
    if (str(ing.ip)) set.add(str(ing.ip));
    else if (str(ing.hostname)) set.add(str(ing.hostname));
  }
  const r = [...set].sort().join(',');
  return !wide && r.length > 16 ? `${r.slice(0, 13)}...` : r;
}
