// A realloc that calls free directly (Rust's dlmalloc: malloc the new block, copy, free
// the old one). Only the outermost traced API counts: the free inside the realloc is
// the realloc's move, not a free of its own, or every move would be a free and then a
// realloc of a block already gone (a false double free). realloc_free.c is its own
// allocator family, traced by name, whose realloc calls its free directly.

import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getFreeErrors, getTracedMemory, getTracerStats, instantiateTraced, instrument, resetPeak, start, stop, takeSnapshot } from 'wasm-tracemalloc';
import { buildPath, FIXTURES_DIR, srcPath } from './fixtures/facts.js';

const FILE = 'realloc_free.wasm';
const ALLOC = ['arena_malloc=alloc', 'arena_realloc=realloc', 'arena_free=free'];

beforeAll(() => {
  if (!existsSync(buildPath(FILE))) execFileSync('bash', [join(FIXTURES_DIR, 'build.sh')], { stdio: 'pipe' });
});

describe('a realloc that calls free directly', () => {
  beforeEach(() => {
    stop();
    start(1);
  });

  it('counts each move once, as a realloc: exact blocks and bytes, no double or untraced frees', async () => {
    const result = instrument(readFileSync(buildPath(FILE)), { source: FILE, alloc: ALLOC, maxFrames: 1 });
    expect(result.status).toBe('instrumented');
    // -O2 unrolls phase_grow's loop: its 6 reallocs are 6 call instructions. The calls
    // inside arena_realloc (to arena_malloc and arena_free) go past the wrappers.
    expect(result.allocators.map((a) => [a.name, a.kind, a.callSites])).toEqual([
      ['arena_malloc', 'alloc', 2],
      ['arena_free', 'free', 2],
      ['arena_realloc', 'realloc', 7],
    ]);
    expect(result.nestingGuard).toBe(false);

    const { instance } = await instantiateTraced(result.bytes, {}, { name: FILE });
    const e = instance.exports as Record<string, () => void>;
    e._initialize!();
    const clean = { untracedFrees: 0, doubleFrees: 0, lostTraces: 0 };

    // malloc 16, then 6 moves to 32 … 1024: one block of 1024 B, at the last realloc's line.
    e.phase_grow!();
    expect(getTracedMemory()).toEqual([1024, 1024]);
    expect(getTracerStats()).toMatchObject({ traces: 1, ...clean });
    expect(takeSnapshot().statistics('lineno').map(String)).toEqual([`${srcPath('realloc_free.c')}:76: size=1024 B, count=1, average=1024 B`]);

    // 100 × 48 B, each moved to 96 B, then all freed: at most 1024 + 100 × 96 B.
    resetPeak();
    e.phase_churn!();
    expect(getTracedMemory()).toEqual([1024, 1024 + 100 * 96]);
    expect(getTracerStats()).toMatchObject({ traces: 1, ...clean });

    e.phase_release!();
    expect(getTracedMemory()).toEqual([0, 1024 + 100 * 96]);
    expect(getTracerStats()).toMatchObject({ traces: 0, ...clean });
    expect(getFreeErrors()).toEqual([]);
  });
});
