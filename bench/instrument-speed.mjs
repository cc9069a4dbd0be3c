// Instrumentation speed: node bench/instrument-speed.mjs
// For modules of about 0.2, 1, 10 and 16 MB: binaryen's own read + validate + emit of
// the whole module (what a pass costs that has binaryen read all code), instrument()
// as it was, with binaryen reading all code (`binaryenReadsAllCode`), and instrument()
// as it is, where binaryen reads only the functions it changes and the rest of the
// code is relocated into its output in the bytes (packages/instrument/src/binary/
// relocate.ts); at maxFrames 1 and 128. binaryen reads each module without its DWARF,
// as the pass hands it over; instrument() also symbolizes from that DWARF (symbols
// 'embed', the default). Medians of 5 after one warm-up (3 for the slow binaryen-reads-
// all-code columns), in one process: compare columns within one run, as the machine's
// load moves all of them.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import binaryen from 'binaryen';
import { instrument } from 'wasm-tracemalloc';
import { stripCustomSections, isDebugSection } from '../packages/instrument/dist/index.js';
import { median } from './common.mjs';

const require = createRequire(import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));
mkdirSync(`${here}out`, { recursive: true });
const big = `${here}out/big.wasm`;
if (!existsSync(big)) {
  writeFileSync(`${here}out/big.c`, execFileSync('python3', [`${here}gen-big.py`, '14000'], { maxBuffer: 64 << 20 }));
  execFileSync('clang-19', ['--target=wasm32-wasi', '-O0', `${here}out/big.c`, '-o', big, '-Wl,--export-all']);
}

/** What the pass adds to the floor, signed: "+24%", "-3%" (within noise of it). */
const added = (ms, floor) => `${ms >= floor ? '+' : '-'}${Math.abs((ms / floor - 1) * 100).toFixed(0)}%`;

/** lightningcss-wasm (Rust, 15.8 MB) is a dependency of the tests, not of bench/. */
function lightningcss() {
  try {
    const main = createRequire(new URL('../test/package.json', import.meta.url)).resolve('lightningcss-wasm');
    const file = join(dirname(main), 'lightningcss_node.wasm');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

const modules = [
  ['web-tree-sitter.wasm (release)', require.resolve('web-tree-sitter/web-tree-sitter.wasm')],
  ['sql-wasm-debug.wasm', require.resolve('sql.js/dist/sql-wasm-debug.wasm')],
  ['big.wasm (generated C, -O0)', big],
  ['lightningcss_node.wasm (Rust, release)', lightningcss()],
].filter(([name, file]) => {
  if (!file) process.stderr.write(`${name}: not installed (pnpm install), skipped\n`);
  return file !== undefined;
});
const time = (f, runs = 5) => {
  f();
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    ms.push(performance.now() - t0);
  }
  return median(ms);
};

const rows = [];
for (const [name, file] of modules) {
  const bytes = new Uint8Array(readFileSync(file));
  const stripped = stripCustomSections(bytes, isDebugSection).bytes;
  const floor = time(() => {
    binaryen.setDebugInfo(true);
    const m = binaryen.readBinary(stripped);
    m.setFeatures(binaryen.Features.All);
    m.validate();
    m.emitBinary();
    m.dispose();
  }, 3);
  const before = (maxFrames) => time(() => instrument(bytes, { source: name, maxFrames, binaryenReadsAllCode: true }), 3);
  const now = (maxFrames) => time(() => instrument(bytes, { source: name, maxFrames }));
  // The new path first: the old one leaves a heap of garbage that a later timing would collect.
  const [one, deep, oneBefore, deepBefore] = [now(1), now(128), before(1), before(128)];
  const mb = bytes.length / 1e6;
  const faster = (b, n) => `${(b / n).toFixed(1)}× faster`;
  rows.push(
    `| ${name} | ${mb.toFixed(2)} MB | ${floor.toFixed(0)} ms | ${oneBefore.toFixed(0)} ms | **${one.toFixed(0)} ms** (${faster(oneBefore, one)}, ${(mb / (one / 1000)).toFixed(1)} MB/s) ` +
      `| ${deepBefore.toFixed(0)} ms | **${deep.toFixed(0)} ms** (${faster(deepBefore, deep)}, ${(mb / (deep / 1000)).toFixed(1)} MB/s) |`,
  );
  process.stderr.write(`${rows.at(-1)}\n`);
}
const table = [
  '| module | size | binaryen read + validate + emit, whole module | maxFrames 1: binaryen reads all code | maxFrames 1: binaryen reads what it changes | maxFrames 128: binaryen reads all code | maxFrames 128: binaryen reads what it changes |',
  '|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
writeFileSync(`${here}out/instrument-speed.md`, `${table}\n`);
process.stdout.write(`${table}\n`);
