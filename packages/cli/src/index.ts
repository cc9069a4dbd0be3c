// The Node entry point: the whole tracemalloc API plus instrumentation in process.
//   import * as tracemalloc from 'wasm-tracemalloc';
//   tracemalloc.installNode(); tracemalloc.start(); … tracemalloc.takeSnapshot()

import { install, instantiateTraced, type InstallOptions, type SideTable } from '@wasm-tracemalloc/runtime';
import type { SymbolsMode } from '@wasm-tracemalloc/instrument';
import type { InstrumentHook } from '@wasm-tracemalloc/runtime';
import { instrumentInProcess } from './instrumenter/in-process.js';
import { instrumentHook as hookWith, nodeFiles, type HookOptions } from './node-hook.js';
import { wasmFiles } from './wasm-file-names.js';

export * from '@wasm-tracemalloc/runtime';
export { instrument, InstrumentError, symbolize, demangle, type SymbolsMode } from '@wasm-tracemalloc/instrument';
export { nodeFiles };

/** The hook for install(), instrumenting in this thread (no cache). */
export function instrumentHook(options: HookOptions = {}): InstrumentHook {
  return hookWith(instrumentInProcess, options);
}

type NodeInstrumentOptions = { alloc?: string[]; maxFrames?: number; symbols?: SymbolsMode; symbolsFrom?: Uint8Array | string };

/** install() with in-process instrumentation of every module the program compiles. */
export function installNode(options: InstallOptions & NodeInstrumentOptions = {}): () => void {
  // The files modules are read from: their names for frames, and debug files beside them.
  const files = options.nameOf && options.instrument ? undefined : wasmFiles();
  return install({
    ...options,
    instrument: options.instrument ?? instrumentHook({ alloc: options.alloc, maxFrames: options.maxFrames, symbols: options.symbols, symbolsFrom: options.symbolsFrom, pathOf: files?.pathOf }),
    nameOf: options.nameOf ?? files!.nameOf,
  });
}

/** instantiateTraced() that instruments plain modules on the fly. */
export function instantiate(source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports, options: { name?: string; sites?: SideTable } & NodeInstrumentOptions = {}) {
  return instantiateTraced(source, imports, { name: options.name, sites: options.sites, instrument: instrumentHook({ alloc: options.alloc, maxFrames: options.maxFrames, symbols: options.symbols, symbolsFrom: options.symbolsFrom }) });
}
