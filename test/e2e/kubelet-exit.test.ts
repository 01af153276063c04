// End to end: a node that removes its pods on exit (what `berth up` does on Ctrl-C) leaves no
// container, mount, network namespace or cgroup behind, and its pods start afresh when it comes back.
import { readFileSync } from 'node:fs';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { eventually, kubectl, which } from './cluster.js';
import { startNodeServer, type NodeServer } from './node.js';
import { canRunContainers, cgroupTree, hostState } from '../engine/hoststate.js';

const skip = canRunContainers() ?? (which('kubectl') ? undefined : 'needs kubectl');
if (skip) process.stdout.write(`# skipping kubelet exit end-to-end test: ${skip}\n`);

let node: NodeServer;
let netnsBefore: string[] = [];

before(async () => {
  if (skip) return;
  netnsBefore = hostState('/nonexistent').netns;
  node = await startNodeServer('exit', ['--remove-pods-on-exit']);
});

after(async () => {
  if (skip) return;
  await node?.stop();
});

test('stopping the node stops and removes its pods\' containers; they start afresh when it is back', { skip }, async () => {
  const k = (args: string[]) => kubectl(node.server.kubeconfig, args);
  const containerID = async () => {
    const r = await k(['get', 'pod', 'bb', '-o', 'jsonpath={.status.phase} {.status.containerStatuses[0].containerID}']);
    const [phase, id] = r.stdout.split(' ');
    return phase === 'Running' && id ? id : undefined;
  };
  assert.equal((await k(['run', 'bb', '--image=busybox:1.36', '--', 'sleep', '3600'])).code, 0);
  const first = await eventually(containerID, 30_000, 'pod bb Running');
  const engineDir = join(node.dataDir, 'engine');

  await node.server.stop();
  const engine = await Engine.open({ dataDir: engineDir });
  try {
    assert.deepEqual(engine.containers.list().map((c) => c.rec.Name), [], 'no container left in the engine');
  } finally {
    engine.close();
  }
  const left = hostState(engineDir);
  assert.deepEqual(left.mounts, []);
  // nor the pod's volumes (its service-account token is a tmpfs)
  const podMounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(node.dataDir));
  assert.deepEqual(podMounts, [], 'no pod volume left mounted');
  assert.deepEqual(left.netns, netnsBefore, 'no pod network namespace left');
  // nor any cgroup: the pods', the QoS tiers, kubepods and the kubelet's root
  assert.deepEqual(cgroupTree(node.cgroupRoot), [], 'no kubelet cgroup left');

  await node.restart();
  const second = await eventually(containerID, 30_000, 'pod bb Running again');
  assert.notEqual(second, first);
  const uid = (await k(['get', 'pod', 'bb', '-o', 'jsonpath={.metadata.uid}'])).stdout;
  assert.ok(cgroupTree(node.cgroupRoot).includes(`memory:${node.cgroupRoot}/kubepods/besteffort/pod${uid}/${second.replace('berth://', '')}`), 'back in its pod cgroup');
});
