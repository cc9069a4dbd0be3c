/**
 * Snapshot statistics computed on the columns, never on per-trace objects.
 *
 * Python's `_group_by` walks the traces and looks each one's key up in a dict.
 * Here the traces are first summed per traceback index (one pass over two typed
 * arrays), then the tracebacks, at most tens of thousands, are folded into keys
 * through the integer key ids of the TracebackTable. The result is the same.
 */

import { estimatedBytes, roundCounts, sampleWeight } from './sample-weight.js';
import { describeValue, type SnapshotData } from './snapshot-data.js';
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

  if (keyType === 'traceback') {
    for (let t = 0; t < tracebackCount; t++) {
      if (tbCount[t] === 0) continue;
      const k = keyOf[t];
      size[k] += tbSize[t];
      count[k] += tbCount[t];
    }
  } else if (!cumulative) {
    const frameOf = table.mostRecentFrames();
    for (let t = 0; t < tracebackCount; t++) {
      if (tbCount[t] === 0) continue;
      const k = keyOf[frameOf[t]];
      size[k] += tbSize[t];
      count[k] += tbCount[t];
    }
  } else {
    const { starts, flat } = table.frameColumns();
    const addedBy = new Int32Array(ids.count).fill(-1); // traceback that last added to each key
    for (let t = 0; t < tracebackCount; t++) {
      if (tbCount[t] === 0) continue;
      const s = tbSize[t];
      const c = tbCount[t];
      for (let i = starts[t]; i < starts[t + 1]; i++) {
        const k = keyOf[flat[i]];
        if (addedBy[k] === t) continue;
        addedBy[k] = t;
        size[k] += s;
        count[k] += c;
      }
    }
  }

  let n = 0;
  for (let k = 0; k < ids.count; k++) if (count[k] > 0) n++;
  const out = { id: new Int32Array(n), size: new Float64Array(n), count: new Float64Array(n), sizeByKey: size, countByKey: count };
  for (let k = 0, j = 0; k < ids.count; k++) {
    if (count[k] > 0) {
      out.id[j] = k;
      out.size[j] = size[k];
      out.count[j++] = count[k];
    }
  }
  return out;
}
