// The V8 settings a check runs under. A check is short and cold: most of its time goes by before
// its hot code is optimized, and optimizing it (TurboFan, on a background thread) took more CPU
// than the check itself, most of it spent on the large call trees inlining builds around the hot
// loop. With only small functions inlined the compile work falls by about a third and the cold
// check runs faster on a busy machine (where the compiler competes with it for the cores), the
// warm one no slower (bench/check.ts shows both).
import { setFlagsFromString } from 'node:v8';

/** Bytecode size up to which a function is inlined (V8's default is 460). */
const INLINE_MAX = 60;

/** Sets them for the rest of the process (a `berth check` does nothing else); where V8 refuses, it runs as it would have. */
export function tuneForCheck(): void {
  try {
    setFlagsFromString(`--max-inlined-bytecode-size=${INLINE_MAX}`);
  } catch {
    // Flags frozen by this V8: the defaults are as correct, only slower to warm up.
  }
}
