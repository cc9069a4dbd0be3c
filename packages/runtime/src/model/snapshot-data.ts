/**
 * The plain data behind a Snapshot: what the runtime hands over, what the file
 * format stores, what a viewer receives. Traces are columns, not objects, so a
 * snapshot of a million blocks is three typed arrays plus its interned tracebacks.
 *
 * Invariants (checked by validateSnapshotData):
 * - traces.domain, traces.size, traces.traceback have the same length;
 * - every traces.traceback[i] < tracebacks.length, every frame index < frames.length;
 * - sizes are non-negative integers (bytes), linenos non-negative integers;
 * - a traceback may be empty: it then reads as the single frame `<unknown>:0`.
 * A Snapshot takes ownership of its SnapshotData: do not mutate it afterwards.
 */

import { isSamplingInterval } from './sample-weight.js';

export interface FrameData {
  filename: string;
  /** 1-based source line, or 0 when unknown (then `function` and `offset` identify the call site). */
  lineno: number;
  function?: string;
  /** Byte offset of the call instruction in the original module. */
  offset?: number;
  /** The text of the line, stripped, when it was known where the snapshot was taken (symbolization). */
  source?: string;
}

export interface TracebackData {
  /** Indices into SnapshotData.frames, oldest -> most recent. */
  frames: number[];
  /** Depth of the stack before it was truncated to the traceback limit. */
  totalNframe: number;
  /** The thread that allocated (0: the main thread), in a program on threads; absent otherwise. */
  thread?: number;
  /**
   * Cumulative since start() or clear_traces(), at the moment of the snapshot:
   * blocks allocated with this traceback and their bytes, and how many of those
   * blocks were freed (a free counts for the traceback of the block's allocation)
   * and their bytes. A realloc counts as a free of the old block and an allocation
   * of the new one. Sampled snapshots: estimates, scaled like sizes (sample-weight.ts;
   * the core scales them, so they are read as they are). Absent in snapshots taken
   * before these counters existed. A traceback with counters may have no trace
   * (all its blocks were freed): churn stays visible.
   */
  allocCount?: number;
  allocSize?: number;
  freeCount?: number;
  freeSize?: number;
  /** Live blocks and bytes with this traceback at the traced peak (SnapshotMeta.peak): the composition of the high-water mark. Absent when unknown. */
  peakCount?: number;
  peakSize?: number;
}

/** The optional counters of a TracebackData, in the order the file format stores them. */
export const TRACEBACK_COUNTERS = ['allocCount', 'allocSize', 'freeCount', 'freeSize', 'peakCount', 'peakSize'] as const;

export interface DomainInfo {
  id: number;
  name: string;
}

export interface SnapshotMeta {
  timestamp?: number;
  current?: number;
  peak?: number;
  tracerBytes?: number;
  lostTraces?: number;
  untracedFrees?: number;
  doubleFrees?: number;
  [k: string]: number | string | undefined;
}

/**
 * Traced memory over time, as the runtime's sampler recorded it up to the snapshot
 * (tracemalloc.ts: startSampling, getSamples). Columns of equal length, oldest
 * first. Sample i says: at `time[i]`, `current[i]` bytes were traced in
 * `traces[i]` blocks, and the highest traced size since sample i − 1 (exact: the
 * core tracks it on every allocation) was `peak[i]`. Older samples may have been
 * merged pairwise to bound the series (a merged sample keeps the later time and
 * current and the higher peak); the sample a snapshot took is never merged away.
 */
export interface SampleSeries {
  /** When the series began (start()), in milliseconds since the epoch. */
  start: number;
  /** Milliseconds since `start`, non-decreasing. */
  time: number[];
  current: number[];
  peak: number[];
  traces: number[];
  /**
   * Traced bytes over time of the sites that held the most memory. traceback[k]
   * indexes SnapshotData.tracebacks; size[k][i] is the live bytes of that traceback
   * at sample i (0 when it held nothing or was not among the tracked ones then).
   * current[i] − Σk size[k][i] is "other".
   */
  sites?: { traceback: number[]; size: number[][] };
}

export interface SnapshotData {
  tracebackLimit: number;
  frames: FrameData[];
  tracebacks: TracebackData[];
  /** Columnar, equal lengths; traceback = index into tracebacks. */
  traces: { domain: Uint32Array; size: Float64Array; traceback: Uint32Array };
  domains?: DomainInfo[];
  meta?: SnapshotMeta;
  /** Memory over time up to this snapshot; its last sample is the snapshot's own. */
  samples?: SampleSeries;
  /**
   * Absent or 0: every block was traced. Otherwise the traces are a Poisson
   * sample, one per this many bytes allocated on average, and each stands for
   * more blocks and bytes than its own (sample-weight.ts). At least 1.
   */
  samplingIntervalBytes?: number;
}

/**
 * A SnapshotData (or a snapshot file) that breaks an invariant. `source` names
 * the input: a file name given to Snapshot.load, or "snapshot data".
 */
export class InvalidSnapshotError extends Error {
  override name = 'InvalidSnapshotError';
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(message);
  }
}

/** Which parts validateSnapshotData checks; the traces always. */
export interface ValidateOptions {
  /** Skip frames and tracebacks, already checked for a snapshot sharing them. */
  tracesOnly?: boolean;
}

const U32_MAX = 0xffffffff;

/**
 * Checks every invariant of `data`. Returns undefined when it holds them all,
 * otherwise a sentence naming the first broken one ("trace 12 refers to traceback
 * 70000, but there are 50000 tracebacks"). Cost: one pass over the columns and the
 * traceback frames, a few ms for 1,000,000 traces.
 */
export function findSnapshotDataProblem(data: SnapshotData, options: ValidateOptions = {}): string | undefined {
  try {
    check(data, options);
    return undefined;
  } catch (error) {
    if (error instanceof Problem) return error.detail;
    throw error;
  }
}

/** Throws InvalidSnapshotError (source "SnapshotData") unless `data` holds every invariant. */
export function validateSnapshotData(data: SnapshotData, options: ValidateOptions = {}): void {
  const problem = findSnapshotDataProblem(data, options);
  if (problem !== undefined) {
    throw new InvalidSnapshotError('SnapshotData', `invalid SnapshotData: ${problem}. Whatever built it (takeSnapshot, a converter, a test) broke an invariant documented in snapshot-data.ts.`);
  }
}

class Problem {
  constructor(readonly detail: string) {}
}

function check(data: SnapshotData, options: ValidateOptions): void {
  if (typeof data !== 'object' || data === null) fail(`expected an object, got ${describeValue(data)}`);
  if (!isCount(data.tracebackLimit)) fail(`tracebackLimit must be a non-negative integer, got ${describeValue(data.tracebackLimit)}`);
  if (!Array.isArray(data.frames)) fail(`frames must be an array, got ${describeValue(data.frames)}`);
  if (!Array.isArray(data.tracebacks)) fail(`tracebacks must be an array, got ${describeValue(data.tracebacks)}`);
  if (!options.tracesOnly) {
    data.frames.forEach(validateFrame);
    const frameCount = data.frames.length;
    data.tracebacks.forEach((tb, t) => validateTraceback(tb, t, frameCount));
  }
  validateTraces(data);
  if (data.domains !== undefined) {
    if (!Array.isArray(data.domains)) fail(`domains must be an array, got ${describeValue(data.domains)}`);
    data.domains.forEach((d, i) => {
      if (typeof d !== 'object' || d === null) fail(`domains[${i}] must be an object, got ${describeValue(d)}`);
      if (!isCount(d.id) || d.id > U32_MAX) fail(`domains[${i}].id must be a u32, got ${describeValue(d.id)}`);
      if (typeof d.name !== 'string') fail(`domains[${i}].name must be a string, got ${describeValue(d.name)}`);
    });
  }
  if (data.meta !== undefined) {
    if (typeof data.meta !== 'object' || data.meta === null || Array.isArray(data.meta)) fail(`meta must be an object, got ${describeValue(data.meta)}`);
    for (const [key, value] of Object.entries(data.meta)) {
      if (value === undefined || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) continue;
      fail(`meta.${key} must be a string or a finite number, got ${describeValue(value)}`);
    }
  }
  if (data.samples !== undefined) {
    validateSamples(data.samples);
    if (data.samples.sites !== undefined) validateSites(data.samples.sites, data.samples.time.length, data.tracebacks.length);
  }
  const interval = data.samplingIntervalBytes;
  if (interval !== undefined && interval !== 0 && !isSamplingInterval(interval)) {
    fail(`samplingIntervalBytes must be 0 (exact) or a finite number of bytes of at least 1, got ${describeValue(interval)}`);
  }
}

function validateSamples(samples: SampleSeries): void {
  if (typeof samples !== 'object' || samples === null || Array.isArray(samples)) fail(`samples must be an object of columns, got ${describeValue(samples)}`);
  if (!(typeof samples.start === 'number' && Number.isFinite(samples.start))) fail(`samples.start must be a finite number (ms since the epoch), got ${describeValue(samples.start)}`);
  const columns = ['time', 'current', 'peak', 'traces'] as const;
  for (const c of columns) if (!Array.isArray(samples[c])) fail(`samples.${c} must be an array, got ${describeValue(samples[c])}`);
  const n = samples.time.length;
  for (const c of columns) if (samples[c].length !== n) fail(`samples columns differ in length: time ${n}, ${c} ${samples[c].length}`);
  const { time, current, peak, traces } = samples;
  for (let i = 0; i < n; i++) {
    const t = time[i];
    if (!(typeof t === 'number' && t >= 0 && Number.isFinite(t))) fail(`samples.time[${i}] must be a non-negative finite number, got ${describeValue(t)}`);
    if (i > 0 && t < time[i - 1]) fail(`samples.time[${i}] is ${t}, before samples.time[${i - 1}] ${time[i - 1]}: samples are oldest first`);
    if (!isCount(current[i])) fail(`samples.current[${i}] must be a non-negative integer (bytes), got ${describeValue(current[i])}`);
    if (!isCount(peak[i])) fail(`samples.peak[${i}] must be a non-negative integer (bytes), got ${describeValue(peak[i])}`);
    if (peak[i] < current[i]) fail(`samples.peak[${i}] is ${peak[i]}, below samples.current[${i}] ${current[i]}: a peak is at least the size at its end`);
    if (!isCount(traces[i])) fail(`samples.traces[${i}] must be a non-negative integer, got ${describeValue(traces[i])}`);
  }
}

function validateSites(sites: NonNullable<SampleSeries['sites']>, n: number, tracebackCount: number): void {
  if (typeof sites !== 'object' || sites === null || !Array.isArray(sites.traceback) || !Array.isArray(sites.size)) fail(`samples.sites must be { traceback: number[], size: number[][] }, got ${describeValue(sites)}`);
  if (sites.size.length !== sites.traceback.length) fail(`samples.sites has ${sites.traceback.length} tracebacks but ${sites.size.length} size columns`);
  sites.traceback.forEach((t, k) => {
    if (!isCount(t) || t >= tracebackCount) fail(`samples.sites.traceback[${k}] is ${describeValue(t)}, not a traceback index: there are ${tracebackCount} tracebacks`);
    const column = sites.size[k];
    if (!Array.isArray(column) || column.length !== n) fail(`samples.sites.size[${k}] must be an array of ${n} sizes (one per sample), got ${describeValue(column)}`);
    for (let i = 0; i < n; i++) if (!isCount(column[i])) fail(`samples.sites.size[${k}][${i}] must be a non-negative integer (bytes), got ${describeValue(column[i])}`);
  });
}

function validateFrame(frame: FrameData, f: number): void {
  if (typeof frame !== 'object' || frame === null) fail(`frames[${f}] must be an object, got ${describeValue(frame)}`);
  if (typeof frame.filename !== 'string') fail(`frames[${f}].filename must be a string, got ${describeValue(frame.filename)}`);
  if (!isCount(frame.lineno)) fail(`frames[${f}].lineno must be a non-negative integer, got ${describeValue(frame.lineno)}`);
  if (frame.function !== undefined && typeof frame.function !== 'string') fail(`frames[${f}].function must be a string, got ${describeValue(frame.function)}`);
  if (frame.offset !== undefined && !isCount(frame.offset)) fail(`frames[${f}].offset must be a non-negative integer, got ${describeValue(frame.offset)}`);
  if (frame.source !== undefined && typeof frame.source !== 'string') fail(`frames[${f}].source must be a string, got ${describeValue(frame.source)}`);
}

function validateTraceback(tb: TracebackData, t: number, frameCount: number): void {
  if (typeof tb !== 'object' || tb === null) fail(`tracebacks[${t}] must be an object, got ${describeValue(tb)}`);
  const frames = tb.frames;
  if (!Array.isArray(frames)) fail(`tracebacks[${t}].frames must be an array, got ${describeValue(frames)}`);
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    if (!isCount(f) || f >= frameCount) {
      fail(`tracebacks[${t}].frames[${i}] is ${describeValue(f)}, not a frame index: there are ${frameCount} frames`);
    }
  }
  if (!isCount(tb.totalNframe) || tb.totalNframe < frames.length) {
    fail(`tracebacks[${t}].totalNframe must be an integer >= its ${frames.length} frames, got ${describeValue(tb.totalNframe)}`);
  }
  if (tb.thread !== undefined && !isCount(tb.thread)) fail(`tracebacks[${t}].thread must be a non-negative integer, got ${describeValue(tb.thread)}`);
  for (const key of TRACEBACK_COUNTERS) {
    const v = tb[key];
    if (v !== undefined && !isCount(v)) fail(`tracebacks[${t}].${key} must be a non-negative integer, got ${describeValue(v)}`);
  }
}

function validateTraces(data: SnapshotData): void {
  const traces = data.traces;
  if (typeof traces !== 'object' || traces === null) fail(`traces must be an object of three columns, got ${describeValue(traces)}`);
  const { domain, size, traceback } = traces;
  if (!(domain instanceof Uint32Array)) fail(`traces.domain must be a Uint32Array, got ${describeValue(domain)}`);
  if (!(size instanceof Float64Array)) fail(`traces.size must be a Float64Array, got ${describeValue(size)}`);
  if (!(traceback instanceof Uint32Array)) fail(`traces.traceback must be a Uint32Array, got ${describeValue(traceback)}`);
  const n = domain.length;
  if (size.length !== n || traceback.length !== n) {
    fail(`trace columns differ in length: domain ${n}, size ${size.length}, traceback ${traceback.length}`);
  }
  const tracebackCount = data.tracebacks.length;
  for (let i = 0; i < n; i++) {
    if (traceback[i] >= tracebackCount) {
      fail(`trace ${i} refers to traceback ${traceback[i]}, but there are ${tracebackCount} tracebacks`);
    }
    const s = size[i];
    // `s >= 0` is false for NaN; the integer test rejects Infinity and fractions.
    if (!(s >= 0 && Number.isInteger(s))) fail(`trace ${i} has size ${describeValue(s)}; sizes are non-negative integers (bytes)`);
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function fail(detail: string): never {
  throw new Problem(detail);
}

/** A short, safe description of a bad value for an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'number':
      return Number.isNaN(value) ? 'NaN' : String(value);
    case 'object':
      return (value as object).constructor?.name ?? 'an object';
    default:
      return typeof value === 'undefined' ? 'undefined' : `${typeof value} ${String(value)}`;
  }
}
