// Server-side table printing: what kube-apiserver answers when a client (kubectl get) asks for
// `application/json;as=Table;v=v1;g=meta.k8s.io`. Kinds with a printer in upstream's
// pkg/printers/internalversion get its columns; every other kind gets the default table
// convertor's NAME and CREATED AT.
import { isPlainObject, rfc3339, type Instant, type KubeObject } from '../object.js';
import { parseTime } from './duration.js';
import { toStored } from '../conversion.js';
import { Registry } from '../registry.js';
import { corePrinters, event, type Printer } from './core.js';
import { certificatesPrinters, coordinationPrinters, policyPrinters, rbacPrinters, storagePrinters } from './platform.js';
import { discoveryPrinters, networkingPrinters } from './networking.js';
import { col, nameColumn, rec, str, type Rec, type Table, type TableRow } from './table.js';
import { appsPrinters, batchPrinters } from './workloads.js';
import { docs } from './descriptions.js';

export type { Table, TableColumnDefinition, TableRow, TableRowCondition, Cell } from './table.js';
export { humanDuration, shortHumanDuration, translateTimestampSince } from './duration.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface PrintOptions {
  now: Instant;
  /** Include the priority-1 columns. The API server always prints wide (kubectl hides those
   * columns itself unless -o wide), so this defaults to true. */
  wide?: boolean;
  /** TableOptions.noHeaders: leave out the column definitions. */
  noHeaders?: boolean;
  /** TableOptions.includeObject: what each row's `object` holds; upstream defaults to Metadata. */
  includeObject?: IncludeObject;
  /** The list's metadata, copied to the table as upstream's TableConvertor does. */
  listMeta?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
}

// events.k8s.io Events are stored, and printed, as core Events.
const eventsV1 = new Registry().byKind('events.k8s.io', 'v1', 'Event')!;
const eventsV1Printer: Printer = { columns: event.columns, row: (o, wide, now) => event.row(toStored(eventsV1, o as KubeObject), wide, now) };

const printers: Record<string, Record<string, Printer>> = {
  '': corePrinters,
  apps: appsPrinters,
  batch: batchPrinters,
  'networking.k8s.io': networkingPrinters,
  'discovery.k8s.io': discoveryPrinters,
  'rbac.authorization.k8s.io': rbacPrinters,
  policy: policyPrinters,
  'storage.k8s.io': storagePrinters,
  'coordination.k8s.io': coordinationPrinters,
  'certificates.k8s.io': certificatesPrinters,
  'events.k8s.io': { Event: eventsV1Printer },
};

/** Whether the kind has its own columns (otherwise it prints NAME and CREATED AT). */
export function hasPrinter(group: string, kind: string): boolean {
  return printers[group]?.[kind] !== undefined;
}

/** The row's `object` per includeObject: the object, its PartialObjectMetadata, or null. */
export function rowObject(obj: Rec, include: IncludeObject): unknown {
  if (include === 'None') return null;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: rec(obj.metadata) };
}

const defaultColumns = () => [nameColumn(), col('Created At', 'date', docs['ObjectMeta.creationTimestamp'])];

/** rest.DefaultTableConvertor's row: the name and the creation time in RFC 3339 (Go's zero time when unset). */
function defaultRow(o: Rec): TableRow {
  const created = parseTime(rec(o.metadata).creationTimestamp);
  return { cells: [str(rec(o.metadata).name), created === undefined ? '0001-01-01T00:00:00Z' : rfc3339(created)] };
}

/** A metav1.Table of `objects` (one object for a GET, the items for a LIST) of the given kind. */
export function printTable(group: string, kind: string, objects: readonly unknown[], opts: PrintOptions): Table {
  const wide = opts.wide ?? true;
  const include = opts.includeObject ?? 'Metadata';
  const printer = printers[group]?.[kind];
  const items = objects.filter(isPlainObject);
  let columns = printer ? printer.columns() : defaultColumns();
  if (!wide) columns = columns.filter((c) => c.priority === 0);
  let rows: TableRow[] | null = items.map((o) => {
    const row = printer ? printer.row(o, wide, opts.now) : defaultRow(o);
    return { ...row, object: rowObject(o, include) };
  });
  // The default convertor appends to a nil slice: no objects serialize as null.
  if (!printer && rows.length === 0) rows = null;
  const metadata: Table['metadata'] = {};
  const lm = opts.listMeta;
  if (lm?.resourceVersion) metadata.resourceVersion = lm.resourceVersion;
  if (lm?.continue) metadata.continue = lm.continue;
  if (lm?.remainingItemCount !== undefined) metadata.remainingItemCount = lm.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? null : columns,
    rows,
  };
}
