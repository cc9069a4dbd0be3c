// sql.js 1.16.0's debug build (dist/sql-wasm-debug.js + sql-wasm-debug.wasm, with a
// name section) running sqljs.mjs's workload: traced by its names, it gives the
// numbers that the release build, traced with no options, must match.

import { createRequire } from 'node:module';
import { main } from './_main.mjs';
import { workload } from './sqljs.mjs';

const require = createRequire(import.meta.url);

export const run = (checkpoint) => workload(require('sql.js/dist/sql-wasm-debug.js'), checkpoint);
main(import.meta.url, run);
