// Decoding `application/vnd.kubernetes.protobuf` request bodies into the JSON form of the object,
// as upstream's protobuf serializer (k8s.io/apimachinery/pkg/runtime/serializer/protobuf) and the
// gogo-generated Unmarshal code read them, with the API server's decode-error messages.
//
// The body is the magic `k8s\0` and a runtime.Unknown {typeMeta, raw, ...}; raw is the typed
// message. Fields gogo always writes (non-pointer Go fields) arrive even when zero; a zero value of
// a Go field tagged omitempty is dropped, as encoding/json would drop it, so the result is the JSON
// that the same object encodes to. Unknown field numbers are skipped, as gogo skips them.
import { decodeJson, GoDecodeError } from '../patch/godecode.js';
import { errors } from '../status.js';
import { messageForKind, messageTable, SCALARS, specialForm, type FieldInfo, type MessageTable } from './schema.js';
import { formatDuration, formatMicroTime, formatTime } from './wellknown.js';
import { ProtoError, Reader, WIRE_BYTES, WIRE_END_GROUP, WIRE_FIXED64, WIRE_VARINT } from './wire.js';

/** The 4-byte prefix of every Kubernetes protobuf body: `k8s\0`. */
export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  /** The object in its JSON form, apiVersion and kind included. */
  object: Record<string, unknown>;
}

type Json = unknown;
type JsonObject = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8');

// ---- the wire shapes of runtime.Unknown and of the messages with special JSON forms

const f = (name: string, type: string, go: string, extra: Partial<FieldInfo> = {}): FieldInfo => ({ name, type, go, ...extra });
const TYPE_META: MessageTable = { 1: f('apiVersion', 'string', 'APIVersion'), 2: f('kind', 'string', 'Kind') };
const UNKNOWN: MessageTable = {
  1: f('typeMeta', 'k8s.io.apimachinery.pkg.runtime.TypeMeta', 'TypeMeta'),
  2: f('raw', 'bytes', 'Raw'),
  3: f('contentEncoding', 'string', 'ContentEncoding'),
  4: f('contentType', 'string', 'ContentType'),
};
const WIRE_SHAPES: Record<string, MessageTable> = {
  quantity: { 1: f('string', 'string', 'String') },
  time: { 1: f('seconds', 'int64', 'Seconds'), 2: f('nanos', 'int32', 'Nanos') },
  duration: { 1: f('duration', 'int64', 'Duration') },
  intOrString: { 1: f('type', 'int64', 'Type'), 2: f('intVal', 'int32', 'IntVal'), 3: f('strVal', 'string', 'StrVal') },
  rawJSON: { 1: f('raw', 'bytes', 'Raw') },
  items: { 1: f('items', 'string', 'Items', { repeated: true }) },
};
const INTERNAL: Record<string, MessageTable> = {
  'k8s.io.apimachinery.pkg.runtime.Unknown': UNKNOWN,
  'k8s.io.apimachinery.pkg.runtime.TypeMeta': TYPE_META,
};

const shortName = (message: string) => message.slice(message.lastIndexOf('.') + 1);
/** The Go type as encoding/json names it in errors: `runtime.RawExtension`, `v1.FieldsV1`. */
const goTypeName = (message: string) => {
  const parts = message.split('.');
  return `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
};

// ---- decoding

interface Options {
  /** Keep int64 values as bigint and bytes as Uint8Array (for the wire shapes of special messages). */
  raw?: boolean;
}

function wireTypeOf(type: string): number {
  switch (type) {
    case 'double':
      return WIRE_FIXED64;
    case 'int32':
    case 'int64':
    case 'bool':
      return WIRE_VARINT;
    default:
      return WIRE_BYTES;
  }
}

function wrongWireType(wireType: number, field: FieldInfo): ProtoError {
  return new ProtoError(`proto: wrong wireType = ${wireType} for field ${field.go}`);
}

/** One scalar value at the cursor, already checked to have its wire type. */
function readScalar(r: Reader, type: string, opts: Options): Json {
  switch (type) {
    case 'string':
      return utf8.decode(r.bytes());
    case 'bytes':
      return opts.raw ? r.bytes() : Buffer.from(r.bytes()).toString('base64');
    case 'bool':
      return r.varint() !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, r.varint()));
    case 'int64': {
      const v = BigInt.asIntN(64, r.varint());
      return opts.raw ? v : Number(v);
    }
    case 'double':
      return r.fixed64().getFloat64(0, true);
    default:
      throw new ProtoError(`proto: unsupported field type ${type}`);
  }
}

const isZero = (v: Json) => v === '' || v === 0 || v === false || v === 0n;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Decodes the fields of `message` in r's range into `target` (merging, as gogo does). */
function decodeInto(message: string, table: MessageTable, r: Reader, target: JsonObject, opts: Options): void {
  const short = shortName(message);
  while (!r.done) {
    const tagStart = r.pos;
    const wire = r.varint();
    const fieldNum = Number(BigInt.asIntN(32, wire >> 3n));
    const wireType = Number(wire & 7n);
    if (wireType === WIRE_END_GROUP) throw new ProtoError(`proto: ${short}: wiretype end group for non-group`);
    if (fieldNum <= 0) throw new ProtoError(`proto: ${short}: illegal tag ${fieldNum} (wire type ${wire})`);
    const field = table[fieldNum];
    if (!field) {
      r.skipFrom(tagStart);
      continue;
    }
    decodeField(field, wireType, r, target, opts);
  }
  for (const field of Object.values(table)) {
    if (field.omitEmpty && isZero(target[field.name])) delete target[field.name];
  }
}

function decodeField(field: FieldInfo, wireType: number, r: Reader, target: JsonObject, opts: Options): void {
  if (field.type === 'map') {
    if (wireType !== WIRE_BYTES) throw wrongWireType(wireType, field);
    const [key, value] = mapEntry(field, r.bytesRange(), r.buf, opts);
    const m = isObject(target[field.name]) ? (target[field.name] as JsonObject) : (target[field.name] = {});
    // Keys are data: "__proto__" must become an own property, as JSON.parse makes it.
    Object.defineProperty(m, key, { value, enumerable: true, writable: true, configurable: true });
    return;
  }
  const scalar = SCALARS.has(field.type);
  if (field.repeated) {
    const list = Array.isArray(target[field.name]) ? (target[field.name] as Json[]) : (target[field.name] = []);
    const want = scalar ? wireTypeOf(field.type) : WIRE_BYTES;
    if (wireType === want) {
      list.push(scalar ? readScalar(r, field.type, opts) : decodeMessageAt(field.type, r.bytesRange(), r.buf, opts));
    } else if (wireType === WIRE_BYTES && want !== WIRE_BYTES) {
      // A packed run of numbers, which gogo accepts for repeated numeric fields.
      const [s, e] = r.bytesRange();
      const packed = new Reader(r.buf, s, e);
      while (!packed.done) list.push(readScalar(packed, field.type, opts));
    } else {
      throw wrongWireType(wireType, field);
    }
    return;
  }
  if (wireType !== (scalar ? wireTypeOf(field.type) : WIRE_BYTES)) throw wrongWireType(wireType, field);
  if (scalar) {
    target[field.name] = readScalar(r, field.type, opts);
    return;
  }
  const [s, e] = r.bytesRange();
  const existing = target[field.name];
  if (field.inline) {
    decodeInto(field.type, tableOf(field.type), new Reader(r.buf, s, e), target, opts);
  } else if (!specialForm(field.type) && isObject(existing)) {
    // A message field met twice merges, as gogo's Unmarshal into the same struct does.
    decodeInto(field.type, tableOf(field.type), new Reader(r.buf, s, e), existing, opts);
  } else {
    target[field.name] = decodeMessageAt(field.type, [s, e], r.buf, opts);
  }
}

/** One map entry {1: key, 2: value}; gogo reads the key and value without checking wire types. */
function mapEntry(field: FieldInfo, [s, e]: [number, number], buf: Uint8Array, opts: Options): [string, Json] {
  const r = new Reader(buf, s, e);
  const valueType = field.map!.value;
  let key = '';
  let value: Json | undefined;
  while (!r.done) {
    const tagStart = r.pos;
    const fieldNum = Number(BigInt.asIntN(32, r.varint() >> 3n));
    if (fieldNum === 1) key = utf8.decode(r.bytes());
    else if (fieldNum === 2) value = SCALARS.has(valueType) ? readScalar(r, valueType, opts) : decodeMessageAt(valueType, r.bytesRange(), buf, opts);
    else r.skipFrom(tagStart);
  }
  if (value === undefined) {
    // An entry without a value holds the value type's zero value.
    value = valueType === 'string' || valueType === 'bytes' ? '' : SCALARS.has(valueType) ? 0 : decodeMessageAt(valueType, [0, 0], buf, opts);
  }
  return [key, value];
}

function tableOf(message: string): MessageTable {
  const t = INTERNAL[message] ?? messageTable(message);
  if (!t) throw new ProtoError(`proto: no message ${message}`);
  return t;
}

/** A message at [s, e) in its JSON form. */
function decodeMessageAt(message: string, [s, e]: [number, number], buf: Uint8Array, opts: Options): Json {
  const form = specialForm(message);
  const r = new Reader(buf, s, e);
  if (!form) {
    const out: JsonObject = {};
    decodeInto(message, tableOf(message), r, out, opts);
    return out;
  }
  if (form.startsWith('schemaOr')) {
    const w: JsonObject = {};
    decodeInto(message, tableOf(message), r, w, opts);
    return schemaWrapper(form, w);
  }
  const w: JsonObject = {};
  const name = form === 'microTime' ? 'time' : form;
  decodeInto(form === 'time' || form === 'microTime' ? 'Timestamp' : shortName(message), WIRE_SHAPES[name]!, r, w, { raw: true });
  switch (form) {
    case 'quantity':
      // The zero Quantity marshals as "0".
      return typeof w.string === 'string' ? w.string : '0';
    case 'time':
      // Empty bytes are the zero time, which marshals as null; nanoseconds are dropped upstream.
      return e === s ? null : timeValue(() => formatTime((w.seconds as bigint | undefined) ?? 0n));
    case 'microTime':
      return e === s ? null : timeValue(() => formatMicroTime((w.seconds as bigint | undefined) ?? 0n, BigInt((w.nanos as number | undefined) ?? 0)));
    case 'duration':
      return formatDuration((w.duration as bigint | undefined) ?? 0n);
    case 'intOrString': {
      const type = (w.type as bigint | undefined) ?? 0n;
      if (type === 0n) return (w.intVal as number | undefined) ?? 0;
      if (type === 1n) return (w.strVal as string | undefined) ?? '';
      throw new ProtoError('impossible IntOrString.Type');
    }
    case 'rawJSON': {
      const raw = w.raw as Uint8Array | undefined;
      if (!raw?.length) return null;
      try {
        return decodeJson(raw);
      } catch (err) {
        if (err instanceof GoDecodeError) throw new ProtoError(`json: error calling MarshalJSON for type ${goTypeName(message)}: ${err.message}`);
        throw err;
      }
    }
    case 'items':
      return (w.items as Json[] | undefined) ?? [];
  }
}

function timeValue(format: () => string | null): string | null {
  try {
    return format();
  } catch (err) {
    throw new ProtoError((err as Error).message);
  }
}

/** The JSON forms of apiextensions' JSONSchemaPropsOr* wrappers, as their MarshalJSON writes them. */
function schemaWrapper(form: string, w: JsonObject): Json {
  switch (form) {
    case 'schemaOrArray': {
      const list = w.jSONSchemas as Json[] | undefined;
      return list?.length ? list : (w.schema ?? null);
    }
    case 'schemaOrBool':
      return w.schema !== undefined ? w.schema : w.allows === true;
    default: {
      const list = w.property as Json[] | undefined;
      return list?.length ? list : (w.schema ?? null);
    }
  }
}

/** The JSON form of one message (by its full proto name) from its protobuf bytes. */
export function decodeProtobufMessage(message: string, bytes: Uint8Array): unknown {
  return decodeMessageAt(message, [0, bytes.length], bytes, {});
}

// ---- the request body

/** Go's strconv.Quote, as %q and %#v print strings. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/u.test(ch)) out += c > 0xffff ? `\\U${c.toString(16).padStart(8, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** The apiserver's summarizeData(body, 30): the text of a JSON body, else hex. */
function summarize(body: Uint8Array): string {
  if (body.length === 0) return '<empty>';
  const head = body.subarray(0, 30);
  const more = body.length > 30 ? ' ...' : '';
  return body[0] === 0x7b ? `${utf8.decode(head)}${more}` : `${Buffer.from(head).toString('hex')}${more}`;
}

/** schema.ParseGroupVersion inside schema.FromAPIVersionAndKind: a malformed apiVersion keeps only the kind. */
function parseGVK(apiVersion: string, kind: string): GroupVersionKind {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '', kind };
  const slashes = apiVersion.split('/').length - 1;
  if (slashes === 0) return { group: '', version: apiVersion, kind };
  if (slashes === 1) {
    const i = apiVersion.indexOf('/');
    return { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1), kind };
  }
  return { group: '', version: '', kind };
}

const apiVersionString = (g: GroupVersionKind) => (g.group ? `${g.group}/${g.version}` : g.version);

/**
 * Decodes a Kubernetes protobuf request body. `into` is the kind the endpoint decodes into (the
 * resource's kind, or the subresource's: Scale, Eviction, Binding, TokenRequest): as upstream, it
 * supplies the apiVersion and kind a body leaves empty, and it is the kind the error messages name.
 * Undecodable bodies are 400s with the API server's messages (its transformDecodeError around the
 * serializer's and gogo's errors).
 */
export function decodeKubernetesProtobuf(body: Uint8Array, into?: GroupVersionKind): DecodedObject {
  const fail = (base: string, gvk?: GroupVersionKind): never => {
    const intoKind = into?.kind ?? gvk?.kind ?? '';
    if (gvk && gvk.kind) throw errors.badRequest(`${gvk.kind} in version ${goQuote(gvk.version)} cannot be handled as a ${intoKind}: ${base}`);
    throw errors.badRequest(`the object provided is unrecognized (must be of type ${intoKind}): ${base} (${summarize(body)})`);
  };
  if (body.length === 0) return fail('empty data');
  if (body.length < PROTOBUF_MAGIC.length || PROTOBUF_MAGIC.some((b, i) => body[i] !== b)) {
    return fail(`provided data does not appear to be a protobuf message, expected prefix [${[...PROTOBUF_MAGIC].join(' ')}]`);
  }
  if (body.length === PROTOBUF_MAGIC.length) return fail('empty body');

  const unknown: JsonObject = {};
  try {
    decodeInto('k8s.io.apimachinery.pkg.runtime.Unknown', UNKNOWN, new Reader(body, PROTOBUF_MAGIC.length), unknown, { raw: true });
  } catch (err) {
    if (err instanceof ProtoError) return fail(err.message);
    throw err;
  }
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const gvk = parseGVK(typeMeta.apiVersion ?? '', typeMeta.kind ?? '');
  // copyKindDefaults, from the request's kind.
  if (into) {
    if (!gvk.kind) gvk.kind = into.kind;
    if (!gvk.version && into.version) {
      gvk.group = into.group;
      gvk.version = into.version;
    }
  }
  const typeMetaText = `runtime.TypeMeta{APIVersion:${goQuote(typeMeta.apiVersion ?? '')}, Kind:${goQuote(typeMeta.kind ?? '')}}`;
  if (!gvk.kind) return fail(`Object 'Kind' is missing in '${typeMetaText}'`, gvk);
  if (!gvk.version) return fail(`Object 'apiVersion' is missing in '${typeMetaText}'`, gvk);

  const apiVersion = apiVersionString(gvk);
  const message = messageForKind(apiVersion, gvk.kind);
  if (!message) return fail(`no kind ${goQuote(gvk.kind)} is registered for version ${goQuote(apiVersion)} in scheme "pkg/api/legacyscheme/scheme.go:30"`, gvk);

  const raw = (unknown.raw as Uint8Array | undefined) ?? new Uint8Array(0);
  let decoded: Json;
  try {
    decoded = decodeProtobufMessage(message, raw);
  } catch (err) {
    if (err instanceof ProtoError) return fail(err.message, gvk);
    throw err;
  }
  return { apiVersion, kind: gvk.kind, object: { apiVersion, kind: gvk.kind, ...(decoded as JsonObject) } };
}
