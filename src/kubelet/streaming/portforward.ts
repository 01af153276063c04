// `kubectl port-forward` on the kubelet's side (pkg/kubelet/cri/streaming/portforward, the
// portforward.k8s.io protocol): for each forwarded connection the client opens two SPDY streams
// with the same requestID, an error stream and a data stream, each naming the port. The kubelet
// dials the port in the pod, copies bytes both ways over the data stream, and writes any failure
// on the error stream. kubectl 1.32 first tunnels the SPDY session in a WebSocket (subprotocol
// SPDY/3.1+portforward.k8s.io, every binary message a piece of the byte stream), then falls back
// to plain SPDY/3.1 over the upgraded connection.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { SpdyServerSession, type ByteTransport, type SpdyStream } from './spdy.js';

export const PORTFORWARD_PROTOCOL = 'portforward.k8s.io';
export const PORTFORWARD_WS_PROTOCOL = `SPDY/3.1+${PORTFORWARD_PROTOCOL}`;
export const SPDY_UPGRADE = 'SPDY/3.1';

export function spdyOverWebSocket(ws: WebSocket): ByteTransport {
  ws.on('error', () => undefined);
  return {
    write: (b) => {
      if (ws.readyState === ws.OPEN) ws.send(b, { binary: true });
    },
    onData: (cb) => ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[]) => cb(Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw))),
    onClose: (cb) => ws.on('close', cb),
    close: () => {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000);
    },
  };
}

export function spdyOverSocket(socket: Duplex, head: Buffer): ByteTransport {
  socket.on('error', () => undefined);
  return {
    write: (b) => {
      if (!socket.destroyed) socket.write(b);
    },
    onData: (cb) => {
      if (head.length) queueMicrotask(() => cb(head));
      socket.on('data', cb);
    },
    onClose: (cb) => socket.on('close', cb),
    close: () => {
      socket.end();
    },
  };
}

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
}

/** Serves port-forward requests on a SPDY session until it closes; `dial` connects to a port in the pod. */
export function servePortForward(transport: ByteTransport, sandboxId: string, dial: (port: number) => Promise<Socket>, log?: (msg: string) => void): SpdyServerSession {
  const session = new SpdyServerSession(transport);
  const pairs = new Map<string, Pair>();
  const sockets = new Set<Socket>();
  /** What a data stream brought before its connection was dialled. */
  const held = new Map<SpdyStream, () => { early: Buffer[]; ended: boolean }>();
  let closed = false;
  session.on('close', () => {
    closed = true;
    for (const s of sockets) s.destroy();
    held.clear();
  });
  session.on('stream', (s: SpdyStream) => {
    const type = s.header('streamType');
    const requestId = s.header('requestID') ?? String(s.id);
    if (type !== 'error' && type !== 'data') {
      log?.(`port-forward: stream ${s.id} has an invalid stream type ${JSON.stringify(type)}`);
      s.resetStream();
      return;
    }
    const pair = pairs.get(requestId) ?? {};
    if (pair[type]) {
      s.resetStream();
      return;
    }
    pair[type] = s;
    pairs.set(requestId, pair);
    // the client never writes on the error stream; data sent before the dial completes is kept
    if (type === 'data') {
      const early: Buffer[] = [];
      let ended = false;
      const keep = (b: Buffer) => early.push(b);
      const end = () => (ended = true);
      s.on('data', keep);
      s.once('end', end);
      held.set(s, () => {
        s.off('data', keep);
        s.off('end', end);
        held.delete(s);
        return { early, ended };
      });
    }
    if (pair.error && pair.data) {
      pairs.delete(requestId);
      void forward(pair.error, pair.data);
    }
  });

  const forward = async (errorStream: SpdyStream, dataStream: SpdyStream) => {
    const take = held.get(dataStream)!;
    const portText = dataStream.header('port') ?? '';
    const port = Number(portText);
    // as the CRI streaming server words it: the pod is the sandbox, its uid unknown there
    const failure = (e: Error) => `error forwarding port ${port} to pod ${sandboxId}, uid : ${e.message}`;
    const fail = (msg: string) => {
      errorStream.write(Buffer.from(msg));
      errorStream.end();
      dataStream.end();
    };
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      take();
      fail(`invalid port header ${JSON.stringify(portText)}`);
      return;
    }
    let sock: Socket;
    try {
      sock = await dial(port);
    } catch (e) {
      take();
      fail(failure(e as Error));
      return;
    }
    // what came while dialling is written first
    const { early, ended } = take();
    if (closed) {
      sock.destroy();
      return;
    }
    sockets.add(sock);
    for (const b of early) sock.write(b);
    if (ended) sock.end();
    else dataStream.once('end', () => sock.end());
    dataStream.on('data', (b: Buffer) => sock.write(b));
    dataStream.once('reset', () => sock.destroy());
    sock.on('data', (b: Buffer) => dataStream.write(b));
    sock.on('error', (e) => {
      errorStream.write(Buffer.from(failure(e)));
    });
    sock.once('close', () => {
      sockets.delete(sock);
      dataStream.end();
      errorStream.end();
    });
  };
  return session;
}
