// The JS side of the trace table core (assembly/trace-table.ts): instantiation,
// typed exports, and the copies out of core memory that the model needs. Nothing
// here is on the hot path: instrumented modules call the core's exports directly.

import { originals } from './wasm-originals.js';
import { traceTableSharedWasm, traceTableWasm } from './trace-table-wasm.generated.js';
import { unpackFrame } from './abi.js';

export { unpackFrame } from './abi.js';

/** The core's exports. u32 results come back from Wasm as i32: read them with `>>> 0`. */
export interface TraceTableExports {
  readonly memory: WebAssembly.Memory;

  // Hot path (imported by instrumented modules as module "wasm-tracemalloc").
  alloc(domain: number, ptr: number, size: number, site: number): void;
  free(domain: number, ptr: number, site: number): void;
  realloc(domain: number, oldPtr: number, newPtr: number, size: number, site: number): void;
  /** The halves of a realloc in a module on shared memory: before the call, and after it failed. */
  reallocBegin(domain: number, oldPtr: number, site: number): void;
  reallocUndo(domain: number, oldPtr: number): void;

  // Control.
  /**
   * 1 when tracing afterwards, 0 if the initial structures did not fit in memory.
   * `samplingInterval` ≥ 1 traces a Poisson sample, one per that many bytes on
   * average, drawn from `seed`; 0 (or absent) traces every allocation.
   */
  start(nframe: number, samplingInterval?: number, seed?: number): number;
  /** The mean bytes between samples while sampling; 0 when tracing exactly or not tracing. */
  samplingInterval(): number;
  stop(): void;
  isTracing(): number;
  clearTraces(): void;
  resetPeak(): void;
  currentBytes(): number;
  peakBytes(): number;
  /** The highest traced size since the previous call (or start()); the next window starts at current. */
  takeWindowPeak(): number;
  traceCount(): number;
  tracebackCount(): number;
  lostTraces(): number;
  untracedFrees(): number;
  doubleFrees(): number;
  tracerBytes(): number;
  memoryBytes(): number;
  /** Traceback id of the live trace of (domain, ptr), or -1. */
  lookup(domain: number, ptr: number): number;
  /** Address of [count][(tb, size) × count], or 0 if memory could not grow. */
  snapshot(): number;
  tbDomain(tb: number): number;
  /** The number of the thread that allocated with traceback tb (0: the main thread, or the core is not threaded). */
  tbThread(tb: number): number;
  tbNframe(tb: number): number;
  tbTotalNframe(tb: number): number;
  tbFrame(tb: number, i: number): number;
  // Per-traceback counters since start() or clearTraces() (estimates when sampling).
  tbAllocCount(tb: number): number;
  tbAllocBytes(tb: number): number;
  tbFreeCount(tb: number): number;
  tbFreeBytes(tb: number): number;
  tbLiveCount(tb: number): number;
  tbLiveBytes(tb: number): number;
  /** Live blocks and bytes of tb when peakBytes() was reached (or last reset). */
  tbPeakCount(tb: number): number;
  tbPeakBytes(tb: number): number;
  /** The first traceback id, or 0; tbNext walks them all in the order they were interned. */
  tbFirst(): number;
  tbNext(tb: number): number;
  /** Address of [count u32, pad][(tb, allocCount, allocBytes, freeCount, freeBytes, peakCount, peakBytes) × count], or 0. */
  tracebackCounters(): number;
  freeLogCount(): number;
  freeLogTotal(): number;
  freeLogEntry(i: number): number;
  setMemoryLimitPages(pages: number): void;

  // Shadow stack (modules instrumented with maxFrames > 1).
  /** Depth of the current traced call chain. */
  readonly sp: WebAssembly.Global;
  /** The traceback limit while tracing, 1 otherwise. */
  readonly nframe: WebAssembly.Global;
  put(depth: number, domain: number, site: number): void;
}

/** The threaded core's further exports (assembly/trace-table-shared.ts). */
export interface SharedTraceTableExports extends TraceTableExports {
  /** Makes this instance thread `thread`; its slot + 1, or 0 when all 256 slots are taken. */
  attach(thread: number, mayWait: number): number;
  detach(): void;
  /** Thread `thread` is about to be terminated: once this returns it is not inside the lock, and never enters it again. */
  fence(thread: number): number;
  /** The fenced thread has ended: its slot may be reused. */
  forget(thread: number): void;
  /** Takes the lock across several calls (reentrant); release() lets it go. */
  hold(): void;
  release(): void;
  /**
   * 0, or how the lock was taken over from a thread that died holding it (a terminated
   * worker): 1 with the state whole (off by that thread's last event at most), 2 with
   * every trace before it dropped (it died while changing the table).
   */
  stolen(): number;
}

/**
 * What a thread needs to run its own instance of the threaded core: the compiled core
 * and the shared memory the trace table lives in. Both can be posted to a worker.
 */
export interface SharedCoreHandle {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

let blocking: boolean | undefined;

/** Whether this thread may block in Atomics.wait: a page's main thread may not. */
function mayBlock(): boolean {
  if (blocking === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blocking = true;
    } catch {
      blocking = false;
    }
  }
  return blocking;
}

/** Pages of the threaded core's memory: it must be reserved up front, and 1 GiB holds tens of millions of traces. */
const SHARED_MAX_PAGES = 16384;

/** What an instrumented module imports from "wasm-tracemalloc" (all but its domain). */
export interface HotImports {
  alloc: TraceTableExports['alloc'];
  free: TraceTableExports['free'];
  realloc: TraceTableExports['realloc'];
  realloc_begin: TraceTableExports['reallocBegin'];
  realloc_undo: TraceTableExports['reallocUndo'];
  put: TraceTableExports['put'];
  sp: WebAssembly.Global;
  nframe: WebAssembly.Global;
}

export interface CoreFrame {
  domain: number;
  site: number;
}

export interface CoreTraceback {
  /** The domain of the traced block. */
  domain: number;
  /** The thread that allocated (0: the main thread). */
  thread: number;
  /** Oldest → most recent; a chain may cross domains (A → JS → B). */
  frames: CoreFrame[];
  totalNframe: number;
}

/** A traceback's counters in the core (see assembly/trace-table.ts, per-traceback counters). */
export interface TracebackCounters {
  tb: number;
  allocCount: number;
  allocBytes: number;
  freeCount: number;
  freeBytes: number;
  /** Live blocks and bytes of tb at the traced peak. */
  peakCount: number;
  peakBytes: number;
}

export interface InvalidFree {
  domain: number;
  ptr: number;
  site: number;
  kind: 'untraced' | 'double';
  /** Traceback id of the original alloc, for a double free. */
  traceback: number | null;
}

const FREE_LOG_KIND: Record<number, InvalidFree['kind']> = { 1: 'untraced', 2: 'double' };
const NO_TRACEBACK = 0xffffffff;

let compiled: WebAssembly.Module | undefined;
let compiledShared: WebAssembly.Module | undefined;
/** Every core made, so that a domain id is reused only when none refers to it. */
const cores = new Set<WeakRef<TraceTable>>();

export class TraceTable {
  private constructor(
    readonly exports: TraceTableExports,
    /** The threaded core's handle, to pass to other threads; undefined for a core of one thread. */
    readonly shared?: SharedCoreHandle,
  ) {}

  /** A new, independent core with its own memory, built synchronously. */
  static create(): TraceTable {
    compiled ??= new originals.Module(traceTableWasm());
    const instance = new originals.Instance(compiled, {});
    const table = new TraceTable(instance.exports as unknown as TraceTableExports);
    cores.add(new WeakRef(table));
    return table;
  }

  /** A handle for a new threaded core: the compiled core and a new shared memory. */
  static newSharedHandle(): SharedCoreHandle {
    compiledShared ??= new originals.Module(traceTableSharedWasm());
    return { module: compiledShared, memory: new WebAssembly.Memory({ initial: 4, maximum: SHARED_MAX_PAGES, shared: true }) };
  }

  /**
   * This thread's instance of the threaded core of `handle`, as thread number
   * `thread`; undefined when the core has no slot left (256 threads at once).
   */
  static attachShared(handle: SharedCoreHandle, thread: number): TraceTable | undefined {
    const instance = new originals.Instance(handle.module, { env: { memory: handle.memory } });
    const exports = instance.exports as unknown as SharedTraceTableExports;
    if (!exports.attach(thread >>> 0, mayBlock() ? 1 : 0)) return undefined;
    const table = new TraceTable(exports, handle);
    cores.add(new WeakRef(table));
    return table;
  }

  /** Runs `read` with the lock held, so that what it copies out of core memory is consistent. */
  locked<T>(read: () => T): T {
    if (!this.shared) return read();
    const e = this.exports as SharedTraceTableExports;
    e.hold();
    try {
      return read();
    } finally {
      e.release();
    }
  }

  /**
   * Runs `terminate` (ending the thread numbered `thread`) so that it cannot catch that
   * thread inside the core's lock: the thread is fenced out of it first.
   */
  terminating<T>(thread: number, terminate: () => Promise<T>): Promise<T> {
    if (!this.shared) return terminate();
    const e = this.exports as SharedTraceTableExports;
    e.fence(thread >>> 0);
    return terminate().finally(() => e.forget(thread >>> 0));
  }

  /** This thread is ending: its slot of the threaded core may be reused. */
  detach(): void {
    if (this.shared) (this.exports as SharedTraceTableExports).detach();
  }

  /** 0, or how a thread that died holding the threaded core's lock was dealt with (SharedTraceTableExports.stolen). */
  get stolen(): number {
    return this.shared ? (this.exports as SharedTraceTableExports).stolen() : 0;
  }

  /** The domains that a live trace of any core refers to (see domainsReferenced). */
  static domainsReferencedByAny(): Set<number> {
    const out = new Set<number>();
    for (const ref of cores) {
      const table = ref.deref();
      if (!table) cores.delete(ref);
      else for (const d of table.domainsReferenced()) out.add(d);
    }
    return out;
  }

  /**
   * The domains of the live traces, and of every frame of their tracebacks (a chain
   * can cross modules). Tracebacks no live trace uses are left out: one interned
   * again holds the same numbers, so a reused id reads them as the new instance's.
   */
  domainsReferenced(): Set<number> {
    const out = new Set<number>();
    if (!this.exports.isTracing()) return out;
    const seen = new Set<number>();
    for (const tb of this.readSnapshot().traceback) {
      if (seen.has(tb)) continue;
      seen.add(tb);
      const t = this.traceback(tb);
      out.add(t.domain);
      for (const f of t.frames) out.add(f.domain);
    }
    return out;
  }

  /**
   * The raw Wasm exports, to pass straight into another module's imports so that
   * each call stays Wasm-to-Wasm.
   */
  get hotImports(): HotImports {
    const { alloc, free, realloc, reallocBegin, reallocUndo, put, sp, nframe } = this.exports;
    return { alloc, free, realloc, realloc_begin: reallocBegin, realloc_undo: reallocUndo, put, sp, nframe };
  }

  /** Every live trace, copied out of core memory. */
  readSnapshot(): { traceback: Uint32Array; size: Float64Array } {
    return this.locked(() => this.copySnapshot());
  }

  private copySnapshot(): { traceback: Uint32Array; size: Float64Array } {
    const address = this.exports.snapshot() >>> 0;
    if (address === 0) {
      throw new Error(
        `the trace table could not grow its memory to copy out ${this.exports.traceCount() >>> 0} traces ` +
          `(core memory is ${this.exports.memoryBytes()} bytes); the Wasm engine refused more pages`,
      );
    }
    const words = new Uint32Array(this.exports.memory.buffer, address);
    const count = words[0]!;
    const traceback = new Uint32Array(count);
    const size = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      traceback[i] = words[1 + 2 * i]!;
      size[i] = words[2 + 2 * i]!;
    }
    return { traceback, size };
  }

  /** Every traceback's counters (one walk of the core's store), in the order they were interned. */
  readTracebackCounters(): TracebackCounters[] {
    return this.locked(() => this.copyTracebackCounters());
  }

  private copyTracebackCounters(): TracebackCounters[] {
    const address = this.exports.tracebackCounters() >>> 0;
    if (address === 0) {
      throw new Error(`the trace table could not grow its memory to copy out the counters of ${this.exports.tracebackCount() >>> 0} tracebacks`);
    }
    const buffer = this.exports.memory.buffer;
    const count = new Uint32Array(buffer, address, 1)[0]!;
    const words = new Uint32Array(buffer, address + 8, count * 14);
    const values = new Float64Array(buffer, address + 8, count * 7);
    const out = new Array<TracebackCounters>(count);
    for (let i = 0; i < count; i++) {
      const v = i * 7;
      out[i] = {
        tb: words[i * 14]!,
        allocCount: values[v + 1]!,
        allocBytes: values[v + 2]!,
        freeCount: values[v + 3]!,
        freeBytes: values[v + 4]!,
        peakCount: values[v + 5]!,
        peakBytes: values[v + 6]!,
      };
    }
    return out;
  }

  /** Live bytes (allocated − freed) of every traceback, by id: what the sampler reads per site. */
  liveBytesByTraceback(): { traceback: Uint32Array; size: Float64Array } {
    return this.locked(() => this.copyLiveBytes());
  }

  private copyLiveBytes(): { traceback: Uint32Array; size: Float64Array } {
    const address = this.exports.tracebackCounters() >>> 0;
    if (address === 0) return { traceback: new Uint32Array(0), size: new Float64Array(0) };
    const buffer = this.exports.memory.buffer;
    const count = new Uint32Array(buffer, address, 1)[0]!;
    const words = new Uint32Array(buffer, address + 8, count * 14);
    const values = new Float64Array(buffer, address + 8, count * 7);
    const traceback = new Uint32Array(count);
    const size = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      traceback[i] = words[i * 14]!;
      size[i] = values[i * 7 + 2]! - values[i * 7 + 4]!;
    }
    return { traceback, size };
  }

  /** The interned traceback `tb` (valid until the next clearTraces or stop). */
  traceback(tb: number): CoreTraceback {
    return this.locked(() => this.readTraceback(tb));
  }

  private readTraceback(tb: number): CoreTraceback {
    const e = this.exports;
    const nframe = e.tbNframe(tb) >>> 0;
    if (nframe === 0) throw new RangeError(`${tb} is not a traceback id of this trace table (cleared or stopped since?)`);
    const frames = new Array<CoreFrame>(nframe);
    for (let i = 0; i < nframe; i++) frames[i] = unpackFrame(e.tbFrame(tb, i) >>> 0);
    return { domain: e.tbDomain(tb) >>> 0, thread: e.tbThread(tb) >>> 0, frames, totalNframe: e.tbTotalNframe(tb) >>> 0 };
  }

  /** The invalid-free log, oldest first (the last 256 at most). */
  freeLog(): InvalidFree[] {
    return this.locked(() => this.readFreeLog());
  }

  private readFreeLog(): InvalidFree[] {
    const e = this.exports;
    const n = e.freeLogCount() >>> 0;
    const out: InvalidFree[] = [];
    for (let i = 0; i < n; i++) {
      const [domain, ptr, site, kind, tb] = new Uint32Array(e.memory.buffer, e.freeLogEntry(i) >>> 0, 5);
      out.push({
        domain: domain!,
        ptr: ptr!,
        site: site!,
        kind: FREE_LOG_KIND[kind!]!,
        traceback: tb === NO_TRACEBACK ? null : tb!,
      });
    }
    return out;
  }
}
