// The remote command protocol over WebSocket (k8s.io/apimachinery/pkg/util/remotecommand and
// httpstream/wsstream): every binary message is one channel byte and data. 0 stdin, 1 stdout,
// 2 stderr, 3 error (a metav1.Status when the command ends), 4 resize ({"Width","Height"} JSON);
// v5.channel.k8s.io adds 255, the close signal: [255, channel] says the client's channel ended.
import type { WebSocket } from 'ws';
import type { ProcessStream } from '../runtime.js';

export const PROTOCOL_V5 = 'v5.channel.k8s.io';
export const PROTOCOL_V4 = 'v4.channel.k8s.io';
/** What this server speaks, best first (kubectl 1.30+ asks for v5 alone). */
export const REMOTECOMMAND_PROTOCOLS = [PROTOCOL_V5, PROTOCOL_V4];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

/** Upstream's metav1.Status for an ended command: Success, or NonZeroExitCode with the code as its cause. */
export function commandStatus(exitCode: number | undefined, cmd: string[] | undefined): Record<string, unknown> {
  if (!exitCode) return { metadata: {}, status: 'Success' };
  const what = cmd ? `error executing command [${cmd.join(' ')}], exit code ${exitCode}` : `exit code ${exitCode}`;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: ${what}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** A failure before or while running (the kubelet writes these as InternalError statuses). */
export function failureStatus(message: string): Record<string, unknown> {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', details: { causes: [{ message }] }, code: 500 };
}

/** Reads a resize message: {"Width":w,"Height":h}. */
export function parseResize(data: Buffer): { width: number; height: number } | undefined {
  try {
    const v = JSON.parse(data.toString()) as { Width?: unknown; Height?: unknown };
    const w = Number(v.Width);
    const h = Number(v.Height);
    return Number.isInteger(w) && Number.isInteger(h) && w >= 0 && h >= 0 ? { width: w, height: h } : undefined;
  } catch {
    return undefined;
  }
}

const frame = (channel: number, data: Buffer | string) => Buffer.concat([Buffer.from([channel]), typeof data === 'string' ? Buffer.from(data) : data]);

/**
 * Serves one exec or attach session on an accepted WebSocket: the client's stdin and resizes go
 * to the process, its output to the client, and when it ends the status, then a normal close.
 */
export async function serveRemoteCommand(ws: WebSocket, start: () => Promise<ProcessStream>, cmd: string[] | undefined): Promise<void> {
  const send = (channel: number, data: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(frame(channel, data));
  };
  // what arrives before the process exists is kept for it
  const early: Buffer[] = [];
  let proc: ProcessStream | undefined;
  let clientGone = false;
  const onMessage = (raw: Buffer | ArrayBuffer | Buffer[]) => {
    const msg = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    if (msg.length === 0) return;
    if (!proc) {
      early.push(msg);
      return;
    }
    handle(proc, msg);
  };
  const handle = (p: ProcessStream, msg: Buffer) => {
    const data = msg.subarray(1);
    switch (msg[0]) {
      case STDIN:
        if (data.length) p.writeStdin(Buffer.from(data));
        break;
      case RESIZE: {
        const size = parseResize(data);
        if (size) void p.resize(size.width, size.height).catch(() => undefined);
        break;
      }
      case CLOSE:
        if (ws.protocol === PROTOCOL_V5 && data[0] === STDIN) p.closeStdin();
        break;
      default:
        break;
    }
  };
  ws.on('message', onMessage);
  ws.on('close', () => {
    clientGone = true;
    proc?.close();
  });
  ws.on('error', () => undefined);
  try {
    proc = await start();
  } catch (e) {
    send(ERROR, JSON.stringify(failureStatus(e instanceof Error ? e.message : String(e))));
    ws.close(1000);
    return;
  }
  if (clientGone) {
    proc.close();
    return;
  }
  proc.onOutput((stream, data) => send(stream === 'stderr' ? STDERR : STDOUT, data));
  for (const m of early.splice(0)) handle(proc, m);
  const code = await proc.done;
  send(ERROR, JSON.stringify(commandStatus(code, cmd)));
  if (ws.readyState === ws.OPEN) ws.close(1000);
}
