// The hashes controllers put into names (ControllerRevision `<owner>-<hash>`, pod-template-hash,
// generated suffixes): FNV over bytes, encoded with apimachinery's SafeEncodeString alphabet so a
// name never spells a word, and Go's encoding/json output so hashed bytes match what Go would hash.

const encoder = new TextEncoder();

function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

/** Whether every character of s is ASCII (its UTF-8 bytes are then its character codes). */
function ascii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** FNV-1, 32 bits (Go's fnv.New32), continuing from `seed` when hashing in pieces. */
export function fnv32(data: string | Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  // An ASCII string is hashed as it is, without encoding it first (names, JSON of specs).
  if (typeof data === 'string' && ascii(data)) {
    for (let i = 0; i < data.length; i++) h = (Math.imul(h, 0x01000193) ^ data.charCodeAt(i)) >>> 0;
    return h;
  }
  for (const b of bytesOf(data)) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h = (h ^ b) >>> 0;
  }
  return h;
}

/** FNV-1a, 32 bits (Go's fnv.New32a). */
export function fnv32a(data: string | Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  if (typeof data === 'string' && ascii(data)) {
    for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data.charCodeAt(i), 0x01000193) >>> 0;
    return h;
  }
  for (const b of bytesOf(data)) {
    h = (h ^ b) >>> 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

// k8s.io/apimachinery/pkg/util/rand: no vowels, no confusable 0/1/3.
const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: each character mapped into the alphabet by its byte value. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const b of encoder.encode(s)) out += alphanums[b % alphanums.length];
  return out;
}

/** The hash as controllers print it: SafeEncodeString(fmt.Sprint(hash)). */
export function safeHash(h: number): string {
  return safeEncodeString(String(h >>> 0));
}

/** A deterministic five-character suffix, as generateName would append, derived from a seed and a counter. */
export function nameSuffix(seed: string, counter: number): string {
  return safeHash(fnv32a(`${seed}/${counter}`)).slice(-5).padStart(5, 'b');
}

const goEscapes: Record<string, string> = {
  '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f',
  '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029',
};

function goString(s: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${s.replace(/["\\\n\r\t\b\f<>&\u2028\u2029\u0000-\u001f]/g, (c) => goEscapes[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/**
 * JSON as Go's json.Marshal writes a decoded map[string]interface{}: keys sorted, no spaces,
 * HTML characters escaped. Undefined members are left out as JSON.stringify does.
 */
export function goJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return goString(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x) => goJson(x)).join(',')}]`;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
      return `{${keys.map((k) => `${goString(k)}:${goJson(o[k])}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

/**
 * controller.ComputeHash: the pod-template-hash of Deployments/ReplicaSets and the
 * controller-revision-hash of DaemonSets. Upstream feeds the template through a reflection
 * printer; we hash its Go-style JSON, with the collision count appended as four little-endian
 * bytes of an eight-byte buffer, as upstream appends it.
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(goJson(template ?? {}));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeHash(h);
}
