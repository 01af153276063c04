// Encoding the JSON form of an object as a Kubernetes protobuf body, the inverse of decode.ts,
// laid out as gogo's generated Marshal code writes it: fields in number order, map entries sorted
// by key, embedded (inline) structs as nested messages, repeated numbers unpacked.
import { messageForKind, messageTable, SCALARS, specialForm, type FieldInfo } from './schema.js';
import { parseDuration, parseTime } from './wellknown.js';
import { PROTOBUF_MAGIC } from './decode.js';
import { WIRE_VARINT, Writer } from './wire.js';

type JsonObject = Record<string, unknown>;
const utf8 = new TextEncoder();
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

class EncodeError extends Error {
  constructor(path: string, what: string) {
    super(`${path || '<root>'}: ${what}`);
    this.name = 'EncodeError';
  }
}

/** The JSON names a message takes, its inline members' included. */
function jsonNames(message: string, out = new Set<string>()): Set<string> {
  for (const info of Object.values(messageTable(message) ?? {})) {
    if (info.inline) jsonNames(info.type, out);
    else out.add(info.name);
  }
  return out;
}

function writeScalar(w: Writer, field: number, type: string, v: unknown, path: string): void {
  switch (type) {
    case 'string':
      if (typeof v !== 'string') throw new EncodeError(path, 'expected a string');
      w.bytes(field, utf8.encode(v));
      return;
    case 'bytes':
      if (typeof v !== 'string') throw new EncodeError(path, 'expected base64 bytes');
      w.bytes(field, Buffer.from(v, 'base64'));
      return;
    case 'bool':
      if (typeof v !== 'boolean') throw new EncodeError(path, 'expected a boolean');
      w.tag(field, WIRE_VARINT);
      w.varint(v ? 1 : 0);
      return;
    case 'int32':
    case 'int64':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new EncodeError(path, 'expected an integer');
      w.tag(field, WIRE_VARINT);
      w.varint(BigInt(type === 'int32' ? v | 0 : v));
      return;
    case 'double':
      if (typeof v !== 'number') throw new EncodeError(path, 'expected a number');
      w.double(field, v);
      return;
    default:
      throw new EncodeError(path, `unsupported field type ${type}`);
  }
}

function writeValue(w: Writer, number: number, type: string, v: unknown, path: string): void {
  if (SCALARS.has(type)) writeScalar(w, number, type, v, path);
  else w.bytes(number, encodeMessage(type, v, path));
}

function encodeFields(message: string, v: JsonObject, path: string, w: Writer): void {
  const table = messageTable(message);
  if (!table) throw new EncodeError(path, `no message ${message}`);
  for (const [n, info] of Object.entries(table) as [string, FieldInfo][]) {
    const number = Number(n);
    if (info.inline) {
      // gogo always writes an embedded struct, even an empty one.
      const inner = new Writer();
      encodeFields(info.type, v, path, inner);
      w.bytes(number, inner.finish());
      continue;
    }
    const value = v[info.name];
    const at = `${path}.${info.name}`;
    if (value === undefined) continue;
    if (value === null && !(NULL_ZERO.has(specialForm(info.type) ?? '') && !info.repeated)) continue; // a nil pointer, slice or map
    if (info.type === 'map') {
      if (!isObject(value)) throw new EncodeError(at, 'expected an object');
      for (const key of Object.keys(value).sort()) {
        const entry = new Writer();
        entry.bytes(1, utf8.encode(key));
        writeValue(entry, 2, info.map!.value, value[key], `${at}.${key}`);
        w.bytes(number, entry.finish());
      }
    } else if (info.repeated) {
      if (!Array.isArray(value)) throw new EncodeError(at, 'expected an array');
      value.forEach((item, i) => writeValue(w, number, info.type, item, `${at}[${i}]`));
    } else {
      writeValue(w, number, info.type, value, at);
    }
  }
}

/** The protobuf bytes of one message (by its full proto name) from its JSON form. */
export function encodeProtobufMessage(message: string, value: unknown, path = ''): Uint8Array {
  return encodeMessage(message, value, path);
}

function encodeMessage(message: string, v: unknown, path: string): Uint8Array {
  const w = new Writer();
  const form = specialForm(message);
  switch (form) {
    case 'quantity':
      if (typeof v !== 'string' && typeof v !== 'number') throw new EncodeError(path, 'expected a quantity');
      w.bytes(1, utf8.encode(String(v)));
      return w.finish();
    case 'time':
    case 'microTime': {
      // The zero time, whose JSON form is null, marshals to no bytes.
      if (v === null) return w.finish();
      if (typeof v !== 'string') throw new EncodeError(path, 'expected an RFC 3339 time');
      const t = parseTime(v);
      w.tag(1, WIRE_VARINT);
      w.varint(t.seconds);
      w.tag(2, WIRE_VARINT);
      w.varint(form === 'time' ? 0n : t.nanos);
      return w.finish();
    }
    case 'duration':
      if (typeof v !== 'string') throw new EncodeError(path, 'expected a duration');
      w.tag(1, WIRE_VARINT);
      w.varint(parseDuration(v));
      return w.finish();
    case 'intOrString': {
      if (typeof v !== 'number' && typeof v !== 'string') throw new EncodeError(path, 'expected an integer or a string');
      w.tag(1, WIRE_VARINT);
      w.varint(typeof v === 'number' ? 0 : 1);
      w.tag(2, WIRE_VARINT);
      w.varint(typeof v === 'number' ? BigInt(v | 0) : 0n);
      w.bytes(3, utf8.encode(typeof v === 'string' ? v : ''));
      return w.finish();
    }
    case 'rawJSON':
      if (v !== null) w.bytes(1, utf8.encode(JSON.stringify(v)));
      return w.finish();
    case 'items':
      if (!Array.isArray(v)) throw new EncodeError(path, 'expected an array');
      for (const item of v) writeScalar(w, 1, 'string', item, path);
      return w.finish();
    case 'schemaOrArray':
    case 'schemaOrStringArray':
      if (Array.isArray(v)) {
        v.forEach((item, i) => writeValue(w, 2, form === 'schemaOrArray' ? schemaOf(message) : 'string', item, `${path}[${i}]`));
      } else {
        w.bytes(1, encodeMessage(schemaOf(message), v, path));
      }
      return w.finish();
    case 'schemaOrBool':
      w.tag(1, WIRE_VARINT);
      w.varint(typeof v === 'boolean' ? (v ? 1 : 0) : 1);
      if (typeof v !== 'boolean') w.bytes(2, encodeMessage(schemaOf(message), v, path));
      return w.finish();
    default: {
      if (!isObject(v)) throw new EncodeError(path, `expected an object for ${message}`);
      const names = jsonNames(message);
      for (const key of Object.keys(v)) if (!names.has(key)) throw new EncodeError(`${path}.${key}`, `no field of ${message}`);
      encodeFields(message, v, path, w);
      return w.finish();
    }
  }
}

/** Types whose zero value is written as JSON null and still encoded (as an empty message). */
const NULL_ZERO = new Set(['time', 'microTime', 'rawJSON']);

const schemaOf = (wrapper: string) => `${wrapper.slice(0, wrapper.lastIndexOf('.'))}.JSONSchemaProps`;

/**
 * The `application/vnd.kubernetes.protobuf` body of an object in its JSON form (apiVersion and
 * kind name its message): the magic prefix and a runtime.Unknown holding the typed message.
 */
export function encodeKubernetesProtobuf(object: Record<string, unknown>): Uint8Array {
  const { apiVersion, kind, ...rest } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') throw new EncodeError('', 'apiVersion and kind must be strings');
  const message = messageForKind(apiVersion, kind);
  if (!message) throw new EncodeError('', `no protobuf message for ${apiVersion} ${kind}`);
  const typeMeta = new Writer();
  typeMeta.bytes(1, utf8.encode(apiVersion));
  typeMeta.bytes(2, utf8.encode(kind));
  const unknown = new Writer();
  unknown.bytes(1, typeMeta.finish());
  unknown.bytes(2, encodeMessage(message, rest, ''));
  unknown.bytes(3, new Uint8Array(0));
  unknown.bytes(4, new Uint8Array(0));
  const body = unknown.finish();
  const out = new Uint8Array(PROTOBUF_MAGIC.length + body.length);
  out.set(PROTOBUF_MAGIC);
  out.set(body, PROTOBUF_MAGIC.length);
  return out;
}
