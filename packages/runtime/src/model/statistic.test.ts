import { describe, expect, it } from 'vitest';
import { Frame } from './frame.js';
import { Statistic, StatisticDiff } from './statistic.js';
import { Traceback } from './traceback.js';

const at = (filename: string, lineno: number): Traceback => new Traceback([new Frame(filename, lineno)]);

describe('Statistic', () => {
  it('prints like Python: size, count and average', () => {
    expect(String(new Statistic(at('b.py', 1), 66, 1))).toBe('b.py:1: size=66 B, count=1, average=66 B');
    expect(String(new Statistic(at('leak.c', 14), 100_000, 1000))).toBe('leak.c:14: size=97.7 KiB, count=1000, average=100 B');
    expect(String(new Statistic(at('f.c', 12), 576 * 1024 + 100, 10000))).toBe('f.c:12: size=576 KiB, count=10000, average=59 B');
    expect(String(new Statistic(at('f.c', 12), 5, 2))).toBe('f.c:12: size=5 B, count=2, average=2 B'); // 2.5 rounds to even
  });

  it('omits the average when there are no blocks', () => {
    expect(String(new Statistic(at('f.c', 12), 0, 0))).toBe('f.c:12: size=0 B, count=0');
  });

  it('sorts largest first by size, then count, then traceback', () => {
    const stats = [
      new Statistic(at('a.py', 1), 10, 1),
      new Statistic(at('b.py', 1), 10, 2),
      new Statistic(at('c.py', 1), 99, 1),
      new Statistic(at('a.py', 2), 10, 1),
      new Statistic(at('b.py', 0), 10, 1),
    ];
    expect(stats.sort(Statistic.compare).map((s) => `${s.traceback} ${s.size} ${s.count}`)).toEqual([
      'c.py:1 99 1',
      'b.py:1 10 2',
      'b.py:0 10 1', // traceback descending: b.py > a.py
      'a.py:2 10 1',
      'a.py:1 10 1',
    ]);
  });
});

describe('StatisticDiff', () => {
  it('prints like Python with signed differences', () => {
    expect(String(new StatisticDiff(at('a.py', 5), 5002, 5000, 2, 1))).toBe('a.py:5: size=5002 B (+5000 B), count=2 (+1), average=2501 B');
    expect(String(new StatisticDiff(at('f.c', 12), 576 * 1024, 576 * 1024, 10000, 10000))).toBe(
      'f.c:12: size=576 KiB (+576 KiB), count=10000 (+10000), average=59 B', // 58.98 B
    );
    expect(String(new StatisticDiff(at('b.py', 1), 0, -66, 0, -1))).toBe('b.py:1: size=0 B (-66 B), count=0 (-1)');
    expect(String(new StatisticDiff(at('a.py', 2), 30, 0, 3, 0))).toBe('a.py:2: size=30 B (+0 B), count=3 (+0), average=10 B');
    expect(String(new StatisticDiff(at('a.py', 2), 0, -0, 0, -0))).toBe('a.py:2: size=0 B (+0 B), count=0 (+0)');
  });

  it('sorts by |size diff|, size, |count diff|, count, traceback, largest first', () => {
    const diffs = [
      new StatisticDiff(at('a.py', 2), 30, 0, 3, 0),
      new StatisticDiff(at('b.py', 1), 0, -66, 0, -1),
      new StatisticDiff(at('c.py', 578), 400, 400, 1, 1),
      new StatisticDiff(at('<unknown>', 0), 0, -7, 0, -1),
      new StatisticDiff(at('a.py', 5), 5002, 5000, 2, 1),
      new StatisticDiff(at('d.py', 1), 66, 66, 1, 1),
      new StatisticDiff(at('e.py', 1), 66, -66, 2, -1),
      new StatisticDiff(at('e.py', 2), 66, -66, 2, -2),
    ];
    expect(diffs.sort(StatisticDiff.compare).map(String)).toEqual([
      'a.py:5: size=5002 B (+5000 B), count=2 (+1), average=2501 B',
      'c.py:578: size=400 B (+400 B), count=1 (+1), average=400 B',
      'e.py:2: size=66 B (-66 B), count=2 (-2), average=33 B',
      'e.py:1: size=66 B (-66 B), count=2 (-1), average=33 B',
      'd.py:1: size=66 B (+66 B), count=1 (+1), average=66 B',
      'b.py:1: size=0 B (-66 B), count=0 (-1)',
      '<unknown>:0: size=0 B (-7 B), count=0 (-1)',
      'a.py:2: size=30 B (+0 B), count=3 (+0), average=10 B',
    ]);
  });
});
