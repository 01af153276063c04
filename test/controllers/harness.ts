// An in-process cluster for controller tests: the real API semantics on a memory store, the real
// runner, and whichever controllers a test names, all in one process with real time.
import { openStore } from '../../src/store/index.js';
import { bootstrap, createRest } from '../../src/apiserver/server.js';
import { LocalClient } from '../../src/apiserver/local-client.js';
import { ControllerRunner, SharedInformers, type Controller, type RunnerOptions } from '../../src/controllers/runtime.js';
import type { ApiClient } from '../../src/model/api.js';

export interface TestCluster {
  client: ApiClient;
  runner: ControllerRunner;
  errors: { controller: string; key: string; err: unknown }[];
  stop(): Promise<void>;
}

/** `opts` reach the runner: an injected clock (`now`), timers. */
export async function testCluster(controllers: Controller<any>[], opts: RunnerOptions = {}): Promise<TestCluster> {
  const store = openStore({ kind: 'memory' });
  const { rest, allocator } = createRest(store);
  await bootstrap(rest, allocator.firstIP(), '10.0.0.1', 6443);
  const client = new LocalClient(rest, { bookmarkIntervalMs: 1000, maxTimeoutMs: 60_000 });
  const errors: TestCluster['errors'] = [];
  const runner = new ControllerRunner(client, new SharedInformers(client), {
    ...opts,
    onError: (controller, key, err) => errors.push({ controller, key, err }),
  });
  for (const c of controllers) runner.add(c);
  await runner.start();
  return {
    client,
    runner,
    errors,
    stop: async () => {
      runner.stop();
      await store.close();
    },
  };
}

/** Polls until check passes (or throws with what it last saw). */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, ms = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
