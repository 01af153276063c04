// Media types: what the client accepts (JSON, YAML, Table, PartialObjectMetadata) and what it sent.
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { errors } from '../model/status.js';
import { decodeKubernetesProtobuf } from '../model/protobuf/index.js';

export interface MediaRange {
  type: string; // e.g. application/json
  params: Record<string, string>;
}

export function parseMediaRanges(header: string | undefined): MediaRange[] {
  if (!header) return [{ type: '*/*', params: {} }];
  return header.split(',').map((part) => {
    const [type, ...ps] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of ps) {
      const i = p.indexOf('=');
      if (i > 0) params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim().replace(/^"|"$/g, '');
    }
    return { type: (type ?? '').toLowerCase(), params };
  });
}

export type Rendering =
  | { as: 'object'; format: 'json' | 'yaml' }
  | { as: 'Table'; version: 'v1' | 'v1beta1' }
  | { as: 'PartialObjectMetadata'; version: 'v1' | 'v1beta1' };

const JSONISH = new Set(['application/json', 'application/*', '*/*', 'application/yaml']);

/**
 * Picks the first acceptable rendering we serve, as upstream negotiation does. Table and metadata
 * renderings are offered only for reads (get, list, watch).
 */
export function negotiate(accept: string | undefined, read: boolean): Rendering {
  for (const r of parseMediaRanges(accept)) {
    if (!JSONISH.has(r.type)) continue;
    const as = r.params['as'];
    if (as) {
      if (!read || r.params['g'] !== 'meta.k8s.io') continue;
      const v = r.params['v'];
      if (v !== 'v1' && v !== 'v1beta1') continue;
      if (as === 'Table') return { as: 'Table', version: v };
      if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { as: 'PartialObjectMetadata', version: v };
      continue;
    }
    return { as: 'object', format: r.type === 'application/yaml' ? 'yaml' : 'json' };
  }
  throw errors.notAcceptable('only the following media types are accepted: application/json, application/yaml');
}

/** The request body media types this server decodes. */
export const ACCEPTED_BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

export interface Decoded {
  value: unknown;
  raw: Buffer;
  /** Fields given twice in the body, as upstream's strict decoder names them. */
  duplicates: string[];
}

/** The kind an endpoint decodes its body into (names it in errors; fills an empty apiVersion/kind). */
export interface Into {
  group: string;
  version: string;
  kind: string;
}

/** Decodes a request body by its Content-Type. Malformed bodies are 400s, unknown types 415s. */
export function decodeBody(contentType: string | undefined, body: Buffer, into?: Into): Decoded {
  const type = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/vnd.kubernetes.protobuf') {
    // What kubectl's `create` generators send. Protobuf carries no unknown or duplicate fields.
    return { value: decodeKubernetesProtobuf(new Uint8Array(body), into).object, raw: body, duplicates: [] };
  }
  const text = body.toString('utf8');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    const doc = parseDocument(text, { uniqueKeys: false });
    if (doc.errors.length) throw errors.badRequest(`error converting YAML to JSON: ${doc.errors[0]!.message}`);
    return { value: doc.toJS(), raw: body, duplicates: yamlDuplicates(doc.contents, '') };
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      // A PATCH body is judged by the patch module, with upstream's own messages.
      if (type.endsWith('patch+json')) return { value: undefined, raw: body, duplicates: [] };
      throw errors.badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
    }
    return { value, raw: body, duplicates: jsonDuplicates(text) };
  }
  throw errors.unsupportedMediaType(ACCEPTED_BODY_TYPES);
}

/** Paths of keys repeated within one JSON object (JSON.parse silently keeps the last). */
export function jsonDuplicates(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++; };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        const k = str();
        const p = path ? `${path}.${k}` : k;
        if (seen.has(k)) out.push(p);
        seen.add(k);
        ws(); i++; // ':'
        value(p);
        ws();
        if (text[i++] === '}') return;
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') { i++; return; }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        if (text[i++] === ']') return;
      }
    } else if (c === '"') {
      str();
    } else {
      while (i < text.length && !',}] \t\n\r'.includes(text[i]!)) i++;
    }
  };
  value('');
  return out;
}

function yamlDuplicates(node: unknown, path: string): string[] {
  const out: string[] = [];
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const k = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const p = path ? `${path}.${k}` : k;
      if (seen.has(k)) out.push(p);
      seen.add(k);
      out.push(...yamlDuplicates(pair.value, p));
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, n) => out.push(...yamlDuplicates(item, `${path}[${n}]`)));
  }
  return out;
}
