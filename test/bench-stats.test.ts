// The benchmark protocol's statistics (bench/stats.mjs): exact values on inputs whose
// answers are known by hand.
import { describe, expect, it } from 'vitest';
import {
  bootstrapInterval,
  coefficientOfVariation,
  compareRounds,
  formatComparison,
  median,
  MIN_ROUNDS_FOR_VERDICT,
  pairedDifferences,
  pairedRatios,
  quantile,
  seededRandom,
  verdictOf,
} from '../bench/stats.mjs';

describe('quantiles', () => {
  it('interpolates between order statistics, whatever the input order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([5, 4, 3, 2, 1], 0.25)).toBe(2);
    expect(quantile([10, 20], 0.1)).toBe(11);
    expect(quantile([7, 1, 9], 0)).toBe(1);
    expect(quantile([7, 1, 9], 1)).toBe(9);
  });

  it('refuses an empty sample and a quantile outside [0, 1], saying what to do', () => {
    expect(() => median([])).toThrow('median of no values: measure at least one round');
    expect(() => quantile([1], 1.5)).toThrow('quantile 1.5: must be between 0 and 1');
  });

  it('gives the coefficient of variation with the sample standard deviation', () => {
    // mean 5, squared deviations sum to 32 over n - 1 = 7
    expect(coefficientOfVariation([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7) / 5, 12);
    expect(coefficientOfVariation([3])).toBe(0);
  });
});

describe('bootstrap interval', () => {
  it('is a point when every round gives the same ratio', () => {
    expect(bootstrapInterval(Array(20).fill(1.5))).toEqual([1.5, 1.5]);
    expect(bootstrapInterval([42])).toEqual([42, 42]);
  });

  it('spans the whole range of two values: resampled medians are 1, 2 or 3 with chances 1/4, 1/2, 1/4', () => {
    expect(bootstrapInterval([1, 3])).toEqual([1, 3]);
  });

  it('is the same for the same seed and lies inside the data around the median', () => {
    const xs = Array.from({ length: 25 }, (_, i) => 1 + ((i * 7) % 25) / 100); // 1.00 … 1.24
    const a = bootstrapInterval(xs, { seed: 7 });
    expect(bootstrapInterval(xs, { seed: 7 })).toEqual(a);
    expect(a[0]).toBeGreaterThanOrEqual(1);
    expect(a[1]).toBeLessThanOrEqual(1.24);
    expect(a[0]).toBeLessThan(median(xs));
    expect(a[1]).toBeGreaterThan(median(xs));
  });

  it('draws its resamples from a seeded generator in [0, 1)', () => {
    const r = seededRandom(1);
    const draws = Array.from({ length: 1000 }, r);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(seededRandom(1)()).toBe(draws[0]);
    expect(seededRandom(2)()).not.toBe(draws[0]);
  });
});

describe('paired comparisons', () => {
  it('divides and subtracts round by round', () => {
    expect(pairedRatios([100, 200, 400], [150, 200, 300])).toEqual([1.5, 1, 0.75]);
    expect(pairedDifferences([100, 200, 400], [150, 200, 300])).toEqual([50, 0, -100]);
  });

  it('refuses rounds that measured one side only', () => {
    expect(() => pairedRatios([1, 2], [1])).toThrow('paired ratios of 2 baseline and 1 treatment rounds: every round must measure both');
    expect(() => pairedDifferences([1], [1, 2])).toThrow('paired differences of 1 baseline and 2 treatment rounds');
  });

  it('cancels a machine that slows down during the batch: a steady 1.25× stays 1.25× with no spread', () => {
    const baseline = Array.from({ length: 20 }, (_, i) => 100 + 10 * i); // 100 ms … 290 ms
    const c = compareRounds(baseline, baseline.map((b) => b * 1.25));
    expect(c.rounds).toBe(20);
    expect(c.median).toBeCloseTo(1.25, 12);
    expect(c.low).toBeCloseTo(1.25, 12);
    expect(c.high).toBeCloseTo(1.25, 12);
    expect(c.verdict).toBe('slower');
  });

  it('calls a ratio "faster" or "slower" only when its interval excludes 1', () => {
    expect(verdictOf([1.01, 1.2])).toBe('slower');
    expect(verdictOf([0.83, 0.99])).toBe('faster');
    expect(verdictOf([0.83, 1.04])).toBe('within noise'); // the audit's sql.js "0.935×"
    expect(verdictOf([1, 1.2])).toBe('within noise');
    expect(verdictOf([0.8, 1])).toBe('within noise');
  });

  it('reports rounds that scatter around 1 as within noise, with their median', () => {
    const baseline = Array(20).fill(100);
    const treatment = Array.from({ length: 20 }, (_, i) => [90, 95, 100, 105, 110][i % 5]);
    const c = compareRounds(baseline, treatment);
    expect(c.median).toBe(1);
    expect(c.low).toBeLessThan(1);
    expect(c.high).toBeGreaterThan(1);
    expect(c.verdict).toBe('within noise');
    expect(formatComparison(c)).toBe(`1.00× [${c.low.toFixed(2)}, ${c.high.toFixed(2)}] within noise`);
  });

  it('gives no verdict below 10 rounds, where the interval of two rounds is just their range', () => {
    const c = compareRounds([100, 100], [168, 252]);
    expect([c.low, c.high]).toEqual([1.68, 2.52]);
    expect(c.verdict).toBe('too few rounds');
    expect(MIN_ROUNDS_FOR_VERDICT).toBe(10);
    expect(compareRounds(Array(10).fill(100), Array(10).fill(130)).verdict).toBe('slower');
  });

  it('prints a comparison as ratio, interval and verdict', () => {
    expect(formatComparison({ rounds: 9, median: 1.354, low: 1.1, high: 1.8249, verdict: 'slower' })).toBe('1.35× [1.10, 1.82] slower');
  });
});
