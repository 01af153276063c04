// PatchSchema (model/patch/schema.ts) over the built-in definitions: strategic merge patch asks each
// field how its lists merge, and the answer is upstream's x-kubernetes-patch-* and list extensions.
import type { PatchSchema } from '../patch/schema.js';
import { definitionNameFor, resolve, type Schema } from './definitions.js';

class SchemaNode implements PatchSchema {
  readonly patchStrategy?: string;
  readonly patchMergeKey?: string;
  readonly listType?: string;
  readonly listMapKeys?: readonly string[];
  readonly mapType?: string;
  readonly defaultValue?: unknown;

  /** `schema` is the schema at this position (a property or an items/values schema), unresolved. */
  constructor(private readonly schema: Schema) {
    this.patchStrategy = schema['x-kubernetes-patch-strategy'];
    this.patchMergeKey = schema['x-kubernetes-patch-merge-key'];
    this.listType = schema['x-kubernetes-list-type'];
    this.listMapKeys = schema['x-kubernetes-list-map-keys'];
    // (a struct's map type is on its definition, a property's on the property)
    this.mapType = schema['x-kubernetes-map-type'] ?? (schema.$ref ? resolve(schema)?.['x-kubernetes-map-type'] : undefined);
    this.defaultValue = schema.default;
  }

  field(name: string): PatchSchema | undefined {
    const p = resolve(this.schema)?.properties?.[name];
    return p ? new SchemaNode(p) : undefined;
  }

  items(): PatchSchema | undefined {
    const s = resolve(this.schema);
    const inner = s?.items ?? s?.additionalProperties;
    return inner ? new SchemaNode(inner) : undefined;
  }
}

/** The patch schema of a built-in kind, or undefined when the kind has no schema (custom resources). */
export function patchSchemaFor(group: string, version: string, kind: string): PatchSchema | undefined {
  const name = definitionNameFor(group, version, kind);
  return name === undefined ? undefined : new SchemaNode({ $ref: name });
}
