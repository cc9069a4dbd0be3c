// What `wasm-tracemalloc node` does in the program's process (loaded by preload.ts):
// the global hook with the instrument pass, tracing from the start, and, on the main
// thread only, the report at exit. The main thread makes the tracer that threads share
// (runtime threads.ts) and hands it to every worker through setEnvironmentData; a
// worker traces into it and never reports: the process reports once, for all threads.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { getEnvironmentData, isMainThread, setEnvironmentData, threadId } from 'node:worker_threads';
import { install, isTracerHandle, joinTracer, leaveTracer, shareTracer, start, takeSnapshot, isTracing, terminateTracedThread } from '@wasm-tracemalloc/runtime';
import { terminateWorkersWith } from './worker-preload.js';
import { maxFramesFor } from './args.js';
import { cacheDir, ModuleCache } from './cache/module-cache.js';
import { writeExitReport } from './exit-report.js';
import { instrumentInWorker } from './instrumenter/worker-thread.js';
import { instrumentHook } from './node-hook.js';
import type { RunOptions } from './run-options.js';
import { terminalText } from './terminal/terminal-text.js';
import { wasmFiles } from './wasm-file-names.js';

const err = (line: string) => process.stderr.write(`${terminalText(line)}\n`);

/** The environment data key under which workers find the main thread's tracer. */
const TRACER_KEY = 'wasm-tracemalloc:tracer';

/** Main thread: share the tracer with every worker made from now on. A worker: join it. */
function shareWithThreads(): void {
  terminateWorkersWith(terminateTracedThread);
  if (isMainThread) {
    setEnvironmentData(TRACER_KEY, shareTracer());
    return;
  }
  const handle = getEnvironmentData(TRACER_KEY);
  if (!isTracerHandle(handle)) {
    err(`wasm-tracemalloc: warning: worker thread ${threadId} is not traced: it did not get the main thread's tracer (a worker of a worker started before the tracer was shared?)`);
    return;
  }
  if (!joinTracer(handle, threadId)) {
    err(`wasm-tracemalloc: warning: worker thread ${threadId} is not traced: 256 threads are traced at once, the most the tracer holds`);
    return;
  }
  process.on('exit', leaveTracer);
}

export function startSession(config: RunOptions): void {
  shareWithThreads();
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
