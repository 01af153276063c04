// Progress in dockerd's JSON message stream (pkg/progress through streamformatter): plain status
// lines, per-layer updates, and byte counters rate-limited as progress.Reader limits them.
import { Transform } from 'node:stream';
import { progressBar, type JSONMessage, type Progress } from '../archive.js';

/** progress.Message: a status line, with an id (a tag, a layer) or without. */
export function message(out: Progress, id: string, status: string): void {
  out(id ? { status, id } : { status });
}

/** progress.Update: a layer's new state, with an empty progressDetail as dockerd sends it. */
export function update(out: Progress, id: string, status: string): void {
  out({ status, progressDetail: {}, id });
}

const EVERY_BYTES = 512 * 1024;
const EVERY_MS = 100;

/** A pass-through that reports `action` with current/total as bytes flow. */
export class Counter extends Transform {
  private current = 0;
  private lastBytes = 0;
  private lastTime = 0;

  constructor(
    private readonly out: Progress,
    private readonly id: string,
    private readonly action: string,
    private readonly total: number,
    start = 0,
  ) {
    super();
    this.current = start;
  }

  private report(force: boolean): void {
    const now = Date.now();
    if (!force && (this.current - this.lastBytes <= EVERY_BYTES && this.current !== this.total)) return;
    if (!force && this.current !== this.total && now - this.lastTime < EVERY_MS) return;
    this.lastBytes = this.current;
    this.lastTime = now;
    const m: JSONMessage = { status: this.action, progressDetail: { current: this.current, total: this.total }, id: this.id };
    if (this.total > 0) m.progress = progressBar(Math.min(this.current, this.total), this.total);
    this.out(m);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.current += chunk.length;
    this.report(false);
    this.push(chunk);
    cb();
  }

  override _flush(cb: () => void): void {
    if (this.current !== this.lastBytes) this.report(true);
    cb();
  }
}

/** The error message dockerd writes into a stream once output has begun. */
export function errorMessage(msg: string): JSONMessage {
  return { errorDetail: { message: msg }, error: msg };
}
