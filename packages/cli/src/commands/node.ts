// wasm-tracemalloc node [options] SCRIPT [ARGS]: `memray run` for Wasm in Node.
// Starts SCRIPT in a child Node process with the global hook preloaded (preload.ts):
// every module the program compiles is instrumented in process and traced, and the
// report is printed at exit. The program's stdout, stderr and exit code are its own.

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, intOption, keyOption, samplingOption, symbolsOption, symbolsFromOption, REPORT_OPTIONS, UsageError, type Symbols } from '../args.js';

export const PRELOAD_ENV = 'WASM_TRACEMALLOC_PRELOAD';

export interface PreloadConfig {
  nframe: number;
  samplingIntervalBytes: number;
  top: number;
  key: 'lineno' | 'filename' | 'traceback';
  cumulative: boolean;
  snapshot?: string;
  alloc: string[];
  symbols: Symbols;
  /** --glue: the JS that loads the program's modules, absolute paths read by the preload. */
  glue?: string[];
  /** --symbols-from: an absolute path, read by the preload. */
  symbolsFrom?: string;
}

export async function nodeCommand(argv: string[]): Promise<number> {
  const scriptAt = argv.findIndex((a, i) => !a.startsWith('-') && !(i > 0 && /^--(nframe|sampling-interval-bytes|top|key|snapshot|alloc|symbols|symbols-from|glue)$/.test(argv[i - 1]!)));
  if (scriptAt < 0) throw new UsageError('usage: wasm-tracemalloc node [--nframe N] [--sampling-interval-bytes N] [--top N] [--key K] [--snapshot FILE] [--symbols embed|side|none] [--symbols-from FILE] [--glue FILE.js]... [--alloc [MODULE.wasm:]NAME=KIND]... SCRIPT [ARGS]');
  const { values } = parse(argv.slice(0, scriptAt), REPORT_OPTIONS);
  const config: PreloadConfig = {
    nframe: intOption(values.nframe, 'nframe', 1),
    samplingIntervalBytes: samplingOption(values['sampling-interval-bytes']),
    top: intOption(values.top, 'top', 10),
    key: keyOption(values.key),
    cumulative: !!values.cumulative,
    snapshot: values.snapshot,
    alloc: values.alloc ?? [],
    symbols: symbolsOption(values.symbols),
    symbolsFrom: symbolsFromOption(values['symbols-from']),
    ...(values.glue ? { glue: values.glue.map((p) => resolve(p)) } : {}),
  };
  const preload = fileURLToPath(new URL('../preload.js', import.meta.url));
  const child = spawn(process.execPath, ['--import', preload, ...argv.slice(scriptAt)], {
    stdio: 'inherit',
    env: { ...process.env, [PRELOAD_ENV]: JSON.stringify(config) },
  });
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      if (signal) process.kill(process.pid, signal);
      resolve(code ?? 1);
    });
  });
}
