// Node runs `--import` preloads in a worker only when the worker inherits the
// process's execArgv and runs a file. An `eval` worker never runs them, and a worker
// given its own execArgv (napi-rs's wasi worker template passes one) runs only those.
// Such a worker would get instrumented modules from the main thread without the tracer
// and fail to link. So worker_threads.Worker is wrapped: an explicit execArgv gains our
// --import, and eval code is run after importing the preload.

import { syncBuiltinESMExports } from 'node:module';
import workerThreads from 'node:worker_threads';

type WorkerOptions = NonNullable<ConstructorParameters<typeof workerThreads.Worker>[1]>;

/** The options and script a worker needs so that `preload` (a file: URL) runs in it first. */
export function withPreload(script: string | URL, options: WorkerOptions | undefined, preload: string, env: Record<string, string>): [string | URL, WorkerOptions | undefined] {
  if (!options) return [script, options];
  let next: WorkerOptions = options;
  if (options.eval && typeof script === 'string') {
    // Indirect eval runs the code in global scope, as Node runs eval workers: its
    // top-level var and function declarations stay globals. It runs even if the
    // preload failed (the preload reports its own failure).
    const run = `() => (0, eval)(${JSON.stringify(script)})`;
    script = `import(${JSON.stringify(preload)}).then(${run}, ${run});`;
  } else if (Array.isArray(options.execArgv) && !options.execArgv.includes(preload)) {
    next = { ...next, execArgv: ['--import', preload, ...options.execArgv] };
  }
  // A worker given its own env object gets our configuration added (SHARE_ENV and the default share ours).
  if (options.env && typeof options.env === 'object') next = { ...next, env: { ...env, ...(options.env as Record<string, string>) } };
  return [script, next];
}

/**
 * The mark in the instrument worker's workerData (instrumenter/worker-thread.ts): a
 * preload that reaches it anyway (an --import in NODE_OPTIONS) must not trace there, or
 * binaryen's own module would come back to the hook that is waiting for it.
 */
export const INSTRUMENT_WORKER = 'wasm-tracemalloc instrument worker';

/** Whether this thread is the instrument worker. */
export function isInstrumentWorker(): boolean {
  const data = workerThreads.workerData as Record<string, unknown> | null | undefined;
  return typeof data === 'object' && data !== null && data[INSTRUMENT_WORKER] === true;
}

/** worker_threads.Worker as Node made it: for our own workers, which must not trace. */
export const UntracedWorker = workerThreads.Worker;

let patched = false;
let onTerminate: ((thread: number, terminate: () => Promise<number>) => Promise<number>) | undefined;

/** How workers are terminated once the tracer is loaded (the runtime's terminateTracedThread). */
export function terminateWorkersWith(f: (thread: number, terminate: () => Promise<number>) => Promise<number>): void {
  onTerminate = f;
}

/** Wraps worker_threads.Worker (also for `import { Worker }`); idempotent. */
export function preloadEveryWorker(preload: string, env: Record<string, string>): void {
  if (patched) return;
  patched = true;
  const Original = workerThreads.Worker;
  class Worker extends Original {
    constructor(script: string | URL, options?: WorkerOptions) {
      // A worker started without options inherits execArgv, preload included.
      super(...withPreload(script, options, preload, env));
    }

    // A worker terminated inside the tracer would leave its table half-changed: it is
    // fenced out of the tracer first (threads, in the runtime).
    override terminate(): Promise<number> {
      return onTerminate ? onTerminate(this.threadId, () => super.terminate()) : super.terminate();
    }
  }
  Object.defineProperty(Worker, 'name', { value: 'Worker' });
  workerThreads.Worker = Worker;
  syncBuiltinESMExports();
}
