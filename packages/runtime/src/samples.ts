// Traced memory over time: the sampler behind startSampling(), getSamples() and the
// samples a Snapshot carries (model/snapshot-data.ts: SampleSeries).
//
// A sample is (time, current, peak, traces). `peak` is the core's *window peak*: the
// highest traced size since the previous sample, kept exactly on the alloc path
// (assembly/trace-table.ts: takeWindowPeak), so a spike between two samples is never
// missed however short it was.
//
// The series is bounded (SAMPLE_CAPACITY samples) without losing its start: when it
// is full, neighbouring samples are merged pairwise over the whole series and every
// later sample covers twice as many ticks (a stride). Resolution stays uniform over
// the session, and each merge keeps the later time and current and the higher peak,
// so the peak envelope stays exact. Samples taken by takeSnapshot() are *marks*: they
// are never merged into a later sample, so a snapshot's point stays on the curve.
//
// Per site: when the source can list the live bytes of every traceback, each sample
// also keeps those of the sites that hold the most (the top SITES_PER_SAMPLE, and
// any with at least 1% of current), and of every site tracked before, up to
// MAX_SITES distinct tracebacks per series (later ones are left in "other"). A
// sample stores them sparse: (slot, bytes) pairs, a slot per tracked traceback. A
// merge keeps the later sample's values, as it keeps its current.

import type { SampleSeries } from './model/snapshot-data.js';

/** One sample, as recorded. */
export interface MemorySample {
  /** Milliseconds since the series began (start()). */
  time: number;
  /** Traced bytes at `time`. */
  current: number;
  /** The highest traced bytes since the previous sample (at least `current`). */
  peak: number;
  /** Live traced blocks at `time`. */
  traces: number;
  /** Live bytes of the sites that held the most (traceback ids of the source), when it lists them. */
  sites?: { traceback: number[]; size: number[] };
}

/** Sites each sample adds at most (beyond those already tracked): the largest, then any ≥ 1% of current. */
export const SITES_PER_SAMPLE = 8;
/** Distinct tracebacks a series tracks at most. */
export const MAX_SITES = 32;

/** How many samples a series keeps before it merges its samples pairwise. */
export const SAMPLE_CAPACITY = 10_000;
/** The sampling interval start() uses unless startSampling() or stopSampling() said otherwise. */
export const DEFAULT_SAMPLE_INTERVAL_MS = 100;

/** A bounded, downsampling series of samples (see the top of this file). */
export class SampleRing {
  readonly #time: number[] = [];
  readonly #current: number[] = [];
  readonly #peak: number[] = [];
  readonly #traces: number[] = [];
  /** Ticks each kept sample covers. */
  readonly #weight: number[] = [];
  /** 1 for a sample that must keep its own time and current (a snapshot's). */
  readonly #mark: number[] = [];
  /** Per sample, its sites' (slot, bytes) pairs, flat; undefined when it has none. */
  readonly #sites: Array<number[] | undefined> = [];
  /** The traceback id of each slot. */
  readonly #slots: number[] = [];
  readonly #slotOf = new Map<number, number>();
  #stride = 1;

  constructor(readonly capacity = SAMPLE_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 4) throw new RangeError(`a sample series needs a capacity of at least 4, got ${capacity}`);
  }

  get length(): number {
    return this.#time.length;
  }

  /** Ticks per kept sample: 1 until the series first filled up, then 2, 4, … */
  get stride(): number {
    return this.#stride;
  }

  clear(): void {
    for (const column of [this.#time, this.#current, this.#peak, this.#traces, this.#weight, this.#mark, this.#sites]) column.length = 0;
    this.forgetSites();
    this.#stride = 1;
  }

  /** Drops every per-site value (the traceback ids they name are no longer valid: clearTraces). */
  forgetSites(): void {
    this.#sites.fill(undefined);
    this.#slots.length = 0;
    this.#slotOf.clear();
  }

  /** The traceback ids tracked so far, by slot. */
  get trackedSites(): readonly number[] {
    return this.#slots;
  }

  /** (slot, bytes) pairs of a sample's sites, new tracebacks given slots while there is room. */
  #sparse(sites: MemorySample['sites']): number[] | undefined {
    if (sites === undefined) return undefined;
    const out: number[] = [];
    for (let i = 0; i < sites.traceback.length; i++) {
      const tb = sites.traceback[i]!;
      let slot = this.#slotOf.get(tb);
      if (slot === undefined) {
        if (this.#slots.length >= MAX_SITES) continue;
        slot = this.#slots.push(tb) - 1;
        this.#slotOf.set(tb, slot);
      }
      out.push(slot, sites.size[i]!);
    }
    return out;
  }

  push(sample: MemorySample, mark = false): void {
    const last = this.#time.length - 1;
    if (last >= 0 && this.#mark[last] === 0 && this.#weight[last]! < this.#stride) {
      // This tick joins the latest sample (which is not a mark).
      this.#time[last] = sample.time;
      this.#current[last] = sample.current;
      this.#peak[last] = Math.max(this.#peak[last]!, sample.peak);
      this.#traces[last] = sample.traces;
      this.#weight[last]!++;
      this.#mark[last] = mark ? 1 : 0;
      this.#sites[last] = this.#sparse(sample.sites);
      return;
    }
    this.#time.push(sample.time);
    this.#current.push(sample.current);
    this.#peak.push(sample.peak);
    this.#traces.push(sample.traces);
    this.#weight.push(1);
    this.#mark.push(mark ? 1 : 0);
    this.#sites.push(this.#sparse(sample.sites));
    if (this.#time.length >= this.capacity) this.#compact();
  }

  /** Merges neighbours whose ticks fit in twice the stride; marks end a merge. */
  #compact(): void {
    this.#stride *= 2;
    const n = this.#time.length;
    let w = 0;
    for (let r = 0; r < n; r++) {
      const into = w - 1;
      if (into >= 0 && this.#mark[into] === 0 && this.#weight[into]! + this.#weight[r]! <= this.#stride) {
        this.#time[into] = this.#time[r]!;
        this.#current[into] = this.#current[r]!;
        this.#peak[into] = Math.max(this.#peak[into]!, this.#peak[r]!);
        this.#traces[into] = this.#traces[r]!;
        this.#weight[into] = this.#weight[into]! + this.#weight[r]!;
        this.#mark[into] = this.#mark[r]!;
        this.#sites[into] = this.#sites[r];
        continue;
      }
      this.#time[w] = this.#time[r]!;
      this.#current[w] = this.#current[r]!;
      this.#peak[w] = this.#peak[r]!;
      this.#traces[w] = this.#traces[r]!;
      this.#weight[w] = this.#weight[r]!;
      this.#mark[w] = this.#mark[r]!;
      this.#sites[w] = this.#sites[r];
      w++;
    }
    // Nearly all marks (thousands of snapshots): the oldest go.
    const keep = Math.min(w, this.capacity - Math.ceil(this.capacity / 4));
    for (const column of [this.#time, this.#current, this.#peak, this.#traces, this.#weight, this.#mark, this.#sites]) {
      column.length = w;
      if (keep < w) column.splice(0, w - keep);
    }
  }

  /**
   * A copy of the series as the snapshot file stores it. Its `sites` (when any
   * sample has some) name tracebacks by the source's ids: takeSnapshot() maps
   * them to the snapshot's traceback indices.
   */
  series(start: number): SampleSeries {
    const series: SampleSeries = { start, time: this.#time.slice(), current: this.#current.slice(), peak: this.#peak.slice(), traces: this.#traces.slice() };
    if (this.#slots.length > 0) {
      const n = this.#time.length;
      const size = this.#slots.map(() => new Array<number>(n).fill(0));
      for (let i = 0; i < n; i++) {
        const pairs = this.#sites[i];
        if (pairs === undefined) continue;
        for (let j = 0; j < pairs.length; j += 2) size[pairs[j]!]![i] = pairs[j + 1]!;
      }
      series.sites = { traceback: this.#slots.slice(), size };
    }
    return series;
  }
}

/** What the sampler reads from the trace table at each tick. */
export interface SampleSource {
  /** [current bytes, highest bytes since the previous read, live traces]; resets the window. */
  read(): [current: number, windowPeak: number, traces: number];
  /** The live bytes of every traceback, by id (optional: then samples have no sites). */
  liveBytes?(): { traceback: ArrayLike<number>; size: ArrayLike<number> };
}

type Timer = { unref?: () => void } | number;

const clock: () => number =
  typeof performance !== 'undefined' && typeof performance.now === 'function' ? () => performance.now() : () => Date.now();

/**
 * The series of one tracing session and the timer that feeds it. begin() at start(),
 * end() at stop(); sample() whenever a point must be on the curve (takeSnapshot()).
 */
export class Sampler {
  readonly ring: SampleRing;
  readonly #listeners = new Set<(sample: MemorySample) => void>();
  #start = 0;
  #clock0 = 0;
  #interval = DEFAULT_SAMPLE_INTERVAL_MS;
  #timer: Timer | undefined;
  #active = false;

  constructor(
    readonly source: SampleSource,
    capacity = SAMPLE_CAPACITY,
  ) {
    this.ring = new SampleRing(capacity);
  }

  /** The timer's interval in ms, 0 when sampling is off (then only snapshots sample). */
  get interval(): number {
    return this.#interval;
  }

  /** A new series, with its first sample now; the timer runs when an interval is set. */
  begin(): void {
    this.ring.clear();
    this.#start = Date.now();
    this.#clock0 = clock();
    this.#active = true;
    this.sample();
    this.#schedule();
  }

  /** Stops the timer; the series stays readable until the next begin(). */
  end(): void {
    this.#active = false;
    this.#cancel();
  }

  /** Sets the interval (0: no timer) and applies it to a running series. */
  setInterval(ms: number): void {
    if (ms !== 0 && !(Number.isFinite(ms) && ms >= 1)) throw new RangeError(`the sampling interval must be at least 1 ms, got ${ms}`);
    this.#interval = ms;
    this.#cancel();
    if (this.#active) this.#schedule();
  }

  /** Records a sample now (a mark, kept exactly, when `mark`). */
  sample(mark = false): MemorySample {
    const [current, peak, traces] = this.source.read();
    const sample: MemorySample = { time: Math.round((clock() - this.#clock0) * 10) / 10, current, peak: Math.max(peak, current), traces };
    const live = this.source.liveBytes?.();
    if (live !== undefined) sample.sites = this.#topSites(live, current);
    this.ring.push(sample, mark);
    for (const listener of this.#listeners) {
      try {
        listener(sample);
      } catch (error) {
        console.error('wasm-tracemalloc: a sample listener threw:', error);
      }
    }
    return sample;
  }

  series(): SampleSeries {
    return this.ring.series(this.#start);
  }

  /** The tracebacks that clearTraces() invalidated: their per-site values go. */
  forgetSites(): void {
    this.ring.forgetSites();
  }

  /**
   * The sites a sample keeps: those already tracked, the SITES_PER_SAMPLE largest,
   * and any with at least 1% of `current`; each with its live bytes (> 0).
   */
  #topSites(live: { traceback: ArrayLike<number>; size: ArrayLike<number> }, current: number): { traceback: number[]; size: number[] } {
    const tracked = new Set(this.ring.trackedSites);
    // The SITES_PER_SAMPLE largest, in one pass (a sort of every traceback at each tick costs more).
    const top: number[] = [];
    for (let i = 0; i < live.traceback.length; i++) {
      const v = live.size[i]!;
      if (v <= 0 || (top.length === SITES_PER_SAMPLE && v <= live.size[top[top.length - 1]!]!)) continue;
      let j = top.length === SITES_PER_SAMPLE ? top.length - 1 : top.length;
      while (j > 0 && live.size[top[j - 1]!]! < v) {
        top[j] = top[j - 1]!;
        j--;
      }
      top[j] = i;
    }
    const largest = new Set(top);
    const traceback: number[] = [];
    const size: number[] = [];
    for (let i = 0; i < live.traceback.length; i++) {
      const v = live.size[i]!;
      if (v <= 0) continue;
      const tb = live.traceback[i]!;
      if (largest.has(i) || v * 100 >= current || tracked.has(tb)) {
        traceback.push(tb);
        size.push(v);
      }
    }
    return { traceback, size };
  }


  /** Calls `listener` with every sample from now on; returns the unsubscribe. */
  listen(listener: (sample: MemorySample) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  #schedule(): void {
    if (this.#interval === 0 || typeof setInterval !== 'function') return;
    const timer = setInterval(() => this.sample(), this.#interval) as Timer;
    // A sampler must not keep a Node process alive.
    if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
    this.#timer = timer;
  }

  #cancel(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer as Parameters<typeof clearInterval>[0]);
    this.#timer = undefined;
  }
}
