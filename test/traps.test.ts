// Tracebacks after a trap that the host catches (issue 15, defect 5). A trap unwinds
// Wasm frames with no catch_all seeing it, so only the JS entry can put the shadow
// stack back: exports and functions read from tables are guarded entries
// (runtime/src/core/shadow-stack.ts). C built from test/traps/trap.c with clang-19.
// A trap inside an allocator leaves the wrappers' nesting guard set, and the instance
// would trace nothing more: the same entries put it back (test/traps/alloc-trap.c).

import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tm from 'wasm-tracemalloc';

const source = fileURLToPath(new URL('./traps/trap.c', import.meta.url));
const allocTrapSource = fileURLToPath(new URL('./traps/alloc-trap.c', import.meta.url));
let traced: Uint8Array;
/** alloc-trap.wasm instrumented with a shadow stack (128) and without one (1). */
const allocTrap = new Map<number, Uint8Array>();

/** The 1-based line of `file` (trap.c by default) that holds `text`. */
function lineOf(text: string, file = source): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = lines.flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  if (at.length !== 1) throw new Error(`${file}: ${at.length} lines hold ${JSON.stringify(text)}`);
  return at[0]!;
}

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'wtm-traps-'));
  const out = join(dir, 'trap.wasm');
  execFileSync('clang-19', ['--target=wasm32-wasi', '-O2', '-g', '-mexec-model=reactor', '-Wl,--export-table', source, '-o', out]);
  traced = tm.instrument(readFileSync(out), { source: 'trap.wasm', maxFrames: 128 }).bytes;
  const allocOut = join(dir, 'alloc-trap.wasm');
  execFileSync('clang-19', ['--target=wasm32-wasi', '-O2', '-g', '-mexec-model=reactor', allocTrapSource, '-o', allocOut]);
  for (const maxFrames of [1, 128]) {
    const result = tm.instrument(readFileSync(allocOut), { source: 'alloc-trap.wasm', maxFrames });
    // Only a module whose allocators can nest has the guard a trap could leave set.
    expect(result.nestingGuard).toBe(true);
    allocTrap.set(maxFrames, result.bytes);
  }
});

type Fn = (...a: number[]) => number;
interface Trap {
  trap_deep: Fn;
  alloc_shallow: Fn;
  call_host: Fn;
  pointer_index: Fn;
  __indirect_function_table: WebAssembly.Table;
  _initialize: Fn;
}

async function load(hostCall: (size: number) => void = () => {}) {
  const wasi = new Proxy({}, { get: () => () => 0 });
  const { instance } = await tm.instantiateTraced(traced, { env: { host_call: (n: number) => hostCall(n) }, wasi_snapshot_preview1: wasi }, { name: 'trap.wasm' });
  const e = instance.exports as unknown as Trap;
  e._initialize();
  return e;
}

const ALLOC_SHALLOW = `alloc_shallow@${lineOf('/* shallow */')}`;
const where = (tb: tm.Traceback) => tb.frames.map((f) => `${f.function}@${f.lineno}`);
const trapsAt = (call: () => unknown) => expect(call).toThrow(WebAssembly.RuntimeError);

/** Tracebacks by where they end, and the frames of all the snapshot's tracebacks together. */
function tracebacks() {
  const stats = tm.takeSnapshot().statistics('traceback');
  return { stats, totalFrames: stats.reduce((n, s) => n + s.traceback.totalNframe, 0) };
}

describe('tracebacks after a trap the host catches', () => {
  beforeEach(() => tm.stop());

  it('are exact: alloc_shallow after a trap 21 frames down has only its own frame', async () => {
    tm.start(128);
    const e = await load();
    trapsAt(() => e.trap_deep(20));
    tm.clearTraces();
    expect(e.alloc_shallow(40)).toBe(1);
    const [stat, ...rest] = tm.takeSnapshot().statistics('traceback');
    expect(rest).toEqual([]);
    expect([stat!.size, stat!.count]).toEqual([40, 1]);
    expect(where(stat!.traceback)).toEqual([ALLOC_SHALLOW]);
    expect(stat!.traceback.totalNframe).toBe(1);
  });

  it('stay flat over 100,000 traps: one traceback for the 64 B blocks, one for alloc_shallow', async () => {
    tm.start(128);
    const e = await load();
    const level = `level@${lineOf('int r = level(depth - 1)')}`;
    const atTrap = [`trap_deep@${lineOf('return level(depth); }')}`, ...Array<string>(20).fill(level), `level@${lineOf('keep = malloc(64);')}`];
    trapsAt(() => e.trap_deep(20));
    e.alloc_shallow(40);
    const once = tracebacks();
    for (let i = 1; i < 100_000; i++) {
      try {
        e.trap_deep(20);
      } catch (err) {
        if (!(err instanceof WebAssembly.RuntimeError)) throw err;
      }
    }
    e.alloc_shallow(40);
    const after = tracebacks();
    expect(after.stats.map((s) => [s.count, s.size, where(s.traceback)])).toEqual([
      [100_000, 100_000 * 64, atTrap],
      [2, 80, [ALLOC_SHALLOW]],
    ]);
    expect(once.totalFrames).toBe(22 + 1);
    expect(after.totalFrames).toBe(once.totalFrames);
  });

  it('are exact when the trap is caught by JS that Wasm called (Wasm → JS → trapping export)', async () => {
    tm.start(128);
    let e!: Trap;
    e = await load((size) => {
      trapsAt(() => e.trap_deep(5));
      e.alloc_shallow(size + 1); // re-entered: its caller's frames are real
    });
    tm.clearTraces();
    expect(e.call_host(24)).toBe(1);
    const callHost = `call_host@${lineOf('/* from call_host */')}`;
    const bySize = new Map(tm.takeSnapshot().statistics('traceback').map((s) => [s.size / s.count, [s.count, where(s.traceback)]]));
    // deeper's malloc after host_call has the same depth as before it.
    const deeper = (tb: tm.Traceback) => where(tb).join(' > ');
    const at24 = tm.takeSnapshot().statistics('traceback').filter((s) => s.size === 24 * s.count).map((s) => deeper(s.traceback)).sort();
    expect(at24).toEqual([`${callHost} > deeper@${lineOf('/* after host_call */')}`, `${callHost} > deeper@${lineOf('/* before host_call */')}`].sort());
    expect(bySize.get(25)).toEqual([1, [callHost, ALLOC_SHALLOW]]);
    expect(bySize.get(64)).toEqual([1, [callHost, `trap_deep@${lineOf('return level(depth); }')}`, ...Array<string>(5).fill(`level@${lineOf('int r = level(depth - 1)')}`), `level@${lineOf('keep = malloc(64);')}`]]);
    expect([...bySize.keys()].sort()).toEqual([24, 25, 64]);
  });

  it('are exact after a trap in a function JS called through the exported table', async () => {
    tm.start(128);
    const e = await load();
    const table = e.__indirect_function_table;
    const index = e.pointer_index();
    const byPointer = table.get(index) as Fn;
    expect(table.get(index)).toBe(byPointer); // the same function each time
    trapsAt(() => byPointer(20));
    tm.clearTraces();
    e.alloc_shallow(40);
    const [stat] = tm.takeSnapshot().statistics('traceback');
    expect(where(stat!.traceback)).toEqual([ALLOC_SHALLOW]);
    // What get returns can be stored back: the table holds the Wasm function again.
    table.set(1, byPointer);
    expect(table.get(1)).toBe(byPointer);
  });

  it('leave JS exceptions and results as they were', async () => {
    tm.start(8);
    const e = await load((n) => {
      if (n === 7) throw new Error('thrown from JS (7)');
    });
    expect(() => e.call_host(7)).toThrow('thrown from JS (7)');
    tm.clearTraces();
    expect(e.alloc_shallow(16)).toBe(1);
    const [stat] = tm.takeSnapshot().statistics('traceback');
    expect(where(stat!.traceback)).toEqual([ALLOC_SHALLOW]);
  });
});

interface AllocTrap {
  alloc_many: Fn;
  alloc_trap: Fn;
  realloc_trap: Fn;
  grow_many: Fn;
  realloc_hooked: Fn;
  _initialize: Fn;
}

async function loadAllocTrap(maxFrames: number, inRealloc: (size: number) => void = () => {}) {
  const wasi = new Proxy({}, { get: () => () => 0 });
  const imports = { env: { in_realloc: (n: number) => inRealloc(n) }, wasi_snapshot_preview1: wasi };
  const { instance } = await tm.instantiateTraced(allocTrap.get(maxFrames)!, imports, { name: 'alloc-trap.wasm' });
  const e = instance.exports as unknown as AllocTrap;
  e._initialize();
  return e;
}

/** `fn@LINE`, LINE the line of alloc-trap.c that holds `marker`. */
const allocAt = (fn: string, marker: string) => `${fn}@${lineOf(marker, allocTrapSource)}`;
/** Every traceback as [count, size, its innermost frame]. */
const innermost = () =>
  tm
    .takeSnapshot()
    .statistics('traceback')
    .map((s) => [s.count, s.size, where(s.traceback).at(-1)]);

describe('allocations after a trap inside the allocator the host catches', () => {
  beforeEach(() => tm.stop());

  for (const maxFrames of [1, 128]) {
    const stack = maxFrames > 1 ? 'with a shadow stack' : 'without a shadow stack';

    it(`are traced again after malloc traps, ${stack}: exactly 1000 blocks of 100 B`, async () => {
      tm.start(maxFrames);
      const e = await loadAllocTrap(maxFrames);
      e.alloc_many(10, 32);
      trapsAt(() => e.alloc_trap());
      tm.clearTraces();
      expect(e.alloc_many(1000, 100)).toBe(1000);
      const [stat, ...rest] = tm.takeSnapshot().statistics('traceback');
      expect(rest).toEqual([]);
      expect([stat!.count, stat!.size]).toEqual([1000, 100_000]);
      expect(where(stat!.traceback)).toEqual([`alloc_many@${lineOf('/* many */', allocTrapSource)}`]);
    });

    it(`are traced again after realloc traps, ${stack}: reallocs and mallocs each counted once`, async () => {
      tm.start(maxFrames);
      const e = await loadAllocTrap(maxFrames);
      for (let i = 0; i < 3; i++) trapsAt(() => e.realloc_trap());
      tm.clearTraces();
      expect(e.grow_many(50, 200)).toBe(50);
      expect(e.alloc_many(1000, 100)).toBe(1000);
      // realloc moves each block through fresh_copy's malloc, which passes through.
      expect(innermost()).toEqual([
        [1000, 100_000, allocAt('alloc_many', '/* many */')],
        [50, 10_000, allocAt('grow_many', '/* grown */')],
      ]);
    });
  }

  it('are traced again once the JS stack is empty after a trap under a nested entry; the realloc waiting meanwhile counts once', async () => {
    tm.start(128);
    const other = await loadAllocTrap(128);
    const e = await loadAllocTrap(128, () => {
      // e's realloc waits here with its guard set; other's malloc traps with its own set.
      trapsAt(() => other.alloc_trap());
      trapsAt(() => e.alloc_trap()); // passes through e's guard, which must stay set
    });
    tm.clearTraces();
    expect(e.realloc_hooked()).toBe(1);
    // realloc's spare block (fresh_copy's malloc, after the hook) passed through.
    expect(innermost()).toEqual([[1, 0x4b1d, allocAt('realloc_hooked', '/* hooked */')]]);
    await Promise.resolve(); // the stack empties: the guard's microtask resets the depths first
    expect(e.alloc_many(1000, 100)).toBe(1000);
    expect(other.alloc_many(1000, 100)).toBe(1000);
    // Both instances' frames name the same lines: their tracebacks are one.
    expect(innermost()).toEqual([
      [2000, 200_000, allocAt('alloc_many', '/* many */')],
      [1, 0x4b1d, allocAt('realloc_hooked', '/* hooked */')],
    ]);
  });
});
