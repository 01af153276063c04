// A throwaway HTTP server with just enough of the API for kubectl to resolve a resource and read its
// OpenAPI: /version, legacy discovery from the registry, /openapi/v2 and /openapi/v3. Test-only.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, apiVersionOf } from '../../../src/model/registry.js';
import { openAPIV2, openAPIV3, openAPIV3Root } from '../../../src/model/openapi/index.js';

export interface FakeServer {
  url: string;
  close(): Promise<void>;
  /** Request paths in arrival order, to show what the client asked for. */
  requests: string[];
}

function resourceList(registry: Registry, group: string, version: string) {
  const resources = [];
  for (const t of registry.all()) {
    if (t.group !== group || t.version !== version) continue;
    resources.push({
      name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length ? { categories: t.categories } : {}),
    });
    for (const s of t.subresources) {
      resources.push({ name: `${t.plural}/${s.name}`, singularName: '', namespaced: t.namespaced, kind: s.kind, verbs: s.verbs, ...(s.group !== group || s.version !== version ? { group: s.group, version: s.version } : {}) });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}

export interface FakeServerOptions {
  registry?: Registry;
  /** Rewrites each served OpenAPI v3 group/version document (to stage a server lacking a feature). */
  rewriteV3?: (doc: Record<string, unknown>) => Record<string, unknown>;
}

export async function startFakeServer(options: FakeServerOptions = {}): Promise<FakeServer> {
  const registry = options.registry ?? new Registry();
  const requests: string[] = [];
  const groups = new Map<string, string[]>();
  for (const { group, version } of registry.groupVersions()) {
    if (group) groups.set(group, [...(groups.get(group) ?? []), version]);
  }
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(url.pathname + url.search);
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    const json = (v: unknown) => send(200, JSON.stringify(v));
    const p = url.pathname.replace(/\/$/, '');
    if (p === '/version') return json({ major: '1', minor: '36', gitVersion: 'v1.36.0', platform: 'linux/amd64' });
    if (p === '/api') return json({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: url.host }] });
    if (p === '/apis') {
      return json({
        kind: 'APIGroupList', apiVersion: 'v1',
        groups: [...groups].map(([name, versions]) => ({
          name,
          versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
          preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
        })),
      });
    }
    if (p === '/api/v1') return json(resourceList(registry, '', 'v1'));
    let m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(p);
    if (m && groups.get(m[1]!)?.includes(m[2]!)) return json(resourceList(registry, m[1]!, m[2]!));
    if (p === '/openapi/v2') return send(200, openAPIV2(registry).json);
    if (p === '/openapi/v3') return send(200, openAPIV3Root(registry).json);
    m = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(p);
    if (m) {
      const doc = m[1] ? openAPIV3(registry, '', m[1]) : openAPIV3(registry, m[2]!, m[3]!);
      if (doc) return send(200, options.rewriteV3 ? JSON.stringify(options.rewriteV3(JSON.parse(doc.json))) : doc.json);
    }
    send(404, JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
