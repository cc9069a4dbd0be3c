// The instrument hook for Node: binaryen-based instrumentation of modules as the
// program compiles them. A module that cannot be instrumented runs untraced, with a
// warning: tracing must never break the program. This file loads no binaryen: the
// pass is the `instrumenter` given (in this thread, or in the instrument worker), and
// a module found in the cache never reaches it.

import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { GlueFile, SymbolsMode } from '@wasm-tracemalloc/instrument';
import { InstrumentError } from '@wasm-tracemalloc/instrument/errors';
import { glueForModule } from '@wasm-tracemalloc/instrument/glue-files';
import type { InstrumentHook } from '@wasm-tracemalloc/runtime';
import type { ModuleCache } from './cache/module-cache.js';
import { classify } from './failure.js';
import type { Instrumenter } from './instrumenter/request.js';
import { terminalText } from './terminal/terminal-text.js';

export { nodeFiles } from './node-files.js';

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

export interface HookOptions {
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
  /** Instrumented modules from earlier runs (not with --symbols side, whose frames travel beside the module). */
  cache?: ModuleCache;
  /** `run`: a module that is not valid Wasm is the user's error, not a reason to run it untraced. */
  rethrowBadInput?: boolean;
  /** A source map given on the command line (`run --source-map`). */
  sourceMap?: string;
}

/** The hook for install(): `instrumenter` runs the pass on a module the cache does not have. */
export function instrumentHook(instrumenter: Instrumenter, options: HookOptions = {}): InstrumentHook {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`wasm-tracemalloc: warning: ${terminalText(m)}\n`));
  const cache = options.symbols === 'side' ? undefined : options.cache;
  const symbolsFromBytes = typeof options.symbolsFrom === 'string' ? new TextEncoder().encode(options.symbolsFrom) : options.symbolsFrom;
  return (bytes, source) => {
    try {
      const path = options.pathOf?.(bytes);
      const glue = options.glue ?? glueForModule(path, callerStack(), OWN_DIRS);
      const settings = { alloc: options.alloc ?? [], maxFrames: options.maxFrames ?? null, symbols: options.symbols ?? 'embed', source, cwd: path === undefined ? process.cwd() : null };
      const key = cache?.keyOf(bytes, { options: settings, path, glue, symbolsFrom: symbolsFromBytes });
      const hit = key === undefined ? undefined : cache!.get(key, bytes);
      if (hit) {
        if (hit.summary !== null) options.summary?.(hit.summary);
        for (const w of hit.warnings) warn(w);
        return hit.bytes;
      }
      const result = instrumenter({ bytes, source, path, glue, alloc: options.alloc, maxFrames: options.maxFrames, symbols: options.symbols, symbolsFrom: options.symbolsFrom, symbolsFromName: options.symbolsFromName, sourceMap: options.sourceMap });
      if (result.summary !== null) options.summary?.(result.summary);
      for (const w of result.warnings) warn(w);
      if (key !== undefined) {
        const failed = cache!.put(key, { bytes: result.bytes, summary: result.summary, warnings: result.warnings }, result.reads);
        if (failed) warn(failed);
      }
      if (result.siteTable) return { bytes: result.bytes, sites: result.siteTable };
      return result.bytes;
    } catch (e) {
      // Never break the program: a module we cannot instrument runs as it is.
      const failure = classify(e);
      // A valid module the pass cannot handle (kind 'unsupported': memory64, a component) still runs.
      const runnable = e instanceof InstrumentError && (e as { kind?: unknown }).kind === 'unsupported';
      if (failure.kind === 'bad-input' && options.rethrowBadInput && !runnable) throw e;
      // An InstrumentError names the module itself; anything else does not.
      const reason = e instanceof InstrumentError ? failure.message : `${source}: ${failure.message}`;
      warn(`${reason}; running it untraced`);
      return bytes;
    }
  };
}
