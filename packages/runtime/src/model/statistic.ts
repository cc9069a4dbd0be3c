/**
 * Grouped results: CPython's `tracemalloc.Statistic` and `StatisticDiff`, printed
 * and ordered exactly as Python prints and sorts them.
 */

import { formatSize } from './format.js';
import { Traceback } from './traceback.js';

/**
 * A group's cumulative counters (see TracebackData): blocks allocated with its
 * tracebacks and their bytes, and how many of them were freed and their bytes.
 */
export interface Counters {
  allocCount: number;
  allocSize: number;
  freeCount: number;
  freeSize: number;
}

/** Memory of the traces that share a key (a file, a line or a whole traceback). */
export class Statistic {
  /** Counters summed over the group, when the snapshot has them (else absent). */
  readonly allocCount?: number;
  readonly allocSize?: number;
  readonly freeCount?: number;
  readonly freeSize?: number;

  constructor(
    readonly traceback: Traceback,
    /** Bytes. */
    readonly size: number,
    /** Number of blocks. */
    readonly count: number,
    counters?: Counters,
  ) {
    if (counters) {
      this.allocCount = counters.allocCount;
      this.allocSize = counters.allocSize;
      this.freeCount = counters.freeCount;
      this.freeSize = counters.freeSize;
    }
  }

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
  /** The new snapshot's counters of the group, when both snapshots have them (else absent). */
  readonly allocCount?: number;
  readonly allocSize?: number;
  readonly freeCount?: number;
  readonly freeSize?: number;
  /** New − old counters: the blocks allocated and freed between the two snapshots, and their bytes. */
  readonly allocCountDiff?: number;
  readonly allocSizeDiff?: number;
  readonly freeCountDiff?: number;
  readonly freeSizeDiff?: number;

  constructor(
    readonly traceback: Traceback,
    /** Bytes in the new snapshot (0 when the key is only in the old one). */
    readonly size: number,
    /** size - old size. */
    readonly sizeDiff: number,
    readonly count: number,
    /** count - old count. */
    readonly countDiff: number,
    counters?: Counters,
    countersDiff?: Counters,
  ) {
    if (counters && countersDiff) {
      this.allocCount = counters.allocCount;
      this.allocSize = counters.allocSize;
      this.freeCount = counters.freeCount;
      this.freeSize = counters.freeSize;
      this.allocCountDiff = countersDiff.allocCount;
      this.allocSizeDiff = countersDiff.allocSize;
      this.freeCountDiff = countersDiff.freeCount;
      this.freeSizeDiff = countersDiff.freeSize;
    }
  }

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
