/**
 * What a snapshot says beyond its live traces, per traceback (TracebackData's
 * optional fields): cumulative allocations and frees (DevTools' # New, # Deleted,
 * Alloc. Size, Freed Size) and the blocks live at the traced peak. Grouped here by
 * the table's key, so that a site whose blocks were all freed (no live trace, so
 * no row of the model's tables) still gets a row with its churn.
 *
 * Keys are identities across snapshots, the ones the model's key ids stand for
 * (here as integers of this module's own): a line key is the frame's frameKey, a
 * file key its filename, a traceback key the tuple of its frames' line keys. An
 * empty traceback reads as `<unknown>:0`.
 */

import { frameKey, type SnapshotData, type TracebackData } from '@wasm-tracemalloc/runtime/model';
import type { KeyType } from './view-state.js';

/**
 * The optional per-traceback fields of snapshot-data.ts, named here so that the
 * viewer reads them whatever runtime build its types come from.
 */
export type CountedTraceback = TracebackData & {
  allocCount?: number;
  allocSize?: number;
  freeCount?: number;
  freeSize?: number;
  peakCount?: number;
  peakSize?: number;
};

/** The churn columns, in the order the table shows them. */
export const CHURN_FIELDS = ['allocCount', 'freeCount', 'allocSize', 'freeSize'] as const;
export type ChurnField = (typeof CHURN_FIELDS)[number];

/** Per-group churn: allocCount, freeCount, allocSize, freeSize (CHURN_FIELDS order). */
export type Churn = Float64Array;

const UNKNOWN = { filename: '<unknown>', lineno: 0 };

/** Whether the snapshot's tracebacks carry the allocation counters (any of them does). */
export function hasCounters(data: Pick<SnapshotData, 'tracebacks'>): boolean {
  return (data.tracebacks as CountedTraceback[]).some((tb) => tb.allocCount !== undefined);
}

/** Whether the snapshot's tracebacks say what was live at the peak. */
export function hasPeak(data: Pick<SnapshotData, 'tracebacks'>): boolean {
  return (data.tracebacks as CountedTraceback[]).some((tb) => tb.peakSize !== undefined);
}

/** The traceback's counters (0 where absent), CHURN_FIELDS order, added into into[at …]. */
function addChurn(tb: CountedTraceback, into: Float64Array, at: number): void {
  into[at] += tb.allocCount ?? 0;
  into[at + 1] += tb.freeCount ?? 0;
  into[at + 2] += tb.allocSize ?? 0;
  into[at + 3] += tb.freeSize ?? 0;
}


/**
 * Keys as integers shared by every snapshot this worker reads: a line key
 * (frameKey), a file name, a traceback (its line key ids in order) each get one
 * id, so that equal keys of two snapshots have equal ids and grouping, matching
 * and diffing are integer work. Each frames and tracebacks array is mapped once.
 */
const lineIds = new Map<string, number>();
const fileIds = new Map<string, number>();
const tracebackIds = new Map<string, number>();

function intern(ids: Map<string, number>, key: string): number {
  let id = ids.get(key);
  if (id === undefined) ids.set(key, (id = ids.size));
  return id;
}

/** Key ids there are of `keyType` so far (an upper bound of every id handed out). */
function idSpace(keyType: KeyType): number {
  return (keyType === 'lineno' ? lineIds : keyType === 'filename' ? fileIds : tracebackIds).size;
}

/** The frames of a traceback, oldest first, `<unknown>:0` for an empty one (TracebackTable.framesOf). */
function framesOf(data: Pick<SnapshotData, 'frames' | 'tracebacks'>, t: number): readonly number[] {
  const frames = data.tracebacks[t].frames;
  return frames.length > 0 ? frames : [data.frames.length];
}

const frameIdCache = new WeakMap<object, { lineno: Int32Array; filename: Int32Array }>();
/** The line and file key ids of every frame index, and of `frames.length` (`<unknown>:0`). */
function frameIds(data: Pick<SnapshotData, 'frames'>): { lineno: Int32Array; filename: Int32Array } {
  let ids = frameIdCache.get(data.frames);
  if (ids === undefined) {
    const n = data.frames.length;
    ids = { lineno: new Int32Array(n + 1), filename: new Int32Array(n + 1) };
    for (let f = 0; f <= n; f++) {
      const fd = f < n ? data.frames[f] : UNKNOWN;
      ids.lineno[f] = intern(lineIds, frameKey(fd));
      ids.filename[f] = intern(fileIds, fd.filename);
    }
    frameIdCache.set(data.frames, ids);
  }
  return ids;
}

const tracebackIdCache = new WeakMap<object, Partial<Record<KeyType, Int32Array>>>();
/** The (non-cumulative) key id of every traceback for `keyType`, computed once per tracebacks array. */
export function tracebackKeyIds(data: Pick<SnapshotData, 'frames' | 'tracebacks'>, keyType: KeyType): Int32Array {
  let byType = tracebackIdCache.get(data.tracebacks);
  if (byType === undefined) tracebackIdCache.set(data.tracebacks, (byType = {}));
  let ids = byType[keyType];
  if (ids === undefined) {
    ids = new Int32Array(data.tracebacks.length);
    for (let t = 0; t < ids.length; t++) {
      const frames = framesOf(data, t);
      ids[t] = keyIdOfFrames(data, keyType, keyType === 'traceback' ? frames : [frames[frames.length - 1]]);
    }
    byType[keyType] = ids;
  }
  return ids;
}

/**
 * The key id of a row of the model's tables, given the frames its key stands for
 * (StatisticTable.keyFrames: one frame, or the traceback's frames).
 */
export function keyIdOfFrames(data: Pick<SnapshotData, 'frames'>, keyType: KeyType, frames: readonly number[]): number {
  const ids = frameIds(data);
  if (keyType !== 'traceback') return ids[keyType][frames[0]];
  let key = '';
  for (const f of frames) key += `${ids.lineno[f]},`;
  return intern(tracebackIds, key);
}

/** The key ids traceback `t` counts under: its most recent frame's, every frame's (cumulative, each once), or its own. */
export function keyIdsOfTraceback(data: Pick<SnapshotData, 'frames' | 'tracebacks'>, keyType: KeyType, cumulative: boolean, t: number): number[] {
  if (keyType === 'traceback' || !cumulative) return [tracebackKeyIds(data, keyType)[t]];
  const ids = frameIds(data)[keyType];
  const keys = new Set<number>();
  for (const f of framesOf(data, t)) keys.add(ids[f]);
  return [...keys];
}

/** Per-traceback values summed by key: group g has key id key[g], its first traceback first[g], values[width·g …]. */
export interface KeyedGroups {
  keyType: KeyType;
  cumulative: boolean;
  width: number;
  /** The tracebacks counted: those the mask keeps (all when undefined) that `take` accepted. */
  pass: Uint8Array | undefined;
  take: (tb: CountedTraceback) => boolean;
  length: number;
  key: Int32Array;
  first: Int32Array;
  values: Float64Array;
  /** Key id → group, or -1 (ids handed out later read as -1: see groupOf). */
  slot: Int32Array;
}

/** The group of key id `id`, or -1. */
export function groupOf(groups: KeyedGroups, id: number): number {
  return id < groups.slot.length ? groups.slot[id] : -1;
}

/**
 * Sums per-traceback values by key over the tracebacks that `pass` keeps (all
 * when undefined) and `take` accepts. `add(tb, into, at)` adds a traceback's
 * values at into[at …].
 */
export function groupTracebacks(
  data: Pick<SnapshotData, 'frames' | 'tracebacks'>,
  keyType: KeyType,
  cumulative: boolean,
  pass: Uint8Array | undefined,
  width: number,
  take: (tb: CountedTraceback) => boolean,
  add: (tb: CountedTraceback, into: Float64Array, at: number) => void,
): KeyedGroups {
  const tbs = data.tracebacks as CountedTraceback[];
  const single = keyType === 'traceback' || !cumulative ? tracebackKeyIds(data, keyType) : undefined;
  if (single === undefined) frameIds(data);
  const slot = new Int32Array(idSpace(keyType)).fill(-1);
  const key: number[] = [];
  const first: number[] = [];
  let values = new Float64Array(width * 256);
  const groupFor = (id: number, t: number): number => {
    let g = slot[id];
    if (g < 0) {
      g = slot[id] = key.length;
      key.push(id);
      first.push(t);
      if (width * key.length > values.length) {
        const grown = new Float64Array(values.length * 2);
        grown.set(values);
        values = grown;
      }
    }
    return g;
  };
  for (let t = 0; t < tbs.length; t++) {
    if (pass !== undefined && pass[t] === 0) continue;
    const tb = tbs[t];
    if (!take(tb)) continue;
    if (single !== undefined) add(tb, values, width * groupFor(single[t], t));
    else for (const id of keyIdsOfTraceback(data, keyType, cumulative, t)) add(tb, values, width * groupFor(id, t));
  }
  return { keyType, cumulative, width, pass, take, length: key.length, key: Int32Array.from(key), first: Int32Array.from(first), values: values.subarray(0, width * key.length), slot };
}

/** The tracebacks of group g, ascending (a scan of the tracebacks: for one row's detail). */
export function tracebacksOfGroup(data: Pick<SnapshotData, 'frames' | 'tracebacks'>, groups: KeyedGroups, g: number): number[] {
  const out: number[] = [];
  const id = groups.key[g];
  const tbs = data.tracebacks as CountedTraceback[];
  for (let t = 0; t < tbs.length; t++) {
    if ((groups.pass !== undefined && groups.pass[t] === 0) || !groups.take(tbs[t])) continue;
    if (keyIdsOfTraceback(data, groups.keyType, groups.cumulative, t).includes(id)) out.push(t);
  }
  return out;
}

/** Groups of all tracebacks (no filter), by tracebacks array and grouping: a diff reuses what each snapshot's own table computed. */
const groupCache = new WeakMap<object, Map<string, KeyedGroups>>();
function cached(data: Pick<SnapshotData, 'tracebacks'>, what: string, pass: Uint8Array | undefined, compute: () => KeyedGroups): KeyedGroups {
  if (pass !== undefined) return compute();
  let byWhat = groupCache.get(data.tracebacks);
  if (byWhat === undefined) groupCache.set(data.tracebacks, (byWhat = new Map()));
  let groups = byWhat.get(what);
  if (groups === undefined) byWhat.set(what, (groups = compute()));
  return groups;
}

const hasCounter = (tb: CountedTraceback) => tb.allocCount !== undefined;
const hasPeakBlocks = (tb: CountedTraceback) => (tb.peakSize ?? 0) > 0 || (tb.peakCount ?? 0) > 0;

/** Churn by key (CHURN_FIELDS order) of the tracebacks that carry counters. Read-only (cached). */
export function churnByKey(data: Pick<SnapshotData, 'frames' | 'tracebacks'>, keyType: KeyType, cumulative: boolean, pass: Uint8Array | undefined): KeyedGroups {
  return cached(data, `churn ${keyType} ${cumulative}`, pass, () => groupTracebacks(data, keyType, cumulative, pass, 4, hasCounter, addChurn));
}

/** Blocks and bytes live at the peak by key: values [peakSize, peakCount]. Read-only (cached). */
export function peakByKey(data: Pick<SnapshotData, 'frames' | 'tracebacks'>, keyType: KeyType, cumulative: boolean, pass: Uint8Array | undefined): KeyedGroups {
  return cached(data, `peak ${keyType} ${cumulative}`, pass, () =>
    groupTracebacks(data, keyType, cumulative, pass, 2, hasPeakBlocks, (tb, into, at) => {
      into[at] += tb.peakSize ?? 0;
      into[at + 1] += tb.peakCount ?? 0;
    }),
  );
}


