import { describe, expect, it } from 'vitest';
import { SnapshotBuilder } from './snapshot-builder.js';

describe('SnapshotBuilder', () => {
  it('interns frames and tracebacks and fills the columns', () => {
    const main = { filename: 'main.c', lineno: 30 };
    const leak = { filename: 'leak.c', lineno: 14 };
    const data = new SnapshotBuilder(5)
      .add(0, 100, [main, leak])
      .add(1, 200, [main, leak])
      .add(0, 7, [main, leak], 9)
      .addMany(2, 0, 16, [])
      .build({ meta: { current: 339 } });
    expect(data.tracebackLimit).toBe(5);
    expect(data.frames).toEqual([main, leak]);
    expect(data.tracebacks).toEqual([
      { frames: [0, 1], totalNframe: 2 },
      { frames: [0, 1], totalNframe: 9 },
      { frames: [], totalNframe: 0 },
    ]);
    expect(Array.from(data.traces.domain)).toEqual([0, 1, 0, 0, 0]);
    expect(Array.from(data.traces.size)).toEqual([100, 200, 7, 16, 16]);
    expect(Array.from(data.traces.traceback)).toEqual([0, 0, 1, 2, 2]);
    expect(data.meta).toEqual({ current: 339 });
  });

  it('keeps frames that differ in function or offset apart', () => {
    const b = new SnapshotBuilder();
    expect(b.frame({ filename: 'm.wasm', lineno: 0, function: 'f', offset: 1 })).toBe(0);
    expect(b.frame({ filename: 'm.wasm', lineno: 0, function: 'f', offset: 2 })).toBe(1);
    expect(b.frame({ filename: 'm.wasm', lineno: 0, function: 'g', offset: 1 })).toBe(2);
    expect(b.frame({ filename: 'm.wasm', lineno: 0, offset: 1 })).toBe(3);
    expect(b.frame({ filename: 'm.wasm', lineno: 0, function: 'f', offset: 1 })).toBe(0);
    expect(b.build().frames[3]).toEqual({ filename: 'm.wasm', lineno: 0, offset: 1 });
    expect('function' in b.build().frames[3]).toBe(false);
  });
});
