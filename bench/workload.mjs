// One measurement in a fresh process: node bench/workload.mjs WORKLOAD MODE [NFRAME]
//   WORKLOAD: churn | sqljs      MODE: original | traced | jshook
// Prints one JSON line: { ms, traces?, tracerBytes? }. Only the workload is timed:
// reading, instrumenting, compiling and instantiating are not.
//
// jshook is the baseline of existing Wasm tracers: the same instrumented module, but
// its record functions are JS imports that capture `new Error().stack` into a Map.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { WASI } from 'node:wasi';
import { fileURLToPath } from 'node:url';
import * as tm from 'wasm-tracemalloc';

const require = createRequire(import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));
const [workload, mode, nframeArg] = process.argv.slice(2);
const nframe = Number(nframeArg ?? 1);

function jsHookImports() {
  const traces = new Map();
  const counts = { allocs: 0 };
  return {
    traces,
    counts,
    imports: {
      domain: new WebAssembly.Global({ value: 'i32' }, 1),
      alloc(domain, ptr, size) { counts.allocs++; traces.set(ptr, { size, stack: new Error().stack }); },
      free(domain, ptr) { traces.delete(ptr); },
      realloc(domain, oldPtr, newPtr, size) { counts.allocs++; traces.delete(oldPtr); traces.set(newPtr, { size, stack: new Error().stack }); },
    },
  };
}

async function churn() {
  const bytes = readFileSync(`${here}out/churn.wasm`);
  const wasi = new WASI({ version: 'preview1', args: ['churn', process.env.CHURN_ITERS ?? '1000000'], returnOnExit: true });
  const wasiImports = { wasi_snapshot_preview1: wasi.wasiImport };
  let instance;
  let hook;
  if (mode === 'original') {
    ({ instance } = await WebAssembly.instantiate(bytes, wasiImports));
  } else if (mode === 'traced') {
    tm.start(nframe);
    ({ instance } = await tm.instantiate(bytes, wasiImports, { name: 'churn.wasm' }));
  } else {
    hook = jsHookImports();
    const traced = tm.instrument(bytes, { source: 'churn.wasm' }).bytes;
    ({ instance } = await WebAssembly.instantiate(traced, { ...wasiImports, 'wasm-tracemalloc': hook.imports }));
  }
  const t0 = performance.now();
  wasi.start(instance);
  const ms = performance.now() - t0;
  if (mode === 'traced') {
    const stats = tm.getTracerStats();
    return { ms, traces: stats.traces, tracerBytes: stats.tracerBytes, current: tm.getTracedMemory()[0] };
  }
  return { ms, traces: hook?.traces.size, allocs: hook?.counts.allocs };
}

async function sqljs() {
  let hook;
  if (mode === 'traced') {
    tm.installNode();
    tm.start(nframe);
  } else if (mode === 'jshook') {
    hook = jsHookImports();
    const instantiate = WebAssembly.instantiate;
    WebAssembly.instantiate = (source, imports) =>
      instantiate(tm.instrument(new Uint8Array(source), { source: 'sql-wasm-debug.wasm' }).bytes, { ...imports, 'wasm-tracemalloc': hook.imports });
  }
  const initSqlJs = require('sql.js/dist/sql-wasm-debug.js');
  const SQL = await initSqlJs();
  const t0 = performance.now();
  const db = new SQL.Database();
  db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, tag TEXT)');
  db.run('CREATE INDEX t_tag ON t(tag)');
  const insert = db.prepare('INSERT INTO t (name, score, tag) VALUES (?, ?, ?)');
  db.run('BEGIN');
  for (let i = 0; i < 20000; i++) insert.run([`name-${i}-${'x'.repeat(i % 40)}`, (i * 7919) % 1000 / 10, `tag${i % 100}`]);
  db.run('COMMIT');
  insert.free();
  let rows = 0;
  for (let q = 0; q < 20; q++) {
    rows += db.exec(`SELECT tag, count(*), avg(score) FROM t WHERE name LIKE '%-${q}%' GROUP BY tag ORDER BY 3 DESC`)[0]?.values.length ?? 0;
    rows += db.exec(`SELECT name FROM t WHERE tag = 'tag${q}' ORDER BY score LIMIT 50`)[0]?.values.length ?? 0;
  }
  db.close();
  const ms = performance.now() - t0;
  return { ms, rows, allocs: hook?.counts.allocs, ...(mode === 'traced' ? { traces: tm.getTracerStats().traces } : {}) };
}

const result = workload === 'churn' ? await churn() : await sqljs();
process.stdout.write(`${JSON.stringify(result)}\n`);
