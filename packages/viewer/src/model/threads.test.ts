import { describe, expect, it } from 'vitest';
import type { SnapshotData } from '@wasm-tracemalloc/runtime/model';
import { Analysis } from './analysis.js';
import { unpackStrings } from './packed-strings.js';
import { decodeUrlState, encodeUrlState } from './url-state.js';
import { DEFAULT_VIEW_STATE, selectionOf } from './view-state.js';

/** A program on threads: thread 3 leaks 500 × 64 B at w.c:9, thread 4 holds 50 × 256 B at b.c:68, the main thread 10 × 32 B at m.c:3 and w.c:9 too. */
function threaded(): SnapshotData {
  const frames = [{ filename: 'w.c', lineno: 9 }, { filename: 'b.c', lineno: 68 }, { filename: 'm.c', lineno: 3 }];
  const tracebacks = [{ frames: [0], totalNframe: 1, thread: 3 }, { frames: [1], totalNframe: 1, thread: 4 }, { frames: [2], totalNframe: 1, thread: 0 }, { frames: [0], totalNframe: 1, thread: 0 }];
  const sizes: number[] = [];
  const tbs: number[] = [];
  const add = (n: number, size: number, tb: number) => {
    for (let i = 0; i < n; i++) (sizes.push(size), tbs.push(tb));
  };
  add(500, 64, 0);
  add(50, 256, 1);
  add(10, 32, 2);
  add(2, 64, 3);
  return { tracebackLimit: 1, frames, tracebacks, traces: { domain: new Uint32Array(sizes.length).fill(1), size: Float64Array.from(sizes), traceback: Uint32Array.from(tbs) } };
}

describe('threads in the viewer', () => {
  it('the summary lists each thread that allocated; the table keeps the threads selected', () => {
    const a = new Analysis();
    const summary = a.add(0, threaded(), 'threads.wtmsnap');
    expect(summary.threads).toEqual([
      { thread: 0, size: 448, count: 12 },
      { thread: 3, size: 32_000, count: 500 },
      { thread: 4, size: 12_800, count: 50 },
    ]);
    const rows = (threads: number[] | null) => {
      const t = a.table({ selection: { ...selectionOf({ ...DEFAULT_VIEW_STATE }), threads }, keyType: 'lineno', cumulative: false });
      return unpackStrings(t.keys).map((k, i) => `${k} ${t.size[i]} B ${t.count[i]}`);
    };
    expect(rows(null)).toEqual(['w.c:9 32128 B 502', 'b.c:68 12800 B 50', 'm.c:3 320 B 10']);
    expect(rows([3])).toEqual(['w.c:9 32000 B 500']);
    expect(rows([0])).toEqual(['m.c:3 320 B 10', 'w.c:9 128 B 2']);
    expect(rows([0, 4])).toEqual(['b.c:68 12800 B 50', 'm.c:3 320 B 10', 'w.c:9 128 B 2']);
  });

  it('a snapshot without threads has none in its summary', () => {
    const data = threaded();
    data.tracebacks = data.tracebacks.map(({ frames, totalNframe }) => ({ frames, totalNframe }));
    expect(new Analysis().add(0, data, 'plain.wtmsnap').threads).toEqual([]);
  });

  it('the URL keeps the threads selected', () => {
    const state = { ...DEFAULT_VIEW_STATE, threads: [0, 4] };
    const params = encodeUrlState({ state, urls: [] });
    expect(params.get('thr')).toBe('0,4');
    expect(decodeUrlState(params).state.threads).toEqual([0, 4]);
    expect(decodeUrlState(new URLSearchParams('thr=x')).state.threads).toBeNull();
  });
});
