/**
 * A traceback: CPython's `tracemalloc.Traceback`. Frames run oldest -> most
 * recent; it is never empty (the fallback is `<unknown>:0`); `totalNframe` is the
 * depth of the stack before it was truncated to the traceback limit.
 */

import { Frame, UNKNOWN_FRAME } from './frame.js';

/** Returns the source text of a line, or undefined when it is not known. */
export type GetLine = (filename: string, lineno: number) => string | undefined;

export class Traceback implements Iterable<Frame> {
  readonly frames: readonly Frame[];
  readonly totalNframe: number;
  #key: string | undefined;

  constructor(frames: readonly Frame[], totalNframe?: number) {
    this.frames = frames.length > 0 ? frames : [UNKNOWN_FRAME];
    this.totalNframe = totalNframe ?? this.frames.length;
  }

  get length(): number {
    return this.frames.length;
  }

  [Symbol.iterator](): Iterator<Frame> {
    return this.frames[Symbol.iterator]();
  }

  /** The frame where the block was allocated. */
  get mostRecent(): Frame {
    return this.frames[this.frames.length - 1];
  }

  /** Grouping identity: the frame keys oldest -> most recent (totalNframe is not part of it, as in Python). */
  get key(): string {
    return (this.#key ??= this.frames.map((f) => f.key).join(''));
  }

  equals(other: Traceback): boolean {
    return this.key === other.key;
  }

  /**
   * The most recent frame, where the block was allocated. (CPython 3.7+ prints
   * `self[0]`, which became the *oldest* frame when the frame order was reversed;
   * for a Wasm program that is `_start` for every trace, so we print the site.)
   */
  toString(): string {
    return this.mostRecent.toString();
  }

  /**
   * Python's tuple order on the frames, oldest first; a prefix sorts first.
   */
  static compare(a: Traceback, b: Traceback): number {
    if (a === b) return 0;
    const fa = a.frames;
    const fb = b.frames;
    const n = Math.min(fa.length, fb.length);
    for (let i = 0; i < n; i++) {
      const c = Frame.compare(fa[i], fb[i]);
      if (c !== 0) return c;
    }
    return fa.length - fb.length;
  }

  /**
   * The lines of `Traceback.format` in CPython: per frame `  File "f", line N`, then
   * `    source` (stripped) when `getLine` knows the line; without `getLine`, the
   * line's text the frame carries from symbolization, if any. `limit` > 0 keeps the
   * `limit` most recent frames; `limit` <= 0 drops the `-limit` most recent frames
   * (Python's `self[:limit]`; its documentation says "the abs(limit) oldest
   * frames", which is the same for tracebacks of up to 2·|limit| frames only).
   * `mostRecentFirst` reverses the order.
   *
   * A Wasm frame without line information has no line to show; it is printed in
   * the style of Python's traceback module, offset in the module and function:
   * `  File "leak.wasm", offset 0x1a2, in make_nodes`.
   */
  format(limit: number | null = null, mostRecentFirst = false, getLine?: GetLine): string[] {
    let frames = this.frames.slice();
    if (limit !== null && limit !== undefined) {
      if (!Number.isInteger(limit)) throw new TypeError(`limit must be an integer or null, got ${String(limit)}`);
      frames = limit > 0 ? frames.slice(-limit) : frames.slice(0, limit);
    }
    if (mostRecentFirst) frames.reverse();
    const lines: string[] = [];
    for (const frame of frames) {
      if (frame.isOffsetFrame) {
        const fn = frame.function === undefined ? '' : `, in ${frame.function}`;
        lines.push(`  File "${frame.filename}", offset 0x${frame.offset!.toString(16)}${fn}`);
        continue;
      }
      lines.push(`  File "${frame.filename}", line ${frame.lineno}`);
      // linecache.getline returns '' for line numbers below 1
      const source = frame.lineno >= 1 ? (getLine ? getLine(frame.filename, frame.lineno) : frame.source)?.trim() : undefined;
      if (source) lines.push(`    ${source}`);
    }
    return lines;
  }
}
