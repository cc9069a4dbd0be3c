// The instrument hook for Node: binaryen-based instrumentation of modules as the
// program compiles them. A module that cannot be instrumented runs untraced, with a
// warning: tracing must never break the program.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { allocatorSummary, instrument, InstrumentError, type GlueFile, type SymbolsMode } from '@wasm-tracemalloc/instrument';
import { glueForModule } from '@wasm-tracemalloc/instrument/glue-files';
import type { InstrumentHook } from '@wasm-tracemalloc/runtime';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readBytes(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** A URL with a scheme other than file: (http:, https:, data:), which we do not fetch. */
const remote = (url: string) => /^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('file:');

/**
 * How the pass reads files in Node: sources by the path the debug info gives (DWARF
 * paths are already joined with DW_AT_comp_dir; source-map paths are relative to the
 * module), and the map a module's sourceMappingURL names, its debug .wasm
 * (external_debug_info) and its symbol map, next to the module.
 */
export function nodeFiles(wasmPath?: string): {
  readSource: (path: string) => string | undefined;
  readSourceMap: (url: string) => string | undefined;
  readDebugFile: (name: string) => Uint8Array | undefined;
} {
  const base = wasmPath ? dirname(resolve(wasmPath)) : process.cwd();
  const local = (p: string) => (p.startsWith('file:') ? fileURLToPath(p) : isAbsolute(p) ? p : resolve(base, p));
  return {
    readSource: (path) => readText(local(path)),
    readSourceMap: (url) => (remote(url) ? undefined : readText(local(url))),
    readDebugFile: (name) => (remote(name) ? undefined : readBytes(local(name))),
  };
}

/** The tracer's own packages, whose scripts are on the stack of every compile and are never glue. */
const OWN_DIRS = ['@wasm-tracemalloc/runtime', '@wasm-tracemalloc/instrument'].flatMap((p) => {
  try {
    return [dirname(createRequire(import.meta.url).resolve(p))];
  } catch {
    return [];
  }
}).concat(dirname(fileURLToPath(import.meta.url)));

/** The stack of the code compiling a module now, deep enough to reach its glue. */
function callerStack(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return stack;
}

export function instrumentHook(
  options: {
    alloc?: string[];
    maxFrames?: number;
    symbols?: SymbolsMode;
    /** A debug .wasm or symbol map for the modules (`--symbols-from`); each debug .wasm is checked against the module's code. */
    symbolsFrom?: Uint8Array | string;
    /** Name of `symbolsFrom` in warnings (its path). */
    symbolsFromName?: string;
    /** The JS glue for every module (`--glue`); otherwise found on the stack and beside the module. */
    glue?: GlueFile[];
    /** Called with a one-line summary of how each traced module's allocators were found. */
    summary?: (line: string) => void;
    /** The file a module's bytes were read from, so that files beside it are found. */
    pathOf?: (bytes: Uint8Array) => string | undefined;
    warn?: (message: string) => void;
  } = {},
): InstrumentHook {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`wasm-tracemalloc: warning: ${m}\n`));
  // Modules whose file is unknown (bytes from elsewhere): relative URLs resolve against the working directory.
  const cwdFiles = nodeFiles();
  return (bytes, source) => {
    try {
      const path = options.pathOf?.(bytes);
      const files = path === undefined ? cwdFiles : nodeFiles(path);
      const glue = options.glue ?? glueForModule(path, callerStack(), OWN_DIRS);
      const result = instrument(bytes, { source, alloc: options.alloc, glue, maxFrames: options.maxFrames, symbols: options.symbols, symbolsFrom: options.symbolsFrom, symbolsFromName: options.symbolsFromName, ...files });
      if (result.status === 'instrumented') options.summary?.(allocatorSummary(source, result.allocators));
      for (const w of result.warnings) warn(w);
      if (options.symbols === 'side' && result.siteTable) return { bytes: result.bytes, sites: result.siteTable };
      return result.bytes;
    } catch (e) {
      // Never break the program: a module we cannot instrument runs as it is.
      const reason = e instanceof InstrumentError ? e.message : `${source}: internal error while instrumenting (${e instanceof Error ? e.message : String(e)}); please report it with the module`;
      warn(`${reason}; running it untraced`);
      return bytes;
    }
  };
}
