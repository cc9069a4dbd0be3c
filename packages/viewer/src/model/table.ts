/**
 * The statistics table as computed data: one row per Statistic (or StatisticDiff
 * when comparing) in tracemalloc's order, as columns, so that 100,000 rows cross
 * the Worker boundary as a few typed arrays and one array of strings. Ordering and
 * the text of a row are pure functions of it, done on the main thread.
 */

import { formatSize, radixSortDescending } from '@wasm-tracemalloc/runtime/model';
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
  /**
   * For 'lineno' and 'traceback' rows: the function of the key's most recent
   * frame ('' when the frame has none), so rows that share a file tell apart.
   */
  functions?: PackedStrings;
  /** Set on the page by AnalysisClient: fetches the callers of `rows` (model indices). */
  loadCallers?: (rows: number[]) => Promise<string[]>;
  /** Callers fetched so far beyond `callers`, by row (filled by the table view). */
  moreCallers?: Map<number, string>;
  size: Float64Array;
  count: Float64Array;
  sizeDiff?: Float64Array;
  countDiff?: Float64Array;
  /**
   * When the snapshot's tracebacks carry counters (churn.ts): blocks allocated and
   * freed per row since tracing started, and their bytes; when comparing, their
   * increase since the base. Rows past the model's own (a site with counters and
   * no live block) have size and count 0.
   */
  allocCount?: Float64Array;
  freeCount?: Float64Array;
  allocSize?: Float64Array;
  freeSize?: Float64Array;
  /** Rows are what was live at the traced peak (size and count at the peak), not now. */
  peak?: boolean;
  /**
   * Bytes and blocks of the selected traces (of the snapshot, and of the base when
   * comparing). `traces` is set when the snapshot is sampled: then its rows' and
   * total's sizes and counts are estimates, standing on this many sampled traces.
   */
  total: { size: number; count: number; traces?: number; baseSize?: number; baseCount?: number };
  /** Milliseconds the analysis took. */
  ms: number;
}

export type DiffStatus = 'new' | 'grown' | 'shrunk' | 'freed' | 'same';

/** How a group changed: only in the new snapshot, only in the old one, bigger, smaller, or not at all. */
export function diffStatus(size: number, sizeDiff: number, count: number, countDiff: number): DiffStatus {
  // A site with no live block on either side (a churn-only row) did not change.
  if (count === 0) return countDiff === 0 && sizeDiff === 0 ? 'same' : 'freed';
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
  for (let i = 0; i < n; i++) order[i] = i;
  const key = sortColumn(t, sort);
  if (key === undefined) return order;
  // Stable: equal keys keep tracemalloc's order (index). The model's radix sort (no
  // JS comparator: 3-5 ms for 55,000 rows where a comparator took 40-60) needs keys
  // >= 0 (sizes, counts, averages, absolute differences); otherwise a native sort.
  return radixSortDescending(order, key, scratchU32(n)) ? order : orderBySearch(key, order);
}

/** orderRows by a native sort of the keys and a binary search per row (keys with NaN or negative values). */
function orderBySearch(key: Float64Array, order: Uint32Array): Uint32Array {
  const n = key.length;
  const sorted = Float64Array.from(key).sort(); // ascending
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

// Working arrays of orderRows, kept between calls: on a VM fresh memory costs a page
// fault per 4 KiB (7-10 ms per MB), more than sorting 50,000 rows natively.
let f64Pool = new Float64Array(0);
let u32Pool = new Uint32Array(0);

/** A scratch Float64Array of n (a computed key column), contents undefined. */
function scratchF64(n: number): Float64Array {
  // Half again as long: the next table (a diff of the same grouping, say) is often a little longer.
  if (f64Pool.length < n) f64Pool = new Float64Array(Math.ceil(n * 1.5));
  return f64Pool.subarray(0, n);
}

/** A scratch Uint32Array of n, contents undefined. */
function scratchU32(n: number): Uint32Array {
  if (u32Pool.length < n) u32Pool = new Uint32Array(Math.ceil(n * 1.5));
  return u32Pool.subarray(0, n);
}

/** The values sorted on (a scratch array for computed columns); undefined when the rows are already in that order. */
function sortColumn(t: TableModel, sort: SortKey): Float64Array | undefined {
  const n = t.size.length;
  switch (sort) {
    case 'size':
      return t.compare ? t.size : undefined;
    case 'count':
      return t.count;
    case 'average': {
      const avg = scratchF64(n);
      for (let i = 0; i < n; i++) avg[i] = t.count[i] > 0 ? t.size[i] / t.count[i] : 0;
      return avg;
    }
    case 'sizeDiff':
      return t.compare ? undefined : t.size;
    case 'countDiff': {
      if (!t.compare) return t.count;
      const abs = scratchF64(n);
      for (let i = 0; i < n; i++) abs[i] = Math.abs(t.countDiff![i]);
      return abs;
    }
    // Largest first; in a diff, the largest increase (a counter reset by clear_traces can make it negative).
    case 'allocCount':
    case 'freeCount':
    case 'allocSize':
    case 'freeSize':
      return t[sort];
  }
}

/** Whether the model has the churn columns. */
export function hasChurnColumns(t: Pick<TableModel, 'allocCount'>): boolean {
  return t.allocCount !== undefined;
}

/** A row as tracemalloc prints a Statistic, or a StatisticDiff when comparing. */
export function rowText(t: TableModel, i: number): string {
  const size = t.size[i];
  const count = t.count[i];
  let text = t.compare
    ? `${stringAt(t.keys, i)}: size=${formatSize(size)} (${formatSize(t.sizeDiff![i], true)}), count=${count} (${signed(t.countDiff![i])})`
    : `${stringAt(t.keys, i)}: size=${formatSize(size)}, count=${count}`;
  if (count) text += `, average=${formatSize(size / count)}`;
  // The churn columns (allocated, freed) have cells of their own: the text stays tracemalloc's.
  return text;
}

/** What the Location column shows: a file without tracemalloc's `:0`, else the key. */
export function rowLabel(t: TableModel, i: number): string {
  const key = stringAt(t.keys, i);
  return t.keyType === 'filename' && key.endsWith(':0') ? key.slice(0, -2) : key;
}

/**
 * A location split where eliding should happen: `dir/` + `file.c:14`, or
 * `module.wasm:` + `function+0x1f` for a frame without a line. The head is
 * elided before the tail, so every row keeps what tells it from its neighbours
 * (every row of one module starts the same).
 */
export function splitLocation(text: string): [head: string, tail: string] {
  const colon = text.indexOf(':');
  if (colon < 0 || /:\d+$/.test(text)) {
    const slash = Math.max(text.lastIndexOf('/'), text.lastIndexOf('\\'));
    return [text.slice(0, slash + 1), text.slice(slash + 1)];
  }
  return [text.slice(0, colon + 1), text.slice(colon + 1)];
}

/** Python's `"%+i"`. */
export function signed(n: number): string {
  return n < 0 ? String(n) : `+${n === 0 ? 0 : n}`;
}
