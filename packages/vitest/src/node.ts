// The package's entry in Node (package.json's "default" condition): everything of
// ./index.ts, and traceWasm, which instruments in process.

export * from './index.js';
export { traceWasm, type TraceWasmOptions } from './trace-wasm.js';
