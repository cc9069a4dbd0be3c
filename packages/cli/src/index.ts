// The Node entry point: the whole tracemalloc API plus instrumentation in process.
//   import * as tracemalloc from 'wasm-tracemalloc';
//   tracemalloc.installNode(); tracemalloc.start(); … tracemalloc.takeSnapshot()

import { install, instantiateTraced, type InstallOptions } from '@wasm-tracemalloc/runtime';
import { instrumentHook } from './node-hook.js';
import { wasmFileNames } from './wasm-file-names.js';

export * from '@wasm-tracemalloc/runtime';
export { instrument, InstrumentError } from '@wasm-tracemalloc/instrument';
export { instrumentHook };

/** install() with in-process instrumentation of every module the program compiles. */
export function installNode(options: InstallOptions & { alloc?: string[]; maxFrames?: number } = {}): () => void {
  return install({
    ...options,
    instrument: options.instrument ?? instrumentHook({ alloc: options.alloc, maxFrames: options.maxFrames }),
    nameOf: options.nameOf ?? wasmFileNames(),
  });
}

/** instantiateTraced() that instruments plain modules on the fly. */
export function instantiate(source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports, options: { name?: string; alloc?: string[]; maxFrames?: number } = {}) {
  return instantiateTraced(source, imports, { name: options.name, instrument: instrumentHook({ alloc: options.alloc, maxFrames: options.maxFrames }) });
}
