// Maps a request path and method to what it asks for, as upstream's RequestInfoResolver does:
// /api/v1/namespaces/ns/pods/name/status, /apis/apps/v1/deployments, the legacy /watch/ prefix.

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceRequest {
  type: 'resource';
  verb: Verb;
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export type PathInfo =
  | ResourceRequest
  | { type: 'discovery'; path: 'api' | 'apis' }
  | { type: 'discovery-group'; group: string }
  | { type: 'discovery-version'; group: string; version: string }
  | { type: 'other'; path: string };

export function parsePath(method: string, rawPath: string, watchParam: boolean): PathInfo {
  const path = rawPath.replace(/\/+$/, '') || '/';
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts[0] === 'api') {
    if (parts.length === 1) return { type: 'discovery', path: 'api' };
    if (parts.length === 2) return { type: 'discovery-version', group: '', version: parts[1]! };
    return resourcePath(method, '', parts[1]!, parts.slice(2), watchParam) ?? { type: 'other', path };
  }
  if (parts[0] === 'apis') {
    if (parts.length === 1) return { type: 'discovery', path: 'apis' };
    if (parts.length === 2) return { type: 'discovery-group', group: parts[1]! };
    if (parts.length === 3) return { type: 'discovery-version', group: parts[1]!, version: parts[2]! };
    return resourcePath(method, parts[1]!, parts[2]!, parts.slice(3), watchParam) ?? { type: 'other', path };
  }
  return { type: 'other', path };
}

function resourcePath(method: string, group: string, version: string, rest: string[], watchParam: boolean): ResourceRequest | undefined {
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  // "namespaces/x/..." scopes to namespace x, except the namespace's own subresources (status, finalize).
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  if (!resource || extra.length > 0) return undefined;
  const verb = verbFor(method, name !== undefined, watchPrefix || watchParam);
  if (!verb) return undefined;
  const r: ResourceRequest = { type: 'resource', verb, group, version, resource };
  if (namespace !== undefined) r.namespace = namespace;
  if (name !== undefined) r.name = name;
  if (subresource !== undefined) r.subresource = subresource;
  return r;
}

function verbFor(method: string, named: boolean, watch: boolean): Verb | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      return named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}
