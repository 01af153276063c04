// The cgroup path arithmetic and resource files of engine/cgroups.ts, pure; and, as root on this
// host, a cgroup made, sized, read back and removed in every hierarchy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import {
  cgroupDirIn,
  cgroupDirs,
  cgroupExists,
  cgroupVersion,
  childCgroups,
  cleanCgroupPath,
  containerCgroupsPath,
  cpuSharesToWeight,
  createCgroup,
  parseHierarchies,
  parseProcCgroup,
  readCgroupFile,
  removeCgroup,
  v1Writes,
  v2Writes,
  type Hierarchy,
} from '../../src/engine/cgroups.js';

test('a container cgroups path is filepath.Join(parent, id) as runc cleans it', () => {
  assert.equal(containerCgroupsPath('/berth', 'abc'), '/berth/abc');
  assert.equal(containerCgroupsPath('/kubepods/burstable/pod1/', 'abc'), '/kubepods/burstable/pod1/abc');
  assert.equal(containerCgroupsPath('/a/../b//c/.', 'abc'), '/b/c/abc');
  // relative parents stay relative, and cannot climb out (runc's CleanPath)
  assert.equal(containerCgroupsPath('rel/x/', 'abc'), 'rel/x/abc');
  assert.equal(containerCgroupsPath('../../up', 'abc'), 'up/abc');
  assert.equal(containerCgroupsPath('/', 'abc'), '/abc');
  assert.equal(cleanCgroupPath(''), '');
  assert.equal(cleanCgroupPath('..'), '.');
});

test('mountinfo: one hierarchy per controller set, v1 and the cgroup2 mount beside', () => {
  const mi = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
    '33 31 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '34 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
    '35 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate',
    '90 80 0:30 /x /mnt/again/memory rw,relatime - cgroup cgroup rw,memory',
  ].join('\n');
  const hs = parseHierarchies(mi, ['cpu', 'cpuacct', 'memory', 'pids']);
  assert.deepEqual(
    hs.map((h) => [h.mountPoint, h.version, h.controllers.join(',')]),
    [
      ['/sys/fs/cgroup/cpu,cpuacct', 1, 'cpu,cpuacct'],
      ['/sys/fs/cgroup/memory', 1, 'memory'],
      ['/sys/fs/cgroup/systemd', 1, 'name=systemd'],
      ['/sys/fs/cgroup/unified', 2, ''],
    ],
  );
  const own = parseProcCgroup('12:cpu,cpuacct:/\n4:memory:/process_api/x\n1:name=systemd:/\n0::/\n');
  assert.equal(own.get('cpuacct'), '/');
  assert.equal(own.get('memory'), '/process_api/x');
  assert.equal(own.get(''), '/');
});

test('directories: absolute from the top, relative from the asker\'s cgroup (its parent on pure v2)', () => {
  const mem: Hierarchy = { mountPoint: '/sys/fs/cgroup/memory', root: '/', version: 1, controllers: ['memory'] };
  assert.equal(cgroupDirIn(mem, '/berth/abc', '/process_api/x', false), '/sys/fs/cgroup/memory/berth/abc');
  assert.equal(cgroupDirIn(mem, 'rel/abc', '/process_api/x', false), '/sys/fs/cgroup/memory/process_api/x/rel/abc');
  const v2: Hierarchy = { mountPoint: '/sys/fs/cgroup', root: '/', version: 2, controllers: [] };
  assert.equal(cgroupDirIn(v2, 'rel/abc', '/system.slice/berth.service', true), '/sys/fs/cgroup/system.slice/rel/abc');
  assert.equal(cgroupDirIn(v2, '/berth/kubepods', '/system.slice/berth.service', true), '/sys/fs/cgroup/berth/kubepods');
  // a mount that shows a sub-cgroup at its top (inside a container)
  const inner: Hierarchy = { mountPoint: '/sys/fs/cgroup/cpu', root: '/docker/c1', version: 1, controllers: ['cpu'] };
  assert.equal(cgroupDirIn(inner, '/docker/c1/berth/abc', undefined, false), '/sys/fs/cgroup/cpu/berth/abc');
});

test('resources: cgroup v1 files as runc writes them, and their v2 equivalents', () => {
  const r = { cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000, memory: 64 << 20, pidsLimit: -1 };
  assert.deepEqual(v1Writes(r), [
    ['cpu', 'cpu.shares', '512'],
    ['cpu', 'cpu.cfs_period_us', '100000'],
    ['cpu', 'cpu.cfs_quota_us', '50000'],
    ['memory', 'memory.limit_in_bytes', '67108864'],
    ['pids', 'pids.max', 'max'],
  ]);
  assert.deepEqual(v2Writes(r), [
    ['cpu', 'cpu.weight', '20'],
    ['cpu', 'cpu.max', '50000 100000'],
    ['memory', 'memory.max', '67108864'],
    ['pids', 'pids.max', 'max'],
  ]);
  assert.deepEqual(v1Writes({ cpuShares: 2 }), [['cpu', 'cpu.shares', '2']]);
  assert.deepEqual(v2Writes({ cpuQuota: -1, cpuPeriod: 100000 }), [['cpu', 'cpu.max', 'max 100000']]);
  assert.equal(cpuSharesToWeight(2), 1);
  assert.equal(cpuSharesToWeight(1024), 39);
  assert.equal(cpuSharesToWeight(262144), 10000);
});

const skip = process.getuid?.() !== 0 ? 'needs root to make cgroups' : !existsSync('/sys/fs/cgroup') ? 'no /sys/fs/cgroup' : undefined;
if (skip) process.stdout.write(`# skipping the cgroupfs test: ${skip}\n`);

test('on this host: a cgroup tree made, sized, read, listed and removed in every hierarchy', { skip }, async () => {
  const root = `/berth-cgtest-${process.pid}`;
  try {
    createCgroup(`${root}/a/b`, { cpuShares: 300, cpuQuota: 20000, cpuPeriod: 100000, memory: 32 << 20 });
    assert.ok(cgroupExists(`${root}/a/b`));
    for (const { dir } of cgroupDirs(`${root}/a/b`)) assert.ok(existsSync(dir), dir);
    if (cgroupVersion() === 1) {
      assert.equal(readCgroupFile('cpu', `${root}/a/b`, 'cpu.shares'), '300');
      assert.equal(readCgroupFile('cpu', `${root}/a/b`, 'cpu.cfs_quota_us'), '20000');
      assert.equal(readCgroupFile('memory', `${root}/a/b`, 'memory.limit_in_bytes'), String(32 << 20));
      const cpuset = cgroupDirs(`${root}/a/b`).find((x) => x.h.controllers.includes('cpuset'));
      if (cpuset) assert.notEqual(readFileSync(`${cpuset.dir}/cpuset.cpus`, 'utf8').trim(), '');
    } else {
      assert.equal(readCgroupFile('cpu', `${root}/a/b`, 'cpu.max'), '20000 100000');
    }
    assert.deepEqual(childCgroups(`${root}/a`), ['b']);
  } finally {
    assert.deepEqual(await removeCgroup(root), []);
  }
  assert.ok(!cgroupExists(root));
  for (const { dir } of cgroupDirs(root)) assert.ok(!existsSync(dir), dir);
});
