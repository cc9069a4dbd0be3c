import { describe, expect, it } from 'vitest';
import type { SiteLabel } from '../model/analysis.js';
import { stackSites, stackTops, type SiteSeries } from './site-chart.js';

const label = (file: string, line: number, fn: string, callers = ''): SiteLabel => ({
  lineno: `${file}:${line}`,
  filename: file,
  traceback: `${file}:${line}${callers}`,
  text: `${file}:${line}`,
  function: fn,
  file,
  callers,
});

// Three tracked tracebacks: two of them at leak.c:9 (called from two places), one at cache.c:3.
const SERIES: SiteSeries = {
  start: 1_000_000,
  time: [0, 100, 200, 300],
  current: [1000, 5000, 9000, 6000],
  peak: [1000, 5000, 9000, 9000],
  traces: [1, 5, 9, 6],
  sites: {
    traceback: [4, 7, 2],
    size: [
      [0, 1000, 2000, 3000],
      [0, 500, 1000, 1500],
      [800, 3000, 5000, 1000],
    ],
  },
};
const LABELS = [label('leak.c', 9, 'leak', '← a'), label('leak.c', 9, 'leak', '← b'), label('cache.c', 3, 'fill')];

describe('stackSites', () => {
  it('by line: sites of one line summed, largest area at the bottom, other = current − Σ on top', () => {
    const stack = stackSites(SERIES, LABELS, 'lineno')!;
    expect(stack.bands.map((b) => b.label)).toEqual(['fill cache.c:3', 'leak leak.c:9']);
    expect(Array.from(stack.bands[1].values)).toEqual([0, 1500, 3000, 4500]);
    expect(Array.from(stack.other)).toEqual([200, 500, 1000, 500]);
    expect(stack.time).toEqual([1_000_000, 1_000_100, 1_000_200, 1_000_300]);
    // At sample 2: cache 5,000, then leak 3,000 on it, then other up to the current 9,000.
    expect(stackTops(stack, 2)).toEqual([5000, 8000, 9000]);
    expect(stackTops(stack, 3)).toEqual([1000, 5500, 6000]);
  });

  it('by traceback each tracked traceback is a band; by file, files', () => {
    const byTb = stackSites(SERIES, LABELS, 'traceback')!;
    expect(byTb.bands.map((b) => b.title)).toEqual(['fill cache.c:3', 'leak leak.c:9 ← a', 'leak leak.c:9 ← b']);
    expect(stackTops(byTb, 1)).toEqual([3000, 4000, 4500, 5000]);
    const byFile = stackSites(SERIES, LABELS, 'filename')!;
    expect(byFile.bands.map((b) => b.label)).toEqual(['cache.c', 'leak.c']);
  });

  it('folds the groups beyond the limit into other', () => {
    const stack = stackSites(SERIES, LABELS, 'traceback', 1)!;
    expect(stack.bands.length).toBe(1);
    expect(stack.folded).toBe(2);
    expect(stackTops(stack, 2)).toEqual([5000, 9000]);
    expect(stack.other[2]).toBe(4000);
  });

  it('no sites: no chart', () => {
    const { sites: _, ...plain } = SERIES;
    expect(stackSites(plain, [], 'lineno')).toBeUndefined();
  });
});
