// Probe handlers against real sockets (httpGet status ranges, named ports, tcpSocket), exec
// through a runtime, and the worker's thresholds: a result flips only after enough runs in a row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createTcp, type AddressInfo } from 'node:net';
import type { Container } from 'kubernetes-types/core/v1.js';
import { Prober, runProbe } from '../../src/kubelet/prober.js';
import type { ExecSyncResult, Runtime } from '../../src/kubelet/runtime.js';

function fakeRuntime(exec: (cmd: string[]) => ExecSyncResult): Runtime {
  return { execSync: async (_id: string, cmd: string[]) => exec(cmd) } as unknown as Runtime;
}
const ok: ExecSyncResult = { stdout: Buffer.from('fine'), stderr: Buffer.alloc(0), exitCode: 0, timedOut: false };
const bad: ExecSyncResult = { stdout: Buffer.alloc(0), stderr: Buffer.from('broken'), exitCode: 1, timedOut: false };

test('httpGet: 2xx and 3xx succeed, others fail with upstream\'s message; named ports resolve; tcpSocket connects', async () => {
  const srv = createServer((req, res) => {
    res.statusCode = req.url === '/healthz' ? 200 : req.url === '/moved' ? 302 : 500;
    res.end(req.headers['user-agent']);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  const c = { name: 'c', ports: [{ name: 'http', containerPort: port }] } as Container;
  const rt = fakeRuntime(() => ok);
  assert.equal((await runProbe(rt, 'id', { httpGet: { path: '/healthz', port: 'http' } }, c, '127.0.0.1')).result, 'Success');
  assert.equal((await runProbe(rt, 'id', { httpGet: { path: '/moved', port } }, c, '127.0.0.1')).result, 'Success');
  assert.deepEqual(await runProbe(rt, 'id', { httpGet: { path: '/x', port } }, c, '127.0.0.1'), { result: 'Failure', output: 'HTTP probe failed with statuscode: 500' });
  assert.equal((await runProbe(rt, 'id', { tcpSocket: { port } }, c, '127.0.0.1')).result, 'Success');
  srv.close();
  const closed = createTcp();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const dead = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const tcp = await runProbe(rt, 'id', { tcpSocket: { port: dead } }, c, '127.0.0.1');
  assert.equal(tcp.result, 'Failure');
  assert.match(tcp.output, new RegExp(`^dial tcp 127.0.0.1:${dead}: `));
  const exec = await runProbe(fakeRuntime(() => bad), 'id', { exec: { command: ['check'] } }, c, undefined);
  assert.deepEqual(exec, { result: 'Failure', output: 'broken' });
});

test('thresholds: liveness starts Success and turns Failure after failureThreshold failures in a row', async () => {
  let healthy = true;
  const changes: string[] = [];
  const p = new Prober(fakeRuntime(() => (healthy ? ok : bad)), (_uid, _id, name, kind, outcome) => changes.push(`${name}:${kind}:${outcome.result}`));
  const c = { name: 'app', livenessProbe: { exec: { command: ['x'] }, periodSeconds: 1, failureThreshold: 2 }, readinessProbe: { exec: { command: ['x'] }, periodSeconds: 1, failureThreshold: 2 } } as Container;
  p.watch('u1', 'c1', c, () => undefined);
  assert.deepEqual(p.state('c1'), { liveness: 'Success' });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(p.state('c1').readiness, 'Success');
  healthy = false;
  await new Promise((r) => setTimeout(r, 2600));
  assert.equal(p.state('c1').liveness, 'Failure');
  assert.equal(p.state('c1').readiness, 'Failure');
  assert.ok(changes.includes('app:liveness:Failure') && changes.includes('app:readiness:Success'), changes.join(','));
  p.forget('c1');
  assert.deepEqual(p.state('c1'), {});
  p.stop();
});
