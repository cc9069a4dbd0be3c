// The same user tests as ../e2e, in vitest's browser mode: the modules are fetched
// from the dev server, which instruments them. Tests named "FAILS" exceed their
// limit on purpose (src/e2e.test.ts checks how they fail).
import { expect, test } from 'vitest';
import { limitLeaks, limitMemory, withLimits } from '@wasm-tracemalloc/vitest';

interface Cache {
  leak(n: number, size: number): void;
  release(): void;
  _initialize?(): void;
}

async function load(file: string): Promise<Cache> {
  const { instance } = await WebAssembly.instantiateStreaming(fetch(new URL(`./programs/${file}`, import.meta.url)), {});
  const cache = instance.exports as unknown as Cache;
  cache._initialize?.(); // the C reactor's constructors
  return cache;
}

const cCache = await load('leak_c.wasm');
const rustCache = await load('leak_rs.wasm');

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
