// The container lifecycle state machine of seed 004 (§9.1 FSA, §19.2 Rust FSM), pure: a function
// from (state, command, now) to a new state or a rejection that leaves the state unchanged.
//
// Two tables live here:
//  - SEED: exactly the seed's table: six transitions, everything else is
//    "Invalid transition: <State> -> <Command>".
//  - DOCKER: the table the engine runs, which is the seed's table extended with the transitions
//    real Docker has; every extension row is marked `ext` below with its reason, and every
//    rejection carries dockerd's own error (kind + message, moby daemon/{start,stop,kill,pause,
//    unpause,delete,restart}.go as of 20.10).
import type { Instant } from '../model/object.js';

export type Status = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead';

export interface LifecycleState {
  status: Status;
  /** Exit code of the last run; the seed's Exited(i32). Docker keeps it in every state. */
  exitCode: number;
  createdAt: Instant;
  startedAt?: Instant;
  /** The seed's exit_time: set on entering Exited (and Dead), invariant checked by `valid`. */
  finishedAt?: Instant;
}

export type Command =
  | { op: 'create' }
  | { op: 'start' }
  | { op: 'pause' }
  | { op: 'unpause' }
  | { op: 'resume' } // the seed's Rust name for unpause (§19.2); an alias
  | { op: 'stop'; exitCode?: number }
  | { op: 'kill'; exitCode?: number }
  | { op: 'remove'; force?: boolean }
  // Extensions (Docker only):
  | { op: 'restart' }
  /** The container's process ended by itself; `restart` when the restart policy wants it back. */
  | { op: 'exit'; exitCode: number; restart?: boolean }
  /** The runtime could not start the process (exec not found, …): docker records 126/127/128. */
  | { op: 'startFailed'; exitCode: number }
  /** The restart manager bringing a Restarting container back (a user `start` is a no-op there). */
  | { op: 'autoRestart' };

export type Op = Command['op'];

/** Why a command was refused, as dockerd's errdefs classify it (the API maps kinds to status codes). */
export type RejectKind = 'conflict' | 'notModified' | 'system' | 'invalidTransition';

export interface Rejection {
  kind: RejectKind;
  message: string;
}

export type Result = { ok: true; state: LifecycleState } | { ok: false; error: Rejection; state: LifecycleState };

export const STATUSES: readonly Status[] = ['created', 'running', 'paused', 'restarting', 'exited', 'dead'];
export const SEED_STATUSES: readonly Status[] = ['created', 'running', 'paused', 'exited', 'dead'];
export const SEED_OPS: readonly Op[] = ['create', 'start', 'pause', 'unpause', 'resume', 'stop', 'kill', 'remove'];

/** SIGKILL's exit status, 128 + 9: what kill leaves behind (seed §19.2). */
export const EXIT_KILLED = 137;

export function initialState(now: Instant): LifecycleState {
  return { status: 'created', exitCode: 0, createdAt: now };
}

/** The seed's validate(): Exited or Dead ⇒ an exit time is recorded. */
export function valid(s: LifecycleState): boolean {
  return s.status === 'exited' || s.status === 'dead' ? s.finishedAt !== undefined : true;
}

/** Final states of the seed's FSA, F = {exited, dead}. */
export function isFinal(s: LifecycleState): boolean {
  return s.status === 'exited' || s.status === 'dead';
}

/** Docker's IsRunning(): a paused or restarting container still counts as running. */
export function isRunning(s: LifecycleState): boolean {
  return s.status === 'running' || s.status === 'paused' || s.status === 'restarting';
}

// ---- the seed's table -------------------------------------------------------------------------

const cap = (x: string) => x.charAt(0).toUpperCase() + x.slice(1);

/** The state as the seed's Rust Debug prints it: `Running`, `Exited(137)`. */
export function seedStateName(s: LifecycleState): string {
  return s.status === 'exited' ? `Exited(${s.exitCode})` : cap(s.status);
}

function enter(s: LifecycleState, status: Status, now: Instant, exitCode = s.exitCode): LifecycleState {
  const next: LifecycleState = { ...s, status, exitCode };
  // A fresh start resets the exit code and start time; a thaw (Paused → Running) keeps both.
  if (status === 'running' && s.status !== 'paused') {
    next.startedAt = now;
    next.exitCode = 0;
  }
  if (status === 'exited') next.finishedAt = now;
  if (status === 'dead' && next.finishedAt === undefined) next.finishedAt = now;
  return next;
}

/**
 * The seed's table, exactly:
 *   (Created, start) → Running      (Running, pause) → Paused     (Running, stop) → Exited(0)
 *   (Running, kill) → Exited(137)   (Paused, unpause|resume) → Running   (Exited(_), remove) → Dead
 * Anything else is refused with "Invalid transition: <state> -> <cmd>" and the state unchanged.
 */
export function seedTransition(s: LifecycleState, cmd: Command, now: Instant): Result {
  const st = s.status;
  switch (cmd.op) {
    case 'start':
      if (st === 'created') return { ok: true, state: enter(s, 'running', now) };
      break;
    case 'pause':
      if (st === 'running') return { ok: true, state: enter(s, 'paused', now) };
      break;
    case 'unpause':
    case 'resume':
      if (st === 'paused') return { ok: true, state: enter(s, 'running', now) };
      break;
    case 'stop':
      if (st === 'running') return { ok: true, state: enter(s, 'exited', now, 0) };
      break;
    case 'kill':
      if (st === 'running') return { ok: true, state: enter(s, 'exited', now, EXIT_KILLED) };
      break;
    case 'remove':
      if (st === 'exited') return { ok: true, state: enter(s, 'dead', now) };
      break;
    default:
      break;
  }
  return {
    ok: false,
    state: s,
    error: { kind: 'invalidTransition', message: `Invalid transition: ${seedStateName(s)} -> ${cap(cmd.op)}` },
  };
}

// ---- Docker's table: the seed's rows plus the extensions ----------------------------------------

const reject = (s: LifecycleState, kind: RejectKind, message: string): Result => ({ ok: false, state: s, error: { kind, message } });

/**
 * The engine's table. `id` is the container ID, which dockerd's messages name.
 *
 * Rows beyond the seed (ext), each as dockerd 20.10 behaves:
 *  - (Exited, start) → Running: `docker start` of a stopped container.
 *  - (Created|Exited, stop) and (Running, start): 304 Not Modified, state unchanged.
 *  - (Paused, stop|kill) → Exited: dockerd signals, then thaws the freezer so the signal lands.
 *  - (Created, remove) → Dead; (Running|Paused|Restarting, remove force) → Dead after a kill;
 *    (Dead, remove) → Dead: a retried removal (Dead is also dockerd's "removal failed" state).
 *  - restart from any state but Dead → Running (stop if running, then start).
 *  - (Running|Paused, exit) → Exited(code), or Restarting(code) when the restart policy says so;
 *    (Restarting, autoRestart) → Running; (Restarting, stop|kill) → Exited: the restart is cancelled.
 *  - startFailed records the exit code (126/127/128) and leaves Created/Exited where it was.
 *  - stop/kill carry the observed exit code when the engine has it; without one the seed's
 *    defaults hold (stop → 0, kill → 137).
 */
export function dockerTransition(s: LifecycleState, cmd: Command, now: Instant, id: string): Result {
  const st = s.status;
  const notRunning = () => reject(s, 'conflict', `Container ${id} is not running`);
  switch (cmd.op) {
    case 'create':
      return reject(s, 'invalidTransition', `Invalid transition: ${seedStateName(s)} -> Create`);
    case 'start':
      if (st === 'paused') return reject(s, 'conflict', 'cannot start a paused container, try unpause instead');
      if (st === 'running' || st === 'restarting') return reject(s, 'notModified', 'Container already started');
      if (st === 'dead') return reject(s, 'conflict', 'container is marked for removal and cannot be started');
      return { ok: true, state: enter(s, 'running', now) };
    case 'autoRestart':
      if (st !== 'restarting') return notRunning();
      return { ok: true, state: enter(s, 'running', now) };
    case 'pause':
      if (!isRunning(s)) return notRunning();
      if (st === 'paused') return reject(s, 'conflict', `Container ${id} is already paused`);
      if (st === 'restarting') return reject(s, 'conflict', `Container ${id} is restarting, wait until the container is running`);
      return { ok: true, state: enter(s, 'paused', now) };
    case 'unpause':
    case 'resume':
      // dockerd returns a plain error here, which the API serves as 500.
      if (st !== 'paused') return reject(s, 'system', `Container ${id} is not paused`);
      return { ok: true, state: enter(s, 'running', now) };
    case 'stop':
      if (!isRunning(s)) return reject(s, 'notModified', 'Container already stopped');
      return { ok: true, state: enter(s, 'exited', now, cmd.exitCode ?? (st === 'running' ? 0 : st === 'paused' ? EXIT_KILLED : s.exitCode)) };
    case 'kill':
      if (!isRunning(s)) return notRunning();
      return { ok: true, state: enter(s, 'exited', now, cmd.exitCode ?? (st === 'restarting' ? s.exitCode : EXIT_KILLED)) };
    case 'remove':
      if (isRunning(s) && !cmd.force) {
        const procedure = 'Stop the container before attempting removal or force remove';
        return reject(
          s,
          'conflict',
          `You cannot remove a ${st} container ${id}. ${st === 'paused' ? 'Unpause and then ' + procedure.toLowerCase() : procedure}`,
        );
      }
      return { ok: true, state: enter(s, 'dead', now, isRunning(s) && st !== 'restarting' ? EXIT_KILLED : s.exitCode) };
    case 'restart':
      if (st === 'dead') return reject(s, 'conflict', 'container is marked for removal and cannot be started');
      return { ok: true, state: enter(s, 'running', now) };
    case 'exit':
      if (st !== 'running' && st !== 'paused') return notRunning();
      return { ok: true, state: enter(s, cmd.restart ? 'restarting' : 'exited', now, cmd.exitCode) };
    case 'startFailed':
      if (st === 'running' || st === 'paused') return reject(s, 'notModified', 'Container already started');
      if (st === 'dead') return reject(s, 'conflict', 'container is marked for removal and cannot be started');
      return { ok: true, state: { ...s, status: st === 'restarting' ? 'exited' : st, exitCode: cmd.exitCode, ...(st === 'restarting' ? { finishedAt: now } : {}) } };
  }
}

/** Docker's State.Status string is the status itself; `docker ps` renders the rest. */
export function describe(s: LifecycleState): string {
  return s.status === 'exited' ? `Exited (${s.exitCode})` : cap(s.status);
}
