// Preloaded (node --import) in both modes of bench/threads.mjs --program emscripten, in
// the main thread and every worker: the runtime's hook (no instrumenter: the traced
// mode's bytes are instrumented beforehand), the tracer shared with the workers, and
// start(). The two modes' processes then differ only in the .wasm file.
import { getEnvironmentData, isMainThread, setEnvironmentData, threadId } from 'node:worker_threads';

const tm = await import('../packages/runtime/dist/index.js');
const KEY = 'wasm-tracemalloc bench tracer';
if (isMainThread) setEnvironmentData(KEY, tm.shareTracer());
else if (!tm.joinTracer(getEnvironmentData(KEY), threadId)) throw new Error('bench: a worker could not join the tracer');
tm.install();
tm.start(1);
if (isMainThread) {
  process.on('exit', () => {
    // A traced run must have traced the live sets the threads leave (THREADS × 1000 blocks).
    if (process.env.BENCH_EXPECT_TRACES !== undefined) {
      const traces = tm.getTracerStats().traces;
      const want = Number(process.env.BENCH_EXPECT_TRACES);
      if (traces < want) {
        process.stderr.write(`bench: traced ${traces} live blocks, fewer than the ${want} the threads keep: tracing missed blocks\n`);
        process.exitCode = 1;
      }
    }
  });
}
