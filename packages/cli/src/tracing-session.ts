// What `wasm-tracemalloc node` does in the program's process (loaded by preload.ts):
// the global hook with the instrument pass, tracing from the start, and, on the main
// thread only, the report at exit. Workers trace into their own table and never
// report: the process reports once (one table per shared memory is issue 18).

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { install, start, takeSnapshot, isTracing } from '@wasm-tracemalloc/runtime';
import { maxFramesFor } from './args.js';
import { cacheDir, ModuleCache } from './cache/module-cache.js';
import { writeExitReport } from './exit-report.js';
import { instrumentInWorker } from './instrumenter/worker-thread.js';
import { instrumentHook } from './node-hook.js';
import type { RunOptions } from './run-options.js';
import { terminalText } from './terminal/terminal-text.js';
import { wasmFiles } from './wasm-file-names.js';

const err = (line: string) => process.stderr.write(`${terminalText(line)}\n`);

export function startSession(config: RunOptions): void {
  const files = wasmFiles();
  const glue = config.glue?.map((path) => ({ name: basename(path), text: readFileSync(path, 'utf8') }));
  const symbolsFrom = config.symbolsFrom === undefined ? undefined : new Uint8Array(readFileSync(config.symbolsFrom));
  install({
    instrument: instrumentHook(instrumentInWorker, {
      alloc: config.alloc,
      maxFrames: maxFramesFor(config.nframe),
      symbols: config.symbols,
      symbolsFrom,
      symbolsFromName: config.symbolsFrom,
      pathOf: files.pathOf,
      glue,
      cache: config.cache ? new ModuleCache(cacheDir()) : undefined,
      // The main thread says it once; a worker compiling the same module again stays quiet.
      summary: isMainThread ? (line) => err(`wasm-tracemalloc: ${line}`) : undefined,
      warn: (w) => err(`wasm-tracemalloc: warning: ${w}`),
    }),
    nameOf: files.nameOf,
  });
  start(config.nframe, { samplingIntervalBytes: config.samplingIntervalBytes });
  if (!isMainThread) return;
  process.on('exit', (code) => {
    if (!isTracing()) return;
    try {
      const status = writeExitReport(takeSnapshot(), { label: 'wasm-tracemalloc', key: config.key, top: config.top, cumulative: config.cumulative, format: config.report, reportFile: config.reportFile, snapshotFile: config.snapshot, limits: config.limits }, code, err);
      if (status !== code) process.exitCode = status;
    } catch (e) {
      // A report file that cannot be written (disk full, removed directory): one line, the program's status kept.
      err(`wasm-tracemalloc: could not write the report: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
}
