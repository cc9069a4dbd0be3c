// A user's tests of the C and Rust modules in ./programs: each test named "FAILS"
// exceeds its limit on purpose (src/e2e.test.ts checks how they fail).
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { expect, test } from 'vitest';
import { limitLeaks, limitMemory, withLimits } from '@wasm-tracemalloc/vitest';

interface Cache {
  leak(n: number, size: number): void;
  release(): void;
}

const wasi = new WASI({ version: 'preview1' });
const c = (await WebAssembly.instantiate(readFileSync(new URL('./programs/leak_c.wasm', import.meta.url)), { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports)).instance;
wasi.initialize(c);
const cCache = c.exports as unknown as Cache;
const rustCache = (await WebAssembly.instantiate(readFileSync(new URL('./programs/leak_rs.wasm', import.meta.url)))).instance.exports as unknown as Cache;

test('C cache frees what it holds', async () => {
  await limitLeaks('1 KB', () => {
    cCache.leak(1000, 100);
    cCache.release();
  });
});

test('FAILS: C cache leaks', async () => {
  await limitLeaks('1 KB', () => cCache.leak(1000, 100));
});

test('C cache stays under 1 MB', async () => {
  await limitMemory('1 MB', () => {
    cCache.leak(1000, 100);
    cCache.release();
  });
});

test('FAILS: C cache peaks above 64 KB', async () => {
  await limitMemory('64 KB', () => {
    cCache.leak(1000, 100);
    cCache.release();
  });
});

test('Rust module leaks under 1 KB while C leaks more', () =>
  withLimits({ leaks: '1 KB', module: 'leak_rs.wasm' }, () => {
    rustCache.leak(10, 64);
    cCache.leak(100, 100);
  }));

test('FAILS: Rust cache leaks, by matcher', async () => {
  await expect(() => rustCache.leak(100, 100)).toLeakAtMost('1 KB');
});
