import { describe, expect, it } from 'vitest';
import { DomainFilter, Filter } from './filter.js';
import { Snapshot } from './snapshot.js';
import { SnapshotBuilder } from './snapshot-builder.js';
import { InvalidSnapshotError, type FrameData, type SnapshotData } from './snapshot-data.js';
import { encodeSnapshot } from './snapshot-file.js';
import type { Statistic, StatisticDiff } from './statistic.js';

type RawTrace = [domain: number, size: number, frames: Array<[string, number]>, totalNframe: number];

/** A snapshot from traces written as CPython's _tracemalloc returns them: frames most recent first. */
function fromPython(raw: RawTrace[], tracebackLimit = 2): Snapshot {
  const b = new SnapshotBuilder(tracebackLimit);
  for (const [domain, size, frames, total] of raw) {
    b.add(domain, size, frames.map(([filename, lineno]) => ({ filename, lineno })).reverse(), total);
  }
  return new Snapshot(b.build());
}

// CPython Lib/test/test_tracemalloc.py create_snapshots()
const snapshot = fromPython([
  [0, 10, [['a.py', 2], ['b.py', 4]], 3],
  [0, 10, [['a.py', 2], ['b.py', 4]], 3],
  [0, 10, [['a.py', 2], ['b.py', 4]], 3],
  [1, 2, [['a.py', 5], ['b.py', 4]], 3],
  [2, 66, [['b.py', 1]], 1],
  [3, 7, [['<unknown>', 0]], 1],
]);
const snapshot2 = fromPython([
  [0, 10, [['a.py', 2], ['b.py', 4]], 3],
  [0, 10, [['a.py', 2], ['b.py', 4]], 3],
  [0, 10, [['a.py', 2], ['b.py', 4]], 3],
  [2, 2, [['a.py', 5], ['b.py', 4]], 3],
  [2, 5000, [['a.py', 5], ['b.py', 4]], 3],
  [4, 400, [['c.py', 578]], 1],
]);

const stat = (s: Statistic): string => `${s.traceback.frames.join(' > ')} ${s.size} ${s.count}`;
const diff = (d: StatisticDiff): string => `${d.traceback.frames.join(' > ')} ${d.size} ${d.sizeDiff} ${d.count} ${d.countDiff}`;
/** Traces as Python tuples: domain, size, frames most recent first, totalNframe. */
const rawTraces = (s: Snapshot): RawTrace[] =>
  s.traces.map((t) => [t.domain, t.size, [...t.traceback].reverse().map((f): [string, number] => [f.filename, f.lineno]), t.traceback.totalNframe]);

describe('Snapshot (CPython TestSnapshot)', () => {
  it('exposes its traces like test_create_snapshot', () => {
    const s = fromPython([[0, 5, [['a.py', 2]], 10]], 5);
    expect(s.tracebackLimit).toBe(5);
    expect(s.length).toBe(1);
    const trace = s.traces[0];
    expect(trace.size).toBe(5);
    expect(trace.traceback.totalNframe).toBe(10);
    expect(trace.traceback.length).toBe(1);
    expect(trace.traceback.frames[0].filename).toBe('a.py');
    expect(trace.traceback.frames[0].lineno).toBe(2);
  });

  it('groups by line (test_snapshot_group_by_line)', () => {
    expect(snapshot.statistics('lineno').map(stat)).toEqual(['b.py:1 66 1', 'a.py:2 30 3', '<unknown>:0 7 1', 'a.py:5 2 1']);
    expect(snapshot2.statistics('lineno').map(stat)).toEqual(['a.py:5 5002 2', 'c.py:578 400 1', 'a.py:2 30 3']);
    expect(snapshot2.compareTo(snapshot, 'lineno').map(diff)).toEqual([
      'a.py:5 5002 5000 2 1',
      'c.py:578 400 400 1 1',
      'b.py:1 0 -66 0 -1',
      '<unknown>:0 0 -7 0 -1',
      'a.py:2 30 0 3 0',
    ]);
  });

  it('groups by file (test_snapshot_group_by_file)', () => {
    expect(snapshot.statistics('filename').map(stat)).toEqual(['b.py:0 66 1', 'a.py:0 32 4', '<unknown>:0 7 1']);
    expect(snapshot2.statistics('filename').map(stat)).toEqual(['a.py:0 5032 5', 'c.py:0 400 1']);
    expect(snapshot2.compareTo(snapshot, 'filename').map(diff)).toEqual([
      'a.py:0 5032 5000 5 1',
      'c.py:0 400 400 1 1',
      'b.py:0 0 -66 0 -1',
      '<unknown>:0 0 -7 0 -1',
    ]);
  });

  it('groups by traceback (test_snapshot_group_by_traceback)', () => {
    expect(snapshot.statistics('traceback').map(stat)).toEqual(['b.py:1 66 1', 'b.py:4 > a.py:2 30 3', '<unknown>:0 7 1', 'b.py:4 > a.py:5 2 1']);
    expect(snapshot2.statistics('traceback').map(stat)).toEqual(['b.py:4 > a.py:5 5002 2', 'c.py:578 400 1', 'b.py:4 > a.py:2 30 3']);
    expect(snapshot2.compareTo(snapshot, 'traceback').map(diff)).toEqual([
      'b.py:4 > a.py:5 5002 5000 2 1',
      'c.py:578 400 400 1 1',
      'b.py:1 0 -66 0 -1',
      '<unknown>:0 0 -7 0 -1',
      'b.py:4 > a.py:2 30 0 3 0',
    ]);
    expect(() => snapshot.statistics('traceback', true)).toThrow(RangeError);
  });

  it('groups cumulatively (test_snapshot_group_by_cumulative)', () => {
    expect(snapshot.statistics('filename', true).map(stat)).toEqual(['b.py:0 98 5', 'a.py:0 32 4', '<unknown>:0 7 1']);
    expect(snapshot.statistics('lineno', true).map(stat)).toEqual(['b.py:1 66 1', 'b.py:4 32 4', 'a.py:2 30 3', '<unknown>:0 7 1', 'a.py:5 2 1']);
  });

  it('prints traces and statistics (test_trace_format, test_statistic_format, test_statistic_diff_format)', () => {
    // CPython prints the oldest frame here ('b.py:4: 10 B'); we print the allocation site.
    expect(String(snapshot.traces[0])).toBe('a.py:2: 10 B');
    expect(String(snapshot.statistics('lineno')[0])).toBe('b.py:1: size=66 B, count=1, average=66 B');
    expect(String(snapshot2.compareTo(snapshot, 'lineno')[0])).toBe('a.py:5: size=5002 B (+5000 B), count=2 (+1), average=2501 B');
  });

  it('filters traces (test_filter_traces)', () => {
    const original = rawTraces(snapshot);
    const snapshot3 = snapshot.filterTraces([new Filter(false, 'b.py')]);
    expect(rawTraces(snapshot3)).toEqual([
      [0, 10, [['a.py', 2], ['b.py', 4]], 3],
      [0, 10, [['a.py', 2], ['b.py', 4]], 3],
      [0, 10, [['a.py', 2], ['b.py', 4]], 3],
      [1, 2, [['a.py', 5], ['b.py', 4]], 3],
      [3, 7, [['<unknown>', 0]], 1],
    ]);
    expect(rawTraces(snapshot)).toEqual(original); // untouched
    const snapshot4 = snapshot3.filterTraces([new Filter(true, 'a.py', 2), new Filter(true, 'a.py', 5)]);
    expect(rawTraces(snapshot4)).toEqual([
      [0, 10, [['a.py', 2], ['b.py', 4]], 3],
      [0, 10, [['a.py', 2], ['b.py', 4]], 3],
      [0, 10, [['a.py', 2], ['b.py', 4]], 3],
      [1, 2, [['a.py', 5], ['b.py', 4]], 3],
    ]);
    const snapshot5 = snapshot.filterTraces([]);
    expect(snapshot5).not.toBe(snapshot);
    expect(snapshot5.data.traces.size).not.toBe(snapshot.data.traces.size);
    expect(rawTraces(snapshot5)).toEqual(original);
    expect(() => snapshot.filterTraces(new Filter(false, 'b.py') as never)).toThrow(TypeError);
    expect(() => snapshot.filterTraces(['b.py'] as never)).toThrow(/Filter and DomainFilter/);
  });

  it('filters traces by domain (test_filter_traces_domain, test_filter_traces_domain_filter)', () => {
    expect(rawTraces(snapshot.filterTraces([new Filter(false, 'a.py', null, false, 1)]))).toEqual([
      [0, 10, [['a.py', 2], ['b.py', 4]], 3],
      [0, 10, [['a.py', 2], ['b.py', 4]], 3],
      [0, 10, [['a.py', 2], ['b.py', 4]], 3],
      [2, 66, [['b.py', 1]], 1],
      [3, 7, [['<unknown>', 0]], 1],
    ]);
    expect(rawTraces(snapshot.filterTraces([new Filter(true, 'a.py', null, false, 1)]))).toEqual([[1, 2, [['a.py', 5], ['b.py', 4]], 3]]);
    expect(rawTraces(snapshot.filterTraces([new DomainFilter(false, 3)]))).toEqual([
      [0, 10, [['a.py', 2], ['b.py', 4]], 3],
      [0, 10, [['a.py', 2], ['b.py', 4]], 3],
      [0, 10, [['a.py', 2], ['b.py', 4]], 3],
      [1, 2, [['a.py', 5], ['b.py', 4]], 3],
      [2, 66, [['b.py', 1]], 1],
    ]);
    expect(rawTraces(snapshot.filterTraces([new DomainFilter(true, 3)]))).toEqual([[3, 7, [['<unknown>', 0]], 1]]);
  });
});

// A leaking C program: main.c:30 calls make_list (list.c:8) which leaks 1000 nodes
// of 100 B at leak.c:14; main.c:31 keeps one 4000 B buffer; the runtime's own
// module (domain 1) holds 64 blocks of 16 B.
const MAIN_30 = { filename: 'main.c', lineno: 30 };
const MAIN_31 = { filename: 'main.c', lineno: 31 };
const LIST_8 = { filename: 'list.c', lineno: 8 };
const LEAK_14 = { filename: 'leak.c', lineno: 14 };
const RT = { filename: 'rt.wasm', lineno: 0, function: 'grow', offset: 0x1a2 };

function leaky(nodes = 1000): SnapshotData {
  return new SnapshotBuilder(8)
    .addMany(nodes, 0, 100, [MAIN_30, LIST_8, LEAK_14])
    .add(0, 4000, [MAIN_31])
    .addMany(64, 1, 16, [RT])
    .build({ domains: [{ id: 0, name: 'app.wasm' }, { id: 1, name: 'rt.wasm' }], meta: { current: 105024, peak: 200000 } });
}

describe('Snapshot statistics', () => {
  it('reports 1000 blocks of 100 B at leak.c:14 first', () => {
    const stats = new Snapshot(leaky()).statistics('lineno');
    expect(stats.map(String)).toEqual([
      'leak.c:14: size=97.7 KiB, count=1000, average=100 B',
      'main.c:31: size=4000 B, count=1, average=4000 B',
      'rt.wasm:grow+0x1a2: size=1024 B, count=64, average=16 B',
    ]);
    expect(stats[0].traceback.frames.map(String)).toEqual(['leak.c:14']);
  });

  it('groups by file and by whole traceback', () => {
    const s = new Snapshot(leaky());
    expect(s.statistics('filename').map(String)).toEqual([
      'leak.c:0: size=97.7 KiB, count=1000, average=100 B',
      'main.c:0: size=4000 B, count=1, average=4000 B',
      'rt.wasm:0: size=1024 B, count=64, average=16 B',
    ]);
    const byTraceback = s.statistics('traceback');
    expect(byTraceback.map(String)[0]).toBe('leak.c:14: size=97.7 KiB, count=1000, average=100 B');
    expect(byTraceback[0].traceback.format()).toEqual(['  File "main.c", line 30', '  File "list.c", line 8', '  File "leak.c", line 14']);
    expect(byTraceback[0].traceback.totalNframe).toBe(3);
  });

  it('counts a block once per file or line in cumulative mode', () => {
    const s = new Snapshot(leaky());
    expect(s.statistics('lineno', true).map(String)).toEqual([
      'main.c:30: size=97.7 KiB, count=1000, average=100 B',
      'list.c:8: size=97.7 KiB, count=1000, average=100 B',
      'leak.c:14: size=97.7 KiB, count=1000, average=100 B',
      'main.c:31: size=4000 B, count=1, average=4000 B',
      'rt.wasm:grow+0x1a2: size=1024 B, count=64, average=16 B',
    ]);
    expect(s.statistics('filename', true).map(String)).toEqual([
      'main.c:0: size=102 KiB, count=1001, average=104 B', // 104000 B
      'list.c:0: size=97.7 KiB, count=1000, average=100 B',
      'leak.c:0: size=97.7 KiB, count=1000, average=100 B',
      'rt.wasm:0: size=1024 B, count=64, average=16 B',
    ]);
  });

  it('does not count recursion twice in cumulative mode (CPython does)', () => {
    // One 10 B block allocated by f.c:3 -> f.c:7 -> f.c:3 (recursion). CPython 3.11
    // reports f.c:3 size=20 count=2 and f.c:0 size=30 count=3 for this single block.
    const f3 = { filename: 'f.c', lineno: 3 };
    const f7 = { filename: 'f.c', lineno: 7 };
    const s = new Snapshot(new SnapshotBuilder(3).add(0, 10, [f3, f7, f3]).build());
    expect(s.statistics('lineno', true).map(stat)).toEqual(['f.c:7 10 1', 'f.c:3 10 1']);
    expect(s.statistics('filename', true).map(stat)).toEqual(['f.c:0 10 1']);
    expect(s.statistics('lineno').map(stat)).toEqual(['f.c:3 10 1']);
  });

  it('merges frames of one line and keeps Wasm call sites without a line apart', () => {
    const s = new Snapshot(
      new SnapshotBuilder()
        .add(0, 8, [{ filename: 'a.c', lineno: 5, function: 'f', offset: 10 }])
        .add(0, 8, [{ filename: 'a.c', lineno: 5, function: 'f', offset: 20 }]) // same line, other call
        .add(0, 8, [{ filename: 'm.wasm', lineno: 0, function: 'f', offset: 10 }])
        .add(0, 8, [{ filename: 'm.wasm', lineno: 0, function: 'f', offset: 20 }])
        .build(),
    );
    expect(s.statistics('lineno').map(String)).toEqual([
      'a.c:5: size=16 B, count=2, average=8 B',
      'm.wasm:f+0x14: size=8 B, count=1, average=8 B',
      'm.wasm:f+0xa: size=8 B, count=1, average=8 B',
    ]);
    expect(s.statistics('traceback').map(stat)).toEqual(['a.c:5 16 2', 'm.wasm:f+0x14 8 1', 'm.wasm:f+0xa 8 1']);
  });

  it('groups empty tracebacks under <unknown>:0 together with explicit ones', () => {
    const s = new Snapshot(new SnapshotBuilder().add(0, 5, []).add(0, 6, [{ filename: '<unknown>', lineno: 0 }]).build());
    expect(s.statistics('lineno').map(String)).toEqual(['<unknown>:0: size=11 B, count=2, average=6 B']);
    expect(s.statistics('traceback').map(stat)).toEqual(['<unknown>:0 11 2']);
  });

  it('counts zero-size blocks and returns nothing for an empty snapshot', () => {
    const s = new Snapshot(new SnapshotBuilder().add(0, 0, [LEAK_14]).build());
    expect(s.statistics('lineno').map(String)).toEqual(['leak.c:14: size=0 B, count=1, average=0 B']);
    const empty = new Snapshot(new SnapshotBuilder().build());
    expect(empty.statistics('lineno')).toEqual([]);
    expect(empty.compareTo(empty, 'traceback')).toEqual([]);
    expect(empty.length).toBe(0);
    expect(empty.domains).toEqual([]);
    expect(empty.meta).toEqual({});
  });

  it('rejects an unknown key type and cumulative tracebacks like Python', () => {
    const s = new Snapshot(leaky());
    expect(() => s.statistics('line' as never)).toThrow(new RangeError(`unknown key_type: "line"; use 'filename', 'lineno' or 'traceback'`));
    expect(() => s.statistics('traceback', true)).toThrow(/cumulative mode cannot be used with key type 'traceback'/);
    expect(() => s.compareTo(s, 'traceback', true)).toThrow(RangeError);
    expect(() => s.compareTo({} as Snapshot, 'lineno')).toThrow(TypeError);
  });

  it('exposes domains and meta', () => {
    const s = new Snapshot(leaky());
    expect(s.domains).toEqual([{ id: 0, name: 'app.wasm' }, { id: 1, name: 'rt.wasm' }]);
    expect(s.meta.peak).toBe(200000);
    expect(s.length).toBe(1065);
    expect(s.traces).toBe(s.traces); // built once
    expect(s.traces[0].traceback).toBe(s.traces[999].traceback); // interned
  });
});

describe('Snapshot.compareTo', () => {
  it('diffs two snapshots with their own frame tables', () => {
    const before = new Snapshot(leaky(10));
    const after = new Snapshot(
      new SnapshotBuilder(8)
        .add(1, 16, [RT]) // rt.wasm shrank from 64 blocks to 1
        .addMany(1000, 0, 100, [MAIN_30, LIST_8, LEAK_14])
        .add(0, 50, [{ filename: 'new.c', lineno: 1 }])
        .build(),
    );
    expect(after.compareTo(before, 'lineno').map(String)).toEqual([
      'leak.c:14: size=97.7 KiB (+96.7 KiB), count=1000 (+990), average=100 B',
      'main.c:31: size=0 B (-4000 B), count=0 (-1)',
      'rt.wasm:grow+0x1a2: size=16 B (-1008 B), count=1 (-63), average=16 B',
      'new.c:1: size=50 B (+50 B), count=1 (+1), average=50 B',
    ]);
    expect(before.compareTo(before, 'filename').map(String)).toEqual([
      // no differences: ordered by size
      'main.c:0: size=4000 B (+0 B), count=1 (+0), average=4000 B',
      'rt.wasm:0: size=1024 B (+0 B), count=64 (+0), average=16 B',
      'leak.c:0: size=1000 B (+0 B), count=10 (+0), average=100 B',
    ]);
    expect(after.compareTo(before, 'lineno', true).map(diff)).toContain('main.c:30 100000 99000 1000 990');
  });

  it('orders groups only in the old snapshot by |size diff| among the others', () => {
    const old = new Snapshot(new SnapshotBuilder().add(0, 300, [{ filename: 'gone.c', lineno: 1 }]).add(0, 10, [LEAK_14]).build());
    const now = new Snapshot(new SnapshotBuilder().add(0, 200, [{ filename: 'new.c', lineno: 1 }]).addMany(2, 0, 200, [LEAK_14]).build());
    expect(now.compareTo(old, 'lineno').map(diff)).toEqual(['leak.c:14 400 390 2 1', 'gone.c:1 0 -300 0 -1', 'new.c:1 200 200 1 1']);
  });
});

describe('Snapshot.filterTraces', () => {
  const s = new Snapshot(leaky());
  const sites = (x: Snapshot): string[] => x.statistics('lineno').map((st) => `${st.traceback} ${st.count}`);

  it('keeps traces matching any inclusive filter and drops any exclusive match', () => {
    expect(sites(s.filterTraces([new Filter(true, 'leak.c')]))).toEqual(['leak.c:14 1000']);
    expect(sites(s.filterTraces([new Filter(true, 'leak.c'), new Filter(true, 'rt.wasm')]))).toEqual(['leak.c:14 1000', 'rt.wasm:grow+0x1a2 64']);
    expect(sites(s.filterTraces([new Filter(true, '*.c'), new Filter(false, 'leak.c')]))).toEqual(['main.c:31 1']);
    expect(sites(s.filterTraces([new Filter(false, 'leak.c'), new Filter(false, 'rt.wasm')]))).toEqual(['main.c:31 1']);
  });

  it('matches the most recent frame, or any frame with allFrames', () => {
    expect(sites(s.filterTraces([new Filter(true, 'main.c')]))).toEqual(['main.c:31 1']);
    expect(sites(s.filterTraces([new Filter(true, 'main.c', null, true)]))).toEqual(['leak.c:14 1000', 'main.c:31 1']);
    expect(sites(s.filterTraces([new Filter(true, 'main.c', 30, true)]))).toEqual(['leak.c:14 1000']);
    expect(sites(s.filterTraces([new Filter(false, 'list.c', null, true)]))).toEqual(['main.c:31 1', 'rt.wasm:grow+0x1a2 64']);
    expect(sites(s.filterTraces([new Filter(false, 'list.c')]))).toEqual(['leak.c:14 1000', 'main.c:31 1', 'rt.wasm:grow+0x1a2 64']);
    expect(sites(s.filterTraces([new Filter(true, 'rt.wasm', 0)]))).toEqual(['rt.wasm:grow+0x1a2 64']);
  });

  it('combines patterns with domains', () => {
    expect(sites(s.filterTraces([new DomainFilter(true, 1)]))).toEqual(['rt.wasm:grow+0x1a2 64']);
    expect(sites(s.filterTraces([new DomainFilter(false, 1)]))).toEqual(['leak.c:14 1000', 'main.c:31 1']);
    expect(sites(s.filterTraces([new Filter(true, '*', null, false, 0)]))).toEqual(['leak.c:14 1000', 'main.c:31 1']);
    expect(sites(s.filterTraces([new Filter(false, '*', null, false, 0)]))).toEqual(['rt.wasm:grow+0x1a2 64']);
    expect(sites(s.filterTraces([new Filter(false, 'rt.wasm', null, false, 0)]))).toEqual(['leak.c:14 1000', 'main.c:31 1', 'rt.wasm:grow+0x1a2 64']);
    expect(sites(s.filterTraces([new DomainFilter(true, 0), new DomainFilter(true, 1), new Filter(false, 'main.c')]))).toEqual([
      'leak.c:14 1000',
      'rt.wasm:grow+0x1a2 64',
    ]);
  });

  it('shares frames, tracebacks, domains and meta with the original', () => {
    const f = s.filterTraces([new Filter(true, 'leak.c')]);
    expect(f.data.frames).toBe(s.data.frames);
    expect(f.data.tracebacks).toBe(s.data.tracebacks);
    expect(f.domains).toBe(s.domains);
    expect(f.meta).toBe(s.meta);
    expect(f.tracebackLimit).toBe(8);
    expect(f.traces[0].traceback).toBe(s.traces[0].traceback); // one table for both
  });
});

describe('Snapshot threads', () => {
  const frames = [{ filename: 'a.c', lineno: 1 }, { filename: 'b.c', lineno: 2 }];
  const onThreads = () =>
    new Snapshot({
      tracebackLimit: 1,
      frames,
      tracebacks: [{ frames: [0], totalNframe: 1, thread: 0 }, { frames: [0], totalNframe: 1, thread: 7 }, { frames: [1], totalNframe: 1, thread: 7 }],
      traces: { domain: new Uint32Array(5).fill(1), size: new Float64Array([1, 2, 3, 4, 100]), traceback: new Uint32Array([0, 1, 1, 2, 0]) },
    });

  it('sums bytes and blocks by the thread that allocated, largest first', () => {
    expect(onThreads().threads()).toEqual([
      { thread: 0, size: 101, count: 2 },
      { thread: 7, size: 9, count: 3 },
    ]);
  });

  it('keeps the traces of one thread, whose lines group as usual', () => {
    const seven = onThreads().filterThread(7);
    expect(seven.statistics('lineno').map((s) => `${s.traceback.frames[0]!.filename} ${s.size} ${s.count}`)).toEqual(['a.c 5 2', 'b.c 4 1']);
    expect(onThreads().filterThread(3).total()).toEqual({ size: 0, count: 0 });
  });

  it('is one thread, 0, for a snapshot without threads', () => {
    const s = new Snapshot({ tracebackLimit: 1, frames, tracebacks: [{ frames: [0], totalNframe: 1 }], traces: { domain: new Uint32Array([1]), size: new Float64Array([8]), traceback: new Uint32Array([0]) } });
    expect(s.threads()).toEqual([{ thread: 0, size: 8, count: 1 }]);
  });

  it('refuses a thread that is not a count', () => {
    expect(() => new Snapshot({ tracebackLimit: 1, frames, tracebacks: [{ frames: [0], totalNframe: 1, thread: -1 }], traces: { domain: new Uint32Array(0), size: new Float64Array(0), traceback: new Uint32Array(0) } })).toThrow(/tracebacks\[0\]\.thread must be a non-negative integer, got -1/);
  });
});

describe('Snapshot construction', () => {
  it('rejects data that breaks an invariant, naming it', () => {
    const bad = (change: (d: SnapshotData) => void): (() => Snapshot) => {
      const d = leaky(2);
      change(d);
      return () => new Snapshot(d);
    };
    expect(bad((d) => (d.traces.traceback[1] = 9))).toThrow(/trace 1 refers to traceback 9, but there are 3 tracebacks/);
    expect(bad((d) => (d.traces.size[0] = -1))).toThrow(/trace 0 has size -1/);
    expect(bad((d) => (d.traces.size[0] = Number.NaN))).toThrow(/trace 0 has size NaN/);
    expect(bad((d) => (d.traces.size[0] = 1.5))).toThrow(/trace 0 has size 1.5/);
    expect(bad((d) => (d.traces.size = new Float64Array(1)))).toThrow(/columns differ in length: domain 67, size 1, traceback 67/);
    expect(bad((d) => (d.traces.domain = [] as unknown as Uint32Array))).toThrow(/traces.domain must be a Uint32Array, got an array of 0/);
    expect(bad((d) => (d.tracebacks[0].frames[1] = 99))).toThrow(/tracebacks\[0\]\.frames\[1\] is 99, not a frame index: there are 5 frames/);
    expect(bad((d) => (d.tracebacks[0].totalNframe = 1))).toThrow(/tracebacks\[0\]\.totalNframe must be an integer >= its 3 frames, got 1/);
    expect(bad((d) => ((d.frames[0] as FrameData).lineno = -3))).toThrow(/frames\[0\]\.lineno must be a non-negative integer, got -3/);
    expect(bad((d) => (d.frames[0].filename = null as unknown as string))).toThrow(/frames\[0\]\.filename must be a string, got null/);
    expect(bad((d) => (d.tracebackLimit = -1))).toThrow(/tracebackLimit/);
    expect(bad((d) => (d.meta = { peak: Infinity }))).toThrow(/meta.peak must be a string or a finite number, got Infinity/);
    expect(bad((d) => (d.domains = [{ id: -1, name: 'x' }]))).toThrow(/domains\[0\]\.id must be a u32/);
    expect(bad(() => {})).not.toThrow();
    expect(bad((d) => (d.traces.traceback[1] = 9))).toThrow(InvalidSnapshotError);
  });
});

describe('Snapshot speed', () => {
  it('groups 1,000,000 traces of 50,000 tracebacks by line quickly', () => {
    const data = synthetic(1_000_000, 50_000, 20_000);
    let started = performance.now();
    const s = new Snapshot(data);
    const construct = performance.now() - started;
    started = performance.now();
    const stats = s.statistics('lineno');
    const cold = performance.now() - started;
    started = performance.now();
    s.statistics('lineno');
    const warm = performance.now() - started;
    started = performance.now();
    s.statistics('traceback');
    const byTraceback = performance.now() - started;
    started = performance.now();
    s.statistics('lineno', true);
    const cumulative = performance.now() - started;
    started = performance.now();
    const filtered = s.filterTraces([new Filter(false, 'file1*'), new Filter(true, '*', null, true, 0)]);
    const filter = performance.now() - started;
    started = performance.now();
    s.compareTo(filtered, 'lineno');
    const compare = performance.now() - started;
    started = performance.now();
    const bytes = s.dump();
    const dump = performance.now() - started;
    started = performance.now();
    const loaded = Snapshot.load(bytes, 'synthetic.wtmsnap');
    const load = performance.now() - started;
    const ms = (x: number): string => `${x.toFixed(1)} ms`;
    console.log(
      `1M traces / 50k tracebacks: new Snapshot ${ms(construct)}, statistics('lineno') ${ms(cold)} first, ${ms(warm)} again; ` +
        `'traceback' ${ms(byTraceback)}, cumulative 'lineno' ${ms(cumulative)}, filterTraces ${ms(filter)}, compareTo ${ms(compare)}; ` +
        `dump ${ms(dump)} (${(bytes.length / 2 ** 20).toFixed(1)} MiB), load ${ms(load)}`,
    );
    expect(loaded.length).toBe(1_000_000);
    expect(stats.reduce((n, st) => n + st.count, 0)).toBe(1_000_000);
    expect(stats.reduce((n, st) => n + st.size, 0)).toBe(data.traces.size.reduce((a, b) => a + b, 0));
    expect(cold).toBeLessThan(1500);
  });
});

/** `traces` blocks over `tracebacks` tracebacks of 1..8 frames drawn from `frames` frames in 200 files. */
function synthetic(traces: number, tracebacks: number, frames: number): SnapshotData {
  let seed = 12345;
  const random = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const frameData: FrameData[] = Array.from({ length: frames }, (_, i) =>
    i % 10 === 9 ? { filename: `file${i % 200}.wasm`, lineno: 0, function: `fn${i}`, offset: i * 16 } : { filename: `src/file${i % 200}.c`, lineno: 1 + (i % 997) },
  );
  const tracebackData = Array.from({ length: tracebacks }, () => {
    const depth = 1 + random(8);
    return { frames: Array.from({ length: depth }, () => random(frames)), totalNframe: depth + random(3) };
  });
  const domain = new Uint32Array(traces);
  const size = new Float64Array(traces);
  const traceback = new Uint32Array(traces);
  for (let i = 0; i < traces; i++) {
    domain[i] = random(2);
    size[i] = 1 + random(4096);
    traceback[i] = random(tracebacks);
  }
  return { tracebackLimit: 8, frames: frameData, tracebacks: tracebackData, traces: { domain, size, traceback } };
}

describe('a sampled snapshot (samplingIntervalBytes)', () => {
  const LEAK = { filename: 'leak.c', lineno: 14 };
  const BIG = { filename: 'big.c', lineno: 3 };
  const SMALL = { filename: 'small.c', lineno: 5 };
  // One trace per 4096 bytes on average: 3 traces of 100 B, one of 1 MiB, two of 16 B.
  const data = (): SnapshotData => ({
    ...new SnapshotBuilder(1).addMany(3, 0, 100, [LEAK]).add(1, 1 << 20, [BIG]).addMany(2, 0, 16, [SMALL]).build({ domains: [{ id: 0, name: 'app.wasm' }, { id: 1, name: 'lib.wasm' }] }),
    samplingIntervalBytes: 4096,
  });
  const sampled = new Snapshot(data());

  it('weighs each trace by what it stands for: 100 B traces stand for 41.46 blocks, 1 MiB for itself', () => {
    expect(sampled.samplingIntervalBytes).toBe(4096);
    expect(sampled.length).toBe(6);
    // p(100) = 1 − e^(−100/4096): 4146 B and 41.462 blocks per trace; p(16): 4104 B and 256.5 blocks.
    expect(sampled.statistics('lineno').map(String)).toEqual([
      'big.c:3: size=1024 KiB, count=1, average=1024 KiB',
      'leak.c:14: size=12.1 KiB, count=124, average=100 B',
      'small.c:5: size=8208 B, count=513, average=16 B',
    ]);
    expect(sampled.statistics('lineno').map((s) => [s.size, s.count])).toEqual([[1 << 20, 1], [3 * 4146, 124], [2 * 4104, 513]]);
    // total(): what the statistics add up to, estimates too; length stays the traces.
    expect(sampled.total()).toEqual({ size: (1 << 20) + 3 * 4146 + 2 * 4104, count: 638 });
    expect(new Snapshot({ ...data(), samplingIntervalBytes: 0 }).total()).toEqual({ size: (1 << 20) + 300 + 32, count: 6 });
    // Each trace is still one real block.
    expect(sampled.traces.map((t) => t.size)).toEqual([100, 100, 100, 1 << 20, 16, 16]);
    expect(new Snapshot(data()).filterTraces([]).statistics('lineno').map(String)).toEqual(sampled.statistics('lineno').map(String));
  });

  it('filters and diffs on the estimates', () => {
    const leak = sampled.filterTraces([new Filter(true, 'leak.c')]);
    expect(leak.samplingIntervalBytes).toBe(4096);
    expect(leak.statistics('filename').map(String)).toEqual(['leak.c:0: size=12.1 KiB, count=124, average=100 B']);
    const app = sampled.filterTraces([new DomainFilter(true, 0)]);
    expect(app.statistics('lineno').map((s) => [String(s.traceback), s.size, s.count])).toEqual([['leak.c:14', 12438, 124], ['small.c:5', 8208, 513]]);
    expect(sampled.selectTraces(null, [0]).statistics('lineno').map((s) => [String(s.traceback), s.size, s.count])).toEqual([['leak.c:14', 12438, 124], ['small.c:5', 8208, 513]]);
    expect(sampled.selectTraces(null, [0]).length).toBe(5);
    expect(sampled.compareTo(app, 'lineno').map(String)).toEqual([
      'big.c:3: size=1024 KiB (+1024 KiB), count=1 (+1), average=1024 KiB',
      'leak.c:14: size=12.1 KiB (+0 B), count=124 (+0), average=100 B',
      'small.c:5: size=8208 B (+0 B), count=513 (+0), average=16 B',
    ]);
  });

  it('dumps as format version 3 and loads back with its interval', () => {
    const bytes = sampled.dump();
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(3);
    const back = Snapshot.load(bytes, 'sampled.wtmsnap');
    expect(back.samplingIntervalBytes).toBe(4096);
    expect(back.statistics('lineno').map(String)).toEqual(sampled.statistics('lineno').map(String));
    // An exact snapshot stays version 2, which readers before sampling read.
    expect(new DataView(fromPython([[0, 10, [['a.py', 2]], 1]]).dump().buffer).getUint32(8, true)).toBe(2);
  });

  it('refuses to pass a sample off as exact, or a bad interval', () => {
    expect(() => encodeSnapshot(data(), { version: 2 })).toThrow(
      'encodeSnapshot: a sampled snapshot (one trace per 4096 bytes) needs format version 3; readers of version 2 would print its sample as exact sizes and counts',
    );
    for (const bad of [0.5, -1, Infinity, NaN, '4096']) {
      expect(() => new Snapshot({ ...data(), samplingIntervalBytes: bad as number })).toThrow(/samplingIntervalBytes must be 0 \(exact\) or a finite number of bytes of at least 1/);
    }
  });
});
