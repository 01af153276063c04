// A CNI caller (the part of libcni the engine needs): runs a network configuration list's plugins
// in order for ADD and in reverse for DEL, passing each the previous result and the runtime
// config its capabilities ask for (portmap's portMappings).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './sys.js';

export const CNI_PATH = ['/usr/lib/cni', '/opt/cni/bin'].filter((p) => existsSync(p)).join(':') || '/usr/lib/cni';

export interface CniPlugin {
  type: string;
  capabilities?: Record<string, boolean>;
  [k: string]: unknown;
}

export interface CniConfList {
  cniVersion: string;
  name: string;
  plugins: CniPlugin[];
}

export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}

export interface CniIP {
  address: string; // CIDR
  gateway?: string;
  interface?: number;
}

export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIP[];
  routes?: { dst: string; gw?: string }[];
  dns?: unknown;
}

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: string;
  hostIP?: string;
}

export interface CniRuntime {
  containerID: string;
  netns: string;
  ifName: string;
  /** capability arguments, e.g. { portMappings: [...] } */
  capabilityArgs?: Record<string, unknown>;
  /** CNI_ARGS, e.g. IP=... for host-local */
  args?: Record<string, string>;
}

export class CniError extends Error {
  constructor(
    readonly plugin: string,
    readonly code: number,
    msg: string,
  ) {
    super(msg);
  }
}

async function invoke(command: 'ADD' | 'DEL' | 'CHECK', plugin: CniPlugin, list: CniConfList, rt: CniRuntime, prevResult?: CniResult): Promise<CniResult | undefined> {
  const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  delete conf['capabilities'];
  if (prevResult) conf['prevResult'] = prevResult;
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries(plugin.capabilities ?? {})) {
    if (on && rt.capabilityArgs && cap in rt.capabilityArgs) runtimeConfig[cap] = rt.capabilityArgs[cap];
  }
  if (Object.keys(runtimeConfig).length) conf['runtimeConfig'] = runtimeConfig;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: command,
    CNI_CONTAINERID: rt.containerID,
    CNI_NETNS: rt.netns,
    CNI_IFNAME: rt.ifName,
    CNI_PATH,
  };
  if (rt.args && Object.keys(rt.args).length) {
    env['CNI_ARGS'] = ['IgnoreUnknown=1', ...Object.entries(rt.args).map(([k, v]) => `${k}=${v}`)].join(';');
  }
  const bin = CNI_PATH.split(':').map((d) => join(d, plugin.type)).find((p) => existsSync(p));
  if (!bin) throw new CniError(plugin.type, 0, `failed to find plugin "${plugin.type}" in path [${CNI_PATH}]`);
  const r = await run(bin, [], { input: JSON.stringify(conf), env, timeoutMs: 60_000 });
  if (r.code !== 0) {
    let msg = r.stderr.trim() || r.stdout.trim() || `plugin ${plugin.type} exited ${r.code}`;
    let code = 0;
    try {
      const e = JSON.parse(r.stdout) as { code?: number; msg?: string; details?: string };
      code = e.code ?? 0;
      msg = e.msg ? (e.details ? `${e.msg}: ${e.details}` : e.msg) : msg;
    } catch {
      // not a CNI error object
    }
    throw new CniError(plugin.type, code, `plugin type="${plugin.type}" failed (${command.toLowerCase()}): ${msg}`);
  }
  if (command !== 'ADD') return undefined;
  return r.stdout.trim() ? (JSON.parse(r.stdout) as CniResult) : prevResult;
}

/** ADD through the chain; the result is cached so DEL can be given it later. */
export async function cniAdd(list: CniConfList, rt: CniRuntime, cacheDir: string): Promise<CniResult> {
  let result: CniResult | undefined;
  const done: CniPlugin[] = [];
  try {
    for (const p of list.plugins) {
      result = await invoke('ADD', p, list, rt, result);
      done.push(p);
    }
  } catch (e) {
    // undo what was done, as libcni's callers do on a failed ADD
    for (const p of [...list.plugins].reverse()) await invoke('DEL', p, list, rt, result).catch(() => undefined);
    throw e;
  }
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(cachePath(cacheDir, list.name, rt), JSON.stringify({ result, capabilityArgs: rt.capabilityArgs ?? {}, args: rt.args ?? {} }));
  return result!;
}

function cachePath(dir: string, net: string, rt: CniRuntime): string {
  return join(dir, `${net}-${rt.containerID}-${rt.ifName}.json`);
}

/** DEL through the chain in reverse; every plugin is tried even when one fails. */
export async function cniDel(list: CniConfList, rt: CniRuntime, cacheDir: string): Promise<void> {
  const cp = cachePath(cacheDir, list.name, rt);
  let prev: CniResult | undefined;
  let cached: { capabilityArgs?: Record<string, unknown>; args?: Record<string, string> } = {};
  if (existsSync(cp)) {
    try {
      const c = JSON.parse(readFileSync(cp, 'utf8')) as { result?: CniResult; capabilityArgs?: Record<string, unknown>; args?: Record<string, string> };
      prev = c.result;
      cached = c;
    } catch {
      // a torn cache file: DEL without it
    }
  }
  const full: CniRuntime = { ...rt, capabilityArgs: rt.capabilityArgs ?? cached.capabilityArgs, args: rt.args ?? cached.args };
  let first: unknown;
  for (const p of [...list.plugins].reverse()) {
    try {
      await invoke('DEL', p, list, full, prev);
    } catch (e) {
      first ??= e;
    }
  }
  rmSync(cp, { force: true });
  if (first) throw first;
}
