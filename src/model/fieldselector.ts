// Field selectors (`?fieldSelector=`), as apimachinery's fields package parses and matches them and
// as the registry strategies' GetAttrs expose fields: the parse errors, the per-kind field label
// conversions (and their rejections) and the field set each kind can be filtered on.
import { toStored } from './conversion.js';
import { isPlainObject, type KubeObject } from './object.js';
import { Registry } from './registry.js';
import { errors } from './status.js';

export type FieldOperator = '=' | '==' | '!=';

export interface FieldRequirement {
  field: string;
  operator: FieldOperator;
  value: string;
}

/** The selectable fields of one object, by field label. A missing field reads as "". */
export type FieldSet = Record<string, string>;

/** Escapes `\`, `,` and `=` in a value, as fields.EscapeValue. */
export function escapeFieldValue(v: string): string {
  return v.replace(/[\\,=]/g, (c) => `\\${c}`);
}

export class FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[] = []) {}

  static everything(): FieldSelector {
    return new FieldSelector();
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  matches(fields: FieldSet): boolean {
    return this.requirements.every((r) => {
      const v = fields[r.field] ?? '';
      return r.operator === '!=' ? v !== r.value : v === r.value;
    });
  }

  /** The value an exact (=, ==) requirement demands of a field, as RequiresExactMatch. */
  exactMatch(field: string): string | undefined {
    const r = this.requirements.find((x) => x.field === field && x.operator !== '!=');
    return r?.value;
  }

  /** Canonical text, as Selector.String(): `a=b,c!=d`. */
  toString(): string {
    return this.requirements
      .map((r) => `${r.field}${r.operator === '!=' ? '!=' : '='}${escapeFieldValue(r.value)}`)
      .join(',');
  }
}

/** Splits on unescaped commas; escapes stay in the terms for unescapeValue to handle. */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

const operators: FieldOperator[] = ['!=', '==', '='];

function splitTerm(term: string): [string, FieldOperator, string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of operators) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw errors.badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
    } else if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') {
      // Go prints the rune with %v: its code point.
      throw errors.badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  if (inSlash) throw errors.badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Parses a field selector as fields.ParseSelector; failures are 400 BadRequest with its messages. */
export function parseFieldSelector(selector: string): FieldSelector {
  // Go sorts the terms by their raw text before parsing them, which fixes which error is reported.
  const parts = splitTerms(selector).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (!split) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const [field, operator, raw] = split;
    reqs.push({ field, operator, value: unescapeValue(raw) });
  }
  return new FieldSelector(reqs);
}

interface LabelConversion {
  labels: string[];
  aliases?: Record<string, string>;
  message: (label: string) => string;
}

const metaLabels = ['metadata.name', 'metadata.namespace'];
const onlyMeta: LabelConversion = {
  labels: metaLabels,
  message: (label) => `"${label}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
};
const notSupported = (label: string) => `field label not supported: ${label}`;

/** Per group/version/kind field label conversions (AddFieldLabelConversionFunc); other kinds accept
 * only metadata.name and metadata.namespace. */
const conversions: Record<string, LabelConversion> = {
  '/v1/Pod': {
    labels: [...metaLabels, 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork',
      'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName'],
    aliases: { 'spec.host': 'spec.nodeName' }, // old v1 clients
    message: notSupported,
  },
  '/v1/Node': { labels: ['metadata.name', 'spec.unschedulable'], message: notSupported },
  '/v1/Event': {
    labels: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion',
      'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type', ...metaLabels],
    message: notSupported,
  },
  '/v1/Namespace': { labels: ['status.phase', 'metadata.name'], message: notSupported },
  '/v1/Secret': { labels: ['type', ...metaLabels], message: notSupported },
  '/v1/Service': { labels: [...metaLabels, 'spec.clusterIP', 'spec.type'], message: notSupported },
  '/v1/ReplicationController': { labels: [...metaLabels, 'status.replicas'], message: notSupported },
  'apps/v1/ReplicaSet': { ...onlyMeta, labels: [...metaLabels, 'status.replicas'] },
  'certificates.k8s.io/v1/CertificateSigningRequest': { labels: ['metadata.name', 'spec.signerName'], message: notSupported },
  'batch/v1/Job': { labels: [...metaLabels, 'status.successful'], message: (label) => `field label "${label}" not supported for batchv1.Job` },
  'events.k8s.io/v1/Event': {
    labels: ['reason', 'source', 'type', ...metaLabels],
    aliases: {
      'regarding.kind': 'involvedObject.kind',
      'regarding.namespace': 'involvedObject.namespace',
      'regarding.name': 'involvedObject.name',
      'regarding.uid': 'involvedObject.uid',
      'regarding.apiVersion': 'involvedObject.apiVersion',
      'regarding.resourceVersion': 'involvedObject.resourceVersion',
      'regarding.fieldPath': 'involvedObject.fieldPath',
      reportingController: 'reportingComponent',
    },
    message: notSupported,
  },
};

/** The field labels a list or watch of this kind may select on. */
export function selectableFields(group: string, version: string, kind: string): string[] {
  const c = conversions[`${group}/${version}/${kind}`] ?? onlyMeta;
  return [...c.labels, ...Object.keys(c.aliases ?? {})];
}

/** Applies the kind's field label conversion to every requirement (the list handler's Transform);
 * an unsupported label is a 400 BadRequest carrying the conversion's message. */
export function convertFieldSelector(group: string, version: string, kind: string, sel: FieldSelector): FieldSelector {
  const c = conversions[`${group}/${version}/${kind}`] ?? onlyMeta;
  return new FieldSelector(
    sel.requirements.map((r) => {
      const field = c.aliases?.[r.field] ?? (c.labels.includes(r.field) ? r.field : undefined);
      if (field === undefined) throw errors.badRequest(c.message(r.field));
      return { ...r, field };
    }),
  );
}

/** Parse and convert in one step, as the list and watch handlers do. */
export function parseFieldSelectorFor(group: string, version: string, kind: string, selector: string): FieldSelector {
  return convertFieldSelector(group, version, kind, parseFieldSelector(selector));
}

const rec = (v: unknown): Record<string, unknown> => (isPlainObject(v) ? v : {});
const s = (v: unknown): string => (typeof v === 'string' ? v : '');
const n = (v: unknown): string => String(typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);
const b = (v: unknown): string => (v === true ? 'true' : 'false');

type FieldsFn = (o: Record<string, unknown>) => FieldSet;

function eventFields(ev: Record<string, unknown>): FieldSet {
  const involved = rec(ev.involvedObject);
  const source = s(rec(ev.source).component) || s(ev.reportingComponent);
  return {
    'involvedObject.kind': s(involved.kind),
    'involvedObject.namespace': s(involved.namespace),
    'involvedObject.name': s(involved.name),
    'involvedObject.uid': s(involved.uid),
    'involvedObject.apiVersion': s(involved.apiVersion),
    'involvedObject.resourceVersion': s(involved.resourceVersion),
    'involvedObject.fieldPath': s(involved.fieldPath),
    reason: s(ev.reason),
    reportingComponent: s(ev.reportingComponent),
    source,
    type: s(ev.type),
  };
}

/** Kind-specific selectable fields beyond metadata (the strategies' ToSelectableFields). */
const kindFields: Record<string, FieldsFn> = {
  '/Pod': (pod) => {
    const spec = rec(pod.spec);
    const status = rec(pod.status);
    const ips = Array.isArray(status.podIPs) ? status.podIPs : [];
    return {
      'spec.nodeName': s(spec.nodeName),
      'spec.restartPolicy': s(spec.restartPolicy),
      'spec.schedulerName': s(spec.schedulerName),
      'spec.serviceAccountName': s(spec.serviceAccountName),
      'spec.hostNetwork': b(spec.hostNetwork),
      'status.phase': s(status.phase),
      'status.podIP': s(rec(ips[0]).ip),
      'status.nominatedNodeName': s(status.nominatedNodeName),
    };
  },
  '/Node': (node) => ({ 'spec.unschedulable': b(rec(node.spec).unschedulable) }),
  '/Namespace': (ns) => ({ 'status.phase': s(rec(ns.status).phase), name: s(rec(ns.metadata).name) }),
  '/Secret': (secret) => ({ type: s(secret.type) }),
  '/Service': (svc) => ({ 'spec.clusterIP': s(rec(svc.spec).clusterIP), 'spec.type': s(rec(svc.spec).type) }),
  '/PersistentVolume': (pv) => ({ name: s(rec(pv.metadata).name) }),
  '/PersistentVolumeClaim': (pvc) => ({ name: s(rec(pvc.metadata).name) }),
  '/ReplicationController': (rc) => ({ 'status.replicas': n(rec(rc.status).replicas) }),
  '/Event': eventFields,
  'apps/ReplicaSet': (rs) => ({ 'status.replicas': n(rec(rs.status).replicas) }),
  'batch/Job': (job) => ({ 'status.successful': n(rec(job.status).succeeded) }),
  'certificates.k8s.io/CertificateSigningRequest': (csr) => ({ 'spec.signerName': s(rec(csr.spec).signerName) }),
};

const builtIns = new Registry();
// events.k8s.io Events are stored as core Events and select on the core fields.
const eventsV1 = builtIns.byKind('events.k8s.io', 'v1', 'Event')!;
const clusterScoped = new Set(builtIns.all().filter((t) => !t.namespaced).map((t) => `${t.group}/${t.kind}`));

/** The field set of an object (GetAttrs): metadata.name, metadata.namespace when the kind is
 * namespaced, and the kind's own fields. Cluster-scoped kinds have no metadata.namespace; pass
 * `namespaced` for kinds the built-in registry does not know (custom resources). */
export function fieldsOf(group: string, kind: string, obj: unknown, namespaced = !clusterScoped.has(`${group}/${kind}`)): FieldSet {
  const o = rec(obj);
  const meta = rec(o.metadata);
  const out: FieldSet = { 'metadata.name': s(meta.name) };
  if (namespaced) out['metadata.namespace'] = s(meta.namespace);
  const fn = group === 'events.k8s.io' && kind === 'Event' ? (x: Record<string, unknown>) => eventFields(toStored(eventsV1, x as KubeObject)) : kindFields[`${group}/${kind}`];
  return fn ? { ...fn(o), ...out } : out;
}

/** Whether `obj` satisfies `sel` (a selector already converted for the object's kind). */
export function matchesFieldSelector(sel: FieldSelector, group: string, kind: string, obj: unknown, namespaced?: boolean): boolean {
  return sel.isEmpty() || sel.matches(fieldsOf(group, kind, obj, namespaced));
}

