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
 * Key ids are interned with numbers and short strings (measured: building a
 * string key per frame and per traceback cost 30 ms and 150 ms on 20,000 frames
 * and 50,000 tracebacks); the key strings that identify a key across snapshots
 * (Frame.key, Traceback.key) are only built for the keys that compareTo needs.
 */

import { Frame, UNKNOWN_FRAME } from './frame.js';
import type { KeyType } from './group-by.js';
import type { FrameData, SnapshotData, TracebackData } from './snapshot-data.js';
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
    const cache = (this.#keyTracebacks[keyType] ??= []);
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
      if (f.lineno > 0) {
        intern.add(i, file.lines, f.lineno);
      } else {
        const site = `${f.offset ?? ''}|${f.function === undefined ? '-' : `+${f.function}`}`;
        intern.add(i, (file.sites ??= new Map()), site);
      }
    }
    return intern.done();
  }

  #fileIds(): KeyIds {
    const n = this.frameData.length;
    const ids = new Map<string, number>();
    const intern = new Interner(n + 1);
    for (let i = 0; i <= n; i++) intern.add(i, ids, i < n ? this.frameData[i].filename : UNKNOWN_FRAME.filename);
    return intern.done();
  }

  // Tracebacks equal frame by frame: the line key ids, two UTF-16 units each.
  #tracebackIds(): KeyIds {
    const line = this.ids('lineno').of;
    const ids = new Map<string, number>();
    const intern = new Interner(this.tracebackData.length);
    for (let t = 0; t < this.tracebackData.length; t++) {
      let key = '';
      for (const f of this.framesOf(t)) {
        const id = line[f];
        key += String.fromCharCode(id & 0xffff, id >>> 16);
      }
      intern.add(t, ids, key);
    }
    return intern.done();
  }
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
