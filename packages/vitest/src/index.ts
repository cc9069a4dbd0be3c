// @wasm-tracemalloc/vitest: pytest-memray's limit_leaks and limit_memory for the
// WebAssembly modules code under test runs, in vitest's Node and browser modes.
//   setupFiles: ['@wasm-tracemalloc/vitest/setup']            (vitest.config)
//   await limitLeaks('1 MB', () => exports.work());
//   await expect(() => exports.work()).toPeakAtMost('24 MB');
// This entry runs in browsers too; ./node.ts adds traceWasm for Node.

export { limitLeaks, limitMemory, withLimits, measureWasmMemory, checkLimits, WasmMemoryLimitError, type Limits, type LimitOptions, type WasmMemoryUsage } from './limits.js';
export { wasmMemoryMatchers, registerWasmMemoryMatchers } from './matchers.js';
export { parseSize } from '@wasm-tracemalloc/runtime';
export { formatTopTracebacks } from './report.js';
