// For vitest's setupFiles: ['@wasm-tracemalloc/vitest/setup']. Runs before each
// test file, so the modules its code compiles are instrumented.

import { traceWasm } from './trace-wasm.js';

traceWasm();
