/**
 * The frames and tracebacks of a SnapshotData, with everything derived from them
 * computed once: Frame and Traceback objects, and the grouping key of every frame
 * and every traceback as a small integer (a key id).
 *
 * A snapshot's traces point at tracebacks by index, and a snapshot made by
 * filterTraces shares its parent's frames and tracebacks arrays, so the table is
 * cached per tracebacks array: filtering and then grouping reuses all of it.
 * Frame index `frameCount` stands for `<unknown>:0`, the frame of an empty traceback.
 *
 * Line and file key ids are interned with numbers and short strings; traceback
 * key ids with a hash table over the tuple of their frames' line key ids (no
 * string per traceback: 50,000 of them took 50-150 ms and most of the garbage).
 * Keys are matched across snapshots by the same means (keyMapFrom): a line key
 * by its file and line, a traceback key by its tuple of line keys mapped over.
 * Python's order on keys (Traceback.compare) is computed on key ids too
 * (compareKeys): frames by a rank per line key, tracebacks lexicographically by
 * those ranks. No Frame or Traceback object is built until one is asked for.
 */

import { Frame, UNKNOWN_FRAME } from './frame.js';
import type { KeyType } from './group-by.js';
import type { FrameData, SnapshotData, TracebackData } from './snapshot-data.js';
import { compareCodePoints } from './frame.js';
import { Traceback } from './traceback.js';

/** One kind of key interned as integers. */
export interface KeyIds {
  /** Number of distinct keys. */
  readonly count: number;
  /** Frame index (or traceback index, for tracebacks) -> key id. */
  readonly of: Int32Array;
  /** Key id -> the first frame (or traceback) index with that key. */
  readonly first: Int32Array;
}

const tables = new WeakMap<readonly TracebackData[], TracebackTable>();

export class TracebackTable {
  readonly frameData: readonly FrameData[];
  readonly tracebackData: readonly TracebackData[];
  readonly #frames: Array<Frame | undefined>;
  readonly #tracebacks: Array<Traceback | undefined>;
  #mostRecent: Int32Array | undefined;
  readonly #ids: Partial<Record<KeyType, KeyIds>> = {};
  readonly #keyTracebacks: Partial<Record<KeyType, Array<Traceback | undefined>>> = {};
  readonly #keyTexts: Partial<Record<KeyType, Array<string | undefined>>> = {};
  readonly #ranks: Partial<Record<'lineno' | 'filename', Int32Array>> = {};
  readonly #keyMaps: Partial<Record<KeyType, WeakMap<TracebackTable, Int32Array>>> = {};
  #starts: Int32Array | undefined;
  #tbRank: Int32Array | undefined;
  readonly #textTables: Partial<Record<KeyType, { text: string; ends: Uint32Array; entryOf: Int32Array }>> = {};
  #flat: Int32Array | undefined;
  /** Line key ids by filename, then by lineno (or by site, for lineno 0). */
  #lineMaps: Map<string, { lines: Map<number, number>; sites?: Map<string, number> }> | undefined;
  #fileMap: Map<string, number> | undefined;
  /** Open-addressing table of traceback key ids + 1, by the hash of their line key tuple. */
  #tracebackSlots: Int32Array | undefined;

  private constructor(data: Pick<SnapshotData, 'frames' | 'tracebacks'>) {
    this.frameData = data.frames;
    this.tracebackData = data.tracebacks;
    this.#frames = new Array<Frame | undefined>(data.frames.length);
    this.#tracebacks = new Array<Traceback | undefined>(data.tracebacks.length);
  }

  /** The table already built for these frames and tracebacks, if any. */
  static cached(data: Pick<SnapshotData, 'frames' | 'tracebacks'>): TracebackTable | undefined {
    const table = tables.get(data.tracebacks);
    return table !== undefined && table.frameData === data.frames ? table : undefined;
  }

  /** The table of these frames and tracebacks, built on first use. They must be valid. */
  static of(data: Pick<SnapshotData, 'frames' | 'tracebacks'>): TracebackTable {
    let table = TracebackTable.cached(data);
    if (table === undefined) {
      table = new TracebackTable(data);
      tables.set(data.tracebacks, table);
    }
    return table;
  }

  get frameCount(): number {
    return this.frameData.length;
  }

  get tracebackCount(): number {
    return this.tracebackData.length;
  }

  frame(index: number): Frame {
    if (index === this.frameData.length) return UNKNOWN_FRAME;
    return (this.#frames[index] ??= Frame.from(this.frameData[index]));
  }

  traceback(index: number): Traceback {
    let tb = this.#tracebacks[index];
    if (tb === undefined) {
      const data = this.tracebackData[index];
      tb = new Traceback(
        data.frames.map((f) => this.frame(f)),
        data.totalNframe,
      );
      this.#tracebacks[index] = tb;
    }
    return tb;
  }

  /** Frame indices of a traceback, oldest -> most recent; never empty. */
  framesOf(index: number): readonly number[] {
    const frames = this.tracebackData[index].frames;
    return frames.length > 0 ? frames : [this.frameData.length];
  }

  /**
   * Every traceback's frame indices as two columns (an empty traceback reads as
   * the frame `frameCount`, `<unknown>:0`): traceback t has frames
   * flat[starts[t]] .. flat[starts[t + 1] - 1], oldest -> most recent.
   */
  frameColumns(): { starts: Int32Array; flat: Int32Array } {
    if (this.#starts === undefined || this.#flat === undefined) {
      const tbs = this.tracebackData;
      const starts = new Int32Array(tbs.length + 1);
      let n = 0;
      for (let t = 0; t < tbs.length; t++) {
        n += tbs[t].frames.length || 1;
        starts[t + 1] = n;
      }
      const flat = new Int32Array(n);
      const unknown = this.frameData.length;
      for (let t = 0, k = 0; t < tbs.length; t++) {
        const frames = tbs[t].frames;
        if (frames.length === 0) flat[k++] = unknown;
        else for (let i = 0; i < frames.length; i++) flat[k++] = frames[i];
      }
      this.#starts = starts;
      this.#flat = flat;
    }
    return { starts: this.#starts, flat: this.#flat };
  }

  /** Traceback index -> index of its most recent frame. */
  mostRecentFrames(): Int32Array {
    if (this.#mostRecent === undefined) {
      const out = new Int32Array(this.tracebackData.length);
      const unknown = this.frameData.length;
      for (let t = 0; t < out.length; t++) {
        const frames = this.tracebackData[t].frames;
        out[t] = frames.length > 0 ? frames[frames.length - 1] : unknown;
      }
      this.#mostRecent = out;
    }
    return this.#mostRecent;
  }

  /**
   * Key ids of `keyType`: per frame for 'lineno' (equal Frame.key) and 'filename'
   * (equal filename), per traceback for 'traceback' (equal frames).
   */
  ids(keyType: KeyType): KeyIds {
    return (this.#ids[keyType] ??= keyType === 'lineno' ? this.#lineIds() : keyType === 'filename' ? this.#fileIds() : this.#tracebackIds());
  }

  /**
   * The Traceback a Statistic of this key shows: the frame for 'lineno',
   * `filename:0` for 'filename', the first such traceback (with its totalNframe)
   * for 'traceback'.
   */
  keyTraceback(keyType: KeyType, id: number): Traceback {
    const cache = (this.#keyTracebacks[keyType] ??= new Array<Traceback | undefined>(this.ids(keyType).count).fill(undefined));
    let tb = cache[id];
    if (tb === undefined) {
      const first = this.ids(keyType).first[id];
      if (keyType === 'traceback') tb = this.traceback(first);
      else if (keyType === 'lineno') tb = new Traceback([this.frame(first)], 1);
      else tb = new Traceback([new Frame(this.frame(first).filename, 0)], 1);
      cache[id] = tb;
    }
    return tb;
  }

  /** The identity of a key across snapshots: Frame.key, the filename, or Traceback.key. */
  keyString(keyType: KeyType, id: number): string {
    const tb = this.keyTraceback(keyType, id);
    return keyType === 'filename' ? tb.frames[0].filename : tb.key;
  }

  /**
   * What a Statistic of this key prints (`String(keyTraceback(keyType, id))`),
   * without building the Traceback: the frame of the key (its most recent frame
   * for 'traceback'), or `filename:0`.
   */
  keyText(keyType: KeyType, id: number): string {
    // Filled (not sparse) so that it stays a fast array.
    const cache = (this.#keyTexts[keyType] ??= new Array<string | undefined>(this.ids(keyType).count).fill(undefined));
    let text = cache[id];
    if (text === undefined) {
      const first = this.ids(keyType).first[id];
      const f = keyType === 'traceback' ? this.mostRecentFrames()[first] : first;
      const data: FrameData = f < this.frameData.length ? this.frameData[f] : UNKNOWN_FRAME;
      if (keyType === 'filename') text = `${data.filename}:0`;
      else if (data.lineno > 0 || data.offset === undefined) text = `${data.filename}:${data.lineno}`;
      else text = `${data.filename}:${data.function ?? '<unknown>'}+0x${data.offset.toString(16)}`;
      cache[id] = text;
    }
    return text;
  }

  /**
   * The keyText of every key as one table of texts: `text` holds the entries
   * back to back, entry e ending at ends[e]; key id k reads entry entryOf[k].
   * For 'traceback' the entries are the line keys' texts (a traceback key prints
   * its most recent frame), so 50,000 traceback keys share a few thousand
   * entries. Built once per table and key type.
   */
  keyTextTable(keyType: KeyType): { text: string; ends: Uint32Array; entryOf: Int32Array } {
    let table = this.#textTables[keyType];
    if (table === undefined) {
      const entryType = keyType === 'filename' ? 'filename' : 'lineno';
      const count = this.ids(entryType).count;
      const texts = new Array<string>(count);
      for (let k = 0; k < count; k++) texts[k] = this.keyText(entryType, k);
      const ends = new Uint32Array(count);
      let at = 0;
      for (let k = 0; k < count; k++) ends[k] = at += texts[k].length;
      let entryOf: Int32Array;
      if (keyType === 'traceback') {
        const { count: keys, first } = this.ids('traceback');
        const line = this.ids('lineno').of;
        const recent = this.mostRecentFrames();
        entryOf = new Int32Array(keys);
        for (let k = 0; k < keys; k++) entryOf[k] = line[recent[first[k]]];
      } else {
        entryOf = new Int32Array(count);
        for (let k = 0; k < count; k++) entryOf[k] = k;
      }
      table = this.#textTables[keyType] = { text: texts.join(''), ends, entryOf };
    }
    return table;
  }

  /**
   * Python's order on the Tracebacks of two keys of this table, as
   * Traceback.compare(keyTraceback(keyType, a), keyTraceback(keyType, b)) orders
   * them, computed on key ids: negative, 0 (the same key) or positive.
   */
  compareKeys(keyType: KeyType, a: number, b: number): number {
    return this.keyComparator(keyType)(a, b);
  }

  /**
   * Key id -> position of the key in Python's order of the keys' Tracebacks
   * (Traceback.compare): comparing two ranks is comparing the two Tracebacks.
   */
  keyRanks(keyType: KeyType): Int32Array {
    return keyType === 'traceback' ? this.#tracebackRank() : this.#rank(keyType);
  }

  /** compareKeys for one key type, as a function that allocates nothing per call. */
  keyComparator(keyType: KeyType): (a: number, b: number) => number {
    if (keyType === 'filename') {
      const rank = this.#rank('filename');
      return (a, b) => rank[a] - rank[b];
    }
    const lineRank = this.#rank('lineno');
    if (keyType === 'lineno') return (a, b) => lineRank[a] - lineRank[b];
    const rank = this.#tracebackRank();
    return (a, b) => rank[a] - rank[b];
  }

  /**
   * Traceback key id -> position in Python's order of the keys' Tracebacks:
   * lexicographic on the frames' line ranks. Sorted once per table, so that
   * ordering statistics and diffs compares two integers per tie.
   */
  #tracebackRank(): Int32Array {
    if (this.#tbRank === undefined) {
      const lineRank = this.#rank('lineno');
      const { count, first } = this.ids('traceback');
      const line = this.ids('lineno').of;
      const { starts, flat } = this.frameColumns();
      const byOrder = new Int32Array(count);
      for (let k = 0; k < count; k++) byOrder[k] = k;
      byOrder.sort((a, b) => {
        const ta = first[a];
        const tb = first[b];
        let i = starts[ta];
        const iEnd = starts[ta + 1];
        let j = starts[tb];
        const jEnd = starts[tb + 1];
        for (; i < iEnd && j < jEnd; i++, j++) {
          const c = lineRank[line[flat[i]]] - lineRank[line[flat[j]]];
          if (c !== 0) return c;
        }
        return iEnd - i - (jEnd - j);
      });
      const rank = new Int32Array(count);
      for (let r = 0; r < count; r++) rank[byOrder[r]] = r;
      this.#tbRank = rank;
    }
    return this.#tbRank;
  }

  /**
   * For each key id of `other`'s `keyType`, the id of the same key in this table
   * (equal filename, Frame.key or Traceback.key), or -1 when this table has no
   * such key. Cached per table pair.
   */
  keyMapFrom(other: TracebackTable, keyType: KeyType): Int32Array {
    const maps = (this.#keyMaps[keyType] ??= new WeakMap());
    let map = maps.get(other);
    if (map === undefined) {
      const theirs = other.ids(keyType);
      map = new Int32Array(theirs.count);
      if (other === this) {
        for (let k = 0; k < map.length; k++) map[k] = k;
      } else if (keyType === 'filename') {
        this.ids('filename');
        const files = this.#fileMap!;
        for (let k = 0; k < map.length; k++) map[k] = files.get(other.#frameAt(theirs.first[k]).filename) ?? -1;
      } else if (keyType === 'lineno') {
        this.ids('lineno');
        for (let k = 0; k < map.length; k++) map[k] = this.#lineKeyOf(other.#frameAt(theirs.first[k]));
      } else {
        const lines = this.keyMapFrom(other, 'lineno');
        const theirLine = other.ids('lineno').of;
        const { starts, flat } = other.frameColumns();
        const mine = this.#tracebackLookup();
        let seq = new Int32Array(16);
        for (let k = 0; k < map.length; k++) {
          const t = theirs.first[k];
          const n = starts[t + 1] - starts[t];
          if (n > seq.length) seq = new Int32Array(2 * n);
          let found = true;
          for (let i = 0; i < n && found; i++) {
            const id = lines[theirLine[flat[starts[t] + i]]];
            if (id < 0) found = false;
            else seq[i] = id;
          }
          map[k] = found ? mine(seq, n) : -1;
        }
      }
      maps.set(other, map);
    }
    return map;
  }

  #frameAt(f: number): FrameData {
    return f < this.frameData.length ? this.frameData[f] : UNKNOWN_FRAME;
  }

  /** The line key id of a frame equal (Frame.key) to `f`, or -1. */
  #lineKeyOf(f: FrameData): number {
    const file = this.#lineMaps!.get(f.filename);
    if (file === undefined) return -1;
    return (f.lineno > 0 ? file.lines.get(f.lineno) : file.sites?.get(siteKey(f))) ?? -1;
  }

  /** Key id -> position in Python's order of the keys' Tracebacks. */
  #rank(keyType: 'lineno' | 'filename'): Int32Array {
    let rank = this.#ranks[keyType];
    if (rank === undefined) {
      const { count, first } = this.ids(keyType);
      const byOrder = Int32Array.from({ length: count }, (_, k) => k);
      const frameOf = (k: number): FrameData => this.#frameAt(first[k]);
      if (keyType === 'filename') byOrder.sort((a, b) => compareCodePoints(frameOf(a).filename, frameOf(b).filename));
      else byOrder.sort((a, b) => Frame.compare(frameOf(a) as Frame, frameOf(b) as Frame));
      rank = new Int32Array(count);
      for (let r = 0; r < count; r++) rank[byOrder[r]] = r;
      this.#ranks[keyType] = rank;
    }
    return rank;
  }

  // Frames equal by Frame.key: filename + lineno, or filename + offset + function
  // when lineno is 0. Filenames are interned first; lines are numbers under them.
  #lineIds(): KeyIds {
    const n = this.frameData.length;
    const files = new Map<string, { lines: Map<number, number>; sites?: Map<string, number> }>();
    const intern = new Interner(n + 1);
    for (let i = 0; i <= n; i++) {
      const f: FrameData = i < n ? this.frameData[i] : UNKNOWN_FRAME;
      let file = files.get(f.filename);
      if (file === undefined) files.set(f.filename, (file = { lines: new Map() }));
      if (f.lineno > 0) intern.add(i, file.lines, f.lineno);
      else intern.add(i, (file.sites ??= new Map()), siteKey(f));
    }
    this.#lineMaps = files;
    return intern.done();
  }

  #fileIds(): KeyIds {
    const n = this.frameData.length;
    const ids = new Map<string, number>();
    const intern = new Interner(n + 1);
    for (let i = 0; i <= n; i++) intern.add(i, ids, i < n ? this.frameData[i].filename : UNKNOWN_FRAME.filename);
    this.#fileMap = ids;
    return intern.done();
  }

  // Tracebacks equal frame by frame: equal tuples of line key ids, interned in an
  // open-addressing table of key ids (in order of first appearance).
  #tracebackIds(): KeyIds {
    const line = this.ids('lineno').of;
    const { starts, flat } = this.frameColumns();
    const count = this.tracebackData.length;
    const slots = new Int32Array(tableSize(count));
    const mask = slots.length - 1;
    const of = new Int32Array(count);
    const first: number[] = [];
    for (let t = 0; t < count; t++) {
      const from = starts[t];
      const to = starts[t + 1];
      let h = hashStart(to - from);
      for (let i = from; i < to; i++) h = hashStep(h, line[flat[i]]);
      let slot = hashEnd(h) & mask;
      let id = -1;
      for (;;) {
        const k = slots[slot] - 1;
        if (k < 0) break;
        const u = first[k];
        if (starts[u + 1] - starts[u] === to - from) {
          let same = true;
          for (let i = from, j = starts[u]; i < to; i++, j++) {
            if (line[flat[i]] !== line[flat[j]]) {
              same = false;
              break;
            }
          }
          if (same) {
            id = k;
            break;
          }
        }
        slot = (slot + 1) & mask;
      }
      if (id < 0) {
        id = first.length;
        first.push(t);
        slots[slot] = id + 1;
      }
      of[t] = id;
    }
    this.#tracebackSlots = slots;
    return { count: first.length, of, first: Int32Array.from(first) };
  }

  /** A function from a line key tuple (`seq[0..n)`) to its traceback key id, or -1. */
  #tracebackLookup(): (seq: Int32Array, n: number) => number {
    const { first } = this.ids('traceback');
    const slots = this.#tracebackSlots!;
    const mask = slots.length - 1;
    const line = this.ids('lineno').of;
    const { starts, flat } = this.frameColumns();
    return (seq, n) => {
      let h = hashStart(n);
      for (let i = 0; i < n; i++) h = hashStep(h, seq[i]);
      for (let slot = hashEnd(h) & mask; ; slot = (slot + 1) & mask) {
        const k = slots[slot] - 1;
        if (k < 0) return -1;
        const u = first[k];
        if (starts[u + 1] - starts[u] !== n) continue;
        let same = true;
        for (let i = 0, j = starts[u]; i < n; i++, j++) {
          if (seq[i] !== line[flat[j]]) {
            same = false;
            break;
          }
        }
        if (same) return k;
      }
    };
  }
}

/** The identity of a line-less frame within its file: offset and function. */
function siteKey(f: FrameData): string {
  return `${f.offset ?? ''}|${f.function === undefined ? '-' : `+${f.function}`}`;
}

/** A power of two at least twice `n` (load <= 1/2). */
function tableSize(n: number): number {
  let size = 16;
  while (size < 2 * n) size *= 2;
  return size;
}

function hashStart(length: number): number {
  return Math.imul(length + 1, 0x9e3779b1);
}

function hashStep(h: number, x: number): number {
  return Math.imul(h ^ x, 0x01000193) + 0x7f4a7c15;
}

function hashEnd(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** Assigns key ids in order of first appearance. */
class Interner {
  readonly #of: Int32Array;
  readonly #first: number[] = [];

  constructor(size: number) {
    this.#of = new Int32Array(size);
  }

  add<K>(index: number, ids: Map<K, number>, key: K): void {
    let id = ids.get(key);
    if (id === undefined) {
      id = this.#first.length;
      ids.set(key, id);
      this.#first.push(index);
    }
    this.#of[index] = id;
  }

  done(): KeyIds {
    return { count: this.#first.length, of: this.#of, first: Int32Array.from(this.#first) };
  }
}
