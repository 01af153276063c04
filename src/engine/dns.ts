// The embedded DNS server of user-defined networks: containers on a network resolve each other's
// names (and aliases); anything else is forwarded to the host's resolvers. One UDP listener per
// network, on the network's gateway address (dockerd listens on 127.0.0.11 inside each container
// instead, which needs setns; the answers are the same).
import { createSocket, type Socket } from 'node:dgram';

/** Addresses for a name, as asked by the client at `from`. */
export type Lookup = (name: string, from: string) => string[] | undefined;

interface Question {
  name: string;
  type: number;
  end: number;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;
const TYPE_ANY = 255;

/** A (possibly compressed) domain name at `off`, and where the name's own bytes end. */
export function readName(msg: Buffer, off: number): { name: string; end: number } {
  const labels: string[] = [];
  let p = off;
  let end = -1;
  for (let hops = 0; hops < 128; hops++) {
    const len = msg[p];
    if (len === undefined) throw new Error('truncated name');
    if (len === 0) {
      if (end < 0) end = p + 1;
      return { name: labels.join('.'), end };
    }
    if ((len & 0xc0) === 0xc0) {
      if (end < 0) end = p + 2;
      p = ((len & 0x3f) << 8) | (msg[p + 1] ?? 0);
      continue;
    }
    if (p + 1 + len > msg.length) throw new Error('truncated label');
    labels.push(msg.subarray(p + 1, p + 1 + len).toString('latin1'));
    p += 1 + len;
  }
  throw new Error('name loop');
}

function question(msg: Buffer): Question | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) < 1) return undefined;
  const { name, end } = readName(msg, 12);
  return { name: name.toLowerCase().replace(/\.$/, ''), type: msg.readUInt16BE(end), end: end + 4 };
}

/** A response to `query` carrying A records for `ips` (none for a name without IPv4 answers). */
export function answer(query: Buffer, q: Question, ips: string[], rcode = 0): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  const rd = query.readUInt16BE(2) & 0x0100;
  header.writeUInt16BE(0x8000 | 0x0400 | rd | 0x0080 | rcode, 2); // QR, AA, RD, RA
  header.writeUInt16BE(1, 4);
  const records = q.type === TYPE_A || q.type === TYPE_ANY ? ips : [];
  header.writeUInt16BE(records.length, 6);
  const parts = [header, query.subarray(12, q.end)];
  for (const ip of records) {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(600, 6);
    rr.writeUInt16BE(4, 10);
    ip.split('.').forEach((o, i) => rr.writeUInt8(Number(o), 12 + i));
    parts.push(rr);
  }
  return Buffer.concat(parts);
}

export class EmbeddedDNS {
  private readonly sockets = new Map<string, Socket>();

  constructor(private readonly upstream: () => string[]) {}

  has(key: string): boolean {
    return this.sockets.has(key);
  }

  /** Serves `lookup` on ip:53 under `key` (the network ID); a no-op when already serving. */
  async listen(key: string, ip: string, lookup: Lookup): Promise<void> {
    if (this.sockets.has(key)) return;
    const sock = createSocket({ type: 'udp4', reuseAddr: true });
    sock.on('message', (msg, from) => void this.handle(sock, msg, from.address, from.port, lookup));
    sock.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(53, ip, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    this.sockets.set(key, sock);
  }

  close(key: string): void {
    const s = this.sockets.get(key);
    if (s) {
      this.sockets.delete(key);
      s.close();
    }
  }

  closeAll(): void {
    for (const k of [...this.sockets.keys()]) this.close(k);
  }

  private async handle(sock: Socket, msg: Buffer, addr: string, port: number, lookup: Lookup): Promise<void> {
    let q: Question | undefined;
    try {
      q = question(msg);
    } catch {
      return;
    }
    if (!q) return;
    const ips = lookup(q.name, addr);
    if (ips) {
      sock.send(answer(msg, q, q.type === TYPE_AAAA ? [] : ips), port, addr);
      return;
    }
    const reply = await this.forward(msg);
    sock.send(reply ?? answer(msg, q, [], 2), port, addr); // SERVFAIL when nobody answered
  }

  private forward(msg: Buffer): Promise<Buffer | undefined> {
    const servers = this.upstream();
    if (servers.length === 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const s = createSocket('udp4');
      const timer = setTimeout(() => {
        s.close();
        resolve(undefined);
      }, 2000);
      s.on('message', (reply) => {
        clearTimeout(timer);
        s.close();
        resolve(reply);
      });
      s.on('error', () => {
        clearTimeout(timer);
        s.close();
        resolve(undefined);
      });
      s.send(msg, 53, servers[0]!);
    });
  }
}
