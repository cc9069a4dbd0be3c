// The instrument pass in a worker thread, waited for synchronously.
//
// `new WebAssembly.Module(bytes)` is synchronous and binaryen.js has a top-level await,
// so a hook that may have to instrument must either hold binaryen loaded before the
// program starts (0.7 s of CPU and 80 MB on every run of lightningcss-wasm here, cache
// hit or not) or run the pass where it can be awaited. Here the pass runs in a worker
// that loads binaryen on a cache miss; the calling thread blocks in Atomics.wait until
// the answer is posted, then takes it with receiveMessageOnPort. A run whose modules are all cached
// never starts the worker, and binaryen's memory is never on the program's heap.
//
// The asynchronous paths (WebAssembly.compile, instantiate, …) block the same way: the
// runtime's hook is synchronous, and the pass would block the thread in-process too.

import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { InstrumentError, type InstrumentErrorKind } from '@wasm-tracemalloc/instrument/errors';
import { INSTRUMENT_WORKER, UntracedWorker } from '../worker-preload.js';
import type { InstrumentAnswer, InstrumentRequest, Instrumenter } from './request.js';

/** What the worker stores in `signal` (0 while the caller waits): its reply is on the port, or it is exiting. */
export const REPLIED = 1;
export const ENDED = 2;

/** What crosses back from the worker: an answer, or a failure as plain data. */
export type WorkerReply = { answer: InstrumentAnswer } | { failure: TransportedError };

export type TransportedError =
  | { instrumentError: { message: string; source: string; offset?: number; kind: InstrumentErrorKind } }
  | { name: string; message: string; code?: string; path?: string }
  /** Not an Error (binaryen throws plain objects and strings): its message or its text. */
  | { thrown: string; withMessage: boolean };

export function transportable(e: unknown): TransportedError {
  if (e instanceof InstrumentError) return { instrumentError: { message: e.message, source: e.source, offset: e.offset, kind: e.kind } };
  if (!(e instanceof Error)) {
    const withMessage = typeof e === 'object' && e !== null && 'message' in e;
    return { thrown: withMessage ? String((e as { message: unknown }).message) : String(e), withMessage };
  }
  const errno = e as NodeJS.ErrnoException;
  return { name: e.name, message: e.message, ...(typeof errno.code === 'string' && { code: errno.code }), ...(typeof errno.path === 'string' && { path: errno.path }) };
}

/** The error as the calling thread's classify() would have seen it in-process. */
export function revived(t: TransportedError): unknown {
  if ('instrumentError' in t) {
    const { message, source, offset, kind } = t.instrumentError;
    return new InstrumentError(message, source, offset, kind);
  }
  if ('thrown' in t) return t.withMessage ? { message: t.thrown } : t.thrown;
  const e = Object.assign(new Error(t.message), t.code === undefined ? {} : { code: t.code }, t.path === undefined ? {} : { path: t.path });
  e.name = t.name;
  return e;
}

/**
 * Runs the pass in a new worker and waits for it. The worker ends with its answer: its
 * memory (binaryen's heap grows to ~200 MB on a 15.8 MB module) is given back while
 * the program compiles the module, which lowers a first run's peak RSS by ~130 MB
 * against keeping it for the next miss (which then loads binaryen again, ~0.5 s).
 */
export const instrumentInWorker: Instrumenter = (request: InstrumentRequest): InstrumentAnswer => {
  const { port1: port, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  // Not the preloading wrapper of worker-preload.ts, and no execArgv: the worker must
  // not trace, or the modules binaryen.js compiles would come back to this hook.
  const worker = new UntracedWorker(new URL('./worker-main.js', import.meta.url), {
    execArgv: [],
    workerData: { [INSTRUMENT_WORKER]: true, port: port2, signal },
    transferList: [port2],
  });
  worker.unref();
  let reply: WorkerReply | undefined;
  try {
    // A view is cloned with its whole buffer: send only the module.
    const { bytes } = request;
    port.postMessage(bytes.byteLength === bytes.buffer.byteLength ? request : { ...request, bytes: bytes.slice() });
    Atomics.wait(signal, 0, 0);
    reply = receiveMessageOnPort(port)?.message as WorkerReply | undefined;
  } finally {
    port.close();
    void worker.terminate();
  }
  if (!reply) throw new Error('the instrument worker stopped without an answer');
  if ('failure' in reply) throw revived(reply.failure);
  return reply.answer;
};
