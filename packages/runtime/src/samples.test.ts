import { describe, expect, it } from 'vitest';
import { MAX_SITES, SampleRing, Sampler, type MemorySample } from './samples.js';
import { InvalidSnapshotError, Snapshot, encodeSnapshot, type SampleSeries, type SnapshotData } from './model/index.js';

const s = (time: number, current: number, peak = current, traces = 1): MemorySample => ({ time, current, peak, traces });

describe('SampleRing', () => {
  it('keeps every sample until it is full', () => {
    const ring = new SampleRing(8);
    for (let i = 0; i < 7; i++) ring.push(s(i * 100, i * 10, i * 10 + 5, i));
    expect(ring.series(1000)).toEqual({
      start: 1000,
      time: [0, 100, 200, 300, 400, 500, 600],
      current: [0, 10, 20, 30, 40, 50, 60],
      peak: [5, 15, 25, 35, 45, 55, 65],
      traces: [0, 1, 2, 3, 4, 5, 6],
    });
    expect(ring.stride).toBe(1);
  });

  it('when full, merges neighbours pairwise over the whole series: later time and current, higher peak', () => {
    const ring = new SampleRing(8);
    const peaks = [3, 90, 7, 8, 200, 1, 50, 60];
    peaks.forEach((p, i) => ring.push(s(i, 0, p, i)));
    expect(ring.stride).toBe(2);
    expect(ring.series(0)).toEqual({ start: 0, time: [1, 3, 5, 7], current: [0, 0, 0, 0], peak: [90, 8, 200, 60], traces: [1, 3, 5, 7] });
    // From now on two ticks make one sample, so the resolution stays uniform.
    ring.push(s(8, 4, 4));
    ring.push(s(9, 6, 70));
    ring.push(s(10, 2, 2));
    expect(ring.series(0).time).toEqual([1, 3, 5, 7, 9, 10]);
    expect(ring.series(0).peak).toEqual([90, 8, 200, 60, 70, 2]);
    expect(ring.series(0).current).toEqual([0, 0, 0, 0, 6, 2]);
  });

  it('stays bounded over a long session, keeps its first tick and its highest peak, and never merges a mark away', () => {
    const ring = new SampleRing(100);
    let highest = 0;
    for (let i = 1; i <= 100_000; i++) {
      const peak = (i * 7919) % 10_007;
      highest = Math.max(highest, peak);
      ring.push(s(i, 0, peak), i === 12_345 || i === 99_999);
      expect(ring.length).toBeLessThan(100);
    }
    const series = ring.series(0);
    expect(Math.max(...series.peak)).toBe(highest);
    expect(series.time.at(-1)).toBe(100_000);
    expect(series.time).toContain(12_345);
    expect(series.time).toContain(99_999);
    // Uniform: all but the marks' neighbours cover the same number of ticks.
    expect(ring.stride).toBeGreaterThanOrEqual(1024);
    expect(series.time[0]).toBeLessThanOrEqual(ring.stride);
  });
});

describe('Sampler', () => {
  it('reads the source at each sample, marks stay exact, listeners see every sample', () => {
    const reads: Array<[number, number, number]> = [
      [0, 0, 0],
      [100, 250, 2],
      [80, 100, 1],
    ];
    const sampler = new Sampler({ read: () => reads.shift()! }, 16);
    sampler.setInterval(0);
    const seen: MemorySample[] = [];
    const unsubscribe = sampler.listen((x) => seen.push(x));
    sampler.begin();
    sampler.sample();
    unsubscribe();
    sampler.sample(true);
    const series = sampler.series();
    expect(series.current).toEqual([0, 100, 80]);
    expect(series.peak).toEqual([0, 250, 100]);
    expect(series.traces).toEqual([0, 2, 1]);
    expect(seen.map((x) => x.peak)).toEqual([0, 250]);
    expect(Math.abs(series.start - Date.now())).toBeLessThan(5000);
    expect(series.time.every((t, i) => t >= 0 && (i === 0 || t >= series.time[i - 1]!))).toBe(true);
  });

  it('samples on a timer that does not keep Node alive, and stops with end()', async () => {
    let n = 0;
    const sampler = new Sampler({ read: () => [++n, n, 1] });
    sampler.setInterval(5);
    sampler.begin();
    await new Promise((r) => setTimeout(r, 60));
    sampler.end();
    const count = sampler.ring.length;
    expect(count).toBeGreaterThanOrEqual(4);
    await new Promise((r) => setTimeout(r, 30));
    expect(sampler.ring.length).toBe(count);
    expect(() => sampler.setInterval(0.5)).toThrow(/at least 1 ms/);
  });
});

describe('samples in a snapshot file', () => {
  const data = (samples: unknown): SnapshotData => ({
    tracebackLimit: 1,
    frames: [{ filename: 'a.c', lineno: 1 }],
    tracebacks: [{ frames: [0], totalNframe: 1 }],
    traces: { domain: new Uint32Array([1]), size: new Float64Array([100]), traceback: new Uint32Array([0]) },
    samples: samples as SampleSeries,
  });
  const series: SampleSeries = { start: 1_764_000_000_000, time: [0, 100.5, 201], current: [0, 300, 100], peak: [0, 1200, 300], traces: [0, 3, 1] };

  it('round-trips through dump() and load(), and files without samples still load', () => {
    const loaded = Snapshot.load(new Snapshot(data(series)).dump(), 'with-samples.wtmsnap');
    expect(loaded.samples).toEqual(series);
    const { samples: _, ...without } = data(series);
    expect(Snapshot.load(encodeSnapshot(without as SnapshotData), 'old.wtmsnap').samples).toBeUndefined();
  });

  it('a corrupt samples array is an error naming the problem', () => {
    const bad: Array<[unknown, RegExp]> = [
      [[1, 2], /samples must be an object of columns, got an array of 2/],
      [{ ...series, start: 'x' }, /samples\.start must be a finite number/],
      [{ ...series, peak: [0, 1200] }, /samples columns differ in length: time 3, peak 2/],
      [{ ...series, time: [0, 200, 100] }, /samples\.time\[2\] is 100, before samples\.time\[1\] 200/],
      [{ ...series, current: [0, -1, 100] }, /samples\.current\[1\] must be a non-negative integer \(bytes\), got -1/],
      [{ ...series, peak: [0, 200, 300] }, /samples\.peak\[1\] is 200, below samples\.current\[1\] 300/],
      [{ ...series, traces: [0, 1.5, 1] }, /samples\.traces\[1\] must be a non-negative integer, got 1\.5/],
    ];
    for (const [samples, message] of bad) {
      expect(() => new Snapshot(data(samples))).toThrow(message);
      // In a file: the same problem, named with the file (the writer had a bug).
      if (Array.isArray(samples)) continue; // encodeSnapshot writes only the documented columns
      const bytes = encodeSnapshot(data(samples));
      expect(() => Snapshot.load(bytes, 'bad.wtmsnap')).toThrow(InvalidSnapshotError);
      expect(() => Snapshot.load(bytes, 'bad.wtmsnap')).toThrow(new RegExp(`^bad\\.wtmsnap is inconsistent: ${message.source}`));
    }
  });
});

describe('per-site samples', () => {
  /** A source whose tracebacks' live bytes are set by the test before each sample. */
  function source() {
    const live = new Map<number, number>();
    const total = () => [...live.values()].reduce((a, b) => a + b, 0);
    const sampler = new Sampler({ read: () => [total(), total(), live.size], liveBytes: () => ({ traceback: [...live.keys()], size: [...live.values()] }) }, 16);
    sampler.setInterval(0);
    return { live, sampler };
  }

  it('site A grows then shrinks, site B grows: both tracked with their bytes at each sample, 0 where they held nothing', () => {
    const { live, sampler } = source();
    const A = 101;
    const B = 202;
    sampler.begin(); // sample 0: nothing
    for (const [a, b] of [[1000, 0], [5000, 0], [5000, 2000], [1000, 6000], [0, 9000]]) {
      live.set(A, a);
      live.set(B, b);
      sampler.sample(); // samples 1-5
    }
    const series = sampler.series();
    expect(series.current).toEqual([0, 1000, 5000, 7000, 7000, 9000]);
    expect(series.sites).toEqual({
      traceback: [A, B],
      size: [
        [0, 1000, 5000, 5000, 1000, 0],
        [0, 0, 0, 2000, 6000, 9000],
      ],
    });
  });

  it('keeps the 8 largest and any site with 1% of current; a small site stays in "other"', () => {
    const { live, sampler } = source();
    for (let tb = 1; tb <= 12; tb++) live.set(tb, tb * 1000); // 78,000 B in all: 1% is 780 B
    live.set(50, 900); // small, but ≥ 1%
    live.set(60, 500); // < 1%, not among the 8 largest
    sampler.begin();
    const { sites, current } = sampler.series();
    expect(current).toEqual([79_400]);
    expect(sites!.traceback.slice().sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 50]);
    const other = current[0]! - sites!.size.reduce((n, column) => n + column[0]!, 0);
    expect(other).toBe(500);
  });

  it('a merge keeps the later sample’s values; a series tracks at most 32 tracebacks', () => {
    const ring = new SampleRing(4);
    ring.push({ ...s(0, 10), sites: { traceback: [7], size: [10] } });
    ring.push({ ...s(1, 30), sites: { traceback: [7, 8], size: [20, 10] } });
    ring.push({ ...s(2, 5), sites: { traceback: [8], size: [5] } });
    ring.push({ ...s(3, 40), sites: { traceback: [7], size: [40] } }); // full: pairs merge
    expect(ring.series(0)).toMatchObject({ time: [1, 3], current: [30, 40], sites: { traceback: [7, 8], size: [[20, 40], [10, 0]] } });
    const big = new SampleRing(8);
    big.push({ ...s(0, 0), sites: { traceback: Array.from({ length: 40 }, (_, i) => i + 1), size: Array.from({ length: 40 }, () => 1) } });
    expect(big.series(0).sites!.traceback).toHaveLength(MAX_SITES);
    big.forgetSites();
    expect(big.series(0).sites).toBeUndefined();
  });
});
