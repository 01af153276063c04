// The field-number tables of Kubernetes' protobuf messages (scripts/gen-protobuf.mjs writes
// messages.json from upstream's generated.proto files and Go struct tags) and lookups over them.
import raw from './messages.json' with { type: 'json' };

export interface FieldInfo {
  /** The JSON name (for an inline field, the proto name; its message's fields join the parent). */
  name: string;
  /** A proto scalar type (`string`, `int32`, ...), `map`, or a message's full name. */
  type: string;
  map?: { key: string; value: string };
  repeated?: boolean;
  /** The Go field name, as gogo's errors name it. */
  go: string;
  /** An embedded Go struct (`json:",inline"`). */
  inline?: boolean;
  /** A non-pointer Go scalar with omitempty: its zero value is not part of the JSON form. */
  omitEmpty?: boolean;
}

export type MessageTable = Record<string, FieldInfo>;

/** Messages whose JSON form is not the object of their fields. */
export type SpecialForm =
  | 'quantity'
  | 'time'
  | 'microTime'
  | 'duration'
  | 'intOrString'
  | 'rawJSON'
  | 'items'
  | 'schemaOrArray'
  | 'schemaOrBool'
  | 'schemaOrStringArray';

interface Tables {
  kinds: Record<string, Record<string, string>>;
  special: Record<string, SpecialForm>;
  messages: Record<string, MessageTable>;
}

const tables = raw as unknown as Tables;

export function messageTable(name: string): MessageTable | undefined {
  return tables.messages[name];
}

export function specialForm(name: string): SpecialForm | undefined {
  return tables.special[name];
}

/** The message a group/version/kind is encoded as, if it has a protobuf form. */
export function messageForKind(apiVersion: string, kind: string): string | undefined {
  return tables.kinds[apiVersion]?.[kind];
}

/** The proto scalar types; any other field type names a message. */
export const SCALARS = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'double', 'float']);
