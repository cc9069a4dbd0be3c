// Turns tracing on for a vitest run in Node: instruments every Wasm module compiled
// from now on (installNode: binaryen in process, names from the files modules are
// read from) and registers the matchers. The setup file (./setup.ts) calls it with
// the defaults; call it from a setup file of your own to pass options.

import { installNode } from 'wasm-tracemalloc';
import { registerWasmMemoryMatchers } from './matchers.js';

export type TraceWasmOptions = NonNullable<Parameters<typeof installNode>[0]>;

/** Instruments modules compiled after it and registers toLeakAtMost and toPeakAtMost; returns the uninstall. */
export function traceWasm(options: TraceWasmOptions = {}): () => void {
  registerWasmMemoryMatchers();
  return installNode(options);
}
