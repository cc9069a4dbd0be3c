// The instrument worker (worker-thread.ts): one request, from the thread that started
// it, which waits on `signal` for the reply. A reply is posted whatever happens, or
// that thread would wait forever: binaryen is loaded inside the try, and a failure
// goes back as data.

import { workerData, type MessagePort } from 'node:worker_threads';
import { ENDED, REPLIED, transportable, type WorkerReply } from './worker-thread.js';
import type { InstrumentRequest } from './request.js';

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };

// Something in the pass ended the thread (process.exit in a worker ends only the worker):
// the waiting thread must wake, and then finds no reply.
process.on('exit', () => {
  Atomics.store(signal, 0, ENDED);
  Atomics.notify(signal, 0);
});

port.once('message', async (request: InstrumentRequest) => {
  let reply: WorkerReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const { instrumentInProcess } = await import('./in-process.js');
    const answer = instrumentInProcess(request);
    reply = { answer };
    // Moved, not copied, unless they are a view into a larger buffer.
    if (answer.bytes.buffer instanceof ArrayBuffer && answer.bytes.byteLength === answer.bytes.buffer.byteLength) transfer.push(answer.bytes.buffer);
  } catch (e) {
    reply = { failure: transportable(e) };
  }
  try {
    port.postMessage(reply, transfer);
  } catch (e) {
    port.postMessage({ failure: transportable(e) } satisfies WorkerReply);
  }
  Atomics.store(signal, 0, REPLIED);
  Atomics.notify(signal, 0);
});
