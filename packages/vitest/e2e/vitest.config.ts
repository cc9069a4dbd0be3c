import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['*.test.ts'],
    // Instruments every Wasm module the tests compile, and registers the matchers.
    setupFiles: ['@wasm-tracemalloc/vitest/setup'],
  },
});
