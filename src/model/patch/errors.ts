// How a patch fails. Upstream's patch code returns plain Go errors and the API server's handler
// decides their HTTP status (handlers/patch.go); index.ts makes that decision for ours. Where
// upstream's code would panic instead, ours throws GoPanic (gofmt.ts).

export type PatchFailure =
  /** 400, the message shown: undecodable bodies and malformed directives. */
  | 'BadRequest'
  /** 422 with upstream's generic text; the detail in the message is not shown to clients. */
  | 'Invalid'
  /** 413: too many JSON patch operations. */
  | 'TooLarge'
  /** An error upstream passes through unconverted: 500 with no reason and this message. */
  | 'Unknown';

export class PatchError extends Error {
  constructor(
    readonly failure: PatchFailure,
    message: string,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}
