// tracemalloc's module functions, in camelCase, over the trace table core.
// The core (core/trace-table.ts) does the recording inside Wasm; this file only turns
// its state into the model's Snapshot, Traceback and numbers.

import { TraceTable } from './core/trace-table.js';
import { DomainRegistry, type Domain } from './domains.js';
import { decodeSiteTable, SITE_SECTION, type SiteTable } from './site-table.js';
import { customSections } from './wasm-sections.js';
import { Snapshot, Traceback, Frame, isSamplingInterval, type FrameData, type SampleSeries, type TracebackData } from './model/index.js';
import { Sampler, type MemorySample } from './samples.js';

/** tracemalloc's limit; modules keep at most 128 frames of shadow stack (MAX_SHADOW_FRAMES). */
export const MAX_NFRAME = 65535;

let table: TraceTable | undefined;
let tracebackLimit = 1;
const registry = new DomainRegistry();

function core(): TraceTable {
  table ??= TraceTable.create();
  return table;
}

const sampler = new Sampler({
  read() {
    const e = core().exports;
    return [e.currentBytes(), e.takeWindowPeak(), e.traceCount() >>> 0];
  },
  liveBytes() {
    return core().liveBytesByTraceback();
  },
});

export interface StartOptions {
  /**
   * Trace a sample of the allocations instead of every one: each allocated byte is
   * picked with probability 1/samplingIntervalBytes, and a block with a picked
   * byte is traced (Poisson sampling by bytes, as Go, tcmalloc, heapprofd and V8's
   * sampling heap profiler do). Sizes and counts (getTracedMemory, statistics,
   * compareTo) become unbiased estimates; blocks much larger than the interval
   * are always traced. Much cheaper for allocation-heavy programs. Untraced and
   * double frees are not detected while sampling. 0 (the default): trace every
   * allocation, exactly.
   */
  samplingIntervalBytes?: number;
}

/**
 * Starts tracing allocations, with tracebacks of up to `nframe` frames (modules
 * keep at most the frames they were instrumented with). As tracemalloc.start, a
 * call while tracing changes nothing: stop() first to change the limit or the
 * sampling.
 */
export function start(nframe = 1, options: StartOptions = {}): void {
  if (!Number.isInteger(nframe) || nframe < 1 || nframe > MAX_NFRAME) {
    throw new RangeError(`the number of frames must be in range [1; ${MAX_NFRAME}], got ${nframe}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`start(nframe, options): options must be an object such as { samplingIntervalBytes: 4096 }, got ${String(options)}`);
  }
  const unknown = Object.keys(options).filter((k) => k !== 'samplingIntervalBytes');
  if (unknown.length > 0) throw new TypeError(`start(nframe, options): unknown option ${unknown.map((k) => JSON.stringify(k)).join(', ')}; the one option is samplingIntervalBytes`);
  const interval = options.samplingIntervalBytes ?? 0;
  if (interval !== 0 && !isSamplingInterval(interval)) {
    throw new RangeError(`samplingIntervalBytes must be 0 (trace every allocation) or a number of bytes of at least 1, such as 4096; got ${String(interval)}`);
  }
  if (isTracing()) return; // as tracemalloc: a second start() keeps the first limit
  tracebackLimit = nframe;
  const seed = (Math.random() * 0x1_0000_0000) >>> 0;
  if (!core().exports.start(nframe, interval, seed)) throw new Error('wasm-tracemalloc: the trace table could not allocate its first page of memory');
  sampler.begin();
}

/** start()'s samplingIntervalBytes while tracing: 0 when every allocation is traced, or when not tracing. */
export function getSamplingIntervalBytes(): number {
  return core().exports.samplingInterval();
}

/**
 * Stops tracing and clears all traces, as tracemalloc.stop() does. The series ends
 * with a sample of the last window (its exact peak) and one of 0 B, the traced
 * memory once cleared; sampling stops and getSamples() keeps the series until start().
 */
export function stop(): void {
  if (isTracing()) {
    sampler.sample();
    core().exports.stop();
    sampler.sample();
  }
  sampler.end();
}

// ---- memory over time (samples.ts) --------------------------------------------

/**
 * Samples traced memory every `intervalMs` ms (default 100) while tracing: now if
 * tracing, else from the next start(). start() samples at the last interval set
 * here (100 ms unless changed), with a timer that never keeps Node alive. Each
 * sample's peak is exact: the highest traced size since the sample before.
 */
export function startSampling(intervalMs = 100): void {
  sampler.setInterval(intervalMs);
}

/** No more timed samples (start() will not start them either); takeSnapshot() and takeSample() still record one. */
export function stopSampling(): void {
  sampler.setInterval(0);
}

/** Records a sample now and returns it (time in ms since start()). */
export function takeSample(): MemorySample {
  if (!isTracing()) throw new Error('the tracemalloc module must be tracing memory allocations to take a sample; call start() first');
  return sampler.sample();
}

/**
 * Traced memory over time since start(), oldest first, as columns (SampleSeries:
 * start, time, current, peak, traces). At most 10,000 samples: a longer series has
 * its older samples merged pairwise, keeping every peak.
 */
export function getSamples(): SampleSeries {
  // Per-site values name the core's traceback ids, which mean nothing outside a snapshot.
  const { sites: _, ...series } = sampler.series();
  return series;
}

/** Calls `listener` with every sample recorded from now on (timer, takeSample, takeSnapshot); returns the unsubscribe. */
export function onSample(listener: (sample: MemorySample) => void): () => void {
  return sampler.listen(listener);
}

export function isTracing(): boolean {
  return !!core().exports.isTracing();
}

export function clearTraces(): void {
  core().exports.clearTraces();
  // The tracebacks the per-site samples named are gone (their ids will be reused).
  sampler.forgetSites();
}

export function getTracebackLimit(): number {
  return tracebackLimit;
}

/** [current, peak] size of traced blocks, in bytes. */
export function getTracedMemory(): [number, number] {
  const e = core().exports;
  return [e.currentBytes(), e.peakBytes()];
}

export function resetPeak(): void {
  core().exports.resetPeak();
}

/** Bytes the tracer's own structures use (trace table, tracebacks, logs). */
export function getTracemallocMemory(): number {
  return core().exports.tracerBytes() >>> 0;
}

/** Health counters tracemalloc has no equivalent for: what could not be traced exactly. */
export function getTracerStats(): { traces: number; lostTraces: number; untracedFrees: number; doubleFrees: number; tracerBytes: number } {
  const e = core().exports;
  // u32 results arrive as i32.
  return {
    traces: e.traceCount() >>> 0,
    lostTraces: e.lostTraces() >>> 0,
    untracedFrees: e.untracedFrees() >>> 0,
    doubleFrees: e.doubleFrees() >>> 0,
    tracerBytes: e.tracerBytes() >>> 0,
  };
}

export interface FreeError {
  kind: 'untraced' | 'double';
  domain: number;
  module: string;
  address: number;
  /** Where the bad free was called. */
  site: Frame;
  /** Where the block was allocated, for a double free. */
  allocatedAt: Traceback | null;
}

/**
 * The most recent frees of untraced pointers (allocated before start(), or never
 * allocated) and double frees, up to 256.
 */
export function getFreeErrors(): FreeError[] {
  const t = core();
  return t.freeLog().map((e) => ({
    kind: e.kind,
    domain: e.domain,
    module: registry.get(e.domain)?.name ?? '<unknown>',
    address: e.ptr,
    site: frameOf(registry.frame(e.domain, e.site)),
    allocatedAt: e.traceback === null ? null : tracebackOf(e.traceback),
  }));
}

function frameOf(d: FrameData): Frame {
  return Frame.from(d);
}

/**
 * A traceback of site ids becomes the concatenation of the sites' frames (a symbolized
 * site has one per inlined call). totalNframe counts frames: those of the recorded
 * sites, plus one for each site beyond the limit (their inlining is not known).
 */
function tracebackOf(tb: number): Traceback {
  const t = core().traceback(tb);
  const frames = t.frames.flatMap((f) => registry.frames(f.domain, f.site).map(frameOf));
  return new Traceback(frames, t.totalNframe - t.frames.length + frames.length);
}

/** The traceback where the block at `ptr` was allocated, or null if it is not traced. */
export function getObjectTraceback(ptr: number, domain?: number): Traceback | null {
  const ids = domain === undefined ? registry.all().map((d) => d.id) : [domain];
  for (const id of ids) {
    const tb = core().exports.lookup(id, ptr >>> 0);
    if (tb >= 0) return tracebackOf(tb);
  }
  return null;
}

export function takeSnapshot(): Snapshot {
  if (!isTracing()) {
    throw new Error('the tracemalloc module must be tracing memory allocations to take a snapshot; call start() first');
  }
  // A sample at the snapshot, kept exactly: the snapshot's marker sits on the curve.
  sampler.sample(true);
  const samples = sampler.series();
  const t = core();
  const raw = t.readSnapshot();
  const n = raw.size.length;
  const frames: FrameData[] = [];
  const siteFrameIndex = new Map<string, number[]>();
  const tracebacks: TracebackData[] = [];
  const tbIndex = new Map<number, number>();
  const tbDomain: number[] = [];
  const domainCol = new Uint32Array(n);
  const tbCol = new Uint32Array(n);
  const indexOf = (tb: number): number => {
    let idx = tbIndex.get(tb);
    if (idx === undefined) {
      const info = t.traceback(tb);
      const fidx = info.frames.flatMap(({ domain, site }) => {
        const key = `${domain}:${site}`;
        let f = siteFrameIndex.get(key);
        if (f === undefined) {
          f = registry.frames(domain, site).map((frame) => frames.push(frame) - 1);
          siteFrameIndex.set(key, f);
        }
        return f;
      });
      idx = tracebacks.length;
      tracebacks.push({ frames: fidx, totalNframe: info.totalNframe - info.frames.length + fidx.length });
      tbDomain.push(info.domain);
      tbIndex.set(tb, idx);
    }
    return idx;
  };
  for (let i = 0; i < n; i++) {
    const idx = indexOf(raw.traceback[i]!);
    tbCol[i] = idx;
    domainCol[i] = tbDomain[idx]!;
  }
  // Every traceback's counters, those whose blocks were all freed included. Sampled,
  // the core's counts are sums of weights: rounded per traceback, as statistics round.
  for (const c of t.readTracebackCounters()) {
    if (c.allocCount === 0 && !tbIndex.has(c.tb)) continue; // interned, but its alloc was lost
    const data = tracebacks[indexOf(c.tb)]!;
    data.allocCount = Math.round(c.allocCount);
    data.allocSize = c.allocBytes;
    data.freeCount = Math.round(c.freeCount);
    data.freeSize = c.freeBytes;
    data.peakCount = Math.round(c.peakCount);
    data.peakSize = c.peakBytes;
  }
  // The per-site samples name core ids: the snapshot's traceback indices instead.
  if (samples.sites !== undefined) samples.sites.traceback = samples.sites.traceback.map(indexOf);
  const [current, peak] = getTracedMemory();
  const stats = getTracerStats();
  const samplingIntervalBytes = getSamplingIntervalBytes();
  return new Snapshot({
    tracebackLimit,
    frames,
    tracebacks,
    traces: { domain: domainCol, size: raw.size, traceback: tbCol },
    domains: registry.all().map((d) => ({ id: d.id, name: d.name })),
    meta: { timestamp: Date.now(), current, peak, tracerBytes: stats.tracerBytes, lostTraces: stats.lostTraces, untracedFrees: stats.untracedFrees, doubleFrees: stats.doubleFrees },
    samples,
    ...(samplingIntervalBytes > 0 && { samplingIntervalBytes }),
  });
}

// ---- linking ----------------------------------------------------------------

export interface TraceImports {
  domain: Domain;
  /** Add this under the key `wasm-tracemalloc` of the module's import object. */
  imports: { alloc: unknown; free: unknown; realloc: unknown; put: unknown; sp: WebAssembly.Global; nframe: WebAssembly.Global; domain: WebAssembly.Global };
}

/** The site table of an instrumented module, or undefined if it was not instrumented. */
export function siteTableOf(source: Uint8Array | WebAssembly.Module, name = 'module'): SiteTable | undefined {
  const [section] =
    source instanceof Uint8Array
      ? customSections(source, SITE_SECTION)
      : WebAssembly.Module.customSections(source, SITE_SECTION).map((b) => new Uint8Array(b));
  return section ? decodeSiteTable(section, name) : undefined;
}

/** Registers a new domain for one instance of a traced module and returns its imports. */
export function traceImports(sites: SiteTable, moduleName: string): TraceImports {
  const t = core();
  const domain = registry.register(moduleName, sites);
  const hot = t.hotImports;
  return {
    domain,
    imports: {
      alloc: hot.alloc,
      free: hot.free,
      realloc: hot.realloc,
      put: hot.put,
      sp: hot.sp,
      nframe: hot.nframe,
      domain: new WebAssembly.Global({ value: 'i32', mutable: false }, domain.id),
    },
  };
}

export function getDomains(): Array<{ id: number; name: string }> {
  return registry.all().map((d) => ({ id: d.id, name: d.name }));
}
