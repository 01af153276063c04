// The pods table: READY, STATUS with kubectl's reason logic (Init:1/2, CrashLoopBackOff, Completed,
// Terminating...), RESTARTS with the time since the last one, and the wide columns.
import type { Instant } from '../object.js';
import { docs } from './descriptions.js';
import { humanDuration, parseTime, translateTimestampSince } from './duration.js';
import { ageColumn, arr, col, int, meta, nameColumn, rec, str, wideCol, type Cell, type Rec, type TableRow, type TableRowCondition } from './table.js';

export const podColumns = () => [
  nameColumn(),
  col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
  col('Status', 'string', 'The aggregate status of the containers in this pod.'),
  col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
  ageColumn(),
  wideCol('IP', 'string', docs['PodStatus.podIP']),
  wideCol('Node', 'string', docs['PodSpec.nodeName']),
  wideCol('Nominated Node', 'string', docs['PodStatus.nominatedNodeName']),
  wideCol('Readiness Gates', 'string', docs['PodSpec.readinessGates']),
];

const succeeded: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
const failed: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

const isRestartableInit = (c: Rec | undefined) => c?.restartPolicy === 'Always';

function conditionTrue(status: Rec, type: string): boolean {
  const c = arr(status.conditions).find((x) => x.type === type);
  return c?.status === 'True';
}

const hasReadyCondition = (status: Rec) => arr(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');

/** Exit details of a terminated state without a reason: "Signal:9" or "ExitCode:1". */
function exitText(t: Rec): string {
  return int(t.signal) !== 0 ? `Signal:${int(t.signal)}` : `ExitCode:${int(t.exitCode)}`;
}

export function printPod(pod: Rec, wide: boolean, now: Instant): TableRow {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  if (arr(status.conditions).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';

  const initSpecs = new Map<string, Rec>();
  let totalContainers = arr(spec.containers).length;
  for (const c of arr(spec.initContainers)) {
    initSpecs.set(str(c.name), c);
    if (isRestartableInit(c)) totalContainers++;
  }

  let restarts = 0;
  let sidecarRestarts = 0;
  let readyContainers = 0;
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;
  const later = (a: number | undefined, b: number | undefined) => (b !== undefined && (a === undefined || a < b) ? b : a);

  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses);
  const initCount = arr(spec.initContainers).length;
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]!;
    const state = rec(c.state);
    const lastTerminated = rec(c.lastState).terminated;
    const finished = lastTerminated ? parseTime(rec(lastTerminated).finishedAt) : undefined;
    restarts += int(c.restartCount);
    lastRestart = later(lastRestart, finished);
    const sidecar = isRestartableInit(initSpecs.get(str(c.name)));
    if (sidecar) {
      sidecarRestarts += int(c.restartCount);
      lastSidecarRestart = later(lastSidecarRestart, finished);
    }
    const terminated = state.terminated ? rec(state.terminated) : undefined;
    const waiting = state.waiting ? rec(state.waiting) : undefined;
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready === true) readyContainers++;
      continue;
    }
    if (terminated) {
      reason = str(terminated.reason) ? `Init:${str(terminated.reason)}` : `Init:${exitText(terminated)}`;
    } else if (waiting && str(waiting.reason) && waiting.reason !== 'PodInitializing') {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initCount}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      const state = rec(c.state);
      restarts += int(c.restartCount);
      const lastTerminated = rec(c.lastState).terminated;
      if (lastTerminated) lastRestart = later(lastRestart, parseTime(rec(lastTerminated).finishedAt));
      const waiting = state.waiting ? rec(state.waiting) : undefined;
      const terminated = state.terminated ? rec(state.terminated) : undefined;
      if (waiting && str(waiting.reason)) reason = str(waiting.reason);
      else if (terminated && str(terminated.reason)) reason = str(terminated.reason);
      else if (terminated) reason = exitText(terminated);
      else if (c.ready === true && state.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod whose last container completed while another still runs is not "Completed".
    if (reason === 'Completed' && hasRunning) reason = hasReadyCondition(status) ? 'Running' : 'NotReady';
  }

  const deleting = meta(pod).deletionTimestamp !== undefined && meta(pod).deletionTimestamp !== null;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Failed' && phase !== 'Succeeded') reason = 'Terminating';

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) restartsText = `${restarts} (${humanDuration(now - lastRestart)} ago)`;

  const cells: Cell[] = [str(meta(pod).name), `${readyContainers}/${totalContainers}`, reason, restartsText, translateTimestampSince(meta(pod).creationTimestamp, now)];
  if (wide) {
    // The internal type only has podIPs; conversion fills it from podIP when a client set only that.
    const podIP = str(arr(status.podIPs)[0]?.ip) || str(status.podIP) || '<none>';
    let gates = '<none>';
    const readinessGates = arr(spec.readinessGates);
    if (readinessGates.length) {
      let trueCount = 0;
      for (const gate of readinessGates) {
        const c = arr(status.conditions).find((x) => x.type === gate.conditionType);
        if (c?.status === 'True') trueCount++;
      }
      gates = `${trueCount}/${readinessGates.length}`;
    }
    cells.push(podIP, str(spec.nodeName) || '<none>', str(status.nominatedNodeName) || '<none>', gates);
  }
  const row: TableRow = { cells };
  if (phase === 'Succeeded') row.conditions = succeeded;
  else if (phase === 'Failed') row.conditions = failed;
  return row;
}
