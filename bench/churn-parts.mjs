// Where the churn's overhead goes: node --expose-gc bench/churn-parts.mjs [--rounds 9]
//
// bench/run.mjs gives the churn's ratio; this splits it. One process, the churn
// (bench/churn.c, built as run.mjs builds it) instrumented once with maxFrames 1, and
// four ways to run it, interleaved round by round, each run a fresh instance
// (modules compiled once), medians:
//
//   original        the uninstrumented module
//   wrappers only   the instrumented module, its record functions empty Wasm
//                   functions of another instance: the wrappers and the calls
//   one slot        record functions that store (ptr, size) in one 12-byte slot
//                   of a 3 MB table (the trace table at 100k live traces takes
//                   2-3 MB) and a free that clears it: the floor of any table in
//                   its own memory, one random access per event, no probing or
//                   deletion
//   trace table     the real core (packages/runtime/dist/trace-table.wasm)
//
// Then the three record cores alone, with no allocator and no program heap: a Wasm
// loop frees one of 100k live random pointers and records a new one, 2M times, in
// ns per free+alloc round. Steady to a nanosecond between runs, it is the place to
// measure a change to the core's own instructions before the noisy churn.
//
// In one process, because between processes the original's time varies by 1.5x
// here. The churn grows its memory ~1000 times; after each growth V8 accounts the
// whole buffer as new external memory, which starts dozens of garbage collections
// during the run. With `node --single-threaded` (no GC threads) they are fewer and
// on the same thread, and runs agree within a few percent: the steadiest numbers,
// and the least flattering, since the GC's time no longer dilutes the ratio.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WASI } from 'node:wasi';
import binaryen from 'binaryen';
import { instrument } from 'wasm-tracemalloc';
import { buildChurn, median } from './common.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '9' } } });
const ROUNDS = Number(args.rounds);

const RECORD_EXPORTS = `
  (global (export "sp") (mut i32) (i32.const 0))
  (global (export "nframe") (mut i32) (i32.const 1))
  (func (export "realloc") (param i32 i32 i32 i32 i32))
  (func (export "put") (param i32 i32 i32))`;
const EMPTY = `(module ${RECORD_EXPORTS}
  (func (export "alloc") (param i32 i32 i32 i32))
  (func (export "free") (param i32 i32 i32)))`;
// 2^18 slots of 12 bytes; the slot is the top 18 bits of ptr × 2654435769.
const ONE_SLOT = `(module ${RECORD_EXPORTS}
  (memory 49)
  (func $slot (param $p i32) (result i32)
    (i32.mul (i32.shr_u (i32.mul (local.get $p) (i32.const 0x9E3779B9)) (i32.const 14)) (i32.const 12)))
  (func (export "alloc") (param i32 i32 i32 i32)
    (local $s i32)
    (local.set $s (call $slot (local.get 1)))
    (i32.store (local.get $s) (local.get 1))
    (i32.store offset=4 (local.get $s) (local.get 2)))
  (func (export "free") (param i32 i32 i32)
    (local $s i32)
    (local.set $s (call $slot (local.get 1)))
    (if (i32.eq (i32.load (local.get $s)) (local.get 1)) (then (i32.store (local.get $s) (i32.const 0))))))`;

function compileText(text) {
  const m = binaryen.parseText(text);
  m.optimize();
  const bytes = m.emitBinary();
  m.dispose();
  return new WebAssembly.Module(bytes);
}

const original = readFileSync(buildChurn());
const parts = {
  original: { module: new WebAssembly.Module(original) },
  'wrappers only': { core: compileText(EMPTY) },
  'one slot': { core: compileText(ONE_SLOT) },
  'trace table': { core: new WebAssembly.Module(readFileSync(`${here}../packages/runtime/dist/trace-table.wasm`)) },
};
const traced = new WebAssembly.Module(instrument(original, { source: 'churn.wasm', maxFrames: 1 }).bytes);

function run(part) {
  const wasi = new WASI({ version: 'preview1', args: ['churn', '1000000'], returnOnExit: true });
  const imports = { wasi_snapshot_preview1: wasi.wasiImport };
  let core;
  if (part.core) {
    core = new WebAssembly.Instance(part.core, {}).exports;
    core.start?.(1);
    const { alloc, free, realloc, put, sp, nframe } = core;
    imports['wasm-tracemalloc'] = { domain: new WebAssembly.Global({ value: 'i32' }, 1), alloc, free, realloc, put, sp, nframe };
  }
  const instance = new WebAssembly.Instance(part.module ?? traced, imports);
  globalThis.gc?.();
  const t0 = performance.now();
  wasi.start(instance);
  const ms = performance.now() - t0;
  core?.stop?.();
  return ms;
}

const times = Object.fromEntries(Object.keys(parts).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) for (const [name, part] of Object.entries(parts)) times[name].push(run(part));
const base = median(times.original);
console.log(`Medians of ${ROUNDS} interleaved runs in one process, Node ${process.version}.\n`);
console.log('| churn (1M free+malloc rounds) | median | ratio | runs |');
console.log('|---|---|---|---|');
for (const [name, xs] of Object.entries(times)) {
  console.log(`| ${name} | ${median(xs).toFixed(1)} ms | **${(median(xs) / base).toFixed(2)}×** | ${xs.map((x) => x.toFixed(0)).join(', ')} |`);
}

// The cores alone: xorshift over 100k live pointers, no allocator.
const LOOP = `(module
  (import "wasm-tracemalloc" "alloc" (func $alloc (param i32 i32 i32 i32)))
  (import "wasm-tracemalloc" "free" (func $free (param i32 i32 i32)))
  (memory 7)
  (global $x (mut i32) (i32.const 2463534242))
  (func $next (result i32)
    (global.set $x (i32.xor (global.get $x) (i32.shl (global.get $x) (i32.const 13))))
    (global.set $x (i32.xor (global.get $x) (i32.shr_u (global.get $x) (i32.const 17))))
    (global.set $x (i32.xor (global.get $x) (i32.shl (global.get $x) (i32.const 5))))
    (global.get $x))
  (func $ptr (result i32) (i32.or (i32.and (call $next) (i32.const 0x3FFFFF0)) (i32.const 16)))
  (func (export "fill") (local $i i32) (local $p i32)
    (loop $l
      (local.set $p (call $ptr))
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $p))
      (call $alloc (i32.const 1) (local.get $p) (i32.const 48) (i32.const 1))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 100000)))))
  (func (export "run") (param $n i32) (local $i i32) (local $s i32) (local $p i32)
    (loop $l
      (local.set $s (i32.shl (i32.rem_u (call $next) (i32.const 100000)) (i32.const 2)))
      (call $free (i32.const 1) (i32.load (local.get $s)) (i32.const 2))
      (local.set $p (call $ptr))
      (call $alloc (i32.const 1) (local.get $p) (i32.const 48) (i32.const 3))
      (i32.store (local.get $s) (local.get $p))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))))`;
const loop = compileText(LOOP);
const N = 2_000_000;
const cores = Object.fromEntries(Object.entries(parts).filter(([, part]) => part.core).map(([name]) => [name, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const name of Object.keys(cores)) {
    const core = new WebAssembly.Instance(parts[name].core, {}).exports;
    core.start?.(1);
    const caller = new WebAssembly.Instance(loop, { 'wasm-tracemalloc': { alloc: core.alloc, free: core.free } }).exports;
    caller.fill();
    const t0 = performance.now();
    caller.run(N);
    cores[name].push(((performance.now() - t0) / N) * 1e6);
    core.stop?.();
  }
}
console.log(`\n| the cores alone (100k live pointers, ${N / 1e6}M free+alloc rounds) | median | runs |`);
console.log('|---|---|---|');
for (const [name, xs] of Object.entries(cores)) {
  console.log(`| ${name} | ${median(xs).toFixed(1)} ns per round | ${xs.map((x) => x.toFixed(1)).join(', ')} |`);
}
