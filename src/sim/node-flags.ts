// The V8 settings a simulation runs under. A simulated cluster makes objects that live for one
// step (an event, a request, a reconcile's copies) by the million; with 128 MiB semi-spaces
// instead of the server's 32 fewer of them are promoted and scavenges are fewer. Measured on the
// 10,000-node rollout of bench/simulate.ts, both sizes run at once, one per core, then swapped:
// 2% and 6% less wall time, ~100 MB more memory.

/**
 * The Node flags `berth sim` runs under, after bin/berth's own (V8 takes the last of a repeated
 * flag). Given as the process starts: V8 sizes its young generation when it sets up the heap.
 */
export const SIM_NODE_FLAGS = ['--max-semi-space-size=128'];
