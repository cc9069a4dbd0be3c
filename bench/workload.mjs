// One measurement in a fresh process: node --expose-gc bench/workload.mjs WORKLOAD MODE
//   WORKLOAD: churn | sqljs | treesitter
//   MODE: original | traced (nframe 1) | deep1 / deep16 (shadow stack of 128 frames,
//         start(1) / start(16)) | sampled (nframe 1, one sample per SAMPLE_BYTES
//         bytes, default 4096) | jshook
// Prints one JSON line: { ms, traces?, tracerBytes? }. Only the workload is timed:
// reading, instrumenting, compiling and instantiating are not.
//
// jshook is the baseline of existing Wasm tracers: the same instrumented module, but
// its record functions are JS imports that capture `new Error().stack` into a Map.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { WASI } from 'node:wasi';
import { fileURLToPath } from 'node:url';
import * as tm from 'wasm-tracemalloc';
import { sqlWork } from './sql-work.mjs';

const require = createRequire(import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));
const [workload, mode] = process.argv.slice(2);
const traced = mode === 'traced' || mode === 'deep1' || mode === 'deep16' || mode === 'sampled';
const nframe = mode === 'deep16' ? 16 : 1;
const startOptions = mode === 'sampled' ? { samplingIntervalBytes: Number(process.env.SAMPLE_BYTES ?? 4096) } : {};
const maxFrames = mode.startsWith('deep') ? 128 : 1;

/**
 * A full garbage collection before the timed part, in every mode: reading and
 * instrumenting (binaryen.js) leave garbage, and V8 collected it with concurrent
 * marking on the other core while the workload ran. On 2 cores that slowed
 * the workload by up to 2x in some runs and not others (the original churn took
 * 110-130 ms or 200-330 ms by whether a collection overlapped it).
 */
function settle() {
  if (typeof globalThis.gc !== 'function') throw new Error('workload.mjs needs node --expose-gc');
  globalThis.gc();
}

function jsHookImports() {
  const traces = new Map();
  const counts = { allocs: 0 };
  return {
    traces,
    counts,
    imports: {
      domain: new WebAssembly.Global({ value: 'i32' }, 1),
      alloc(domain, ptr, size) { counts.allocs++; traces.set(ptr, { size, stack: new Error().stack }); },
      free(domain, ptr) { traces.delete(ptr); },
      realloc(domain, oldPtr, newPtr, size) { counts.allocs++; traces.delete(oldPtr); traces.set(newPtr, { size, stack: new Error().stack }); },
    },
  };
}

async function churn() {
  const bytes = readFileSync(`${here}out/churn.wasm`);
  const wasi = new WASI({ version: 'preview1', args: ['churn', process.env.CHURN_ITERS ?? '1000000'], returnOnExit: true });
  const wasiImports = { wasi_snapshot_preview1: wasi.wasiImport };
  let instance;
  let hook;
  if (mode === 'original') {
    ({ instance } = await WebAssembly.instantiate(bytes, wasiImports));
  } else if (traced) {
    tm.start(nframe, startOptions);
    ({ instance } = await tm.instantiate(bytes, wasiImports, { name: 'churn.wasm', maxFrames }));
  } else {
    hook = jsHookImports();
    const traced = tm.instrument(bytes, { source: 'churn.wasm', maxFrames: 1 }).bytes;
    ({ instance } = await WebAssembly.instantiate(traced, { ...wasiImports, 'wasm-tracemalloc': hook.imports }));
  }
  settle();
  const t0 = performance.now();
  wasi.start(instance);
  const ms = performance.now() - t0;
  if (traced) {
    const stats = tm.getTracerStats();
    return { ms, traces: stats.traces, tracerBytes: stats.tracerBytes, current: tm.getTracedMemory()[0] };
  }
  return { ms, traces: hook?.traces.size, allocs: hook?.counts.allocs };
}

/** Installs the mode's hook for modules loaded through their own glue. */
function hookGlue() {
  if (mode === 'original') {
    // The same loading path as the traced modes (install()'s compile and instantiate),
    // with the bytes left as they are: the ratio is then the cost of tracing alone.
    tm.install({ instrument: (bytes) => bytes });
    return undefined;
  }
  if (traced) {
    tm.installNode({ maxFrames });
    tm.start(nframe, startOptions);
    return undefined;
  }
  if (mode !== 'jshook') return undefined;
  const hook = jsHookImports();
  const instrumentOrKeep = (bytes) => {
    const r = tm.instrument(new Uint8Array(bytes), { source: 'module.wasm', maxFrames: 1 });
    return r.status === 'instrumented' ? r.bytes : new Uint8Array(bytes);
  };
  const { instantiate, Module } = WebAssembly;
  WebAssembly.instantiate = (source, imports) =>
    source instanceof Module ? instantiate(source, imports) : instantiate(instrumentOrKeep(source), { ...imports, 'wasm-tracemalloc': hook.imports });
  return hook;
}

async function treesitter() {
  const hook = hookGlue();
  const { Parser, Language } = await import('web-tree-sitter/debug');
  await Parser.init();
  const language = await Language.load(readFileSync(require.resolve('tree-sitter-javascript/tree-sitter-javascript.wasm')));
  const text = readFileSync(require.resolve('sql.js/dist/sql-wasm-debug.js'), 'utf8'); // 269 KB of real JS
  const parser = new Parser();
  parser.setLanguage(language);
  settle();
  const t0 = performance.now();
  let nodes = 0;
  const tree = parser.parse(text);
  nodes += tree.rootNode.descendantCount;
  tree.delete();
  const ms = performance.now() - t0;
  parser.delete();
  return { ms, nodes, allocs: hook?.counts.allocs };
}

async function sqljs() {
  const hook = hookGlue();
  const initSqlJs = require('sql.js/dist/sql-wasm-debug.js');
  const SQL = await initSqlJs();
  settle();
  const t0 = performance.now();
  const rows = sqlWork(SQL);
  const ms = performance.now() - t0;
  return { ms, rows, allocs: hook?.counts.allocs, ...(traced ? { traces: tm.getTracerStats().traces } : {}) };
}

const result = workload === 'churn' ? await churn() : workload === 'sqljs' ? await sqljs() : await treesitter();
process.stdout.write(`${JSON.stringify(result)}\n`);
