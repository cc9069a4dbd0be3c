/** One traced memory block: CPython's `tracemalloc.Trace`. */

import { formatSize } from './format.js';
import type { Traceback } from './traceback.js';

export class Trace {
  constructor(
    /** Address space of the block: one per traced module (or memory). */
    readonly domain: number,
    /** Bytes. */
    readonly size: number,
    readonly traceback: Traceback,
  ) {}

  /** `leak.c:14: 100 B` */
  toString(): string {
    return `${this.traceback}: ${formatSize(this.size)}`;
  }
}
