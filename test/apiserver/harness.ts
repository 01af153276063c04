// An in-process API server for tests: the real REST semantics and handler on a memory store,
// with a controllable clock and predictable ids, called without sockets.
import { openStore } from '../../src/store/index.js';
import { createRest, bootstrap } from '../../src/apiserver/server.js';
import { ApiHandler, type ApiRequest } from '../../src/apiserver/handler.js';
import type { Clock, Ids, Rest } from '../../src/apiserver/rest.js';
import type { ObjectStore } from '../../src/store/types.js';

export interface Reply {
  status: number;
  body: any;
  text: string;
  warnings: string[];
  contentType: string;
}

export interface Harness {
  call(method: string, path: string, body?: unknown, opts?: { contentType?: string; accept?: string; raw?: string }): Promise<Reply>;
  watch(path: string, opts?: { accept?: string }): Promise<{ events: any[]; stop(): void; ended: Promise<void> }>;
  clock: { t: number };
  store: ObjectStore;
  handler: ApiHandler;
  /** The REST layer itself (what in-process clients call). */
  rest: Rest;
}

export async function harness(): Promise<Harness> {
  const store = openStore({ kind: 'memory' });
  const clock = { t: Date.parse('2026-11-22T10:00:00Z') };
  const c: Clock = { now: () => clock.t };
  let n = 0;
  const ids: Ids = { uid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`, nameSuffix: () => `x${String(++n).padStart(4, '0')}` };
  const { rest, allocator } = createRest(store, { clock: c, ids });
  await bootstrap(rest, allocator.firstIP(), '10.0.0.1', 6443);
  const handler = new ApiHandler(rest, { serverAddress: '10.0.0.1:6443', watchTiming: { bookmarkIntervalMs: 50, maxTimeoutMs: 60_000 } });
  const request = (method: string, path: string, body: unknown, opts: { contentType?: string; accept?: string; raw?: string }): ApiRequest => {
    const url = new URL(path, 'http://x');
    const r: ApiRequest = { method, path: url.pathname, query: url.searchParams, user: { username: 'admin', groups: ['system:masters'] } };
    if (opts.raw !== undefined) r.body = Buffer.from(opts.raw);
    else if (body !== undefined) r.body = Buffer.from(JSON.stringify(body));
    r.contentType = opts.contentType ?? 'application/json';
    if (opts.accept) r.accept = opts.accept;
    return r;
  };
  return {
    clock,
    store,
    handler,
    rest,
    async call(method, path, body, opts = {}) {
      const res = await handler.handle(request(method, path, body, opts));
      if ('stream' in res) throw new Error('unexpected stream');
      let parsed: unknown;
      try {
        parsed = JSON.parse(res.body);
      } catch {
        parsed = undefined;
      }
      return { status: res.status, body: parsed, text: res.body, warnings: res.warnings ?? [], contentType: res.contentType };
    },
    async watch(path, opts = {}) {
      const res = await handler.handle(request('GET', path, undefined, opts));
      if (!('stream' in res)) throw new Error(`expected a stream, got ${res.status}: ${res.body}`);
      const events: any[] = [];
      let endResolve!: () => void;
      const ended = new Promise<void>((r) => (endResolve = r));
      let buf = '';
      const stop = await res.stream({
        write: (chunk) => {
          buf += chunk;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buf.slice(0, i)));
            buf = buf.slice(i + 1);
          }
        },
        end: () => endResolve(),
      });
      return { events, stop, ended };
    },
  };
}

export const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

export async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await tick();
  }
}

export function deployment(name: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }] }] },
      },
      ...extra,
    },
  };
}

export function configMap(name: string, data: Record<string, string> = { k: 'v' }, labels: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}
