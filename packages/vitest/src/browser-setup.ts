// The setup file in vitest's browser mode: setupFiles: ['@wasm-tracemalloc/vitest/browser-setup']
// (vitest resolves setup files in Node, so ./setup cannot switch by condition). Modules arrive instrumented from the Vite plugin
// (@wasm-tracemalloc/vite-plugin, in the vitest config's plugins), whose page script
// installs the runtime's hook; installing it here too covers a page without it.

import { install } from '@wasm-tracemalloc/runtime';
import { registerWasmMemoryMatchers } from './matchers.js';

install();
registerWasmMemoryMatchers();
