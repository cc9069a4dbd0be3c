import { describe, expect, it } from 'vitest';
import { Snapshot, SnapshotBuilder, type SnapshotData } from '@wasm-tracemalloc/runtime/model';
import { formatDiff, formatPeak, formatTop, signedCount } from './report.js';

const OPTS = { key: 'lineno', top: 10, cumulative: false } as const;
const KEEP = { filename: 'keep.c', lineno: 3 };
const CHURN = { filename: 'churn.c', lineno: 14 };

/** 10 × 100 B live at keep.c:3 and `churned` blocks of 64 B allocated and freed at churn.c:14, in the session that began at `session`. */
function snap(churned: number, session: number): Snapshot {
  const b = new SnapshotBuilder(1).addMany(10, 0, 100, [KEEP]);
  const churn = b.traceback([CHURN]);
  const data: SnapshotData = b.build({ meta: { peak: 1000 + 64 * churned } });
  Object.assign(data.tracebacks[0]!, { allocCount: 10, allocSize: 1000, freeCount: 0, freeSize: 0, peakCount: 10, peakSize: 1000 });
  Object.assign(data.tracebacks[churn]!, { allocCount: churned, allocSize: 64 * churned, freeCount: churned, freeSize: 64 * churned, peakCount: churned, peakSize: 64 * churned });
  data.samples = { start: session, time: [0], current: [1000], peak: [1000], traces: [10] };
  return new Snapshot(data);
}

describe('show --compare with counters', () => {
  it('prints what was allocated and freed between snapshots of one session, churn with Δ 0 included', () => {
    expect(formatDiff(snap(1000, 7), snap(0, 7), OPTS)).toEqual([
      'Top 2 differences',
      '#1: keep.c:3: size=1000 B (+0 B), count=10 (+0), average=100 B, +0 allocs (+0 B), +0 frees (+0 B)',
      '#2: churn.c:14: size=0 B (+0 B), count=0 (+0), +1,000 allocs (+62.5 KiB), +1,000 frees (+62.5 KiB)',
      'Net change: +0 B',
    ]);
  });

  it('leaves the counters out across sessions, or when they went down (clearTraces), and the rows of counters only with them', () => {
    const expected = ['Top 1 differences', '#1: keep.c:3: size=1000 B (+0 B), count=10 (+0), average=100 B', 'Net change: +0 B'];
    expect(formatDiff(snap(1000, 8), snap(0, 7), OPTS)).toEqual(expected);
    expect(formatDiff(snap(10, 7), snap(1000, 7), OPTS)).toEqual(expected);
  });

  it('the top list and --peak', () => {
    expect(formatTop(snap(1000, 7), OPTS)).toEqual(['Top 1 lines', '#1: keep.c:3: size=1000 B, count=10, average=100 B', 'Total allocated size: 1000 B in 10 blocks']);
    expect(formatPeak(snap(1000, 7), OPTS)).toEqual(['Top 2 lines at the peak (63.5 KiB)', '#1: churn.c:14: size=62.5 KiB, count=1000, average=64 B', '#2: keep.c:3: size=1000 B, count=10, average=100 B']);
    expect(formatPeak(new Snapshot(new SnapshotBuilder().add(0, 8, [KEEP]).build()), OPTS)).toEqual([
      'The peak composition is not in this snapshot: it was taken before wasm-tracemalloc recorded it (format version 4).',
    ]);
    expect([signedCount(1000), signedCount(-3), signedCount(0)]).toEqual(['+1,000', '-3', '+0']);
  });
});
