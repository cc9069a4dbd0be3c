// How a command ends when something goes wrong, decided by the error's class, never by
// its message: bad input (the user can fix it) is one line naming the input, exit 2;
// anything else is our defect, one line asking for a report, exit 70 (EX_SOFTWARE).

import { InstrumentError } from '@wasm-tracemalloc/instrument/errors';
import { InvalidSnapshotError } from '@wasm-tracemalloc/runtime/model';
import { UsageError } from './args.js';

export const EXIT_BAD_INPUT = 2;
export const EXIT_INTERNAL = 70;

export interface Failure {
  kind: 'bad-input' | 'internal';
  message: string;
}

/**
 * InstrumentError says whether it is the input's fault or ours by its `kind`
 * ('internal' for ours, its message already asking for a report); one without a
 * kind predates that and is the input's.
 */
function isInternalInstrumentError(e: InstrumentError): boolean {
  return (e as { kind?: unknown }).kind === 'internal';
}

const FILE_ERRORS = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM']);

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export function classify(e: unknown): Failure {
  if (e instanceof UsageError) return { kind: 'bad-input', message: e.message };
  if (e instanceof InstrumentError) {
    if (isInternalInstrumentError(e)) return { kind: 'internal', message: oneLine(e.message) };
    const at = e.offset !== undefined && !e.message.includes('offset') ? ` (at byte offset ${e.offset})` : '';
    return { kind: 'bad-input', message: oneLine(e.message) + at };
  }
  if (e instanceof InvalidSnapshotError) {
    const message = oneLine(e.message);
    return { kind: 'bad-input', message: message.startsWith(e.source) ? message : `${e.source}: ${message}` };
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && FILE_ERRORS.has(code)) {
    const path = (e as NodeJS.ErrnoException).path;
    return { kind: 'bad-input', message: code === 'ENOENT' && path ? `no such file: ${path}` : oneLine((e as Error).message) };
  }
  return { kind: 'internal', message: internalMessage(e) };
}

export function internalMessage(e: unknown): string {
  const what = e instanceof Error ? `${e.name}: ${e.message}` : typeof e === 'object' && e !== null && 'message' in e ? String((e as { message: unknown }).message) : String(e);
  return `internal error (${oneLine(what).slice(0, 300)}); please report it, with the command and the input it was given`;
}

export function exitCodeOf(failure: Failure): number {
  return failure.kind === 'bad-input' ? EXIT_BAD_INPUT : EXIT_INTERNAL;
}

/** The program failed (a trap, an uncaught error in an import): neither the command line's fault nor ours. */
export class ProgramFailure extends Error {
  constructor(
    readonly program: string,
    override readonly cause: unknown,
  ) {
    super(`${program}: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`);
  }
}
