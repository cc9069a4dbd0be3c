// The benchmark's batch tables (bench/report.mjs), on rounds whose answers are known by hand.
import { describe, expect, it } from 'vitest';
import { compareMode, driftNote, machineDrift, modeRow, tableHeader } from '../bench/report.mjs';

const rounds = (first: number, steady: number, n = 12) => ({ first: Array(n).fill(first), steady: Array(n).fill(steady) });

describe('a mode against the original', () => {
  it('gives the churn its cost per malloc+free pair: 50 ms more over 1M pairs is 50 ns', () => {
    const c = compareMode(rounds(300, 200), rounds(450, 250), 1_000_000);
    expect(c.first.median).toBe(1.5);
    expect(c.steady.median).toBe(1.25);
    expect(c.steady.verdict).toBe('slower');
    expect(c.nsPerPair).toEqual({ median: 50, low: 50, high: 50 });
  });

  it('prints a row with the first run, the steady time, their ratios and the ns per pair', () => {
    const original = rounds(300, 200);
    const traced = rounds(450, 250);
    const c = compareMode(original, traced, 1_000_000);
    expect(modeRow('original', original, undefined, { nsPerPair: true, extra: ['0 (0.0 ms)'] })).toBe('| original | 300 ms | — | 200 ms (CV 0%) | — | — | 0 (0.0 ms) |');
    expect(modeRow('exact', traced, c, { nsPerPair: true })).toBe('| exact | 450 ms | 1.50× [1.50, 1.50] slower | 250 ms (CV 0%) | **1.25× [1.25, 1.25] slower** | 50 [50, 50] |');
    expect(tableHeader(['ns per pair [95% CI]'])).toEqual([
      '| mode | first run | first run / original [95% CI] | steady | steady / original [95% CI] | ns per pair [95% CI] |',
      '|---|---|---|---|---|---|',
    ]);
  });

  it('has no ns per pair for workloads that are not the churn', () => {
    expect(compareMode(rounds(300, 200), rounds(300, 200)).nsPerPair).toBeUndefined();
  });
});

describe('machine drift', () => {
  it('holds steady when the reference loop does', () => {
    const d = machineDrift(Array(20).fill(180));
    expect(d).toEqual({ medianMs: 180, cv: 0, drift: 1, steady: true });
    expect(driftNote(d)).toBe('Reference loop: 180 ms, CV 0.0%, last half / first half 1.000: the machine held steady.');
  });

  it('flags a batch whose reference loop slowed by 10% halfway', () => {
    const d = machineDrift([...Array(10).fill(100), ...Array(10).fill(110)]);
    expect(d.drift).toBeCloseTo(1.1, 12);
    expect(d.steady).toBe(false);
    expect(driftNote(d)).toContain('do not publish this batch');
  });
});
