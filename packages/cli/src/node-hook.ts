// The instrument hook for Node: binaryen-based instrumentation of modules as the
// program compiles them. A module that cannot be instrumented runs untraced, with a
// warning: tracing must never break the program.

import { instrument, InstrumentError } from '@wasm-tracemalloc/instrument';
import type { InstrumentHook } from '@wasm-tracemalloc/runtime';

export function instrumentHook(options: { alloc?: string[]; maxFrames?: number; warn?: (message: string) => void } = {}): InstrumentHook {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`wasm-tracemalloc: warning: ${m}\n`));
  return (bytes, source) => {
    try {
      const result = instrument(bytes, { source, alloc: options.alloc, maxFrames: options.maxFrames });
      for (const w of result.warnings) warn(w);
      return result.bytes;
    } catch (e) {
      // Never break the program: a module we cannot instrument runs as it is.
      const reason = e instanceof InstrumentError ? e.message : `${source}: internal error while instrumenting (${e instanceof Error ? e.message : String(e)}); please report it with the module`;
      warn(`${reason}; running it untraced`);
      return bytes;
    }
  };
}
