// One measured process of the protocol (bench/protocol.mjs):
//   node --expose-gc [V8 flags] bench/workload.mjs WORKLOAD MODE [--warmup N] [--iterations N]
//     WORKLOAD  churn | churn-quiet (the churn with memory pre-sized: no GC) | sqljs |
//               treesitter | reference (a compute-only loop; MODE is ignored)
//     MODE      original | traced (maxFrames 1 build, start(1)) | deep1 / deep16 (the
//               128-frame shadow-stack build, start(1) / start(16)) | sampled
//               (maxFrames 1 build, start(1, { samplingIntervalBytes }), SAMPLE_BYTES,
//               default 4096) | jshook (the maxFrames 1 build, its record functions
//               JS imports that keep `new Error().stack` per block in a Map: how
//               existing Wasm tracers work)
// Runs the workload 1 + warmup + iterations times and prints one JSON line:
//   { first, steady: [...], traced? } where each run is { ms, gcCount, gcMs, ... }.
// The first run includes lazy compilation and tier-up; the steady runs come after
// `warmup` more. Only the workload is timed, never loading or instantiating.
//
// Every mode loads bytes prepared beforehand (bench/prepare.mjs) through the same
// runtime calls, and no mode imports the instrumenter. Every mode calls start(): the
// process state differs only in the bytes. A traced run that did not trace what it
// must (the churn: its 100,002 live blocks) fails the process, so a module that lost
// its names can never be reported as "traced".

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { WASI } from 'node:wasi';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHURN_FACTS, importBuilt } from './common.mjs';
import { sqlWork } from './sql-work.mjs';

const require = createRequire(import.meta.url);
// BENCH_RUNTIME: another build of the runtime's dist/ (a copy, another branch's), to
// compare two trace table cores with the same prepared modules.
const tm = await importBuilt(process.env.BENCH_RUNTIME ? pathToFileURL(`${process.env.BENCH_RUNTIME}/index.js`).href : '../packages/runtime/dist/index.js', '@wasm-tracemalloc/runtime');
const here = fileURLToPath(new URL('.', import.meta.url));
const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { warmup: { type: 'string', default: '2' }, iterations: { type: 'string', default: '5' } },
});
const [workload, mode = 'original'] = positionals;
const MODES = ['original', 'traced', 'deep1', 'deep16', 'sampled', 'jshook'];
if (!MODES.includes(mode)) fail(`mode ${mode}: one of ${MODES.join(', ')}`);
const warmup = Number(args.warmup);
const iterations = Number(args.iterations);
if (!(Number.isInteger(warmup) && warmup >= 0 && Number.isInteger(iterations) && iterations >= 1)) fail(`--warmup ${args.warmup} --iterations ${args.iterations}: whole numbers, iterations at least 1`);
if (typeof globalThis.gc !== 'function') fail('run it with node --expose-gc: every run starts after a full collection');

const build = mode === 'original' ? 'original' : mode.startsWith('deep') ? 'deep' : 'traced';
const nframe = mode === 'deep16' ? 16 : 1;
const SAMPLE_BYTES = Number(process.env.SAMPLE_BYTES ?? 4096);
const startOptions = mode === 'sampled' ? { samplingIntervalBytes: SAMPLE_BYTES } : {};
const tracing = mode !== 'original' && mode !== 'jshook';

function fail(message) {
  process.stderr.write(`workload.mjs ${process.argv.slice(2).join(' ')}: ${message}\n`);
  process.exit(1);
}

function manifestEntry(name) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(`${here}out/modules/manifest.json`, 'utf8'));
  } catch {
    fail('no bench/out/modules/manifest.json: run node bench/prepare.mjs first');
  }
  const entry = manifest[name];
  if (!entry) fail(`bench/out/modules/manifest.json has no ${name}: run node bench/prepare.mjs ${name}`);
  return entry;
}

// Garbage collections inside each timed window, from V8's own 'gc' entries. Node
// delivers them some time after the collection: they are matched to the windows once
// all runs are over.
const gcEntries = [];
const gcObserver = new PerformanceObserver((list) => gcEntries.push(...list.getEntries()));
gcObserver.observe({ entryTypes: ['gc'] });

/** Times one run of `work` after a full collection; returns { ms, t0, t1, result }. */
async function timed(work) {
  globalThis.gc();
  const t0 = performance.now();
  const result = work();
  const t1 = performance.now();
  return { ms: t1 - t0, t0, t1, result };
}

/** Sets each run's gcCount and gcMs: the collections that started inside its window. */
async function countCollections(runs) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  gcEntries.push(...gcObserver.takeRecords());
  gcObserver.disconnect();
  for (const run of runs) {
    const inside = gcEntries.filter((e) => e.startTime >= run.t0 && e.startTime < run.t1);
    run.gcCount = inside.length;
    run.gcMs = inside.reduce((sum, e) => sum + e.duration, 0);
    delete run.t0;
    delete run.t1;
  }
}

/** The workload's runs: `setup()` once, then `run(i)` for each run, `check(i, result)` after each. */
const workloads = {
  async reference() {
    const { instance } = await WebAssembly.instantiate(readFileSync(manifestEntry('reference').original));
    return { run: () => instance.exports.run(100_000_000), check: () => {} };
  },

  async churn() {
    return churnOf('churn');
  },

  async 'churn-quiet'() {
    return churnOf('churn-quiet');
  },

  async sqljs() {
    const entry = manifestEntry('sqljs');
    const SQL = await require('sql.js/dist/sql-wasm-debug.js')({ instantiateWasm: glueHook(entry) });
    return {
      run: () => sqlWork(SQL),
      check(rows) {
        if (rows !== 2901) fail(`sql.js read ${rows} rows, not the 2,901 its queries return`);
      },
    };
  },

  async treesitter() {
    const entry = manifestEntry('treesitter');
    const { Parser, Language } = await import('web-tree-sitter/debug');
    await Parser.init({ instantiateWasm: glueHook(entry) });
    const language = await Language.load(readFileSync(require.resolve('tree-sitter-javascript/tree-sitter-javascript.wasm')));
    const text = readFileSync(require.resolve('sql.js/dist/sql-wasm-debug.js'), 'utf8'); // 269 KB of real JS
    const parser = new Parser();
    parser.setLanguage(language);
    return {
      run() {
        const tree = parser.parse(text);
        const nodes = tree.rootNode.descendantCount;
        tree.delete();
        return nodes;
      },
      check(nodes) {
        if (nodes !== 61_038) fail(`tree-sitter parsed ${nodes} nodes, not the 61,038 of sql-wasm-debug.js`);
      },
    };
  },
};

/** The JS-hook baseline's record functions, and what they recorded. */
const jsHook = {
  traces: new Map(),
  allocs: 0,
  imports: {
    domain: new WebAssembly.Global({ value: 'i32' }, 1),
    alloc(domain, ptr, size) {
      jsHook.allocs++;
      jsHook.traces.set(ptr, { size, stack: new Error().stack });
    },
    free(domain, ptr) {
      jsHook.traces.delete(ptr);
    },
    realloc(domain, oldPtr, newPtr, size) {
      jsHook.allocs++;
      jsHook.traces.delete(oldPtr);
      jsHook.traces.set(newPtr, { size, stack: new Error().stack });
    },
  },
};

/** Instantiates the mode's module: linked to the trace table by the runtime, or to the JS hook. */
async function instantiate(module, imports, name) {
  if (mode === 'jshook') return WebAssembly.instantiate(module, { ...imports, 'wasm-tracemalloc': jsHook.imports }); // of a Module: the Instance
  return (await tm.instantiateTraced(module, imports, { name })).instance;
}

/** Emscripten's instantiateWasm hook: the mode's prepared bytes instead of the glue's own file. */
function glueHook(entry) {
  const module = new WebAssembly.Module(readFileSync(entry[build]));
  return (imports, receive) => {
    instantiate(module, imports, entry.name).then((instance) => receive(instance, module), (e) => fail(String(e?.stack ?? e)));
    return {};
  };
}

/** The churn: a fresh instance (and WASI) per run of one compiled module. */
function churnOf(name) {
  const entry = manifestEntry(name);
  const module = new WebAssembly.Module(readFileSync(entry[build]));
  let instance;
  let wasi;
  let pages;
  return {
    async before() {
      wasi = new WASI({ version: 'preview1', args: ['churn', String(CHURN_FACTS.pairs)], returnOnExit: true });
      instance = await instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport }, entry.name);
      pages = instance.exports.memory.buffer.byteLength / 65536;
    },
    run: () => wasi.start(instance),
    check(exitCode, run) {
      if (exitCode !== 0) fail(`the churn exited with ${exitCode}`);
      run.memoryGrowthPages = instance.exports.memory.buffer.byteLength / 65536 - pages;
      if (name === 'churn-quiet' && run.memoryGrowthPages !== 0) fail(`the GC-quiet churn grew its memory by ${run.memoryGrowthPages} pages: raise CHURN_QUIET_MEMORY in bench/common.mjs`);
    },
    // Each run traces its own live set from an empty table.
    restart() {
      tm.stop();
      tm.start(nframe, startOptions);
      jsHook.traces.clear();
    },
  };
}

// What the glue workloads' runs reach, below the exact peak (sql.js 1,593,663 B,
// tree-sitter 5,333,572 B, a few bytes more or less between runs) by enough for the
// sampled estimates (1.54-1.68 MB, 5.10-5.18 MB).
const GLUE_PEAK = { sqljs: 1_400_000, treesitter: 4_500_000 };

/**
 * What a traced run must have traced. The churn: its 100,002 live blocks exactly (or,
 * sampled, an estimate of their bytes within 10%). The glue workloads: their known
 * peak during the run, and no free of an untraced block (every allocation was seen).
 */
function checkTraced(run) {
  const stats = tm.getTracerStats();
  const [current, peak] = tm.getTracedMemory();
  run.traces = stats.traces;
  run.tracedPeakBytes = peak;
  if (workload.startsWith('churn')) {
    if (mode === 'sampled') {
      if (Math.abs(current / CHURN_FACTS.liveBytes - 1) > 0.1) fail(`sampled: estimated ${current} B live, not within 10% of the churn's ${CHURN_FACTS.liveBytes} B`);
    } else if (stats.traces !== CHURN_FACTS.liveBlocks) {
      fail(`traced ${stats.traces} live blocks, not the churn's ${CHURN_FACTS.liveBlocks}: the module was not traced`);
    }
  } else {
    if (peak < GLUE_PEAK[workload]) fail(`traced a peak of ${peak} B during the run, not the ${GLUE_PEAK[workload]} B or more it reaches: the module was not traced`);
    if (mode !== 'sampled' && stats.untracedFrees !== 0) fail(`${stats.untracedFrees} frees of untraced blocks: allocations were missed`);
  }
}

/** The JS hook must have seen the churn's live blocks, or the glue workloads' allocations. */
function checkHooked(run) {
  run.traces = jsHook.traces.size;
  run.allocs = jsHook.allocs;
  jsHook.allocs = 0;
  if (workload.startsWith('churn') ? run.traces !== CHURN_FACTS.liveBlocks : run.allocs === 0) fail(`the JS hook recorded ${run.traces} live blocks, ${run.allocs} allocations: the module was not traced`);
}

const w = await workloads[workload]?.();
if (!w) fail(`unknown workload ${workload}: churn, churn-quiet, sqljs, treesitter or reference`);
tm.start(nframe, startOptions);
const runs = [];
for (let i = 0; i < 1 + warmup + iterations; i++) {
  if (i > 0) w.restart?.();
  await w.before?.();
  tm.resetPeak();
  const run = await timed(w.run);
  w.check(run.result, run);
  delete run.result;
  if (tracing && workload !== 'reference') checkTraced(run);
  if (mode === 'jshook') checkHooked(run);
  runs.push(run);
}
await countCollections(runs);
process.stdout.write(`${JSON.stringify({ workload, mode, node: process.version, execArgv: process.execArgv, first: runs[0], steady: runs.slice(1 + warmup) })}\n`);
