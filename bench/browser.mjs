// The benchmark in a browser: node bench/browser.mjs [--browser chromium|firefox|webkit] [--rounds 15] [--workloads churn,sqljs,treesitter]
//   [--sample-bytes 4096] [--modes original,traced,deep1,deep16,sampled]
//
// bench/run.mjs measures in Node 20. Web developers run Wasm in a browser, whose V8
// is years newer: there the churn runs in about half the time, and the GC storm
// that dilutes Node's ratio (see run.mjs) is gone. This runs run.mjs's workloads
// in headless Chromium (Debian's, through puppeteer-core), one page per
// workload, five modes interleaved round by round, each run a fresh instance with a
// fresh trace table, a full GC before each, medians. With --browser firefox, the same
// in Debian's Firefox ESR (SpiderMonkey); with --browser webkit, in WebKitGTK's
// MiniBrowser (JavaScriptCore, Safari's engine) over WebDriver. Neither offers a page
// a way to force a GC: there each run waits 100 ms instead. The workloads:
//
//   churn   bench/churn.c, built as run.mjs builds it (common.mjs)
//   sqljs   sql.js's browser debug build through its own glue (a fresh copy per
//           run), which takes our module through Emscripten's instantiateWasm
//           hook; run.mjs's inserts and queries (sql-work.mjs)
//   treesitter  web-tree-sitter's debug build (its ES module served from
//           node_modules, a fresh import per run), the same hook, parsing
//           269 KB of JavaScript with tree-sitter-javascript
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
// estimate of their 66,807,999 bytes within 10%); every other
// traced run must have traced a peak of over 1 MB, and read (or parsed) what the
// original did; at start(16) some live trace (the churn's blocks, sql.js's
// leftovers, the parsed tree before it is freed) must have a deeper traceback.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { instrument } from 'wasm-tracemalloc';
import { launchChromium, launchFirefox, serveViewer } from '../packages/viewer/harness/browser.mjs';
import { launchWebKit } from '../packages/viewer/harness/webkit.mjs';
import { buildChurn, median } from './common.mjs';
import { sqlWork } from './sql-work.mjs';

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: {
    browser: { type: 'string', default: 'chromium' },
    rounds: { type: 'string', default: '15' },
    workloads: { type: 'string', default: 'churn,sqljs,treesitter' },
    'sample-bytes': { type: 'string', default: '4096' },
    // tree-sitter keeps each run's module alive (a fresh ES module import per run):
    // Chromium refuses Wasm memory beyond about 130 of them, so all five modes of
    // 15 rounds do not fit in one page; run it twice with fewer modes each.
    modes: { type: 'string', default: 'original,traced,deep1,deep16,sampled' },
  },
});
if (!['chromium', 'firefox', 'webkit'].includes(args.browser)) throw new Error(`--browser ${args.browser}: chromium, firefox or webkit`);
const ROUNDS = Number(args.rounds);
const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const core = b64(readFileSync(fileURLToPath(new URL('../packages/runtime/dist/trace-table.wasm', import.meta.url))));

/** The five modes of a module: its bytes (base64), the nframe to start with, and the sampling interval. */
function modesOf(original, source) {
  const deep = b64(instrument(original, { source }).bytes);
  const traced = b64(instrument(original, { source, maxFrames: 1 }).bytes);
  return [
    { name: 'original', bytes: b64(original) },
    { name: 'traced', bytes: traced, nframe: 1 },
    { name: 'deep1', bytes: deep, nframe: 1 },
    { name: 'deep16', bytes: deep, nframe: 16 },
    { name: 'sampled', bytes: traced, nframe: 1, samplingIntervalBytes: Number(args['sample-bytes']) },
  ];
}

// Runs in the page: `run(module, imports, table)` is the workload, timed by its
// caller; returns { times, userAgent }.
async function measure(modes, coreBytes, rounds, workload, extra) {
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
      const imports = { wasi_snapshot_preview1: wasi(() => instance.exports.memory, ['churn', '1000000']) };
      if (traceImports) imports['wasm-tracemalloc'] = traceImports;
      instance = await WebAssembly.instantiate(module, imports);
      await settle();
      const t0 = performance.now();
      try {
        instance.exports._start();
      } catch (e) {
        if (!(e instanceof Exit) || e.code !== 0) throw e;
      }
      return performance.now() - t0;
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

  let run = 0;
  for (let r = 0; r < rounds; r++) {
    for (const m of compiled) {
      let table;
      let traceImports;
      if (m.nframe) {
        table = (await WebAssembly.instantiate(coreModule, {})).exports;
        if (!table.start(m.nframe, m.samplingIntervalBytes ?? 0, (Math.random() * 2 ** 32) >>> 0)) throw new Error('the trace table could not start');
        const { alloc, free, realloc, put, sp, nframe } = table;
        traceImports = { domain: new WebAssembly.Global({ value: 'i32' }, 1), alloc, free, realloc, put, sp, nframe };
      }
      const result = await workloads[workload](m.module, traceImports, run++);
      times[m.name].push(typeof result === 'number' ? result : result.ms);
      if (table) {
        const live = table.traceCount();
        const peak = table.peakBytes();
        const churnOk = m.samplingIntervalBytes ? Math.abs(table.currentBytes() / 66807999 - 1) < 0.1 : live === 100002;
        if (workload === 'churn' ? !churnOk : peak < 1e6) throw new Error(`${workload} ${m.name}: ${live} live traces at the end (${table.currentBytes()} B), peak ${peak} B`);
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

const LABELS = {
  original: 'original',
  traced: 'traced (maxFrames 1, start(1))',
  deep1: 'shadow stack, start(1)',
  deep16: 'shadow stack, start(16)',
  sampled: `sampled (maxFrames 1, start(1), one per ${args['sample-bytes']} B)`,
};

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

const browser =
  args.browser === 'firefox'
    ? await launchFirefox({ protocolTimeout: 1_800_000 })
    : args.browser === 'webkit'
      ? await launchWebKit({ timeoutMs: 1_800_000 })
      : await launchChromium({ args: ['--js-flags=--expose-gc'] });
try {
  for (const workload of args.workloads.split(',')) {
    let modes;
    const extra = { sqlWork: sqlWork.toString() };
    const page = args.browser === 'webkit' ? webKitPage(browser) : await browser.newPage();
    if (args.browser === 'webkit') await page.goto('about:blank');
    let server;
    if (workload === 'churn') {
      modes = modesOf(readFileSync(buildChurn()), 'churn.wasm');
    } else if (workload === 'sqljs') {
      modes = modesOf(readFileSync(require.resolve('sql.js/dist/sql-wasm-browser-debug.wasm')), 'sql-wasm-browser-debug.wasm');
      extra.glue = readFileSync(require.resolve('sql.js/dist/sql-wasm-browser-debug.js'), 'utf8');
    } else if (workload === 'treesitter') {
      const wasm = require.resolve('web-tree-sitter/debug/web-tree-sitter.wasm');
      modes = modesOf(readFileSync(wasm), 'web-tree-sitter.wasm');
      // The module is imported from the page's own origin.
      server = await serveViewer({ wts: dirname(dirname(wasm)) });
      await page.goto(`${server.url}wts/package.json`);
      extra.moduleUrl = '/wts/debug/web-tree-sitter.js';
      extra.language = b64(readFileSync(require.resolve('tree-sitter-javascript/tree-sitter-javascript.wasm')));
      extra.text = readFileSync(require.resolve('sql.js/dist/sql-wasm-debug.js'), 'utf8'); // 269 KB of real JS, as in run.mjs
    } else {
      throw new Error(`unknown workload ${workload} (churn, sqljs, treesitter)`);
    }
    const wanted = args.modes.split(',');
    if (!wanted.includes('original')) throw new Error('--modes must include original: the ratios are to it');
    modes = modes.filter((m) => wanted.includes(m.name));
    const { times, userAgent } = await page.evaluate(measure, modes, core, ROUNDS, workload, extra);
    await page.close();
    await server?.close();
    const version = /(Chrome|Firefox)\/(\S+)/.exec(userAgent);
    const engine = args.browser === 'webkit' ? `WebKitGTK ${browser.version} under Xvfb` : version ? `headless ${version[1] === 'Chrome' ? 'Chromium' : 'Firefox'} ${version[2]}` : userAgent;
    const base = median(times.original);
    console.log(`\n${workload}: medians of ${ROUNDS} interleaved runs in one page, ${engine}.\n`);
    console.log('| mode | median | ratio | min-max |');
    console.log('|---|---|---|---|');
    for (const name of Object.keys(LABELS).filter((n) => wanted.includes(n))) {
      const xs = times[name];
      const m = median(xs);
      console.log(`| ${LABELS[name]} | ${m.toFixed(1)} ms | **${(m / base).toFixed(2)}×** | ${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)} ms |`);
    }
  }
} finally {
  await browser.close();
}
