// Argument parsing shared by the commands: node:util's parseArgs plus the
// conventions tracemalloc users know (--key lineno|filename|traceback, --top N).

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSize } from '@wasm-tracemalloc/runtime';
import type { KeyType } from './report.js';

export class UsageError extends Error {}

/** Frames the shadow stack keeps when --nframe asks for more than one. */
export const SHADOW_FRAMES = 128;

type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };
type Parsed<O extends Record<string, OptionSpec>> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

/**
 * Options checked before parseArgs, so that the message names the flag and the
 * choices: parseArgs' own text quotes unevenly and speaks of positionals.
 */
function checkFlags(argv: string[], options: Record<string, OptionSpec>): void {
  const names = Object.keys(options);
  const valid = () => names.map((n) => `--${n}`).join(', ');
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') return;
    if (!token.startsWith('-') || token === '-') continue;
    let name: string | undefined;
    let inlineValue = false;
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      name = eq < 0 ? token.slice(2) : token.slice(2, eq);
      inlineValue = eq >= 0;
    } else if (token.length === 2) {
      name = names.find((n) => options[n]!.short === token[1]);
    }
    const spec = name === undefined ? undefined : options[name];
    if (!spec) throw new UsageError(`unknown option ${token.split('=')[0]}; the options are ${valid()}`);
    if (spec.type === 'string' && !inlineValue && argv[i + 1] === undefined) throw new UsageError(`--${name} needs a value`);
    // parseArgs takes `--top -3` for a forgotten value followed by a flag.
    if (spec.type === 'string' && !inlineValue && argv[i + 1]!.startsWith('-') && argv[i + 1] !== '-') {
      throw new UsageError(`--${name} needs a value; to give one that starts with "-", write --${name}=${argv[i + 1]}`);
    }
    if (spec.type === 'boolean' && inlineValue) throw new UsageError(`--${name} takes no value`);
    if (spec.type === 'string' && !inlineValue) i++;
  }
}

export function parse<const O extends Record<string, OptionSpec>>(argv: string[], options: O): Parsed<O> {
  checkFlags(argv, options);
  try {
    return parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    // What checkFlags does not foresee, e.g. a value that starts with '-' (`--top -3`).
    throw new UsageError((e as Error).message);
  }
}

export function intOption(value: string | undefined, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER, why = ''): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}${why}`;
    throw new UsageError(`--${name} must be an integer ${range}, got "${value}"`);
  }
  return n;
}

/** --nframe: tracemalloc's traceback limit, and the frames a module's shadow stack keeps. */
export function nframeOption(value: string | undefined): number {
  return intOption(value, 'nframe', 1, 1, SHADOW_FRAMES, ' (the frames the shadow stack keeps)');
}

/** --limit-*: a size as pytest-memray spells it (1000, 512KB, 1.5 MB; KB = KiB = 1024 B), the same as @wasm-tracemalloc/vitest's limits. */
export function sizeOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseSize(value, `--${name}`);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function keyOption(value: string | undefined): KeyType {
  const key = value ?? 'lineno';
  if (key !== 'lineno' && key !== 'filename' && key !== 'traceback') throw new UsageError(`--key must be lineno, filename or traceback, got "${key}"`);
  return key;
}


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
  'limit-leaks': { type: 'string' },
  'limit-memory': { type: 'string' },
  report: { type: 'string' },
  'report-file': { type: 'string' },
  'no-cache': { type: 'boolean' },
} as const;
