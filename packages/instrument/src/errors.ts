// Every way `instrument` fails, as one class with a kind, so that callers (the CLI,
// the Node hook, the Vite plugin) choose an exit code or a fallback from the kind
// and print the message as it is: one line that names the input.
//
// binaryen.js throws what its C++ and Emscripten runtime throw: plain objects
// (`{ message: 'error in parsing wasm binary' }`), strings, WebAssembly.RuntimeError
// from an abort. None of them names the input, and an uncaught one makes Node print
// the throw site: a line of binaryen's minified source. They are converted here.

/**
 * - 'input': the input is not a module we can read (not Wasm, truncated, invalid);
 *   `offset` is the byte in the input where it went wrong, when known. Exit 2.
 * - 'unsupported': a valid module that wasm-tracemalloc cannot instrument (memory64,
 *   a component, more sites than a domain holds, a module binaryen cannot read).
 * - 'usage': an option is wrong (maxFrames out of range, a bad --alloc rule).
 * - 'internal': our bug; the message asks for a report. The module can still run
 *   untraced.
 */
export type InstrumentErrorKind = 'input' | 'unsupported' | 'usage' | 'internal';

/** Refusal of an input: names the input, the problem and the byte offset where known. */
export class InstrumentError extends Error {
  constructor(
    message: string,
    readonly source: string,
    readonly offset?: number,
    readonly kind: InstrumentErrorKind = 'input',
  ) {
    super(message);
    this.name = 'InstrumentError';
  }

  /** Whether the input (or an option) is at fault, rather than wasm-tracemalloc. */
  get badInput(): boolean {
    return this.kind !== 'internal';
  }
}

/** What a thrown value says, whatever it is (binaryen throws objects and strings). */
export function describeThrown(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  try {
    return JSON.stringify(e) ?? String(e);
  } catch {
    return String(e);
  }
}

/** One line of at most `max` characters: binaryen's messages can carry newlines and dumps. */
export function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s*\n\s*/g, '; ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** An internal error for `source`: what failed, and a request to report it. */
export function internalError(source: string, what: string, e?: unknown): InstrumentError {
  if (e instanceof InstrumentError) return e;
  const detail = e === undefined ? '' : ` (${oneLine(describeThrown(e))})`;
  return new InstrumentError(`${source}: internal error: ${what}${detail}; please report it with the input module`, source, undefined, 'internal');
}
