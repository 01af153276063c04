// The Service proxy's runner: watches Services and EndpointSlices, recomputes the rules
// (rules.ts) after each burst of changes, and writes them with one `iptables-restore --noflush`.
// Jumps from the built-in chains are added once (checked first, as kube-proxy does); stopping
// removes the jumps and every chain of ours.
import { writeFileSync, readFileSync } from 'node:fs';
import { R, type ApiClient } from '../../model/api.js';
import { Informer } from '../../client/informer.js';
import { check, run } from '../../engine/sys.js';
import { chainsOf, cleanupInput, computeRules, JUMPS, restoreInput, type ProxyConfig, type ServiceObj, type SliceObj } from './rules.js';

export interface ProxierOptions extends ProxyConfig {
  /** Shortest gap between two rewrites (kube-proxy's --iptables-min-sync-period). */
  minSyncMs?: number;
  log?: (msg: string) => void;
}

const ROUTE_LOCALNET = '/proc/sys/net/ipv4/conf/all/route_localnet';

export class Proxier {
  private readonly services: Informer;
  private readonly slices: Informer;
  private timer?: NodeJS.Timeout;
  private syncing?: Promise<void>;
  private dirty = false;
  private stopped = false;
  private lastInput = '';
  private chains: { nat: string[]; filter: string[] } = { nat: [], filter: [] };
  private routeLocalnetBefore?: string;
  /** How many rewrites happened (for tests and diagnostics). */
  syncs = 0;

  constructor(
    client: ApiClient,
    private readonly opts: ProxierOptions,
  ) {
    this.services = new Informer(client, R.services);
    this.slices = new Informer(client, R.endpointslices);
  }

  async start(): Promise<void> {
    const save = await check('iptables-save', []);
    this.chains = { nat: chainsOf(save, 'nat'), filter: chainsOf(save, 'filter') };
    const changed = () => this.requestSync();
    this.services.on(changed);
    this.slices.on(changed);
    await Promise.all([this.services.start(), this.slices.start()]);
    // NodePorts answer on 127.0.0.1 too, which needs DNAT of loopback traffic (kube-proxy's localhost nodeports)
    try {
      this.routeLocalnetBefore = readFileSync(ROUTE_LOCALNET, 'utf8').trim();
      if (this.routeLocalnetBefore !== '1') writeFileSync(ROUTE_LOCALNET, '1');
    } catch {
      this.routeLocalnetBefore = undefined;
    }
    await this.sync();
    for (const j of JUMPS) {
      const exists = await run('iptables', ['-w', '-t', j.table, '-C', j.chain, ...j.args]);
      if (exists.code !== 0) await check('iptables', ['-w', '-t', j.table, '-I', j.chain, '1', ...j.args]);
    }
  }

  /** Rewrites soon; bursts of changes are coalesced into one rewrite. */
  requestSync(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (this.timer || this.syncing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync().catch((e: unknown) => {
        this.opts.log?.(`proxy: sync failed: ${e instanceof Error ? e.message : String(e)}`);
        // try again shortly, as kube-proxy's bounded-frequency runner does after a failure
        setTimeout(() => this.requestSync(), 1000).unref();
      });
    }, this.opts.minSyncMs ?? 100);
  }

  /** Computes the rules from the caches and writes them if they changed. */
  async sync(): Promise<void> {
    if (this.syncing) {
      this.dirty = true;
      return this.syncing;
    }
    this.dirty = false;
    this.syncing = (async () => {
      const rules = computeRules(this.services.list() as ServiceObj[], this.slices.list() as SliceObj[], this.opts);
      const input = restoreInput(rules, this.chains);
      if (input === this.lastInput) return;
      await check('iptables-restore', ['-w', '--noflush'], { input });
      this.lastInput = input;
      this.chains = { nat: [...rules.nat.keys()], filter: [...rules.filter.keys()] };
      this.syncs++;
    })().finally(() => {
      this.syncing = undefined;
      if (this.dirty && !this.stopped) this.requestSync();
    });
    return this.syncing;
  }

  /** Stops watching and removes every rule and chain of ours. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.services.stop();
    this.slices.stop();
    await this.syncing?.catch(() => undefined);
    for (const j of JUMPS) {
      // a jump added twice (by an earlier crashed run) goes entirely
      for (let i = 0; i < 8; i++) if ((await run('iptables', ['-w', '-t', j.table, '-D', j.chain, ...j.args])).code !== 0) break;
    }
    const save = await check('iptables-save', []);
    const chains = { nat: chainsOf(save, 'nat'), filter: chainsOf(save, 'filter') };
    await check('iptables-restore', ['-w', '--noflush'], { input: cleanupInput(chains) });
    if (this.routeLocalnetBefore !== undefined && this.routeLocalnetBefore !== '1') {
      try {
        writeFileSync(ROUTE_LOCALNET, this.routeLocalnetBefore);
      } catch {
        // the sysctl is gone with the namespace
      }
    }
  }
}
