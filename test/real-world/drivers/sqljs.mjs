// sql.js 1.16.0, the release build (dist/sql-wasm.js + sql-wasm.wasm: Emscripten with
// closure, no name section, malloc exported as `Ia`): a table of 1000 rows, a query,
// then the database is closed.

import { createRequire } from 'node:module';
import { digest, main, random } from './_main.mjs';

const require = createRequire(import.meta.url);

/** The workload, shared with sqljs-debug.mjs (the same version's debug build). */
export async function workload(initSqlJs, checkpoint) {
  const SQL = await initSqlJs();
  checkpoint('loaded');
  // sql.js names each database file "dbfile_" + a Math.random() number, and SQLite copies
  // that name into a block: seeded, its length (and so that block's size) is fixed.
  const mathRandom = Math.random;
  Math.random = random(42);
  const db = new SQL.Database();
  Math.random = mathRandom;
  db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)');
  const insert = db.prepare('INSERT INTO t (name, score) VALUES (?, ?)');
  for (let i = 0; i < 1000; i++) insert.run([`row-${i}`, (i * 37) % 101]);
  insert.free();
  const [result] = db.exec('SELECT count(*), max(name), sum(score), group_concat(id % 7, \'\') FROM t WHERE score > 50');
  checkpoint('rows');
  db.close();
  checkpoint('closed');
  const [count, max, sum, ids] = result.values[0];
  return [`sql.js: ${count} rows, max ${max}, sum ${sum}`, `digest ${digest(ids)}`];
}

export const run = (checkpoint) => workload(require('sql.js/dist/sql-wasm.js'), checkpoint);
main(import.meta.url, run);
