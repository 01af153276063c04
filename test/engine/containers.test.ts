// Containers under runc, through the engine's TypeScript API: the lifecycle against the real
// runtime, start failures and what they leave behind, restart policies, limits, and live restore.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { Engine } from '../../src/engine/engine.js';
import type { LogEntry } from '../../src/engine/logs.js';
import { loadBusybox } from './busybox.js';
import { canRunContainers, hostLinks, hostState, natChainsExist, removeTestBridges } from './hoststate.js';
import { removeCgroup } from '../../src/engine/cgroups.js';

const skip = canRunContainers();
let dir = '';
let engine: Engine;
let links: Set<string>;
let nat = false;

before(async () => {
  if (skip) return;
  links = hostLinks();
  nat = natChainsExist();
  dir = mkdtempSync('/tmp/berth-ctr-test-');
  engine = await Engine.open({ dataDir: dir });
  await loadBusybox(engine, [{ tags: ['busybox:latest'] }, { tags: ['term:latest'], cmd: ['sh', '-c', 'trap "exit 3" TERM; while true; do sleep 0.1; done'], stopSignal: 'SIGTERM' }]);
});

after(async () => {
  if (skip) return;
  for (const c of engine.containers.list()) await engine.containers.remove(c.id, { force: true, volumes: true }).catch(() => undefined);
  engine.close();
  rmSync(dir, { recursive: true, force: true });
  removeTestBridges(links, nat);
});

const logsOf = async (id: string): Promise<string> => {
  const out: LogEntry[] = [];
  await engine.containers.logs(id, {}, (e) => out.push(e));
  return out.map((e) => `${e.stream}:${e.line.toString()}`).join('');
};

test('run to completion: output, exit code, state, logs', { skip }, async () => {
  const { Id } = await engine.containers.create({ config: { Image: 'busybox', Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'] }, hostConfig: { NetworkMode: 'none' } });
  const waited = engine.containers.wait(Id, 'next-exit');
  await engine.containers.start(Id);
  assert.deepEqual(await waited, { StatusCode: 3, Error: null });
  const c = engine.containers.get(Id);
  assert.equal(c.rec.State.status, 'exited');
  assert.equal(c.rec.State.exitCode, 3);
  assert.ok(c.rec.State.finishedAt! >= c.rec.State.startedAt!);
  assert.equal(await logsOf(Id), 'stdout:out\nstderr:err\n');
  // start again: the logs accumulate, as dockerd's do
  await engine.containers.start(Id);
  await engine.containers.wait(Id, 'not-running');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await logsOf(Id)).split('\n').length - 1, 4);
  await engine.containers.remove(Id);
  assert.throws(() => engine.containers.get(Id), { message: `No such container: ${Id}` });
});

test('stop honours the stop signal, then SIGKILL after the timeout; kill gives 137', { skip }, async () => {
  const a = await engine.containers.create({ config: { Image: 'term' }, hostConfig: { NetworkMode: 'none' } });
  await engine.containers.start(a.Id);
  await new Promise((r) => setTimeout(r, 200));
  await engine.containers.stop(a.Id, { timeout: 5 });
  assert.equal(engine.containers.get(a.Id).rec.State.exitCode, 3, 'the trap ran');
  const b = await engine.containers.create({ config: { Image: 'busybox', Cmd: ['sleep', '100'] }, hostConfig: { NetworkMode: 'none' } });
  await engine.containers.start(b.Id);
  const t0 = Date.now();
  await engine.containers.stop(b.Id, { timeout: 1 });
  assert.ok(Date.now() - t0 >= 1000, 'waited for the timeout');
  assert.equal(engine.containers.get(b.Id).rec.State.exitCode, 137);
  await engine.containers.start(b.Id);
  await engine.containers.kill(b.Id);
  assert.equal(engine.containers.get(b.Id).rec.State.exitCode, 137);
  await assert.rejects(engine.containers.kill(b.Id), { message: `Cannot kill container: ${b.Id}: Container ${b.Id} is not running` });
  await assert.rejects(engine.containers.stop(b.Id), (e: Error & { kind?: string }) => e.kind === 'notModified');
});

test('a stop waiting out its grace period holds up neither a kill nor a shorter stop (as dockerd)', { skip }, async () => {
  // sleep as PID 1 ignores SIGTERM: a stop waits its whole timeout unless something kills it.
  const { Id } = await engine.containers.create({ config: { Image: 'busybox', Cmd: ['sleep', '100'] }, hostConfig: { NetworkMode: 'none' } });
  await engine.containers.start(Id);
  let t0 = Date.now();
  const long = engine.containers.stop(Id, { timeout: 30 });
  await new Promise((r) => setTimeout(r, 300));
  await engine.containers.kill(Id);
  await long;
  assert.ok(Date.now() - t0 < 10_000, `a kill during a 30 s stop took ${Date.now() - t0} ms`);
  assert.equal(engine.containers.get(Id).rec.State.exitCode, 137);
  await engine.containers.start(Id);
  t0 = Date.now();
  const first = engine.containers.stop(Id, { timeout: 30 });
  await new Promise((r) => setTimeout(r, 300));
  await engine.containers.stop(Id, { timeout: 1 });
  await first;
  const took = Date.now() - t0;
  assert.ok(took >= 1000 && took < 10_000, `a 1 s stop during a 30 s one took ${took} ms`);
  assert.equal(engine.containers.get(Id).rec.State.status, 'exited');
  // A stop whose run ended meanwhile leaves the next run alone: killed by hand, started again.
  await engine.containers.start(Id);
  const stale = engine.containers.stop(Id, { timeout: 1 });
  await new Promise((r) => setTimeout(r, 200));
  await engine.containers.kill(Id);
  await engine.containers.start(Id);
  await stale;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(engine.containers.get(Id).rec.State.status, 'running', 'the stop of the earlier run killed the new one');
  await engine.containers.remove(Id, { force: true });
});

test('pause freezes, unpause thaws; invalid transitions leave the state as it was', { skip }, async () => {
  const { Id } = await engine.containers.create({ config: { Image: 'busybox', Cmd: ['sleep', '100'] }, hostConfig: { NetworkMode: 'none' } });
  await assert.rejects(engine.containers.pause(Id), { message: `Container ${Id} is not running` });
  await engine.containers.start(Id);
  await assert.rejects(engine.containers.start(Id), (e: Error & { kind?: string }) => e.kind === 'notModified');
  await engine.containers.pause(Id);
  assert.equal(readFileSync(`/sys/fs/cgroup/freezer/berth/${Id}/freezer.state`, 'utf8').trim(), 'FROZEN');
  await assert.rejects(engine.containers.pause(Id), { message: `Container ${Id} is already paused` });
  await assert.rejects(engine.containers.start(Id), { message: 'cannot start a paused container, try unpause instead' });
  await assert.rejects(engine.containers.remove(Id), {
    message: `You cannot remove a paused container ${Id}. Unpause and then stop the container before attempting removal or force remove`,
  });
  assert.equal(engine.containers.get(Id).rec.State.status, 'paused');
  await engine.containers.unpause(Id);
  assert.equal(readFileSync(`/sys/fs/cgroup/freezer/berth/${Id}/freezer.state`, 'utf8').trim(), 'THAWED');
  // kill from paused (an extension row): the signal lands once thawed
  await engine.containers.pause(Id);
  await engine.containers.kill(Id);
  assert.equal(engine.containers.get(Id).rec.State.status, 'exited');
  assert.equal(engine.containers.get(Id).rec.State.exitCode, 137);
});

test('start failures get dockerd errors and exit codes, and leave nothing behind', { skip }, async () => {
  const beforeState = hostState(dir);
  const { Id } = await engine.containers.create({ config: { Image: 'busybox', Cmd: ['nosuch'] } });
  await assert.rejects(engine.containers.start(Id), {
    message: 'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown',
  });
  const c = engine.containers.get(Id);
  assert.equal(c.rec.State.status, 'created');
  assert.equal(c.rec.State.exitCode, 127);
  assert.equal(await logsOf(Id), '', "runc's message is not the container's output");
  const u = await engine.containers.create({ config: { Image: 'busybox', Cmd: ['true'], User: 'nobody2' } });
  await assert.rejects(engine.containers.start(u.Id), { message: 'unable to find user nobody2: no matching entries in passwd file' });
  assert.equal(engine.containers.get(u.Id).rec.State.exitCode, 128);
  assert.deepEqual(hostState(dir), beforeState);
  // bad input at create
  await assert.rejects(engine.containers.create({ config: { Image: 'nosuch' } }), { message: 'No such image: nosuch:latest' });
  await assert.rejects(engine.containers.create({ config: { Image: 'busybox' }, hostConfig: { Mounts: [{ Type: 'bind', Source: '/nonexistent/x', Target: '/x' }] } }), {
    message: 'invalid mount config for type "bind": bind source path does not exist: /nonexistent/x',
  });
  await assert.rejects(engine.containers.create({ config: { Image: 'busybox' }, hostConfig: { Memory: 1000 } }), { message: 'Minimum memory limit allowed is 6MB' });
  await assert.rejects(engine.containers.create({ config: { Image: 'busybox' }, hostConfig: { RestartPolicy: { Name: 'sometimes' as 'always' } } }), { message: "invalid restart policy 'sometimes'" });
  await assert.rejects(engine.containers.create({ name: 'bad name', config: { Image: 'busybox' } }), { message: 'Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' });
  // dockerd creates the container and fails its start
  const noNet = await engine.containers.create({ config: { Image: 'busybox' }, hostConfig: { NetworkMode: 'nosuchnet' } });
  await assert.rejects(engine.containers.start(noNet.Id), { message: 'network nosuchnet not found' });
  assert.equal(engine.containers.get(noNet.Id).rec.State.status, 'created');
  await engine.containers.remove(noNet.Id);
  await assert.rejects(engine.containers.create({ config: { Image: 'busybox', Cmd: [], Entrypoint: [''] } }), { message: 'No command specified' });
  assert.deepEqual(hostState(dir), beforeState);
});

test('a bridge network run releases its IP lease, veth, netns and cgroups', { skip }, async () => {
  const beforeState = hostState(dir);
  const { Id } = await engine.containers.create({ config: { Image: 'busybox', Cmd: ['sh', '-c', 'ip -4 addr show eth0 | grep -o "inet [0-9.]*"'] } });
  await engine.containers.start(Id);
  await engine.containers.wait(Id);
  assert.match(await logsOf(Id), /^stdout:inet 172\.17\.0\.\d+\n$/);
  await engine.containers.remove(Id);
  assert.deepEqual(hostState(dir), beforeState);
});

test('limits reach the cgroups: memory, cpus, pids', { skip }, async () => {
  const { Id } = await engine.containers.create({
    config: { Image: 'busybox', Cmd: ['sleep', '100'] },
    hostConfig: { NetworkMode: 'none', Memory: 64 * 1024 * 1024, NanoCpus: 500_000_000, PidsLimit: 50 },
  });
  await engine.containers.start(Id);
  const cg = (s: string, f: string) => readFileSync(`/sys/fs/cgroup/${s}/berth/${Id}/${f}`, 'utf8').trim();
  assert.equal(cg('memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
  assert.equal(cg('cpu', 'cpu.cfs_quota_us'), '50000');
  assert.equal(cg('cpu', 'cpu.cfs_period_us'), '100000');
  assert.equal(cg('pids', 'pids.max'), '50');
  await engine.containers.remove(Id, { force: true });
});

test('a container over its memory limit is OOM-killed: exit 137, State.OOMKilled, an oom event before die, nothing left behind', { skip }, async () => {
  const seen: string[] = [];
  const { Id } = await engine.containers.create({
    config: { Image: 'busybox', Cmd: ['sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived'] },
    hostConfig: { NetworkMode: 'none', Memory: 16 << 20, MemorySwap: 16 << 20 },
  });
  const unsubscribe = engine.events.subscribe((ev) => {
    if (ev.Actor.ID === Id) seen.push(ev.Action);
  });
  await engine.containers.start(Id);
  await engine.containers.wait(Id);
  unsubscribe();
  const st = engine.containers.get(Id).rec.State;
  assert.equal(st.exitCode, 137);
  assert.equal(st.OOMKilled, true);
  assert.deepEqual(seen.filter((a) => a === 'oom' || a === 'die'), ['oom', 'die']);
  assert.doesNotMatch(await logsOf(Id), /survived/);
  await engine.containers.remove(Id);
  // runc kept the stopped container for the OOM count; the clean-up deleted it and its cgroups
  assert.ok(!existsSync(`/sys/fs/cgroup/memory/berth/${Id}`));
  // and a container that stays within its limit is not reported as OOM-killed
  const ok = await engine.containers.create({ config: { Image: 'busybox', Cmd: ['true'] }, hostConfig: { NetworkMode: 'none', Memory: 32 << 20 } });
  await engine.containers.start(ok.Id);
  await engine.containers.wait(ok.Id);
  assert.equal(engine.containers.get(ok.Id).rec.State.OOMKilled, false);
  await engine.containers.remove(ok.Id);
});

test('HostConfig.CgroupParent: the container\'s cgroup is <parent>/<id>, where stats and OOM kills are read; nothing of it stays but the parent', { skip }, async () => {
  const parent = `/berth-cgparent-test-${process.pid}`;
  const made: string[] = [];
  try {
    const { Id } = await engine.containers.create({
      config: { Image: 'busybox', Cmd: ['sh', '-c', 'cat /proc/self/cgroup; sleep 100'] },
      hostConfig: { NetworkMode: 'none', CgroupParent: `${parent}/a/`, Memory: 48 << 20 },
    });
    made.push(Id);
    await engine.containers.start(Id);
    const c = engine.containers.get(Id);
    assert.equal(c.rec.CgroupsPath, `${parent}/a/${Id}`);
    assert.equal(c.rec.HostConfig.CgroupParent, `${parent}/a/`);
    assert.equal(readFileSync(`/sys/fs/cgroup/memory${parent}/a/${Id}/memory.limit_in_bytes`, 'utf8').trim(), String(48 << 20));
    assert.ok(!existsSync(`/sys/fs/cgroup/memory/berth/${Id}`));
    for (let i = 0; i < 50 && !(await logsOf(Id)).includes('memory'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(await logsOf(Id), new RegExp(`:memory:${parent}/a/${Id}\n`));
    assert.match(await logsOf(Id), new RegExp(`:pids:${parent}/a/${Id}\n`));
    const st = engine.containers.stats(Id);
    assert.equal(st.memLimit, 48 << 20);
    assert.ok(st.memUsage > 0 && st.pids >= 1 && st.cpuTotal > 0, JSON.stringify(st));
    await engine.containers.remove(Id, { force: true });
    assert.ok(!existsSync(`/sys/fs/cgroup/memory${parent}/a/${Id}`));
    assert.ok(!existsSync(`/sys/fs/cgroup/cpu${parent}/a/${Id}`));
    // dockerd leaves the parent (it may hold others); an OOM kill under it is seen there
    assert.ok(existsSync(`/sys/fs/cgroup/memory${parent}/a`));
    const oom = await engine.containers.create({
      config: { Image: 'busybox', Cmd: ['sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived'] },
      hostConfig: { NetworkMode: 'none', CgroupParent: `${parent}/b`, Memory: 16 << 20, MemorySwap: 16 << 20 },
    });
    made.push(oom.Id);
    await engine.containers.start(oom.Id);
    await engine.containers.wait(oom.Id);
    assert.equal(engine.containers.get(oom.Id).rec.State.OOMKilled, true);
    await engine.containers.remove(oom.Id);
    assert.ok(!existsSync(`/sys/fs/cgroup/memory${parent}/b/${oom.Id}`));
  } finally {
    for (const id of made) if (engine.containers.find(id)) await engine.containers.remove(id, { force: true });
    // the kernel can hold an OOM-killed container's memory cgroup busy for a moment
    assert.deepEqual(await removeCgroup(parent, 50), []);
  }
});

test('restart policy on-failure:2 restarts twice, then stays exited', { skip }, async () => {
  const { Id } = await engine.containers.create({ config: { Image: 'busybox', Cmd: ['sh', '-c', 'echo run; exit 1'] }, hostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } });
  await engine.containers.start(Id);
  const c = engine.containers.get(Id);
  for (let i = 0; i < 100 && !(c.rec.State.status === 'exited' && c.rec.RestartCount === 2); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(c.rec.State.status, 'exited');
  assert.equal(c.rec.RestartCount, 2);
  assert.equal((await logsOf(Id)).match(/run/g)?.length, 3);
  await engine.containers.remove(Id);
});

test('volumes and binds: data persists in a named volume, a -v bind source is created', { skip }, async () => {
  const host = `${dir}/bindsrc`;
  mkdirSync(`${dir}/ro`);
  writeFileSync(`${dir}/ro/f`, 'ro\n');
  const { Id } = await engine.containers.create({
    config: { Image: 'busybox', Cmd: ['sh', '-c', 'echo v > /data/f; echo b > /b/f; cat /ro/f; echo x > /ro/f || echo ro-denied; mount | grep -c " /t type tmpfs"'] },
    hostConfig: { NetworkMode: 'none', Binds: ['vol1:/data', `${host}:/b`, `${dir}/ro:/ro:ro`], Tmpfs: { '/t': 'size=1m' } },
  });
  await engine.containers.start(Id);
  await engine.containers.wait(Id);
  const logs = await logsOf(Id);
  assert.match(logs, /stdout:ro\n/);
  assert.match(logs, /ro-denied/);
  assert.match(logs, /stdout:1\n/);
  assert.equal(readFileSync(`${host}/f`, 'utf8'), 'b\n');
  assert.equal(readFileSync(`${engine.volumes.get('vol1').Mountpoint}/f`, 'utf8'), 'v\n');
  assert.throws(() => engine.volumes.remove('vol1'), { message: `remove vol1: volume is in use - [${Id}]` });
  await engine.containers.remove(Id);
  engine.volumes.remove('vol1');
});

test('live restore: a new engine over the same data finds the running container, and its logs go on', { skip }, async () => {
  const { Id } = await engine.containers.create({ config: { Image: 'busybox', Cmd: ['sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done'] }, hostConfig: { NetworkMode: 'none' } });
  await engine.containers.start(Id);
  await new Promise((r) => setTimeout(r, 500));
  engine.close(); // as if the engine went away: the shim keeps the container
  await new Promise((r) => setTimeout(r, 600));
  engine = await Engine.open({ dataDir: dir });
  const c = engine.containers.get(Id);
  assert.equal(c.rec.State.status, 'running');
  await new Promise((r) => setTimeout(r, 500));
  const ticks = (await logsOf(Id)).match(/tick (\d+)/g)!.map((t) => Number(t.split(' ')[1]));
  assert.ok(ticks.length >= 5, `ticks: ${ticks.join(',')}`);
  assert.deepEqual(ticks, ticks.map((_, i) => i), 'no line lost or repeated');
  await engine.containers.stop(Id, { timeout: 0 });
  assert.equal(engine.containers.get(Id).rec.State.exitCode, 137);
  await engine.containers.remove(Id);
});
