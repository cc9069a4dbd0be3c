// Argument parsing shared by the commands: node:util's parseArgs plus the
// conventions tracemalloc users know (--key lineno|filename|traceback, --top N).

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { KeyType } from './report.js';

export class UsageError extends Error {}

type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };
type Parsed<O extends Record<string, OptionSpec>> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

export function parse<const O extends Record<string, OptionSpec>>(argv: string[], options: O): Parsed<O> {
  try {
    return parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function intOption(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

export function keyOption(value: string | undefined): KeyType {
  const key = value ?? 'lineno';
  if (key !== 'lineno' && key !== 'filename' && key !== 'traceback') throw new UsageError(`--key must be lineno, filename or traceback, got "${key}"`);
  return key;
}

/** Frames the shadow stack keeps when --nframe asks for more than one. */
export const SHADOW_FRAMES = 128;

/** The build-time maximum for a run with traceback limit `nframe`. */
export function maxFramesFor(nframe: number): number {
  return nframe > 1 ? SHADOW_FRAMES : 1;
}

/** --sampling-interval-bytes N: trace a sample, one block per N bytes allocated on average (0: every block). */
export function samplingOption(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`--sampling-interval-bytes must be a whole number of bytes, such as 4096 (0 traces every allocation), got "${value}"`);
  }
  return n;
}

export type Symbols = 'embed' | 'side' | 'none';

/** --symbols: where source frames go (default embed: in the site table). */
export function symbolsOption(value: string | undefined): Symbols {
  const s = value ?? 'embed';
  if (s !== 'embed' && s !== 'side' && s !== 'none') throw new UsageError(`--symbols must be embed, side or none, got "${s}"`);
  return s;
}

/**
 * --symbols-from FILE: a debug .wasm or a symbol map for a stripped module, as an
 * absolute path (the node command reads it in another process). Checked for existence
 * here, so that a typo is a usage error rather than a warning per module.
 */
export function symbolsFromOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const path = resolve(value);
  if (!existsSync(path)) throw new UsageError(`--symbols-from: ${value} does not exist; give a debug .wasm (-gseparate-dwarf) or a symbol map (--emit-symbol-map)`);
  return path;
}

export const REPORT_OPTIONS = {
  symbols: { type: 'string' },
  'symbols-from': { type: 'string' },
  nframe: { type: 'string' },
  'sampling-interval-bytes': { type: 'string' },
  top: { type: 'string' },
  key: { type: 'string' },
  cumulative: { type: 'boolean' },
  snapshot: { type: 'string' },
  alloc: { type: 'string', multiple: true },
  glue: { type: 'string', multiple: true },
} as const;
