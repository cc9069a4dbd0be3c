// The instrument hook for Node: binaryen-based instrumentation of modules as the
// program compiles them. A module that cannot be instrumented runs untraced, with a
// warning: tracing must never break the program.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instrument, InstrumentError, type SymbolsMode } from '@wasm-tracemalloc/instrument';
import type { InstrumentHook } from '@wasm-tracemalloc/runtime';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * How the pass reads files in Node: sources by the path the debug info gives (DWARF
 * paths are already joined with DW_AT_comp_dir; source-map paths are relative to the
 * module), and the map a module's sourceMappingURL names, next to the module.
 */
export function nodeFiles(wasmPath?: string): { readSource: (path: string) => string | undefined; readSourceMap: (url: string) => string | undefined } {
  const base = wasmPath ? dirname(resolve(wasmPath)) : process.cwd();
  const local = (p: string) => (p.startsWith('file:') ? fileURLToPath(p) : isAbsolute(p) ? p : resolve(base, p));
  return {
    readSource: (path) => readText(local(path)),
    readSourceMap: (url) => (/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('file:') ? undefined : readText(local(url))),
  };
}

export function instrumentHook(options: { alloc?: string[]; maxFrames?: number; symbols?: SymbolsMode; warn?: (message: string) => void } = {}): InstrumentHook {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`wasm-tracemalloc: warning: ${m}\n`));
  // Modules arrive as bytes, without their path: relative source-map URLs resolve against the working directory.
  const files = nodeFiles();
  return (bytes, source) => {
    try {
      const result = instrument(bytes, { source, alloc: options.alloc, maxFrames: options.maxFrames, symbols: options.symbols, ...files });
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
