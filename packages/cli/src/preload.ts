// Preloaded by `wasm-tracemalloc node` (node --import), in the main thread and in
// every worker. First what cannot fail: instrumented modules that reach a thread
// without the tracer run untraced (untraced-fallback.ts), and every worker gets this
// preload too (worker-preload.ts). Then the tracer itself; if it cannot load, the
// program runs untraced and we say so in one line.

import { PRELOAD_ENV } from './preload-config.js';
import { terminalText } from './terminal/terminal-text.js';
import { installUntracedFallback, setUntracedReason } from './untraced-fallback.js';
import { isInstrumentWorker, preloadEveryWorker } from './worker-preload.js';

const err = (line: string) => process.stderr.write(`${terminalText(line)}\n`);

async function startTracing(): Promise<void> {
  installUntracedFallback(err);
  try {
    const configText = process.env[PRELOAD_ENV] ?? '{}';
    preloadEveryWorker(import.meta.url, { [PRELOAD_ENV]: configText });
    const { parsePreloadConfig } = await import('./preload-config.js');
    const { startSession } = await import('./tracing-session.js');
    startSession(parsePreloadConfig(configText));
  } catch (e) {
    // Self-contained: what failed to load may be what a fuller message would need.
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    const reason = `the tracer could not be loaded (${what.replace(/\s*\n\s*/g, ' ').slice(0, 300)})`;
    setUntracedReason(reason);
    err(`wasm-tracemalloc: internal error: ${reason}; please report it, with the command; the program runs untraced`);
  }
}

// The instrument worker (instrumenter/worker-thread.ts) runs the pass for the threads that trace; it never traces.
if (!isInstrumentWorker()) await startTracing();
