// Validation of Events: core/v1 (legacy rules only, as upstream keeps for compatibility) and
// events.k8s.io/v1 (the strict rules), from pkg/apis/core/validation/events.go. Errors use the
// internal (core) field names, as upstream reports them for both versions.
import { byteLength, isDNS1123Subdomain } from './strings.js';
import { type Errs, fieldErrors, immutable, isSet, num, obj, type Obj, qualifiedName, root, semanticEqual, str } from './util.js';

const REPORTING_INSTANCE_LIMIT = 128;
const ACTION_LIMIT = 128;
const REASON_LIMIT = 128;
const NOTE_LIMIT = 1024;

/** The fields validation reads, from either version's wire shape. */
interface EventView {
  namespace: string;
  involvedNamespace: string;
  eventTime: unknown;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  message: string;
  type: string;
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  count: number;
  source: Obj | undefined;
  series: Obj | undefined;
  involvedObject: unknown;
  related: unknown;
}

function view(ev: Obj, group: string): EventView {
  const meta = obj(ev.metadata) ?? {};
  if (group === 'events.k8s.io') {
    return {
      namespace: str(meta.namespace),
      involvedNamespace: str(obj(ev.regarding)?.namespace),
      eventTime: ev.eventTime,
      reportingController: str(ev.reportingController),
      reportingInstance: str(ev.reportingInstance),
      action: str(ev.action),
      reason: str(ev.reason),
      message: str(ev.note),
      type: str(ev.type),
      firstTimestamp: ev.deprecatedFirstTimestamp,
      lastTimestamp: ev.deprecatedLastTimestamp,
      count: num(ev.deprecatedCount),
      source: obj(ev.deprecatedSource),
      series: obj(ev.series),
      involvedObject: ev.regarding,
      related: ev.related,
    };
  }
  const series = obj(ev.series);
  return {
    namespace: str(meta.namespace),
    involvedNamespace: str(obj(ev.involvedObject)?.namespace),
    eventTime: ev.eventTime,
    reportingController: str(ev.reportingComponent),
    reportingInstance: str(ev.reportingInstance),
    action: str(ev.action),
    reason: str(ev.reason),
    message: str(ev.message),
    type: str(ev.type),
    firstTimestamp: ev.firstTimestamp,
    lastTimestamp: ev.lastTimestamp,
    count: num(ev.count),
    source: obj(ev.source),
    series: series ? { count: series.count, lastObservedTime: series.lastObservedTime } : undefined,
    involvedObject: ev.involvedObject,
    related: ev.related,
  };
}

function legacy(e: EventView, group: string): Errs {
  const errs: Errs = [];
  const rcField = group === '' ? 'reportingComponent' : 'reportingController';
  if (!isSet(e.eventTime)) {
    if (!e.involvedNamespace) {
      if (e.namespace !== '' && e.namespace !== 'default') {
        errs.push(fieldErrors.invalid(root('involvedObject', 'namespace'), e.involvedNamespace, 'does not match event.namespace'));
      }
    } else if (e.namespace !== e.involvedNamespace) {
      errs.push(fieldErrors.invalid(root('involvedObject', 'namespace'), e.involvedNamespace, 'does not match event.namespace'));
    }
  } else {
    if (!e.involvedNamespace && e.namespace !== 'default' && e.namespace !== 'kube-system') {
      errs.push(fieldErrors.invalid(root('involvedObject', 'namespace'), e.involvedNamespace, 'does not match event.namespace'));
    }
    if (!e.reportingController) errs.push(fieldErrors.required(root(rcField), ''));
    errs.push(...qualifiedName(e.reportingController, root(rcField)));
    if (!e.reportingInstance) errs.push(fieldErrors.required(root('reportingInstance'), ''));
    if (byteLength(e.reportingInstance) > REPORTING_INSTANCE_LIMIT) errs.push(fieldErrors.invalid(root('reportingInstance'), '', `can have at most ${REPORTING_INSTANCE_LIMIT} characters`));
    if (!e.action) errs.push(fieldErrors.required(root('action'), ''));
    if (byteLength(e.action) > ACTION_LIMIT) errs.push(fieldErrors.invalid(root('action'), '', `can have at most ${ACTION_LIMIT} characters`));
    if (!e.reason) errs.push(fieldErrors.required(root('reason'), ''));
    if (byteLength(e.reason) > REASON_LIMIT) errs.push(fieldErrors.invalid(root('reason'), '', `can have at most ${REASON_LIMIT} characters`));
    if (byteLength(e.message) > NOTE_LIMIT) errs.push(fieldErrors.invalid(root('message'), '', `can have at most ${NOTE_LIMIT} characters`));
  }
  for (const m of isDNS1123Subdomain(e.namespace)) errs.push(fieldErrors.invalid(root('namespace'), e.namespace, m));
  return errs;
}

function series(e: EventView): Errs {
  if (!e.series) return [];
  const errs: Errs = [];
  if (num(e.series.count) < 2) errs.push(fieldErrors.invalid(root('series.count'), '', 'should be at least 2'));
  if (!isSet(e.series.lastObservedTime)) errs.push(fieldErrors.required(root('series.lastObservedTime'), ''));
  return errs;
}

/** Event-specific rules on create; `group` is the request's group ('' or 'events.k8s.io'). */
export function validateEvent(ev: Obj, group: string): Errs {
  const e = view(ev, group);
  const errs = legacy(e, group);
  if (group !== 'events.k8s.io') return errs;
  errs.push(...series(e));
  if (!isSet(e.eventTime)) errs.push(fieldErrors.required(root('eventTime'), ''));
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push(fieldErrors.invalid(root('type'), '', `has invalid value: ${e.type}`));
  if (isSet(e.firstTimestamp)) errs.push(fieldErrors.invalid(root('firstTimestamp'), '', 'needs to be unset'));
  if (isSet(e.lastTimestamp)) errs.push(fieldErrors.invalid(root('lastTimestamp'), '', 'needs to be unset'));
  if (e.count !== 0) errs.push(fieldErrors.invalid(root('count'), '', 'needs to be unset'));
  if (str(e.source?.component) || str(e.source?.host)) errs.push(fieldErrors.invalid(root('source'), '', 'needs to be unset'));
  return errs;
}

export function validateEventUpdate(ev: Obj, old: Obj, group: string): Errs {
  const e = view(ev, group);
  const o = view(old, group);
  const errs = legacy(e, group);
  if (group !== 'events.k8s.io') return errs;
  if (!semanticEqual(e.series, o.series)) errs.push(...series(e));
  const pairs: [string, unknown, unknown][] = [
    ['involvedObject', e.involvedObject, o.involvedObject],
    ['reason', e.reason, o.reason],
    ['note', e.message, o.message],
    ['source', e.source, o.source],
    ['firstTimestamp', e.firstTimestamp, o.firstTimestamp],
    ['lastTimestamp', e.lastTimestamp, o.lastTimestamp],
    ['count', e.count, o.count],
    ['type', e.type, o.type],
    ['eventTime', e.eventTime, o.eventTime],
    ['action', e.action, o.action],
    ['related', e.related, o.related],
    ['reportingController', e.reportingController, o.reportingController],
    ['reportingInstance', e.reportingInstance, o.reportingInstance],
  ];
  for (const [f, n, ov] of pairs) errs.push(...immutable(n, ov, root(f)));
  return errs;
}
