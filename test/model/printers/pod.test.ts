// The pods table: columns, READY/STATUS/RESTARTS logic and the wide columns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printTable } from '../../../src/model/printers/index.js';

const now = Date.parse('2024-03-01T12:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString().replace('.000Z', 'Z');
const min = 60_000;

function pod(status: Record<string, unknown>, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) {
  return {
    metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(10 * min), ...meta },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
    status,
  };
}

const row = (p: unknown, wide = false) => printTable('', 'Pod', [p], { now, wide }).rows![0]!;
const cells = (p: unknown) => row(p).cells;
const running = { running: { startedAt: ago(9 * min) } };

test('pod columns as upstream defines them', () => {
  const t = printTable('', 'Pod', [], { now });
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.rows, []);
  assert.deepEqual(
    t.columnDefinitions!.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0], ['Ready', 'string', '', 0], ['Status', 'string', '', 0], ['Restarts', 'string', '', 0],
      ['Age', 'string', '', 0], ['IP', 'string', '', 1], ['Node', 'string', '', 1], ['Nominated Node', 'string', '', 1],
      ['Readiness Gates', 'string', '', 1],
    ],
  );
  assert.match(t.columnDefinitions![0]!.description, /^Name must be unique within a namespace/);
  assert.deepEqual(printTable('', 'Pod', [], { now, wide: false }).columnDefinitions!.length, 5);
  assert.equal(printTable('', 'Pod', [], { now, noHeaders: true }).columnDefinitions, null);
});

test('running, pending and container-creating pods', () => {
  assert.deepEqual(cells(pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] })), ['web', '1/1', 'Running', '0', '10m']);
  assert.deepEqual(cells(pod({ phase: 'Pending' })), ['web', '0/1', 'Pending', '0', '10m']);
  assert.deepEqual(cells(pod({ phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] })).slice(1, 3), ['0/1', 'ContainerCreating']);
  assert.equal(cells(pod({ phase: 'Running', reason: 'Evicted' }))[2], 'Evicted');
});

test('crash loops show restarts with the time since the last one', () => {
  const p = pod({
    phase: 'Running',
    containerStatuses: [{ name: 'app', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5 * min) } } }],
  });
  assert.deepEqual(cells(p), ['web', '0/1', 'CrashLoopBackOff', '5 (5m ago)', '10m']);
  const noDate = pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 2, state: running }] });
  assert.equal(cells(noDate)[3], '2');
});

test('completed and failed pods carry row conditions', () => {
  const done = row(pod({ phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }));
  assert.deepEqual(done.cells.slice(1, 3), ['0/1', 'Completed']);
  assert.deepEqual(done.conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  const err = row(pod({ phase: 'Failed', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] }));
  assert.equal(err.cells[2], 'Error');
  assert.deepEqual(err.conditions, [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }]);
  assert.equal(cells(pod({ phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 137, signal: 9 } } }] }))[2], 'Signal:9');
  assert.equal(cells(pod({ phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 3 } } }] }))[2], 'ExitCode:3');
});

test('a completed container beside a running one reads Running or NotReady', () => {
  const spec = { containers: [{ name: 'a' }, { name: 'b' }] };
  const statuses = [
    { name: 'a', ready: true, state: running },
    { name: 'b', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
  ];
  assert.deepEqual(cells(pod({ phase: 'Running', containerStatuses: statuses, conditions: [{ type: 'Ready', status: 'True' }] }, spec)).slice(1, 3), ['1/2', 'Running']);
  assert.deepEqual(cells(pod({ phase: 'Running', containerStatuses: statuses }, spec)).slice(1, 3), ['1/2', 'NotReady']);
});

test('init containers: Init:n/m, Init:<reason>, exit codes, PodInitializing', () => {
  const spec = { initContainers: [{ name: 'i1' }, { name: 'i2' }] };
  const doneInit = { name: 'i1', state: { terminated: { exitCode: 0, reason: 'Completed' } } };
  assert.equal(cells(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: running }, { name: 'i2', state: { waiting: { reason: 'PodInitializing' } } }] }, spec))[2], 'Init:0/2');
  assert.equal(cells(pod({ phase: 'Pending', initContainerStatuses: [doneInit, { name: 'i2', state: running }] }, spec))[2], 'Init:1/2');
  assert.equal(cells(pod({ phase: 'Pending', initContainerStatuses: [doneInit, { name: 'i2', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, spec))[2], 'Init:CrashLoopBackOff');
  assert.equal(cells(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }, spec))[2], 'Init:Error');
  assert.equal(cells(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 2 } } }] }, spec))[2], 'Init:ExitCode:2');
  assert.equal(cells(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 1, signal: 15 } } }] }, spec))[2], 'Init:Signal:15');
  const initDone = pod(
    { phase: 'Pending', initContainerStatuses: [doneInit, { ...doneInit, name: 'i2' }], containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }] },
    spec,
  );
  assert.equal(cells(initDone)[2], 'PodInitializing');
  // Restarts of a failed init container count while initializing.
  assert.equal(cells(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, spec))[3], '4');
});

test('sidecar init containers count toward READY and RESTARTS', () => {
  const spec = { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] };
  const p = pod(
    {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [{ name: 'proxy', started: true, ready: true, restartCount: 1, state: running, lastState: { terminated: { exitCode: 1, finishedAt: ago(2 * min) } } }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }],
    },
    spec,
  );
  assert.deepEqual(cells(p), ['web', '2/2', 'Running', '1 (2m ago)', '10m']);
});

test('terminating, node-lost and scheduling-gated pods', () => {
  const deleting = { deletionTimestamp: ago(min) };
  assert.equal(cells(pod({ phase: 'Running' }, {}, deleting))[2], 'Terminating');
  assert.equal(cells(pod({ phase: 'Succeeded' }, {}, deleting))[2], 'Succeeded');
  assert.equal(cells(pod({ phase: 'Running', reason: 'NodeLost' }, {}, deleting))[2], 'Unknown');
  assert.equal(cells(pod({ phase: 'Running', reason: 'NodeLost' }))[2], 'NodeLost');
  assert.equal(cells(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }))[2], 'SchedulingGated');
});

test('wide columns: IP, node, nominated node, readiness gates', () => {
  const p = pod(
    { phase: 'Running', podIP: '10.0.0.9', podIPs: [{ ip: '10.0.0.9' }], conditions: [{ type: 'example.com/ready', status: 'True' }] },
    { nodeName: 'node-1', readinessGates: [{ conditionType: 'example.com/ready' }, { conditionType: 'example.com/other' }] },
  );
  assert.deepEqual(row(p, true).cells.slice(5), ['10.0.0.9', 'node-1', '<none>', '1/2']);
  assert.deepEqual(row(pod({ phase: 'Pending' }), true).cells.slice(5), ['<none>', '<none>', '<none>', '<none>']);
});

test('row objects follow includeObject', () => {
  const p = pod({ phase: 'Pending' });
  assert.deepEqual(printTable('', 'Pod', [p], { now }).rows![0]!.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: p.metadata });
  assert.equal(printTable('', 'Pod', [p], { now, includeObject: 'Object' }).rows![0]!.object, p);
  assert.equal(printTable('', 'Pod', [p], { now, includeObject: 'None' }).rows![0]!.object, null);
  const t = printTable('', 'Pod', [p], { now, listMeta: { resourceVersion: '42', continue: '' } });
  assert.deepEqual(t.metadata, { resourceVersion: '42' });
});
