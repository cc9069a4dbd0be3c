/**
 * One frame of a traceback: CPython's `tracemalloc.Frame`, widened for Wasm.
 *
 * A frame with line information is `filename:lineno`, as in Python. A Wasm call
 * site without line information has lineno 0 and is named by its function and the
 * byte offset of the call in the module: `leak.wasm:make_nodes+0x1a2`. Identity
 * follows what is printed, so every such call site stays distinguishable while two
 * sites on the same source line merge, as they do in Python.
 */

import type { FrameData } from './snapshot-data.js';

export class Frame {
  readonly filename: string;
  readonly lineno: number;
  // `declare`: no class field is emitted, so an absent function/offset is no own
  // property at all and a Frame compares equal to the FrameData it came from.
  declare readonly function?: string;
  declare readonly offset?: number;
  /** The stripped text of the line, when symbolization had the source (not part of identity). */
  declare readonly source?: string;
  #key: string | undefined;

  constructor(filename: string, lineno: number, fn?: string, offset?: number, source?: string) {
    this.filename = filename;
    this.lineno = lineno;
    if (fn !== undefined) this.function = fn;
    if (offset !== undefined) this.offset = offset;
    if (source !== undefined) this.source = source;
  }

  static from(data: FrameData): Frame {
    return new Frame(data.filename, data.lineno, data.function, data.offset, data.source);
  }

  /** True when the frame is identified by function and offset rather than by line. */
  get isOffsetFrame(): boolean {
    return this.lineno <= 0 && this.offset !== undefined;
  }

  /** Grouping identity: equal keys means equal frames (see frameKey). */
  get key(): string {
    return (this.#key ??= frameKey(this));
  }

  equals(other: Frame): boolean {
    return this.key === other.key;
  }

  toString(): string {
    if (!this.isOffsetFrame) return `${this.filename}:${this.lineno}`;
    return `${this.filename}:${this.function ?? '<unknown>'}+0x${this.offset!.toString(16)}`;
  }

  /**
   * Python's tuple order on (filename, lineno), then function and offset for frames
   * without a line (a missing function or offset sorts first). Consistent with
   * `equals`: frames with the same key compare equal.
   */
  static compare(a: Frame, b: Frame): number {
    return compareCodePoints(a.filename, b.filename) || a.lineno - b.lineno || (a.lineno > 0 ? 0 : compareRest(a, b));
  }
}

function compareRest(a: Frame, b: Frame): number {
  if (a.function !== b.function) {
    if (a.function === undefined) return -1;
    if (b.function === undefined) return 1;
    return compareCodePoints(a.function, b.function);
  }
  if (a.offset === b.offset) return 0;
  if (a.offset === undefined) return -1;
  if (b.offset === undefined) return 1;
  return a.offset - b.offset;
}

/** The fallback frame of a traceback that has none, as in CPython. */
export const UNKNOWN_FRAME: Frame = new Frame('<unknown>', 0);

/**
 * The identity of a frame as a string. filename + lineno when lineno > 0, else
 * filename + offset + function. Each part is length-prefixed or a number ended by a
 * delimiter, so the key is unambiguous whatever the strings hold (":", ";", NUL),
 * and the keys of a traceback's frames can be concatenated into the traceback's key.
 */
export function frameKey(frame: Readonly<FrameData>): string {
  const file = `${frame.filename.length}:${frame.filename}${frame.lineno}`;
  if (frame.lineno > 0) return `${file};`;
  const fn = frame.function === undefined ? '' : `${frame.function.length}:${frame.function}`;
  return `${file},${frame.offset ?? ''},${fn};`;
}

/**
 * Compares strings by code point, as Python compares str; `<` compares UTF-16
 * code units, which orders U+10000.. (surrogate pairs) before U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x < 0xe000 ? x + 0x2000 : x - 0x800;
      y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    }
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}
