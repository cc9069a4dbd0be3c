// The benchmark protocol in a browser (docs/PERFORMANCE.md):
//   node bench/browser.mjs [--browser chromium|firefox|webkit] [--launches 20]
//     [--workloads churn,churn-quiet,sqljs] [--modes original,traced,deep16,sampled]
//     [--warmup 2] [--iterations 5] [--sample-bytes 4096] [--eager] [--out bench/out/BROWSER]
//
// The Node protocol (bench/run.mjs) with a browser launch in place of a process: each
// launch is a fresh browser, one page per workload, in which every mode runs
// 1 + warmup + iterations times, the modes and the compute-only reference loop in an
// order that rotates from round to round. A launch's first run and its steady time
// (the median of the last `iterations`) pair with the original's of the same launch;
// the ratios over the launches get a median and a bootstrap 95% interval
// (bench/stats.mjs), "within noise" when it holds 1. --eager (Chromium only) runs
// V8 with --no-liftoff --no-wasm-lazy-compilation.
//
// Headless Chromium (Debian's, through puppeteer-core) forces a full GC before each
// run; Debian's Firefox ESR (SpiderMonkey) and WebKitGTK's MiniBrowser
// (JavaScriptCore, over WebDriver, under Xvfb) offer a page no way to, so each run
// waits 100 ms instead. The modules are instrumented here, in Node, before any page
// exists. The workloads:
//
//   churn        bench/churn.c, built as bench/prepare.mjs builds it (memory grows)
//   churn-quiet  the same with its memory pre-sized (CHURN_QUIET_MEMORY)
//   sqljs        sql.js's browser debug build through its own glue (a fresh copy per
//                run), which takes our module through Emscripten's instantiateWasm
//                hook; bench/sql-work.mjs's inserts and queries
//   treesitter   web-tree-sitter's debug build (its ES module served from
//                node_modules, a fresh import per run), the same hook, parsing
//                269 KB of JavaScript with tree-sitter-javascript
//
// and the modes:
//
//   original  the uninstrumented module
//   traced    instrumented with maxFrames 1, start(1)
//   deep1     instrumented with the default 128-frame shadow stack, start(1)
//   deep16    the same, start(16)
//   sampled   instrumented with maxFrames 1, start(1, { samplingIntervalBytes: 4096 })
//             (--sample-bytes): one block per 4 KiB allocated on average
//
// The page links the trace table core (packages/runtime/dist/trace-table.wasm, the
// bytes the runtime embeds) the way the runtime does: its exports are passed
// straight in as the module's "wasm-tracemalloc" imports, so the hot path is the
// runtime's. The JS API (snapshots, the sampler) is not on it and is left out.
// Every traced churn must end with its 100,002 live blocks traced (sampled: an
// estimate of their 66,807,999 bytes within 10%); every other traced run must have
// traced a peak of over 1 MB, and read (or parsed) what the original did; at
// start(16) some live trace (the churn's blocks, sql.js's leftovers, the parsed
// tree before it is freed) must have a deeper traceback.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchChromium, launchFirefox, serveViewer } from '../packages/viewer/harness/browser.mjs';
import { launchWebKit } from '../packages/viewer/harness/webkit.mjs';
import { buildChurn, CHURN_FACTS, CHURN_QUIET_MEMORY, importBuilt } from './common.mjs';
import { prepareModules } from './prepare.mjs';
import { sqlWork } from './sql-work.mjs';
import { compareMode, driftNote, machineDrift, modeLabels, modeRow, tableHeader, WORKLOAD_TITLES } from './report.mjs';
import { median } from './stats.mjs';

const { instrument } = await importBuilt('wasm-tracemalloc', 'wasm-tracemalloc (packages/cli)');
const require = createRequire(import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({
  options: {
    browser: { type: 'string', default: 'chromium' },
    launches: { type: 'string', default: '20' },
    workloads: { type: 'string', default: 'churn,churn-quiet,sqljs' },
    'sample-bytes': { type: 'string', default: '4096' },
    // tree-sitter keeps each run's module alive (a fresh ES module import per run):
    // Chromium refuses Wasm memory beyond about 130 of them in one page.
    modes: { type: 'string', default: 'original,traced,deep16,sampled' },
    warmup: { type: 'string', default: '2' },
    iterations: { type: 'string', default: '5' },
    eager: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
function usage(message) {
  process.stderr.write(`bench/browser.mjs: ${message}\n`);
  process.exit(2);
}
if (!['chromium', 'firefox', 'webkit'].includes(args.browser)) usage(`--browser ${args.browser}: chromium, firefox or webkit`);
if (args.eager && args.browser !== 'chromium') usage('--eager sets V8 flags: Chromium only');
const whole = (name, min) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < min) usage(`--${name} ${args[name]}: a whole number of at least ${min}`);
  return n;
};
const LAUNCHES = whole('launches', 2);
const WARMUP = whole('warmup', 0);
const ITERATIONS = whole('iterations', 1);
const ROUNDS = 1 + WARMUP + ITERATIONS;
const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const core = b64(readFileSync(fileURLToPath(new URL('../packages/runtime/dist/trace-table.wasm', import.meta.url))));
const reference = b64(readFileSync(prepareModules(['reference']).reference.original));

/**
 * The bytes with a custom section naming `mode` appended. Modes that run the same
 * build (traced and sampled; deep1 and deep16) must not run the same bytes in one
 * page: V8 shares the compiled code of identical bytes, so the second of them would
 * start with the first one's lazily compiled and tiered-up functions, and its first
 * run would look faster than it is.
 */
function distinct(bytes, mode) {
  const name = Buffer.from(`wasm-tracemalloc.bench.${mode}`);
  const leb = (n) => (n < 128 ? [n] : [(n & 0x7f) | 0x80, n >> 7]);
  const content = Buffer.concat([Buffer.from(leb(name.length)), name]);
  return Buffer.concat([Buffer.from(bytes), Buffer.from([0, ...leb(content.length)]), content]);
}

/** The modes of a module, and the reference loop: bytes (base64), the nframe to start with, the sampling interval. */
function modesOf(original, source) {
  const deep = instrument(original, { source }).bytes;
  const traced = instrument(original, { source, maxFrames: 1 }).bytes;
  return [
    { name: 'original', bytes: b64(original) },
    { name: 'traced', bytes: b64(distinct(traced, 'traced')), nframe: 1 },
    { name: 'deep1', bytes: b64(distinct(deep, 'deep1')), nframe: 1 },
    { name: 'deep16', bytes: b64(distinct(deep, 'deep16')), nframe: 16 },
    { name: 'sampled', bytes: b64(distinct(traced, 'sampled')), nframe: 1, samplingIntervalBytes: Number(args['sample-bytes']) },
    { name: 'reference', bytes: reference },
  ];
}

// Runs in the page: every mode `rounds` times, in an order that rotates by round and
// starts `offset` places on (the launch's number: the first run of a page pays for
// compiling the page's own JS, and no mode may always be the one that pays);
// returns { times: { mode: [ms of each round] }, userAgent }.
async function measure(modes, coreBytes, rounds, workload, extra, facts, offset) {
  const sqlWork = (0, eval)(`(${extra.sqlWork})`);
  const decode = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const coreModule = await WebAssembly.compile(decode(coreBytes));
  const compiled = await Promise.all(modes.map(async (m) => ({ ...m, module: await WebAssembly.compile(decode(m.bytes)) })));
  const times = Object.fromEntries(modes.map((m) => [m.name, []]));
  const settle = async () => {
    if (typeof gc === 'function') gc();
    await new Promise((resolve) => setTimeout(resolve, typeof gc === 'function' ? 20 : 100));
  };

  class Exit {
    constructor(code) {
      this.code = code;
    }
  }
  // The three WASI calls the churn makes.
  const wasi = (memory, argv) => ({
    args_sizes_get(count, size) {
      const v = new DataView(memory().buffer);
      v.setUint32(count, argv.length, true);
      v.setUint32(size, argv.reduce((n, a) => n + a.length + 1, 0), true);
      return 0;
    },
    args_get(pointers, buffer) {
      const v = new DataView(memory().buffer);
      const u = new Uint8Array(memory().buffer);
      for (const a of argv) {
        v.setUint32(pointers, buffer, true);
        pointers += 4;
        for (const c of a) u[buffer++] = c.charCodeAt(0);
        u[buffer++] = 0;
      }
      return 0;
    },
    proc_exit(code) {
      throw new Exit(code);
    },
  });

  // Emscripten's hook: our module (traced or not) instead of the glue's fetch.
  const instantiateWith = (module, traceImports) => (imports, receive) => {
    WebAssembly.instantiate(module, traceImports ? { ...imports, 'wasm-tracemalloc': traceImports } : imports).then((instance) => receive(instance, module));
    return {};
  };
  let sameAsOriginal;
  const workloads = {
    async churn(module, traceImports) {
      let instance;
      const imports = { wasi_snapshot_preview1: wasi(() => instance.exports.memory, ['churn', String(facts.pairs)]) };
      if (traceImports) imports['wasm-tracemalloc'] = traceImports;
      instance = await WebAssembly.instantiate(module, imports);
      const bytes = instance.exports.memory.buffer.byteLength;
      await settle();
      const t0 = performance.now();
      try {
        instance.exports._start();
      } catch (e) {
        if (!(e instanceof Exit) || e.code !== 0) throw e;
      }
      const ms = performance.now() - t0;
      if (workload === 'churn-quiet' && instance.exports.memory.buffer.byteLength !== bytes) throw new Error('the GC-quiet churn grew its memory: raise CHURN_QUIET_MEMORY in bench/common.mjs');
      return ms;
    },
    async sqljs(module, traceImports) {
      // The glue caches its first initialization: a fresh copy per run.
      const initSqlJs = (0, eval)(`${extra.glue}\n;initSqlJs`);
      const SQL = await initSqlJs({ instantiateWasm: instantiateWith(module, traceImports) });
      await settle();
      const t0 = performance.now();
      const rows = sqlWork(SQL);
      const ms = performance.now() - t0;
      // Every mode must read what the original read.
      sameAsOriginal ??= rows;
      if (rows !== sameAsOriginal) throw new Error(`sql.js: ${rows} rows, the original read ${sameAsOriginal}`);
      return ms;
    },
    async treesitter(module, traceImports, run) {
      // The module keeps its first initialization: a fresh import per run.
      const { Parser, Language } = await import(`${extra.moduleUrl}?run=${run}`);
      await Parser.init({ instantiateWasm: instantiateWith(module, traceImports) });
      const language = await Language.load(decode(extra.language));
      const parser = new Parser();
      parser.setLanguage(language);
      await settle();
      const t0 = performance.now();
      const tree = parser.parse(extra.text);
      const nodes = tree.rootNode.descendantCount;
      const ms = performance.now() - t0;
      sameAsOriginal ??= nodes;
      if (nodes !== sameAsOriginal) throw new Error(`tree-sitter: ${nodes} nodes, the original parsed ${sameAsOriginal}`);
      // The tree is checked while it lives (see below), then freed.
      return { ms, cleanup: () => (tree.delete(), parser.delete()) };
    },
  };

  const referenceLoop = async (module) => {
    const { exports } = await WebAssembly.instantiate(module, {});
    await settle();
    const t0 = performance.now();
    exports.run(100_000_000);
    return performance.now() - t0;
  };
  let run = 0;
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < compiled.length; k++) {
      const m = compiled[(offset + r + k) % compiled.length];
      if (m.name === 'reference') {
        times.reference.push(await referenceLoop(m.module));
        continue;
      }
      let table;
      let traceImports;
      if (m.nframe) {
        table = (await WebAssembly.instantiate(coreModule, {})).exports;
        if (!table.start(m.nframe, m.samplingIntervalBytes ?? 0, (Math.random() * 2 ** 32) >>> 0)) throw new Error('the trace table could not start');
        const { alloc, free, realloc, put, sp, nframe } = table;
        traceImports = { domain: new WebAssembly.Global({ value: 'i32' }, 1), alloc, free, realloc, put, sp, nframe };
      }
      const result = await workloads[workload.startsWith('churn') ? 'churn' : workload](m.module, traceImports, run++);
      times[m.name].push(typeof result === 'number' ? result : result.ms);
      if (table) {
        const live = table.traceCount();
        const peak = table.peakBytes();
        const churnOk = m.samplingIntervalBytes ? Math.abs(table.currentBytes() / facts.liveBytes - 1) < 0.1 : live === facts.liveBlocks;
        if (workload.startsWith('churn') ? !churnOk : peak < 1e6) throw new Error(`${workload} ${m.name}: ${live} live traces at the end (${table.currentBytes()} B), peak ${peak} B`);
        // With nframe > 1, the shadow stack must show: some live trace has a deeper traceback.
        if (m.nframe > 1) {
          const at = table.snapshot() >>> 0;
          const words = new Uint32Array(table.memory.buffer, at, 1 + 2 * live);
          let deepest = 0;
          for (let i = 0; i < live; i++) deepest = Math.max(deepest, table.tbNframe(words[1 + 2 * i]));
          if (deepest < 2) throw new Error(`${workload} ${m.name}: no traceback deeper than one frame`);
        }
      }
      result.cleanup?.();
      table?.stop();
    }
  }
  return { times, userAgent: navigator.userAgent };
}

const LABELS = modeLabels(args['sample-bytes']);
delete LABELS.jshook; // Node only
const TITLES = WORKLOAD_TITLES;

/** A page of the WebKit session (it has one): what this script uses of puppeteer's Page. */
const webKitPage = (session) => ({
  goto: (url) => session.goto(url),
  async evaluate(fn, ...args) {
    const script = `const done = arguments[arguments.length - 1];
(${fn})(...Array.prototype.slice.call(arguments, 0, -1)).then(done, (e) => done({ error: String(e?.stack ?? e) }));`;
    const result = await session.execute(script, ...args);
    if (result?.error) throw new Error(`in WebKit: ${result.error}`);
    return result;
  },
  close: async () => {},
});

const launch = () =>
  args.browser === 'firefox'
    ? launchFirefox({ protocolTimeout: 1_800_000 })
    : args.browser === 'webkit'
      ? launchWebKit({ timeoutMs: 1_800_000 })
      : launchChromium({ args: [`--js-flags=--expose-gc${args.eager ? ' --no-liftoff --no-wasm-lazy-compilation' : ''}`] });

const wanted = args.modes.split(',');
if (wanted[0] !== 'original') usage('--modes must start with original: every ratio is to it');
const unknownModes = wanted.filter((m) => !(m in LABELS));
if (unknownModes.length) usage(`--modes: unknown ${unknownModes.join(', ')}; known: ${Object.keys(LABELS).join(', ')}`);
const workloadNames = args.workloads.split(',');
const unknownWorkloads = workloadNames.filter((w) => !(w in TITLES));
if (unknownWorkloads.length) usage(`--workloads: unknown ${unknownWorkloads.join(', ')}; known: ${Object.keys(TITLES).join(', ')}`);

/** The modes, page extras and server of one workload, made once for every launch. */
async function setUp(workload) {
  const extra = { sqlWork: sqlWork.toString() };
  let modes;
  let server;
  if (workload === 'churn') {
    modes = modesOf(readFileSync(buildChurn({ name: 'churn' })), 'churn.wasm');
  } else if (workload === 'churn-quiet') {
    modes = modesOf(readFileSync(buildChurn({ name: 'churn-quiet', initialMemoryBytes: CHURN_QUIET_MEMORY })), 'churn.wasm');
  } else if (workload === 'sqljs') {
    modes = modesOf(readFileSync(require.resolve('sql.js/dist/sql-wasm-browser-debug.wasm')), 'sql-wasm-browser-debug.wasm');
    extra.glue = readFileSync(require.resolve('sql.js/dist/sql-wasm-browser-debug.js'), 'utf8');
  } else {
    const wasm = require.resolve('web-tree-sitter/debug/web-tree-sitter.wasm');
    modes = modesOf(readFileSync(wasm), 'web-tree-sitter.wasm');
    // The module is imported from the page's own origin.
    server = await serveViewer({ wts: dirname(dirname(wasm)) });
    extra.moduleUrl = '/wts/debug/web-tree-sitter.js';
    extra.language = b64(readFileSync(require.resolve('tree-sitter-javascript/tree-sitter-javascript.wasm')));
    extra.text = readFileSync(require.resolve('sql.js/dist/sql-wasm-debug.js'), 'utf8'); // 269 KB of real JS, as in run.mjs
  }
  return { modes: modes.filter((m) => m.name === 'reference' || wanted.includes(m.name)), extra, server };
}

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const setups = Object.fromEntries(await Promise.all(workloadNames.map(async (w) => [w, await setUp(w)])));
// per workload, per mode: one { first, steady } per launch
const perLaunch = Object.fromEntries(workloadNames.map((w) => [w, Object.fromEntries([...wanted, 'reference'].map((m) => [m, []]))]));
let engine;
try {
  for (let l = 0; l < LAUNCHES; l++) {
    const browser = await launch();
    try {
      for (const workload of workloadNames) {
        const { modes, extra, server } = setups[workload];
        const page = args.browser === 'webkit' ? webKitPage(browser) : await browser.newPage();
        await page.goto(server ? `${server.url}wts/package.json` : 'about:blank');
        const { times, userAgent } = await page.evaluate(measure, modes, core, ROUNDS, workload, extra, CHURN_FACTS, l);
        await page.close();
        for (const [mode, xs] of Object.entries(times)) perLaunch[workload][mode].push({ first: xs[0], steady: median(xs.slice(1 + WARMUP)), all: xs });
        const version = /(Chrome|Firefox)\/(\S+)/.exec(userAgent);
        engine = args.browser === 'webkit' ? `WebKitGTK ${browser.version} under Xvfb` : version ? `headless ${version[1] === 'Chrome' ? 'Chromium' : 'Firefox'} ${version[2]}` : userAgent;
      }
    } finally {
      await browser.close();
    }
    process.stderr.write(`launch ${l + 1}/${LAUNCHES} (${elapsed()})\n`);
  }
} finally {
  for (const { server } of Object.values(setups)) await server?.close();
}

const sections = [
  `${engine}${args.eager ? ', eager TurboFan (`--js-flags=--no-liftoff --no-wasm-lazy-compilation`)' : ''}: ${LAUNCHES} browser launches; in each, every mode runs once (first run), ${WARMUP} times to warm up, then ${ITERATIONS} times (steady: their median). Ratios: median of per-launch paired ratios, bootstrap 95% CI; "within noise" when the CI holds 1.`,
  '',
];
const results = { engine, eager: args.eager, launches: LAUNCHES, warmup: WARMUP, iterations: ITERATIONS, sampleBytes: Number(args['sample-bytes']), workloads: {} };
for (const workload of workloadNames) {
  const runs = perLaunch[workload];
  const times = (m) => ({ first: runs[m].map((x) => x.first), steady: runs[m].map((x) => x.steady) });
  const pairs = workload.startsWith('churn') ? CHURN_FACTS.pairs : undefined;
  const comparisons = {};
  const rows = wanted.map((m) => {
    comparisons[m] = m === 'original' ? undefined : compareMode(times('original'), times(m), pairs);
    return modeRow(LABELS[m], times(m), comparisons[m], { nsPerPair: !!pairs });
  });
  const reference = machineDrift(times('reference').steady);
  const markdown = [`**${TITLES[workload]}**`, '', ...tableHeader(pairs ? ['ns per pair [95% CI]'] : []), ...rows, '', driftNote(reference), ''].join('\n');
  results.workloads[workload] = { runs, comparisons, reference };
  sections.push(markdown);
  process.stdout.write(`${markdown}\n`);
}
sections.push(`Took ${elapsed()}.`);
const out = args.out ?? `${here}out/${args.browser}${args.eager ? '-eager' : ''}`;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${out}.md`, `${sections.join('\n')}\n`);
process.stderr.write(`wrote ${out}.md and ${out}.json (${elapsed()})\n`);
