// The server half of a SPDY/3.1 session (the framing moby/spdystream speaks and kubectl's
// port-forward uses): control frames SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY,
// HEADERS and WINDOW_UPDATE, data frames, and name/value header blocks compressed by one zlib
// context per direction for the whole session, primed with the SPDY/3 dictionary. Streams are
// opened by the client; this side replies, reads and writes them, and half-closes with FIN.
import { EventEmitter } from 'node:events';
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';

const VERSION = 3;
export const FRAME = { SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8, WINDOW_UPDATE: 9 } as const;
export const FLAG_FIN = 0x01;
export const RST = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6, STREAM_IN_USE: 8 } as const;
/** Data frames carry at most this much (spdystream's writes are chunked likewise). */
const MAX_DATA = 16 * 1024;

/** The SPDY/3 header dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1): length-prefixed words, then plain text. */
export const SPDY3_DICTIONARY: Buffer = (() => {
  const words = [
    ...'options head post put delete trace accept accept-charset accept-encoding accept-language accept-ranges age allow authorization cache-control connection content-base content-encoding content-language content-length content-location content-md5 content-range content-type date etag expect expires from host if-match if-modified-since if-none-match if-range if-unmodified-since last-modified location max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after server te trailer transfer-encoding upgrade user-agent vary via warning www-authenticate method get status'.split(' '),
    '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
  ];
  const parts = words.map((w) => {
    const b = Buffer.alloc(4 + w.length);
    b.writeUInt32BE(w.length, 0);
    b.write(w, 4, 'latin1');
    return b;
  });
  const tail =
    '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
    '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found' +
    '500 Internal Server Error501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 ' +
    'Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,' +
    'text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';
  return Buffer.concat([...parts, Buffer.from(tail, 'latin1')]);
})();

export type Headers = Record<string, string[]>;

/** A name/value block, uncompressed: count, then length-prefixed names and NUL-joined values. */
export function encodeHeaderBlock(h: Headers): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n, 0);
    return b;
  };
  const entries = Object.entries(h);
  parts.push(u32(entries.length));
  for (const [k, vs] of entries) {
    const name = Buffer.from(k.toLowerCase());
    const value = Buffer.from(vs.join('\0'));
    parts.push(u32(name.length), name, u32(value.length), value);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(b: Buffer): Headers {
  const out: Headers = {};
  let p = 0;
  const u32 = () => {
    if (p + 4 > b.length) throw new Error('truncated header block');
    const v = b.readUInt32BE(p);
    p += 4;
    return v;
  };
  const bytes = (n: number) => {
    if (p + n > b.length) throw new Error('truncated header block');
    const s = b.subarray(p, p + n).toString();
    p += n;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const name = bytes(u32()).toLowerCase();
    const values = bytes(u32()).split('\0');
    (out[name] ??= []).push(...values);
  }
  return out;
}

export interface Frame {
  control: boolean;
  /** control: the frame type; data: the stream ID */
  type: number;
  streamId: number;
  flags: number;
  data: Buffer;
}

/** Splits a byte stream into frames; what is incomplete waits for more. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const first = this.buf.readUInt32BE(0);
      const flags = this.buf[4]!;
      const data = Buffer.from(this.buf.subarray(8, 8 + len));
      const control = (first & 0x80000000) !== 0;
      if (control) {
        const type = first & 0xffff;
        const streamId = type === FRAME.SYN_STREAM || type === FRAME.SYN_REPLY || type === FRAME.RST_STREAM || type === FRAME.HEADERS || type === FRAME.WINDOW_UPDATE ? (data.length >= 4 ? data.readUInt32BE(0) & 0x7fffffff : 0) : 0;
        out.push({ control, type, streamId, flags, data });
      } else {
        out.push({ control, type: 0, streamId: first & 0x7fffffff, flags, data });
      }
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE((0x8000 | VERSION) * 0x10000 + type, 0);
  h.writeUInt32BE(((flags & 0xff) * 0x1000000) + payload.length, 4);
  return Buffer.concat([h, payload]);
}

export function dataFrame(streamId: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h.writeUInt32BE(((flags & 0xff) * 0x1000000) + payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** One zlib context, fed block by block with a sync flush after each (what SPDY's header compression is). */
class ZContext {
  private chain: Promise<unknown> = Promise.resolve();
  private out: Buffer[] = [];

  constructor(private readonly z: Inflate | Deflate) {
    z.on('data', (d: Buffer) => this.out.push(d));
    z.on('error', () => undefined);
  }

  run(block: Buffer): Promise<Buffer> {
    const next = this.chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          this.z.once('error', reject);
          this.z.write(block);
          this.z.flush(constants.Z_SYNC_FLUSH, () => {
            this.z.off('error', reject);
            // 'data' for a flush may follow its callback by a tick
            setImmediate(() => resolve(Buffer.concat(this.out.splice(0))));
          });
        }),
    );
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.z.destroy();
  }
}

/** The session's transport: bytes out, and the peer's bytes and end in. */
export interface ByteTransport {
  write(b: Buffer): void;
  onData(cb: (b: Buffer) => void): void;
  onClose(cb: () => void): void;
  close(): void;
}

export class SpdyStream extends EventEmitter {
  /** The peer sent FIN. */
  remoteClosed = false;
  /** This side sent FIN. */
  localClosed = false;
  reset = false;

  constructor(
    private readonly session: SpdyServerSession,
    readonly id: number,
    readonly headers: Headers,
  ) {
    super();
  }

  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  write(data: Buffer): void {
    if (this.localClosed || this.reset) return;
    for (let p = 0; p < data.length; p += MAX_DATA) this.session.send(dataFrame(this.id, 0, data.subarray(p, p + MAX_DATA)));
  }

  /** Half-closes: sends FIN. */
  end(): void {
    if (this.localClosed || this.reset) return;
    this.localClosed = true;
    this.session.send(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
    this.session.maybeForget(this);
  }

  resetStream(status: number = RST.CANCEL): void {
    if (this.reset) return;
    this.reset = true;
    const b = Buffer.alloc(8);
    b.writeUInt32BE(this.id, 0);
    b.writeUInt32BE(status, 4);
    this.session.send(controlFrame(FRAME.RST_STREAM, 0, b));
    this.session.forget(this);
    this.emit('reset');
  }
}

/**
 * A SPDY/3.1 server session: emits 'stream' for every stream the client opens (after replying
 * to it), and 'close' when the transport ends. PINGs are echoed; flow control is not enforced
 * (spdystream, the only client, does not enforce it either).
 */
export class SpdyServerSession extends EventEmitter {
  private readonly reader = new FrameReader();
  private readonly inflate = new ZContext(createInflate({ dictionary: SPDY3_DICTIONARY }));
  private readonly deflate = new ZContext(createDeflate({ dictionary: SPDY3_DICTIONARY }));
  private readonly streams = new Map<number, SpdyStream>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly transport: ByteTransport) {
    super();
    transport.onData((b) => {
      let frames: Frame[];
      try {
        frames = this.reader.push(b);
      } catch {
        this.close();
        return;
      }
      for (const f of frames) this.queue = this.queue.then(() => this.onFrame(f)).catch(() => this.close());
    });
    transport.onClose(() => this.close());
  }

  send(b: Buffer): void {
    if (!this.closed) this.transport.write(b);
  }

  forget(s: SpdyStream): void {
    this.streams.delete(s.id);
  }

  maybeForget(s: SpdyStream): void {
    if (s.localClosed && s.remoteClosed) this.forget(s);
  }

  private async onFrame(f: Frame): Promise<void> {
    if (!f.control) {
      const s = this.streams.get(f.streamId);
      if (!s) return;
      if (f.data.length) s.emit('data', f.data);
      if (f.flags & FLAG_FIN) this.remoteEnd(s);
      return;
    }
    switch (f.type) {
      case FRAME.SYN_STREAM: {
        const headers = decodeHeaderBlock(await this.inflate.run(f.data.subarray(10)));
        const id = f.streamId;
        if (this.streams.has(id)) {
          const b = Buffer.alloc(8);
          b.writeUInt32BE(id, 0);
          b.writeUInt32BE(RST.STREAM_IN_USE, 4);
          this.send(controlFrame(FRAME.RST_STREAM, 0, b));
          return;
        }
        const s = new SpdyStream(this, id, headers);
        this.streams.set(id, s);
        const idb = Buffer.alloc(4);
        idb.writeUInt32BE(id, 0);
        this.send(controlFrame(FRAME.SYN_REPLY, 0, Buffer.concat([idb, await this.deflate.run(encodeHeaderBlock({}))])));
        this.emit('stream', s);
        if (f.flags & FLAG_FIN) this.remoteEnd(s);
        return;
      }
      case FRAME.HEADERS:
        // still has to go through the shared inflate context
        await this.inflate.run(f.data.subarray(4));
        return;
      case FRAME.RST_STREAM: {
        const s = this.streams.get(f.streamId);
        if (s) {
          s.reset = true;
          this.forget(s);
          s.emit('reset');
        }
        return;
      }
      case FRAME.PING:
        this.send(controlFrame(FRAME.PING, 0, f.data));
        return;
      case FRAME.GOAWAY:
        this.close();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE, SYN_REPLY: nothing to do for a server without flow control
        return;
    }
  }

  private remoteEnd(s: SpdyStream): void {
    if (s.remoteClosed) return;
    s.remoteClosed = true;
    s.emit('end');
    this.maybeForget(s);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) {
      s.reset = true;
      s.emit('reset');
    }
    this.streams.clear();
    this.inflate.close();
    this.deflate.close();
    this.transport.close();
    this.emit('close');
  }
}
