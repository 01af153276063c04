// Networks: the predefined `bridge`, `host` and `none`, and user-defined bridge networks with their
// own subnet, each realised as a CNI configuration (bridge + host-local IPAM + portmap) over a
// network namespace per container. User-defined networks get the embedded DNS server so that
// containers resolve each other by name. Messages follow dockerd/libnetwork.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cniAdd, cniDel, CniError, type CniConfList, type PortMapping } from './cni.js';
import { EmbeddedDNS } from './dns.js';
import { conflict, EngineError, invalidParameter, notFound, systemError } from './errors.js';
import type { Filters } from './filters.js';
import { check, run } from './sys.js';

export interface IPAMConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: 'bridge' | 'host' | 'null';
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IPAMConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export interface CreateNetworkRequest {
  Name: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: IPAMConfig[] | null; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/** What a container has on one network (inspect's NetworkSettings.Networks[name]). */
export interface Endpoint {
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  MacAddress: string;
  Aliases: string[] | null;
  IfName: string;
}

export const PREDEFINED = ['bridge', 'host', 'none'];
const DEFAULT_BRIDGE_SUBNET = '172.17.0.0/16';

// ---- addresses ----------------------------------------------------------------------------------

export function ipToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw invalidParameter(`invalid IP address: ${ip}`);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCIDR(cidr: string): { base: number; bits: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  if (!m || Number(m[2]) > 32) throw invalidParameter(`invalid CIDR address: ${cidr}`);
  const bits = Number(m[2]);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return { base: (ipToInt(m[1]!) & mask) >>> 0, bits };
}

export function overlaps(a: string, b: string): boolean {
  const x = parseCIDR(a);
  const y = parseCIDR(b);
  const bits = Math.min(x.bits, y.bits);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((x.base & mask) >>> 0) === ((y.base & mask) >>> 0);
}

/** dockerd's default local address pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. */
function* candidatePools(): Generator<string> {
  for (let i = 17; i <= 31; i++) yield `172.${i}.0.0/16`;
  for (let i = 0; i < 256; i += 16) yield `192.168.${i}.0/20`;
}

function hostRoutes(): string[] {
  const out: string[] = [];
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 8 || f[1] === '00000000') continue;
      const hex = (h: string) => intToIp(Number.parseInt(h.match(/../g)!.reverse().join(''), 16));
      const bits = ipToInt(hex(f[7]!)).toString(2).split('').filter((c) => c === '1').length;
      out.push(`${hex(f[1]!)}/${bits}`);
    }
  } catch {
    // no routes readable: nothing to avoid
  }
  return out;
}

export const randomID = () => randomBytes(32).toString('hex');

export interface NetworkUser {
  id: string;
  name: string;
  endpoints: Record<string, Endpoint>;
}

type EventLog = (action: string, id: string, attributes: Record<string, string>) => void;

export class NetworkService {
  private readonly networks = new Map<string, NetworkRecord>();
  readonly dns: EmbeddedDNS;

  constructor(
    readonly root: string,
    private readonly users: () => NetworkUser[],
    private readonly event: EventLog = () => {},
  ) {
    mkdirSync(join(root, 'networks'), { recursive: true });
    mkdirSync(this.ipamDir, { recursive: true });
    for (const f of readdirSync(join(root, 'networks'))) {
      if (!f.endsWith('.json')) continue;
      const n = JSON.parse(readFileSync(join(root, 'networks', f), 'utf8')) as NetworkRecord;
      this.networks.set(n.Id, n);
    }
    this.ensurePredefined();
    this.dns = new EmbeddedDNS(() => hostNameservers());
  }

  get ipamDir(): string {
    return join(this.root, 'ipam');
  }

  get cacheDir(): string {
    return join(this.root, 'results');
  }

  private save(n: NetworkRecord): void {
    writeFileSync(join(this.root, 'networks', `${n.Id}.json`), JSON.stringify(n, null, 1));
  }

  private ensurePredefined(): void {
    const now = new Date().toISOString();
    const base = { Scope: 'local' as const, EnableIPv6: false, Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false, Labels: {} };
    if (!this.byName('bridge')) {
      this.add({
        ...base,
        Name: 'bridge',
        Id: randomID(),
        Created: now,
        Driver: 'bridge',
        IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: DEFAULT_BRIDGE_SUBNET, Gateway: '172.17.0.1' }] },
        Options: {
          'com.docker.network.bridge.default_bridge': 'true',
          'com.docker.network.bridge.enable_icc': 'true',
          'com.docker.network.bridge.enable_ip_masquerade': 'true',
          'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
          'com.docker.network.bridge.name': 'berth0',
          'com.docker.network.driver.mtu': '1500',
        },
      });
    }
    if (!this.byName('host')) this.add({ ...base, Name: 'host', Id: randomID(), Created: now, Driver: 'host', IPAM: { Driver: 'default', Options: null, Config: [] }, Options: {} });
    if (!this.byName('none')) this.add({ ...base, Name: 'none', Id: randomID(), Created: now, Driver: 'null', IPAM: { Driver: 'default', Options: null, Config: [] }, Options: {} });
  }

  private add(n: NetworkRecord): void {
    this.networks.set(n.Id, n);
    this.save(n);
  }

  private byName(name: string): NetworkRecord | undefined {
    return [...this.networks.values()].find((n) => n.Name === name);
  }

  /** FindNetwork: full ID, then exact name, then a unique ID prefix. */
  find(idOrName: string): NetworkRecord | undefined {
    const byId = this.networks.get(idOrName);
    if (byId) return byId;
    const byName = this.byName(idOrName);
    if (byName) return byName;
    const hits = [...this.networks.values()].filter((n) => n.Id.startsWith(idOrName));
    if (hits.length > 1) throw new EngineError('invalidParameter', `network ${idOrName} is ambiguous (${hits.length} matches found based on ID prefix)`);
    return hits[0];
  }

  get(idOrName: string): NetworkRecord {
    const n = idOrName ? this.find(idOrName) : undefined;
    if (!n) throw notFound(`network ${idOrName} not found`);
    return n;
  }

  list(): NetworkRecord[] {
    return [...this.networks.values()];
  }

  filter(f: Filters): NetworkRecord[] {
    f.validate(['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type']);
    return this.list().filter((n) => {
      const custom = !PREDEFINED.includes(n.Name);
      if (f.contains('type')) {
        for (const t of f.get('type')) if (t !== 'custom' && t !== 'builtin') throw invalidParameter(`invalid filter: 'type'='${t}'`);
        if (!f.exactMatch('type', custom ? 'custom' : 'builtin')) return false;
      }
      if (f.contains('dangling')) {
        const want = f.get('dangling').some((x) => x === 'true' || x === '1');
        const dangling = custom && this.endpointsOf(n).length === 0;
        if (dangling !== want) return false;
      }
      return (
        f.match('name', n.Name) &&
        f.match('id', n.Id) &&
        f.exactMatch('driver', n.Driver) &&
        f.exactMatch('scope', n.Scope) &&
        f.matchKVList('label', n.Labels)
      );
    });
  }

  endpointsOf(n: NetworkRecord): { user: NetworkUser; ep: Endpoint }[] {
    const out: { user: NetworkUser; ep: Endpoint }[] = [];
    for (const u of this.users()) {
      const ep = u.endpoints[n.Name];
      if (ep && ep.NetworkID === n.Id) out.push({ user: u, ep });
    }
    return out;
  }

  create(req: CreateNetworkRequest): { Id: string; Warning: string } {
    if (!req.Name) throw invalidParameter('network name must not be empty');
    if (PREDEFINED.includes(req.Name)) throw new EngineError('forbidden', `operation is not permitted on predefined ${req.Name} network `);
    if (this.byName(req.Name)) throw conflict(`network with name ${req.Name} already exists`);
    const driver = req.Driver || 'bridge';
    if (driver !== 'bridge') throw notFound(`plugin "${driver}" not found`);
    if (req.IPAM?.Driver && req.IPAM.Driver !== 'default') throw notFound(`plugin "${req.IPAM.Driver}" not found`);
    const used = this.list().flatMap((n) => n.IPAM.Config.map((c) => c.Subnet).filter((s): s is string => !!s));
    let config: IPAMConfig[];
    const wanted = req.IPAM?.Config ?? [];
    if (wanted.length > 0) {
      config = wanted.map((c) => {
        if (!c.Subnet) throw invalidParameter('ipam config must have a subnet');
        const { base, bits } = parseCIDR(c.Subnet);
        const subnet = `${intToIp(base)}/${bits}`;
        if (used.some((u) => overlaps(u, subnet))) throw new EngineError('forbidden', 'Pool overlaps with other one on this address space');
        if (c.Gateway) {
          const g = ipToInt(c.Gateway);
          if (((g & ((~0 << (32 - bits)) >>> 0)) >>> 0) !== base) throw invalidParameter(`no matching subnet for gateway ${c.Gateway}`);
        }
        // kept as given: dockerd shows no Gateway it was not told, though the network has one
        return { Subnet: c.Subnet, ...(c.IPRange ? { IPRange: c.IPRange } : {}), ...(c.Gateway ? { Gateway: c.Gateway } : {}) };
      });
    } else {
      const avoid = [...used, ...hostRoutes()];
      let pick: string | undefined;
      for (const p of candidatePools()) {
        if (!avoid.some((u) => overlaps(u, p))) {
          pick = p;
          break;
        }
      }
      if (!pick) throw new EngineError('forbidden', 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
      const { base } = parseCIDR(pick);
      config = [{ Subnet: pick, Gateway: intToIp(base + 1) }];
    }
    const n: NetworkRecord = {
      Name: req.Name,
      Id: randomID(),
      Created: new Date().toISOString(),
      Scope: 'local',
      Driver: 'bridge',
      EnableIPv6: !!req.EnableIPv6,
      IPAM: { Driver: 'default', Options: req.IPAM?.Options ?? {}, Config: config },
      Internal: !!req.Internal,
      Attachable: !!req.Attachable,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Options: req.Options ?? {},
      Labels: req.Labels ?? {},
    };
    this.add(n);
    this.event('create', n.Id, { name: n.Name, type: n.Driver });
    return { Id: n.Id, Warning: '' };
  }

  async remove(idOrName: string): Promise<void> {
    const n = this.get(idOrName);
    if (PREDEFINED.includes(n.Name)) throw new EngineError('forbidden', `${n.Name} is a pre-defined network and cannot be removed`);
    if (this.endpointsOf(n).length > 0) {
      throw new EngineError('forbidden', `error while removing network: network ${n.Name} id ${n.Id} has active endpoints`);
    }
    this.dns.close(n.Id);
    await run('ip', ['link', 'delete', this.bridgeName(n)]);
    this.networks.delete(n.Id);
    rmSync(join(this.root, 'networks', `${n.Id}.json`), { force: true });
    rmSync(join(this.ipamDir, n.Name), { recursive: true, force: true });
    this.event('destroy', n.Id, { name: n.Name, type: n.Driver });
  }

  bridgeName(n: NetworkRecord): string {
    return n.Options['com.docker.network.bridge.name'] ?? `br-${n.Id.slice(0, 12)}`;
  }

  /** The CNI configuration list realising a bridge network. */
  cniConfig(n: NetworkRecord): CniConfList {
    const c = n.IPAM.Config[0]!;
    const range: Record<string, string> = { subnet: c.Subnet!, gateway: gatewayOf(n)! };
    if (c.IPRange) {
      const { base, bits } = parseCIDR(c.IPRange);
      range['rangeStart'] = intToIp(base + (base === parseCIDR(c.Subnet!).base ? 2 : 0));
      range['rangeEnd'] = intToIp(base + 2 ** (32 - bits) - 2);
    }
    return {
      cniVersion: '1.0.0',
      name: n.Name,
      plugins: [
        {
          type: 'bridge',
          bridge: this.bridgeName(n),
          isGateway: true,
          ipMasq: !n.Internal && n.Options['com.docker.network.bridge.enable_ip_masquerade'] !== 'false',
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[range]],
            ...(n.Internal ? {} : { routes: [{ dst: '0.0.0.0/0' }] }),
            dataDir: this.ipamDir,
          },
        },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      ],
    };
  }

  /** Creates a network namespace for a container; returns its path. */
  async createNetns(containerID: string): Promise<string> {
    const name = netnsName(containerID);
    const path = `/run/netns/${name}`;
    if (!existsSync(path)) await check('ip', ['netns', 'add', name]);
    await check('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    return path;
  }

  async deleteNetns(containerID: string): Promise<void> {
    const name = netnsName(containerID);
    if (existsSync(`/run/netns/${name}`)) await run('ip', ['netns', 'delete', name]);
  }

  /** Connects a container's namespace to a bridge network through CNI. */
  async attach(n: NetworkRecord, containerID: string, netns: string, ifName: string, opts: { endpointID?: string; ip?: string; ports?: PortMapping[]; aliases?: string[] }): Promise<Endpoint> {
    const conf = this.cniConfig(n);
    const args: Record<string, string> = {};
    if (opts.ip) args['IP'] = opts.ip;
    // host-local hands out addresses round-robin; dockerd's IPAM takes the lowest free one
    rmSync(join(this.ipamDir, n.Name, 'last_reserved_ip.0'), { force: true });
    let result;
    try {
      result = await cniAdd(conf, { containerID, netns, ifName, capabilityArgs: { portMappings: opts.ports ?? [] }, args }, this.cacheDir);
    } catch (e) {
      if (e instanceof CniError) {
        if (/requested IP address .* is not available|already allocated/i.test(e.message)) throw invalidParameter(`Address already in use`);
        if (/address already in use|bind: /i.test(e.message)) throw systemError(`driver failed programming external connectivity on endpoint: ${e.message}`);
        throw systemError(`failed to set up container networking: ${e.message}`);
      }
      throw e;
    }
    const ip = result.ips?.[0];
    const iface = result.interfaces?.find((i) => i.name === ifName && i.sandbox);
    const [addr, prefix] = (ip?.address ?? '/0').split('/');
    const ep: Endpoint = {
      NetworkID: n.Id,
      EndpointID: opts.endpointID ?? randomID(),
      Gateway: ip?.gateway ?? gatewayOf(n) ?? '',
      IPAddress: addr ?? '',
      IPPrefixLen: Number(prefix ?? 0),
      MacAddress: iface?.mac ?? '',
      Aliases: opts.aliases && opts.aliases.length ? opts.aliases : null,
      IfName: ifName,
    };
    if (!PREDEFINED.includes(n.Name)) await this.serveDNS(n);
    return ep;
  }

  async detach(n: NetworkRecord, containerID: string, netns: string, ifName: string): Promise<void> {
    await cniDel(this.cniConfig(n), { containerID, netns, ifName }, this.cacheDir);
  }

  /** Starts the embedded DNS on a user network's gateway (the bridge exists once one container joined). */
  async serveDNS(n: NetworkRecord): Promise<void> {
    const gw = gatewayOf(n);
    if (!gw || this.dns.has(n.Id)) return;
    await this.dns.listen(n.Id, gw, (name, from) => this.resolve(n, name, from));
  }

  /**
   * Names a container answers to on a network: its name, its aliases, its short ID. A client on
   * several user networks resolves names on all of them (its own network first), as with dockerd.
   */
  resolve(n: NetworkRecord, name: string, from?: string): string[] | undefined {
    const asker = from ? this.endpointsOf(n).find(({ ep }) => ep.IPAddress === from)?.user : undefined;
    const nets = [n, ...Object.values(asker?.endpoints ?? {}).map((ep) => this.networks.get(ep.NetworkID)).filter((x): x is NetworkRecord => !!x && x.Id !== n.Id && !PREDEFINED.includes(x.Name))];
    for (const net of nets) {
      const ips: string[] = [];
      for (const { user, ep } of this.endpointsOf(net)) {
        const names = [user.name.replace(/^\//, ''), user.id.slice(0, 12), ...(ep.Aliases ?? [])].map((x) => x.toLowerCase());
        if (names.includes(name) && ep.IPAddress) ips.push(ep.IPAddress);
      }
      if (ips.length) return ips;
    }
    return undefined;
  }
}

/** A network's gateway: the configured one, or the subnet's first address. */
export function gatewayOf(n: NetworkRecord): string | undefined {
  const c = n.IPAM.Config[0];
  if (!c?.Subnet) return undefined;
  return c.Gateway ?? intToIp(parseCIDR(c.Subnet).base + 1);
}

export function netnsName(containerID: string): string {
  return `berth-${containerID.slice(0, 12)}`;
}

/** The host's nameservers, as a container's resolv.conf inherits them (loopback ones dropped). */
export function hostNameservers(): string[] {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8')
      .split('\n')
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
      .filter((s): s is string => !!s && !s.startsWith('127.') && s !== '::1' && s.includes('.'));
  } catch {
    return [];
  }
}

/** resolv.conf for a container: the host's, without loopback servers (dockerd's defaults if none remain). */
export function containerResolvConf(userNetworkGateway: string | undefined, dns: string[], search: string[], options: string[]): string {
  const hostText = (() => {
    try {
      return readFileSync('/etc/resolv.conf', 'utf8');
    } catch {
      return '';
    }
  })();
  const hostSearch = hostText.split('\n').map((l) => /^\s*search\s+(.+)/.exec(l)?.[1]).filter((s): s is string => !!s).flatMap((s) => s.split(/\s+/));
  const hostOpts = hostText.split('\n').map((l) => /^\s*options\s+(.+)/.exec(l)?.[1]).filter((s): s is string => !!s).flatMap((s) => s.split(/\s+/));
  const lines: string[] = [];
  if (userNetworkGateway) {
    lines.push(`nameserver ${userNetworkGateway}`);
  } else {
    const ns = dns.length ? dns : hostNameservers();
    for (const s of ns.length ? ns : ['8.8.8.8', '8.8.4.4']) lines.push(`nameserver ${s}`);
  }
  const s = search.length ? search : hostSearch;
  if (s.length) lines.push(`search ${s.join(' ')}`);
  const o = options.length ? options : userNetworkGateway ? ['ndots:0', ...hostOpts.filter((x) => !x.startsWith('ndots'))] : hostOpts;
  if (o.length) lines.push(`options ${o.join(' ')}`);
  return lines.join('\n') + '\n';
}
