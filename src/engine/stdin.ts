// A container's stdin: the engine's end of the FIFO the shim feeds to runc. Writes never block the
// engine (the FIFO is driven as a non-blocking pipe with its own queue), and what an attached client
// sends before the container starts (`docker run -i` attaches first) is kept until the FIFO opens.
import { Socket } from 'node:net';

export class StdinPipe {
  private sock: Socket | undefined;
  private pending: Buffer[] = [];
  private eof = false;
  /** the shim has opened its end: closing ours now gives EOF rather than blocking its open(2) */
  private running = false;

  /** Takes over an fd of the FIFO (opened read-write, so it never sees EPIPE); flushes what waited. */
  open(fd: number): void {
    this.close(false);
    const s = new Socket({ fd, readable: false, writable: true });
    s.on('error', () => {}); // the container went away; its exit is handled elsewhere
    this.sock = s;
    for (const b of this.pending) s.write(b);
    this.pending = [];
  }

  /** The container's process is running (its end of the FIFO is open). */
  started(): void {
    this.running = true;
    if (this.eof && this.sock) this.finish();
  }

  write(data: Buffer): void {
    if (this.eof) return;
    if (this.sock) this.sock.write(data);
    else this.pending.push(data);
  }

  /** The client's stdin ended: the container sees EOF once everything sent has been written. */
  end(): void {
    if (this.eof) return;
    this.eof = true;
    if (this.sock && this.running) this.finish();
  }

  private finish(): void {
    const s = this.sock!;
    this.sock = undefined;
    s.write(Buffer.alloc(0), () => s.destroy());
  }

  /** Lets go of the FIFO (the run ended, or the engine is going away). */
  close(reset = true): void {
    this.sock?.destroy();
    this.sock = undefined;
    this.running = false;
    if (reset) {
      this.pending = [];
      this.eof = false;
    }
  }
}
