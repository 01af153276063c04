// The V8 settings a check runs under. A check is short and cold: most of its time goes by before
// its hot code is optimized, and optimizing it (TurboFan, on a background thread) took more CPU
// than the check itself, most of it spent on the large call trees inlining builds around the hot
// loop. With only small functions inlined the compile work falls by about a third and the cold
// check runs faster on a busy machine (where the compiler competes with it for the cores), the
// warm one no slower (bench/check.ts shows both).
import { setFlagsFromString } from 'node:v8';

/**
 * The Node flags a check runs under: only functions up to 60 bytes of bytecode inlined (V8's
 * default is 460). Given when the process starts (bin/berth gives them to `berth check`, bench/check
 * to itself): changed once code has run, V8 has been seen to abort (a failed CHECK on a function's
 * inlineability, in its optimizing compiler).
 */
export const CHECK_NODE_FLAGS = ['--max-inlined-bytecode-size=60'];

/**
 * Sets the flags for the rest of the process when it did not start with them (a test, a script);
 * where V8 refuses, it runs as it would have.
 */
export function tuneForCheck(): void {
  if (CHECK_NODE_FLAGS.every((f) => process.execArgv.includes(f))) return;
  try {
    setFlagsFromString(CHECK_NODE_FLAGS.join(' '));
  } catch {
    // Flags frozen by this V8: the defaults are as correct, only slower to warm up.
  }
}
