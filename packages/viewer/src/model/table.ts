/**
 * The statistics table as computed data: one row per Statistic (or StatisticDiff
 * when comparing) in tracemalloc's order, as columns, so that 100,000 rows cross
 * the Worker boundary as a few typed arrays and one array of strings. Ordering and
 * the text of a row are pure functions of it, done on the main thread.
 */

import { formatSize } from '@wasm-tracemalloc/runtime/model';
import { stringAt, type PackedStrings } from './packed-strings.js';
import type { KeyType, SortKey } from './view-state.js';

export interface TableModel {
  keyType: KeyType;
  cumulative: boolean;
  /** Rows carry differences from a base snapshot. */
  compare: boolean;
  /** The Statistic's traceback as tracemalloc prints it: `leak.c:14`, `leak.wasm:0` for a file. */
  keys: PackedStrings;
  /**
   * For 'traceback' rows: the callers of the most recent frame, newest first
   * ("← a ← b"), of rows 0 .. packedLength(callers) - 1 only (the first rows in
   * tracemalloc's order). The other rows' callers are fetched when drawn
   * (`loadCallers`): as one string for 50,000 rows they were most of the cost
   * of sending a table to the page.
   */
  callers?: PackedStrings;
  /** Set on the page by AnalysisClient: fetches the callers of `rows` (model indices). */
  loadCallers?: (rows: number[]) => Promise<string[]>;
  /** Callers fetched so far beyond `callers`, by row (filled by the table view). */
  moreCallers?: Map<number, string>;
  size: Float64Array;
  count: Float64Array;
  sizeDiff?: Float64Array;
  countDiff?: Float64Array;
  /** Bytes and blocks of the selected traces (of the snapshot, and of the base when comparing). */
  total: { size: number; count: number; baseSize?: number; baseCount?: number };
  /** Milliseconds the analysis took. */
  ms: number;
}

export type DiffStatus = 'new' | 'grown' | 'shrunk' | 'freed' | 'same';

/** How a group changed: only in the new snapshot, only in the old one, bigger, smaller, or not at all. */
export function diffStatus(size: number, sizeDiff: number, count: number, countDiff: number): DiffStatus {
  if (count === 0) return 'freed';
  if (count === countDiff) return 'new';
  if (sizeDiff > 0) return 'grown';
  if (sizeDiff < 0) return 'shrunk';
  return 'same';
}

export function rowStatus(t: TableModel, i: number): DiffStatus | undefined {
  if (!t.compare) return undefined;
  return diffStatus(t.size[i], t.sizeDiff![i], t.count[i], t.countDiff![i]);
}

/**
 * Row indices in the order of `sort`, largest first. The rows arrive in
 * tracemalloc's order (size for statistics, |size diff| for a comparison), which
 * also breaks ties: the sort is stable. The diff keys sort by absolute value, as
 * compare_to does.
 */
export function orderRows(t: TableModel, sort: SortKey): Uint32Array {
  const n = t.size.length;
  const order = new Uint32Array(n);
  const key = sortColumn(t, sort);
  if (key === undefined) {
    for (let i = 0; i < n; i++) order[i] = i;
    return order;
  }
  // Stable: equal keys keep tracemalloc's order (index). Without a comparator
  // (a JS comparator costs ~1 µs a call: 50,000 rows took 40-60 ms): the keys
  // are sorted natively, then each row, in index order, takes the next free
  // place of its key's run in the descending order, found by binary search.
  const sorted = Float64Array.from(key).sort(); // ascending; NaN never occurs (sizes, counts)
  const taken = new Int32Array(n); // per run start (descending position): rows placed so far
  for (let i = 0; i < n; i++) {
    const k = key[i];
    // Rows with a larger key come first: their number is n - (index of the first element > k).
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] <= k) lo = mid + 1;
      else hi = mid;
    }
    const start = n - lo;
    order[start + taken[start]++] = i;
  }
  return order;
}

/** The values sorted on; undefined when the rows are already in that order. */
function sortColumn(t: TableModel, sort: SortKey): Float64Array | undefined {
  const n = t.size.length;
  switch (sort) {
    case 'size':
      return t.compare ? t.size : undefined;
    case 'count':
      return t.count;
    case 'average': {
      const avg = new Float64Array(n);
      for (let i = 0; i < n; i++) avg[i] = t.count[i] > 0 ? t.size[i] / t.count[i] : 0;
      return avg;
    }
    case 'sizeDiff':
      return t.compare ? undefined : t.size;
    case 'countDiff': {
      if (!t.compare) return t.count;
      const abs = new Float64Array(n);
      for (let i = 0; i < n; i++) abs[i] = Math.abs(t.countDiff![i]);
      return abs;
    }
  }
}

/** A row as tracemalloc prints a Statistic, or a StatisticDiff when comparing. */
export function rowText(t: TableModel, i: number): string {
  const size = t.size[i];
  const count = t.count[i];
  let text = t.compare
    ? `${stringAt(t.keys, i)}: size=${formatSize(size)} (${formatSize(t.sizeDiff![i], true)}), count=${count} (${signed(t.countDiff![i])})`
    : `${stringAt(t.keys, i)}: size=${formatSize(size)}, count=${count}`;
  if (count) text += `, average=${formatSize(size / count)}`;
  return text;
}

/** What the Location column shows: a file without tracemalloc's `:0`, else the key. */
export function rowLabel(t: TableModel, i: number): string {
  const key = stringAt(t.keys, i);
  return t.keyType === 'filename' && key.endsWith(':0') ? key.slice(0, -2) : key;
}

/** Python's `"%+i"`. */
export function signed(n: number): string {
  return n < 0 ? String(n) : `+${n === 0 ? 0 : n}`;
}
