// The churn in Chromium: node bench/churn-browser.mjs [--rounds 15]
//
// bench/run.mjs measures in Node 20. Web developers run Wasm in a browser, whose V8
// is years newer: there the same churn runs in about half the time, and the GC
// storm that dilutes Node's ratio (see run.mjs) is gone. This runs the churn
// (bench/out/churn.wasm, built here if missing, as run.mjs builds it) in headless
// Chromium (Debian's, through puppeteer-core), one page, four modes interleaved
// round by round, each run a fresh instance with a fresh trace table, a full GC
// before each, medians:
//
//   original  the uninstrumented module
//   traced    instrumented with maxFrames 1, start(1)
//   deep1     instrumented with the default 128-frame shadow stack, start(1)
//   deep16    the same, start(16)
//
// The page links the trace table core (packages/runtime/dist/trace-table.wasm, the
// bytes the runtime embeds) the way the runtime does: its exports are passed
// straight in as the module's "wasm-tracemalloc" imports, so the hot path is the
// runtime's. The JS API (snapshots, the sampler) is not on it and is left out.
// Every traced run must end with the churn's 100,002 live blocks traced.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { instrument } from 'wasm-tracemalloc';
import { launchChromium } from '../packages/viewer/harness/browser.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '15' } } });
const ROUNDS = Number(args.rounds);

const churn = `${here}out/churn.wasm`;
if (!existsSync(churn)) execFileSync('clang-19', ['--target=wasm32-wasi', '-O2', '-g', `${here}churn.c`, '-o', churn], { stdio: 'inherit' });
const original = readFileSync(churn);
const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const modes = [
  { name: 'original', bytes: b64(original) },
  { name: 'traced', bytes: b64(instrument(original, { source: 'churn.wasm', maxFrames: 1 }).bytes), nframe: 1 },
  { name: 'deep1', bytes: b64(instrument(original, { source: 'churn.wasm' }).bytes), nframe: 1 },
  { name: 'deep16', bytes: b64(instrument(original, { source: 'churn.wasm' }).bytes), nframe: 16 },
];
const core = b64(readFileSync(fileURLToPath(new URL('../packages/runtime/dist/trace-table.wasm', import.meta.url))));

const browser = await launchChromium({ args: ['--js-flags=--expose-gc'] });
let result;
try {
  const page = await browser.newPage();
  result = await page.evaluate(
    async (modes, coreBytes, rounds) => {
      const decode = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
      const coreModule = await WebAssembly.compile(decode(coreBytes));
      const compiled = await Promise.all(modes.map(async (m) => ({ ...m, module: await WebAssembly.compile(decode(m.bytes)) })));
      const times = Object.fromEntries(modes.map((m) => [m.name, []]));
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
      for (let r = 0; r < rounds; r++) {
        for (const m of compiled) {
          let instance;
          const imports = { wasi_snapshot_preview1: wasi(() => instance.exports.memory, ['churn', '1000000']) };
          let table;
          if (m.nframe) {
            table = (await WebAssembly.instantiate(coreModule, {})).exports;
            if (!table.start(m.nframe)) throw new Error('the trace table could not start');
            const { alloc, free, realloc, put, sp, nframe } = table;
            imports['wasm-tracemalloc'] = { domain: new WebAssembly.Global({ value: 'i32' }, 1), alloc, free, realloc, put, sp, nframe };
          }
          instance = await WebAssembly.instantiate(m.module, imports);
          gc();
          await new Promise((resolve) => setTimeout(resolve, 20));
          const t0 = performance.now();
          try {
            instance.exports._start();
          } catch (e) {
            if (!(e instanceof Exit) || e.code !== 0) throw e;
          }
          times[m.name].push(performance.now() - t0);
          if (table) {
            const live = table.traceCount();
            if (live !== 100002) throw new Error(`${m.name}: ${live} live traces at exit, not the churn's 100,002`);
            table.stop();
          }
        }
      }
      return { times, userAgent: navigator.userAgent };
    },
    modes.map(({ name, bytes, nframe }) => ({ name, bytes, nframe })),
    core,
    ROUNDS,
  );
} finally {
  await browser.close();
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const version = /Chrome\/(\S+)/.exec(result.userAgent)?.[1] ?? result.userAgent;
const base = median(result.times.original);
console.log(`Medians of ${ROUNDS} interleaved runs in one page, headless Chromium ${version}.\n`);
console.log('| churn (1M free+malloc rounds) | median | ratio | min-max |');
console.log('|---|---|---|---|');
for (const [name, label] of [
  ['original', 'original'],
  ['traced', 'traced (maxFrames 1, start(1))'],
  ['deep1', 'shadow stack, start(1)'],
  ['deep16', 'shadow stack, start(16)'],
]) {
  const xs = result.times[name];
  const m = median(xs);
  console.log(`| ${label} | ${m.toFixed(1)} ms | **${(m / base).toFixed(2)}×** | ${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)} ms |`);
}
