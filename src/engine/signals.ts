// Signal names and numbers on Linux (x86_64), parsed as moby's signal.ParseSignal does.
import { invalidParameter } from './errors.js';

export const SIGNALS: Record<string, number> = {
  ABRT: 6, ALRM: 14, BUS: 7, CHLD: 17, CLD: 17, CONT: 18, FPE: 8, HUP: 1, ILL: 4, INT: 2, IO: 29, IOT: 6,
  KILL: 9, PIPE: 13, POLL: 29, PROF: 27, PWR: 30, QUIT: 3, SEGV: 11, STKFLT: 16, STOP: 19, SYS: 31, TERM: 15,
  TRAP: 5, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, USR1: 10, USR2: 12, VTALRM: 26, WINCH: 28, XCPU: 24, XFSZ: 25,
  RTMIN: 34, RTMAX: 64,
};
for (let i = 1; i <= 15; i++) {
  SIGNALS[`RTMIN+${i}`] = 34 + i;
  SIGNALS[`RTMAX-${i}`] = 64 - i;
}

/** A signal by number or name (with or without SIG); "Invalid signal: x" otherwise. */
export function parseSignal(raw: string): number {
  if (/^-?\d+$/.test(raw)) {
    const n = Number(raw);
    if (n === 0) throw invalidParameter(`Invalid signal: ${raw}`);
    return n;
  }
  const n = SIGNALS[raw.toUpperCase().replace(/^SIG/, '')];
  if (n === undefined) throw invalidParameter(`Invalid signal: ${raw}`);
  return n;
}

export function validSignal(n: number): boolean {
  return Object.values(SIGNALS).includes(n);
}
