// Request options as upstream's query parameters and DeleteOptions define them, parsed with
// upstream's errors for bad values.
import { errors } from '../model/status.js';
import { FieldPath, fieldErrors, aggregate } from '../model/field.js';
import type { KubeObject } from '../model/object.js';
import type { ListOptions as ApiListOptions } from '../model/api.js';
import type { UserInfo } from './handler.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun: boolean;
  fieldManager?: string;
  /** An apply takes the fields of other managers it conflicts with (PatchOptions.force; set only when given). */
  force?: boolean;
  /** The client's User-Agent: who writes, when it names no fieldManager. */
  userAgent?: string;
  fieldValidation: FieldValidation;
  /** Who asks (a create records it where the kind keeps its requestor: a CSR's spec.username). */
  user?: UserInfo;
  /** The caller only reads the written object: it gets the stored one, deeply frozen, not a copy. */
  sharedResult?: boolean;
}

/** A list's or watch's query parameters: the API's list options plus the watch-only ones. */
export interface ListOptions extends ApiListOptions {
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
  /** As WriteOptions.sharedResult: the object answered is only read. */
  sharedResult?: boolean;
}

type Query = URLSearchParams;

function int(q: Query, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

function bool(q: Query, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw errors.badRequest(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

function dryRun(values: string[]): boolean {
  for (const v of values) {
    if (v !== 'All') {
      throw errors.badRequest(aggregate([fieldErrors.notSupported(FieldPath.root('dryRun'), v, ['All'])]));
    }
  }
  return values.length > 0;
}

export function writeOptions(q: Query, defaultValidation: FieldValidation = 'Warn'): WriteOptions {
  const fv = q.get('fieldValidation') || defaultValidation;
  if (fv !== 'Strict' && fv !== 'Warn' && fv !== 'Ignore') {
    throw errors.badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(fv)}: supported values: "Ignore", "Strict", "Warn"`);
  }
  const o: WriteOptions = { dryRun: dryRun(q.getAll('dryRun')), fieldValidation: fv };
  const fm = q.get('fieldManager');
  if (fm) o.fieldManager = fm;
  const force = q.get('force');
  if (force !== null) {
    if (force !== 'true' && force !== 'false') throw errors.badRequest(`force: invalid value ${JSON.stringify(force)}: must be true or false`);
    o.force = force === 'true';
  }
  return o;
}

export function listOptions(q: Query): ListOptions {
  const o: ListOptions = {};
  const s = (n: 'labelSelector' | 'fieldSelector' | 'continue' | 'resourceVersion') => {
    const v = q.get(n);
    if (v) o[n] = v;
  };
  s('labelSelector');
  s('fieldSelector');
  s('continue');
  s('resourceVersion');
  const limit = int(q, 'limit');
  if (limit !== undefined && limit > 0) o.limit = limit;
  const m = q.get('resourceVersionMatch');
  if (m) {
    if (m !== 'Exact' && m !== 'NotOlderThan') {
      throw errors.badRequest(`resourceVersionMatch: Unsupported value: ${JSON.stringify(m)}: supported values: "Exact", "NotOlderThan"`);
    }
    o.resourceVersionMatch = m;
  }
  const t = int(q, 'timeoutSeconds');
  if (t !== undefined) o.timeoutSeconds = t;
  const b = bool(q, 'allowWatchBookmarks');
  if (b !== undefined) o.allowWatchBookmarks = b;
  const si = bool(q, 'sendInitialEvents');
  if (si !== undefined) o.sendInitialEvents = si;
  return o;
}

/** DeleteOptions come in the body (a DeleteOptions object) or as query parameters; the body wins. */
export function deleteOptions(q: Query, body: unknown): DeleteOptions {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  if (b.kind !== undefined && b.kind !== 'DeleteOptions') {
    throw errors.badRequest(`DeleteOptions in version "v1" cannot be handled as a DeleteOptions: unexpected kind ${JSON.stringify(b.kind)}`);
  }
  const o: DeleteOptions = { dryRun: dryRun([...q.getAll('dryRun'), ...((b.dryRun as string[] | undefined) ?? [])]) };
  const grace = typeof b.gracePeriodSeconds === 'number' ? b.gracePeriodSeconds : int(q, 'gracePeriodSeconds');
  if (grace !== undefined) o.gracePeriodSeconds = grace;
  const pp = (b.propagationPolicy as string | undefined) ?? q.get('propagationPolicy') ?? undefined;
  if (pp) {
    if (pp !== 'Orphan' && pp !== 'Background' && pp !== 'Foreground') {
      throw errors.badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(pp)}: supported values: "Background", "Foreground", "Orphan"`);
    }
    o.propagationPolicy = pp;
  }
  const od = typeof b.orphanDependents === 'boolean' ? b.orphanDependents : bool(q, 'orphanDependents');
  if (od !== undefined) {
    if (o.propagationPolicy) throw errors.badRequest('orphanDependents: Invalid value: false: orphanDependents and propagationPolicy cannot both be set');
    o.orphanDependents = od;
  }
  const pre = b.preconditions as { uid?: string; resourceVersion?: string } | undefined;
  if (pre && (pre.uid || pre.resourceVersion)) o.preconditions = pre;
  return o;
}

/** Upstream's continue token: base64url(JSON{v, rv, start}), start = the next key after the prefix. */
export function encodeContinue(revision: number, keyAfterPrefix: string): string {
  const json = JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start: `${keyAfterPrefix}\u0000` });
  return Buffer.from(json).toString('base64url');
}

export function decodeContinue(token: string): { revision: number; after: string } {
  let parsed: { v?: string; rv?: number; start?: string };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') {
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  const start = parsed.start.endsWith('\u0000') ? parsed.start.slice(0, -1) : parsed.start;
  return { revision: parsed.rv, after: start };
}

export const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

export function parseResourceVersion(rv: string | undefined, what = 'resourceVersion'): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d+$/.test(rv)) throw errors.badRequest(`invalid ${what} ${JSON.stringify(rv)}`);
  return Number(rv);
}

export function nameOf(o: KubeObject): string {
  return o.metadata?.name ?? '';
}
