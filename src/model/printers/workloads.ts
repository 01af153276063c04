// Tables of the workload kinds: apps/v1 and batch/v1.
import { docs } from './descriptions.js';
import { humanDuration, parseTime, translateTimestampSince } from './duration.js';
import type { Printer } from './core.js';
import { formatLabelSelector, labelSelectorString } from './selector.js';
import { age, ageColumn, arr, boolPtr, col, containerCells, formatLabels, int, meta, nameColumn, nameOf, rec, str, wideCol, type Cell, type Rec } from './table.js';

const containersCol = () => wideCol('Containers', 'string', 'Names of each container in the template.');
const imagesCol = () => wideCol('Images', 'string', 'Images referenced by each container in the template.');
const templateSpec = (spec: Rec) => rec(rec(spec.template).spec);

const deployment: Printer = {
  columns: () => [
    nameColumn(),
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', docs['DeploymentStatus.updatedReplicas']),
    col('Available', 'string', docs['DeploymentStatus.availableReplicas']),
    ageColumn(),
    containersCol(),
    imagesCol(),
    wideCol('Selector', 'string', docs['DeploymentSpec.selector']),
  ],
  row: (o, wide, now) => {
    const spec = rec(o.spec);
    const status = rec(o.status);
    const cells: Cell[] = [nameOf(o), `${int(status.readyReplicas)}/${int(spec.replicas)}`, int(status.updatedReplicas), int(status.availableReplicas), age(o, now)];
    if (wide) {
      const [names, images] = containerCells(templateSpec(spec));
      cells.push(names, images, labelSelectorString(spec.selector) ?? '<invalid>');
    }
    return { cells };
  },
};

const replicaSet: Printer = {
  columns: () => [
    nameColumn(),
    col('Desired', 'integer', docs['ReplicaSetSpec.replicas']),
    col('Current', 'integer', docs['ReplicaSetStatus.replicas']),
    col('Ready', 'integer', docs['ReplicaSetStatus.readyReplicas']),
    ageColumn(),
    containersCol(),
    imagesCol(),
    wideCol('Selector', 'string', docs['ReplicaSetSpec.selector']),
  ],
  row: (o, wide, now) => {
    const spec = rec(o.spec);
    const status = rec(o.status);
    const cells: Cell[] = [nameOf(o), int(spec.replicas), int(status.replicas), int(status.readyReplicas), age(o, now)];
    if (wide) {
      const [names, images] = containerCells(templateSpec(spec));
      cells.push(names, images, formatLabelSelector(spec.selector));
    }
    return { cells };
  },
};

const statefulSet: Printer = {
  columns: () => [nameColumn(), col('Ready', 'string', 'Number of the pod with ready state'), ageColumn(), containersCol(), imagesCol()],
  row: (o, wide, now) => {
    const spec = rec(o.spec);
    const cells: Cell[] = [nameOf(o), `${int(rec(o.status).readyReplicas)}/${int(spec.replicas)}`, age(o, now)];
    if (wide) cells.push(...containerCells(templateSpec(spec)));
    return { cells };
  },
};

const daemonSet: Printer = {
  columns: () => [
    nameColumn(),
    col('Desired', 'integer', docs['DaemonSetStatus.desiredNumberScheduled']),
    col('Current', 'integer', docs['DaemonSetStatus.currentNumberScheduled']),
    col('Ready', 'integer', docs['DaemonSetStatus.numberReady']),
    col('Up-to-date', 'integer', docs['DaemonSetStatus.updatedNumberScheduled']),
    col('Available', 'integer', docs['DaemonSetStatus.numberAvailable']),
    col('Node Selector', 'string', docs['PodSpec.nodeSelector']),
    ageColumn(),
    containersCol(),
    imagesCol(),
    wideCol('Selector', 'string', docs['DaemonSetSpec.selector']),
  ],
  row: (o, wide, now) => {
    const spec = rec(o.spec);
    const s = rec(o.status);
    const cells: Cell[] = [
      nameOf(o), int(s.desiredNumberScheduled), int(s.currentNumberScheduled), int(s.numberReady), int(s.updatedNumberScheduled),
      int(s.numberAvailable), formatLabels(templateSpec(spec).nodeSelector), age(o, now),
    ];
    if (wide) {
      const [names, images] = containerCells(templateSpec(spec));
      cells.push(names, images, formatLabelSelector(spec.selector));
    }
    return { cells };
  },
};

/** The controlling owner as `kind.group/name` in lower case (formatResourceName). */
function controllerName(o: Rec): string {
  const ref = arr(meta(o).ownerReferences).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const apiVersion = str(ref.apiVersion);
  const slash = apiVersion.indexOf('/');
  const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
  const kind = str(ref.kind);
  if (!kind && !group) return str(ref.name);
  return `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${str(ref.name)}`;
}

const controllerRevision: Printer = {
  columns: () => [
    nameColumn(),
    col('Controller', 'string', 'Controller of the object'),
    col('Revision', 'string', docs['ControllerRevision.revision']),
    ageColumn(),
  ],
  row: (o, _wide, now) => ({ cells: [nameOf(o), controllerName(o), int(o.revision), age(o, now)] }),
};

const conditionTrue = (status: Rec, type: string) => {
  const c = arr(status.conditions).find((x) => x.type === type);
  return c !== undefined && c.status === 'True';
};

const job: Printer = {
  columns: () => [
    nameColumn(),
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', docs['JobStatus.succeeded']),
    col('Duration', 'string', 'Time required to complete the job.'),
    ageColumn(),
    containersCol(),
    imagesCol(),
    wideCol('Selector', 'string', docs['JobSpec.selector']),
  ],
  row: (o, wide, now) => {
    const spec = rec(o.spec);
    const status = rec(o.status);
    const succeeded = int(status.succeeded);
    let completions: string;
    if (typeof spec.completions === 'number') completions = `${succeeded}/${int(spec.completions)}`;
    else {
      const parallelism = int(spec.parallelism);
      completions = parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
    }
    const start = parseTime(status.startTime);
    const end = parseTime(status.completionTime);
    const duration = start === undefined ? '' : humanDuration((end ?? now) - start);
    let phase = 'Running';
    if (conditionTrue(status, 'Complete')) phase = 'Complete';
    else if (conditionTrue(status, 'Failed')) phase = 'Failed';
    else if (meta(o).deletionTimestamp) phase = 'Terminating';
    else if (conditionTrue(status, 'Suspended')) phase = 'Suspended';
    else if (conditionTrue(status, 'FailureTarget')) phase = 'FailureTarget';
    const cells: Cell[] = [nameOf(o), phase, completions, duration, age(o, now)];
    if (wide) {
      const [names, images] = containerCells(templateSpec(spec));
      cells.push(names, images, formatLabelSelector(spec.selector));
    }
    return { cells };
  },
};

const cronJob: Printer = {
  columns: () => [
    nameColumn(),
    col('Schedule', 'string', docs['CronJobSpec.schedule']),
    col('Timezone', 'string', docs['CronJobSpec.timeZone']),
    col('Suspend', 'boolean', docs['CronJobSpec.suspend']),
    col('Active', 'integer', docs['CronJobStatus.active']),
    col('Last Schedule', 'string', docs['CronJobStatus.lastScheduleTime']),
    ageColumn(),
    containersCol(),
    imagesCol(),
    wideCol('Selector', 'string', docs['JobSpec.selector']),
  ],
  row: (o, wide, now) => {
    const spec = rec(o.spec);
    const status = rec(o.status);
    const last = status.lastScheduleTime === undefined || status.lastScheduleTime === null ? '<none>' : translateTimestampSince(status.lastScheduleTime, now);
    const cells: Cell[] = [
      nameOf(o), str(spec.schedule), typeof spec.timeZone === 'string' ? spec.timeZone : '<none>', boolPtr(spec.suspend),
      Array.isArray(status.active) ? status.active.length : 0, last, age(o, now),
    ];
    if (wide) {
      const jobSpec = rec(rec(spec.jobTemplate).spec);
      const [names, images] = containerCells(templateSpec(jobSpec));
      cells.push(names, images, formatLabelSelector(jobSpec.selector));
    }
    return { cells };
  },
};

export const appsPrinters: Record<string, Printer> = {
  Deployment: deployment,
  ReplicaSet: replicaSet,
  StatefulSet: statefulSet,
  DaemonSet: daemonSet,
  ControllerRevision: controllerRevision,
};

export const batchPrinters: Record<string, Printer> = { Job: job, CronJob: cronJob };
