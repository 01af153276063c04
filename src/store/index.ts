// Opens the configured object store. The spec is a tagged union so more backends (etcd, with
// `{ kind: 'etcd'; endpoints: string[] }`) join without changing callers.
import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite.js';
import type { ObjectStore } from './types.js';

export type StoreSpec = { kind: 'memory' } | { kind: 'sqlite'; path: string };

export function openStore(spec: StoreSpec): ObjectStore {
  switch (spec.kind) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite':
      return new SqliteStore(spec.path);
    default:
      throw new Error(`unknown store kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}

export { MemoryStore, SqliteStore };
export * from './types.js';
