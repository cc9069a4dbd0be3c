// Without the setup file nothing is instrumented: a limit must say so rather than
// pass a block whose allocations it cannot see.

import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { limitLeaks } from './limits.js';
import { buildProgram } from './programs.test-helper.js';

it('a limit without traced modules fails with how to set up tracing', async () => {
  const { instance } = await WebAssembly.instantiate(readFileSync(buildProgram('rust')));
  const rust = instance.exports as unknown as { leak(n: number, size: number): void };
  await expect(limitLeaks('1 KB', () => rust.leak(1000, 100))).rejects.toThrow(
    "no Wasm module is traced, so there is nothing to limit: add '@wasm-tracemalloc/vitest/setup' to test.setupFiles in the vitest config (in Node it instruments every module compiled after it), and in browser mode the Vite plugin (@wasm-tracemalloc/vite-plugin) to its plugins",
  );
});
