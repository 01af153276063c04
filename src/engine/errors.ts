// Engine errors classified as dockerd's errdefs are, so the API layer can map each to the status
// code dockerd would send (moby api/server/httpstatus): the message is upstream's own.
export type ErrorKind =
  | 'notFound' // 404
  | 'invalidParameter' // 400
  | 'conflict' // 409
  | 'notModified' // 304
  | 'forbidden' // 403
  | 'unavailable' // 503
  | 'notImplemented' // 501
  | 'system'; // 500

export class EngineError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export const notFound = (m: string) => new EngineError('notFound', m);
export const invalidParameter = (m: string) => new EngineError('invalidParameter', m);
export const conflict = (m: string) => new EngineError('conflict', m);
export const notModified = (m: string) => new EngineError('notModified', m);
export const systemError = (m: string) => new EngineError('system', m);
export const notImplemented = (m: string) => new EngineError('notImplemented', m);

export function isEngineError(e: unknown, kind?: ErrorKind): e is EngineError {
  return e instanceof EngineError && (kind === undefined || e.kind === kind);
}

/** The message of anything thrown, for wrapping into an upstream-shaped error. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
