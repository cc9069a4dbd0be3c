import { describe, expect, it } from 'vitest';
import { UNKNOWN_FRAME } from './frame.js';
import { SnapshotBuilder } from './snapshot-builder.js';
import { TracebackTable } from './traceback-table.js';

const A5F = { filename: 'a.c', lineno: 5, function: 'f', offset: 10 };
const A5G = { filename: 'a.c', lineno: 5, function: 'g', offset: 20 }; // same line as A5F
const A6 = { filename: 'a.c', lineno: 6 };
const M1 = { filename: 'm.wasm', lineno: 0, function: 'f', offset: 1 };
const M2 = { filename: 'm.wasm', lineno: 0, function: 'f', offset: 2 };
const M1NOFN = { filename: 'm.wasm', lineno: 0, offset: 1 };

function build() {
  const b = new SnapshotBuilder(3);
  b.traceback([A5F]); // 0
  b.traceback([A5G]); // 1: same key as 0
  b.traceback([A6, M1]); // 2
  b.traceback([A6, M2]); // 3
  b.traceback([]); // 4
  b.traceback([{ filename: '<unknown>', lineno: 0 }]); // 5: same key as 4
  b.traceback([M1NOFN]); // 6
  return b.build();
}

describe('TracebackTable', () => {
  const data = build();
  const table = TracebackTable.of(data);

  it('is built once per frames and tracebacks arrays', () => {
    expect(TracebackTable.of(data)).toBe(table);
    expect(TracebackTable.cached({ frames: data.frames, tracebacks: data.tracebacks })).toBe(table);
    expect(TracebackTable.cached({ frames: data.frames.slice(), tracebacks: data.tracebacks })).toBeUndefined();
    expect(TracebackTable.cached(build())).toBeUndefined();
  });

  it('caches Frame and Traceback objects and reads an empty traceback as <unknown>:0', () => {
    expect(table.frame(0)).toBe(table.frame(0));
    expect(table.frame(table.frameCount)).toBe(UNKNOWN_FRAME);
    expect(table.traceback(2)).toBe(table.traceback(2));
    expect(String(table.traceback(4))).toBe('<unknown>:0');
    expect(table.framesOf(4)).toEqual([table.frameCount]);
    // frames: 0 a.c:5 f, 1 a.c:5 g, 2 a.c:6, 3 m.wasm f+1, 4 m.wasm f+2, 5 <unknown>:0, 6 m.wasm +1
    expect(Array.from(table.mostRecentFrames())).toEqual([0, 1, 3, 4, table.frameCount, 5, 6]);
  });

  it('interns line keys: one line merges, Wasm sites stay apart', () => {
    const ids = table.ids('lineno');
    const of = (frame: number): number => ids.of[frame];
    expect(of(0)).toBe(of(1)); // a.c:5 twice
    expect(new Set([of(0), of(2), of(3), of(4), of(5), of(6)]).size).toBe(6); // a.c:5, a.c:6, m.wasm f+1, f+2, <unknown>:0, m.wasm <unknown>+1
    expect(of(5)).toBe(of(table.frameCount)); // an explicit <unknown>:0 frame is the fallback frame
    expect(ids.count).toBe(6);
    expect(table.keyString('lineno', of(3))).toBe(table.frame(3).key);
    expect(table.keyTraceback('lineno', of(1)).frames[0]).toBe(table.frame(0)); // the first frame of the key
  });

  it('interns file keys and traceback keys', () => {
    const files = table.ids('filename');
    expect(files.count).toBe(3);
    expect(table.keyString('filename', files.of[3])).toBe('m.wasm');
    expect(String(table.keyTraceback('filename', files.of[0]))).toBe('a.c:0');
    const tbs = table.ids('traceback');
    expect(Array.from(tbs.of)).toEqual([0, 0, 1, 2, 3, 3, 4]);
    expect(Array.from(tbs.first)).toEqual([0, 2, 3, 4, 6]);
    expect(table.keyTraceback('traceback', 1)).toBe(table.traceback(2));
    expect(table.keyString('traceback', 1)).toBe(table.traceback(2).key);
  });

  it('keeps traceback keys distinct beyond 65536 line keys', () => {
    const b = new SnapshotBuilder();
    for (let i = 1; i <= 70_000; i++) b.traceback([{ filename: 'big.c', lineno: i }]);
    b.traceback([{ filename: 'big.c', lineno: 1 }, { filename: 'big.c', lineno: 65_537 }]);
    b.traceback([{ filename: 'big.c', lineno: 65_537 }, { filename: 'big.c', lineno: 1 }]);
    const big = TracebackTable.of(b.build());
    expect(big.ids('traceback').count).toBe(70_002);
  });
});
