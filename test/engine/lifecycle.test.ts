// The container state machine over every state × command pair, for the seed's table (seed 004
// A-1, P-1..P-3) and for the Docker-extended table the engine runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  dockerTransition,
  initialState,
  seedTransition,
  valid,
  STATUSES,
  SEED_STATUSES,
  type Command,
  type LifecycleState,
  type Op,
  type Status,
} from '../../src/engine/lifecycle.js';

const ID = 'c0ffee';
const T0 = 1_000;
const NOW = 5_000;

function stateOf(status: Status, exitCode = status === 'exited' ? 3 : 0): LifecycleState {
  const s: LifecycleState = { status, exitCode, createdAt: T0 };
  if (status !== 'created') s.startedAt = T0 + 1;
  if (status === 'exited' || status === 'dead') s.finishedAt = T0 + 2;
  return s;
}

const ALL_COMMANDS: Command[] = [
  { op: 'create' },
  { op: 'start' },
  { op: 'pause' },
  { op: 'unpause' },
  { op: 'resume' },
  { op: 'stop' },
  { op: 'kill' },
  { op: 'remove' },
  { op: 'remove', force: true },
  { op: 'restart' },
  { op: 'exit', exitCode: 2 },
  { op: 'exit', exitCode: 1, restart: true },
  { op: 'startFailed', exitCode: 127 },
  { op: 'autoRestart' },
];

const label = (c: Command) =>
  c.op + ('force' in c && c.force ? ' -f' : '') + ('restart' in c && c.restart ? ' (restart)' : '');

// ---- the seed's table -----------------------------------------------------------------------

const SEED_EXPECTED: Record<string, string> = {
  'created start': 'running:0',
  'running pause': 'paused:0',
  'running stop': 'exited:0',
  'running kill': 'exited:137',
  'paused unpause': 'running:0',
  'paused resume': 'running:0',
  'exited remove': 'dead:3',
};

test('seed table: every state × command pair', () => {
  let legal = 0;
  for (const status of SEED_STATUSES) {
    for (const op of ['create', 'start', 'pause', 'unpause', 'resume', 'stop', 'kill', 'remove'] as Op[]) {
      const s = stateOf(status);
      const r = seedTransition(s, { op } as Command, NOW);
      const want = SEED_EXPECTED[`${status} ${op}`];
      if (want) {
        legal++;
        assert.ok(r.ok, `${status} ${op} should be legal`);
        assert.equal(`${r.state.status}:${r.state.exitCode}`, want, `${status} ${op}`);
        assert.ok(valid(r.state));
      } else {
        assert.ok(!r.ok, `${status} ${op} should be rejected`);
        assert.deepEqual(r.state, s, 'state unchanged on rejection');
        assert.equal(r.error.kind, 'invalidTransition');
        const name = status === 'exited' ? 'Exited(3)' : status[0]!.toUpperCase() + status.slice(1);
        assert.equal(r.error.message, `Invalid transition: ${name} -> ${op[0]!.toUpperCase()}${op.slice(1)}`);
      }
    }
  }
  assert.equal(legal, 7, 'six transitions, seven counting unpause and resume apart');
});

test('seed: entering Exited records the exit time; Dead is terminal; Exited only accepts remove', () => {
  const r = seedTransition(stateOf('running'), { op: 'kill' }, NOW);
  assert.ok(r.ok);
  assert.equal(r.state.finishedAt, NOW);
  for (const op of ['create', 'start', 'pause', 'unpause', 'resume', 'stop', 'kill', 'remove'] as Op[]) {
    assert.ok(!seedTransition(stateOf('dead'), { op } as Command, NOW).ok, `dead ${op}`);
    if (op !== 'remove') assert.ok(!seedTransition(stateOf('exited'), { op } as Command, NOW).ok, `exited ${op}`);
  }
  assert.equal(seedTransition(initialState(T0), { op: 'start' }, NOW).ok, true);
  assert.equal(initialState(T0).status, 'created');
});

// ---- Docker's table -------------------------------------------------------------------------

// Expected outcome per (state, command): "status:exitCode" for an accepted command, or
// "!kind message" for a rejection (message with {id} for the container ID).
const NOT_RUNNING = '!conflict Container {id} is not running';
const NOT_PAUSED = '!system Container {id} is not paused';
const NOT_MODIFIED_STARTED = '!notModified Container already started';
const NOT_MODIFIED_STOPPED = '!notModified Container already stopped';
const MARKED = '!conflict container is marked for removal and cannot be started';
const CREATE = '!invalidTransition Invalid transition: {state} -> Create';

const DOCKER_EXPECTED: Record<Status, Record<string, string>> = {
  created: {
    create: CREATE,
    start: 'running:0',
    pause: NOT_RUNNING,
    unpause: NOT_PAUSED,
    resume: NOT_PAUSED,
    stop: NOT_MODIFIED_STOPPED,
    kill: NOT_RUNNING,
    remove: 'dead:0',
    'remove -f': 'dead:0',
    restart: 'running:0',
    exit: NOT_RUNNING,
    'exit (restart)': NOT_RUNNING,
    startFailed: 'created:127',
    autoRestart: NOT_RUNNING,
  },
  running: {
    create: CREATE,
    start: NOT_MODIFIED_STARTED,
    pause: 'paused:0',
    unpause: NOT_PAUSED,
    resume: NOT_PAUSED,
    stop: 'exited:0',
    kill: 'exited:137',
    remove:
      '!conflict You cannot remove a running container {id}. Stop the container before attempting removal or force remove',
    'remove -f': 'dead:137',
    restart: 'running:0',
    exit: 'exited:2',
    'exit (restart)': 'restarting:1',
    startFailed: NOT_MODIFIED_STARTED,
    autoRestart: NOT_RUNNING,
  },
  paused: {
    create: CREATE,
    start: '!conflict cannot start a paused container, try unpause instead',
    pause: '!conflict Container {id} is already paused',
    unpause: 'running:0',
    resume: 'running:0',
    stop: 'exited:137',
    kill: 'exited:137',
    remove:
      '!conflict You cannot remove a paused container {id}. Unpause and then stop the container before attempting removal or force remove',
    'remove -f': 'dead:137',
    restart: 'running:0',
    exit: 'exited:2',
    'exit (restart)': 'restarting:1',
    startFailed: NOT_MODIFIED_STARTED,
    autoRestart: NOT_RUNNING,
  },
  restarting: {
    create: CREATE,
    start: NOT_MODIFIED_STARTED,
    pause: '!conflict Container {id} is restarting, wait until the container is running',
    unpause: NOT_PAUSED,
    resume: NOT_PAUSED,
    stop: 'exited:0',
    kill: 'exited:0',
    remove:
      '!conflict You cannot remove a restarting container {id}. Stop the container before attempting removal or force remove',
    'remove -f': 'dead:0',
    restart: 'running:0',
    exit: NOT_RUNNING,
    'exit (restart)': NOT_RUNNING,
    startFailed: 'exited:127',
    autoRestart: 'running:0',
  },
  exited: {
    create: CREATE,
    start: 'running:0',
    pause: NOT_RUNNING,
    unpause: NOT_PAUSED,
    resume: NOT_PAUSED,
    stop: NOT_MODIFIED_STOPPED,
    kill: NOT_RUNNING,
    remove: 'dead:3',
    'remove -f': 'dead:3',
    restart: 'running:0',
    exit: NOT_RUNNING,
    'exit (restart)': NOT_RUNNING,
    startFailed: 'exited:127',
    autoRestart: NOT_RUNNING,
  },
  dead: {
    create: CREATE,
    start: MARKED,
    pause: NOT_RUNNING,
    unpause: NOT_PAUSED,
    resume: NOT_PAUSED,
    stop: NOT_MODIFIED_STOPPED,
    kill: NOT_RUNNING,
    remove: 'dead:0',
    'remove -f': 'dead:0',
    restart: MARKED,
    exit: NOT_RUNNING,
    'exit (restart)': NOT_RUNNING,
    startFailed: MARKED,
    autoRestart: NOT_RUNNING,
  },
};

test('docker table: every state × command pair', () => {
  let cells = 0;
  for (const status of STATUSES) {
    for (const cmd of ALL_COMMANDS) {
      cells++;
      const s = stateOf(status);
      const want = DOCKER_EXPECTED[status][label(cmd)];
      assert.ok(want, `no expectation for ${status} ${label(cmd)}`);
      const r = dockerTransition(s, cmd, NOW, ID);
      const where = `${status} × ${label(cmd)}`;
      if (want.startsWith('!')) {
        assert.ok(!r.ok, `${where} should be rejected`);
        assert.deepEqual(r.state, s, `${where}: state unchanged`);
        const sp = want.indexOf(' ');
        assert.equal(r.error.kind, want.slice(1, sp), where);
        const stateName = status === 'exited' ? 'Exited(3)' : status[0]!.toUpperCase() + status.slice(1);
        assert.equal(r.error.message, want.slice(sp + 1).replaceAll('{id}', ID).replace('{state}', stateName), where);
      } else {
        assert.ok(r.ok, `${where} should be accepted: ${!r.ok ? r.error.message : ''}`);
        assert.equal(`${r.state.status}:${r.state.exitCode}`, want, where);
        assert.ok(valid(r.state), `${where}: invariant`);
      }
    }
  }
  assert.equal(cells, STATUSES.length * ALL_COMMANDS.length);
});

test('docker table keeps every seed transition', () => {
  for (const status of SEED_STATUSES) {
    for (const op of ['start', 'pause', 'unpause', 'resume', 'stop', 'kill', 'remove'] as Op[]) {
      const seed = seedTransition(stateOf(status), { op } as Command, NOW);
      if (!seed.ok) continue;
      const docker = dockerTransition(stateOf(status), { op } as Command, NOW, ID);
      assert.ok(docker.ok, `${status} ${op}`);
      assert.deepEqual(docker.state, seed.state, `${status} ${op}`);
    }
  }
});

test('observed exit codes override the seed defaults; a thaw keeps the start time', () => {
  const r = dockerTransition(stateOf('running'), { op: 'stop', exitCode: 143 }, NOW, ID);
  assert.ok(r.ok && r.state.exitCode === 143 && r.state.finishedAt === NOW);
  const p = dockerTransition(stateOf('paused'), { op: 'unpause' }, NOW, ID);
  assert.ok(p.ok && p.state.startedAt === T0 + 1);
  const s = dockerTransition(stateOf('exited'), { op: 'start' }, NOW, ID);
  assert.ok(s.ok && s.state.startedAt === NOW && s.state.exitCode === 0);
});

const arbCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.constantFrom<Command>(...ALL_COMMANDS),
  fc.record({ op: fc.constant('stop' as const), exitCode: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('exit' as const), exitCode: fc.integer({ min: 0, max: 255 }), restart: fc.boolean() }),
);

test('property: the invariant holds after any command sequence; rejections change nothing', () => {
  for (const table of ['seed', 'docker'] as const) {
    fc.assert(
      fc.property(fc.array(arbCommand, { maxLength: 40 }), (cmds) => {
        let s = initialState(0);
        let t = 0;
        for (const c of cmds) {
          t += 10;
          const r = table === 'seed' ? seedTransition(s, c, t) : dockerTransition(s, c, t, ID);
          if (!r.ok) assert.deepEqual(r.state, s);
          s = r.state;
          assert.ok(valid(s), `invariant after ${c.op}`);
        }
      }),
      { numRuns: 300 },
    );
  }
});
