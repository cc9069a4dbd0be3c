/**
 * Snapshot.statistics and Snapshot.compareTo as columns: every row's bytes,
 * blocks (and differences) in typed arrays, already in tracemalloc's order, and
 * the row's key as a key id of a TracebackTable. A Statistic (with its Frame and
 * Traceback objects) is only built for a row that is asked for, so a viewer that
 * shows 40 of 50,000 rows builds 40.
 *
 * The order is Python's, computed without Tracebacks: (size, count) and then
 * the keys' Traceback order (TracebackTable.keyRanks), or for a diff
 * (|sizeDiff|, size, |countDiff|, count) and then the keys. Keys only in the old
 * snapshot of a diff belong to the old snapshot's table and are ranked there;
 * such a row never ties with a row of the current table (its count is 0, theirs
 * is not), so ranks of the two tables are never compared. Rows are ordered by
 * a radix sort per column, without a comparator.
 */

import { checkKeyType, tracebackPresent, type GroupColumns, type KeyType, type TracebackTotals } from './group-by.js';
import { columnFloat64, columnInt32, columnUint32, columnUint8, reserveColumns, reserveScratch, scratchFloat64, scratchInt32, scratchUint8 } from './scratch.js';
import { Statistic, StatisticDiff, type Counters } from './statistic.js';
import type { Traceback } from './traceback.js';
import type { TracebackTable } from './traceback-table.js';
import { radixSortDescendingBy } from './radix-sort.js';

/** A snapshot's traceback table, its bytes and blocks per traceback index, and its groups (cached). */
export interface GroupSource {
  readonly table: TracebackTable;
  readonly totals: TracebackTotals;
  groups(keyType: KeyType, cumulative: boolean): GroupColumns;
}

/** The tracebacks of one row's group, heaviest first. */
export interface RowTracebacks {
  /** Traceback indices, into the tracebacks of the snapshot the row's key is from. */
  readonly index: Int32Array;
  readonly size: Float64Array;
  readonly count: Float64Array;
}

export class StatisticTable {
  /** Number of rows. */
  readonly length: number;
  /** Bytes per row (in the new snapshot, for a diff). */
  readonly size: Float64Array;
  /** Blocks per row. */
  readonly count: Float64Array;
  /** For a diff (compareTo): size - old size per row; else undefined. */
  readonly sizeDiff: Float64Array | undefined;
  /** For a diff: count - old count per row; else undefined. */
  readonly countDiff: Float64Array | undefined;
  /** The groups' cumulative counters per row (the new snapshot's, for a diff), when the snapshots have them. */
  readonly counters: CounterRows | undefined;
  /** For a diff of snapshots with counters: new − old counters per row. */
  readonly countersDiff: CounterRows | undefined;
  readonly #key: Int32Array;
  /** For a diff: 1 where the row's key is only in the old snapshot. */
  readonly #old: Uint8Array | undefined;
  readonly #sources: readonly GroupSource[];

  private constructor(
    readonly keyType: KeyType,
    readonly cumulative: boolean,
    sources: readonly GroupSource[],
    rows: { key: Int32Array; size: Float64Array; count: Float64Array; sizeDiff?: Float64Array; countDiff?: Float64Array; old?: Uint8Array; counters?: CounterRows; countersDiff?: CounterRows },
  ) {
    this.#sources = sources;
    this.#key = rows.key;
    this.#old = rows.old;
    this.length = rows.key.length;
    this.size = rows.size;
    this.count = rows.count;
    this.sizeDiff = rows.sizeDiff;
    this.countDiff = rows.countDiff;
    this.counters = rows.counters;
    this.countersDiff = rows.countersDiff;
  }

  /** Snapshot.statistics as columns. */
  static statistics(source: GroupSource, keyType: KeyType, cumulative: boolean): StatisticTable {
    checkKeyType(keyType, cumulative);
    const { id, size, count } = source.groups(keyType, cumulative);
    // Ties by the keys' rank in Python's order of their Tracebacks (unique per key).
    const tie = scratchFloat64(0, id.length);
    gatherRanks(id, source.table.keyRanks(keyType), tie);
    const order = identity(id.length);
    sortRows(order, [size, count, tie], (a, b) => size[b] - size[a] || count[b] - count[a] || tie[b] - tie[a]);
    // As tracemalloc's statistics: the groups that hold blocks. A group that only
    // churned (its counters, no live block) sorts last and is left out; compare()
    // keeps it, where its allocated and freed are the change.
    let n = id.length;
    while (n > 0 && count[order[n - 1]!] === 0 && size[order[n - 1]!] === 0) n--;
    const kept = order.subarray(0, n);
    const key = permuteInt32(id, kept, new Int32Array(n));
    const byKey = source.groups(keyType, cumulative).countersByKey;
    return new StatisticTable(keyType, cumulative, [source], {
      key,
      size: permuteFloat64(size, kept, new Float64Array(n)),
      count: permuteFloat64(count, kept, new Float64Array(n)),
      ...(byKey && { counters: gatherCounters(key, byKey) }),
    });
  }

  /**
   * Pages in the memory a compare() of `current` against `old` (not cumulative)
   * needs, working arrays and returned columns, and readies its loops: for idle
   * time. Returns the number of rows that compare() has.
   */
  static prepareCompare(current: GroupSource, old: GroupSource, keyType: KeyType): number {
    const now = current.groups(keyType, false);
    const before = old.groups(keyType, false);
    const map = current.table.keyMapFrom(old.table, keyType);
    // compare()'s first step, for its count of rows only in the old snapshot.
    const n = now.id.length + oldByCurrentKey(map, before.id, before.size, before.count, now.presentByKey, scratchFloat64(0, now.sizeByKey.length), scratchFloat64(1, now.sizeByKey.length));
    reserveScratch(Math.max(n, now.sizeByKey.length), FLOAT_SLOTS, INT_SLOTS, BYTE_SLOTS);
    // The table's columns (key, old, size, count, sizeDiff, countDiff) and its keyTexts' entries.
    reserveColumns([4 * n, n, 8 * n, 8 * n, 8 * n, 8 * n, 4 * n]);
    warmKernels();
    return n;
  }

  /** Snapshot.compareTo as columns: `current` against `old`. */
  static compare(current: GroupSource, old: GroupSource, keyType: KeyType, cumulative: boolean): StatisticTable {
    checkKeyType(keyType, cumulative);
    const now = current.groups(keyType, cumulative);
    const before = old.groups(keyType, cumulative);
    // Old groups by the key id they have in the current table (-1: none).
    const map = current.table.keyMapFrom(old.table, keyType);
    const oldSize = scratchFloat64(0, now.sizeByKey.length);
    const oldCount = scratchFloat64(1, now.sizeByKey.length);
    const onlyOld = oldByCurrentKey(map, before.id, before.size, before.count, now.presentByKey, oldSize, oldCount);
    const n = now.id.length + onlyOld;
    // Unsorted rows in scratch arrays, the current keys' first; the sorted
    // copies are the table's own.
    const rows: Rows = {
      key: scratchInt32(0, n),
      isOld: scratchUint8(0, n),
      size: scratchFloat64(2, n),
      count: scratchFloat64(3, n),
      sizeDiff: scratchFloat64(4, n),
      countDiff: scratchFloat64(5, n),
      absSize: scratchFloat64(6, n),
      absCount: scratchFloat64(7, n),
      tie: scratchFloat64(8, n),
    };
    const r = currentRows(now.id, now.sizeByKey, now.countByKey, oldSize, oldCount, rows.key, rows.size, rows.count, rows.sizeDiff, rows.countDiff);
    oldOnlyRows(before.id, map, now.presentByKey, before.sizeByKey, before.countByKey, r, rows.key, rows.isOld, rows.sizeDiff, rows.countDiff);
    absolute(rows.sizeDiff, rows.absSize);
    absolute(rows.countDiff, rows.absCount);
    // Ties by the keys' ranks, each in its own table. Rows of the two tables
    // never tie on (|size diff|, size, |count diff|, count): a key only in the
    // old snapshot has count 0, the others count > 0.
    tieRanks(rows.key, rows.isOld, current.table.keyRanks(keyType), old.table.keyRanks(keyType), rows.tie);
    const { absSize, size, absCount, count, tie } = rows;
    const order = identity(n);
    sortRows(order, [absSize, size, absCount, count, tie], (a, b) => absSize[b] - absSize[a] || size[b] - size[a] || absCount[b] - absCount[a] || count[b] - count[a] || tie[b] - tie[a]);
    // The table's columns, in memory prepareCompare paged in when it did.
    const key = permuteInt32(rows.key, order, columnInt32(n));
    const isOld = permuteUint8(rows.isOld, order, columnUint8(n));
    const counters = now.countersByKey && before.countersByKey && diffCounters(key, isOld, map, before.id, now.presentByKey, now.countersByKey, before.countersByKey);
    return new StatisticTable(keyType, cumulative, [current, old], {
      key,
      old: isOld,
      ...counters,
      size: permuteFloat64(rows.size, order, columnFloat64(n)),
      count: permuteFloat64(rows.count, order, columnFloat64(n)),
      sizeDiff: permuteFloat64(rows.sizeDiff, order, columnFloat64(n)),
      countDiff: permuteFloat64(rows.countDiff, order, columnFloat64(n)),
    });
  }

  /** The key id of every row (in its snapshot's TracebackTable), in row order. Read-only. */
  get keyIds(): Int32Array {
    return this.#key;
  }

  /** Rows are StatisticDiffs (compareTo), not Statistics. */
  get isDiff(): boolean {
    return this.sizeDiff !== undefined;
  }

  /** The Traceback of row i's key: what its Statistic shows. Built on first use, then cached. */
  traceback(i: number): Traceback {
    return this.#source(i).table.keyTraceback(this.keyType, this.#key[i]);
  }

  /** `String(traceback(i))` without building the Traceback. */
  keyText(i: number): string {
    return this.#source(i).table.keyText(this.keyType, this.#key[i]);
  }

  /**
   * Every row's keyText at once, as a table of texts and an entry per row:
   * row i prints text[ends[ids[i] - 1] .. ends[ids[i]]] (from 0 for entry 0).
   * Integer work per row; the texts are built once per snapshot's table.
   */
  keyTexts(): { text: string; ends: Uint32Array; ids: Uint32Array } {
    const mine = this.#sources[0].table.keyTextTable(this.keyType);
    // A diff's in memory its prepareCompare paged in, if it did.
    const ids = this.isDiff ? columnUint32(this.length) : new Uint32Array(this.length);
    const old = this.#old;
    const other = this.#sources.length > 1 && this.#sources[1].table !== this.#sources[0].table ? this.#sources[1].table.keyTextTable(this.keyType) : undefined;
    if (old === undefined || other === undefined) {
      for (let i = 0; i < ids.length; i++) ids[i] = mine.entryOf[this.#key[i]];
      return { text: mine.text, ends: mine.ends, ids };
    }
    const offset = mine.ends.length;
    for (let i = 0; i < ids.length; i++) ids[i] = old[i] === 1 ? offset + other.entryOf[this.#key[i]] : mine.entryOf[this.#key[i]];
    const ends = new Uint32Array(offset + other.ends.length);
    ends.set(mine.ends);
    for (let e = 0; e < other.ends.length; e++) ends[offset + e] = mine.text.length + other.ends[e];
    return { text: mine.text + other.text, ends, ids };
  }

  /** Whether row i's key is only in the old snapshot of a diff (then it is a freed group, count 0). */
  fromOld(i: number): boolean {
    return this.#old !== undefined && this.#old[i] === 1;
  }

  /**
   * Frame indices (into the frames of the snapshot the row's key is from: the
   * old one when fromOld(i)) of the key's traceback, oldest -> most recent. For
   * 'lineno' and 'filename', the one frame that first had the key.
   */
  keyFrames(i: number): readonly number[] {
    const table = this.#source(i).table;
    const first = table.ids(this.keyType).first[this.#key[i]];
    return this.keyType === 'traceback' ? table.framesOf(first) : [first];
  }

  /**
   * The index of the frame (for 'lineno' and 'filename') or traceback (for
   * 'traceback') that first had row i's key, in the snapshot the key is from.
   */
  keyFirst(i: number): number {
    return this.#source(i).table.ids(this.keyType).first[this.#key[i]];
  }

  /** Row i as Snapshot.statistics (or compareTo) returns it. */
  statistic(i: number): Statistic | StatisticDiff {
    const counters = this.counters && counterRow(this.counters, i);
    if (this.sizeDiff === undefined) return new Statistic(this.traceback(i), this.size[i], this.count[i], counters);
    return new StatisticDiff(this.traceback(i), this.size[i], this.sizeDiff[i], this.count[i], this.countDiff![i], counters, this.countersDiff && counterRow(this.countersDiff, i));
  }

  /** Every row's Statistic (or StatisticDiff), in order. */
  toArray(): Array<Statistic | StatisticDiff> {
    return Array.from({ length: this.length }, (_, i) => this.statistic(i));
  }

  /**
   * The tracebacks whose traces make up row i, in the snapshot its key is from
   * (the old one when fromOld(i)): those with the key (as most recent frame,
   * its file, or the whole traceback; with any frame when cumulative) and at
   * least one trace, heaviest first by (size, count), then by index.
   */
  tracebacksOf(i: number): RowTracebacks {
    const { table, totals } = this.#source(i);
    const k = this.#key[i];
    const keyOf = table.ids(this.keyType).of;
    const tbCount = totals.count;
    const hits: number[] = [];
    // With counters, a traceback whose blocks were all freed belongs to its row too.
    const has = totals.counters === undefined ? (t: number) => tbCount[t] > 0 : (t: number) => tracebackPresent(totals, t);
    if (this.keyType === 'traceback') {
      for (let t = 0; t < tbCount.length; t++) if (has(t) && keyOf[t] === k) hits.push(t);
    } else if (!this.cumulative) {
      const recent = table.mostRecentFrames();
      for (let t = 0; t < tbCount.length; t++) if (has(t) && keyOf[recent[t]] === k) hits.push(t);
    } else {
      const { starts, flat } = table.frameColumns();
      for (let t = 0; t < tbCount.length; t++) {
        if (!has(t)) continue;
        for (let j = starts[t]; j < starts[t + 1]; j++) {
          if (keyOf[flat[j]] === k) {
            hits.push(t);
            break;
          }
        }
      }
    }
    const tbSize = totals.size;
    const index = Int32Array.from(hits).sort((a, b) => tbSize[b] - tbSize[a] || tbCount[b] - tbCount[a] || a - b);
    return { index, size: Float64Array.from(index, (t) => tbSize[t]), count: Float64Array.from(index, (t) => tbCount[t]) };
  }

  #source(i: number): GroupSource {
    return this.#sources[this.#old === undefined ? 0 : this.#old[i]];
  }
}

/** Counters per row of a StatisticTable (see Counters). */
export interface CounterRows {
  readonly allocCount: Float64Array;
  readonly allocSize: Float64Array;
  readonly freeCount: Float64Array;
  readonly freeSize: Float64Array;
}

type CountersByKey = NonNullable<GroupColumns['countersByKey']>;

function counterRow(rows: CounterRows, i: number): Counters {
  return { allocCount: rows.allocCount[i], allocSize: rows.allocSize[i], freeCount: rows.freeCount[i], freeSize: rows.freeSize[i] };
}

function emptyCounterRows(n: number): { allocCount: Float64Array; allocSize: Float64Array; freeCount: Float64Array; freeSize: Float64Array } {
  return { allocCount: new Float64Array(n), allocSize: new Float64Array(n), freeCount: new Float64Array(n), freeSize: new Float64Array(n) };
}

/** The counters of the rows' keys. */
function gatherCounters(key: Int32Array, byKey: CountersByKey): CounterRows {
  const out = emptyCounterRows(key.length);
  for (let i = 0; i < key.length; i++) {
    const k = key[i];
    out.allocCount[i] = byKey.allocCount[k];
    out.allocSize[i] = byKey.allocSize[k];
    out.freeCount[i] = byKey.freeCount[k];
    out.freeSize[i] = byKey.freeSize[k];
  }
  return out;
}

/**
 * A diff's counters (the new snapshot's) and their differences from the old
 * one's, per sorted row: a row of the current table against the old group its
 * key maps to (none: 0), a row only in the old snapshot against nothing.
 */
function diffCounters(
  key: Int32Array,
  isOld: Uint8Array,
  map: Int32Array,
  oldIds: Int32Array,
  presentByKey: Float64Array,
  now: CountersByKey,
  before: CountersByKey,
): { counters: CounterRows; countersDiff: CounterRows } {
  const names = ['allocCount', 'allocSize', 'freeCount', 'freeSize'] as const;
  // The old counters by current key id, for the old groups whose key has a group now.
  const oldByKey = emptyCounterRows(presentByKey.length);
  for (let j = 0; j < oldIds.length; j++) {
    const b = oldIds[j];
    const k = map[b];
    if (k < 0 || presentByKey[k] === 0) continue;
    for (const c of names) oldByKey[c][k] = before[c][b];
  }
  const counters = emptyCounterRows(key.length);
  const countersDiff = emptyCounterRows(key.length);
  for (let i = 0; i < key.length; i++) {
    const k = key[i];
    for (const c of names) {
      if (isOld[i] === 1) {
        countersDiff[c][i] = -before[c][k];
      } else {
        counters[c][i] = now[c][k];
        countersDiff[c][i] = now[c][k] - oldByKey[c][k];
      }
    }
  }
  return { counters, countersDiff };
}

// The working columns of compare(), by scratch slot (see prepareCompare).
const FLOAT_SLOTS = 9;
const INT_SLOTS = 3;
const BYTE_SLOTS = 1;

/** compare()'s rows before sorting, one entry per row. */
interface Rows {
  key: Int32Array;
  isOld: Uint8Array;
  size: Float64Array;
  count: Float64Array;
  sizeDiff: Float64Array;
  countDiff: Float64Array;
  absSize: Float64Array;
  absCount: Float64Array;
  tie: Float64Array;
}

// The loops of compare(), each a function of typed arrays only: small and
// monomorphic, they are optimized quickly (and warmKernels optimizes them
// before a first diff), where one large function of all of them ran in the
// interpreter for most of a first diff while it was being compiled (50-100 ms
// of 55,000 rows in Chromium; the compile alone took 50-95 ms).

/**
 * Old bytes and blocks by the key id they have in the current table (into
 * oldSize, oldCount) for the old groups whose key has traces now; returns how
 * many old groups have not (rows only in the old snapshot).
 */
function oldByCurrentKey(map: Int32Array, id: Int32Array, size: Float64Array, count: Float64Array, countByKey: Float64Array, oldSize: Float64Array, oldCount: Float64Array): number {
  let onlyOld = 0;
  for (let j = 0; j < id.length; j++) {
    const k = map[id[j]];
    if (k >= 0 && countByKey[k] > 0) {
      oldSize[k] = size[j];
      oldCount[k] = count[j];
    } else onlyOld++;
  }
  return onlyOld;
}

/** A row per current group (key ids `ids`), from row 0; returns the number of rows. */
function currentRows(
  ids: Int32Array,
  sizeByKey: Float64Array,
  countByKey: Float64Array,
  oldSize: Float64Array,
  oldCount: Float64Array,
  key: Int32Array,
  size: Float64Array,
  count: Float64Array,
  sizeDiff: Float64Array,
  countDiff: Float64Array,
): number {
  for (let r = 0; r < ids.length; r++) {
    const k = ids[r];
    const s = sizeByKey[k];
    const c = countByKey[k];
    key[r] = k;
    size[r] = s;
    count[r] = c;
    sizeDiff[r] = s - oldSize[k];
    countDiff[r] = c - oldCount[k];
  }
  return ids.length;
}

/** A row (size and count 0) per old group whose key has no traces now, from row `r`. */
function oldOnlyRows(
  ids: Int32Array,
  map: Int32Array,
  countByKey: Float64Array,
  oldSizeByKey: Float64Array,
  oldCountByKey: Float64Array,
  r: number,
  key: Int32Array,
  isOld: Uint8Array,
  sizeDiff: Float64Array,
  countDiff: Float64Array,
): void {
  for (let j = 0; j < ids.length; j++) {
    const b = ids[j];
    const k = map[b];
    if (k >= 0 && countByKey[k] > 0) continue;
    key[r] = b;
    isOld[r] = 1;
    sizeDiff[r] = -oldSizeByKey[b];
    countDiff[r++] = -oldCountByKey[b];
  }
}

function absolute(values: Float64Array, out: Float64Array): void {
  for (let i = 0; i < values.length; i++) out[i] = Math.abs(values[i]);
}

function gatherRanks(key: Int32Array, ranks: Int32Array, out: Float64Array): void {
  for (let i = 0; i < key.length; i++) out[i] = ranks[key[i]];
}

function tieRanks(key: Int32Array, isOld: Uint8Array, ranks: Int32Array, oldRanks: Int32Array, out: Float64Array): void {
  for (let i = 0; i < key.length; i++) out[i] = isOld[i] === 1 ? oldRanks[key[i]] : ranks[key[i]];
}

/**
 * Orders `order` (rows) by `keys`, largest first, each later key breaking the
 * ties of the ones before: a radix sort per key, the last first (55,000 rows by
 * a comparator took 20-35 ms). Keys a radix sort cannot order (negative, -0,
 * NaN: not a size or count) go through `compare`, the same order.
 */
function sortRows(order: Int32Array, keys: readonly Float64Array[], compare: (a: number, b: number) => number): void {
  if (!radixSortDescendingBy(order, keys, scratchInt32(2, order.length))) order.sort(compare);
}

let kernelsWarm = false;

/**
 * Runs compare()'s loops and the radix sort on made-up rows, once: a compare()
 * is often the first (and only) call, and its loops, still unoptimized, took
 * 2-3 times longer.
 */
function warmKernels(): void {
  if (kernelsWarm) return;
  kernelsWarm = true;
  const n = 20_000;
  const ids = new Int32Array(n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const c = new Float64Array(n);
  const d = new Float64Array(n);
  const flags = new Uint8Array(n);
  const order = new Int32Array(n);
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < n; i++) {
      ids[i] = (i * 7919) % n;
      a[i] = round % 2 === 0 ? (i * 7919) % 65_521 : ((i * 7919) % 65_521) / 3;
      b[i] = i % 7;
      order[i] = i;
    }
    oldByCurrentKey(ids, ids, a, b, b, c, d);
    const r = currentRows(ids, a, b, c, d, order, a, b, c, d);
    oldOnlyRows(ids, ids, b, a, b, r - n, order, flags, c, d);
    absolute(c, d);
    gatherRanks(ids, ids, c);
    tieRanks(ids, flags, ids, ids, c);
    for (let i = 0; i < n; i++) {
      order[i] = i;
      a[i] = Math.abs(a[i]);
      b[i] = Math.abs(b[i]);
      c[i] = Math.abs(c[i]);
    }
    radixSortDescendingBy(order, [a, b, c], scratchInt32(2, n));
    permuteInt32(ids, order, new Int32Array(n));
    permuteUint8(flags, order, new Uint8Array(n));
    permuteFloat64(a, order, d);
  }
}

/** 0, 1, … n - 1 (in a scratch array: only the permuted columns are kept). */
function identity(n: number): Int32Array {
  const order = scratchInt32(1, n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

// One function per element type, so that each stays monomorphic.
function permuteFloat64(column: Float64Array, order: Int32Array, out: Float64Array): Float64Array {
  for (let i = 0; i < order.length; i++) out[i] = column[order[i]];
  return out;
}

function permuteInt32(column: Int32Array, order: Int32Array, out: Int32Array): Int32Array {
  for (let i = 0; i < order.length; i++) out[i] = column[order[i]];
  return out;
}

function permuteUint8(column: Uint8Array, order: Int32Array, out: Uint8Array): Uint8Array {
  for (let i = 0; i < order.length; i++) out[i] = column[order[i]];
  return out;
}
