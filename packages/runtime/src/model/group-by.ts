/**
 * Snapshot statistics computed on the columns, never on per-trace objects.
 *
 * Python's `_group_by` walks the traces and looks each one's key up in a dict.
 * Here the traces are first summed per traceback index (one pass over two typed
 * arrays), then the tracebacks, at most tens of thousands, are folded into keys
 * through the integer key ids of the TracebackTable. The result is the same.
 */

import { estimatedBytes, roundCounts, sampleWeight } from './sample-weight.js';
import { describeValue, type SnapshotData, type TracebackData } from './snapshot-data.js';
import type { TracebackTable } from './traceback-table.js';

export type KeyType = 'filename' | 'lineno' | 'traceback';

/** The traces that share one key; `id` is the key id in the snapshot's TracebackTable. */
export interface Group {
  readonly id: number;
  readonly size: number;
  readonly count: number;
}

/** Bytes and blocks per traceback index. */
export interface TracebackTotals {
  readonly size: Float64Array;
  readonly count: Float64Array;
  /** The tracebacks' cumulative counters (TracebackData), when the snapshot has them; 0 for a traceback filtered out. */
  readonly counters?: TracebackCounterColumns;
}

/** TracebackData's counters per traceback index (0 where absent). */
export interface TracebackCounterColumns {
  readonly allocCount: Float64Array;
  readonly allocSize: Float64Array;
  readonly freeCount: Float64Array;
  readonly freeSize: Float64Array;
  readonly peakCount: Float64Array;
  readonly peakSize: Float64Array;
}

/** The counters of `tracebacks` as columns, or undefined when none has any (an older snapshot). */
export function counterColumns(tracebacks: readonly TracebackData[]): TracebackCounterColumns | undefined {
  if (!tracebacks.some((t) => t.allocCount !== undefined)) return undefined;
  const n = tracebacks.length;
  const out = { allocCount: new Float64Array(n), allocSize: new Float64Array(n), freeCount: new Float64Array(n), freeSize: new Float64Array(n), peakCount: new Float64Array(n), peakSize: new Float64Array(n) };
  for (let t = 0; t < n; t++) {
    const tb = tracebacks[t];
    out.allocCount[t] = tb.allocCount ?? 0;
    out.allocSize[t] = tb.allocSize ?? 0;
    out.freeCount[t] = tb.freeCount ?? 0;
    out.freeSize[t] = tb.freeSize ?? 0;
    out.peakCount[t] = tb.peakCount ?? 0;
    out.peakSize[t] = tb.peakSize ?? 0;
  }
  return out;
}

/** `counters` with the tracebacks where keep[t] is 0 zeroed (a copy). */
export function maskCounters(counters: TracebackCounterColumns, keep: ArrayLike<number>): TracebackCounterColumns {
  const mask = (c: Float64Array) => c.map((v, t) => (keep[t] === 0 ? 0 : v));
  return { allocCount: mask(counters.allocCount), allocSize: mask(counters.allocSize), freeCount: mask(counters.freeCount), freeSize: mask(counters.freeSize), peakCount: mask(counters.peakCount), peakSize: mask(counters.peakSize) };
}

/** Whether traceback t belongs in statistics: it has traces, or counters (churn whose blocks were all freed). */
function present(totals: TracebackTotals, t: number): boolean {
  return totals.count[t] > 0 || (totals.counters !== undefined && totals.counters.allocCount[t] > 0);
}

/** Python's checks, with RangeError for its ValueError. */
export function checkKeyType(keyType: unknown, cumulative: unknown): asserts keyType is KeyType {
  if (keyType !== 'traceback' && keyType !== 'filename' && keyType !== 'lineno') {
    throw new RangeError(`unknown key_type: ${describeValue(keyType)}; use 'filename', 'lineno' or 'traceback'`);
  }
  if (cumulative && keyType === 'traceback') {
    throw new RangeError(`cumulative mode cannot be used with key type 'traceback'; use 'filename' or 'lineno'`);
  }
}

/**
 * Bytes and blocks per traceback index, of the traces with a non-zero entry in
 * `only` (all when undefined). In a sampled snapshot
 * (`samplingIntervalBytes` > 0) each trace adds what it stands for
 * (sample-weight.ts): estimates, with counts rounded per traceback.
 */
export function totalsPerTraceback(traces: SnapshotData['traces'], tracebackCount: number, samplingIntervalBytes = 0, only?: Uint8Array): TracebackTotals {
  const size = new Float64Array(tracebackCount);
  const count = new Float64Array(tracebackCount);
  const tbOf = traces.traceback;
  const sizeOf = traces.size;
  if (samplingIntervalBytes > 0) {
    for (let i = 0; i < tbOf.length; i++) {
      if (only !== undefined && only[i] === 0) continue;
      const t = tbOf[i];
      size[t] += estimatedBytes(sizeOf[i], samplingIntervalBytes);
      count[t] += sampleWeight(sizeOf[i], samplingIntervalBytes);
    }
    roundCounts(count);
    return { size, count };
  }
  for (let i = 0; i < tbOf.length; i++) {
    if (only !== undefined && only[i] === 0) continue;
    const t = tbOf[i];
    size[t] += sizeOf[i];
    count[t] += 1;
  }
  return { size, count };
}

/** The non-empty groups of a key type as columns, in key id order. */
export interface GroupColumns {
  /** Key id of each group (in the snapshot's TracebackTable). */
  readonly id: Int32Array;
  readonly size: Float64Array;
  readonly count: Float64Array;
  /** Bytes and blocks by key id (0 for empty keys). */
  readonly sizeByKey: Float64Array;
  readonly countByKey: Float64Array;
  /** > 0 for the keys that have a group (traces or counters): countByKey itself when there are no counters. */
  readonly presentByKey: Float64Array;
  /** The counters summed by key id (allocCount, allocSize, freeCount, freeSize), when the tracebacks have them. */
  readonly countersByKey?: { readonly allocCount: Float64Array; readonly allocSize: Float64Array; readonly freeCount: Float64Array; readonly freeSize: Float64Array };
}

/**
 * The non-empty groups of `keyType`, in key id order. Cumulative (filename and
 * lineno only) counts a trace under every key its frames have, once per key: a
 * recursive traceback f.c:3 -> f.c:7 -> f.c:3 adds its block to f.c:3 once.
 */
export function groupTraces(table: TracebackTable, totals: TracebackTotals, keyType: KeyType, cumulative: boolean): Group[] {
  const g = groupColumns(table, totals, keyType, cumulative);
  return Array.from(g.id, (id, i) => ({ id, size: g.size[i], count: g.count[i] }));
}

/** groupTraces as columns: no object per group. */
export function groupColumns(table: TracebackTable, totals: TracebackTotals, keyType: KeyType, cumulative: boolean): GroupColumns {
  checkKeyType(keyType, cumulative);
  const tracebackCount = table.tracebackCount;
  const { size: tbSize, count: tbCount } = totals;
  const ids = table.ids(keyType);
  const size = new Float64Array(ids.count);
  const count = new Float64Array(ids.count);
  const keyOf = ids.of;
  const tc = totals.counters;
  const counters = tc && { allocCount: new Float64Array(ids.count), allocSize: new Float64Array(ids.count), freeCount: new Float64Array(ids.count), freeSize: new Float64Array(ids.count) };
  const presence = counters ? new Float64Array(ids.count) : count;
  // A traceback with counters but no trace still makes its key a group.
  const addCounters = (k: number, t: number): void => {
    if (!counters || !tc) return;
    counters.allocCount[k] += tc.allocCount[t];
    counters.allocSize[k] += tc.allocSize[t];
    counters.freeCount[k] += tc.freeCount[t];
    counters.freeSize[k] += tc.freeSize[t];
    presence[k] += tbCount[t] + tc.allocCount[t];
  };

  if (keyType === 'traceback') {
    for (let t = 0; t < tracebackCount; t++) {
      if (tbCount[t] === 0 && !(tc && present(totals, t))) continue;
      const k = keyOf[t];
      size[k] += tbSize[t];
      count[k] += tbCount[t];
      addCounters(k, t);
    }
  } else if (!cumulative) {
    const frameOf = table.mostRecentFrames();
    for (let t = 0; t < tracebackCount; t++) {
      if (tbCount[t] === 0 && !(tc && present(totals, t))) continue;
      const k = keyOf[frameOf[t]];
      size[k] += tbSize[t];
      count[k] += tbCount[t];
      addCounters(k, t);
    }
  } else {
    const { starts, flat } = table.frameColumns();
    const addedBy = new Int32Array(ids.count).fill(-1); // traceback that last added to each key
    for (let t = 0; t < tracebackCount; t++) {
      if (tbCount[t] === 0 && !(tc && present(totals, t))) continue;
      const s = tbSize[t];
      const c = tbCount[t];
      for (let i = starts[t]; i < starts[t + 1]; i++) {
        const k = keyOf[flat[i]];
        if (addedBy[k] === t) continue;
        addedBy[k] = t;
        size[k] += s;
        count[k] += c;
        addCounters(k, t);
      }
    }
  }

  let n = 0;
  for (let k = 0; k < ids.count; k++) if (presence[k] > 0) n++;
  const out: GroupColumns = { id: new Int32Array(n), size: new Float64Array(n), count: new Float64Array(n), sizeByKey: size, countByKey: count, presentByKey: presence, ...(counters && { countersByKey: counters }) };
  for (let k = 0, j = 0; k < ids.count; k++) {
    if (presence[k] > 0) {
      out.id[j] = k;
      out.size[j] = size[k];
      out.count[j++] = count[k];
    }
  }
  return out;
}

/** Whether traceback t of `totals` has traces or counters (see groupColumns). */
export function tracebackPresent(totals: TracebackTotals, t: number): boolean {
  return present(totals, t);
}
