// Aligned allocations in a stripped release build (test/stripped/aligned.c, wasi-libc's
// dlmalloc): with only malloc and free exported, memalign is found by its shape. Were
// it missed, each aligned block would be traced at the padded block's address, its
// free would read as an untraced free, and the padded block as a leak (what
// @node-rs/argon2-wasm32-wasi's 1 MiB blocks showed).

import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliRunner, tempDir } from './cli-helpers.js';

const here = join(__dirname, 'stripped');
const tmp = tempDir('wtm-memalign-');
const wasm = join(tmp, 'aligned.wasm');
const cli = cliRunner(join(tmp, 'cache')).run;

beforeAll(() => {
  // Two steps: a link with -O would run a wasm-opt from PATH.
  execFileSync('clang-19', ['--target=wasm32-wasi', '-O2', '-c', join(here, 'aligned.c'), '-o', join(tmp, 'aligned.o')]);
  execFileSync('clang-19', ['--target=wasm32-wasi', '-Wl,--export=malloc', '-Wl,--export=free', '-Wl,--strip-all', join(tmp, 'aligned.o'), '-o', wasm]);
});

describe('a stripped release build with aligned allocations', () => {
  it('finds memalign by its shape and traces each aligned block at the address the program gets', () => {
    const reportFile = join(tmp, 'report.json');
    const r = cli(['run', '--report', 'json', '--report-file', reportFile, wasm]);
    expect(r.stdout).toBe('kept 150\n');
    expect(r.status).toBe(0);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { currentBytes: number; blocks: number; untracedFrees: number; doubleFrees: number; sites: Array<{ size: number; count: number }> };
    // 100 × aligned_alloc(64, 192) and 50 of 100 posix_memalign(4096, 1000) kept; the rest freed.
    expect(report.sites.map((s) => [s.count, s.size])).toEqual([[50, 50_000], [100, 19_200]]);
    expect(report.currentBytes).toBe(69_200);
    expect(report.blocks).toBe(150);
    expect(report.untracedFrees).toBe(0);
    expect(report.doubleFrees).toBe(0);
    // What the pass found, and how.
    const found = cli(['instrument', wasm, '-o', join(tmp, 'aligned.traced.wasm')]);
    expect(found.status).toBe(0);
    expect(found.stdout + found.stderr).toMatch(/\(c alloc, function \d+, defined\): \d+ direct call sites?; found by structure: dlmalloc's internal_memalign \(alignment, size\) → i32: mallocs a padded request and returns an aligned pointer inside it, called by posix_memalign/);
  });
});
