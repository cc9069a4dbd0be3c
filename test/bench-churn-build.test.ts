// The benchmark's churn build (bench/common.mjs) keeps the names the instrumenter
// needs even when a wasm-opt is on PATH: clang-19 runs one after linking with -O,
// which stripped the name section and made "traced" runs trace nothing.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChurn, CHURN_QUIET_MEMORY, functionNames } from '../bench/common.mjs';

const CHURN_C = fileURLToPath(new URL('../bench/churn.c', import.meta.url));

describe('the churn build', () => {
  const savedPath = process.env.PATH;
  let wasmOptLog: string;
  beforeAll(() => {
    // A wasm-opt that records its call and fails, first on PATH.
    const bin = mkdtempSync(join(tmpdir(), 'fake-wasm-opt-'));
    wasmOptLog = join(bin, 'called');
    writeFileSync(join(bin, 'wasm-opt'), `#!/bin/sh\necho "$@" >> '${wasmOptLog}'\nexit 1\n`);
    chmodSync(join(bin, 'wasm-opt'), 0o755);
    process.env.PATH = `${bin}:${savedPath}`;
  });
  afterAll(() => {
    process.env.PATH = savedPath;
    rmSync(dirname(wasmOptLog), { recursive: true, force: true });
  });

  it('never runs wasm-opt, and the module names malloc, free and main', () => {
    // The fake is effective: one clang step with -O2 calls it and fails.
    const oneStep = spawnSync('clang-19', ['--target=wasm32-wasi', '-O2', '-g', CHURN_C, '-o', join(dirname(wasmOptLog), 'one-step.wasm')], { encoding: 'utf8' });
    expect(oneStep.status).not.toBe(0);
    expect(readFileSync(wasmOptLog, 'utf8')).toMatch(/one-step\.wasm -O2/);
    const calls = readFileSync(wasmOptLog, 'utf8');
    const bytes = readFileSync(buildChurn({ name: 'churn-build-test' }));
    expect(readFileSync(wasmOptLog, 'utf8')).toBe(calls);
    const names = functionNames(bytes);
    for (const name of ['malloc', 'free', 'main', 'dlmalloc', 'dlfree']) expect(names).toContain(name);
  });

  it('pre-sizes the GC-quiet churn to 96 MiB, and its 1M rounds never grow it', () => {
    const bytes = readFileSync(buildChurn({ name: 'churn-build-test-quiet', initialMemoryBytes: CHURN_QUIET_MEMORY }));
    expect(CHURN_QUIET_MEMORY).toBe(96 * 2 ** 20);
    const wasi = new WASI({ version: 'preview1', args: ['churn', '1000000'], returnOnExit: true });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { wasi_snapshot_preview1: wasi.wasiImport });
    const memory = instance.exports.memory as WebAssembly.Memory;
    expect(memory.buffer.byteLength).toBe(CHURN_QUIET_MEMORY);
    expect(wasi.start(instance)).toBe(0);
    expect(memory.buffer.byteLength).toBe(CHURN_QUIET_MEMORY);
  });

  it('reads no names from a module without a name section', () => {
    expect(functionNames(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00])).size).toBe(0);
  });
});
