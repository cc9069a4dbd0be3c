// The scenarios of test/engines.test.ts, run as they are by Node (through
// wasm-tracemalloc) and by each browser (served by Vite, traced by the plugin): deep
// tracebacks from the shadow stack, start(nframe) changed between calls, calls through
// a function pointer, a JS exception thrown through Wasm frames, C++ exceptions, a
// longjmp, and a trap inside an allocator that the page catches. The results are plain
// data, so that every engine's can be compared.
//
// The modules are built from test/deep by the test: deep.wasm (a reactor, deep.c),
// chain_cpp.wasm (chain.cpp, -fwasm-exceptions), jump.wasm (jump.c, Wasm SjLj) and
// chain_rs.wasm (chain.rs, a wasm32-unknown-unknown cdylib); leak_as.wasm is the
// AssemblyScript fixture (test/fixtures/src/leak_as.ts, its --debug build).

import type { Snapshot } from '@wasm-tracemalloc/runtime';

/** What the scenarios use of the tracemalloc API (the runtime's, or wasm-tracemalloc's in Node). */
export interface TracingApi {
  start(nframe?: number): void;
  stop(): void;
  takeSnapshot(): Snapshot;
}

/** Instantiates the module `name` traced, with `imports`. */
export type Instantiate = (name: string, imports: WebAssembly.Imports) => Promise<WebAssembly.Instance>;

/** One row of statistics('traceback'): a frame is `function@file:line`, or the offset frame's own text. */
export interface Stat {
  size: number;
  count: number;
  totalNframe: number;
  frames: string[];
}

export interface CommandRun {
  status: number;
  stdout: string;
  stats: Stat[];
}

export interface Results {
  /** deep.wasm at start(128): run_index(5). */
  index: Stat[];
  /** The same module after stop(); start(2): run_index(3). */
  indexAt2: Stat[];
  /** run_pointer(3): node_new through a function pointer. */
  pointer: Stat[];
  /** run_recurse(200): 201 frames of recurse, deeper than the 128 kept. */
  recurse: Stat[];
  /** The message of the JS exception run_throw(1) threw through Wasm frames. */
  thrown: string;
  /** After that exception: run_index(2), then run_throw(0). */
  afterThrow: Stat[];
  /** chain.cpp: throws, catches, rethrows and a throw out of operator new. */
  cpp: CommandRun;
  /** jump.c: a longjmp out of a deep chain. */
  jump: CommandRun;
  /**
   * leak_as.ts: instantiation (its `kept` array), a trap inside its allocator that the
   * page catches (rawAlloc of 2 GiB), then leakBuffers(10).
   */
  assemblyscript: Stat[];
  /** chain.rs: run(7), a generic method's Box::new. */
  rust: Stat[];
}

const frameText = (f: { filename: string; lineno: number; function?: string }): string =>
  f.lineno > 0 ? `${f.function}@${f.filename}:${f.lineno}` : String(f);

/** A snapshot's statistics('traceback'), as plain data in a fixed order. */
export function statsOf(snapshot: Snapshot): Stat[] {
  return snapshot
    .statistics('traceback')
    .map((s) => ({ size: s.size, count: s.count, totalNframe: s.traceback.totalNframe, frames: s.traceback.frames.map(frameText) }))
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

const stats = (api: TracingApi): Stat[] => statsOf(api.takeSnapshot());

/** Tracing again from nothing, at `nframe`. */
function restart(api: TracingApi, nframe: number): void {
  api.stop();
  api.start(nframe);
}

class Exit {
  constructor(readonly code: number) {}
}

/** The WASI calls the two commands import: stdout kept in a string, proc_exit thrown. */
function wasi(memory: () => WebAssembly.Memory) {
  let stdout = '';
  const decoder = new TextDecoder();
  const imports = {
    fd_write(fd: number, iovs: number, count: number, written: number): number {
      const view = new DataView(memory().buffer);
      let total = 0;
      for (let i = 0; i < count; i++) {
        const ptr = view.getUint32(iovs + 8 * i, true);
        const len = view.getUint32(iovs + 8 * i + 4, true);
        if (fd === 1) stdout += decoder.decode(new Uint8Array(memory().buffer, ptr, len));
        total += len;
      }
      view.setUint32(written, total, true);
      return 0;
    },
    fd_close: () => 0,
    fd_seek: () => 70, // ESPIPE: stdout is a pipe
    fd_fdstat_get: () => 8, // EBADF: not a terminal
    proc_exit(code: number): never {
      throw new Exit(code);
    },
  };
  return { imports, stdout: () => stdout };
}

async function command(api: TracingApi, instantiate: Instantiate, name: string): Promise<CommandRun> {
  restart(api, 128);
  let memory: WebAssembly.Memory | undefined;
  const io = wasi(() => memory!);
  const instance = await instantiate(name, { wasi_snapshot_preview1: io.imports });
  memory = instance.exports.memory as WebAssembly.Memory;
  let status = 0;
  try {
    (instance.exports._start as () => void)();
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    status = e.code;
  }
  return { status, stdout: io.stdout(), stats: stats(api) };
}

/**
 * Runs every scenario. Tracing stays on at the end (the Rust nodes live) unless
 * `stopAtEnd`: a page keeps it for the live page's snapshot; Node stops.
 */
export async function runScenarios(api: TracingApi, instantiate: Instantiate, { stopAtEnd = true } = {}): Promise<Results> {
  const env = {
    may_throw: (n: number) => {
      if (n) throw new Error(`thrown from JS (${n})`);
    },
  };
  restart(api, 128);
  const deep = (await instantiate('deep.wasm', { env })).exports as Record<string, (n?: number) => number>;
  deep._initialize!();

  deep.run_index!(5);
  const index = stats(api);
  restart(api, 2);
  deep.run_index!(3);
  const indexAt2 = stats(api);
  restart(api, 128);
  deep.run_pointer!(3);
  const pointer = stats(api);
  restart(api, 128);
  deep.run_recurse!(200);
  const recurse = stats(api);

  restart(api, 128);
  let thrown = 'nothing was thrown';
  try {
    deep.run_throw!(1);
  } catch (e) {
    thrown = (e as Error).message;
  }
  deep.run_index!(2);
  deep.run_throw!(0);
  const afterThrow = stats(api);

  const cpp = await command(api, instantiate, 'chain_cpp.wasm');
  const jump = await command(api, instantiate, 'jump.wasm');

  // An abort() that returns leaves AssemblyScript at the `unreachable` after it: TLSF
  // refuses the size inside __alloc, while the allocator wrapper's nesting guard is
  // set, and the engine unwinds to here with no Wasm code seeing it. Its later
  // allocations must be traced as before, with no stale shadow-stack frames.
  restart(api, 128);
  let abortReturns = false;
  const abort = () => {
    if (!abortReturns) throw new Error('leak_as.wasm aborted');
  };
  const as = (await instantiate('leak_as.wasm', { env: { abort } })).exports as Record<string, (n: number) => number>;
  abortReturns = true;
  let trapped = false;
  try {
    as.rawAlloc!(0x7fffffff);
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError)) throw e;
    trapped = true;
  }
  abortReturns = false;
  if (!trapped) throw new Error('leak_as.wasm: rawAlloc(0x7fffffff) did not trap once abort() returned');
  if (as.leakBuffers!(10) !== 10) throw new Error('leak_as.wasm: leakBuffers(10) did not keep 10 buffers');
  const assemblyscript = stats(api);

  restart(api, 128);
  const rs = (await instantiate('chain_rs.wasm', {})).exports as Record<string, (n: number) => number>;
  if (rs.run!(7) !== 7) throw new Error('chain_rs.wasm: run(7) did not make 7 nodes');
  const rust = stats(api);
  if (stopAtEnd) api.stop();
  return { index, indexAt2, pointer, recurse, thrown, afterThrow, cpp, jump, assemblyscript, rust };
}
