// The protobuf wire format, as far as Kubernetes' gogo-generated code uses it: varints, 64- and
// 32-bit fixed values, length-delimited bytes, and skipping of unknown fields (groups included).
// Failures carry the exact text of gogo's generated Unmarshal code, which upstream reports.

/** A decoding failure, with the message gogo's generated code gives for it. */
export class ProtoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtoError';
  }
}

export const errUnexpectedEOF = () => new ProtoError('unexpected EOF');
export const errIntOverflow = () => new ProtoError('proto: integer overflow');
export const errInvalidLength = () => new ProtoError('proto: negative length found during unmarshaling');

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

export class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as an unsigned 64-bit value; more than 64 bits is gogo's "integer overflow". */
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (shift >= 64n) throw errIntOverflow();
      if (this.pos >= this.end) throw errUnexpectedEOF();
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
  }

  /** A length prefix as gogo reads it into a Go int: negative lengths and overruns fail. */
  length(): number {
    const n = BigInt.asIntN(64, this.varint());
    if (n < 0n) throw errInvalidLength();
    const end = BigInt(this.pos) + n;
    if (end > BigInt(this.end)) throw errUnexpectedEOF();
    return Number(n);
  }

  /** The bounds of a length-delimited payload, consumed. */
  bytesRange(): [number, number] {
    const n = this.length();
    const start = this.pos;
    this.pos += n;
    return [start, start + n];
  }

  bytes(): Uint8Array {
    const [s, e] = this.bytesRange();
    return this.buf.subarray(s, e);
  }

  fixed64(): DataView {
    if (this.pos + 8 > this.end) throw errUnexpectedEOF();
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return v;
  }

  fixed32(): DataView {
    if (this.pos + 4 > this.end) throw errUnexpectedEOF();
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4);
    this.pos += 4;
    return v;
  }

  /**
   * Skips one field whose tag started at `tagStart` (gogo's skipGenerated): the cursor moves past
   * its value, or past the matching end-group tag for a group.
   */
  skipFrom(tagStart: number): void {
    const sub = new Reader(this.buf, tagStart, this.end);
    let depth = 0;
    for (;;) {
      if (sub.done) throw errUnexpectedEOF();
      const wireType = Number(sub.varint() & 7n);
      switch (wireType) {
        case WIRE_VARINT:
          sub.varint();
          break;
        case WIRE_FIXED64:
          sub.pos += 8;
          break;
        case WIRE_BYTES: {
          const n = BigInt.asIntN(64, sub.varint());
          if (n < 0n) throw errInvalidLength();
          sub.pos += Number(n);
          break;
        }
        case WIRE_START_GROUP:
          depth++;
          break;
        case WIRE_END_GROUP:
          if (depth === 0) throw new ProtoError('proto: unexpected end of group');
          depth--;
          break;
        case WIRE_FIXED32:
          sub.pos += 4;
          break;
        default:
          throw new ProtoError(`proto: illegal wireType ${wireType}`);
      }
      if (depth === 0) break;
    }
    if (sub.pos > this.end) throw errUnexpectedEOF();
    this.pos = sub.pos;
  }
}

/** Builds protobuf bytes; nested messages are written into their own Writer and appended. */
export class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  varint(v: bigint | number): void {
    let n = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    while (n >= 0x80n) {
      out.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    out.push(Number(n));
    this.push(Uint8Array.from(out));
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, WIRE_BYTES);
    this.varint(b.length);
    this.push(b);
  }

  double(field: number, v: number): void {
    this.tag(field, WIRE_FIXED64);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.push(b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
