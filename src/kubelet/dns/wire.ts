// The DNS message format (RFC 1035) as far as the cluster DNS needs it: read a query's header and
// question, write a response with A, AAAA, CNAME, SRV, PTR and SOA records. Names are written
// uncompressed (answers are small); a UDP response over the client's limit is truncated (TC).
import { readName } from '../../engine/dns.js';

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface Query {
  id: number;
  /** The header's second word (opcode, RD, ...). */
  flags: number;
  question: Question;
  /** The EDNS0 UDP payload size the client accepts (512 without OPT). */
  udpSize: number;
}

export type RData =
  | { type: 'A'; ip: string }
  | { type: 'AAAA'; ip: string }
  | { type: 'CNAME'; target: string }
  | { type: 'PTR'; target: string }
  | { type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { type: 'SOA'; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };

export interface Record {
  name: string;
  ttl: number;
  data: RData;
}

export interface Reply {
  rcode: number;
  answers: Record[];
  authority: Record[];
  additional: Record[];
}

/** Reads a query; throws on a message that is not one. */
export function parseQuery(msg: Buffer): Query {
  if (msg.length < 12) throw new Error('short message');
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) throw new Error('not a query');
  if (msg.readUInt16BE(4) !== 1) throw new Error('not one question');
  const { name, end } = readName(msg, 12);
  if (end + 4 > msg.length) throw new Error('truncated question');
  const question = { name: name.toLowerCase().replace(/\.$/, ''), type: msg.readUInt16BE(end), class: msg.readUInt16BE(end + 2) };
  let udpSize = 512;
  // an OPT record among the additional ones carries the client's UDP size in its class
  const arcount = msg.readUInt16BE(10);
  if (arcount > 0 && msg.readUInt16BE(6) === 0 && msg.readUInt16BE(8) === 0) {
    try {
      const r = readName(msg, end + 4);
      if (msg.readUInt16BE(r.end) === TYPE.OPT) udpSize = Math.max(512, msg.readUInt16BE(r.end + 2));
    } catch {
      // no usable OPT: 512
    }
  }
  return { id: msg.readUInt16BE(0), flags, question, udpSize };
}

function writeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const l of name.replace(/\.$/, '').split('.').filter(Boolean)) {
    const b = Buffer.from(l, 'latin1');
    parts.push(Buffer.from([Math.min(63, b.length)]), b.subarray(0, 63));
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function rdata(d: RData): { type: number; data: Buffer } {
  switch (d.type) {
    case 'A':
      return { type: TYPE.A, data: Buffer.from(d.ip.split('.').map(Number)) };
    case 'AAAA': {
      const b = Buffer.alloc(16);
      const [head, tail] = d.ip.split('::') as [string, string | undefined];
      const h = head ? head.split(':') : [];
      const t = tail !== undefined && tail ? tail.split(':') : [];
      const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
      groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
      return { type: TYPE.AAAA, data: b };
    }
    case 'CNAME':
      return { type: TYPE.CNAME, data: writeName(d.target) };
    case 'PTR':
      return { type: TYPE.PTR, data: writeName(d.target) };
    case 'SRV': {
      const h = Buffer.alloc(6);
      h.writeUInt16BE(d.priority, 0);
      h.writeUInt16BE(d.weight, 2);
      h.writeUInt16BE(d.port, 4);
      return { type: TYPE.SRV, data: Buffer.concat([h, writeName(d.target)]) };
    }
    case 'SOA': {
      const n = Buffer.alloc(20);
      [d.serial, d.refresh, d.retry, d.expire, d.minimum].forEach((v, i) => n.writeUInt32BE(v >>> 0, i * 4));
      return { type: TYPE.SOA, data: Buffer.concat([writeName(d.mname), writeName(d.rname), n]) };
    }
  }
}

function writeRecord(r: Record): Buffer {
  const { type, data } = rdata(r.data);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(r.ttl, 4);
  fixed.writeUInt16BE(data.length, 8);
  return Buffer.concat([writeName(r.name), fixed, data]);
}

/** A response to `q`; over `limit` bytes, records are dropped and TC set (the client retries over TCP). */
export function encodeReply(q: Query, reply: Reply, opts: { authoritative: boolean; limit?: number }): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  const question = Buffer.concat([writeName(q.question.name), Buffer.from([q.question.type >> 8, q.question.type & 255, q.question.class >> 8, q.question.class & 255])]);
  const sections = [reply.answers.map(writeRecord), reply.authority.map(writeRecord), reply.additional.map(writeRecord)];
  let truncated = false;
  const limit = opts.limit ?? 65535;
  const size = () => 12 + question.length + sections.flat().reduce((n, b) => n + b.length, 0);
  while (size() > limit) {
    truncated = true;
    const s = sections[2]!.length ? sections[2]! : sections[1]!.length ? sections[1]! : sections[0]!;
    if (!s.length) break;
    s.pop();
  }
  // QR, the query's opcode and RD, AA when we are the authority, RA
  header.writeUInt16BE(0x8000 | (q.flags & 0x7900) | (opts.authoritative ? 0x0400 : 0) | (truncated ? 0x0200 : 0) | 0x0080 | (reply.rcode & 15), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(sections[0]!.length, 6);
  header.writeUInt16BE(sections[1]!.length, 8);
  header.writeUInt16BE(sections[2]!.length, 10);
  return Buffer.concat([header, question, ...sections.flat()]);
}

/** A query message (for tests and the forwarder's own use). */
export function encodeQuery(id: number, name: string, type: number, rd = true): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(rd ? 0x0100 : 0, 2);
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, writeName(name), Buffer.from([type >> 8, type & 255, 0, 1])]);
}

/** Reads a response's rcode and answer records (for tests). */
export function parseReply(msg: Buffer): { id: number; rcode: number; flags: number; answers: { name: string; type: number; ttl: number; data: string }[]; authority: number } {
  const flags = msg.readUInt16BE(2);
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  let p = 12;
  for (let i = 0; i < qd; i++) p = readName(msg, p).end + 4;
  const answers = [];
  for (let i = 0; i < an; i++) {
    const n = readName(msg, p);
    const type = msg.readUInt16BE(n.end);
    const ttl = msg.readUInt32BE(n.end + 4);
    const len = msg.readUInt16BE(n.end + 8);
    const start = n.end + 10;
    let data: string;
    if (type === TYPE.A) data = [...msg.subarray(start, start + 4)].join('.');
    else if (type === TYPE.SRV) data = `${msg.readUInt16BE(start)} ${msg.readUInt16BE(start + 2)} ${msg.readUInt16BE(start + 4)} ${readName(msg, start + 6).name}`;
    else if (type === TYPE.CNAME || type === TYPE.PTR) data = readName(msg, start).name;
    else data = msg.subarray(start, start + len).toString('hex');
    answers.push({ name: n.name, type, ttl, data });
    p = start + len;
  }
  return { id: msg.readUInt16BE(0), rcode: flags & 15, flags, answers, authority: msg.readUInt16BE(8) };
}
