// Makes every module the measured processes load, before any of them starts:
// bench/out/modules/WORKLOAD.BUILD.wasm, and bench/out/modules/manifest.json naming them.
//
// The measured process must not run the instrumenter. binaryen.js, run just before
// the timed region, left garbage and compiled code behind that made sql.js "traced"
// 0.90× its original with the original code (the audit of issue 16): a property of
// the process, not of the tracer. Here every mode loads bytes made in advance, and
// the measured process imports the runtime alone, in every mode.
//
// Builds per workload: original (the module as shipped or built), traced
// (maxFrames 1: the build without shadow stack) and deep (the default 128-frame
// shadow stack). The reference workload is a compute-only Wasm loop, the same in
// every batch, that tells machine drift from a change in the tracer.

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import binaryen from 'binaryen';
import { buildChurn, CHURN_QUIET_MEMORY, importBuilt } from './common.mjs';

const { instrument } = await importBuilt('wasm-tracemalloc', 'wasm-tracemalloc (packages/cli)');
const require = createRequire(import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));
export const MODULES_DIR = `${here}out/modules/`;

// xorshift32 summed over n rounds: registers only, no memory, no calls.
const REFERENCE = `(module
  (func (export "run") (param $n i32) (result i32)
    (local $x i32) (local $sum i32) (local $i i32)
    (local.set $x (i32.const 2463534242))
    (loop $l
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
      (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
      (local.set $sum (i32.add (local.get $sum) (local.get $x)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $sum)))`;

function instrumented(bytes, source, maxFrames) {
  const r = instrument(bytes, { source, maxFrames });
  if (r.status !== 'instrumented') throw new Error(`${source}: the instrumenter found no allocator (${r.status}; ${r.warnings.join('; ')}): a traced mode would trace nothing`);
  return r.bytes;
}

/** Writes the modules of `workloads` (default all); returns the manifest, theirs and earlier ones. */
export function prepareModules(workloads = ['churn', 'churn-quiet', 'sqljs', 'treesitter', 'reference']) {
  mkdirSync(MODULES_DIR, { recursive: true });
  // Other workloads' entries stay: the manifest names every module prepared so far.
  let manifest = {};
  try {
    manifest = JSON.parse(readFileSync(`${MODULES_DIR}manifest.json`, 'utf8'));
  } catch {
    // none yet
  }
  const sources = {
    churn: () => ({ path: buildChurn({ name: 'churn' }), name: 'churn.wasm' }),
    'churn-quiet': () => ({ path: buildChurn({ name: 'churn-quiet', initialMemoryBytes: CHURN_QUIET_MEMORY }), name: 'churn.wasm' }),
    sqljs: () => ({ path: require.resolve('sql.js/dist/sql-wasm-debug.wasm'), name: 'sql-wasm-debug.wasm' }),
    treesitter: () => ({ path: require.resolve('web-tree-sitter/debug/web-tree-sitter.wasm'), name: 'web-tree-sitter.wasm' }),
  };
  for (const workload of workloads) {
    const file = (build) => `${MODULES_DIR}${workload}.${build}.wasm`;
    if (workload === 'reference') {
      const m = binaryen.parseText(REFERENCE);
      writeFileSync(file('original'), m.emitBinary());
      m.dispose();
      manifest.reference = { name: 'reference.wasm', original: file('original') };
      continue;
    }
    const source = sources[workload];
    if (!source) throw new Error(`unknown workload ${workload}: churn, churn-quiet, sqljs, treesitter or reference`);
    const { path, name } = source();
    const bytes = readFileSync(path);
    copyFileSync(path, file('original'));
    writeFileSync(file('traced'), instrumented(bytes, name, 1));
    writeFileSync(file('deep'), instrumented(bytes, name, 128));
    manifest[workload] = { name, original: file('original'), traced: file('traced'), deep: file('deep') };
  }
  writeFileSync(`${MODULES_DIR}manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const manifest = prepareModules(process.argv.slice(2).length ? process.argv.slice(2) : undefined);
  process.stdout.write(`${Object.keys(manifest).join(', ')}: ${MODULES_DIR}\n`);
}
