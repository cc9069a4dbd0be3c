// Runs mt.wasm on threads, as a wasi-threads or Emscripten program does: the main thread
// instantiates the module on a shared memory and posts the compiled module and the
// memory to each worker, which instantiates it again. The blocks cross threads:
//   thread A allocates 1,300 blocks of 24 B into an array the main thread allocated;
//   thread B frees 1,250 of them and reallocs the other 50 to 256 B (kept);
//   thread W leaks 500 × 64 B (and its array), while two threads churn 100,000
//   malloc/free pairs each at the same time;
//   the main thread leaks 10 × 32 B (and its arrays).
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';

const run = (data) =>
  new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: data });
    w.on('error', reject);
    w.on('exit', resolve);
  });

if (isMainThread) {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 1024, shared: true });
  const { module, instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]), { env: { memory } });
  const x = instance.exports;
  const slots = x.slots(1300);
  await run({ module, memory, op: 'make', slots, n: 1300, size: 24 });
  await run({ module, memory, op: 'handoff', slots });
  await Promise.all([run({ module, memory, op: 'leak' }), run({ module, memory, op: 'churn' }), run({ module, memory, op: 'churn' })]);
  x.make_blocks(x.slots(10), 10, 32);
  const words = new Uint32Array(memory.buffer);
  let kept = 0;
  for (let i = 0; i < 1300; i++) if (words[slots / 4 + i] !== 0) kept++;
  console.log(`done: ${kept} blocks kept by thread B`);
} else {
  const { module, memory, op, slots, n, size } = workerData;
  const x = new WebAssembly.Instance(module, { env: { memory } }).exports;
  if (op === 'make') x.make_blocks(slots, n, size);
  if (op === 'handoff') {
    x.free_blocks(slots, 0, 1250);
    x.grow_blocks(slots, 1250, 1300, 256);
  }
  if (op === 'leak') x.make_blocks(x.slots(500), 500, 64);
  if (op === 'churn') x.churn(100000, 16);
}
