import { describe, expect, it } from 'vitest';
import { mergeSeries, type TimelineSnapshot } from './timeline.js';

describe('mergeSeries', () => {
  it('merges the samples of one session across snapshots, one series per session, each snapshot at its own sample', () => {
    const a1: TimelineSnapshot = { name: 'a1', samples: { start: 1000, time: [0, 100, 200], current: [0, 50, 40], peak: [0, 90, 60], traces: [0, 2, 1] } };
    // a2 came later: its older samples were merged pairwise (100 and 200 into 200, peak 90).
    const a2: TimelineSnapshot = { name: 'a2', label: 'app.wasm', samples: { start: 1000, time: [0, 200, 300], current: [0, 40, 10], peak: [0, 90, 45], traces: [0, 1, 1] } };
    const b1: TimelineSnapshot = { name: 'b1', samples: { start: 1050, time: [0, 10], current: [0, 7], peak: [0, 8], traces: [0, 1] } };
    const old: TimelineSnapshot = { name: 'old', timestamp: 5000, current: 3 };
    const { series, at } = mergeSeries([a1, b1, a2, old]);
    expect(series).toEqual([
      // The finer sample wins at 1200 (peak 60 since 1100, not 90 since 1000); the label is the first one given.
      { label: 'app.wasm', time: [1000, 1100, 1200, 1300], current: [0, 50, 40, 10], peak: [0, 90, 60, 45], traces: [0, 2, 1, 1] },
      { label: 'b1', time: [1050, 1060], current: [0, 7], peak: [0, 8], traces: [0, 1] },
    ]);
    expect(at).toEqual([
      { series: 0, point: 2 },
      { series: 1, point: 1 },
      { series: 0, point: 3 },
      { series: -1, point: -1 },
    ]);
  });

  it("marks a sampled session's series: its traces column counts sampled traces, not blocks", () => {
    const exact: TimelineSnapshot = { name: 'exact', samples: { start: 1000, time: [0, 100], current: [0, 50], peak: [0, 90], traces: [0, 2] } };
    const s1: TimelineSnapshot = { name: 's1', samples: { start: 2000, time: [0, 100], current: [0, 8000], peak: [0, 9000], traces: [0, 3] } };
    const s2: TimelineSnapshot = { ...s1, name: 's2', samplingIntervalBytes: 4096 };
    const { series } = mergeSeries([exact, s1, s2]);
    expect(series.map((x) => [x.label, x.samplingIntervalBytes])).toEqual([
      ['exact', undefined],
      ['s1', 4096],
    ]);
    expect(series[0]).not.toHaveProperty('samplingIntervalBytes');
  });
});
