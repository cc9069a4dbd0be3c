/**
 * Builds a SnapshotData from one record per block, interning frames and
 * tracebacks as the trace table does: converters, fixtures and tests write
 * `add(0, 100, [main, leak])` and get the columns and tables.
 */

import type { DomainInfo, FrameData, SnapshotData, SnapshotMeta } from './snapshot-data.js';

export class SnapshotBuilder {
  readonly #frames: FrameData[] = [];
  readonly #frameIds = new Map<string, number>();
  readonly #tracebacks: SnapshotData['tracebacks'] = [];
  readonly #tracebackIds = new Map<string, number>();
  readonly #domain: number[] = [];
  readonly #size: number[] = [];
  readonly #traceback: number[] = [];

  constructor(readonly tracebackLimit = 1) {}

  /** Index of this exact frame (all four identifying fields), added on first use; the first `source` given is kept. */
  frame(frame: FrameData): number {
    const key = JSON.stringify([frame.filename, frame.lineno, frame.function ?? null, frame.offset ?? null]);
    let id = this.#frameIds.get(key);
    if (id === undefined) {
      id = this.#frames.length;
      const copy: FrameData = { filename: frame.filename, lineno: frame.lineno };
      if (frame.function !== undefined) copy.function = frame.function;
      if (frame.offset !== undefined) copy.offset = frame.offset;
      if (frame.source !== undefined) copy.source = frame.source;
      this.#frames.push(copy);
      this.#frameIds.set(key, id);
    }
    return id;
  }

  /** Index of this traceback (frames oldest -> most recent), added on first use. */
  traceback(frames: readonly FrameData[], totalNframe = frames.length): number {
    const ids = frames.map((f) => this.frame(f));
    const key = `${ids.join(',')}/${totalNframe}`;
    let id = this.#tracebackIds.get(key);
    if (id === undefined) {
      id = this.#tracebacks.length;
      this.#tracebacks.push({ frames: ids, totalNframe });
      this.#tracebackIds.set(key, id);
    }
    return id;
  }

  /** One block of `size` bytes in `domain`, allocated under `frames` (oldest -> most recent). */
  add(domain: number, size: number, frames: readonly FrameData[], totalNframe = frames.length): this {
    this.#domain.push(domain);
    this.#size.push(size);
    this.#traceback.push(this.traceback(frames, totalNframe));
    return this;
  }

  /** `count` blocks alike. */
  addMany(count: number, domain: number, size: number, frames: readonly FrameData[], totalNframe = frames.length): this {
    const tb = this.traceback(frames, totalNframe);
    for (let i = 0; i < count; i++) {
      this.#domain.push(domain);
      this.#size.push(size);
      this.#traceback.push(tb);
    }
    return this;
  }

  build(extra: { domains?: DomainInfo[]; meta?: SnapshotMeta } = {}): SnapshotData {
    return {
      tracebackLimit: this.tracebackLimit,
      frames: this.#frames.slice(),
      tracebacks: this.#tracebacks.map((t) => ({ frames: t.frames.slice(), totalNframe: t.totalNframe })),
      traces: {
        domain: Uint32Array.from(this.#domain),
        size: Float64Array.from(this.#size),
        traceback: Uint32Array.from(this.#traceback),
      },
      ...extra,
    };
  }
}
