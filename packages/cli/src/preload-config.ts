// The configuration `node` hands to the preload in the child process: RunOptions as
// JSON in an environment variable (workers inherit it, or get it from worker-preload.ts).

import type { RunOptions } from './run-options.js';

export const PRELOAD_ENV = 'WASM_TRACEMALLOC_PRELOAD';

const DEFAULTS: RunOptions = { nframe: 1, samplingIntervalBytes: 0, top: 10, cumulative: false, alloc: [], symbols: 'embed', limits: {}, report: 'text', cache: true };

export function parsePreloadConfig(text: string): RunOptions {
  // Written by our own node command; absent when a program is started with the preload by hand.
  return { ...DEFAULTS, ...(JSON.parse(text) as Partial<RunOptions>) };
}
