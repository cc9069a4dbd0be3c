// What finding the allocator adds to instrumenting a release build: findAllocators
// (names, glue, forwarding, structure; given the body scans the pass makes anyway) and
// reading the glue beside the module, against
// the whole instrument pass (maxFrames 1, no symbols), medians of 5 in one process.
//
//   node bench/find-allocators.mjs [FILE.wasm ...]
//
// Default: sql.js's release build and lightningcss (15.8 MB), from the test workspace.

import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { findAllocators, instrument, readModule } from '../packages/instrument/dist/index.js';
import { glueBeside } from '../packages/instrument/dist/glue-files.js';
import { scanFunction } from '../packages/instrument/dist/binary/module.js';
import { median } from './common.mjs';

const testModules = join(import.meta.dirname, '../test/node_modules');
const files = process.argv.slice(2);
if (files.length === 0) files.push(join(testModules, 'sql.js/dist/sql-wasm.wasm'), join(testModules, 'lightningcss-wasm/lightningcss_node.wasm'));
const time = (f) => {
  const t = performance.now();
  const r = f();
  return [performance.now() - t, r];
};

for (const file of files) {
  const bytes = readFileSync(file);
  const glueMs = [];
  const findMs = [];
  const wholeMs = [];
  for (let i = 0; i < 5; i++) {
    const [g, glue] = time(() => glueBeside(file));
    glueMs.push(g);
    const info = readModule(bytes);
    // The pass scans every body anyway (call sites); the finders reuse those scans.
    const scans = new Map(info.functions.filter((f) => f.body).map((f) => [f.index, scanFunction(info, f)]));
    findMs.push(time(() => findAllocators(info, { glue, source: basename(file), scans }))[0]);
    wholeMs.push(time(() => instrument(bytes, { source: basename(file), glue, maxFrames: 1, symbols: 'none' }))[0]);
  }
  const whole = median(wholeMs);
  const find = median(findMs);
  console.log(`${basename(file)}: glue ${median(glueMs).toFixed(1)} ms, finders ${find.toFixed(1)} ms, whole pass ${whole.toFixed(0)} ms (finding ${((100 * find) / whole).toFixed(1)}%)`);
}
