// tracemalloc's module functions, in camelCase, over the trace table core.
// The core (core/trace-table.ts) does the recording inside Wasm; this file only turns
// its state into the model's Snapshot, Traceback and numbers.

import { TraceTable } from './core/trace-table.js';
import { DomainRegistry, UNNAMED_MODULE, type Domain } from './domains.js';
import { decodeSiteTable, SITE_SECTION, type SiteTable } from './site-table.js';
import { customSections } from './wasm-sections.js';
import { Snapshot, Traceback, Frame, isSamplingInterval, type FrameData, type SampleSeries, type TracebackData } from './model/index.js';
import { Sampler, type MemorySample } from './samples.js';
import { newTracerHandle, ThreadRegistry, type TracerHandle } from './threads.js';

/** tracemalloc's limit; modules keep at most 128 frames of shadow stack (MAX_SHADOW_FRAMES). */
export const MAX_NFRAME = 65535;

let table: TraceTable | undefined;
let tracebackLimit = 1;
let samplingInterval = 0;
const registry = new DomainRegistry();

/**
 * Threads (threads.ts): the threaded core this thread traces into, shared with the
 * others. On the main thread it takes the modules on shared memory; in a worker, every
 * traced module.
 */
let threads: { registry: ThreadRegistry; table: TraceTable; worker: boolean } | undefined;

/** Per-site samples key a traceback by its core (the index in cores()) and its id there. */
const SITE_KEY_CORE = 2 ** 32;

/** This thread's single-threaded core. */
function core(): TraceTable {
  table ??= TraceTable.create();
  return table;
}

/** Every core this thread reads: its own (not in a worker that joined a tracer) and the threaded one. */
function cores(): TraceTable[] {
  if (!threads) return [core()];
  return threads.worker ? [threads.table] : [core(), threads.table];
}

function sum(read: (t: TraceTable) => number): number {
  let total = 0;
  for (const t of cores()) total += read(t);
  return total;
}

const sampler = new Sampler({
  read() {
    return [sum((t) => t.exports.currentBytes()), sum((t) => t.exports.takeWindowPeak()), sum((t) => t.exports.traceCount() >>> 0)];
  },
  liveBytes() {
    // One key space for every core (siteKey), as the series may track tracebacks of both.
    const all = cores().map((t, c) => {
      const live = t.liveBytesByTraceback();
      return { traceback: Array.from(live.traceback, (tb) => c * SITE_KEY_CORE + tb), size: live.size };
    });
    if (all.length === 1) return all[0]!;
    return { traceback: all.flatMap((x) => x.traceback), size: all.flatMap((x) => Array.from(x.size)) };
  },
});

/**
 * The main thread's tracer for threads, made on first use: pass the handle to every
 * worker (Node: worker_threads.setEnvironmentData; a page: postMessage), which calls
 * joinTracer with it. Modules on a shared memory trace into it from then on.
 */
export function shareTracer(): TracerHandle {
  if (threads) return threads.registry.handle;
  const handle = newTracerHandle(registry.nextFreshId);
  const shared = TraceTable.attachShared(handle.core, 0)!;
  const reg = new ThreadRegistry(handle);
  registry.shareIds(() => reg.allocateDomainId(), (id) => {
    const d = reg.domain(id);
    return d && { id, name: d.name, sites: d.sites };
  });
  threads = { registry: reg, table: shared, worker: false };
  if (isTracing()) startCore(shared);
  return handle;
}

/**
 * In a worker: trace into the main thread's tracer (shareTracer), as thread number
 * `thread` (Node: worker_threads.threadId). False when it cannot take this thread
 * (256 threads at once): modules then trace into this thread's own table, which the
 * main thread does not report.
 */
export function joinTracer(handle: TracerHandle, thread?: number): boolean {
  if (threads) return true;
  const reg = new ThreadRegistry(handle);
  const shared = TraceTable.attachShared(handle.core, thread ?? reg.nextThreadNumber());
  if (!shared) return false;
  registry.shareIds(() => reg.allocateDomainId(), (id) => {
    const d = reg.domain(id);
    return d && { id, name: d.name, sites: d.sites };
  });
  threads = { registry: reg, table: shared, worker: true };
  const e = shared.exports;
  if (e.isTracing()) {
    // Tracing already (the main thread started): the same limit and sampling here.
    tracebackLimit = e.nframe.value as number;
    samplingInterval = e.samplingInterval();
  }
  return true;
}

/**
 * Terminates a worker (`terminate`, e.g. () => worker.terminate()) that may be inside
 * the tracer: with threads, the worker numbered `thread` is first fenced out of the
 * tracer's lock, so that its end cannot leave the table half-changed.
 */
export function terminateTracedThread<T>(thread: number, terminate: () => Promise<T>): Promise<T> {
  return threads ? threads.table.terminating(thread, terminate) : terminate();
}

/** This worker is ending: its slot of the threaded core goes back (its traces stay). */
export function leaveTracer(): void {
  if (threads?.worker) threads.table.detach();
}

function startCore(t: TraceTable): void {
  const seed = (Math.random() * 0x1_0000_0000) >>> 0;
  if (!t.exports.start(tracebackLimit, samplingInterval, seed)) throw new Error('wasm-tracemalloc: the trace table could not allocate its first page of memory');
}

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
  samplingInterval = interval;
  for (const t of cores()) if (!t.exports.isTracing()) startCore(t);
  sampler.begin();
}

/** start()'s samplingIntervalBytes while tracing: 0 when every allocation is traced, or when not tracing. */
export function getSamplingIntervalBytes(): number {
  return cores()[0]!.exports.samplingInterval();
}

/**
 * Stops tracing and clears all traces, as tracemalloc.stop() does. The series ends
 * with a sample of the last window (its exact peak) and one of 0 B, the traced
 * memory once cleared; sampling stops and getSamples() keeps the series until start().
 */
export function stop(): void {
  if (isTracing()) {
    sampler.sample();
    for (const t of cores()) t.exports.stop();
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
  return cores().some((t) => !!t.exports.isTracing());
}

export function clearTraces(): void {
  for (const t of cores()) t.exports.clearTraces();
  // The tracebacks the per-site samples named are gone (their ids will be reused).
  sampler.forgetSites();
}

export function getTracebackLimit(): number {
  return tracebackLimit;
}

/** [current, peak] size of traced blocks, in bytes. */
export function getTracedMemory(): [number, number] {
  // With two cores (threads), the peak is the sum of theirs: an upper bound of the
  // process's, exact when one of them holds nothing (the usual case).
  return [sum((t) => t.exports.currentBytes()), sum((t) => t.exports.peakBytes())];
}

export function resetPeak(): void {
  for (const t of cores()) t.exports.resetPeak();
}

/** Bytes the tracer's own structures use (trace table, tracebacks, logs). */
export function getTracemallocMemory(): number {
  return sum((t) => t.exports.tracerBytes() >>> 0);
}

/** Health counters tracemalloc has no equivalent for: what could not be traced exactly. */
export function getTracerStats(): { traces: number; lostTraces: number; untracedFrees: number; doubleFrees: number; tracerBytes: number } {
  // u32 results arrive as i32.
  return {
    traces: sum((t) => t.exports.traceCount() >>> 0),
    lostTraces: sum((t) => t.exports.lostTraces() >>> 0),
    untracedFrees: sum((t) => t.exports.untracedFrees() >>> 0),
    doubleFrees: sum((t) => t.exports.doubleFrees() >>> 0),
    tracerBytes: sum((t) => t.exports.tracerBytes() >>> 0),
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
  return cores().flatMap((t) =>
    t.freeLog().map((e) => ({
      kind: e.kind,
      domain: e.domain,
      module: registry.get(e.domain)?.name ?? '<unknown>',
      address: e.ptr,
      site: frameOf(registry.frame(e.domain, e.site)),
      allocatedAt: e.traceback === null ? null : tracebackOf(t, e.traceback),
    })),
  );
}

function frameOf(d: FrameData): Frame {
  return Frame.from(d);
}

/**
 * A traceback of site ids becomes the concatenation of the sites' frames (a symbolized
 * site has one per inlined call). totalNframe counts frames: those of the recorded
 * sites, plus one for each site beyond the limit (their inlining is not known).
 */
function tracebackOf(table: TraceTable, tb: number): Traceback {
  const t = table.traceback(tb);
  const frames = t.frames.flatMap((f) => registry.frames(f.domain, f.site).map(frameOf));
  return new Traceback(frames, t.totalNframe - t.frames.length + frames.length);
}

/** The traceback where the block at `ptr` was allocated, or null if it is not traced. */
export function getObjectTraceback(ptr: number, domain?: number): Traceback | null {
  const ids = domain === undefined ? registry.all().map((d) => d.id) : [domain];
  for (const id of ids) {
    for (const t of cores()) {
      const tb = t.exports.lookup(id, ptr >>> 0);
      if (tb >= 0) return tracebackOf(t, tb);
    }
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
  const raws = cores().map((t) => ({ t, raw: t.readSnapshot() }));
  const n = raws.reduce((total, { raw }) => total + raw.size.length, 0);
  const frames: FrameData[] = [];
  const siteFrameIndex = new Map<string, number[]>();
  const tracebacks: TracebackData[] = [];
  const tbDomain: number[] = [];
  const domainCol = new Uint32Array(n);
  const tbCol = new Uint32Array(n);
  const sizeCol = new Float64Array(n);
  // Traceback ids are per core: each core's are mapped to the snapshot's indices.
  const indexers = raws.map(({ t }) => {
    const tbIndex = new Map<number, number>();
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
        const data: TracebackData = { frames: fidx, totalNframe: info.totalNframe - info.frames.length + fidx.length };
        // Traced through the threaded core: a program on threads (or a worker's module).
        if (t.shared) data.thread = info.thread;
        tracebacks.push(data);
        tbDomain.push(info.domain);
        tbIndex.set(tb, idx);
      }
      return idx;
    };
    return { tbIndex, indexOf };
  });
  let i = 0;
  raws.forEach(({ raw }, k) => {
    sizeCol.set(raw.size, i);
    for (let j = 0; j < raw.size.length; j++, i++) {
      const idx = indexers[k]!.indexOf(raw.traceback[j]!);
      tbCol[i] = idx;
      domainCol[i] = tbDomain[idx]!;
    }
  });
  // Every traceback's counters, those whose blocks were all freed included. Sampled,
  // the core's counts are sums of weights: rounded per traceback, as statistics round.
  raws.forEach(({ t }, k) => {
    const { tbIndex, indexOf } = indexers[k]!;
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
  });
  // The per-site samples name core ids (siteKey): the snapshot's traceback indices instead.
  if (samples.sites !== undefined) {
    samples.sites.traceback = samples.sites.traceback.map((key) => {
      return indexers[Math.floor(key / SITE_KEY_CORE)]!.indexOf(key % SITE_KEY_CORE);
    });
  }
  const [current, peak] = getTracedMemory();
  const stats = getTracerStats();
  const samplingIntervalBytes = getSamplingIntervalBytes();
  return new Snapshot({
    tracebackLimit,
    frames,
    tracebacks,
    traces: { domain: domainCol, size: sizeCol, traceback: tbCol },
    domains: registry.all().map((d) => ({ id: d.id, name: d.name })),
    meta: {
      timestamp: Date.now(),
      current,
      peak,
      tracerBytes: stats.tracerBytes,
      lostTraces: stats.lostTraces,
      untracedFrees: stats.untracedFrees,
      doubleFrees: stats.doubleFrees,
      // A thread died holding the threaded core's lock (a terminated worker): 1, its last
      // event may be missing; 2, it died changing the table and the traces before were dropped.
      ...(threads?.table.stolen && { lockTakenOver: threads.table.stolen }),
    },
    samples,
    ...(samplingIntervalBytes > 0 && { samplingIntervalBytes }),
  });
}

// ---- linking ----------------------------------------------------------------

export interface TraceImports {
  domain: Domain;
  /** Add this under the key `wasm-tracemalloc` of the module's import object. */
  imports: { alloc: unknown; free: unknown; realloc: unknown; realloc_begin: unknown; realloc_undo: unknown; put: unknown; sp: WebAssembly.Global; nframe: WebAssembly.Global; domain: WebAssembly.Global };
}

/** The site table of an instrumented module, or undefined if it was not instrumented. */
export function siteTableOf(source: Uint8Array | WebAssembly.Module, name = 'module'): SiteTable | undefined {
  const [section] =
    source instanceof Uint8Array
      ? customSections(source, SITE_SECTION)
      : WebAssembly.Module.customSections(source, SITE_SECTION).map((b) => new Uint8Array(b));
  return section ? decodeSiteTable(section, name) : undefined;
}

/**
 * A traced module was compiled under `name`: with threads, a worker that receives it
 * compiled (and so without a name) shows the same name in frames.
 */
export function nameModuleForThreads(sites: SiteTable, name: string): void {
  if (threads && !threads.worker && name !== UNNAMED_MODULE) threads.registry.nameModule(sites, name);
}

/**
 * Registers a new domain for one instance of a traced module and returns its imports.
 * `sharedMemory`: the instance runs on a shared memory (threads): it traces into the
 * threaded core, under the one domain all instances of the module on every thread share.
 */
export function traceImports(sites: SiteTable, moduleName: string, options: { sharedMemory?: boolean } = {}): TraceImports {
  if (options.sharedMemory && !threads) shareTracer();
  const t = threads && (threads.worker || options.sharedMemory) ? threads : undefined;
  // A compiled module posted to a worker has no name here: take the one the main thread gave it.
  if (threads && moduleName === UNNAMED_MODULE) moduleName = threads.registry.nameOf(sites) ?? moduleName;
  let domain: Domain;
  if (t && options.sharedMemory) {
    const found = t.registry.sharedDomain(moduleName, sites);
    domain = found ? registry.adopt({ id: found.id, name: found.name, sites }) : registry.refused(moduleName, sites);
  } else {
    domain = registry.register(moduleName, sites);
    // A worker's domain is published so that the main thread can name its frames (the
    // main thread's own it knows; workers name a posted module by nameModuleForThreads).
    if (t && domain.id !== 0) t.registry.publish(domain.id, domain.name, sites);
  }
  const hot = (t ? t.table : core()).hotImports;
  return {
    domain,
    imports: {
      alloc: hot.alloc,
      free: hot.free,
      realloc: hot.realloc,
      realloc_begin: hot.realloc_begin,
      realloc_undo: hot.realloc_undo,
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
