// Linking a traced module: its imports gain the namespace `wasm-tracemalloc`, whose
// functions are the trace table core's own exports, so that an allocation goes
// Wasm → Wasm with no JS in between. Every instance is a new domain, whose id is
// reused once the instance is collected (domains.ts). An instance with a shadow
// stack or an allocator nesting guard gets guarded exports (core/shadow-stack.ts),
// so that a trap leaves no stale frames behind, and no allocator marked as running.

import { originals } from './core/wasm-originals.js';
import { IMPORT_NAMESPACE } from './core/abi.js';
import { entryGuard, importedTables, needsEntryGuard } from './core/shadow-stack.js';
import { releaseNow, releaseWhenCollected, UNNAMED_MODULE, type Domain } from './domains.js';
import { siteTableOf, traceImports } from './tracemalloc.js';
import { decodeSiteTable, withSideTable, type SiteTable } from './site-table.js';
import { moduleNameOf } from './wasm-sections.js';

export { IMPORT_NAMESPACE } from './core/abi.js';
export { UNNAMED_MODULE } from './domains.js';

/**
 * Instruments bytes that are not instrumented yet (Node: the instrument package). It
 * may return the site table with its source frames beside the bytes (symbols 'side').
 */
export type InstrumentHook = (bytes: Uint8Array, source: string) => Uint8Array | { bytes: Uint8Array; sites?: SiteTable };

export interface PreparedModule {
  bytes: Uint8Array;
  /** Undefined when the module is not traced (no allocator, or no instrument hook). */
  sites?: SiteTable;
  name: string;
}

export function toBytes(source: BufferSource): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return new Uint8Array(source as ArrayBuffer);
}

function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  const step = Math.max(1, Math.floor(bytes.length / 65536));
  for (let i = 0; i < bytes.length; i += step) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** A name for frames: the given one, the name section's module name, or a content hash. */
export function moduleName(bytes: Uint8Array, name?: string): string {
  if (name) return name.split(/[\\/]/).pop()!.split('?')[0]! || name;
  return moduleNameOf(bytes) ?? `wasm-${fnv1a(bytes)}.wasm`;
}

/**
 * A side table (`OUT.wasm.sites.json` from `instrument --symbols side`): the table
 * itself, or its JSON as text or bytes.
 */
export type SideTable = SiteTable | string | Uint8Array;

/**
 * The table of an instrumented module whose own table cannot be read (damaged, or
 * written by another version of the pass): the module still imports the trace
 * namespace, so it links with imports that record nothing and runs untraced.
 */
export const UNREADABLE_SITE_TABLE: SiteTable = Object.freeze({ version: 0, codeSectionOffset: 0, sites: [] });

/**
 * siteTableOf for linking: a table that cannot be read makes the module run untraced,
 * with a warning, rather than fail where the program instantiates it.
 */
export function linkableSiteTable(source: Uint8Array | WebAssembly.Module, name: string, warn: (message: string) => void = (m) => console.warn(m)): SiteTable | undefined {
  try {
    return siteTableOf(source, name);
  } catch (error) {
    const problem = (error as Error).message.replace(/; instrument the original module [^;]*$/, '');
    warn(`wasm-tracemalloc: ${problem}; ${name} runs untraced: instrument the original module again, with this version of wasm-tracemalloc`);
    return UNREADABLE_SITE_TABLE;
  }
}

function sideTableOf(side: SideTable, name: string): SiteTable {
  if (typeof side === 'string') return decodeSiteTable(new TextEncoder().encode(side), `side table of ${name}`);
  if (side instanceof Uint8Array) return decodeSiteTable(side, `side table of ${name}`);
  return side;
}

export function prepareModule(bytes: Uint8Array, name?: string, instrument?: InstrumentHook, side?: SideTable): PreparedModule {
  const n = moduleName(bytes, name);
  let sites = linkableSiteTable(bytes, n);
  let out = bytes;
  if (!sites && instrument) {
    const result = instrument(bytes, n);
    out = result instanceof Uint8Array ? result : result.bytes;
    sites = linkableSiteTable(out, n);
    if (sites && sites !== UNREADABLE_SITE_TABLE && !(result instanceof Uint8Array) && result.sites) sites = withSideTable(sites, result.sites, n);
  }
  if (sites && sites !== UNREADABLE_SITE_TABLE && side !== undefined) sites = withSideTable(sites, sideTableOf(side, n), n, `side table of ${n}`);
  return { bytes: out, sites, name: n };
}

type Imports = WebAssembly.Imports | undefined;

export interface LinkedImports {
  imports: WebAssembly.Imports;
  /** The new domain's id; 0 when no id was free and the instance runs untraced. */
  domain: number;
  domainName: string;
  /** Call with the instance once made: guards its entries and watches for its end. */
  finish(instance: WebAssembly.Instance, module: WebAssembly.Module): void;
  /**
   * Runs the (synchronous) instantiation as an entry: a trapping start function
   * resets sp; a failed one gives the domain's id back.
   */
  instantiate<T>(make: () => T): T;
  /** The same for an asynchronous instantiation. */
  settle<T>(instantiation: Promise<T>): Promise<T>;
}

/**
 * The hot path of an instrumented module that must run untraced: the same imports,
 * recording nothing. nframe 1 keeps the shadow stack from calling put().
 */
function untracedImports(): WebAssembly.ModuleImports {
  const nothing = () => {};
  return {
    alloc: nothing,
    free: nothing,
    realloc: nothing,
    realloc_begin: nothing,
    realloc_undo: nothing,
    put: nothing,
    sp: new WebAssembly.Global({ value: 'i32', mutable: true }, 0),
    nframe: new WebAssembly.Global({ value: 'i32', mutable: true }, 1),
    domain: new WebAssembly.Global({ value: 'i32', mutable: false }, 0),
  };
}

/**
 * Whether the module imports a shared memory: it runs on threads. Only the memory
 * import's own entry is read: glue may hand in proxies whose reads have effects
 * (Emscripten's dynamic linking resolves a symbol on every property read).
 */
export function importsSharedMemory(module: WebAssembly.Module | undefined, imports: Imports): boolean {
  if (!module || typeof SharedArrayBuffer === 'undefined') return false;
  for (const i of originals.Module.imports(module)) {
    if (i.kind !== 'memory') continue;
    const value = (imports?.[i.module] as Record<string, unknown> | undefined)?.[i.name];
    if (value instanceof WebAssembly.Memory && value.buffer instanceof SharedArrayBuffer) return true;
  }
  return false;
}

/** The import object with the trace namespace added, the new domain, and what to do with the instance. */
export function linkImports(sites: SiteTable, name: string, imports: Imports, module?: WebAssembly.Module): LinkedImports {
  const t = sites === UNREADABLE_SITE_TABLE ? undefined : traceImports(sites, name, { sharedMemory: importsSharedMemory(module, imports) });
  const domain: Domain = t ? t.domain : ({ id: 0, name } as Domain);
  const namespace = !t || domain.id === 0 ? untracedImports() : (t.imports as unknown as WebAssembly.ModuleImports);
  const guard = entryGuard(namespace.sp as WebAssembly.Global);
  return {
    imports: { ...(imports ?? {}), [IMPORT_NAMESPACE]: namespace },
    domain: domain.id,
    domainName: domain.name,
    finish(instance, module) {
      if (domain.id === 0) return; // its sp is its own: nothing reads it
      const tables = importedTables(module, imports);
      const exports = needsEntryGuard(module) ? guard.guardInstance(instance, tables) : originals.instanceExports(instance);
      // A table it imports can hold its functions after the instance object is gone.
      releaseWhenCollected(domain, [instance, exports, ...Object.values(exports), ...tables]);
    },
    instantiate(make) {
      try {
        return guard.enter(make);
      } catch (e) {
        releaseNow(domain);
        throw e;
      }
    },
    settle: (instantiation) =>
      guard.settle(instantiation).catch((e: unknown) => {
        releaseNow(domain);
        throw e;
      }),
  };
}

export interface TracedInstance {
  instance: WebAssembly.Instance;
  module: WebAssembly.Module;
  /** The domain id of this instance: 0 if the module is not traced, or runs untraced because no id was free (domains.ts). */
  domain: number;
  /** The module name frames show: `leak.wasm`, or `leak.wasm#2` for a second instance in this process. */
  name: string;
}

/**
 * Instantiates a module with tracing. Bytes that are not instrumented are passed to
 * `options.instrument` when given (the Node entry point `wasm-tracemalloc` gives it).
 * `options.sites` is the side table of a module instrumented with `--symbols side`:
 * it supplies the source frames the module's own table leaves out.
 */
export async function instantiateTraced(
  source: BufferSource | WebAssembly.Module,
  imports?: WebAssembly.Imports,
  options: { name?: string; instrument?: InstrumentHook; sites?: SideTable } = {},
): Promise<TracedInstance> {
  if (source instanceof originals.Module) {
    const name = options.name ?? UNNAMED_MODULE;
    let sites = linkableSiteTable(source, name);
    if (sites && sites !== UNREADABLE_SITE_TABLE && options.sites !== undefined) sites = withSideTable(sites, sideTableOf(options.sites, name), name, `side table of ${name}`);
    if (!sites) {
      const instance = await originals.instantiate(source, imports);
      return { instance, module: source, domain: 0, name };
    }
    const linked = linkImports(sites, name, imports, source);
    const instance = await linked.settle(originals.instantiate(source, linked.imports));
    linked.finish(instance, source);
    return { instance, module: source, domain: linked.domain, name: linked.domainName };
  }
  const p = prepareModule(toBytes(source as BufferSource), options.name, options.instrument, options.sites);
  const module = await originals.compile(p.bytes as Uint8Array<ArrayBuffer>);
  if (!p.sites) return { instance: await originals.instantiate(module, imports), module, domain: 0, name: p.name };
  const linked = linkImports(p.sites, p.name, imports, module);
  const instance = await linked.settle(originals.instantiate(module, linked.imports));
  linked.finish(instance, module);
  return { instance, module, domain: linked.domain, name: linked.domainName };
}
