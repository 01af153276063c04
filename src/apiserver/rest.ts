// Kubernetes REST semantics over the object store, with no HTTP in sight: create, get, list,
// update, patch, delete and their subresources, each as upstream's generic registry and request
// handlers behave. The HTTP transport (http.ts) and in-process clients both call this.
import type { KubeList, KubeObject, Instant } from '../model/object.js';
import { deepClone, deepEqual, isPlainObject, rfc3339 } from '../model/object.js';
import type { ResourceType } from '../model/registry.js';
import { apiVersionOf, groupKind, groupResource, Registry } from '../model/registry.js';
import { errors, StatusError, type Status } from '../model/status.js';
import { fieldErrors, FieldPath, type FieldError } from '../model/field.js';
import type { ObjectStore } from '../store/types.js';
import { copyStored } from '../store/copy.js';
import { StoreError, objectKey, resourcePrefix } from '../store/types.js';
import * as mm from './metamodel.js';
import type { Json, PatchBody } from '../model/patch/index.js';
import * as strategy from './strategy.js';
import * as csr from './certificates.js';
import {
  CONTINUE_EXPIRED, decodeContinue, encodeContinue, parseResourceVersion,
  type DeleteOptions, type ListOptions, type WriteOptions,
} from './options.js';
import { toStored, fromStored, storageOf } from '../model/conversion.js';
import type { Admission } from './admission.js';
import type { ServiceAccountSigner } from './satoken.js';
import * as fields from './fields.js';

export interface Clock {
  now(): Instant;
}

export interface Ids {
  uid(): string;
  /** Five characters appended to generateName. */
  nameSuffix(): string;
}

export interface RestDeps {
  store: ObjectStore;
  registry: Registry;
  clock: Clock;
  ids: Ids;
  admission: Admission;
  /** Signs and checks service-account tokens (TokenRequest, bearer-token authentication). */
  signer: ServiceAccountSigner;
}

export interface Written<T> {
  object: T;
  warnings: string[];
}

/** A request body after media decoding: the value plus fields the decoder saw twice. */
export interface Body {
  value: unknown;
  duplicates: string[];
  /** The bytes as received, where they matter (a PATCH body is decoded by the patch module itself). */
  raw?: string | Uint8Array;
}

/** A PATCH body for the patch module: its bytes, or an in-process caller's value (no text made and parsed again; none at all reads as an empty body). */
const patchBody = (b: Body): PatchBody => b.raw ?? (b.value === undefined ? '' : { decoded: b.value as Json });

// Upstream retries until the request times out; a bound keeps a pathological race from spinning forever.
const MAX_CONFLICT_RETRIES = 200;
/** Reads of the stored object that the write path only reads (it builds the next object beside it). */
const SHARED = { shared: true } as const;

/** What a write answers: the stored object's (frozen) parts copied, unless the caller only reads it. */
function answer(o: KubeObject, opts: { sharedResult?: boolean }): KubeObject {
  return opts.sharedResult ? o : copyStored(o);
}

export class Rest {
  readonly registry: Registry;
  constructor(readonly deps: RestDeps) {
    this.registry = deps.registry;
  }

  /** The served resource for a request path, or 404 as upstream answers unknown resources. */
  resource(group: string, version: string, plural: string): ResourceType {
    const t = this.registry.byResource(group, version, plural);
    if (!t) throw errors.pathNotFound();
    return t;
  }

  private key(t: ResourceType, ns: string | undefined, name: string): string {
    const s = storageOf(t);
    return objectKey(s.group, s.plural, t.namespaced ? ns : undefined, name);
  }

  private prefix(t: ResourceType, ns: string | undefined): string {
    const s = storageOf(t);
    return resourcePrefix(s.group, s.plural, t.namespaced ? ns : undefined);
  }

  /** How many objects of a resource are stored, in every namespace (apiserver_storage_objects). */
  count(t: ResourceType): Promise<number> {
    return this.deps.store.count(this.prefix(t, undefined));
  }

  /** The server clock as RFC 3339 (what it stamps into objects). */
  now(): string {
    return rfc3339(this.deps.clock.now());
  }

  // ---- reads -------------------------------------------------------------------------------

  async get(t: ResourceType, ns: string | undefined, name: string): Promise<KubeObject> {
    const stored = await this.deps.store.get(this.key(t, ns, name));
    if (!stored) throw errors.notFound(groupResource(t), name);
    return fromStored(t, stored);
  }

  async list(t: ResourceType, ns: string | undefined, opts: ListOptions): Promise<KubeList> {
    const filter = mm.selectorFilter(t, opts.labelSelector, opts.fieldSelector);
    const prefix = this.prefix(t, ns);
    let revision: number | undefined;
    let after: string | undefined;
    if (opts.continue) {
      const c = decodeContinue(opts.continue);
      revision = c.revision;
      after = prefix + c.after;
    } else if (opts.resourceVersionMatch === 'Exact') {
      revision = parseResourceVersion(opts.resourceVersion);
      if (!revision) throw errors.badRequest('resourceVersionMatch "Exact" is forbidden for resourceVersion "0"');
    } else if (opts.resourceVersion && opts.resourceVersion !== '0') {
      const min = parseResourceVersion(opts.resourceVersion)!;
      const current = await this.deps.store.revision();
      if (min > current) throw tooLargeResourceVersion(min, current);
    }
    const items: KubeObject[] = [];
    let lastKey: string | undefined;
    let remaining = 0;
    let listRevision = revision ?? 0;
    // With a filter, keep reading pages until the limit is met, as upstream's paging does.
    for (;;) {
      const page = await this.readPage(prefix, after, opts.limit ? opts.limit - items.length : undefined, revision, !!opts.continue);
      listRevision = page.revision;
      revision = page.revision;
      for (const o of page.items) {
        const obj = fromStored(t, o);
        if (!filter || filter(obj)) items.push(obj);
      }
      lastKey = page.lastKey;
      remaining = page.remaining ?? 0;
      if (!lastKey || !opts.limit || items.length >= opts.limit) break;
      after = lastKey;
    }
    const meta: KubeList['metadata'] = { resourceVersion: String(listRevision) };
    if (lastKey && remaining > 0) {
      meta.continue = encodeContinue(listRevision, lastKey.slice(prefix.length));
      if (!filter) meta.remainingItemCount = remaining;
    }
    return { apiVersion: apiVersionOf(t), kind: t.listKind, metadata: meta, items };
  }

  private async readPage(prefix: string, after: string | undefined, limit: number | undefined, revision: number | undefined, continuing: boolean) {
    try {
      const opts: { limit?: number; after?: string; revision?: number } = {};
      if (limit) opts.limit = limit;
      if (after) opts.after = after;
      if (revision) opts.revision = revision;
      return await this.deps.store.list(prefix, opts);
    } catch (e) {
      if (e instanceof StoreError && e.code === 'Compacted') {
        throw continuing ? errors.expired(CONTINUE_EXPIRED) : errors.expired(`too old resource version: ${revision} (${e.current})`);
      }
      throw e;
    }
  }

  // ---- create ------------------------------------------------------------------------------

  /** `managed`: the managedFields of an apply that creates the object (other creates keep none). */
  async create(t: ResourceType, ns: string | undefined, body: Body, opts: WriteOptions, managed?: fields.ManagedFieldsEntry[]): Promise<Written<KubeObject>> {
    const warnings: string[] = [];
    const obj = this.decode(t, body, opts, warnings);
    const meta = obj.metadata;
    if (t.namespaced) {
      if (meta.namespace && ns && meta.namespace !== ns) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = ns ?? meta.namespace;
    } else {
      delete meta.namespace;
    }
    if (meta.resourceVersion) throw errors.internal('resourceVersion should not be set on objects to be created');
    const generated = !meta.name && !!meta.generateName;
    if (generated) meta.name = `${meta.generateName}${this.deps.ids.nameSuffix()}`;
    meta.uid = this.deps.ids.uid();
    meta.creationTimestamp = this.now();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.managedFields;
    if (managed?.length) meta.managedFields = managed as never;
    mm.defaults(t, obj);
    mm.prepareForCreate(t, obj, meta.uid, this.deps.clock.now());
    if (csr.isCSR(t)) {
      csr.checkEncoding(t, obj);
      csr.prepareForCreate(obj, opts.user);
    }
    await this.deps.admission.admitCreate(t, obj, opts.dryRun);
    try {
      this.check(t, obj, mm.validateNew(t, obj));
      if (opts.dryRun) return { object: obj, warnings };
      const stored = await this.deps.store.create(this.key(t, meta.namespace, meta.name!), toStored(t, obj), opts.sharedResult ? SHARED : undefined);
      return { object: fromStored(t, stored), warnings };
    } catch (e) {
      if (e instanceof StoreError && e.code === 'KeyExists') {
        throw generated
          ? errors.generateNameConflict(groupResource(t), meta.name!, 1)
          : errors.alreadyExists(groupResource(t), meta.name!);
      }
      throw e;
    } finally {
      this.deps.admission.settle(t, obj);
    }
  }

  // ---- update and patch --------------------------------------------------------------------

  /** PUT: replaces the object (or creates it, for kinds that allow it). */
  async update(t: ResourceType, ns: string | undefined, name: string, body: Body, opts: WriteOptions): Promise<Written<KubeObject> & { created: boolean }> {
    const warnings: string[] = [];
    const obj = this.decode(t, body, opts, warnings);
    this.checkIdentity(t, ns, name, obj);
    const current = await this.deps.store.get(this.key(t, ns, name), SHARED);
    if (!current) {
      if (!strategy.allowsCreateOnUpdate(t)) throw errors.notFound(groupResource(t), name);
      delete obj.metadata.resourceVersion;
      const created = await this.create(t, ns, { value: obj, duplicates: [] }, opts);
      return { ...created, warnings: [...warnings, ...created.warnings], created: true };
    }
    const precondition = parseResourceVersion(obj.metadata.resourceVersion);
    const object = await this.writeLoop(t, ns, name, opts, precondition, (old) => {
      const next = deepClone(obj);
      strategy.prepareForUpdate(t, next, old);
      return next;
    }, fromStored(t, current));
    return { object, warnings, created: false };
  }

  /** PATCH of the main resource: the patch applies to the current object, retried on conflicts (an apply may create it). */
  async patch(t: ResourceType, ns: string | undefined, name: string, contentType: string, body: Body, opts: WriteOptions): Promise<Written<KubeObject> & { created?: boolean }> {
    const warnings: string[] = [];
    fields.checkPatchOptions(contentType, opts);
    if (contentType === fields.APPLY) return this.apply(t, ns, name, body, opts);
    let unknownReported = false;
    const object = await this.writeLoop(t, ns, name, opts, undefined, (old) => {
      const patched = mm.patch(t, contentType, old, patchBody(body));
      if (!isPlainObject(patched)) throw errors.badRequest('the patched object must be a JSON object');
      if (!unknownReported) {
        unknownReported = true;
        this.fieldValidation(t, patched, body.duplicates, opts, warnings);
      }
      // (the patch made a new value, sharing nothing with the stored object or the body: no copy)
      const next = this.normalize(t, patched, false);
      this.checkIdentity(t, ns, name, next);
      strategy.prepareForUpdate(t, next, old);
      return next;
    }, undefined, true);
    return { object, warnings };
  }

  /**
   * Server-side apply: the configuration merged into the live object by field ownership
   * (fields.ts, model/fieldmanager), or the object created from it when there is none.
   */
  private async apply(t: ResourceType, ns: string | undefined, name: string, body: Body, opts: WriteOptions): Promise<Written<KubeObject> & { created: boolean }> {
    const warnings: string[] = [];
    const config = this.appliedConfig(t, ns, name, body, opts, warnings);
    const current = await this.deps.store.get(this.key(t, ns, name), SHARED);
    if (!current) {
      const r = fields.apply(t, undefined, config, opts, this.now());
      const created = await this.create(t, ns, { value: r.object, duplicates: [] }, { ...opts, fieldValidation: 'Ignore' }, r.managed);
      return { object: created.object, warnings: [...warnings, ...created.warnings], created: true };
    }
    let managed: fields.ManagedFieldsEntry[] | undefined;
    const object = await this.writeLoop(t, ns, name, opts, undefined, (old) => {
      const r = fields.apply(t, old, config, opts, this.now());
      managed = r.managed;
      // (a copy: the merge shares the stored object's parts, which are frozen)
      const next = this.normalize(t, r.object);
      this.checkIdentity(t, ns, name, next);
      strategy.prepareForUpdate(t, next, old);
      return next;
    }, fromStored(t, current), true, undefined, () => managed);
    return { object, warnings, created: false };
  }

  /** An apply's configuration, checked (fields.applyConfig, field validation) and named as the URL names it. */
  private appliedConfig(t: ResourceType, ns: string | undefined, name: string, body: Body, opts: WriteOptions, warnings: string[]): KubeObject {
    const raw = fields.applyConfig(t, body.value);
    this.fieldValidation(t, raw, body.duplicates, opts, warnings);
    const config = this.normalize(t, raw);
    this.checkIdentity(t, ns, name, config);
    return config;
  }

  /**
   * The read-modify-write loop every update shares: build the next object from the stored one,
   * default and validate it, and write it only if it changed, with the stored resourceVersion as
   * the precondition. A conflict retries when the client gave no resourceVersion of its own.
   * `old` is the stored object itself, frozen: mutate builds the next object beside it.
   */
  private async writeLoop(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    opts: WriteOptions,
    clientPrecondition: number | undefined,
    mutate: (old: KubeObject) => KubeObject,
    first?: KubeObject,
    isPatch = false,
    validate: (next: KubeObject, old: KubeObject) => FieldError[] = (n, o) => mm.validateChange(t, n, o),
    managed: (next: KubeObject, old: KubeObject) => fields.ManagedFieldsEntry[] | undefined = (n, o) => fields.updated(t, n, o, opts, '', this.now()),
  ): Promise<KubeObject> {
    const key = this.key(t, ns, name);
    let old = first;
    for (let attempt = 0; ; attempt++) {
      if (!old) {
        const cur = await this.deps.store.get(key, SHARED);
        if (!cur) throw errors.notFound(groupResource(t), name);
        old = fromStored(t, cur);
      }
      const oldRv = Number(old.metadata.resourceVersion);
      const next = mutate(old);
      // A patch may carry a resourceVersion: then it is a precondition, as in a PUT.
      const precondition = isPatch ? parseResourceVersion(next.metadata.resourceVersion) : clientPrecondition;
      if (precondition !== undefined && precondition !== oldRv) throw errors.staleUpdate(groupResource(t), name);
      // An unconditional update acts on the version it read, as upstream's GuaranteedUpdate does.
      next.metadata.resourceVersion = old.metadata.resourceVersion;
      mm.prune(t, next);
      this.keepSystemFields(next, old);
      mm.defaults(t, next);
      const owners = managed(next, old);
      if (owners?.length) next.metadata.managedFields = owners as never;
      await this.deps.admission.admitUpdate(t, next, old, opts.dryRun);
      try {
        return await this.commit(t, key, name, next, old, opts, precondition, validate);
      } catch (e) {
        // A lost race retries: a patch is re-applied to the newer object (a resourceVersion the patch
        // itself carries then fails the precondition above); a PUT retries only if it named no version.
        if (e instanceof StoreError && e.code === 'Conflict' && (isPatch || precondition === undefined) && attempt < MAX_CONFLICT_RETRIES) {
          old = undefined;
          continue;
        }
        throw this.storeError(t, name, e);
      } finally {
        this.deps.admission.settle(t, next);
      }
    }
  }

  /** Validates and writes one update attempt; a store Conflict propagates for the caller's retry. */
  private async commit(
    t: ResourceType, key: string, name: string, next: KubeObject, old: KubeObject, opts: WriteOptions,
    precondition: number | undefined, validate: (next: KubeObject, old: KubeObject) => FieldError[],
  ): Promise<KubeObject> {
    const oldRv = Number(old.metadata.resourceVersion);
    {
      this.check(t, next, validate(next, old));
      // old, and parts of next, are the stored object's own (frozen)
      if (deepEqual(next, old)) return answer(old, opts);
      if (opts.dryRun) return answer(next, opts);
      if (shouldDeleteDuringUpdate(next, old)) {
        const gone = await this.deps.store.delete(key, oldRv, SHARED);
        return answer({ ...fromStored(t, gone), ...stripMeta(next) }, opts);
      }
      return fromStored(t, await this.deps.store.update(key, toStored(t, next), oldRv, { shared: !!opts.sharedResult }));
    }
  }

  /** BeforeUpdate: clients cannot change uid, creation time, or undo a deletion. */
  private keepSystemFields(next: KubeObject, old: KubeObject): void {
    const m = next.metadata;
    const o = old.metadata;
    if (!m.uid) m.uid = o.uid;
    m.creationTimestamp = o.creationTimestamp;
    if (o.deletionTimestamp) m.deletionTimestamp = o.deletionTimestamp;
    else delete m.deletionTimestamp;
    if (o.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
    delete m.managedFields;
  }

  // ---- subresources ------------------------------------------------------------------------

  async getSubresource(t: ResourceType, ns: string | undefined, name: string, sub: string): Promise<KubeObject> {
    this.subresource(t, sub, 'get');
    const obj = await this.get(t, ns, name);
    return sub === 'scale' ? toScale(t, obj) : obj;
  }

  /** PUT or PATCH of status, scale, or a namespace's finalize. */
  async writeSubresource(
    t: ResourceType, ns: string | undefined, name: string, sub: string,
    body: Body, opts: WriteOptions, patchType?: string,
  ): Promise<Written<KubeObject>> {
    this.subresource(t, sub, patchType ? 'patch' : 'update');
    const warnings: string[] = [];
    let precondition: number | undefined;
    if (patchType) fields.checkPatchOptions(patchType, opts);
    // An apply to status: the configuration is a whole object, of which the status is applied.
    let config: KubeObject | undefined;
    let applied: fields.ManagedFieldsEntry[] | undefined;
    if (patchType === fields.APPLY) {
      if (sub !== 'status') throw new StatusError(415, 'UnsupportedMediaType', `server-side apply to the ${sub} subresource is not supported (the main resource and status are)`);
      config = this.appliedConfig(t, ns, name, body, opts, warnings);
    }
    const incoming = (old: KubeObject): KubeObject => {
      if (config) {
        const r = fields.apply(t, old, config, opts, this.now(), sub);
        applied = r.managed;
        const o = deepClone(r.object) as KubeObject;
        precondition = parseResourceVersion(o.metadata.resourceVersion);
        return o;
      }
      const view = sub === 'scale' ? toScale(t, old) : old;
      let value: unknown = body.value;
      if (patchType) value = mm.patch(sub === 'scale' ? scaleType : t, patchType, view, patchBody(body));
      if (!isPlainObject(value)) throw errors.badRequest('the body of the request must be an object');
      const o = value as KubeObject;
      if (!isPlainObject(o.metadata)) o.metadata = {};
      precondition = parseResourceVersion(o.metadata.resourceVersion);
      return o;
    };
    const object = await this.writeLoop(t, ns, name, opts, undefined, (old) => {
      const given = incoming(old);
      if (given.metadata.name && given.metadata.name !== name) {
        throw errors.badRequest(`the name of the object (${given.metadata.name}) does not match the name on the URL (${name})`);
      }
      if (sub === 'scale') {
        const replicas = (given.spec as { replicas?: unknown } | undefined)?.replicas;
        const next = deepClone(old);
        next.spec = { ...(next.spec as object), replicas: replicas ?? 0 };
        strategy.prepareForUpdate(t, next, old);
        next.metadata.resourceVersion = given.metadata.resourceVersion ?? old.metadata.resourceVersion;
        return next;
      }
      if (sub === 'ephemeralcontainers') {
        // only the ephemeral containers come from the body (the pod strategy's PrepareForUpdate)
        const next = deepClone(old);
        const list = (given.spec as { ephemeralContainers?: unknown } | undefined)?.ephemeralContainers;
        const spec = { ...(next.spec as object) } as { ephemeralContainers?: unknown };
        if (Array.isArray(list) && list.length) spec.ephemeralContainers = list;
        else delete spec.ephemeralContainers;
        next.spec = spec;
        next.metadata.resourceVersion = given.metadata.resourceVersion ?? old.metadata.resourceVersion;
        return next;
      }
      if (sub === 'finalize') {
        const next = deepClone(old);
        next.spec = { ...(next.spec as object), finalizers: (given.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [] };
        next.metadata.resourceVersion = given.metadata.resourceVersion ?? old.metadata.resourceVersion;
        return next;
      }
      if (csr.isCSR(t)) csr.checkEncoding(t, given);
      const next = csr.isCSR(t) ? csr.prepareForSubresource(sub as 'status' | 'approval', given, old, this.now()) : strategy.prepareForStatusUpdate(t, given, old);
      next.metadata.resourceVersion = given.metadata.resourceVersion ?? old.metadata.resourceVersion;
      return next;
    }, undefined, true, (next, old) => {
      if (sub === 'scale') {
        const r = (next.spec as { replicas?: unknown }).replicas;
        if (typeof r !== 'number' || !Number.isInteger(r) || r < 0) {
          return [fieldErrors.invalid(FieldPath.root('spec', 'replicas'), r, 'must be greater than or equal to 0')];
        }
        return mm.validateChange(t, next, old);
      }
      if (sub === 'approval' || sub === 'ephemeralcontainers') return mm.validateSubresourceChange(t, sub, next, old);
      return sub === 'status' ? mm.validateStatusChange(t, next, old) : mm.validateChange(t, next, old);
    }, (next, old) => applied ?? fields.updated(t, next, old, opts, sub, this.now()));
    void precondition;
    return { object: sub === 'scale' ? toScale(t, object) : object, warnings };
  }

  /** POST pods/<name>/binding (or a namespaced Binding): assigns the pod to a node, once. */
  async bind(ns: string, podName: string, body: Body, opts: WriteOptions): Promise<Status> {
    const pods = this.resource('', 'v1', 'pods');
    const binding = body.value as { metadata?: { name?: string; annotations?: Record<string, string> }; target?: { kind?: string; name?: string } };
    if (!isPlainObject(binding)) throw errors.badRequest('the body of the request must be a Binding');
    const target = binding.target?.name;
    const errs: FieldError[] = [];
    if (!target) errs.push(fieldErrors.required(FieldPath.root('target', 'name')));
    if (binding.target?.kind && binding.target.kind !== 'Node') errs.push(fieldErrors.notSupported(FieldPath.root('target', 'kind'), binding.target.kind, ['Node']));
    if (errs.length) throw errors.invalid({ group: '', name: 'Binding' }, podName, errs);
    await this.writeLoop(pods, ns, podName, { ...opts, sharedResult: true }, undefined, (old) => {
      const spec = (old.spec ?? {}) as { nodeName?: string };
      if (old.metadata.deletionTimestamp) {
        throw errors.conflict(groupResource(pods), podName, `pod ${podName} is being deleted, cannot be assigned to a host`);
      }
      if (spec.nodeName) {
        throw errors.conflict(groupResource(pods), podName, `pod ${podName} is already assigned to node ${JSON.stringify(spec.nodeName)}`);
      }
      // The stored pod with new spec, metadata and status objects (the parts kept are shared).
      type PodStatus = { conditions?: { type: string; status: string; lastProbeTime?: null; lastTransitionTime?: string }[] };
      const next: KubeObject = { ...old, metadata: { ...old.metadata }, spec: { ...(old.spec as object | undefined), nodeName: target! } };
      if (binding.metadata?.annotations) {
        next.metadata.annotations = { ...next.metadata.annotations, ...binding.metadata.annotations };
      }
      const conds = ((old.status as PodStatus | undefined)?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: this.now() });
      next.status = { ...(old.status as object | undefined), conditions: conds };
      return next;
    }, undefined, false, () => []);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  }

  private subresource(t: ResourceType, sub: string, verb: string): void {
    const s = t.subresources.find((x) => x.name === sub);
    if (!s || !['status', 'scale', 'finalize', 'binding', 'approval', 'ephemeralcontainers'].includes(sub)) throw errors.pathNotFound();
    if (!s.verbs.includes(verb)) throw errors.methodNotSupported(groupResource(t), verb);
  }

  // ---- delete ------------------------------------------------------------------------------

  /**
   * DELETE: immediate when nothing holds the object; otherwise marks it with a deletionTimestamp
   * and lets finalizers (orphan, foregroundDeletion, or others) or the grace period run out.
   */
  async delete(t: ResourceType, ns: string | undefined, name: string, opts: DeleteOptions): Promise<{ object: KubeObject | Status; pending: boolean }> {
    const key = this.key(t, ns, name);
    await this.deps.admission.admitDelete(t, ns, name);
    const result = { shared: !!opts.sharedResult };
    for (let attempt = 0; ; attempt++) {
      // the stored object itself (frozen): what is written is built beside it
      const stored = await this.deps.store.get(key, SHARED);
      if (!stored) throw errors.notFound(groupResource(t), name);
      const cur = fromStored(t, stored);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== cur.metadata.uid) {
        throw errors.conflict(groupResource(t), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
        throw errors.conflict(groupResource(t), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`);
      }
      if (strategy.gracefulDeletionPending(t, cur, opts.gracePeriodSeconds)) return { object: answer(cur, opts), pending: true };
      const finalizers = propagationFinalizers(cur.metadata.finalizers ?? [], opts);
      const grace = strategy.gracePeriod(t, cur, opts.gracePeriodSeconds);
      const nsFinalizers = t.kind === 'Namespace' && t.group === '' ? ((cur.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []) : [];
      const held = finalizers.length > 0 || nsFinalizers.length > 0;
      const rv = Number(cur.metadata.resourceVersion);
      try {
        if (held || grace > 0) {
          // Mark for deletion; a later delete may only shorten the grace period. The marked
          // object is the stored one with new metadata (the store shares the parts it keeps).
          const next: KubeObject = { ...cur, metadata: { ...cur.metadata } };
          if (finalizers.length) next.metadata.finalizers = finalizers;
          else delete next.metadata.finalizers;
          const m = next.metadata;
          if (!m.deletionTimestamp || (m.deletionGracePeriodSeconds ?? 0) > grace) {
            m.deletionTimestamp = rfc3339(this.deps.clock.now() + grace * 1000);
            m.deletionGracePeriodSeconds = grace;
          }
          if (t.kind === 'Namespace' && t.group === '') next.status = { ...(next.status as object), phase: 'Terminating' };
          if (deepEqual(next, cur)) return { object: answer(cur, opts), pending: true };
          if (opts.dryRun) return { object: answer(next, opts), pending: true };
          const written = await this.deps.store.update(key, toStored(t, next), rv, result);
          return { object: fromStored(t, written), pending: true };
        }
        if (opts.dryRun) return { object: this.deleted(t, answer(cur, opts)), pending: false };
        const gone = fromStored(t, await this.deps.store.delete(key, rv, result));
        return { object: this.deleted(t, gone), pending: false };
      } catch (e) {
        if (e instanceof StoreError && (e.code === 'Conflict' || e.code === 'NotFound') && attempt < MAX_CONFLICT_RETRIES) continue;
        throw this.storeError(t, name, e);
      }
    }
  }

  private deleted(t: ResourceType, obj: KubeObject): KubeObject | Status {
    if (strategy.returnsDeletedObject(t)) return obj;
    const details: Status['details'] = { name: obj.metadata.name!, kind: t.plural, uid: obj.metadata.uid! };
    if (t.group) details.group = t.group;
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
  }

  async deleteCollection(t: ResourceType, ns: string | undefined, list: ListOptions, opts: DeleteOptions): Promise<KubeList> {
    const { items, metadata } = await this.list(t, ns, { ...list, limit: undefined as unknown as number, continue: undefined as unknown as string });
    const out: KubeObject[] = [];
    for (const o of items) {
      try {
        const r = await this.delete(t, o.metadata.namespace, o.metadata.name!, opts);
        if (!('status' in r.object && r.object.kind === 'Status')) out.push(r.object as KubeObject);
        else out.push(o);
      } catch (e) {
        if (!StatusError.is(e, 'NotFound')) throw e;
      }
    }
    return { apiVersion: apiVersionOf(t), kind: t.listKind, metadata: { resourceVersion: metadata.resourceVersion ?? '' }, items: out };
  }

  // ---- decoding and checks -----------------------------------------------------------------

  /** Turns a request body into an object of this resource's kind, or a 400 as upstream's decoder. */
  private decode(t: ResourceType, body: Body, opts: WriteOptions, warnings: string[]): KubeObject {
    const v = body.value;
    if (!isPlainObject(v)) throw errors.badRequest(`${t.kind} in version ${JSON.stringify(t.version)} cannot be handled as a ${t.kind}: the body must be a JSON object`);
    const apiVersion = v.apiVersion ?? apiVersionOf(t);
    const kind = v.kind ?? t.kind;
    if (apiVersion !== apiVersionOf(t)) {
      throw errors.badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${apiVersionOf(t)})`);
    }
    if (kind !== t.kind) {
      throw errors.badRequest(`${String(kind)} in version ${JSON.stringify(t.version)} cannot be handled as a ${t.kind}: the object provided is unrecognized (must be of type ${t.kind})`);
    }
    if (v.metadata !== undefined && !isPlainObject(v.metadata)) {
      throw errors.badRequest(`${t.kind} in version ${JSON.stringify(t.version)} cannot be handled as a ${t.kind}: json: cannot unmarshal ${typeof v.metadata} into Go struct field ${t.kind}.metadata of type v1.ObjectMeta`);
    }
    this.fieldValidation(t, v, body.duplicates, opts, warnings);
    return this.normalize(t, v);
  }

  /** The value as an object of t's kind: a copy of it (copy false: the value itself, when it is the caller's to give away). */
  private normalize(t: ResourceType, v: Record<string, unknown>, copy = true): KubeObject {
    const obj = (copy ? deepClone(v) : v) as KubeObject;
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    mm.prune(t, obj);
    if (!isPlainObject(obj.metadata)) obj.metadata = {};
    return obj;
  }

  /** fieldValidation=Strict rejects unknown and duplicate fields; Warn reports them; Ignore drops them. */
  private fieldValidation(t: ResourceType, v: unknown, duplicates: string[], opts: WriteOptions, warnings: string[]): void {
    if (opts.fieldValidation === 'Ignore') return;
    const problems = [
      ...mm.unknownFields(t, v).map((f) => `unknown field ${JSON.stringify(f)}`),
      ...duplicates.map((f) => `duplicate field ${JSON.stringify(f)}`),
    ];
    if (!problems.length) return;
    if (opts.fieldValidation === 'Strict') {
      throw errors.badRequest(`${t.kind} in version ${JSON.stringify(t.version)} cannot be handled as a ${t.kind}: strict decoding error: ${problems.join(', ')}`);
    }
    warnings.push(...problems);
  }

  private check(t: ResourceType, obj: KubeObject, errs: FieldError[]): void {
    if (errs.length) throw errors.invalid(groupKind(t), obj.metadata.name ?? '', errs);
  }

  private checkIdentity(t: ResourceType, ns: string | undefined, name: string, obj: KubeObject): void {
    const m = obj.metadata;
    if (m.name === undefined || m.name === '') m.name = name;
    else if (m.name !== name) throw errors.badRequest(`the name of the object (${m.name}) does not match the name on the URL (${name})`);
    if (t.namespaced) {
      if (m.namespace && ns && m.namespace !== ns) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      m.namespace = ns;
    } else {
      delete m.namespace;
    }
  }

  private storeError(t: ResourceType, name: string, e: unknown): unknown {
    if (!(e instanceof StoreError)) return e;
    switch (e.code) {
      case 'NotFound':
        return errors.notFound(groupResource(t), name);
      case 'Conflict':
        return errors.staleUpdate(groupResource(t), name);
      case 'KeyExists':
        return errors.alreadyExists(groupResource(t), name);
      default:
        return errors.internal(e);
    }
  }
}

// ---- helpers ---------------------------------------------------------------------------------

/** The finalizers a DELETE leaves on the object for the garbage collector, per propagation policy. */
function propagationFinalizers(current: string[], opts: DeleteOptions): string[] {
  const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : opts.orphanDependents === false ? 'Background' : undefined);
  let fs = [...current];
  if (policy === 'Orphan') {
    fs = fs.filter((f) => f !== 'foregroundDeletion');
    if (!fs.includes('orphan')) fs.push('orphan');
  } else if (policy === 'Foreground') {
    fs = fs.filter((f) => f !== 'orphan');
    if (!fs.includes('foregroundDeletion')) fs.push('foregroundDeletion');
  } else if (policy === 'Background') {
    fs = fs.filter((f) => f !== 'orphan' && f !== 'foregroundDeletion');
  }
  return fs;
}

/**
 * Upstream deletes during an update once the last finalizer goes from an object deleted with no
 * grace left; a namespace also needs its spec.finalizers empty (ShouldDeleteNamespaceDuringUpdate).
 */
function shouldDeleteDuringUpdate(next: KubeObject, old: KubeObject): boolean {
  const specFinalizers = next.kind === 'Namespace' && next.apiVersion === 'v1' ? ((next.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []) : [];
  return (
    !!old.metadata.deletionTimestamp &&
    (next.metadata.finalizers ?? []).length === 0 &&
    specFinalizers.length === 0 &&
    old.metadata.deletionGracePeriodSeconds === 0
  );
}

function stripMeta(o: KubeObject): Partial<KubeObject> {
  const { metadata: _m, ...rest } = o;
  return rest;
}

function tooLargeResourceVersion(requested: number, current: number): StatusError {
  return new StatusError(504, 'Timeout', `Timeout: Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

const scaleType: ResourceType = {
  group: 'autoscaling', version: 'v1', kind: 'Scale', listKind: 'ScaleList', plural: 'scales', singular: 'scale',
  shortNames: [], namespaced: true, categories: [], verbs: [], subresources: [],
};

/** autoscaling/v1 Scale view of a scalable object (Deployment, ReplicaSet, StatefulSet). */
function toScale(t: ResourceType, obj: KubeObject): KubeObject {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } };
  const status = (obj.status ?? {}) as { replicas?: number };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: selectorString(spec.selector) },
  };
  void t;
}

function selectorString(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): string {
  if (!sel) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const vals = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.sort().join(',');
}
