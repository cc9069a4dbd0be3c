import { describe, expect, it } from 'vitest';
import { SnapshotBuilder, type SnapshotData } from '@wasm-tracemalloc/runtime/model';
import { Analysis, type SnapshotSummary } from '../model/analysis.js';
import { samplingNotice, summaryCards } from './summary.js';

const LEAK = { filename: 'leak.c', lineno: 14 };
const BIG = { filename: 'big.c', lineno: 3 };
const meta = { current: 0, peak: 0, tracerBytes: 65536, lostTraces: 0, untracedFrees: 2, doubleFrees: 1 };

function summary(data: SnapshotData): SnapshotSummary {
  return new Analysis().add(1, data, 'x.wtmsnap');
}

/** 3 × 100 B at leak.c:14 and 1 MiB at big.c:3, traced exactly or one trace per `interval` bytes. */
function snapshot(interval: number): SnapshotSummary {
  const data = new SnapshotBuilder(1).addMany(3, 0, 100, [LEAK]).add(0, 1 << 20, [BIG]).build();
  const current = interval > 0 ? 3 * 4146 + (1 << 20) : 300 + (1 << 20);
  return summary({ ...data, meta: { ...meta, current, peak: current }, ...(interval > 0 && { samplingIntervalBytes: interval }) });
}

const cards = (s: SnapshotSummary, base?: SnapshotSummary) => Object.fromEntries(summaryCards(s, base).map((c) => [c.label, c.text]));
const titles = (s: SnapshotSummary) => Object.fromEntries(summaryCards(s, undefined).map((c) => [c.label, c.title]));

describe('summary cards', () => {
  it('an exact snapshot: the counters as they are, no notice', () => {
    const exact = snapshot(0);
    expect(cards(exact)).toEqual({
      Current: '1024 KiB',
      Peak: '1024 KiB',
      Blocks: '4',
      Tracebacks: '2',
      'Tracer memory': '64.0 KiB',
      'Lost traces': '0',
      'Untraced frees': '2',
      'Double frees': '1',
    });
    expect(titles(exact)).toEqual({
      Current: 'Traced memory when the snapshot was taken (getTracedMemory()[0])',
      Peak: 'Peak traced memory (getTracedMemory()[1])',
      Blocks: 'Live traced blocks (traces) in the snapshot',
      Tracebacks: 'Distinct tracebacks (allocation sites, or call paths with nframe > 1)',
      'Tracer memory': 'Memory the tracer itself uses (getTracemallocMemory())',
      'Lost traces': 'Allocations that could not be recorded (the tracer ran out of memory)',
      'Untraced frees': 'Frees of blocks the tracer never saw (allocated before start(), or a lost trace)',
      'Double frees': 'Frees of blocks already freed',
    });
    expect(summaryCards(exact, undefined).filter((c) => c.warn).map((c) => c.label)).toEqual(['Untraced frees', 'Double frees']);
    expect(samplingNotice(exact, undefined)).toBeUndefined();
    expect(samplingNotice(exact, snapshot(0))).toBeUndefined();
  });

  it('a sampled snapshot: estimated blocks from its sampled traces, "≈" on estimates, frees not detected', () => {
    const sampled = snapshot(4096);
    // 3 traces of 100 B stand for round(3 × 41.462) = 124 blocks, the 1 MiB one for itself.
    expect(cards(sampled)).toEqual({
      Current: '≈1036 KiB',
      Peak: '≈1036 KiB',
      Blocks: '≈125',
      Tracebacks: '2',
      'Tracer memory': '64.0 KiB',
      'Lost traces': '0',
      'Untraced frees': '–',
      'Double frees': '–',
    });
    const t = titles(sampled);
    expect(t.Blocks).toBe('Live blocks, estimated from 4 sampled traces (one trace per 4096 B allocated): each counts as the blocks it stands for');
    expect(t.Current).toBe('Traced memory when the snapshot was taken (getTracedMemory()[0]): an estimate, the snapshot is sampled (one trace per 4096 B allocated)');
    expect(t['Untraced frees']).toBe('Frees of blocks the tracer never saw. Not detected while sampling: most blocks, freed or not, were never traced');
    expect(t['Double frees']).toBe('Frees of blocks already freed. Not detected while sampling: most blocks, freed or not, were never traced');
    // Not measured is no problem to colour, whatever the meta says.
    expect(summaryCards(sampled, undefined).filter((c) => c.warn)).toEqual([]);
    expect(samplingNotice(sampled, undefined)).toBe('Sampled: one trace per 4096 B allocated — sizes and counts are estimates');
  });

  it('compared: the notice says which side is sampled; no change is shown for what was not measured', () => {
    const [exact, sampled, coarse] = [snapshot(0), snapshot(4096), snapshot(65536)];
    expect(samplingNotice(sampled, snapshot(4096))).toBe('Sampled: one trace per 4096 B allocated in both snapshots — sizes, counts and their differences are estimates');
    expect(samplingNotice(sampled, coarse)).toBe('Sampled: one trace per 4096 B allocated in this snapshot, one per 64.0 KiB in the base — sizes, counts and their differences are estimates');
    expect(samplingNotice(sampled, exact)).toBe("Sampled: one trace per 4096 B allocated in this snapshot; the base is exact — this snapshot's sizes and counts, and the differences, are estimates");
    expect(samplingNotice(exact, sampled)).toBe("Sampled: one trace per 4096 B allocated in the base; this snapshot is exact — the base's sizes and counts, and the differences, are estimates");
    const diffs = (s: SnapshotSummary, b: SnapshotSummary) => Object.fromEntries(summaryCards(s, b).filter((c) => c.diff !== '').map((c) => [c.label, c.diff]));
    expect(diffs(sampled, exact)).toEqual({ Current: '+11.9 KiB', Peak: '+11.9 KiB', Blocks: '+121' });
    expect(diffs(exact, sampled)).toEqual({ Current: '-11.9 KiB', Peak: '-11.9 KiB', Blocks: '-121' });
    expect(cards(exact, sampled)).toMatchObject({ Blocks: '4', 'Untraced frees': '2', 'Double frees': '1' });
  });
});
