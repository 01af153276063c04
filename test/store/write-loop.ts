// Child process of durability.test.ts: creates objects in a loop on a SqliteStore and prints each
// key only after create() resolved, i.e. after the write was acknowledged.
import { SqliteStore } from '../../src/store/sqlite.js';

const path = process.argv[2];
if (!path) throw new Error('usage: write-loop.js <database path>');
const store = new SqliteStore(path);
const start = await store.revision();
for (let i = 0; ; i++) {
  const key = `/core/configmaps/default/cm-${start}-${i}`;
  await store.create(key, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } });
  process.stdout.write(`${key}\n`);
}
