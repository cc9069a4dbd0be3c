// The JS side of the shadow stack: every entry from JS into a module that keeps one
// puts `sp` back when it ends in a trap.
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

import { originals } from './wasm-originals.js';
import { IMPORT_NAMESPACE } from './abi.js';

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

  constructor(private readonly sp: WebAssembly.Global) {}

  /** Runs `call` as an entry from JS: sp is back at its entry depth if it throws. */
  enter<T>(call: () => T): T {
    if (this.active === 0) {
      this.active = 1;
      try {
        return call();
      } catch (e) {
        this.sp.value = 0;
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
      throw e;
    } finally {
      this.active--;
    }
  }

  /** An asynchronous instantiation whose start function trapped left sp where it was. */
  settle<T>(instantiation: Promise<T>): Promise<T> {
    return instantiation.catch((e: unknown) => {
      if (this.active === 0) this.sp.value = 0;
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
    const sp = this.sp;
    switch (fn.length) {
      case 0:
        return function () {
          if (g.active !== 0) return g.enter(() => fn());
          g.active = 1;
          try { return fn(); } catch (e) { sp.value = 0; throw e; } finally { g.active = 0; } // prettier-ignore
        };
      case 1:
        return function (a: unknown) {
          if (g.active !== 0) return g.enter(() => fn(a));
          g.active = 1;
          try { return fn(a); } catch (e) { sp.value = 0; throw e; } finally { g.active = 0; } // prettier-ignore
        };
      case 2:
        return function (a: unknown, b: unknown) {
          if (g.active !== 0) return g.enter(() => fn(a, b));
          g.active = 1;
          try { return fn(a, b); } catch (e) { sp.value = 0; throw e; } finally { g.active = 0; } // prettier-ignore
        };
      case 3:
        return function (a: unknown, b: unknown, c: unknown) {
          if (g.active !== 0) return g.enter(() => fn(a, b, c));
          g.active = 1;
          try { return fn(a, b, c); } catch (e) { sp.value = 0; throw e; } finally { g.active = 0; } // prettier-ignore
        };
      case 4:
        return function (a: unknown, b: unknown, c: unknown, d: unknown) {
          if (g.active !== 0) return g.enter(() => fn(a, b, c, d));
          g.active = 1;
          try { return fn(a, b, c, d); } catch (e) { sp.value = 0; throw e; } finally { g.active = 0; } // prettier-ignore
        };
      default:
        return function (...args: unknown[]) {
          if (g.active !== 0) return g.enter(() => fn(...args));
          g.active = 1;
          try { return fn(...args); } catch (e) { sp.value = 0; throw e; } finally { g.active = 0; } // prettier-ignore
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
   * tables are guarded (the `imported` ones too). Returns it.
   */
  guardInstance(instance: WebAssembly.Instance, imported: WebAssembly.Table[] = []): WebAssembly.Exports {
    const raw = originals.instanceExports(instance);
    const out: Record<string, unknown> = Object.create(null);
    for (const [name, value] of Object.entries(raw)) {
      if (typeof value === 'function') out[name] = this.wrap(value as WasmFunction);
      else {
        if (value instanceof WebAssembly.Table) this.guardTable(value);
        out[name] = value;
      }
    }
    for (const table of imported) this.guardTable(table);
    const exports = Object.freeze(out) as WebAssembly.Exports;
    // An engine whose instances own their exports property keeps them unguarded.
    return Reflect.defineProperty(instance, 'exports', { value: exports, enumerable: true }) ? exports : raw;
  }
}
