// The kubelet's streaming logic without containers: which container instance `kubectl logs`
// means and the kubelet's error texts, log formatting (tail, since, timestamps, limitBytes), the
// API server's container resolution and kubelet paths, the remote command statuses, and a SPDY
// port-forward session driven by a hand-built client against a local TCP server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, connect } from 'node:net';
import { constants, createDeflate, createInflate } from 'node:zlib';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { logContainerId, LogFormatter, parseLogQuery } from '../../src/kubelet/streaming/logs.js';
import { commandStatus, parseResize } from '../../src/kubelet/streaming/remotecommand.js';
import { controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, FLAG_FIN, FRAME, FrameReader, SPDY3_DICTIONARY, type ByteTransport } from '../../src/kubelet/streaming/spdy.js';
import { servePortForward } from '../../src/kubelet/streaming/portforward.js';
import { kubeletPath, resolveContainer, validateLogOptions } from '../../src/apiserver/proxy.js';
import { StatusError } from '../../src/model/status.js';

const pod = (statuses: Record<string, unknown>[], spec: Record<string, unknown> = {}): Pod => ({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }], ...spec }, status: { containerStatuses: statuses } }) as unknown as Pod;

test('logs: the instance asked for, and the kubelet\'s words when there is none', () => {
  const running = { name: 'c', containerID: 'berth://aaa', state: { running: {} }, lastState: { terminated: { containerID: 'berth://old', exitCode: 1 } } };
  assert.deepEqual(logContainerId(pod([running]), 'c', false), { id: 'aaa' });
  assert.deepEqual(logContainerId(pod([running]), 'c', true), { id: 'old' });
  const fresh = { name: 'c', containerID: 'berth://aaa', state: { running: {} }, lastState: {} };
  assert.deepEqual(logContainerId(pod([fresh]), 'c', true), { error: 'previous terminated container "c" in pod "p" not found' });
  const creating = { name: 'c', state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} };
  assert.deepEqual(logContainerId(pod([creating]), 'c', false), { error: 'container "c" in pod "p" is waiting to start: ContainerCreating' });
  const backoff = { name: 'c', state: { waiting: { reason: 'ImagePullBackOff' } }, lastState: {} };
  assert.deepEqual(logContainerId(pod([backoff]), 'c', false), { error: 'container "c" in pod "p" is waiting to start: trying and failing to pull image' });
  // CrashLoopBackOff: the last run's logs
  const crash = { name: 'c', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { containerID: 'berth://dead', exitCode: 2 } } };
  assert.deepEqual(logContainerId(pod([crash]), 'c', false), { id: 'dead' });
  assert.deepEqual(logContainerId(pod([]), 'c', false), { error: 'container "c" in pod "p" is not available' });
});

test('logs: query parsing, since, timestamps and limitBytes as the kubelet writes them', () => {
  const now = 1_700_000_000_000_000_000n;
  const o = parseLogQuery(new URLSearchParams('follow=true&tailLines=3&sinceSeconds=10&timestamps=true&limitBytes=50'), now);
  assert.deepEqual(o, { follow: true, previous: false, timestamps: true, tailLines: 3, limitBytes: 50, sinceNano: now - 10_000_000_000n });
  assert.equal(parseLogQuery(new URLSearchParams('sinceTime=2024-01-02T03:04:05Z'), now).sinceNano, BigInt(Date.parse('2024-01-02T03:04:05Z')) * 1_000_000n);
  assert.throws(() => parseLogQuery(new URLSearchParams('tailLines=x'), now));

  const out: Buffer[] = [];
  const f = new LogFormatter({ timestamps: true, sinceNano: 2_000_000_000n, limitBytes: 60 }, (b) => out.push(b));
  const line = (t: bigint, s: string) => ({ stream: 'stdout' as const, line: Buffer.from(s), timeNano: t });
  assert.equal(f.line(line(1_000_000_000n, 'too old\n')), true);
  assert.equal(f.line(line(2_500_000_000n, 'first\n')), true);
  assert.equal(f.line(line(3_000_000_000n, 'second line that goes past the limit\n')), false);
  const text = Buffer.concat(out).toString();
  assert.equal(text.length, 60);
  assert.ok(text.startsWith('1970-01-01T00:00:02.5Z first\n1970-01-01T00:00:03Z second'));
  assert.equal(f.done, true);
});

test('API server: container resolution, log option validation and the kubelet\'s paths', () => {
  const two = pod([], { containers: [{ name: 'a' }, { name: 'b' }], initContainers: [{ name: 'i' }] });
  const err = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof StatusError);
      return `${e.code} ${e.reason}: ${e.message}`;
    }
    assert.fail('no error');
  };
  assert.equal(err(() => resolveContainer(two, 'p', '')), '400 BadRequest: a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [i]');
  assert.equal(err(() => resolveContainer(two, 'p', 'z')), '400 BadRequest: container z is not valid for pod p');
  assert.equal(resolveContainer(two, 'p', 'i'), 'i');
  assert.equal(resolveContainer(pod([]), 'p', ''), 'c');
  assert.deepEqual(validateLogOptions(new URLSearchParams('tailLines=-1&limitBytes=0')).map(String), [
    'tailLines: Invalid value: -1: must be greater than or equal to 0',
    'limitBytes: Invalid value: 0: must be greater than 0',
  ]);
  assert.equal(validateLogOptions(new URLSearchParams('sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z')).length, 1);
  const r = { namespace: 'ns', name: 'p' };
  assert.equal(kubeletPath({ ...r, kind: 'log' }, 'c', new URLSearchParams('follow=true&tailLines=2&container=c')), '/containerLogs/ns/p/c?follow=true&tailLines=2');
  assert.equal(
    kubeletPath({ ...r, kind: 'exec' }, 'c', new URLSearchParams('command=sh&command=-c&command=exit+3&stdin=true&stdout=true&tty=true')),
    '/exec/ns/p/c?input=1&output=1&tty=1&command=sh&command=-c&command=exit+3',
  );
  assert.equal(kubeletPath({ ...r, kind: 'portforward' }, '', new URLSearchParams()), '/portForward/ns/p');
});

test('remote command: the status that carries an exit code, and resize messages', () => {
  assert.deepEqual(commandStatus(0, ['true']), { metadata: {}, status: 'Success' });
  assert.deepEqual(commandStatus(3, ['sh', '-c', 'exit 3']), {
    metadata: {},
    status: 'Failure',
    message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: '3' }] },
  });
  assert.deepEqual(parseResize(Buffer.from('{"Width":120,"Height":40}')), { width: 120, height: 40 });
  assert.equal(parseResize(Buffer.from('nope')), undefined);
});

test('SPDY: the dictionary, header blocks and frames', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  const h = { streamtype: ['data'], port: ['80'], requestid: ['0'] };
  assert.deepEqual(decodeHeaderBlock(encodeHeaderBlock(h)), h);
  const r = new FrameReader();
  const bytes = Buffer.concat([controlFrame(FRAME.PING, 0, Buffer.from([0, 0, 0, 1])), dataFrame(5, FLAG_FIN, Buffer.from('xyz'))]);
  assert.deepEqual(r.push(bytes.subarray(0, 5)), []);
  const frames = r.push(bytes.subarray(5));
  assert.deepEqual(frames.map((f) => [f.control, f.type, f.streamId, f.flags, f.data.toString('hex')]), [
    [true, FRAME.PING, 0, 0, '00000001'],
    [false, 0, 5, FLAG_FIN, Buffer.from('xyz').toString('hex')],
  ]);
});

/** A zlib context primed with the SPDY dictionary, block by block (the client's side). */
function zctx(kind: 'deflate' | 'inflate') {
  const z = kind === 'deflate' ? createDeflate({ dictionary: SPDY3_DICTIONARY }) : createInflate({ dictionary: SPDY3_DICTIONARY });
  const out: Buffer[] = [];
  z.on('data', (d: Buffer) => out.push(d));
  return (b: Buffer) =>
    new Promise<Buffer>((resolve) => {
      z.write(b);
      z.flush(constants.Z_SYNC_FLUSH, () => setImmediate(() => resolve(Buffer.concat(out.splice(0)))));
    });
}

test('port-forward over SPDY: error and data streams, bytes both ways, FIN, and a refused port', async (t) => {
  const echo = createServer((s) => s.on('data', (d) => s.write(Buffer.concat([Buffer.from('echo:'), d]))).on('end', () => s.end()));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  t.after(() => echo.close());
  const port = (echo.address() as AddressInfo).port;

  const fromServer = new FrameReader();
  const frames: ReturnType<FrameReader['push']> = [];
  let onData: (b: Buffer) => void = () => undefined;
  let onClose: () => void = () => undefined;
  let waiter: (() => void) | undefined;
  const transport: ByteTransport = {
    write: (b) => {
      frames.push(...fromServer.push(b));
      waiter?.();
    },
    onData: (cb) => (onData = cb),
    onClose: (cb) => (onClose = cb),
    close: () => undefined,
  };
  const until = async (pred: () => boolean) => {
    const end = Date.now() + 5000;
    while (!pred()) {
      if (Date.now() > end) assert.fail(`timed out; frames: ${JSON.stringify(frames.map((f) => [f.control, f.type, f.streamId, f.data.toString()]))}`);
      await new Promise<void>((r) => {
        waiter = r;
        setTimeout(r, 50);
      });
    }
  };
  servePortForward(transport, 'sandbox1', (p) => new Promise((resolve, reject) => {
    const s = connect(p, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  }));
  const deflate = zctx('deflate');
  const inflate = zctx('inflate');
  const syn = async (id: number, headers: Record<string, string[]>, flags = 0) => {
    const head = Buffer.alloc(10);
    head.writeUInt32BE(id, 0);
    onData(controlFrame(FRAME.SYN_STREAM, flags, Buffer.concat([head, await deflate(encodeHeaderBlock(headers))])));
  };
  await syn(1, { streamtype: ['error'], port: [String(port)], requestid: ['0'] }, FLAG_FIN);
  await syn(3, { streamtype: ['data'], port: [String(port)], requestid: ['0'] });
  onData(dataFrame(3, 0, Buffer.from('hello')));
  onData(controlFrame(FRAME.PING, 0, Buffer.from([0, 0, 0, 7])));
  await until(() => frames.some((f) => !f.control && f.streamId === 3 && f.data.toString().includes('echo:hello')));
  const replies = frames.filter((f) => f.control && f.type === FRAME.SYN_REPLY);
  assert.deepEqual(replies.map((f) => f.streamId), [1, 3]);
  assert.deepEqual(decodeHeaderBlock(await inflate(replies[0]!.data.subarray(4))), {});
  assert.ok(frames.some((f) => f.control && f.type === FRAME.PING && f.data.readUInt32BE(0) === 7), 'PING echoed');
  // the client half-closes: the pod's side sees EOF and closes, both streams end with FIN
  onData(dataFrame(3, FLAG_FIN, Buffer.alloc(0)));
  await until(() => frames.some((f) => !f.control && f.streamId === 3 && f.flags & FLAG_FIN) && frames.some((f) => !f.control && f.streamId === 1 && f.flags & FLAG_FIN));

  // a port nothing listens on: the error stream says why
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  await syn(5, { streamtype: ['error'], port: [String(deadPort)], requestid: ['1'] }, FLAG_FIN);
  await syn(7, { streamtype: ['data'], port: [String(deadPort)], requestid: ['1'] });
  await until(() => frames.some((f) => !f.control && f.streamId === 5 && f.data.length > 0));
  const msg = frames.filter((f) => !f.control && f.streamId === 5).map((f) => f.data.toString()).join('');
  assert.match(msg, new RegExp(`^error forwarding port ${deadPort} to pod sandbox1, uid : .*ECONNREFUSED`));
  onClose();
});
