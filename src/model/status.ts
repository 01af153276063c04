// metav1.Status errors with upstream's reasons, codes, messages and details. Every failure the
// API returns is one of these, so that kubectl and client libraries recognise it.
import { aggregate, type FieldError } from './field.js';

export type StatusReason =
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Invalid'
  | 'ServerTimeout'
  | 'Timeout'
  | 'TooManyRequests'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'InternalError'
  | 'Expired'
  | 'ServiceUnavailable'
  | '';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A group and resource (`deployments.apps`) or group and kind (`Deployment.apps`). */
export interface GroupName {
  group: string;
  name: string;
}
const qualified = (g: GroupName) => (g.group ? `${g.name}.${g.group}` : g.name);
const q = (s: string) => JSON.stringify(s);

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): Status {
    const s: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (!this.reason) delete s.reason;
    if (this.details) s.details = this.details;
    return s;
  }

  static is(e: unknown, reason?: StatusReason): e is StatusError {
    return e instanceof StatusError && (reason === undefined || e.reason === reason);
  }
}

const details = (gr: GroupName, name?: string): StatusDetails => {
  const d: StatusDetails = {};
  if (name) d.name = name;
  if (gr.group) d.group = gr.group;
  if (gr.name) d.kind = gr.name;
  return d;
};

/** Constructors named as upstream's apierrors.New*; resources are {group, name: plural}. */
export const errors = {
  notFound: (gr: GroupName, name: string) =>
    new StatusError(404, 'NotFound', `${qualified(gr)} ${q(name)} not found`, details(gr, name)),
  alreadyExists: (gr: GroupName, name: string) =>
    new StatusError(409, 'AlreadyExists', `${qualified(gr)} ${q(name)} already exists`, details(gr, name)),
  generateNameConflict: (gr: GroupName, name: string, retryAfterSeconds: number) =>
    new StatusError(
      409,
      'AlreadyExists',
      `${qualified(gr)} ${q(name)} already exists, the server was not able to generate a unique name for the object`,
      { ...details(gr, name), retryAfterSeconds },
    ),
  conflict: (gr: GroupName, name: string, why: string) =>
    new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} ${q(name)}: ${why}`, details(gr, name)),
  /** The optimistic-concurrency failure of an update with a stale resourceVersion. */
  staleUpdate: (gr: GroupName, name: string) =>
    errors.conflict(gr, name, 'the object has been modified; please apply your changes to the latest version and try again'),
  invalid: (gk: GroupName, name: string, errs: readonly FieldError[]) =>
    new StatusError(
      422,
      'Invalid',
      errs.length ? `${qualified(gk)} ${q(name)} is invalid: ${aggregate(errs)}` : `${qualified(gk)} ${q(name)} is invalid`,
      {
        ...details(gk, name),
        causes: errs.map((e) => ({ reason: e.type, message: e.body(), field: e.field })),
      },
    ),
  forbidden: (gr: GroupName, name: string, why: string) => {
    const message = !gr.name && !gr.group
      ? `forbidden: ${why}`
      : name
        ? `${qualified(gr)} ${q(name)} is forbidden: ${why}`
        : `${qualified(gr)} is forbidden: ${why}`;
    return new StatusError(403, 'Forbidden', message, details(gr, name));
  },
  unauthorized: (why = 'Unauthorized') => new StatusError(401, 'Unauthorized', why),
  badRequest: (why: string) => new StatusError(400, 'BadRequest', why),
  expired: (why: string) => new StatusError(410, 'Expired', why),
  gone: (why: string) => new StatusError(410, 'Gone', why),
  methodNotSupported: (gr: GroupName, action: string) =>
    new StatusError(405, 'MethodNotAllowed', `${action} is not supported on resources of kind ${q(qualified(gr))}`, details(gr)),
  notAcceptable: (why: string) => new StatusError(406, 'NotAcceptable', why),
  /** A body in a media type the server does not decode; `accepted` lists the ones it does. */
  unsupportedMediaType: (accepted: readonly string[]) =>
    new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`),
  tooLarge: (why: string) => new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: ${why}`),
  internal: (err: unknown) => {
    const m = err instanceof Error ? err.message : String(err);
    return new StatusError(500, 'InternalError', `Internal error occurred: ${m}`, { causes: [{ message: m }] });
  },
  timeout: (why: string, retryAfterSeconds = 0) =>
    new StatusError(504, 'Timeout', `Timeout: ${why}`, { retryAfterSeconds }),
  serviceUnavailable: (why: string) => new StatusError(503, 'ServiceUnavailable', why),
  /** The answer for a path that names no known resource. */
  pathNotFound: () => new StatusError(404, 'NotFound', 'the server could not find the requested resource', {}),
};
