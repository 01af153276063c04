// Bad input and failing runs: each gets dockerd's error, leaves the container's state as it was,
// and leaves nothing on the host (mounts, cgroups, network namespaces, veths, IP leases, NAT
// rules), checked by listing them before and after. The runc failures happen after the root
// filesystem, the network (a user network with a published port) and the cgroups were set up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { parseUintList } from '../../src/engine/config.js';
import type { CreateRequest, HostConfig } from '../../src/engine/config.js';
import { loadBusybox } from './busybox.js';
import { canRunContainers, hostLinks, hostState, natChainsExist, removeTestBridges } from './hoststate.js';

const skip = canRunContainers();
let dir = '';
let engine: Engine;
let links: Set<string>;
let nat = false;
const NET = 'failnet';

before(async () => {
  if (skip) return;
  links = hostLinks();
  nat = natChainsExist();
  dir = mkdtempSync('/tmp/berth-fail-test-');
  engine = await Engine.open({ dataDir: dir });
  await loadBusybox(engine);
  engine.network.create({ Name: NET, IPAM: { Config: [{ Subnet: '10.241.7.0/24' }] } });
});

after(async () => {
  if (skip) return;
  for (const c of engine.containers.list()) await engine.containers.remove(c.id, { force: true, volumes: true }).catch(() => undefined);
  await engine.network.remove(NET).catch(() => undefined);
  engine.close();
  rmSync(dir, { recursive: true, force: true });
  removeTestBridges(links, nat);
});

const onNet = (cmd: string[], extra: HostConfig = {}, ip?: string): CreateRequest => ({
  config: { Image: 'busybox', Cmd: cmd, ExposedPorts: { '80/tcp': {} } },
  hostConfig: { NetworkMode: NET, ...extra },
  networkingConfig: { EndpointsConfig: { [NET]: ip ? { IPAMConfig: { IPv4Address: ip } } : {} } },
});

/** Runs `fail` and checks that the host looks exactly as before it. */
async function leavesNothing(fail: () => Promise<void>): Promise<void> {
  const before = hostState(dir);
  await fail();
  assert.deepEqual(hostState(dir), before);
}

const containerDirs = () => readdirSync(join(dir, 'containers')).filter((d) => !d.startsWith('.')).length;

test('create-time bad option values get dockerd messages and create nothing', { skip }, async () => {
  const n = containerDirs();
  const bad: [HostConfig, string | RegExp][] = [
    [{ Memory: 1000 }, 'Minimum memory limit allowed is 6MB'],
    [{ Memory: 64 << 20, MemorySwap: 32 << 20 }, 'Minimum memoryswap limit should be larger than memory limit, see usage'],
    [{ MemorySwappiness: 200 }, 'Invalid value: 200, valid memory swappiness range is 0-100'],
    [{ NanoCpus: 1_000_000_000_000 }, /^Range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available$/],
    [{ CpuPeriod: 10 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)'],
    [{ BlkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000'],
    [{ OomScoreAdj: 2000 }, 'Invalid value 2000, range for oom score adj is [-1000, 1000]'],
    [{ CpusetCpus: '99' }, /^Requested CPUs are not available - requested 99, available: [\d,-]+$/],
    [{ CpusetCpus: '1-x' }, 'Invalid value 1-x for cpuset cpus: invalid format: 1-x'],
    [{ CpusetMems: '7' }, /^Requested memory nodes are not available - requested 7, available: [\d,-]+$/],
    [{ RestartPolicy: { Name: 'always' }, AutoRemove: true }, "can't create 'AutoRemove' container with restart policy"],
    [{ PortBindings: { '80000/tcp': [{ HostPort: '80' }] } }, 'invalid port specification: "80000"'],
  ];
  for (const [hostConfig, message] of bad) {
    await assert.rejects(engine.containers.create({ config: { Image: 'busybox', Cmd: ['true'] }, hostConfig }), (e: Error & { kind?: string }) => {
      assert.equal(e.kind, 'invalidParameter', e.message);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    });
  }
  assert.equal(containerDirs(), n);
});

test('parseUintList reads cpuset lists as dockerd does', () => {
  assert.deepEqual([...parseUintList('0-2,5')], [0, 1, 2, 5]);
  assert.deepEqual([...parseUintList('')], []);
  assert.throws(() => parseUintList('3-1'), { message: 'invalid format: 3-1' });
  assert.throws(() => parseUintList('a'), { message: 'invalid format: a' });
  assert.throws(() => parseUintList('9000', 8192), { message: 'value of out range, maximum is 8192' });
});

test('runc failing after the network is up (user network, published port) leaves no lease, veth, rule or mount', { skip }, async () => {
  await leavesNothing(async () => {
    const { Id } = await engine.containers.create(onNet(['nosuch'], { PortBindings: { '80/tcp': [{ HostPort: '18971' }] } }));
    await assert.rejects(engine.containers.start(Id), {
      message: 'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown',
    });
    const c = engine.containers.get(Id);
    assert.equal(c.rec.State.status, 'created');
    assert.equal(c.rec.State.exitCode, 127);
    assert.deepEqual(c.rec.Networks, {});
    await engine.containers.remove(Id);
  });
});

test('runc failing on a mount and on a sysctl: dockerd-shaped errors, nothing left', { skip }, async () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  await leavesNothing(async () => {
    const m = await engine.containers.create({ config: { Image: 'busybox', Cmd: ['true'] }, hostConfig: { NetworkMode: NET, Binds: [`${file}:/bin`] } });
    await assert.rejects(engine.containers.start(m.Id), { message: /^failed to create shim task: OCI runtime create failed: runc create failed: .*not a directory: unknown: Are you trying to mount a directory onto a file \(or vice-versa\)\? Check if the specified host path exists and is the expected type$/ });
    assert.equal(engine.containers.get(m.Id).rec.State.status, 'created');
    await engine.containers.remove(m.Id);
    const s = await engine.containers.create({ config: { Image: 'busybox', Cmd: ['true'] }, hostConfig: { Sysctls: { 'net.ipv4.no_such_sysctl': '1' } } });
    await assert.rejects(engine.containers.start(s.Id), { message: /^failed to create shim task: OCI runtime create failed: runc create failed: .*no_such_sysctl.*: unknown$/ });
    assert.equal(engine.containers.get(s.Id).rec.State.status, 'created');
    await engine.containers.remove(s.Id);
  });
});

test('a host port or a static address already taken: the second container fails and leaves nothing', { skip }, async () => {
  const a = await engine.containers.create(onNet(['sleep', '100'], { PortBindings: { '80/tcp': [{ HostPort: '18972' }] } }, '10.241.7.50'));
  await engine.containers.start(a.Id);
  await leavesNothing(async () => {
    const port = await engine.containers.create(onNet(['sleep', '100'], { PortBindings: { '80/tcp': [{ HostPort: '18972' }] } }));
    await assert.rejects(engine.containers.start(port.Id), { message: /^driver failed programming external connectivity on endpoint [a-z_]+ \([0-9a-f]{64}\): Bind for 0\.0\.0\.0:18972 failed: port is already allocated$/ });
    const ip = await engine.containers.create(onNet(['sleep', '100'], {}, '10.241.7.50'));
    await assert.rejects(engine.containers.start(ip.Id), { message: 'Address already in use' });
    for (const id of [port.Id, ip.Id]) {
      assert.equal(engine.containers.get(id).rec.State.status, 'created');
      await engine.containers.remove(id);
    }
  });
  await engine.containers.remove(a.Id, { force: true });
});

test('invalid state transitions change neither the container nor the host', { skip }, async () => {
  const { Id } = await engine.containers.create(onNet(['sleep', '100']));
  const stateOf = () => engine.containers.get(Id).rec.State.status;
  const kindOf = (kind: string) => (e: Error & { kind?: string }) => e.kind === kind;
  await leavesNothing(async () => {
    await assert.rejects(engine.containers.pause(Id), { message: `Container ${Id} is not running` });
    await assert.rejects(engine.containers.unpause(Id), { message: `Container ${Id} is not paused` });
    await assert.rejects(engine.containers.kill(Id), { message: `Cannot kill container: ${Id}: Container ${Id} is not running` });
    assert.equal(stateOf(), 'created');
  });
  await engine.containers.start(Id);
  await leavesNothing(async () => {
    await assert.rejects(engine.containers.start(Id), kindOf('notModified'));
    await assert.rejects(engine.containers.unpause(Id), { message: `Container ${Id} is not paused` });
    await assert.rejects(engine.containers.remove(Id), kindOf('conflict'));
    assert.equal(stateOf(), 'running');
    await engine.containers.pause(Id);
    await assert.rejects(engine.containers.pause(Id), { message: `Container ${Id} is already paused` });
    await assert.rejects(engine.containers.start(Id), { message: 'cannot start a paused container, try unpause instead' });
    await assert.rejects(engine.containers.remove(Id), kindOf('conflict'));
    assert.equal(stateOf(), 'paused');
    await engine.containers.unpause(Id);
  });
  await engine.containers.remove(Id, { force: true });
});

test('a restart policy whose restarts fail settles to exited with nothing left', { skip }, async () => {
  await leavesNothing(async () => {
    const { Id } = await engine.containers.create({ ...onNet(['sh', '-c', 'exit 1']), hostConfig: { NetworkMode: NET, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } });
    await engine.containers.start(Id);
    const c = engine.containers.get(Id);
    for (let i = 0; i < 100 && !(c.rec.State.status === 'exited' && c.rec.RestartCount === 2 && !c.exiting); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.rec.State.status, 'exited');
    assert.equal(c.rec.RestartCount, 2);
    await engine.containers.remove(Id);
  });
});
