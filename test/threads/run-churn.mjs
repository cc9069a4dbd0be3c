// Runs the threaded churn (build/release/churn-mt.js, see src/churn-mt.c) untraced and
// prints {threads, pairs, ms} as JSON: ms is the wall time from the threads' common
// start to the last join, as the program measures it.
//
// Usage: node run-churn.mjs [THREADS [ITERS]] (defaults: the program's, 2 and 1,000,000)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const program = fileURLToPath(new URL('./build/release/churn-mt.js', import.meta.url));
const args = process.argv.slice(2);
const r = spawnSync(process.execPath, [program, ...args], {
  encoding: 'utf8',
  // Emscripten 3.1.6's glue fetch()es its .wasm path as a URL on Node 20 unless fetch is off.
  env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --no-experimental-fetch`.trim() },
});
if (r.status !== 0) {
  process.stderr.write(r.stderr);
  throw new Error(`${program} ${args.join(' ')} exited ${r.status ?? r.signal}`);
}
const m = /^total: (\d+) threads, (\d+) pairs in ([\d.]+) ms$/m.exec(r.stdout);
if (!m) throw new Error(`unexpected output from ${program}:\n${r.stdout}`);
console.log(JSON.stringify({ threads: Number(m[1]), pairs: Number(m[2]), ms: Number(m[3]) }));
