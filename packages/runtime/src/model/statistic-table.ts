/**
 * Snapshot.statistics and Snapshot.compareTo as columns: every row's bytes,
 * blocks (and differences) in typed arrays, already in tracemalloc's order, and
 * the row's key as a key id of a TracebackTable. A Statistic (with its Frame and
 * Traceback objects) is only built for a row that is asked for, so a viewer that
 * shows 40 of 50,000 rows builds 40.
 *
 * The order is Python's, computed without Tracebacks: (size, count) and then
 * the keys' Traceback order through TracebackTable.compareKeys, or for a diff
 * (|sizeDiff|, size, |countDiff|, count) and then the keys. Keys only in the old
 * snapshot of a diff belong to the old snapshot's table; a tie between keys of
 * different tables (rare: the sizes, counts and differences must all be equal)
 * compares the two Tracebacks themselves.
 */

import { checkKeyType, type GroupColumns, type KeyType, type TracebackTotals } from './group-by.js';
import { reserveScratch, scratchFloat64, scratchInt32, scratchUint8 } from './scratch.js';
import { Statistic, StatisticDiff } from './statistic.js';
import { Traceback } from './traceback.js';
import type { TracebackTable } from './traceback-table.js';
import { radixSortDescending } from './radix-sort.js';

/** A snapshot's traceback table, its bytes and blocks per traceback index, and its groups (cached). */
export interface GroupSource {
  readonly table: TracebackTable;
  readonly totals: TracebackTotals;
  groups(keyType: KeyType, cumulative: boolean): GroupColumns;
  /** The key ids of the non-empty groups in the order of statistics() (cached), if available. */
  sortedKeys?(keyType: KeyType, cumulative: boolean): Int32Array;
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
  readonly #key: Int32Array;
  /** For a diff: 1 where the row's key is only in the old snapshot. */
  readonly #old: Uint8Array | undefined;
  readonly #sources: readonly GroupSource[];

  private constructor(
    readonly keyType: KeyType,
    readonly cumulative: boolean,
    sources: readonly GroupSource[],
    rows: { key: Int32Array; size: Float64Array; count: Float64Array; sizeDiff?: Float64Array; countDiff?: Float64Array; old?: Uint8Array },
  ) {
    this.#sources = sources;
    this.#key = rows.key;
    this.#old = rows.old;
    this.length = rows.key.length;
    this.size = rows.size;
    this.count = rows.count;
    this.sizeDiff = rows.sizeDiff;
    this.countDiff = rows.countDiff;
  }

  /** Snapshot.statistics as columns. */
  static statistics(source: GroupSource, keyType: KeyType, cumulative: boolean): StatisticTable {
    checkKeyType(keyType, cumulative);
    const { id, size, count } = source.groups(keyType, cumulative);
    // Ties by the keys' rank in Python's order of their Tracebacks: typed-array
    // reads only, as a JS comparator is called ~n log n times.
    const ranks = source.table.keyRanks(keyType);
    const tie = scratchInt32(2, id.length);
    for (let i = 0; i < id.length; i++) tie[i] = ranks[id[i]];
    const order = identity(id.length).sort((a, b) => size[b] - size[a] || count[b] - count[a] || tie[b] - tie[a]);
    return new StatisticTable(keyType, cumulative, [source], { key: permute(id, order), size: permute(size, order), count: permute(count, order) });
  }

  /** Pages in the working memory of a compare() of `current` against `old` (idle time). */
  static prepareCompare(current: GroupSource, old: GroupSource, keyType: KeyType): void {
    const rows = current.table.ids(keyType).count + old.table.ids(keyType).count;
    reserveScratch(rows, 8, 4, 1);
    warmRadix();
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
    let onlyOld = 0;
    for (let j = 0; j < before.id.length; j++) {
      const k = map[before.id[j]];
      if (k >= 0 && now.countByKey[k] > 0) {
        oldSize[k] = before.size[j];
        oldCount[k] = before.count[j];
      } else onlyOld++;
    }
    const n = now.id.length + onlyOld;
    // Unsorted rows in scratch arrays; the sorted copies are the table's own.
    const key = scratchInt32(0, n);
    const isOld = scratchUint8(0, n);
    const size = scratchFloat64(2, n);
    const count = scratchFloat64(3, n);
    const sizeDiff = scratchFloat64(4, n);
    const countDiff = scratchFloat64(5, n);
    // Rows in each snapshot's statistics order when known: unchanged groups
    // (most, often) and groups only in the old snapshot are then already in
    // their final relative order, and the sort below (a merge sort that finds
    // runs) makes far fewer comparator calls.
    const nowKeys = current.sortedKeys?.(keyType, cumulative) ?? now.id;
    const oldKeys = old.sortedKeys?.(keyType, cumulative) ?? before.id;
    let r = 0;
    for (let j = 0; j < nowKeys.length; j++, r++) {
      const k = nowKeys[j];
      key[r] = k;
      size[r] = now.sizeByKey[k];
      count[r] = now.countByKey[k];
      sizeDiff[r] = now.sizeByKey[k] - oldSize[k];
      countDiff[r] = now.countByKey[k] - oldCount[k];
    }
    for (let j = 0; j < oldKeys.length; j++) {
      const b = oldKeys[j];
      const k = map[b];
      if (k >= 0 && now.countByKey[k] > 0) continue;
      key[r] = b;
      isOld[r] = 1;
      sizeDiff[r] = -before.sizeByKey[b];
      countDiff[r++] = -before.countByKey[b];
    }
    const absSize = scratchFloat64(6, n);
    const absCount = scratchFloat64(7, n);
    for (let i = 0; i < n; i++) {
      absSize[i] = Math.abs(sizeDiff[i]);
      absCount[i] = Math.abs(countDiff[i]);
    }
    const sources = [current, old];
    // Ties by the keys' ranks in their own table. A key of each table never gets
    // there in practice (a key only in the old snapshot has count 0, the others
    // count > 0), but if it did, the two Tracebacks are compared.
    const ranks = [current.table.keyRanks(keyType), old.table.keyRanks(keyType)];
    const tie = scratchInt32(2, n);
    for (let i = 0; i < n; i++) tie[i] = ranks[isOld[i]][key[i]];
    const keys = (a: number, b: number): number => {
      if (isOld[a] === isOld[b]) return tie[a] - tie[b];
      return Traceback.compare(sources[isOld[a]].table.keyTraceback(keyType, key[a]), sources[isOld[b]].table.keyTraceback(keyType, key[b]));
    };
    const compareRows = (a: number, b: number): number =>
      absSize[b] - absSize[a] || size[b] - size[a] || absCount[b] - absCount[a] || count[b] - count[a] || (isOld[a] === isOld[b] ? tie[b] - tie[a] : keys(b, a));
    // The rows by (|size diff|, size), largest first, with a radix sort on their
    // bits; only runs equal in both (few) go through the comparator. A comparator
    // sort of all rows (typed-array reads) took 20-35 ms for 55,000 rows, this 3-6.
    const order = identity(n);
    if (radixSortDescending(order, size, scratchInt32(3, n)) && radixSortDescending(order, absSize, scratchInt32(3, n))) {
      for (let i = 0; i < n; ) {
        let j = i + 1;
        while (j < n && absSize[order[j]] === absSize[order[i]] && size[order[j]] === size[order[i]]) j++;
        if (j - i > 1) order.subarray(i, j).sort(compareRows);
        i = j;
      }
    } else {
      order.sort(compareRows);
    }
    return new StatisticTable(keyType, cumulative, sources, {
      key: permute(key, order),
      old: permute(isOld, order),
      size: permute(size, order),
      count: permute(count, order),
      sizeDiff: permute(sizeDiff, order),
      countDiff: permute(countDiff, order),
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
    const ids = new Uint32Array(this.length);
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
    if (this.sizeDiff === undefined) return new Statistic(this.traceback(i), this.size[i], this.count[i]);
    return new StatisticDiff(this.traceback(i), this.size[i], this.sizeDiff[i], this.count[i], this.countDiff![i]);
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
    if (this.keyType === 'traceback') {
      for (let t = 0; t < tbCount.length; t++) if (tbCount[t] > 0 && keyOf[t] === k) hits.push(t);
    } else if (!this.cumulative) {
      const recent = table.mostRecentFrames();
      for (let t = 0; t < tbCount.length; t++) if (tbCount[t] > 0 && keyOf[recent[t]] === k) hits.push(t);
    } else {
      const { starts, flat } = table.frameColumns();
      for (let t = 0; t < tbCount.length; t++) {
        if (tbCount[t] === 0) continue;
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

let radixWarm = false;

/**
 * Runs radixSortDescending on made-up rows, once: a compare() is often the first
 * (and only) call, and its loops, still unoptimized, took 2-3 times longer.
 */
function warmRadix(): void {
  if (radixWarm) return;
  radixWarm = true;
  const n = 20_000;
  const key = new Float64Array(n);
  const order = new Int32Array(n);
  const temp = new Int32Array(n);
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < n; i++) {
      key[i] = round % 2 === 0 ? (i * 7919) % 65_521 : ((i * 7919) % 65_521) / 3;
      order[i] = i;
    }
    radixSortDescending(order, key, temp);
  }
}

/** 0, 1, … n - 1 (in a scratch array: only the permuted columns are kept). */
function identity(n: number): Int32Array {
  const order = scratchInt32(1, n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

function permute<T extends Int32Array | Float64Array | Uint8Array>(column: T, order: Int32Array): T {
  const out = new (column.constructor as new (n: number) => T)(order.length);
  for (let i = 0; i < order.length; i++) out[i] = column[order[i]];
  return out;
}
