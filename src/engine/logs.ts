// Per-container logs. The container writes its stdout and stderr straight into two files (so its
// output survives the engine being killed); the engine tails them and keeps an index of lines with
// the time it read each one: 24-byte records (time ns, offset, length, stream, flags). `docker
// logs` reads lines back through the index; attach gets the raw bytes as they arrive.
import { closeSync, existsSync, fstatSync, openSync, readSync, writeSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type StreamName = 'stdout' | 'stderr';

export interface LogEntry {
  stream: StreamName;
  line: Buffer;
  timeNano: bigint;
  /** the line did not end in a newline (flushed at exit, or longer than the limit) */
  partial: boolean;
}

export interface RawChunk {
  stream: StreamName;
  data: Buffer;
}

const REC = 24;
const MAX_LINE = 16 * 1024; // dockerd's log copier splits lines at 16K too
const STREAMS: StreamName[] = ['stdout', 'stderr'];

export interface ReadOptions {
  since?: bigint;
  until?: bigint;
  tail?: number;
}

export class ContainerLog {
  private readonly offsets: Record<StreamName, number> = { stdout: 0, stderr: 0 };
  private readonly pending: Record<StreamName, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  private fds: Partial<Record<StreamName, number>> = {};
  private idxFd: number | undefined;

  constructor(readonly ioDir: string) {
    this.restoreOffsets();
  }

  rawPath(s: StreamName): string {
    return join(this.ioDir, s);
  }

  get indexPath(): string {
    return join(this.ioDir, '..', 'log.idx');
  }

  /** Offsets already indexed, from the index itself: what is past them has not been read yet. */
  private restoreOffsets(): void {
    if (!existsSync(this.indexPath)) return;
    const fd = openSync(this.indexPath, 'r');
    try {
      const size = fstatSync(fd).size - (fstatSync(fd).size % REC);
      const buf = Buffer.alloc(Math.min(size, 1 << 20));
      // scan from the end until both streams are seen
      const seen = new Set<StreamName>();
      for (let end = size; end > 0 && seen.size < 2; ) {
        const start = Math.max(0, end - buf.length);
        readSync(fd, buf, 0, end - start, start);
        for (let p = end - start - REC; p >= 0 && seen.size < 2; p -= REC) {
          const stream = STREAMS[buf.readUInt8(p + 20) - 1];
          if (!stream || seen.has(stream)) continue;
          seen.add(stream);
          this.offsets[stream] = Number(buf.readBigUInt64LE(p + 8)) + buf.readUInt32LE(p + 16);
        }
        end = start;
      }
    } finally {
      closeSync(fd);
    }
  }

  private ensureOpen(): void {
    for (const s of STREAMS) {
      if (this.fds[s] === undefined && existsSync(this.rawPath(s))) this.fds[s] = openSync(this.rawPath(s), 'r');
    }
    if (this.idxFd === undefined) this.idxFd = openSync(this.indexPath, 'a');
  }

  private record(stream: StreamName, offset: number, length: number, timeNano: bigint, partial: boolean): void {
    const b = Buffer.alloc(REC);
    b.writeBigUInt64LE(timeNano, 0);
    b.writeBigUInt64LE(BigInt(offset), 8);
    b.writeUInt32LE(length, 16);
    b.writeUInt8(STREAMS.indexOf(stream) + 1, 20);
    b.writeUInt8(partial ? 1 : 0, 21);
    writeSync(this.idxFd!, b);
  }

  /**
   * Reads what the container wrote since the last call: the raw chunks (for attach) and the
   * complete lines it indexed (for `logs -f`). With `flush`, a trailing partial line is indexed too.
   */
  poll(timeNano: bigint, flush = false): { raw: RawChunk[]; entries: LogEntry[] } {
    this.ensureOpen();
    const raw: RawChunk[] = [];
    const entries: LogEntry[] = [];
    for (const s of STREAMS) {
      const fd = this.fds[s];
      if (fd === undefined) continue;
      const start = this.offsets[s] + this.pending[s].length;
      const size = fstatSync(fd).size;
      if (size > start) {
        const data = Buffer.alloc(size - start);
        let got = 0;
        while (got < data.length) {
          const n = readSync(fd, data, got, data.length - got, start + got);
          if (n === 0) break;
          got += n;
        }
        const chunk = data.subarray(0, got);
        raw.push({ stream: s, data: chunk });
        this.pending[s] = Buffer.concat([this.pending[s], chunk]);
      }
      let buf = this.pending[s];
      for (;;) {
        const nl = buf.indexOf(0x0a);
        const take = nl >= 0 && nl < MAX_LINE ? nl + 1 : buf.length >= MAX_LINE ? MAX_LINE : flush && buf.length > 0 ? buf.length : 0;
        if (take === 0) break;
        const line = buf.subarray(0, take);
        const partial = line[line.length - 1] !== 0x0a;
        this.record(s, this.offsets[s], take, timeNano, partial);
        entries.push({ stream: s, line: Buffer.from(line), timeNano, partial });
        this.offsets[s] += take;
        buf = buf.subarray(take);
      }
      this.pending[s] = Buffer.from(buf);
    }
    return { raw, entries };
  }

  /** Indexed lines, oldest first, filtered by time and limited to the last `tail`. */
  read(opts: ReadOptions = {}): LogEntry[] {
    if (!existsSync(this.indexPath)) return [];
    const size = statSync(this.indexPath).size;
    const n = Math.floor(size / REC);
    if (n === 0) return [];
    const idx = Buffer.alloc(n * REC);
    const fd = openSync(this.indexPath, 'r');
    try {
      readSync(fd, idx, 0, idx.length, 0);
    } finally {
      closeSync(fd);
    }
    const recs: { t: bigint; off: number; len: number; stream: StreamName; partial: boolean }[] = [];
    for (let i = 0; i < n; i++) {
      const p = i * REC;
      const t = idx.readBigUInt64LE(p);
      if (opts.since !== undefined && t < opts.since) continue;
      if (opts.until !== undefined && t > opts.until) continue;
      const stream = STREAMS[idx.readUInt8(p + 20) - 1];
      if (!stream) continue;
      recs.push({ t, off: Number(idx.readBigUInt64LE(p + 8)), len: idx.readUInt32LE(p + 16), stream, partial: idx.readUInt8(p + 21) === 1 });
    }
    const chosen = opts.tail !== undefined && opts.tail >= 0 ? recs.slice(Math.max(0, recs.length - opts.tail)) : recs;
    const fds: Partial<Record<StreamName, number>> = {};
    try {
      return chosen.map((r) => {
        fds[r.stream] ??= openSync(this.rawPath(r.stream), 'r');
        const line = Buffer.alloc(r.len);
        readSync(fds[r.stream]!, line, 0, r.len, r.off);
        return { stream: r.stream, line, timeNano: r.t, partial: r.partial };
      });
    } finally {
      for (const fd of Object.values(fds)) if (fd !== undefined) closeSync(fd);
    }
  }

  close(): void {
    for (const s of STREAMS) {
      if (this.fds[s] !== undefined) closeSync(this.fds[s]!);
    }
    this.fds = {};
    if (this.idxFd !== undefined) closeSync(this.idxFd);
    this.idxFd = undefined;
  }
}

/** RFC 3339 with nanoseconds, as `docker logs -t` prints (time.RFC3339Nano, trailing zeros cut). */
export function rfc3339Nano(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, frac ? `.${frac}Z` : 'Z');
}

/** The fixed-width form dockerd's log reader uses for `--timestamps` (jsonmessage.RFC3339NanoFixed). */
export function rfc3339NanoFixed(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

/** Wall-clock nanoseconds, monotonic within a run. */
export function nowNano(): bigint {
  return process.hrtime.bigint() - HR_BASE + WALL_BASE;
}

const HR_BASE = process.hrtime.bigint();
const WALL_BASE = BigInt(Date.now()) * 1_000_000n;
