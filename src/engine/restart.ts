// Restart policies as dockerd's restart manager applies them (restartmanager/restartmanager.go),
// pure: the decision and the back-off delay from the policy, the exit and the history.
import { invalidParameter } from './errors.js';

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

export const BACKOFF_START_MS = 100;
export const BACKOFF_MAX_MS = 60_000;
const BACKOFF_RESET_AFTER_MS = 10_000;

/** validateRestartPolicy. */
export function validateRestartPolicy(p: { Name?: string; MaximumRetryCount?: number } | undefined): void {
  if (!p) return;
  const max = p.MaximumRetryCount ?? 0;
  switch (p.Name ?? '') {
    case 'always':
    case 'unless-stopped':
    case 'no':
      if (max !== 0) throw invalidParameter(`maximum retry count cannot be used with restart policy '${p.Name}'`);
      return;
    case 'on-failure':
      if (max < 0) throw invalidParameter('maximum retry count cannot be negative');
      return;
    case '':
      return;
    default:
      throw invalidParameter(`invalid restart policy '${p.Name}'`);
  }
}

export const isNone = (p: RestartPolicy | undefined) => !p || p.Name === '' || p.Name === 'no';

export interface RestartDecision {
  restart: boolean;
  /** the delay before the restart, and the back-off to remember for next time */
  delayMs: number;
}

/**
 * ShouldRestart: given the policy, the exit code, how many restarts happened, whether a user
 * stopped it, how long it ran and the previous back-off, decide.
 */
export function shouldRestart(
  policy: RestartPolicy | undefined,
  exitCode: number,
  restartCount: number,
  manuallyStopped: boolean,
  ranForMs: number,
  previousDelayMs: number,
): RestartDecision {
  if (isNone(policy)) return { restart: false, delayMs: 0 };
  let delay = ranForMs >= BACKOFF_RESET_AFTER_MS ? 0 : previousDelayMs;
  if (delay === 0) delay = BACKOFF_START_MS;
  else if (delay < BACKOFF_MAX_MS) delay *= 2;
  delay = Math.min(delay, BACKOFF_MAX_MS);
  let restart = false;
  switch (policy!.Name) {
    case 'always':
      restart = !manuallyStopped;
      break;
    case 'unless-stopped':
      restart = !manuallyStopped;
      break;
    case 'on-failure': {
      const max = policy!.MaximumRetryCount ?? 0;
      if (!manuallyStopped && (max === 0 || restartCount < max)) restart = exitCode !== 0;
      break;
    }
  }
  return { restart, delayMs: restart ? delay : 0 };
}
