import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests build their Wasm programs with clang-19, which runs any `wasm-opt` on PATH
// after an optimized link (Debian's emscripten pulls binaryen's in): that strips the
// name section the tests read and crashes on DWARF 5. Every build the tests start
// finds this wasm-opt first, which leaves the linked file as it is.
// (test/fixtures/build.sh and bench/ compile and link in two steps instead.)
const noWasmOpt = mkdtempSync(join(tmpdir(), 'wtm-no-wasm-opt-'));
writeFileSync(join(noWasmOpt, 'wasm-opt'), '#!/bin/sh\nexit 0\n');
chmodSync(join(noWasmOpt, 'wasm-opt'), 0o755);
process.env.PATH = `${noWasmOpt}${delimiter}${process.env.PATH ?? ''}`;

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
