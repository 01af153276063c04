// Simulated nodes' addresses: every node the simulator allows gets a pod CIDR the API accepts, its
// own, and outside the service range (nodes past the 3,072nd once got "10.256.0.0/24", were
// refused at registration, and a 10,000-node run went on with 3,072).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SIM_NODES, nodeIPOf, podCIDROf } from '../../src/sim/nodes.js';
import { parseScenario } from '../../src/sim/scenario.js';
import { isValidCIDRMessages, isValidIPMessages, parseIPv4 } from '../../src/model/validation/strings.js';
import { DEFAULT_SERVICE_CIDR } from '../../src/apiserver/server.js';

test('every node gets a valid pod CIDR of its own, outside the service range, and a valid IP', () => {
  assert.ok(MAX_SIM_NODES >= 60_000, `room for ${MAX_SIM_NODES} nodes`);
  const [svcA, svcB] = parseIPv4(DEFAULT_SERVICE_CIDR.split('/')[0]!)!;
  const svcPrefix = Number(DEFAULT_SERVICE_CIDR.split('/')[1]);
  const seen = new Set<string>();
  const ips = new Set<string>();
  for (let i = 0; i < MAX_SIM_NODES; i++) {
    const cidr = podCIDROf(i);
    assert.deepEqual(isValidCIDRMessages(cidr), [], cidr);
    assert.ok(!seen.has(cidr), `${cidr} given twice`);
    seen.add(cidr);
    const [a, b] = parseIPv4(cidr.split('/')[0]!)!;
    // The /12 holds second octets svcB .. svcB + 15.
    assert.ok(!(a === svcA && svcPrefix === 12 && b! >= svcB! && b! < svcB! + 16), `${cidr} inside ${DEFAULT_SERVICE_CIDR}`);
    const ip = nodeIPOf(i);
    assert.deepEqual(isValidIPMessages(ip), [], ip);
    ips.add(ip);
  }
  assert.equal(ips.size, MAX_SIM_NODES);
  assert.equal(podCIDROf(0), '10.244.0.0/24');
  assert.equal(podCIDROf(256), '10.245.0.0/24');
});

test('a node past the limit is refused with a clear error, and so is a scenario asking for it', () => {
  assert.throws(() => podCIDROf(MAX_SIM_NODES), /pod CIDRs for \d+ nodes/);
  assert.throws(() => podCIDROf(-1), RangeError);
  assert.throws(() => parseScenario(`name: big\ncluster: { nodes: ${MAX_SIM_NODES + 1} }\n`), /cluster.nodes: at most/);
  assert.doesNotThrow(() => parseScenario(`name: big\ncluster: { nodes: ${MAX_SIM_NODES} }\n`));
});
