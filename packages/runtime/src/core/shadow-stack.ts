// The JS side of the shadow stack: every entry from JS into a module that keeps one
// puts `sp` back when it ends in a trap, and the allocator wrappers' nesting guard
// (`depth`, exported as DEPTH_EXPORT) too: a trap inside an allocator would leave it
// set, and its instance would silently trace nothing more.
//
// Before: exports, and functions taken from tables, are the Wasm functions themselves.
//   A trap unwinds every Wasm frame up to JS at once; no `catch_all` sees it, so the
//   trampolines never restore sp, and every later traceback starts with the frames
//   of the call that trapped (stale, up to the whole ring).
// After: each is a JS function that calls it, knowing the depth at entry:
//   0 when no entry is in progress (nothing of Wasm is below JS), else sp as read on
//   entry (Wasm → JS import → this export). When the call throws, sp goes back to it.
//   A JS exception needs nothing more (the module's entry wrappers restore sp too);
//   a trap is what only this sees.
//
// A top-level entry reads nothing (sp is 0 there by definition), so hot exports stay
// cheap: measured, a one-parameter export costs 1–3 ns more per call (about 7 ns
// bare, Node 20). What this cannot see is Wasm entered
// from JS by another way: a function reference that reaches JS other than as an export
// or through a table (a funcref result or argument), or exports of a module linked
// with traceImports() by hand. One that traps leaves sp stale until the next trap
// through a guarded entry; one that calls a guarded export through an import makes it
// take depth 0, so a trap there resets sp below the outer call's frames.
//
// The nesting depths are per instance, and all those of the instances sharing one sp
// are put back together: the trap may come from another instance's allocator (a
// side module calling the main module's malloc). When a top-level entry ends in a
// throw, no allocator can be running, so they all go to 0 there and then. A nested
// entry may run while an allocator waits on JS, whose depth must stay set: a throw
// from one leaves the depths alone until the JS stack is empty (a microtask), then
// sets them to 0. Reading them on each nested entry to put back exactly what it found
// would cost about 65 ns per instance per entry (Global.value and WeakRef.deref,
// measured, Node 20), on every invoke_* of an Emscripten C++ module. Until then, an
// instance whose allocator trapped under a nested entry the host caught is untraced.

import { originals } from './wasm-originals.js';
import { DEPTH_EXPORT, IMPORT_NAMESPACE } from './abi.js';

type WasmFunction = (...args: unknown[]) => unknown;

/** Guards by the `sp` global they restore (one per trace table core). */
const guards = new WeakMap<WebAssembly.Global, EntryGuard>();

/** Whether instances of `module` import the shadow stack's `sp`. */
const keepsStack = new WeakMap<WebAssembly.Module, boolean>();

export function hasShadowStack(module: WebAssembly.Module): boolean {
  let has = keepsStack.get(module);
  if (has === undefined) {
    has = originals.Module.imports(module).some((i) => i.module === IMPORT_NAMESPACE && i.name === 'sp' && i.kind === 'global');
    keepsStack.set(module, has);
  }
  return has;
}

/** Whether instances of `module` keep an allocator nesting guard (export DEPTH_EXPORT). */
const keepsDepth = new WeakMap<WebAssembly.Module, boolean>();

export function hasNestingGuard(module: WebAssembly.Module): boolean {
  let has = keepsDepth.get(module);
  if (has === undefined) {
    has = originals.Module.exports(module).some((e) => e.name === DEPTH_EXPORT && e.kind === 'global');
    keepsDepth.set(module, has);
  }
  return has;
}

/** Whether a trap through the exports of `module` leaves state that only its JS entries can put back. */
export function needsEntryGuard(module: WebAssembly.Module): boolean {
  return hasShadowStack(module) || hasNestingGuard(module);
}

/**
 * The tables `module` imports, as `imports` gives them. Only the imports the module
 * declares are read, as the engine reads them: an import object can be a Proxy whose
 * reads have effects (Emscripten's GOT.mem makes a GOT entry per name read).
 */
export function importedTables(module: WebAssembly.Module, imports: WebAssembly.Imports | undefined): WebAssembly.Table[] {
  const out: WebAssembly.Table[] = [];
  for (const i of originals.Module.imports(module)) {
    if (i.kind !== 'table') continue;
    const value = imports?.[i.module]?.[i.name];
    if (value instanceof WebAssembly.Table) out.push(value);
  }
  return out;
}

/** The guard of the core whose stack pointer is `sp`. */
export function entryGuard(sp: WebAssembly.Global): EntryGuard {
  let g = guards.get(sp);
  if (!g) guards.set(sp, (g = new EntryGuard(sp)));
  return g;
}

export class EntryGuard {
  /** JS → Wasm entries in progress, of every module that shares this sp. */
  private active = 0;
  private readonly wrappers = new WeakMap<WasmFunction, WasmFunction>();
  private readonly unwrapped = new WeakMap<WasmFunction, WasmFunction>();
  private readonly notWasm = new WeakSet<object>();
  private readonly tables = new WeakSet<WebAssembly.Table>();
  private probe: WebAssembly.Table | undefined;
  /** The nesting depths of the instances guarded; an instance collected drops out. */
  private readonly depths: WeakRef<WebAssembly.Global>[] = [];
  private depthsQueued = false;

  constructor(private readonly sp: WebAssembly.Global) {}

  /** Runs `call` as an entry from JS: sp is back at its entry depth if it throws. */
  enter<T>(call: () => T): T {
    if (this.active === 0) {
      this.active = 1;
      try {
        return call();
      } catch (e) {
        this.unwound();
        throw e;
      } finally {
        this.active = 0;
      }
    }
    const base = this.sp.value as number;
    this.active++;
    try {
      return call();
    } catch (e) {
      this.sp.value = base;
      if (this.depths.length) this.resetDepthsWhenIdle();
      throw e;
    } finally {
      this.active--;
    }
  }

  /** A top-level entry ended in a throw: nothing of Wasm is below, so nothing is in progress. */
  private unwound(): void {
    this.sp.value = 0;
    if (this.depths.length) this.resetDepths();
  }

  private resetDepths(): void {
    for (const ref of this.depths) {
      const depth = ref.deref();
      if (depth) depth.value = 0;
    }
  }

  /**
   * A nested entry ended in a throw: the depths go to 0 once no Wasm is running. A
   * microtask runs on an empty JS stack; only a suspended stack (JSPI) can still be
   * in an entry then, and the next throw from a top-level entry resets them instead.
   */
  private resetDepthsWhenIdle(): void {
    if (this.depthsQueued) return;
    this.depthsQueued = true;
    queueMicrotask(() => {
      this.depthsQueued = false;
      if (this.active === 0) this.resetDepths();
    });
  }

  /** Puts the nesting depth of an instance back with sp (hasNestingGuard). */
  watchDepth(depth: WebAssembly.Global): void {
    const n = this.depths.length;
    // Collected instances leave their refs: sweep them at each doubling.
    if (n >= 64 && (n & (n - 1)) === 0) {
      const live = this.depths.filter((ref) => ref.deref());
      this.depths.length = 0;
      this.depths.push(...live);
    }
    this.depths.push(new WeakRef(depth));
  }

  /** An asynchronous instantiation whose start function trapped left sp where it was. */
  settle<T>(instantiation: Promise<T>): Promise<T> {
    return instantiation.catch((e: unknown) => {
      if (this.active === 0) this.unwound();
      throw e;
    });
  }

  /** `fn` as a guarded entry; the same wrapper every time, so identity holds. */
  wrap<F extends WasmFunction>(fn: F): F {
    const known = this.wrappers.get(fn);
    if (known) return known as F;
    if (this.unwrapped.has(fn)) return fn; // already a wrapper
    const wrapper = this.topLevelFast(fn);
    Object.defineProperty(wrapper, 'name', { value: fn.name });
    if (wrapper.length !== fn.length) Object.defineProperty(wrapper, 'length', { value: fn.length });
    this.wrappers.set(fn, wrapper);
    this.unwrapped.set(wrapper, fn);
    return wrapper as F;
  }

  /**
   * A wrapper whose top-level path (no entry in progress, sp 0 on a throw) calls `fn`
   * with exactly its parameter count, the way V8 calls a Wasm function fastest
   * (measured: a few ns over a bare export call, against about 15 ns through
   * `arguments`); a nested call goes through enter(). Extra arguments are dropped,
   * as a Wasm function ignores them anyway; missing ones are undefined either way.
   */
  private topLevelFast(fn: WasmFunction): WasmFunction {
    const g = this;
    switch (fn.length) {
      case 0:
        return function () {
          if (g.active !== 0) return g.enter(() => fn());
          g.active = 1;
          try { return fn(); } catch (e) { g.unwound(); throw e; } finally { g.active = 0; } // prettier-ignore
        };
      case 1:
        return function (a: unknown) {
          if (g.active !== 0) return g.enter(() => fn(a));
          g.active = 1;
          try { return fn(a); } catch (e) { g.unwound(); throw e; } finally { g.active = 0; } // prettier-ignore
        };
      case 2:
        return function (a: unknown, b: unknown) {
          if (g.active !== 0) return g.enter(() => fn(a, b));
          g.active = 1;
          try { return fn(a, b); } catch (e) { g.unwound(); throw e; } finally { g.active = 0; } // prettier-ignore
        };
      case 3:
        return function (a: unknown, b: unknown, c: unknown) {
          if (g.active !== 0) return g.enter(() => fn(a, b, c));
          g.active = 1;
          try { return fn(a, b, c); } catch (e) { g.unwound(); throw e; } finally { g.active = 0; } // prettier-ignore
        };
      case 4:
        return function (a: unknown, b: unknown, c: unknown, d: unknown) {
          if (g.active !== 0) return g.enter(() => fn(a, b, c, d));
          g.active = 1;
          try { return fn(a, b, c, d); } catch (e) { g.unwound(); throw e; } finally { g.active = 0; } // prettier-ignore
        };
      default:
        return function (...args: unknown[]) {
          if (g.active !== 0) return g.enter(() => fn(...args));
          g.active = 1;
          try { return fn(...args); } catch (e) { g.unwound(); throw e; } finally { g.active = 0; } // prettier-ignore
        };
    }
  }

  /** The Wasm function behind a wrapper (anything else unchanged), for Table.set. */
  unwrap(value: unknown): unknown {
    return (typeof value === 'function' && this.unwrapped.get(value as WasmFunction)) || value;
  }

  /** Whether `value` is a Wasm function (a funcref table takes it), not a JS one. */
  private isWasmFunction(value: unknown): value is WasmFunction {
    if (typeof value !== 'function' || this.notWasm.has(value)) return false;
    if (this.wrappers.has(value as WasmFunction)) return true;
    this.probe ??= new WebAssembly.Table({ element: 'anyfunc', initial: 1 });
    try {
      this.probe.set(0, value as WasmFunction);
      this.probe.set(0, null);
      return true;
    } catch {
      this.notWasm.add(value);
      return false;
    }
  }

  /**
   * Functions read from `table` (Emscripten's dynCall, wasm-bindgen's closures) are
   * guarded too: its own get returns wrappers, and set and grow take them back.
   */
  guardTable(table: WebAssembly.Table): void {
    if (this.tables.has(table)) return;
    this.tables.add(table);
    const proto = WebAssembly.Table.prototype;
    const guard = this;
    Object.defineProperties(table, {
      get: {
        configurable: true,
        writable: true,
        value(index: number) {
          const value = proto.get.call(table, index) as unknown;
          return guard.isWasmFunction(value) ? guard.wrap(value) : value;
        },
      },
      set: {
        configurable: true,
        writable: true,
        value(...args: unknown[]) {
          if (args.length > 1) args[1] = guard.unwrap(args[1]);
          return (proto.set as (...a: unknown[]) => void).apply(table, args);
        },
      },
      grow: {
        configurable: true,
        writable: true,
        value(...args: unknown[]) {
          if (args.length > 1) args[1] = guard.unwrap(args[1]);
          return (proto.grow as (...a: unknown[]) => number).apply(table, args);
        },
      },
    });
  }

  /**
   * Gives `instance` an exports object whose functions are guarded entries and whose
   * tables are guarded (the `imported` ones too), without the nesting depth, which is
   * the runtime's to watch (a module's own exports, as it had them). Returns it.
   */
  guardInstance(instance: WebAssembly.Instance, imported: WebAssembly.Table[] = []): WebAssembly.Exports {
    const raw = originals.instanceExports(instance);
    // Built as a plain object, its prototype then set to null as the engine's has it:
    // V8 keeps Object.create(null) in dictionary mode, and each `exports.f(…)` read
    // (wasm-bindgen's glue reads one per call) cost about 4 ns more (measured).
    const out: Record<string, unknown> = {};
    const put = (name: string, value: unknown) => Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    for (const [name, value] of Object.entries(raw)) {
      if (name === DEPTH_EXPORT && value instanceof WebAssembly.Global) this.watchDepth(value);
      else if (typeof value === 'function') put(name, this.wrap(value as WasmFunction));
      else {
        if (value instanceof WebAssembly.Table) this.guardTable(value);
        put(name, value);
      }
    }
    for (const table of imported) this.guardTable(table);
    Object.setPrototypeOf(out, null);
    const exports = Object.freeze(out) as WebAssembly.Exports;
    // An engine whose instances own their exports property keeps them unguarded.
    return Reflect.defineProperty(instance, 'exports', { value: exports, enumerable: true }) ? exports : raw;
  }
}
