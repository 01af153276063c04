// ClusterIP and NodePort allocation for Services. What is allocated is read from the stored
// Services themselves; addresses handed out but not yet stored are held as reservations, so two
// concurrent creates in this process never get the same address.
import type { ObjectStore } from '../store/types.js';
import { resourcePrefix } from '../store/types.js';

export interface Cidr {
  base: number; // network address as an unsigned 32-bit integer
  size: number; // number of addresses
}

export function parseCidr(cidr: string): Cidr {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`invalid CIDR ${cidr}`);
  const [a, b, c, d, bits] = m.slice(1).map(Number) as [number, number, number, number, number];
  const size = 2 ** (32 - bits);
  const base = ((((a << 24) >>> 0) + (b << 16) + (c << 8) + d) >>> 0) & ~(size - 1) >>> 0;
  return { base: base >>> 0, size };
}

export function ipToString(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

export function ipToNumber(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}

interface ServiceLike {
  spec?: { clusterIP?: string; clusterIPs?: string[]; ports?: { nodePort?: number }[] };
}

export class ServiceAllocator {
  private readonly reservedIPs = new Set<string>();
  private readonly reservedPorts = new Set<number>();

  constructor(
    private readonly store: ObjectStore,
    readonly serviceCidr: Cidr,
    readonly nodePortRange: [number, number] = [30000, 32767],
  ) {}

  /** The first usable address of the range: the `kubernetes` Service's ClusterIP. */
  firstIP(): string {
    return ipToString(this.serviceCidr.base + 1);
  }

  private async used(): Promise<{ ips: Set<string>; ports: Set<number> }> {
    const { items } = await this.store.list(resourcePrefix('', 'services'));
    const ips = new Set(this.reservedIPs);
    const ports = new Set(this.reservedPorts);
    for (const s of items as ServiceLike[]) {
      for (const ip of s.spec?.clusterIPs ?? (s.spec?.clusterIP ? [s.spec.clusterIP] : [])) ips.add(ip);
      for (const p of s.spec?.ports ?? []) if (p.nodePort) ports.add(p.nodePort);
    }
    return { ips, ports };
  }

  /** Reserves a ClusterIP (the requested one, or the lowest free one); release() drops the reservation. */
  async allocateIP(requested?: string): Promise<string> {
    const { ips } = await this.used();
    const { base, size } = this.serviceCidr;
    if (requested) {
      const n = ipToNumber(requested);
      if (n === undefined || n <= base || n >= base + size - 1) {
        throw new AllocationError(`failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${ipToString(base)}/${32 - Math.log2(size)}`);
      }
      if (ips.has(requested)) throw new AllocationError(`failed to allocate IP ${requested}: provided IP is already allocated`);
      this.reservedIPs.add(requested);
      return requested;
    }
    // Skip the network address, the first address (the kubernetes Service's) and the tenth (the
    // cluster DNS Service's, by upstream convention: kubeadm's 10.96.0.10).
    for (let n = base + 2; n < base + size - 1; n++) {
      if (n === base + 10) continue;
      const ip = ipToString(n);
      if (!ips.has(ip)) {
        this.reservedIPs.add(ip);
        return ip;
      }
    }
    throw new AllocationError('failed to allocate a serviceIP: range is full');
  }

  async allocateNodePort(requested?: number): Promise<number> {
    const { ports } = await this.used();
    const [lo, hi] = this.nodePortRange;
    if (requested) {
      if (requested < lo || requested > hi) {
        throw new AllocationError(`provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`);
      }
      if (ports.has(requested)) throw new AllocationError('provided port is already allocated');
      this.reservedPorts.add(requested);
      return requested;
    }
    for (let p = lo; p <= hi; p++) {
      if (!ports.has(p)) {
        this.reservedPorts.add(p);
        return p;
      }
    }
    throw new AllocationError('range is full');
  }

  release(ips: string[], ports: number[]): void {
    for (const ip of ips) this.reservedIPs.delete(ip);
    for (const p of ports) this.reservedPorts.delete(p);
  }
}

export class AllocationError extends Error {}
