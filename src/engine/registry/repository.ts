// The OCI distribution API on one repository: manifests by tag or digest, blobs (stat, fetch
// with an optional offset), and blob uploads (start or mount, PATCH chunks with Content-Range,
// upload status for resuming, the closing PUT with the digest).
import type { IncomingMessage } from 'node:http';
import { sha256 } from '../content.js';
import { invalidParameter } from '../errors.js';
import { repositoryScope } from './auth.js';
import { RegistryError } from './errors.js';
import { MANIFEST_ACCEPT, SCHEMA1_TYPES } from './manifest.js';
import { fail, header, readBody, type RegistrySession } from './session.js';

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string | undefined;
  digest: string;
}

export interface UploadState {
  /** where the next request of this upload goes (the registry's latest Location) */
  location: string;
  /** bytes the registry holds */
  offset: number;
}

const ACCEPT = [...MANIFEST_ACCEPT, ...SCHEMA1_TYPES, 'application/json'];

export class Repository {
  readonly scopes: string[];

  constructor(
    readonly session: RegistrySession,
    /** the repository path on the registry, e.g. x/bb or library/busybox */
    readonly path: string,
    actions: string[],
  ) {
    this.scopes = [repositoryScope(path, actions)];
  }

  private req(method: string, p: string, opts: Parameters<RegistrySession['request']>[3] = {}, extraScopes: string[] = []): Promise<IncomingMessage> {
    return this.session.request(method, p, [...this.scopes, ...extraScopes], opts);
  }

  private v2(suffix: string): string {
    return `/v2/${this.path}/${suffix}`;
  }

  /** tagService.Get: HEAD for the digest; a failed HEAD is repeated as GET for the error's details. */
  async resolveTag(tag: string): Promise<{ digest: string; mediaType?: string; size?: number } | { fetched: FetchedManifest }> {
    const head = await this.req('HEAD', this.v2(`manifests/${tag}`), { headers: { Accept: ACCEPT.join(', ') } });
    head.resume();
    const digest = header(head.headers, 'docker-content-digest');
    const status = head.statusCode ?? 0;
    if (status >= 200 && status < 400 && digest) {
      const mt = header(head.headers, 'content-type');
      const size = Number(header(head.headers, 'content-length'));
      return { digest, ...(mt ? { mediaType: mt } : {}), ...(Number.isFinite(size) ? { size } : {}) };
    }
    return { fetched: await this.getManifest(tag) };
  }

  /** GET a manifest by tag or digest; the bytes are checked against the digest asked for or announced. */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const res = await this.req('GET', this.v2(`manifests/${reference}`), { headers: { Accept: ACCEPT.join(', ') } });
    if (res.statusCode !== 200) await fail(res);
    const bytes = await readBody(res);
    const digest = sha256(bytes);
    const expected = reference.startsWith('sha256:') ? reference : header(res.headers, 'docker-content-digest');
    if (expected && expected.startsWith('sha256:') && expected !== digest) {
      throw invalidParameter(`manifest verification failed for digest ${expected}`);
    }
    return { bytes, mediaType: header(res.headers, 'content-type'), digest };
  }

  async putManifest(reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.req('PUT', this.v2(`manifests/${reference}`), { headers: { 'Content-Type': mediaType }, body: bytes });
    if (res.statusCode !== 201 && res.statusCode !== 200 && res.statusCode !== 202) await fail(res);
    res.resume();
    return header(res.headers, 'docker-content-digest') ?? sha256(bytes);
  }

  /** Blobs.Stat: the blob's size, or undefined when the repository does not have it. */
  async statBlob(digest: string): Promise<number | undefined> {
    const res = await this.req('HEAD', this.v2(`blobs/${digest}`));
    res.resume();
    if (res.statusCode === 404) return undefined;
    if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) return Number(header(res.headers, 'content-length') ?? 0);
    throw new RegistryError(res.statusCode ?? 0, [], `received unexpected HTTP status: ${res.statusCode} ${res.statusMessage ?? ''}`);
  }

  /** Opens a blob for reading, from `offset` on when resuming a download. */
  async openBlob(digest: string, offset = 0, signal?: AbortSignal): Promise<{ body: IncomingMessage; size: number; offset: number }> {
    const headers: Record<string, string> = offset > 0 ? { Range: `bytes=${offset}-` } : {};
    const res = await this.req('GET', this.v2(`blobs/${digest}`), { headers, ...(signal ? { signal } : {}) });
    if (res.statusCode === 404) {
      res.resume();
      throw new RegistryError(404, [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }], 'unknown blob');
    }
    if (res.statusCode !== 200 && res.statusCode !== 206) await fail(res);
    const len = Number(header(res.headers, 'content-length') ?? 0);
    const start = res.statusCode === 206 ? offset : 0;
    return { body: res, size: start + len, offset: start };
  }

  async getBlob(digest: string): Promise<Buffer> {
    const { body } = await this.openBlob(digest);
    const bytes = await readBody(body);
    if (sha256(bytes) !== digest) throw invalidParameter(`image config verification failed for digest ${digest}`);
    return bytes;
  }

  /**
   * Starts an upload; with `mountFrom` (a repository path on the same registry) asks for a
   * cross-repository mount first. Returns 'mounted' when the registry linked the blob.
   */
  async startUpload(mount?: { digest: string; from: string }): Promise<UploadState | 'mounted'> {
    const q = mount ? `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}` : '';
    const extra = mount ? [repositoryScope(mount.from, ['pull'])] : [];
    const res = await this.req('POST', this.v2(`blobs/uploads/${q}`), { headers: { 'Content-Length': '0' } }, extra);
    if (res.statusCode === 201 && mount) {
      res.resume();
      return 'mounted';
    }
    if (res.statusCode !== 202) await fail(res);
    res.resume();
    return { location: this.location(res), offset: 0 };
  }

  private location(res: IncomingMessage): string {
    const loc = header(res.headers, 'location');
    if (!loc) throw new RegistryError(res.statusCode ?? 0, [], 'missing Location header in upload response');
    return loc;
  }

  /** One PATCH of `chunk` at `start`; returns the new state from the registry's Range. */
  async patch(state: UploadState, chunk: Buffer): Promise<UploadState> {
    const end = state.offset + chunk.length - 1;
    const res = await this.req('PATCH', state.location, {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${state.offset}-${end}` },
      body: chunk,
    });
    if (res.statusCode !== 202) await fail(res);
    res.resume();
    return { location: this.location(res), offset: rangeEnd(header(res.headers, 'range')) ?? end + 1 };
  }

  /** GET on the upload: how much the registry has (its Range header), to resume from there. */
  async uploadStatus(state: UploadState): Promise<UploadState> {
    const res = await this.req('GET', state.location);
    if (res.statusCode !== 204 && res.statusCode !== 200) await fail(res);
    res.resume();
    return { location: header(res.headers, 'location') ?? state.location, offset: rangeEnd(header(res.headers, 'range')) ?? 0 };
  }

  /** The closing PUT with the digest (and, for a monolithic upload, the whole blob); the registry verifies it. */
  async complete(state: UploadState, digest: string, body: Buffer = Buffer.alloc(0)): Promise<void> {
    const u = this.session.url(state.location);
    u.searchParams.set('digest', digest);
    const res = await this.req('PUT', u.href, { headers: { 'Content-Type': 'application/octet-stream' }, body });
    if (res.statusCode !== 201 && res.statusCode !== 204) await fail(res);
    res.resume();
  }

  async cancel(state: UploadState): Promise<void> {
    const res = await this.req('DELETE', state.location).catch(() => undefined);
    res?.resume();
  }

  async tags(): Promise<string[]> {
    const res = await this.req('GET', this.v2('tags/list'));
    if (res.statusCode !== 200) await fail(res);
    const doc = JSON.parse((await readBody(res)).toString()) as { tags?: string[] | null };
    return doc.tags ?? [];
  }
}

/** "0-1023" → 1024 bytes held. distribution answers "0-0" for an empty upload, so that reads as 0. */
function rangeEnd(range: string | undefined): number | undefined {
  const m = /^(?:bytes=)?(\d+)-(\d+)$/.exec(range?.trim() ?? '');
  if (!m) return undefined;
  const end = Number(m[2]);
  return end === 0 && Number(m[1]) === 0 ? undefined : end + 1;
}
