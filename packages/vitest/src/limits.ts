// limitLeaks and limitMemory: pytest-memray's limit_leaks and limit_memory for the
// Wasm modules a block of test code runs.
//
// Each measured block is traced from an empty trace table, as memray tracks each
// test on its own: tracing restarts before the block, and after it goes on as it was
// (the Vite plugin's page starts it in browser mode) or stops. Then
//   leaks = the blocks allocated inside the block and still live at its end
//           (exactly the traces left: blocks from before were never traced, and
//           their frees inside the block count as untraced frees, which is normal);
//   peak  = the core's high-water mark of traced memory inside the block.
// Restarting clears traces, so a block cannot be measured while another is.

import { DomainFilter, fnmatch, parseSize, getSamplingIntervalBytes, getTracebackLimit, isTracing, start, stop, takeSnapshot, getTracedMemory, type Snapshot } from '@wasm-tracemalloc/runtime';
import { formatBytes, formatLimit, formatTopTracebacks } from './report.js';

export interface LimitOptions {
  /**
   * Count only the blocks of this module: its file name as frames print it
   * (`leak.wasm`), or a glob (`*.wasm`). Leak limits only: the trace table keeps
   * one peak for all modules.
   */
  module?: string;
  /** Frames per traceback in a failure (start()'s nframe; modules keep at most 128). Default 16. */
  nframe?: number;
  /** Allocation sites a failure lists. Default 5. */
  top?: number;
}

export interface Limits extends LimitOptions {
  /** Most memory the block may leave allocated at its end, such as "1 MB". */
  leaks?: string | number;
  /** Most traced memory the block may hold at once (its peak), such as "24 MB". */
  memory?: string | number;
}

/** What a measured block did. */
export interface WasmMemoryUsage {
  /** Bytes allocated in the block and still live at its end (in `module` only, if given). */
  leakedBytes: number;
  leakedBlocks: number;
  /** The high-water mark of traced memory in the block, all modules together. */
  peakBytes: number;
  /** The blocks left at the end (in `module` only, if given), for further questions. */
  leaked: Snapshot;
}

/** Thrown by limitLeaks, limitMemory and withLimits when a limit is exceeded; its message is the report. */
export class WasmMemoryLimitError extends Error {
  override name = 'WasmMemoryLimitError';
  constructor(
    message: string,
    readonly usage: WasmMemoryUsage,
  ) {
    super(message);
  }
}

let measuring = false;

const DEFAULT_NFRAME = 16;
const DEFAULT_TOP = 5;

/** Runs `fn` traced from an empty table and measures its leaks and peak. */
export async function measureWasmMemory(fn: () => unknown, options: LimitOptions = {}): Promise<WasmMemoryUsage> {
  if (typeof fn !== 'function') throw new TypeError(`expected the block to measure as a function, got ${describe(fn)}`);
  if (measuring) {
    throw new Error('a Wasm memory limit is already measuring another block (nested limits, or concurrent tests): each block is traced from an empty trace table, so measure one at a time');
  }
  const before = isTracing() ? { nframe: getTracebackLimit(), samplingIntervalBytes: getSamplingIntervalBytes() } : undefined;
  measuring = true;
  try {
    // A limit needs every block, exactly: a sampling start() is restarted without sampling.
    stop();
    start(options.nframe ?? DEFAULT_NFRAME);
    try {
      await fn();
      const [, peakBytes] = getTracedMemory();
      const snapshot = takeSnapshot();
      if (snapshot.domains.length === 0) {
        throw new Error("no Wasm module is traced, so there is nothing to limit: add '@wasm-tracemalloc/vitest/setup' to test.setupFiles in the vitest config (in Node it instruments every module compiled after it), and in browser mode the Vite plugin (@wasm-tracemalloc/vite-plugin) to its plugins");
      }
      const leaked = options.module === undefined ? snapshot : onlyModule(snapshot, options.module);
      const { size, count } = leaked.total();
      return { leakedBytes: size, leakedBlocks: count, peakBytes, leaked };
    } finally {
      stop();
      if (before) start(before.nframe, { samplingIntervalBytes: before.samplingIntervalBytes });
    }
  } finally {
    measuring = false;
  }
}

function onlyModule(snapshot: Snapshot, module: string): Snapshot {
  const domains = snapshot.domains.filter((d) => d.name === module || fnmatch(d.name, module));
  if (domains.length === 0) {
    const names = [...new Set(snapshot.domains.map((d) => d.name))].sort();
    throw new Error(`no traced Wasm module is named ${JSON.stringify(module)}; the traced modules are ${names.length ? names.join(', ') : 'none'}: pass one of these names (or a glob) as { module }`);
  }
  return snapshot.filterTraces(domains.map((d) => new DomainFilter(true, d.id)));
}

/**
 * Fails (throws WasmMemoryLimitError) if `fn` leaves more than `limit` of Wasm
 * memory allocated at its end, as pytest-memray's `limit_leaks`. Returns what it measured.
 *   await limitLeaks('1 MB', () => instance.exports.work());
 */
export async function limitLeaks(limit: string | number, fn: () => unknown, options: LimitOptions = {}): Promise<WasmMemoryUsage> {
  return withLimits({ ...options, leaks: limit }, fn);
}

/**
 * Fails (throws WasmMemoryLimitError) if the traced Wasm memory of all modules
 * exceeds `limit` at any moment while `fn` runs, as pytest-memray's `limit_memory`.
 */
export async function limitMemory(limit: string | number, fn: () => unknown, options: Omit<LimitOptions, 'module'> = {}): Promise<WasmMemoryUsage> {
  return withLimits({ ...options, memory: limit }, fn);
}

/**
 * Both limits on one block; also the per-test form:
 *   test('parses', () => withLimits({ leaks: '1 MB', memory: '24 MB' }, async () => { … }));
 */
export async function withLimits(limits: Limits, fn: () => unknown): Promise<WasmMemoryUsage> {
  const usage = await measureWasmMemory(fn, checkOptions(limits));
  const failure = checkLimits(limits, usage);
  if (failure) throw failure;
  return usage;
}

/** The measuring options of `limits`, after checking them (before the block runs). */
export function checkOptions(limits: Limits): LimitOptions {
  if (typeof limits !== 'object' || limits === null) throw new TypeError(`expected limits such as { leaks: '1 MB', memory: '24 MB' }, got ${describe(limits)}`);
  if (limits.leaks === undefined && limits.memory === undefined) throw new TypeError("withLimits: give { leaks } or { memory } (or both), such as { leaks: '1 MB' }");
  if (limits.module !== undefined && limits.memory !== undefined) {
    throw new Error(`a memory (peak) limit cannot be set for one module (${JSON.stringify(limits.module)}): the trace table keeps one peak for all modules; limit the peak of all modules, or limit this module's leaks`);
  }
  if (limits.leaks !== undefined) parseSize(limits.leaks, 'leak limit');
  if (limits.memory !== undefined) parseSize(limits.memory, 'memory limit');
  return { module: limits.module, nframe: limits.nframe, top: limits.top };
}

/** The failure for `usage` against `limits`, or undefined when both hold. */
export function checkLimits(limits: Limits, usage: WasmMemoryUsage): WasmMemoryLimitError | undefined {
  const top = limits.top ?? DEFAULT_TOP;
  const where = limits.module === undefined ? '' : ` in ${limits.module}`;
  const lines: string[] = [];
  if (limits.memory !== undefined) {
    const bytes = parseSize(limits.memory, 'memory limit');
    if (usage.peakBytes > bytes) {
      lines.push(`Wasm memory limit exceeded: peak ${formatBytes(usage.peakBytes)}, limit ${formatLimit(limits.memory, bytes)}`);
    }
  }
  if (limits.leaks !== undefined) {
    const bytes = parseSize(limits.leaks, 'leak limit');
    if (usage.leakedBytes > bytes) {
      lines.push(`Wasm leak limit exceeded${where}: ${formatBytes(usage.leakedBytes)} in ${usage.leakedBlocks} blocks still allocated at the end, limit ${formatLimit(limits.leaks, bytes)}`);
    }
  }
  if (lines.length === 0) return undefined;
  if (usage.leakedBlocks > 0) {
    lines.push(`Allocated in the block and still live at its end${where}:`, ...formatTopTracebacks(usage.leaked, top));
  } else {
    // The core keeps the peak's size, not which blocks made it.
    lines.push(`Every block allocated in the block${where} was freed by its end; the sites that made the peak are not recorded.`);
  }
  return new WasmMemoryLimitError(lines.join('\n'), usage);
}

function describe(value: unknown): string {
  return typeof value === 'function' ? 'a function' : value === null ? 'null' : typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

