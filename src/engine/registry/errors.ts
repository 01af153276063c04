// Registry errors as the distribution client reports them (registry/api/errcode and
// client.HandleErrorResponse), and their translation into dockerd's pull errors
// (daemon/internal/distribution/errors.go).
import { EngineError, type ErrorKind } from '../errors.js';
import { familiarName, familiarString, type NamedRef } from '../reference.js';

export interface ErrcodeEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** Default messages of the error codes a registry speaks (distribution's errcode descriptors). */
const DEFAULT_MESSAGES: Record<string, string> = {
  UNKNOWN: 'unknown error',
  UNSUPPORTED: 'The operation is unsupported.',
  UNAUTHORIZED: 'authentication required',
  DENIED: 'requested access to the resource is denied',
  UNAVAILABLE: 'service unavailable',
  TOOMANYREQUESTS: 'too many requests',
  BLOB_UNKNOWN: 'blob unknown to registry',
  BLOB_UPLOAD_UNKNOWN: 'blob upload unknown to registry',
  BLOB_UPLOAD_INVALID: 'blob upload invalid',
  DIGEST_INVALID: 'provided digest did not match uploaded content',
  MANIFEST_UNKNOWN: 'manifest unknown',
  MANIFEST_INVALID: 'manifest invalid',
  MANIFEST_BLOB_UNKNOWN: 'blob unknown to registry',
  NAME_INVALID: 'invalid repository name',
  NAME_UNKNOWN: 'repository name not known to registry',
  SIZE_INVALID: 'provided length did not match content length',
  TAG_INVALID: 'manifest tag did not match URI',
};

const entryString = (e: ErrcodeEntry) => `${e.code.toLowerCase().replace(/_/g, ' ')}: ${e.message || DEFAULT_MESSAGES[e.code] || ''}`;

/** An error a registry answered with: errcode entries (or one made from the status). */
export class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly entries: ErrcodeEntry[],
    message?: string,
  ) {
    super(message ?? (entries.length === 1 ? entryString(entries[0]!) : `errors:\n${entries.map(entryString).join('\n')}\n`));
    this.name = 'RegistryError';
  }

  get code(): string | undefined {
    return this.entries[0]?.code;
  }
}

/** HandleErrorResponse: the errcode body, else an error from the status alone. */
export function errorFromResponse(status: number, statusText: string, body: Buffer): RegistryError {
  let parsed: { errors?: ErrcodeEntry[]; details?: string } | undefined;
  try {
    parsed = JSON.parse(body.toString()) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const entries = Array.isArray(parsed?.errors) ? parsed!.errors.filter((e) => e && typeof e.code === 'string') : [];
  if (entries.length > 0) return new RegistryError(status, entries.map((e) => ({ code: e.code, message: typeof e.message === 'string' ? e.message : '', detail: e.detail })));
  if (status === 401) return new RegistryError(status, [{ code: 'UNAUTHORIZED', message: typeof parsed?.details === 'string' ? parsed.details : DEFAULT_MESSAGES['UNAUTHORIZED']! }]);
  if (status === 429) return new RegistryError(status, [{ code: 'TOOMANYREQUESTS', message: DEFAULT_MESSAGES['TOOMANYREQUESTS']! }]);
  if (typeof parsed?.details === 'string') return new RegistryError(status, [{ code: 'UNKNOWN', message: parsed.details }]);
  if (status >= 400 && status < 500 && body.length > 0) {
    return new RegistryError(status, [], `error parsing HTTP ${status} response body: invalid character looking for beginning of value: ${JSON.stringify(body.toString().slice(0, 200))}`);
  }
  return new RegistryError(status, [], `received unexpected HTTP status: ${status} ${statusText}`);
}

/** A transport failure, worded as Go's url.Error: `Get "http://…": dial tcp …: connection refused`. */
export class TransportError extends Error {
  constructor(
    method: string,
    url: string,
    cause: string,
    /** false for failures a retry cannot fix (missing or refused credentials) */
    readonly retryable = true,
  ) {
    super(`${method[0]!.toUpperCase()}${method.slice(1).toLowerCase()} "${url}": ${cause}`);
    this.name = 'TransportError';
  }
}

/** Node's socket errors in the words Go's net package uses. */
export function netCause(e: NodeJS.ErrnoException, host: string): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${host}: connect: connection refused`;
    case 'ECONNRESET':
      return 'read: connection reset by peer';
    case 'ETIMEDOUT':
      return `dial tcp ${host}: i/o timeout`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${host.replace(/:\d+$/, '')}: no such host`;
    case 'EHOSTUNREACH':
      return `dial tcp ${host}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${host}: connect: network is unreachable`;
    default:
      return e.message === 'socket hang up' ? 'EOF' : e.message;
  }
}

const wrap = (kind: ErrorKind, m: string) => new EngineError(kind, m);

/** translatePullError: denied and unknown names/manifests become not-found errors in dockerd's words. */
export function translatePullError(e: unknown, ref: NamedRef): Error {
  if (e instanceof EngineError) return e;
  if (e instanceof RegistryError && e.entries.length > 0) {
    const first = new RegistryError(e.status, [e.entries[0]!]);
    switch (first.code) {
      case 'DENIED':
        return wrap('notFound', `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${first.message}`);
      case 'MANIFEST_UNKNOWN':
        return wrap('notFound', `manifest for ${familiarString(ref)} not found: ${first.message}`);
      case 'NAME_UNKNOWN':
        return wrap('notFound', `repository ${familiarName(ref)} not found: ${first.message}`);
    }
    return wrap('system', first.message);
  }
  return wrap('system', e instanceof Error ? e.message : String(e));
}

/** Push errors pass through as they are, classified for the status code. */
export function translatePushError(e: unknown): Error {
  if (e instanceof EngineError) return e;
  return wrap('system', e instanceof Error ? e.message : String(e));
}
