// Calls into binaryen.js, kept from reaching the user's terminal.
//
// binaryen.js is an Emscripten build: its C++ writes warnings to std::cerr ("warning:
// unknown name subsection …") and an abort prints `Aborted(…)` through console.error,
// bound when the module loaded, so no option silences either. Its failures are
// thrown as plain objects or strings. During a call (binaryen is synchronous) the
// process's stdout and stderr writes are collected instead, and a failure becomes an
// InstrumentError that carries what binaryen said.

import { describeThrown, InstrumentError, internalError, oneLine } from './errors.js';

type Write = typeof process.stdout.write;

/** Runs `fn` with stdout and stderr collected; returns its value and what was written. */
export function collectingOutput<T>(fn: () => T): { value: T; output: string } | { error: unknown; output: string } {
  const streams = typeof process === 'object' && process.stdout && process.stderr ? [process.stdout, process.stderr] : [];
  const saved = streams.map((s) => s.write);
  let output = '';
  const collect = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    output += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    done?.();
    return true;
  }) as Write;
  for (const s of streams) s.write = collect;
  try {
    return { value: fn(), output };
  } catch (error) {
    return { error, output };
  } finally {
    streams.forEach((s, i) => (s.write = saved[i]!));
  }
}

/**
 * Runs a step that calls binaryen (`step`: 'rewriting the module', for messages). A parse failure of a module our reader and the
 * engine accepted is binaryen's limit ('unsupported'); anything else is our defect.
 */
export function atBinaryen<T>(source: string, step: string, fn: () => T): T {
  const run = collectingOutput(fn);
  if ('value' in run) return run.value;
  const { error, output } = run;
  if (error instanceof InstrumentError) throw error;
  const message = describeThrown(error);
  // binaryen's ParseException text ("[parse exception: …]") arrives on stderr, before the thrown object.
  const said = oneLine(output.replace(/^Aborted\(.*$/m, '').trim());
  if (/parsing wasm binary/.test(message)) {
    throw new InstrumentError(`${source}: binaryen cannot read this module${said ? ` (${said})` : ''}, though the engine accepts it; it may use a feature binaryen does not support yet`, source, undefined, 'unsupported');
  }
  throw internalError(source, `${step} with binaryen failed`, said ? `${oneLine(message)}; ${said}` : error);
}
