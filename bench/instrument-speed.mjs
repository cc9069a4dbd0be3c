// Instrumentation speed: node bench/instrument-speed.mjs
// For modules of about 0.2, 1 and 10 MB: binaryen's own read + validate + emit (the
// floor of any binaryen-based pass) against instrument() with maxFrames 1 and 128.
// The floor reads the module without its DWARF, as the pass hands it to binaryen
// (binaryen's DWARF handling would otherwise dominate debug builds); instrument()
// also symbolizes from that DWARF (symbols 'embed', the default).
// Medians of 5 after one warm-up, in one process.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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

const modules = [
  ['web-tree-sitter.wasm (release)', require.resolve('web-tree-sitter/web-tree-sitter.wasm')],
  ['sql-wasm-debug.wasm', require.resolve('sql.js/dist/sql-wasm-debug.wasm')],
  ['big.wasm (generated C, -O0)', big],
];
const time = (f) => {
  f();
  const ms = [];
  for (let i = 0; i < 5; i++) {
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
  });
  const one = time(() => instrument(bytes, { source: name, maxFrames: 1 }));
  const deep = time(() => instrument(bytes, { source: name, maxFrames: 128 }));
  const mb = bytes.length / 1e6;
  rows.push(`| ${name} | ${mb.toFixed(2)} MB | ${floor.toFixed(0)} ms | ${one.toFixed(0)} ms (${added(one, floor)}) | ${(mb / (one / 1000)).toFixed(1)} MB/s | ${deep.toFixed(0)} ms (${added(deep, floor)}) |`);
  process.stderr.write(`${rows.at(-1)}\n`);
}
const table = [
  '| module | size | binaryen read + validate + emit | instrument (maxFrames 1) | throughput | instrument (maxFrames 128) |',
  '|---|---|---|---|---|---|',
  ...rows,
].join('\n');
writeFileSync(`${here}out/instrument-speed.md`, `${table}\n`);
process.stdout.write(`${table}\n`);
