// A worker terminated while it churns on the shared memory: it may die inside the
// tracer's lock. The main thread must still allocate, finish and report.
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';

if (isMainThread) {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 1024, shared: true });
  const { module, instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]), { env: { memory } });
  const started = new Int32Array(new SharedArrayBuffer(4));
  const workers = [0, 1].map(() => new Worker(new URL(import.meta.url), { workerData: { module, memory, started } }));
  while (Atomics.load(started, 0) < 2) Atomics.wait(started, 0, Atomics.load(started, 0), 10);
  await new Promise((resolve) => setTimeout(resolve, 100));
  await Promise.all(workers.map((w) => w.terminate()));
  instance.exports.make_blocks(instance.exports.slots(10), 10, 32);
  console.log('main done');
} else {
  const { module, memory, started } = workerData;
  const x = new WebAssembly.Instance(module, { env: { memory } }).exports;
  Atomics.add(started, 0, 1);
  Atomics.notify(started, 0);
  for (;;) x.churn(1_000_000, 16);
}
