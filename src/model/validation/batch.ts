// Validation of batch/v1 Job and CronJob (pkg/apis/batch/validation), with the cron schedule
// checked as robfig/cron's ParseStandard does, error texts included.
import { GoRepr, goQuote, textOf } from '../field.js';
import { labelSelectorAsSelector, matches, SelectorError, validateLabels, validateLabelSelector } from '../labels.js';
import { validateAnnotations } from './meta.js';
import { validatePodTemplateSpec } from './pod.js';
import {
  arr,
  type Errs,
  FieldPath,
  fieldErrors,
  goLabelSelector,
  goStringMap,
  immutable,
  isSet,
  nonNegative,
  num,
  obj,
  type Obj,
  objs,
  qualifiedName,
  root,
  semanticEqual,
  str,
} from './util.js';

const spec = (o: Obj) => obj(o.spec) ?? {};
const status = (o: Obj) => obj(o.status) ?? {};
const metaOf = (o: Obj) => obj(o.metadata) ?? {};

// ---- cron ----

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}
const minutes: Bounds = { min: 0, max: 59 };
const hours: Bounds = { min: 0, max: 23 };
const dom: Bounds = { min: 1, max: 31 };
const months: Bounds = {
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const dow: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

class CronError extends Error {}

// strconv.Atoi
function atoi(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) throw new CronError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${goQuote(expr)}: invalid syntax`);
  const n = Number(expr);
  if (!Number.isSafeInteger(n)) throw new CronError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${goQuote(expr)}: value out of range`);
  if (n < 0) throw new CronError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

const intOrName = (expr: string, r: Bounds) => r.names?.[expr.toLowerCase()] ?? atoi(expr);

function checkRange(expr: string, r: Bounds): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  let start: number;
  let end: number;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
  } else {
    start = intOrName(lowAndHigh[0]!, r);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = intOrName(lowAndHigh[1]!, r);
    else throw new CronError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = atoi(rangeAndStep[1]!);
    if (lowAndHigh.length === 1) end = r.max;
  } else if (rangeAndStep.length > 2) throw new CronError(`too many slashes: ${expr}`);
  if (start < r.min) throw new CronError(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new CronError(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronError(`step of range should be a positive number: ${expr}`);
}

const goFields = (s: string) => s.split(/[ \t\n\r\v\f]+/).filter(Boolean);

/** Go's time.ParseDuration, enough to accept and reject as it does. */
function parseGoDuration(s: string): void {
  const bad = () => new CronError(`time: invalid duration ${goQuote(s)}`);
  let rest = s.replace(/^[+-]/, '');
  if (rest === '0') return;
  if (!rest) throw bad();
  while (rest) {
    const m = /^([0-9]*(\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || m[1] === '' || m[1] === '.') {
      if (/^[0-9.]+$/.test(rest)) throw new CronError(`time: missing unit in duration ${goQuote(s)}`);
      const u = /^[0-9.]+([^0-9.]+)/.exec(rest);
      if (u) throw new CronError(`time: unknown unit ${goQuote(u[1]!.replace(/[0-9.].*$/, ''))} in duration ${goQuote(s)}`);
      throw bad();
    }
    rest = rest.slice(m[0].length);
  }
}

const timeZoneIds = (() => {
  try {
    return new Set((Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone'));
  } catch {
    return new Set<string>();
  }
})();

/** time.LoadLocation: undefined when the zone is known, else Go's error text. */
export function loadLocationError(name: string): string | undefined {
  if (name === '' || name === 'UTC' || name === 'Local') return undefined;
  if (timeZoneIds.has(name)) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
  } catch {
    return `unknown time zone ${name}`;
  }
  // Intl also knows aliases (US/Eastern), which Go's zoneinfo has too, but matches without case
  const lower = name.toLowerCase();
  return [...timeZoneIds].some((z) => z.toLowerCase() === lower) ? `unknown time zone ${name}` : undefined;
}

/** cron.ParseStandard: undefined when valid, else robfig/cron's error text. */
export function cronScheduleError(schedule: string): string | undefined {
  try {
    let spec = schedule;
    if (spec.length === 0) throw new CronError('empty spec string');
    if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
      const i = spec.indexOf(' ');
      const eq = spec.indexOf('=');
      const zone = i < 0 ? spec.slice(eq + 1) : spec.slice(eq + 1, i);
      const err = loadLocationError(zone);
      if (err) throw new CronError(`provided bad location ${zone}: ${err}`);
      spec = i < 0 ? '' : spec.slice(i).trim();
    }
    if (spec.startsWith('@')) {
      if (['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'].includes(spec)) return undefined;
      if (spec.startsWith('@every ')) {
        try {
          parseGoDuration(spec.slice('@every '.length));
        } catch (e) {
          throw new CronError(`failed to parse duration ${spec}: ${(e as Error).message}`);
        }
        return undefined;
      }
      throw new CronError(`unrecognized descriptor: ${spec}`);
    }
    const fields = goFields(spec);
    if (fields.length !== 5) throw new CronError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
    const bounds = [minutes, hours, dom, months, dow];
    fields.forEach((f, i) => {
      for (const expr of f.split(',').filter((x) => x !== '')) checkRange(expr, bounds[i]!);
    });
    return undefined;
  } catch (e) {
    if (e instanceof CronError) return e.message;
    throw e;
  }
}

function scheduleFormat(schedule: string, allowTZ: boolean, timeZone: unknown, path: FieldPath): Errs {
  const errs: Errs = [];
  const err = cronScheduleError(schedule);
  if (err) errs.push(fieldErrors.invalid(path, schedule, err));
  if (allowTZ && schedule.includes('TZ') && isSet(timeZone)) errs.push(fieldErrors.invalid(path, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  else if (!allowTZ && schedule.includes('TZ')) errs.push(fieldErrors.invalid(path, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  return errs;
}

function timeZoneErrors(tz: unknown, path: FieldPath): Errs {
  if (!isSet(tz)) return [];
  const z = str(tz);
  const errs: Errs = [];
  if (z.length === 0) errs.push(fieldErrors.invalid(path, z, 'timeZone must be nil or non-empty string'));
  if (z.toLowerCase() === 'local') errs.push(fieldErrors.invalid(path, z, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
  const err = z ? loadLocationError(z) : undefined;
  if (err) errs.push(fieldErrors.invalid(path, z, err));
  return errs;
}

// ---- Job ----

const MAX_PARALLELISM_INDEXED = 100000;
const MAX_COMPLETIONS_PER_INDEX = 100000;

function hasLabel(labels: Record<string, unknown>, key: string, expected: string, path: FieldPath): Errs {
  if (!(key in labels)) return [fieldErrors.required(path.child('labels').key(key), `must be '${expected}'`)];
  if (labels[key] !== expected) return [fieldErrors.invalid(path.child('labels').key(key), goStringMap(labels), `must be '${expected}'`)];
  return [];
}

function generatedSelector(job: Obj): Errs {
  const s = spec(job);
  if (s.manualSelector === true || !obj(s.selector)) return [];
  const errs: Errs = [];
  const uid = str(metaOf(job).uid);
  const name = str(metaOf(job).name);
  if (!uid) errs.push(fieldErrors.required(root('metadata').child('uid'), ''));
  const labels = obj(obj(obj(s.template)?.metadata)?.labels) ?? {};
  const tp = root('spec').child('template').child('metadata');
  errs.push(...hasLabel(labels, 'controller-uid', uid, tp));
  errs.push(...hasLabel(labels, 'job-name', name, tp));
  errs.push(...hasLabel(labels, 'batch.kubernetes.io/controller-uid', uid, tp));
  errs.push(...hasLabel(labels, 'batch.kubernetes.io/job-name', name, tp));
  const expected = {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  try {
    if (!matches(labelSelectorAsSelector(obj(s.selector)), expected)) {
      errs.push(fieldErrors.invalid(root('spec').child('selector'), goLabelSelector(s.selector), '`selector` not auto-generated'));
    }
  } catch (e) {
    if (!(e instanceof SelectorError)) throw e;
  }
  return errs;
}

const podFailureActions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];

function podFailurePolicy(pfp: Obj, s: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  const rulesPath = path.child('rules');
  const rules = objs(pfp.rules);
  if (rules.length > 20) errs.push(fieldErrors.tooMany(rulesPath, rules.length, 20));
  rules.forEach((rule, i) => {
    const p = rulesPath.index(i);
    const action = str(rule.action);
    if (!podFailureActions.includes(action)) errs.push(fieldErrors.notSupported(p.child('action'), action, podFailureActions));
    else if (action === 'FailIndex' && !isSet(s.backoffLimitPerIndex)) {
      errs.push(fieldErrors.invalid(p.child('action'), action, 'can only be used when backoffLimitPerIndex is set'));
    }
    const onExit = obj(rule.onExitCodes);
    const onConds = objs(rule.onPodConditions);
    if (onExit && onConds.length) errs.push(fieldErrors.invalid(p, new GoRepr('batch.PodFailurePolicyRule{...}'), 'specifying both OnExitCodes and OnPodConditions is not supported'));
    else if (!onExit && onConds.length === 0) errs.push(fieldErrors.invalid(p, new GoRepr('batch.PodFailurePolicyRule{...}'), 'specifying one of OnExitCodes and OnPodConditions is required'));
    if (onExit) {
      const ep = p.child('onExitCodes');
      const op = str(onExit.operator);
      if (op !== 'In' && op !== 'NotIn') errs.push(fieldErrors.notSupported(ep.child('operator'), op, ['In', 'NotIn']));
      const values = arr(onExit.values).map(num);
      const vp = ep.child('values');
      if (values.length === 0) errs.push(fieldErrors.invalid(vp, new GoRepr('[]int32{}'), 'at least one value is required'));
      if (values.length > 255) errs.push(fieldErrors.tooMany(vp, values.length, 255));
      values.forEach((v, j) => {
        if (j > 0 && values[j - 1] === v) errs.push(fieldErrors.duplicate(vp.index(j), v));
        if (op === 'In' && v === 0) errs.push(fieldErrors.invalid(vp.index(j), v, 'must not be 0 for the In operator'));
        if (j > 0 && values[j - 1]! > v) errs.push(fieldErrors.invalid(vp.index(j), v, 'must be ordered'));
      });
      if (isSet(onExit.containerName)) {
        const names = [...objs(obj(s.template)?.spec && obj(obj(s.template)!.spec)!.containers), ...objs(obj(obj(s.template)?.spec)?.initContainers)].map((c) => str(c.name));
        if (!names.includes(str(onExit.containerName))) errs.push(fieldErrors.invalid(ep.child('containerName'), str(onExit.containerName), 'must be one of the container or initContainer names in the pod template'));
      }
    }
    onConds.forEach((c, j) => {
      const cp = p.child('onPodConditions').index(j);
      const st = str(c.status);
      if (!['True', 'False', 'Unknown'].includes(st)) errs.push(fieldErrors.notSupported(cp.child('status'), st, ['False', 'True', 'Unknown']));
      errs.push(...qualifiedName(str(c.type), cp.child('type')));
    });
  });
  return errs;
}

function validateJobSpecCommon(s: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  if (isSet(s.parallelism)) errs.push(...nonNegative(s.parallelism, path.child('parallelism')));
  if (isSet(s.completions)) errs.push(...nonNegative(s.completions, path.child('completions')));
  if (isSet(s.activeDeadlineSeconds)) errs.push(...nonNegative(s.activeDeadlineSeconds, path.child('activeDeadlineSeconds')));
  if (isSet(s.backoffLimit)) errs.push(...nonNegative(s.backoffLimit, path.child('backoffLimit')));
  if (isSet(s.ttlSecondsAfterFinished)) errs.push(...nonNegative(s.ttlSecondsAfterFinished, path.child('ttlSecondsAfterFinished')));
  const indexed = str(s.completionMode) === 'Indexed';
  if (isSet(s.backoffLimitPerIndex)) {
    errs.push(...nonNegative(s.backoffLimitPerIndex, path.child('backoffLimitPerIndex')));
    if (!indexed) errs.push(fieldErrors.forbidden(path.child('backoffLimitPerIndex'), 'requires indexed completion mode'));
  }
  if (isSet(s.maxFailedIndexes)) {
    errs.push(...nonNegative(s.maxFailedIndexes, path.child('maxFailedIndexes')));
    if (!isSet(s.backoffLimitPerIndex)) errs.push(fieldErrors.required(path.child('backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
  }
  if (isSet(s.managedBy)) {
    const mb = str(s.managedBy);
    errs.push(...qualifiedName(mb, path.child('managedBy')));
    if (mb.length > 63) errs.push(fieldErrors.tooLong(path.child('managedBy'), mb, 63));
  }
  if (isSet(s.completionMode)) {
    const cm = str(s.completionMode);
    if (cm !== 'NonIndexed' && cm !== 'Indexed') errs.push(fieldErrors.notSupported(path.child('completionMode'), cm, ['NonIndexed', 'Indexed']));
    if (indexed) {
      if (!isSet(s.completions)) errs.push(fieldErrors.required(path.child('completions'), 'when completion mode is Indexed'));
      if (isSet(s.parallelism) && num(s.parallelism) > MAX_PARALLELISM_INDEXED) {
        errs.push(fieldErrors.invalid(path.child('parallelism'), num(s.parallelism), `must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`));
      }
      if (isSet(s.completions) && isSet(s.maxFailedIndexes) && num(s.maxFailedIndexes) > num(s.completions)) {
        errs.push(fieldErrors.invalid(path.child('maxFailedIndexes'), num(s.maxFailedIndexes), 'must be less than or equal to completions'));
      }
      if (isSet(s.maxFailedIndexes) && num(s.maxFailedIndexes) > MAX_COMPLETIONS_PER_INDEX) {
        errs.push(fieldErrors.invalid(path.child('maxFailedIndexes'), num(s.maxFailedIndexes), `must be less than or equal to ${MAX_COMPLETIONS_PER_INDEX}`));
      }
      if (isSet(s.completions) && isSet(s.backoffLimitPerIndex) && num(s.completions) > MAX_COMPLETIONS_PER_INDEX) {
        errs.push(fieldErrors.invalid(path.child('completions'), num(s.completions), `must be less than or equal to ${MAX_COMPLETIONS_PER_INDEX} when backoffLimitPerIndex is specified`));
      }
    }
  }
  const template = obj(s.template) ?? {};
  const pfp = obj(s.podFailurePolicy);
  if (pfp) errs.push(...podFailurePolicy(pfp, s, path.child('podFailurePolicy')));
  if (isSet(s.podReplacementPolicy)) {
    const prp = str(s.podReplacementPolicy);
    if (prp !== 'TerminatingOrFailed' && prp !== 'Failed') errs.push(fieldErrors.notSupported(path.child('podReplacementPolicy'), prp, ['Failed', 'TerminatingOrFailed']));
    else if (prp === 'TerminatingOrFailed' && pfp) errs.push(fieldErrors.notSupported(path.child('podReplacementPolicy'), prp, ['Failed']));
  }
  errs.push(...validatePodTemplateSpec(template, path.child('template')));
  const rp = str(obj(template.spec)?.restartPolicy);
  if (pfp && rp !== 'Never') {
    errs.push(fieldErrors.invalid(path.child('template', 'spec', 'restartPolicy'), rp, 'only "Never" is supported when podFailurePolicy is specified'));
  } else if (rp !== 'OnFailure' && rp !== 'Never') {
    errs.push(fieldErrors.notSupported(path.child('template', 'spec', 'restartPolicy'), rp, ['OnFailure', 'Never']));
  }
  return errs;
}

function validateJobSpec(s: Obj, path: FieldPath): Errs {
  const errs = validateJobSpecCommon(s, path);
  const sel = obj(s.selector);
  if (!sel) errs.push(fieldErrors.required(path.child('selector'), ''));
  else errs.push(...validateLabelSelector(sel, path.child('selector')));
  if (sel) {
    try {
      const labels = obj(obj(obj(s.template)?.metadata)?.labels);
      if (!matches(labelSelectorAsSelector(sel), labels as Record<string, string> | undefined)) {
        errs.push(fieldErrors.invalid(path.child('template', 'metadata', 'labels'), goStringMap(labels), '`selector` does not match template `labels`'));
      }
    } catch (e) {
      if (!(e instanceof SelectorError)) throw e;
    }
  }
  return errs;
}

export const validateJob = (job: Obj): Errs => [...generatedSelector(job), ...validateJobSpec(spec(job), root('spec'))];

const goTemplate = () => new GoRepr('core.PodTemplateSpec{...}');

export function validateJobUpdate(job: Obj, old: Obj): Errs {
  const s = spec(job);
  const o = spec(old);
  const path = root('spec');
  const errs = validateJobSpec(s, path);
  // completions may change only for an elastic indexed job, keeping completions == parallelism
  const elastic = str(s.completionMode) === 'Indexed' && isSet(s.completions) && num(s.completions) === num(s.parallelism) && num(o.completions) === num(o.parallelism);
  if (!elastic) errs.push(...immutable(s.completions ?? null, o.completions ?? null, path.child('completions')));
  errs.push(...immutable(s.selector, o.selector, path.child('selector'), goLabelSelector(s.selector)));
  // a suspended job that never started may change its pod template's scheduling directives
  const neverStarted = !isSet(status(old).startTime);
  const mutableScheduling = s.suspend === true && o.suspend === true && neverStarted;
  if (!mutableScheduling) errs.push(...immutable(s.template, o.template, path.child('template'), goTemplate()));
  else {
    const strip = (t: unknown) => {
      const x = structuredClone(obj(t) ?? {});
      const sp = obj(x.spec);
      if (sp) for (const f of ['nodeSelector', 'tolerations', 'affinity', 'schedulingGates']) delete sp[f];
      const md = obj(x.metadata);
      if (md) for (const f of ['labels', 'annotations']) delete md[f];
      return x;
    };
    if (!semanticEqual(strip(s.template), strip(o.template))) errs.push(fieldErrors.invalid(path.child('template'), goTemplate(), 'field is immutable'));
  }
  errs.push(...immutable(s.completionMode ?? null, o.completionMode ?? null, path.child('completionMode')));
  errs.push(...immutable(s.podFailurePolicy, o.podFailurePolicy, path.child('podFailurePolicy'), new GoRepr('&batch.PodFailurePolicy{...}')));
  errs.push(...immutable(s.backoffLimitPerIndex ?? null, o.backoffLimitPerIndex ?? null, path.child('backoffLimitPerIndex')));
  errs.push(...immutable(s.managedBy ?? null, o.managedBy ?? null, path.child('managedBy')));
  return errs;
}

export function validateJobStatusUpdate(job: Obj, old: Obj): Errs {
  const st = status(job);
  const path = root('status');
  const errs: Errs = [];
  for (const f of ['active', 'succeeded', 'failed']) errs.push(...nonNegative(st[f], path.child(f)));
  for (const f of ['ready', 'terminating']) if (isSet(st[f])) errs.push(...nonNegative(st[f], path.child(f)));
  const oldConds = objs(status(old).conditions);
  const finished = (cs: Obj[]) => cs.some((c) => (str(c.type) === 'Complete' || str(c.type) === 'Failed') && str(c.status) === 'True');
  if (finished(oldConds) && !finished(objs(st.conditions))) {
    errs.push(fieldErrors.invalid(path.child('conditions'), new GoRepr('[]batch.JobCondition{...}'), 'cannot add or remove the Complete or Failed condition once set'));
  }
  if (isSet(status(old).completionTime) && !semanticEqual(st.completionTime, status(old).completionTime)) {
    errs.push(fieldErrors.invalid(path.child('completionTime'), new GoRepr(textOf(st.completionTime ?? 'null')), 'field is immutable'));
  }
  return errs;
}

// ---- CronJob ----

function jobTemplateSpec(jt: Obj, path: FieldPath): Errs {
  const s = obj(jt.spec) ?? {};
  const errs = validateJobSpecCommon(s, path.child('spec'));
  if (isSet(s.selector)) errs.push(fieldErrors.invalid(path.child('spec', 'selector'), goLabelSelector(s.selector), '`selector` will be auto-generated'));
  if (s.manualSelector === true) errs.push(fieldErrors.notSupported(path.child('spec', 'manualSelector'), true, ['nil', 'false']));
  const meta = obj(jt.metadata) ?? {};
  errs.push(...validateLabels(meta.labels, path.child('metadata', 'labels')));
  errs.push(...validateAnnotations(meta.annotations, path.child('metadata', 'annotations')));
  return errs;
}

function cronJobSpec(s: Obj, path: FieldPath, allowTZ: boolean): Errs {
  const errs: Errs = [];
  const schedule = str(s.schedule);
  if (!schedule) errs.push(fieldErrors.required(path.child('schedule'), ''));
  else errs.push(...scheduleFormat(schedule, allowTZ, s.timeZone, path.child('schedule')));
  if (isSet(s.startingDeadlineSeconds)) errs.push(...nonNegative(s.startingDeadlineSeconds, path.child('startingDeadlineSeconds')));
  const cp = str(s.concurrencyPolicy);
  if (!cp) errs.push(fieldErrors.required(path.child('concurrencyPolicy'), ''));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp)) errs.push(fieldErrors.notSupported(path.child('concurrencyPolicy'), cp, ['Allow', 'Forbid', 'Replace']));
  errs.push(...jobTemplateSpec(obj(s.jobTemplate) ?? {}, path.child('jobTemplate')));
  if (isSet(s.successfulJobsHistoryLimit)) errs.push(...nonNegative(s.successfulJobsHistoryLimit, path.child('successfulJobsHistoryLimit')));
  if (isSet(s.failedJobsHistoryLimit)) errs.push(...nonNegative(s.failedJobsHistoryLimit, path.child('failedJobsHistoryLimit')));
  errs.push(...timeZoneErrors(s.timeZone, path.child('timeZone')));
  return errs;
}

function cronJobName(cj: Obj): Errs {
  const name = str(metaOf(cj).name);
  // the Job names a CronJob creates append an 11-character suffix
  return name.length > 52 ? [fieldErrors.invalid(root('metadata').child('name'), name, 'must be no more than 52 characters')] : [];
}

export const validateCronJob = (cj: Obj): Errs => [...cronJobName(cj), ...cronJobSpec(spec(cj), root('spec'), false)];

export function validateCronJobUpdate(cj: Obj, old: Obj): Errs {
  // an existing TZ in the schedule stays tolerated
  const allowTZ = str(spec(old).schedule).includes('TZ');
  return cronJobSpec(spec(cj), root('spec'), allowTZ);
}
