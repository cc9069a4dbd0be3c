/**
 * Grouped results: CPython's `tracemalloc.Statistic` and `StatisticDiff`, printed
 * and ordered exactly as Python prints and sorts them.
 */

import { formatSize } from './format.js';
import { Traceback } from './traceback.js';

/** Memory of the traces that share a key (a file, a line or a whole traceback). */
export class Statistic {
  constructor(
    readonly traceback: Traceback,
    /** Bytes. */
    readonly size: number,
    /** Number of blocks. */
    readonly count: number,
  ) {}

  /** `f.c:12: size=576 KiB, count=10000, average=58 B` */
  toString(): string {
    let text = `${this.traceback}: size=${formatSize(this.size)}, count=${this.count}`;
    if (this.count) text += `, average=${formatSize(this.size / this.count)}`;
    return text;
  }

  /**
   * The order of Snapshot.statistics: largest first by (size, count, traceback),
   * which is Python's `sort(reverse=True, key=(size, count, traceback))`.
   */
  static compare(a: Statistic, b: Statistic): number {
    return b.size - a.size || b.count - a.count || Traceback.compare(b.traceback, a.traceback);
  }
}

/** A Statistic of a new snapshot next to the same key in an old one. */
export class StatisticDiff {
  constructor(
    readonly traceback: Traceback,
    /** Bytes in the new snapshot (0 when the key is only in the old one). */
    readonly size: number,
    /** size - old size. */
    readonly sizeDiff: number,
    readonly count: number,
    /** count - old count. */
    readonly countDiff: number,
  ) {}

  /** `f.c:12: size=576 KiB (+576 KiB), count=10000 (+10000), average=58 B` */
  toString(): string {
    let text =
      `${this.traceback}: size=${formatSize(this.size)} (${formatSize(this.sizeDiff, true)}), ` +
      `count=${this.count} (${signed(this.countDiff)})`;
    if (this.count) text += `, average=${formatSize(this.size / this.count)}`;
    return text;
  }

  /**
   * The order of Snapshot.compareTo: largest first by
   * (|sizeDiff|, size, |countDiff|, count, traceback), as in Python.
   */
  static compare(a: StatisticDiff, b: StatisticDiff): number {
    return (
      Math.abs(b.sizeDiff) - Math.abs(a.sizeDiff) ||
      b.size - a.size ||
      Math.abs(b.countDiff) - Math.abs(a.countDiff) ||
      b.count - a.count ||
      Traceback.compare(b.traceback, a.traceback)
    );
  }
}

/** Python's `"%+i"`. */
function signed(n: number): string {
  return n < 0 ? String(n) : `+${n === 0 ? 0 : n}`;
}
