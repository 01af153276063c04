// docker update's merge and the resources it hands runc (config.ts), pure: what an update names
// replaces, the rest stays; the conflicts dockerd refuses; only the named resources reach runc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { updateHostConfig, updateResources, type HostConfig } from '../../src/engine/config.js';

const base: HostConfig = { Memory: 32 << 20, MemorySwap: 64 << 20, NanoCpus: 500_000_000, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, CgroupParent: '/x' };

test('an update replaces what it names and keeps the rest', () => {
  const h = updateHostConfig(base, { Memory: 48 << 20, CpuShares: 512, PidsLimit: 100, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } });
  assert.deepEqual(h, { ...base, Memory: 48 << 20, CpuShares: 512, PidsLimit: 100, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } });
  // zero values and an empty restart policy name change nothing
  assert.deepEqual(updateHostConfig(base, { Memory: 0, CpuShares: 0, CpusetCpus: '', RestartPolicy: { Name: '', MaximumRetryCount: 0 } }), base);
  assert.equal(base.Memory, 32 << 20, 'the container\'s own config is not touched');
});

test('conflicts: CPU limits set one way cannot be updated the other, memory above swap needs swap, AutoRemove keeps "no"', () => {
  const refused = (cur: HostConfig, u: HostConfig, message: string) => assert.throws(() => updateHostConfig(cur, u), { kind: 'conflict', message });
  refused(base, { CpuQuota: 20000 }, 'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  refused(base, { CpuPeriod: 50000 }, 'Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  refused({ CpuQuota: 20000 }, { NanoCpus: 1e9 }, 'Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  refused({ CpuPeriod: 50000 }, { NanoCpus: 1e9 }, 'Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  refused(base, { Memory: 128 << 20 }, 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
  // a container created without a memory limit (swap 0) needs the swap limit with its first one, as with dockerd
  refused({}, { Memory: 64 << 20 }, 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
  assert.equal(updateHostConfig(base, { Memory: 128 << 20, MemorySwap: 256 << 20 }).MemorySwap, 256 << 20);
  refused({ AutoRemove: true }, { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } }, 'Restart policy cannot be updated because AutoRemove is enabled for the container');
  assert.deepEqual(updateHostConfig({ AutoRemove: true }, { RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } }).RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
});

test('runc is given only the resources the update names (toContainerdResources)', () => {
  assert.deepEqual(updateResources({ Memory: 48 << 20, CpuShares: 512, PidsLimit: 100 }), { cpu: { shares: 512 }, memory: { limit: 48 << 20 }, pids: { limit: 100 } });
  assert.deepEqual(updateResources({ NanoCpus: 250_000_000, CpuQuota: 1 }), { cpu: { period: 100000, quota: 25000 } });
  assert.deepEqual(updateResources({ CpuQuota: 30000, CpuPeriod: 60000, CpusetCpus: '0' }), { cpu: { cpus: '0', period: 60000, quota: 30000 } });
  assert.deepEqual(updateResources({ MemorySwap: -1, PidsLimit: 0, BlkioWeight: 300 }), { blockIO: { weight: 300 }, pids: { limit: -1 } });
  assert.deepEqual(updateResources({}), {});
});
