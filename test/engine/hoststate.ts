// What containers leave on the host (mounts, cgroups, network namespaces, veths, IP leases, NAT
// rules), listed so a test can compare before and after; and the teardown of what CNI leaves for
// good (bridges, portmap's top-level chains) when a test made them.
import { existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cgroupDirs } from '../../src/engine/cgroups.js';

const sh = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return '';
  }
};

export interface HostState {
  mounts: string[];
  cgroups: string[];
  netns: string[];
  veths: string[];
  leases: string[];
  natRules: string[];
}

export function hostState(dataDir: string): HostState {
  const mounts = readFileLines('/proc/self/mountinfo').map((l) => l.split(' ')[4]!).filter((m) => m.startsWith(dataDir));
  const cgroups: string[] = [];
  for (const sub of ['memory', 'cpu', 'pids', 'freezer', 'devices']) {
    const d = `/sys/fs/cgroup/${sub}/berth`;
    if (existsSync(d)) for (const c of readdirSync(d, { withFileTypes: true })) if (c.isDirectory()) cgroups.push(`${sub}/${c.name}`);
  }
  const netns = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('berth-')) : [];
  const veths = sh('ip', ['-o', 'link', 'show', 'type', 'veth']).split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim().split('@')[0]!);
  const leases: string[] = [];
  const ipam = join(dataDir, 'network', 'ipam');
  if (existsSync(ipam)) {
    for (const net of readdirSync(ipam)) {
      for (const f of readdirSync(join(ipam, net))) if (/^\d+\.\d+\.\d+\.\d+$/.test(f)) leases.push(`${net}/${f}`);
    }
  }
  // The portmap plugin's shared chains (MASQ, SNAT, SETMARK) and their jumps are made on its first use
  // and kept for every later container, so their rules are no container's leftovers.
  const natRules = sh('iptables-save', ['-t', 'nat']).split('\n').filter((l) => l.startsWith('-A') && /CNI-/.test(l) && !/^-A (POSTROUTING|PREROUTING|OUTPUT) .*-j CNI-HOSTPORT-/.test(l) && !/^-A CNI-HOSTPORT-(MASQ|SNAT|SETMARK) /.test(l));
  return { mounts, cgroups, netns, veths, leases, natRules };
}

function readFileLines(p: string): string[] {
  try {
    return execFileSync('cat', [p]).toString().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Every cgroup at and below `path` (a kubelet's --cgroup-root: its kubepods, QoS tiers and pod
 * cgroups, the containers in them), in every hierarchy, as "<mount>:<cgroup>".
 */
export function cgroupTree(path: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, name: string, mount: string) => {
    if (!existsSync(dir)) return;
    out.push(`${mount}:${name}`);
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name), `${name}/${e.name}`, mount);
  };
  for (const { h, dir } of cgroupDirs(path)) walk(dir, path, h.mountPoint.split('/').pop()!);
  return out.sort();
}

/** Links and chains that exist now, to tell later which ones a test created. */
export function hostLinks(): Set<string> {
  return new Set(sh('ip', ['-o', 'link', 'show']).split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim().split('@')[0]!));
}

/** Deletes the bridges a test created (berth0, br-*), and portmap's chains if the test made them. */
export function removeTestBridges(before: Set<string>, natBefore: boolean): void {
  for (const l of hostLinks()) {
    if (before.has(l)) continue;
    if (l === 'berth0' || l.startsWith('br-')) sh('ip', ['link', 'delete', l]);
  }
  if (!natBefore) {
    for (const [chain, parents] of [['CNI-HOSTPORT-DNAT', ['PREROUTING', 'OUTPUT']], ['CNI-HOSTPORT-SETMARK', []], ['CNI-HOSTPORT-MASQ', ['POSTROUTING']], ['CNI-HOSTPORT-SNAT', ['POSTROUTING']]] as const) {
      for (const p of parents) {
        for (let i = 0; i < 4; i++) sh('iptables', ['-t', 'nat', '-D', p, '-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', chain]);
        for (let i = 0; i < 4; i++) sh('iptables', ['-t', 'nat', '-D', p, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', chain]);
        for (let i = 0; i < 4; i++) sh('iptables', ['-t', 'nat', '-D', p, '-j', chain]);
      }
      sh('iptables', ['-t', 'nat', '-F', chain]);
      sh('iptables', ['-t', 'nat', '-X', chain]);
    }
  }
}

export function natChainsExist(): boolean {
  return /:CNI-HOSTPORT-DNAT/.test(sh('iptables-save', ['-t', 'nat']));
}

export function canRunContainers(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (runc, overlayfs and network namespaces)';
  if (!sh('runc', ['--version'])) return 'needs runc';
  if (!existsSync('/usr/bin/busybox')) return 'needs busybox-static';
  if (!existsSync('/usr/lib/cni/bridge')) return 'needs containernetworking-plugins';
  return undefined;
}

/**
 * `count` /24 prefixes ("10.X.Y") inside one 10.X.0.0/16 that no route on the host touches. A
 * run killed before its clean-up can leave bridges (and their routes) behind; a test network on
 * the same subnet would then lose its traffic to the stale bridge.
 */
export function freeSubnets(count: number, avoid: string[] = []): string[] {
  const routed = sh('ip', ['-4', 'route', 'show', 'table', 'all']);
  const taken = (second: number) => avoid.some((a) => a.startsWith(`10.${second}.`)) || new RegExp(`(^|\\s)10\\.${second}\\.`, 'm').test(routed) || /(^|\s)10\.0\.0\.0\/8/m.test(routed);
  for (let second = 231; second < 255; second++) {
    if (!taken(second)) return Array.from({ length: count }, (_, i) => `10.${second}.${i + 1}`);
  }
  throw new Error('no free 10.X.0.0/16 for test networks');
}

/** A TCP port from `from` on that nothing listens on and no NAT rule redirects (a stale publish of a killed run would). */
export function freePort(from: number, avoid: number[] = []): number {
  const listening = sh('ss', ['-Htln']);
  const nat = sh('iptables-save', ['-t', 'nat']);
  for (let p = from; p < from + 1000; p++) {
    if (avoid.includes(p)) continue;
    if (new RegExp(`:${p}\\s`).test(listening) || new RegExp(`dports? ([\\d,:]*,)?${p}\\b`).test(nat)) continue;
    return p;
  }
  throw new Error(`no free port from ${from}`);
}
