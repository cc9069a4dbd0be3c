// The threaded churn: N threads each run malloc/free pairs at once on one shared
// memory, traced and untraced. Issue 18's target: traced ≤ 2× at 2 threads.
//
//   node bench/threads.mjs [--program emscripten|mt] [--rounds 10] [--pairs 1000000] [--threads 1,2] [--eager]
//
//   emscripten (default): test/threads/src/churn-mt.c built with Emscripten -pthread
//     -O2 (test/threads/build.sh): its dlmalloc with its lock, each thread keeping 1,000
//     live blocks and replacing a random one per pair; the program times its own
//     window, from a barrier to the last join. Both modes run with bench/
//     threads-preload.mjs (the runtime's hook, the tracer shared with every worker,
//     start()); the traced mode's .wasm is instrumented here beforehand.
//   mt: test/shared-memory/mt.c, a minimal locked size-class allocator (about 12 ns a
//     pair), which shows the tracer's own cost per pair; timed here around barriers.
//
// The protocol of bench/README: the instrumented bytes are made here, before any
// measured process; both modes load the runtime, share the tracer with their workers
// and call start(), so the processes differ only in the bytes. Each round runs one
// process per mode and thread count, in alternating order; a process times 5 barriers
// after 2 warm-up ones (steady state) and reports their median. The ratio is per
// round (traced / original of the same round), then the median over rounds with a
// bootstrap 95% interval. A traced process fails unless it traced exactly the blocks
// its threads kept.
//
//   node bench/threads.mjs --process MODE THREADS PAIRS   one measured process (internal)

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { importBuilt } from './common.mjs';
import { compareRounds, formatComparison, median } from './stats.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const CHURN_MT = `${here}../test/threads/build/release/`;
const OUT = `${here}out/threads/`;
const SOURCE = `${here}../test/shared-memory/mt.c`;
const WARMUP = 2;
const ITERATIONS = 5;
/** Blocks each thread keeps per barrier, so that a traced run proves what it traced. */
const KEEP = 100;

function fail(message) {
  process.stderr.write(`bench/threads.mjs: ${message}\n`);
  process.exit(1);
}

/** Builds mt.wasm (two steps: clang would run a wasm-opt on PATH) and its instrumented twin. */
async function prepare() {
  mkdirSync(OUT, { recursive: true });
  execFileSync('clang-19', ['--target=wasm32', '-O2', '-g', '-matomics', '-mbulk-memory', '-nostdlib', '-c', SOURCE, '-o', `${OUT}mt.o`]);
  execFileSync('wasm-ld-19', [`${OUT}mt.o`, '-o', `${OUT}original.wasm`, '--no-entry', '--import-memory', '--shared-memory', '--max-memory=1073741824', '--export=malloc', '--export=free', '--export=realloc']);
  const { instrument } = await importBuilt('../packages/instrument/dist/index.js', '@wasm-tracemalloc/instrument');
  const r = instrument(readFileSync(`${OUT}original.wasm`), { source: 'mt.wasm', maxFrames: 1 });
  if (r.status !== 'instrumented') fail(`the instrumenter found no allocator in mt.wasm (${r.status}): a traced run would trace nothing`);
  writeFileSync(`${OUT}traced.wasm`, r.bytes);
}

/** The Emscripten churn's directory, its .wasm instrumented: the glue and worker file are the same. */
async function prepareEmscripten() {
  for (const f of ['churn-mt.js', 'churn-mt.worker.js', 'churn-mt.wasm']) {
    try {
      readFileSync(`${CHURN_MT}${f}`);
    } catch {
      fail(`no ${CHURN_MT}${f}: build it with bash test/threads/build.sh (needs Debian's emscripten; scripts/setup.sh installs it)`);
    }
  }
  mkdirSync(`${OUT}emscripten/`, { recursive: true });
  for (const f of ['churn-mt.js', 'churn-mt.worker.js']) writeFileSync(`${OUT}emscripten/${f}`, readFileSync(`${CHURN_MT}${f}`));
  writeFileSync(`${OUT}emscripten/package.json`, '{ "type": "commonjs" }\n');
  const { instrument } = await importBuilt('../packages/instrument/dist/index.js', '@wasm-tracemalloc/instrument');
  const r = instrument(readFileSync(`${CHURN_MT}churn-mt.wasm`), { source: 'churn-mt.wasm', maxFrames: 1, glue: [{ name: 'churn-mt.js', text: readFileSync(`${CHURN_MT}churn-mt.js`, 'utf8') }] });
  if (r.status !== 'instrumented') fail(`the instrumenter found no allocator in churn-mt.wasm (${r.status}): a traced run would trace nothing`);
  writeFileSync(`${OUT}emscripten/churn-mt.wasm`, r.bytes);
}

/** One process of the Emscripten churn; its own measure of the window, in ms. */
function runEmscripten(mode, threads, pairs, flags) {
  const dir = mode === 'traced' ? `${OUT}emscripten/` : CHURN_MT;
  const env = { ...process.env, NODE_OPTIONS: '--no-experimental-fetch' };
  if (mode === 'traced') env.BENCH_EXPECT_TRACES = String(threads * 1000);
  const p = spawnSync(process.execPath, [...flags, '--import', `${here}threads-preload.mjs`, `${dir}churn-mt.js`, String(threads), String(pairs)], { encoding: 'utf8', env });
  if (p.status !== 0) fail(`${mode} churn-mt at ${threads} threads failed:\n${p.stderr}`);
  const m = /^total: \d+ threads, \d+ pairs in ([\d.]+) ms$/m.exec(p.stdout);
  if (!m) fail(`unexpected output of churn-mt:\n${p.stdout}`);
  return Number(m[1]);
}

/** One measured process: prints { ms: [per timed barrier] }. */
async function measure(mode, threads, pairs) {
  const tm = await importBuilt('../packages/runtime/dist/index.js', '@wasm-tracemalloc/runtime');
  const handle = tm.shareTracer();
  tm.install();
  tm.start(1);
  const memory = new WebAssembly.Memory({ initial: 256, maximum: 16384, shared: true });
  const module = new WebAssembly.Module(readFileSync(`${OUT}${mode}.wasm`));
  new WebAssembly.Instance(module, { env: { memory } });
  // [0] generation (barrier), [1] threads done in this generation, [2] threads ready
  const sync = new Int32Array(new SharedArrayBuffer(16));
  const workers = Array.from({ length: threads }, () => new Worker(new URL(import.meta.url), { workerData: { handle, module, memory, sync, pairs, rounds: WARMUP + ITERATIONS } }));
  const failed = new Promise((_, reject) => workers.forEach((w) => w.on('error', reject)));
  const waitFor = (index, value) => {
    while (Atomics.load(sync, index) < value) Atomics.wait(sync, index, Atomics.load(sync, index), 50);
  };
  waitFor(2, threads);
  const ms = [];
  for (let g = 1; g <= WARMUP + ITERATIONS; g++) {
    Atomics.store(sync, 1, 0);
    const t0 = performance.now();
    Atomics.store(sync, 0, g);
    Atomics.notify(sync, 0);
    waitFor(1, threads);
    if (g > WARMUP) ms.push(performance.now() - t0);
  }
  await Promise.race([Promise.all(workers.map((w) => new Promise((resolve) => w.on('exit', resolve)))), failed]);
  const traces = tm.getTracerStats().traces;
  // Each thread: its slots array, and KEEP blocks per barrier.
  const expected = threads * (1 + KEEP * (WARMUP + ITERATIONS));
  if (mode === 'traced' && traces !== expected) fail(`traced ${traces} live blocks, not the ${expected} the threads kept: the tracer missed or invented blocks`);
  if (mode === 'original' && traces !== 0) fail(`the original traced ${traces} blocks`);
  process.stdout.write(`${JSON.stringify({ ms })}\n`);
}

function worker() {
  const { handle, module, memory, sync, pairs, rounds } = workerData;
  return importBuilt('../packages/runtime/dist/index.js', '@wasm-tracemalloc/runtime').then((tm) => {
    if (!tm.joinTracer(handle)) throw new Error('no tracer slot');
    tm.install();
    const x = new WebAssembly.Instance(module, { env: { memory } }).exports;
    const slots = x.slots(KEEP * rounds);
    Atomics.add(sync, 2, 1);
    Atomics.notify(sync, 2);
    for (let g = 1; g <= rounds; g++) {
      while (Atomics.load(sync, 0) < g) Atomics.wait(sync, 0, g - 1, 50);
      x.churn(pairs, 16);
      x.make_blocks(slots + (g - 1) * KEEP * 4, KEEP, 8);
      Atomics.add(sync, 1, 1);
      Atomics.notify(sync, 1);
    }
    tm.leaveTracer();
  });
}

async function main() {
  const { values } = parseArgs({
    options: { program: { type: 'string', default: 'emscripten' }, rounds: { type: 'string', default: '10' }, pairs: { type: 'string', default: '1000000' }, threads: { type: 'string', default: '1,2' }, eager: { type: 'boolean', default: false } },
  });
  const rounds = Number(values.rounds);
  const pairs = Number(values.pairs);
  const counts = values.threads.split(',').map(Number);
  if (!(rounds >= 1 && pairs >= 1 && counts.every((n) => n >= 1 && n <= 64))) fail('--rounds, --pairs and --threads take positive whole numbers');
  const program = values.program;
  if (program !== 'emscripten' && program !== 'mt') fail(`--program ${program}: emscripten or mt`);
  if (program === 'emscripten' && counts.some((n) => n > 8)) fail('the Emscripten churn has a pool of 8 workers: --threads up to 8');
  if (program === 'mt') await prepare();
  else await prepareEmscripten();
  const flags = ['--expose-gc', ...(values.eager ? ['--no-liftoff', '--no-wasm-lazy-compilation'] : [])];
  const results = Object.fromEntries(counts.map((n) => [n, { original: [], traced: [] }]));
  for (let r = 0; r < rounds; r++) {
    for (const n of counts) {
      const order = r % 2 === 0 ? ['original', 'traced'] : ['traced', 'original'];
      for (const mode of order) {
        if (program === 'emscripten') {
          results[n][mode].push(runEmscripten(mode, n, pairs, flags));
          continue;
        }
        const p = spawnSync(process.execPath, [...flags, fileURLToPath(import.meta.url), '--process', mode, String(n), String(pairs)], { encoding: 'utf8' });
        if (p.status !== 0) fail(`${mode} at ${n} threads failed:\n${p.stderr}`);
        results[n][mode].push(median(JSON.parse(p.stdout).ms));
      }
    }
    process.stderr.write(`round ${r + 1}/${rounds}\n`);
  }
  const cpus = (await import('node:os')).cpus();
  console.log(`threaded churn (${program === 'emscripten' ? 'Emscripten -pthread, dlmalloc' : 'mt.c'}): ${pairs.toLocaleString('en-US')} malloc/free pairs per thread${program === 'mt' ? ' per barrier' : ''}, ${rounds} rounds, Node ${process.versions.node}${values.eager ? ', eager TurboFan' : ''}, ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}`);
  console.log('| threads | original ms (median) | traced ms (median) | traced / original [95% CI] | ns per pair added |');
  console.log('|---|---|---|---|---|');
  for (const n of counts) {
    const { original, traced } = results[n];
    const c = compareRounds(original, traced);
    const added = ((median(traced) - median(original)) * 1e6) / pairs; // each thread runs `pairs` in parallel
    console.log(`| ${n} | ${median(original).toFixed(1)} | ${median(traced).toFixed(1)} | ${formatComparison(c)} | ${added.toFixed(0)} |`);
  }
}

if (!isMainThread) await worker();
else if (process.argv[2] === '--process') await measure(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
else await main();
