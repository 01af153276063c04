// Every write the API server acknowledged survives a SIGKILL in the middle of a write loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient, loadKubeconfig } from '../../src/client/http.js';
import { removeDir, startServer } from './cluster.js';

test('acknowledged writes survive SIGKILL of the API server', async () => {
  const s = await startServer();
  const client = new HttpClient(loadKubeconfig(s.kubeconfig), 8);
  const acked = new Set<string>();
  let failures = 0;
  let stopLoop = false;
  // Eight concurrent writers, so the kill lands with writes in flight.
  const writer = async (w: number) => {
    for (let i = 0; !stopLoop; i++) {
      const name = `w${w}-${i}`;
      try {
        const r = await client.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } });
        if (r.status === 201) acked.add(name);
        else failures++;
      } catch {
        return; // the server is gone
      }
    }
  };
  const loops = Array.from({ length: 8 }, (_, w) => writer(w));
  while (acked.size < 300) await new Promise((r) => setTimeout(r, 10));
  await s.kill();
  stopLoop = true;
  await Promise.all(loops);
  client.close();
  assert.equal(failures, 0);

  const again = await startServer({ dataDir: s.dataDir });
  try {
    const c2 = new HttpClient(loadKubeconfig(again.kubeconfig));
    const list = await c2.request('GET', '/api/v1/namespaces/default/configmaps');
    assert.equal(list.status, 200);
    const present = new Set(list.body.items.map((c: any) => c.metadata.name));
    const lost = [...acked].filter((n) => !present.has(n));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.size} acknowledged writes were lost`);
    // The store goes on: new writes work and versions keep increasing.
    const after = await c2.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-restart' } });
    assert.equal(after.status, 201);
    assert.ok(Number(after.body.metadata.resourceVersion) > Number(list.body.metadata.resourceVersion));
    c2.close();
  } finally {
    await again.stop();
    removeDir(s.dataDir);
  }
});
