// Per-traceback counters and the peak's composition, from the core through
// takeSnapshot() to statistics, compareTo, peakStatistics and filters: the hot
// exports are called directly, as an instrumented module would.
import { afterEach, describe, expect, it } from 'vitest';
import * as tracemalloc from './tracemalloc.js';
import { Filter, Snapshot, SnapshotBuilder, type StatisticDiff } from './model/index.js';
import type { SiteTable } from './site-table.js';

const SITES: SiteTable = {
  version: 2,
  codeSectionOffset: 0,
  sites: [
    { kind: 'call', allocator: 'malloc', func: 0, offset: 10, frames: [{ file: 'churn.c', line: 14 }] },
    { kind: 'call', allocator: 'free', func: 0, offset: 20, frames: [{ file: 'churn.c', line: 15 }] },
    { kind: 'call', allocator: 'malloc', func: 1, offset: 30, frames: [{ file: 'peak.c', line: 5 }] },
    { kind: 'call', allocator: 'malloc', func: 1, offset: 40, frames: [{ file: 'peak.c', line: 9 }] },
    { kind: 'call', allocator: 'realloc', func: 1, offset: 50, frames: [{ file: 'grow.c', line: 3 }] },
  ],
};
const [CHURN, FREE, A, B, GROW] = [0, 1, 2, 3, 4];

/**
 * A base with counters and nothing in it: a diff against it lists every group with
 * counters, live or only churned (statistics() lists those that hold blocks).
 */
const EMPTY = new Snapshot({
  tracebackLimit: 1,
  frames: [],
  tracebacks: [{ frames: [], totalNframe: 0, allocCount: 0, allocSize: 0, freeCount: 0, freeSize: 0 }],
  traces: { domain: new Uint32Array(0), size: new Float64Array(0), traceback: new Uint32Array(0) },
});

function traced(): { domain: number; alloc(ptr: number, size: number, site: number): void; free(ptr: number): void; realloc(old: number, ptr: number, size: number): void } {
  tracemalloc.start(1);
  const { domain, imports } = tracemalloc.traceImports(SITES, 'counters.wasm');
  const d = domain.id;
  const hot = imports as unknown as { alloc(...a: number[]): void; free(...a: number[]): void; realloc(...a: number[]): void };
  return {
    domain: d,
    alloc: (ptr, size, site) => hot.alloc(d, ptr, size, site),
    free: (ptr) => hot.free(d, ptr, FREE),
    realloc: (old, ptr, size) => hot.realloc(d, old, ptr, size, GROW),
  };
}

/** [key, size, count] of each Statistic, as text. */
function rows(stats: Array<{ traceback: unknown; size: number; count: number }>): string[] {
  return stats.map((s) => `${String(s.traceback)} ${s.size} B ${s.count}`);
}

afterEach(() => tracemalloc.stop());

describe('per-traceback counters in snapshots', () => {
  it('1,000 allocs and frees of 64 B between two snapshots: +1,000 allocated, +1,000 freed, Δ 0, and the row appears', () => {
    const m = traced();
    m.alloc(0x10, 100, A); // live throughout
    const before = tracemalloc.takeSnapshot();
    for (let i = 0; i < 1000; i++) m.alloc(0x1000 + i * 64, 64, CHURN);
    for (let i = 0; i < 1000; i++) m.free(0x1000 + i * 64);
    const after = tracemalloc.takeSnapshot();
    expect(after.length).toBe(1);
    const diff = after.compareTable(before, 'lineno').toArray() as StatisticDiff[];
    // compareTo, as tracemalloc's, lists what holds blocks in either snapshot: not the churned line.
    expect(after.compareTo(before, 'lineno').map((d) => String(d.traceback))).toEqual(['peak.c:5']);
    const churn = diff.find((d) => String(d.traceback) === 'churn.c:14')!;
    expect(churn).toBeDefined();
    expect([churn.size, churn.sizeDiff, churn.count, churn.countDiff]).toEqual([0, 0, 0, 0]);
    expect([churn.allocCountDiff, churn.allocSizeDiff, churn.freeCountDiff, churn.freeSizeDiff]).toEqual([1000, 64_000, 1000, 64_000]);
    const a = diff.find((d) => String(d.traceback) === 'peak.c:5')!;
    expect([a.sizeDiff, a.allocCountDiff, a.freeCountDiff, a.allocCount]).toEqual([0, 0, 0, 1]);
    // statistics() lists what holds blocks, as tracemalloc's: not the churned line.
    expect(after.statistics('lineno').map(String)).toEqual(['peak.c:5: size=100 B, count=1, average=100 B']);
    // filename diffs sum the counters per file; the free's site (churn.c:15) is no group.
    expect((after.compareTable(before, 'filename').toArray() as StatisticDiff[]).map((s) => [String(s.traceback), s.allocCountDiff, s.freeCountDiff])).toEqual([
      ['peak.c:0', 0, 0],
      ['churn.c:0', 1000, 1000],
    ]);
  });

  it('a free counts at the line that allocated the block; a realloc counts a free and an alloc', () => {
    const m = traced();
    m.alloc(0x100, 40, A);
    m.realloc(0x100, 0x200, 100); // moves: A's block freed, a new one at grow.c:3
    m.realloc(0x200, 0x200, 300); // in place: grow.c's block freed, a new one
    const s = tracemalloc.takeSnapshot();
    const by = Object.fromEntries((s.compareTable(EMPTY, 'lineno').toArray() as StatisticDiff[]).map((x) => [String(x.traceback), [x.size, x.count, x.allocCount, x.allocSize, x.freeCount, x.freeSize]]));
    expect(by).toEqual({ 'grow.c:3': [300, 1, 2, 400, 1, 100], 'peak.c:5': [0, 0, 1, 40, 1, 40] });
  });

  it('peakStatistics: 100 × 1 KiB at A freed, 10 × 1 KiB at B live: the peak is A’s, then B’s once B is higher; resetPeak makes it now', () => {
    const m = traced();
    for (let i = 0; i < 100; i++) m.alloc(0x10000 + i * 1024, 1024, A);
    for (let i = 0; i < 100; i++) m.free(0x10000 + i * 1024);
    for (let i = 0; i < 10; i++) m.alloc(0x100000 + i * 1024, 1024, B);
    let s = tracemalloc.takeSnapshot();
    expect(s.meta.peak).toBe(102_400);
    expect(rows(s.peakStatistics('lineno'))).toEqual(['peak.c:5 102400 B 100']);
    expect(rows(s.statistics('lineno'))).toEqual(['peak.c:9 10240 B 10']);
    for (let i = 10; i < 150; i++) m.alloc(0x100000 + i * 1024, 1024, B);
    for (let i = 0; i < 20; i++) m.free(0x100000 + i * 1024);
    s = tracemalloc.takeSnapshot();
    expect(rows(s.peakStatistics('lineno'))).toEqual(['peak.c:9 153600 B 150']);
    expect(rows(s.peakStatistics('filename'))).toEqual(['peak.c:0 153600 B 150']);
    tracemalloc.resetPeak();
    m.free(0x100000 + 20 * 1024);
    s = tracemalloc.takeSnapshot();
    expect(rows(s.peakStatistics('lineno'))).toEqual(['peak.c:9 133120 B 130']);
    expect(rows(s.statistics('lineno'))).toEqual(['peak.c:9 132096 B 129']);
  });

  it('filters apply to tracebacks with counters but no trace, by filename as to the others', () => {
    const m = traced();
    m.alloc(0x10, 100, A);
    for (let i = 0; i < 10; i++) m.alloc(0x1000 + i * 64, 64, CHURN);
    for (let i = 0; i < 10; i++) m.free(0x1000 + i * 64);
    const s = tracemalloc.takeSnapshot();
    // Against an empty snapshot, a diff lists every group with counters, live or not.
    const keys = (x: Snapshot) => (x.compareTable(EMPTY, 'lineno').toArray() as StatisticDiff[]).map((r) => String(r.traceback));
    expect(keys(s)).toEqual(['peak.c:5', 'churn.c:14']);
    expect(keys(s.filterTraces([new Filter(false, 'churn.c')]))).toEqual(['peak.c:5']);
    expect(keys(s.filterTraces([new Filter(true, 'churn.c')]))).toEqual(['churn.c:14']);
    expect((s.filterTraces([new Filter(true, 'churn.c')]).compareTable(EMPTY, 'lineno').toArray()[0] as StatisticDiff).allocCount).toBe(10);
    // A domain filter keeps the counters of the tracebacks whose traces pass; one of no trace has no known domain.
    expect(keys(s.filterTraces([new Filter(true, '*', null, false, m.domain)]))).toEqual(['peak.c:5']);
    expect(keys(s.filterTraces([new Filter(false, 'nothing.c', null, false, m.domain)]))).toEqual(['peak.c:5', 'churn.c:14']);
    expect(keys(s.filterTraces([]))).toEqual(['peak.c:5', 'churn.c:14']);
  });

  it('per-site samples: A grows then shrinks, B grows; the snapshot names them by its own traceback indices', () => {
    tracemalloc.stopSampling(); // only the samples taken here
    const m = traced();
    for (let i = 0; i < 4; i++) m.alloc(0x1000 + i * 256, 256, A);
    tracemalloc.takeSample(); // sample 1: A 1024
    for (let i = 0; i < 4; i++) m.alloc(0x8000 + i * 512, 512, B);
    tracemalloc.takeSample(); // sample 2: A 1024, B 2048
    for (let i = 0; i < 3; i++) m.free(0x1000 + i * 256);
    const s = tracemalloc.takeSnapshot(); // sample 3 (the snapshot's): A 256, B 2048
    const series = s.samples!;
    expect(series.current).toEqual([0, 1024, 3072, 2304]);
    const names = series.sites!.traceback.map((t) => {
      const frame = s.data.frames[s.data.tracebacks[t]!.frames.at(-1)!]!;
      return `${frame.filename}:${frame.lineno}`;
    });
    expect(names).toEqual(['peak.c:5', 'peak.c:9']);
    expect(series.sites!.size).toEqual([
      [0, 1024, 1024, 256],
      [0, 0, 2048, 2048],
    ]);
    expect(tracemalloc.getSamples().sites).toBeUndefined();
    // The series survives the snapshot file.
    expect(Snapshot.load(s.dump()).samples!.sites).toEqual(series.sites);
    tracemalloc.startSampling();
  });

  it('sampled: the counters are estimates like sizes, rounded per traceback, and a site of blocks above the interval counts exactly', () => {
    tracemalloc.start(1, { samplingIntervalBytes: 4096 });
    const { domain, imports } = tracemalloc.traceImports(SITES, 'sampled.wasm');
    const hot = imports as unknown as { alloc(...a: number[]): void; free(...a: number[]): void };
    for (let i = 0; i < 20; i++) hot.alloc(domain.id, 0x100000 * (i + 1), 1 << 20, A); // always sampled (p = 1 − e^−256)
    for (let i = 0; i < 5; i++) hot.free(domain.id, 0x100000 * (i + 1), FREE);
    for (let i = 0; i < 10_000; i++) hot.alloc(domain.id, 0x4000_0000 + i * 128, 100, B);
    const s = tracemalloc.takeSnapshot();
    const by = Object.fromEntries(s.statistics('lineno').map((x) => [String(x.traceback), x]));
    expect([by['peak.c:5']!.allocCount, by['peak.c:5']!.allocSize, by['peak.c:5']!.freeCount, by['peak.c:5']!.size]).toEqual([20, 20 << 20, 5, 15 << 20]);
    // B: the estimate of 10,000 × 100 B equals the snapshot's own estimate of its live bytes.
    const b = by['peak.c:9']!;
    expect(b.allocSize).toBe(b.size);
    expect(b.allocCount).toBe(b.count);
    expect(Number.isInteger(b.allocCount)).toBe(true);
  });

  it('a diff against a snapshot without counters (an older file) has no counter fields', () => {
    const old = new Snapshot(new SnapshotBuilder().add(0, 64, [{ filename: 'churn.c', lineno: 14 }]).build());
    const m = traced();
    m.alloc(0x10, 64, CHURN);
    const now = tracemalloc.takeSnapshot();
    const [d] = now.compareTo(old, 'lineno');
    expect([d!.sizeDiff, d!.allocCountDiff, d!.allocCount]).toEqual([0, undefined, undefined]);
    expect(old.peakStatistics('lineno')).toEqual([]);
    expect(old.statistics('lineno')[0]!.allocCount).toBeUndefined();
  });
});
