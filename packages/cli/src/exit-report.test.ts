import { describe, expect, it } from 'vitest';
import { Snapshot } from '@wasm-tracemalloc/runtime/model';
import { EXIT_LIMIT_EXCEEDED, judgeLimits, reportJson, writeExitReport } from './exit-report.js';

/** 3 × 100 B at leak.c:14 under main.c:5, and 1 × 40 B at util.c:9; 600 B at the peak. */
function snapshot(): Snapshot {
  return new Snapshot({
    tracebackLimit: 2,
    frames: [
      { filename: 'main.c', lineno: 5 },
      { filename: 'leak.c', lineno: 14, source: 'p = malloc(100);' },
      { filename: 'util.c', lineno: 9 },
    ],
    tracebacks: [
      { frames: [0, 1], totalNframe: 2 },
      { frames: [0, 2], totalNframe: 4 },
    ],
    traces: { domain: new Uint32Array([1, 1, 1, 1]), size: new Float64Array([100, 100, 100, 40]), traceback: new Uint32Array([0, 0, 0, 1]) },
    meta: { current: 340, peak: 600 },
  });
}

describe('judgeLimits', () => {
  it('compares leaks with the bytes left at exit and memory with the peak; equal is within', () => {
    expect(judgeLimits(snapshot(), { leaks: 340, memory: 599 })).toEqual([
      { limit: 'leaks', max: 340, actual: 340, exceeded: false },
      { limit: 'memory', max: 599, actual: 600, exceeded: true },
    ]);
    expect(judgeLimits(snapshot(), {})).toEqual([]);
  });
});

describe('reportJson', () => {
  it('gives totals, the top sites with their tracebacks (allocation site first) and the limits', () => {
    expect(reportJson(snapshot(), { top: 1, cumulative: false, limits: { leaks: 100 } }, 0)).toEqual({
      format: 'wasm-tracemalloc-report',
      version: 1,
      exitCode: 0,
      peakBytes: 600,
      currentBytes: 340,
      blocks: 4,
      samplingIntervalBytes: 0,
      estimated: false,
      key: 'traceback',
      sites: [
        {
          size: 300,
          count: 3,
          totalNframe: 2,
          traceback: [
            { filename: 'leak.c', lineno: 14, source: 'p = malloc(100);' },
            { filename: 'main.c', lineno: 5 },
          ],
        },
      ],
      otherSites: 1,
      limits: [{ limit: 'leaks', max: 100, actual: 340, exceeded: true }],
      limitsExceeded: true,
    });
  });
});

describe('writeExitReport', () => {
  const lines = (run: (err: (l: string) => void) => number): [number, string[]] => {
    const out: string[] = [];
    return [run((l) => out.push(l)), out];
  };
  const opts = { label: 'wasm-tracemalloc: leak.wasm', top: 10, cumulative: false, format: 'text' as const };

  it('ends with the limit verdicts and exit 23 when the program exited 0', () => {
    const [status, out] = lines((err) => writeExitReport(snapshot(), { ...opts, limits: { leaks: 100 } }, 0, err));
    expect(status).toBe(EXIT_LIMIT_EXCEEDED);
    expect(out.at(-1)).toBe('wasm-tracemalloc: limit exceeded: --limit-leaks 100 B: 340 B left allocated at exit');
    expect(out).toContain('#1: leak.c:14: size=300 B, count=3, average=100 B');
  });

  it("keeps the program's own failure, and its success when within the limits", () => {
    expect(lines((err) => writeExitReport(snapshot(), { ...opts, limits: { leaks: 100 } }, 4, err))[0]).toBe(4);
    expect(lines((err) => writeExitReport(snapshot(), { ...opts, limits: { leaks: 340, memory: 600 } }, 0, err))[0]).toBe(0);
  });
});
