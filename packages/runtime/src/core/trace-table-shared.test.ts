// The threaded core (assembly/trace-table-shared.ts): several instances on one shared
// memory are one trace table. Each instance stands for a thread here; the calls are
// interleaved on one JS thread, so every outcome is exact and repeatable (the lock
// itself is exercised by real threads in test/shared-memory.test.ts).

import { describe, expect, it } from 'vitest';
import { TraceTable } from './trace-table.js';

function threads(n: number) {
  const handle = TraceTable.newSharedHandle();
  const tables = Array.from({ length: n }, (_, i) => TraceTable.attachShared(handle, i === 0 ? 0 : 10 + i)!);
  return { handle, tables };
}

describe('the threaded core', () => {
  it('is one table for every instance: a block allocated by one is freed by another', () => {
    const [main, a, b] = threads(3).tables as [TraceTable, TraceTable, TraceTable];
    main.exports.start(1, 0, 0);
    for (let i = 0; i < 1300; i++) a.exports.alloc(1, 0x1000 + i * 32, 24, 5);
    for (let i = 0; i < 1250; i++) b.exports.free(1, 0x1000 + i * 32, 6);
    expect(main.exports.traceCount()).toBe(50);
    expect(main.exports.currentBytes()).toBe(50 * 24);
    expect(main.exports.untracedFrees()).toBe(0);
    expect(main.exports.doubleFrees()).toBe(0);
    // The trace remembers the thread that allocated it.
    const tb = main.exports.lookup(1, 0x1000 + 1299 * 32);
    expect(main.traceback(tb)).toEqual({ domain: 1, thread: 11, frames: [{ domain: 1, site: 5 }], totalNframe: 1 });
    // A second free, on yet another instance, is a double free of a's block.
    main.exports.free(1, 0x1000, 7);
    expect(main.exports.doubleFrees()).toBe(1);
    expect(main.freeLog()[0]).toMatchObject({ kind: 'double', domain: 1, ptr: 0x1000, site: 7 });
  });

  it('takes a realloc in two halves: the old trace goes before the call, and comes back if it failed', () => {
    const [main, a, b] = threads(3).tables as [TraceTable, TraceTable, TraceTable];
    main.exports.start(1, 0, 0);
    a.exports.alloc(1, 0x100, 16, 1);
    b.exports.reallocBegin(1, 0x100, 2);
    expect(main.exports.traceCount()).toBe(0);
    // Between the halves another thread is given the old address: its block is its own.
    a.exports.alloc(1, 0x100, 40, 3);
    b.exports.alloc(1, 0x200, 256, 2); // the realloc's new block
    expect(main.exports.traceCount()).toBe(2);
    expect(main.exports.currentBytes()).toBe(40 + 256);
    expect(main.traceback(main.exports.lookup(1, 0x100)).frames).toEqual([{ domain: 1, site: 3 }]);
    // A failed realloc: the block and its trace stay.
    b.exports.reallocBegin(1, 0x200, 4);
    b.exports.reallocUndo(1, 0x200);
    expect(main.exports.currentBytes()).toBe(40 + 256);
    expect(main.traceback(main.exports.lookup(1, 0x200)).frames).toEqual([{ domain: 1, site: 2 }]);
    expect(main.exports.untracedFrees() + main.exports.doubleFrees()).toBe(0);
  });

  it('shares start, the peak and clearing; each instance keeps its own shadow stack', () => {
    const [main, a] = threads(2).tables as [TraceTable, TraceTable];
    main.exports.start(4, 0, 0);
    // a's module reads nframe to decide whether to keep frames: the limit reaches it
    // with the state, on its first call that loads it.
    a.exports.isTracing();
    expect(a.exports.nframe.value).toBe(4);
    a.exports.sp.value = 2;
    a.exports.put(1, 1, 10);
    a.exports.put(2, 1, 11);
    main.exports.sp.value = 1;
    main.exports.put(1, 1, 20);
    a.exports.alloc(1, 0x40, 1000, 12);
    main.exports.alloc(1, 0x80, 10, 21);
    a.exports.sp.value = 0;
    main.exports.sp.value = 0;
    expect(main.traceback(main.exports.lookup(1, 0x40)).frames.map((f) => f.site)).toEqual([10, 11, 12]);
    expect(main.traceback(main.exports.lookup(1, 0x80)).frames.map((f) => f.site)).toEqual([20, 21]);
    a.exports.free(1, 0x40, 13);
    expect(main.exports.peakBytes()).toBe(1010);
    expect(a.exports.currentBytes()).toBe(10);
    a.exports.clearTraces();
    expect(main.exports.traceCount()).toBe(0);
    main.exports.stop();
    expect(a.exports.isTracing()).toBe(0);
  });

  it('gives a slot back when a thread detaches, and refuses the 257th thread at once', () => {
    const { handle, tables } = threads(1);
    const more: TraceTable[] = [];
    for (let i = 1; i < 256; i++) more.push(TraceTable.attachShared(handle, i)!);
    expect(more.every(Boolean)).toBe(true);
    expect(TraceTable.attachShared(handle, 999)).toBeUndefined();
    more[0]!.detach();
    expect(TraceTable.attachShared(handle, 1000)).toBeDefined();
    expect(tables[0]!.stolen).toBe(0);
  });

  it('takes over the lock of a thread that died changing the table, and starts again from empty', () => {
    const [main, dead] = threads(2).tables as [TraceTable, TraceTable];
    main.exports.start(1, 0, 0);
    dead.exports.alloc(1, 0x10, 8, 1);
    // A worker terminated inside the core, with the state in its globals, leaves the
    // lock taken and the table possibly half-changed.
    (dead.exports as unknown as { hold(): void }).hold();
    main.exports.alloc(1, 0x20, 16, 2);
    expect(main.stolen).toBe(2);
    // What came before is dropped, not trusted; what comes after is traced.
    expect(main.exports.traceCount()).toBe(1);
    expect(main.exports.currentBytes()).toBe(16);
    expect(main.exports.isTracing()).toBe(1);
  });
});
