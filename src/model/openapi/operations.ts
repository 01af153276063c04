// The REST operations upstream's OpenAPI documents list for each served resource: one abstract
// description (paths, methods, operationIds, x-kubernetes-action, parameters, bodies, responses)
// that the v2 and v3 renderers turn into their own shapes.
import type { Registry, ResourceType, SubresourceType } from '../registry.js';
import { DELETE_OPTIONS, PATCH, STATUS, WATCH_EVENT, API_RESOURCE_LIST, definitionNameFor, type GroupVersionKind } from './definitions.js';

export type ParamType = 'string' | 'integer' | 'boolean';

export interface Param {
  name: string;
  in: 'path' | 'query';
  description: string;
  type: ParamType;
  required?: boolean;
}

/** What a response body is: a definition, a plain string, or nothing. */
export interface Response {
  code: string;
  description: string;
  schema?: string;
}

export type Action = 'get' | 'list' | 'watch' | 'watchlist' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection';

export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  operationId: string;
  description: string;
  action: Action;
  gvk?: GroupVersionKind;
  tag: string;
  params: Param[];
  /** Request body definition; PATCH bodies are meta/v1 Patch under the four patch media types. */
  body?: { schema: string; required: boolean };
  /** Response media: an object, or a list/watch stream (adds the `;stream=watch` types). */
  streaming: boolean;
  responses: Response[];
}

export interface PathItem {
  path: string;
  params: Param[];
  operations: Operation[];
}

// Parameter texts as upstream's OpenAPI carries them.
const P = {
  pretty: q('pretty', 'string', "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."),
  namespace: { name: 'namespace', in: 'path', type: 'string', required: true, description: 'object name and auth scope, such as for teams and projects' } as Param,
  dryRun: q('dryRun', 'string', 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed'),
  fieldManager: q('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.'),
  fieldManagerPatch: q('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch).'),
  fieldValidation: q('fieldValidation', 'string', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.'),
  force: q('force', 'boolean', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.'),
  ignoreStoreReadError: q('ignoreStoreReadErrorWithClusterBreakingPotential', 'boolean', 'if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error. A resource is considered corrupt if it can not be retrieved from the underlying storage successfully because of a) its data can not be transformed e.g. decryption failure, or b) it fails to decode into an object. NOTE: unsafe deletion ignores finalizer constraints, skips precondition checks, and removes the object from the storage. WARNING: This may potentially break the cluster if the workload associated with the resource being unsafe-deleted relies on normal deletion flow. Use only if you REALLY know what you are doing. The default value is false, and the user must opt in to enable it'),
  orphanDependents: q('orphanDependents', 'boolean', 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the object\'s finalizers list. Either this field or PropagationPolicy may be set, but not both.'),
  propagationPolicy: q('propagationPolicy', 'string', "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
  allowWatchBookmarks: q('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored.'),
  continue: q('continue', 'string', 'The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize. If the specified continue value is no longer valid whether due to expiration (generally five to fifteen minutes) or a configuration change on the server, the server will respond with a 410 ResourceExpired error together with a continue token. If the client needs a consistent list, it must restart their list without the continue field. Otherwise, the client may send another list request with the token received with the 410 error, the server will respond with a list starting from the next key, but from the latest snapshot, which is inconsistent from the previous list results - objects that are created, modified, or deleted after the first list request will be included in the response, as long as their keys are after the "next key".\n\nThis field is not supported when watch is true. Clients may start a watch from the last resourceVersion value returned by the server and not miss any modifications.'),
  fieldSelector: q('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: q('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: q('limit', 'integer', 'limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results. Setting a limit may return fewer than the requested amount of items (up to zero items) in the event all requested objects are filtered out and clients should only use the presence of the continue field to determine whether more results are available. Servers may choose not to support the limit argument and will return all of the available results. If limit is specified and the continue field is empty, clients may assume that no more results are available. This field is not supported if watch is true.\n\nThe server guarantees that the objects returned when using continue will be identical to issuing a single list call without a limit - that is, no objects created, modified, or deleted after the first request is issued will be included in any subsequent continued requests. This is sometimes referred to as a consistent snapshot, and ensures that a client that is using limit to receive smaller chunks of a very large result can ensure they see all possible objects. If objects are updated during a chunked list the version of the object that was present at the time the first list result was calculated is returned.'),
  resourceVersion: q('resourceVersion', 'string', 'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset'),
  resourceVersionMatch: q('resourceVersionMatch', 'string', 'resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset'),
  sendInitialEvents: q('sendInitialEvents', 'boolean', '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection. Once all such events have been sent, a synthetic "Bookmark" event  will be sent. The bookmark will report the ResourceVersion (RV) corresponding to the set of objects, and be marked with `"k8s.io/initial-events-end": "true"` annotation. Afterwards, the watch stream will proceed as usual, sending watch events corresponding to changes (subsequent to the RV) to objects watched.\n\nWhen `sendInitialEvents` option is set, we require `resourceVersionMatch` option to also be set. The semantic of the watch request is as following: - `resourceVersionMatch` = NotOlderThan\n  is interpreted as "data at least as new as the provided `resourceVersion`"\n  and the bookmark event is send when the state is synced\n  to a `resourceVersion` at least as fresh as the one provided by the ListOptions.\n  If `resourceVersion` is unset, this is interpreted as "consistent read" and the\n  bookmark event is send when the state is synced at least to the moment\n  when request started being processed.\n- `resourceVersionMatch` set to any other value or unset\n  Invalid error is returned.\n\nDefaults to true if `resourceVersion=""` or `resourceVersion="0"` (for backward compatibility reasons) and to false otherwise.'),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.'),
  watch: q('watch', 'boolean', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.'),
};

function q(name: string, type: ParamType, description: string): Param {
  return { name, in: 'query', type, description };
}

const LIST_PARAMS = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const PATCH_PARAMS = [P.dryRun, P.fieldManagerPatch, P.fieldValidation, P.force];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.ignoreStoreReadError, P.orphanDependents, P.propagationPolicy];
const DELETE_COLLECTION_PARAMS = [
  P.continue, P.dryRun, P.fieldSelector, P.gracePeriodSeconds, P.ignoreStoreReadError, P.labelSelector, P.limit,
  P.orphanDependents, P.propagationPolicy, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds,
];

/** Kinds whose DELETE returns the deleted object rather than a Status (their stores set ReturnDeletedObject). */
const RETURNS_DELETED_OBJECT = new Set(['/v1/Pod', '/v1/PodTemplate', '/v1/Namespace', '/v1/Service', 'apiextensions.k8s.io/v1/CustomResourceDefinition']);

const ok = (schema?: string): Response => ({ code: '200', description: 'OK', ...(schema ? { schema } : {}) });
const created = (schema: string): Response => ({ code: '201', description: 'Created', schema });
const accepted = (schema: string): Response => ({ code: '202', description: 'Accepted', schema });
const unauthorized: Response = { code: '401', description: 'Unauthorized' };

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** `rbac.authorization.k8s.io` -> `RbacAuthorization`; core -> `Core` (upstream's operationId infix). */
export function groupPascal(group: string): string {
  if (!group) return 'Core';
  return group.replace(/\.k8s\.io$/, '').split(/[.-]/).map(cap).join('');
}

/** `rbac.authorization.k8s.io` + v1 -> `rbacAuthorization_v1` (upstream's tag). */
export function tagOf(group: string, version: string): string {
  const g = groupPascal(group);
  return `${g.charAt(0).toLowerCase()}${g.slice(1)}_${version}`;
}

/** `/api/v1` or `/apis/<group>/<version>`. */
export function gvPrefix(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

function nameParam(kind: string): Param {
  return { name: 'name', in: 'path', type: 'string', required: true, description: `name of the ${kind}` };
}

/** The operations of one resource and its subresources, grouped by path in upstream's layout. */
export function resourcePaths(t: ResourceType): PathItem[] {
  const objectDef = definitionNameFor(t.group, t.version, t.kind);
  if (!objectDef) return [];
  const listDef = definitionNameFor(t.group, t.version, t.listKind);
  const gvk: GroupVersionKind = { group: t.group, kind: t.kind, version: t.version };
  const G = `${groupPascal(t.group)}${cap(t.version)}`;
  const ns = t.namespaced ? 'Namespaced' : '';
  const tag = tagOf(t.group, t.version);
  const prefix = gvPrefix(t.group, t.version);
  const nsPath = t.namespaced ? '/namespaces/{namespace}' : '';
  const scope = t.namespaced ? [P.namespace] : [];
  const has = (v: string) => t.verbs.includes(v);
  const op = (o: Omit<Operation, 'tag' | 'streaming'> & { streaming?: boolean }): Operation => ({ tag, streaming: false, ...o });
  const items: PathItem[] = [];

  // Collection: list, create, deletecollection.
  const collection: Operation[] = [];
  if (has('delete') && has('deletecollection')) {
    collection.push(op({
      method: 'delete', operationId: `delete${G}Collection${ns}${t.kind}`, description: `delete collection of ${t.kind}`,
      action: 'deletecollection', gvk, params: DELETE_COLLECTION_PARAMS, body: { schema: DELETE_OPTIONS, required: false },
      responses: [ok(STATUS), unauthorized],
    }));
  }
  if (has('list') && listDef) {
    collection.push(op({
      method: 'get', operationId: `list${G}${ns}${t.kind}`, description: `list or watch objects of kind ${t.kind}`,
      action: 'list', gvk, params: LIST_PARAMS, streaming: true, responses: [ok(listDef), unauthorized],
    }));
  }
  if (has('create')) {
    collection.push(op({
      method: 'post', operationId: `create${G}${ns}${t.kind}`, description: `create ${article(t.kind)} ${t.kind}`,
      action: 'post', gvk, params: WRITE_PARAMS, body: { schema: objectDef, required: true },
      responses: [ok(objectDef), created(objectDef), accepted(objectDef), unauthorized],
    }));
  }
  if (collection.length) items.push({ path: `${prefix}${nsPath}/${t.plural}`, params: [...scope, P.pretty], operations: collection });

  // Item: read, replace, patch, delete.
  const item: Operation[] = [];
  if (has('delete')) {
    const deleted = RETURNS_DELETED_OBJECT.has(`${t.group}/${t.version}/${t.kind}`) ? objectDef : STATUS;
    item.push(op({
      method: 'delete', operationId: `delete${G}${ns}${t.kind}`, description: `delete ${article(t.kind)} ${t.kind}`,
      action: 'delete', gvk, params: DELETE_PARAMS, body: { schema: DELETE_OPTIONS, required: false },
      responses: [ok(deleted), accepted(deleted), unauthorized],
    }));
  }
  if (has('get')) {
    item.push(op({ method: 'get', operationId: `read${G}${ns}${t.kind}`, description: `read the specified ${t.kind}`, action: 'get', gvk, params: [], responses: [ok(objectDef), unauthorized] }));
  }
  if (has('patch')) {
    item.push(op({
      method: 'patch', operationId: `patch${G}${ns}${t.kind}`, description: `partially update the specified ${t.kind}`,
      action: 'patch', gvk, params: PATCH_PARAMS, body: { schema: PATCH, required: true },
      responses: [ok(objectDef), created(objectDef), unauthorized],
    }));
  }
  if (has('update')) {
    item.push(op({
      method: 'put', operationId: `replace${G}${ns}${t.kind}`, description: `replace the specified ${t.kind}`,
      action: 'put', gvk, params: WRITE_PARAMS, body: { schema: objectDef, required: true },
      responses: [ok(objectDef), created(objectDef), unauthorized],
    }));
  }
  const itemParams = [nameParam(t.kind), ...scope, P.pretty];
  if (item.length) items.push({ path: `${prefix}${nsPath}/${t.plural}/{name}`, params: itemParams, operations: item });

  for (const sub of t.subresources) {
    const built = subresourceItem(t, sub, G, ns, tag, `${prefix}${nsPath}/${t.plural}/{name}/${sub.name}`, itemParams);
    if (built) items.push(built);
  }

  // Deprecated watch paths and the all-namespaces list, as upstream still lists them.
  if (has('list') && listDef && t.namespaced) {
    items.push({
      path: `${prefix}/${t.plural}`,
      params: [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.pretty, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch],
      operations: [op({ method: 'get', operationId: `list${G}${t.kind}ForAllNamespaces`, description: `list or watch objects of kind ${t.kind}`, action: 'list', gvk, params: [], streaming: true, responses: [ok(listDef), unauthorized] })],
    });
  }
  if (has('watch')) {
    const watchParams = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.pretty, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
    const watchOp = (operationId: string, action: Action, description: string) =>
      op({ method: 'get', operationId, description, action, gvk, params: [], streaming: true, responses: [ok(WATCH_EVENT), unauthorized] });
    if (t.namespaced) {
      items.push({ path: `${prefix}/watch/${t.plural}`, params: watchParams, operations: [watchOp(`watch${G}${t.kind}ListForAllNamespaces`, 'watchlist', `watch individual changes to a list of ${t.kind}. deprecated: use the 'watch' parameter with a list operation instead.`)] });
    }
    items.push({ path: `${prefix}/watch${nsPath}/${t.plural}`, params: [...scope, ...watchParams].sort(byName), operations: [watchOp(`watch${G}${ns}${t.kind}List`, 'watchlist', `watch individual changes to a list of ${t.kind}. deprecated: use the 'watch' parameter with a list operation instead.`)] });
    items.push({ path: `${prefix}/watch${nsPath}/${t.plural}/{name}`, params: [nameParam(t.kind), ...scope, ...watchParams].sort(byName), operations: [watchOp(`watch${G}${ns}${t.kind}`, 'watch', `watch changes to an object of kind ${t.kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`)] });
  }
  return items;
}

const STREAMING_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);

const byName = (a: Param, b: Param) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? 'an' : 'a';
}

/** get/put/patch subresources (status, scale, ephemeralcontainers, resize) and the create-only ones. */
function subresourceItem(t: ResourceType, sub: SubresourceType, G: string, ns: string, tag: string, path: string, params: Param[]): PathItem | undefined {
  // connect (exec, attach, portforward, proxy) and log subresources stream text, not a schema'd kind
  if (STREAMING_SUBRESOURCES.has(sub.name)) return undefined;
  const def = definitionNameFor(sub.group, sub.version, sub.kind);
  if (!def) return undefined;
  const gvk: GroupVersionKind = { group: sub.group, kind: sub.kind, version: sub.version };
  const S = cap(sub.name);
  const ops: Operation[] = [];
  const base = { tag, gvk, streaming: false };
  if (sub.verbs.includes('create')) {
    ops.push({ ...base, method: 'post', operationId: `create${G}${ns}${t.kind}${S}`, description: `create ${sub.name} of ${article(t.kind)} ${t.kind}`, action: 'post', params: WRITE_PARAMS, body: { schema: def, required: true }, responses: [ok(def), created(def), accepted(def), unauthorized] });
  }
  if (sub.verbs.includes('get')) {
    ops.push({ ...base, method: 'get', operationId: `read${G}${ns}${t.kind}${S}`, description: `read ${sub.name} of the specified ${t.kind}`, action: 'get', params: [], responses: [ok(def), unauthorized] });
  }
  if (sub.verbs.includes('patch')) {
    ops.push({ ...base, method: 'patch', operationId: `patch${G}${ns}${t.kind}${S}`, description: `partially update ${sub.name} of the specified ${t.kind}`, action: 'patch', params: PATCH_PARAMS, body: { schema: PATCH, required: true }, responses: [ok(def), created(def), unauthorized] });
  }
  if (sub.verbs.includes('update')) {
    ops.push({ ...base, method: 'put', operationId: `replace${G}${ns}${t.kind}${S}`, description: `replace ${sub.name} of the specified ${t.kind}`, action: 'put', params: WRITE_PARAMS, body: { schema: def, required: true }, responses: [ok(def), created(def), unauthorized] });
  }
  if (!ops.length) return undefined;
  // Create-only subresources take the name of the parent in the path, but upstream words it "name of the <SubKind>".
  const pathParams = sub.verbs.includes('create') ? [nameParam(sub.kind), ...params.slice(1)] : params;
  return { path, params: pathParams, operations: ops };
}

/** Every path of one group/version, plus its discovery path (`/apis/apps/v1/`), in registry order. */
export function groupVersionPaths(registry: Registry, group: string, version: string): PathItem[] {
  const items: PathItem[] = [];
  const prefix = gvPrefix(group, version);
  items.push({
    path: `${prefix}/`,
    params: [],
    operations: [{ method: 'get', operationId: `get${groupPascal(group)}${cap(version)}APIResources`, description: 'get available resources', action: 'get', tag: tagOf(group, version), params: [], streaming: false, responses: [ok(API_RESOURCE_LIST), unauthorized] }],
  });
  for (const t of registry.all()) {
    if (t.group === group && t.version === version) items.push(...resourcePaths(t));
  }
  return items;
}
