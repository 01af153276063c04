// What strategic merge patch needs to know about a type: how each list merges. Implemented from
// the OpenAPI definitions (model/openapi) for built-in kinds; absent schema means "treat as JSON
// merge patch" (maps merge, lists replace), as upstream does for unknown types.

export interface PatchSchema {
  /** The schema of a named field of this object, if known. */
  field(name: string): PatchSchema | undefined;
  /** The schema of this list's items or this map's values, if known. */
  items(): PatchSchema | undefined;
  /** Upstream's x-kubernetes-patch-strategy: 'merge', 'replace', 'retainKeys' or 'merge,retainKeys'. */
  readonly patchStrategy?: string;
  /** Upstream's x-kubernetes-patch-merge-key, for lists of objects merged by a key. */
  readonly patchMergeKey?: string;
  /** Upstream's x-kubernetes-list-type ('atomic' | 'set' | 'map'), for server-side list semantics. */
  readonly listType?: string;
  readonly listMapKeys?: readonly string[];
  /** Upstream's x-kubernetes-map-type ('atomic' | 'granular'), for a struct or map owned whole or field by field. */
  readonly mapType?: string;
  /** The schema's default, where it gives one (server-side apply keys list items by it when a key field is left out). */
  readonly defaultValue?: unknown;
}
