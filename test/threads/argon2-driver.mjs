// A wasi-threads program: @node-rs/argon2-wasm32-wasi (napi-rs, emnapi's async work on
// worker threads started through wasi.thread-spawn, all on one shared memory). Hashes a
// fixed password with a fixed salt N times at once (the async calls run on the worker
// pool, so several threads allocate and the main thread frees what they return), checks
// the hashes against each other and with the synchronous API on the main thread, and
// prints one line that is the same in every run.
//
// Usage: node argon2-driver.mjs [N] (default 8). Exits 1 when a check fails.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const argon2 = require('@node-rs/argon2-wasm32-wasi');

const n = Number(process.argv[2] ?? 8);
if (!Number.isInteger(n) || n < 1) {
  console.error('usage: node argon2-driver.mjs [N >= 1]');
  process.exit(2);
}

const PASSWORD = 'correct horse battery staple';
// Small enough to keep a run under a second, large enough that every hash allocates
// its own memory blocks (memoryCost KiB each) on the thread that runs it.
const OPTIONS = { memoryCost: 1024, timeCost: 2, parallelism: 1, salt: new TextEncoder().encode('wasm-tracemalloc') };

const hashes = await Promise.all(Array.from({ length: n }, () => argon2.hash(PASSWORD, OPTIONS)));
const verified = await Promise.all(hashes.map((h) => argon2.verify(h, PASSWORD)));
const rejected = await Promise.all(hashes.map((h) => argon2.verify(h, `${PASSWORD}!`)));
const syncHash = argon2.hashSync(PASSWORD, OPTIONS);

const distinct = new Set([...hashes, syncHash]);
const ok = distinct.size === 1 && verified.every(Boolean) && !rejected.some(Boolean) && argon2.verifySync(syncHash, PASSWORD);
const digest = createHash('sha256').update(hashes.join('\n')).digest('hex').slice(0, 16);
console.log(
  `argon2: ${n} async hashes, ${verified.filter(Boolean).length} verified, ${rejected.filter(Boolean).length} wrong passwords accepted, ` +
    `sync hash ${syncHash === hashes[0] ? 'equal' : 'different'}; ${syncHash}; sha256 ${digest}`,
);
process.exitCode = ok ? 0 : 1;
