/**
 * ArrayBuffers kept for reuse. Fresh memory costs a page fault per 4 KiB when
 * first touched (7-10 ms per MB on the VMs measured, more than the arithmetic
 * of a diff), so the columns a call returns are made in buffers paged in during
 * idle time (reserve) or handed back by their last user (add). A buffer fits a
 * request of n bytes when it has n to slack(n) bytes; the smallest that fits is
 * taken, and each buffer is handed out once.
 */
export class BufferPool {
  readonly #buffers: ArrayBuffer[] = [];

  /** At most `max` buffers are kept (the oldest are dropped). */
  constructor(
    private readonly max: number,
    private readonly slack: (bytes: number) => number,
  ) {}

  get size(): number {
    return this.#buffers.length;
  }

  /** The smallest pooled buffer that fits `bytes`, taken out of the pool, or undefined. */
  take(bytes: number): ArrayBuffer | undefined {
    const i = bytes > 0 ? this.#fitting(this.#buffers, bytes) : -1;
    return i < 0 ? undefined : this.#buffers.splice(i, 1)[0];
  }

  /** Keeps `buffers` for reuse. */
  add(buffers: readonly ArrayBuffer[]): void {
    this.#buffers.push(...buffers);
    if (this.#buffers.length > this.max) this.#buffers.splice(0, this.#buffers.length - this.max);
  }

  /**
   * Makes the pool hold a fitting buffer for each of `byteLengths` (one per
   * entry), paging in the ones it adds: for idle time, before the call that
   * will take them.
   */
  reserve(byteLengths: readonly number[]): void {
    const free = this.#buffers.slice();
    const added: ArrayBuffer[] = [];
    for (const bytes of byteLengths) {
      if (bytes <= 0) continue;
      const i = this.#fitting(free, bytes);
      if (i >= 0) {
        free.splice(i, 1);
        continue;
      }
      const buffer = new ArrayBuffer(bytes);
      new Int32Array(buffer, 0, bytes >> 2).fill(0); // touches every page
      added.push(buffer);
    }
    this.add(added);
  }

  /** Index in `list` of the smallest buffer that fits `bytes`, or -1. */
  #fitting(list: readonly ArrayBuffer[], bytes: number): number {
    const most = this.slack(bytes);
    let best = -1;
    for (let i = 0; i < list.length; i++) {
      const size = list[i].byteLength;
      if (size >= bytes && size <= most && (best < 0 || size < list[best].byteLength)) best = i;
    }
    return best;
  }
}
