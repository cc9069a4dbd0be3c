// The scenario of test/shared-memory/driver.mjs in a page: mt.wasm (served from the
// public dir the test made) on one shared memory, instantiated here and, from the
// compiled module, in module workers. Blocks cross threads:
//   thread A allocates 1,300 blocks of 24 B into an array the page allocated;
//   thread B frees 1,250 of them and reallocs the other 50 to 256 B (kept);
//   thread W leaks 500 × 64 B (and its array), while two threads churn 100,000
//   malloc/free pairs each at the same time;
//   the page leaks 10 × 32 B (and its arrays).
import { getTracerStats } from '@wasm-tracemalloc/runtime';
import { takeSnapshot } from '@wasm-tracemalloc/vite-plugin/client';

const run = (data) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = (e) => {
      worker.terminate();
      if (e.data.error) reject(new Error(e.data.error));
      else resolve(e.data);
    };
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage(data);
  });

try {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 1024, shared: true });
  const { module, instance } = await WebAssembly.instantiateStreaming(fetch('/mt.wasm'), { env: { memory } });
  const x = instance.exports;
  const slots = x.slots(1300);
  const workers = [];
  workers.push(await run({ module, memory, op: 'make', slots, n: 1300, size: 24 }));
  workers.push(await run({ module, memory, op: 'handoff', slots }));
  workers.push(...(await Promise.all([run({ module, memory, op: 'leak' }), run({ module, memory, op: 'churn' }), run({ module, memory, op: 'churn' })])));
  x.make_blocks(x.slots(10), 10, 32);
  const words = new Uint32Array(memory.buffer);
  let kept = 0;
  for (let i = 0; i < 1300; i++) if (words[slots / 4 + i] !== 0) kept++;
  // A worker the plugin does not reach gets the app's messages only.
  const classic = new Worker(new URL('./classic.js', import.meta.url));
  const classicSaw = await new Promise((resolve) => {
    classic.onmessage = (e) => resolve(e.data.first);
    classic.postMessage({ op: 'hello' });
  });
  classic.terminate();
  const { snapshot, info } = await takeSnapshot();
  window.result = { isolated: crossOriginIsolated, kept, workers, classicSaw, stats: getTracerStats(), threads: snapshot.threads(), info };
} catch (error) {
  window.result = { error: String(error?.stack ?? error) };
}
document.body.dataset.done = 'true';
