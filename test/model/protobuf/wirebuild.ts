// Hand-building protobuf bytes for fixtures, independent of src/model/protobuf/encode.ts so that the
// decoder is checked against bytes laid out by hand.

export type Bytes = number[];

export function varint(v: number | bigint): Bytes {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: Bytes = [];
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return out;
}

export const tag = (field: number, wireType: number): Bytes => varint((field << 3) | wireType);

/** A varint field (int32, int64, bool, enum). */
export const int = (field: number, v: number | bigint | boolean): Bytes => [...tag(field, 0), ...varint(typeof v === 'boolean' ? (v ? 1 : 0) : v)];

/** A length-delimited field holding raw bytes. */
export const bytes = (field: number, b: Bytes | Uint8Array): Bytes => [...tag(field, 2), ...varint(b.length), ...b];

export const str = (field: number, s: string): Bytes => bytes(field, [...new TextEncoder().encode(s)]);

/** A nested message field. */
export const msg = (field: number, ...parts: Bytes[]): Bytes => bytes(field, parts.flat());

/** A map entry field: {1: key, 2: value}. */
export const entry = (field: number, key: string, value: Bytes): Bytes => msg(field, str(1, key), value);

export const double = (field: number, v: number): Bytes => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return [...tag(field, 1), ...b];
};

/** metav1.Time / MicroTime as a Timestamp. */
export const time = (field: number, seconds: number, nanos = 0): Bytes => msg(field, int(1, seconds), int(2, nanos));

/** intstr.IntOrString, as gogo writes it (all three fields). */
export const intOrString = (field: number, v: number | string): Bytes =>
  msg(field, int(1, typeof v === 'number' ? 0 : 1), int(2, typeof v === 'number' ? v : 0), str(3, typeof v === 'string' ? v : ''));

/** resource.Quantity. */
export const quantity = (field: number, q: string): Bytes => msg(field, str(1, q));

/** The whole request body: magic, then runtime.Unknown {typeMeta, raw, contentEncoding, contentType}. */
export function body(apiVersion: string, kind: string, raw: Bytes): Uint8Array {
  return Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...msg(1, str(1, apiVersion), str(2, kind)), ...bytes(2, raw), ...str(3, ''), ...str(4, '')]);
}
