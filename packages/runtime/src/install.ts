// The global hook: patches WebAssembly.Module, Instance, compile, compileStreaming,
// instantiate and instantiateStreaming so that unmodified glue (Emscripten,
// wasm-bindgen, AssemblyScript's loader) gets traced instances. Modules that carry a
// site table are linked to the trace table; others are instrumented first when an
// instrument hook is given, and left alone otherwise.

import { originals } from './core/wasm-originals.js';
import { linkableSiteTable, linkImports, prepareModule, toBytes, UNNAMED_MODULE, UNREADABLE_SITE_TABLE, type InstrumentHook, type LinkedImports, type SideTable } from './link.js';
import type { SiteTable } from './site-table.js';
import { nameModuleForThreads } from './tracemalloc.js';

export interface InstallOptions {
  instrument?: InstrumentHook;
  /** A name for bytes that arrive without one (Node: the file they were read from). */
  nameOf?: (bytes: Uint8Array) => string | undefined;
  /** Called for every module the page compiles, traced or not. */
  onModule?: (info: { name: string; traced: boolean }) => void;
  /**
   * The side table (`NAME.sites.json` from `instrument --symbols side`) of a module
   * that arrives instrumented, by the module's name; undefined when there is none.
   */
  sideTable?: (name: string) => SideTable | undefined;
}

interface TracedModuleInfo {
  sites: SiteTable;
  name: string;
}

let uninstall: (() => void) | undefined;

function urlName(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).pathname.split('/').pop() || undefined;
  } catch {
    return url.split(/[\\/]/).pop() || undefined;
  }
}

/** Installs the hook; returns a function that restores the originals. Idempotent. */
export function install(options: InstallOptions = {}): () => void {
  if (uninstall) return uninstall;
  const O = originals;
  const W = WebAssembly as unknown as Record<string, unknown>;
  const traced = new WeakMap<WebAssembly.Module, TracedModuleInfo | null>();

  const prepare = (source: BufferSource, name?: string) => {
    const bytes = toBytes(source);
    const n = name ?? options.nameOf?.(bytes);
    const p = prepareModule(bytes, n, options.instrument, n === undefined ? undefined : options.sideTable?.(n));
    options.onModule?.({ name: p.name, traced: !!p.sites && p.sites !== UNREADABLE_SITE_TABLE });
    if (p.sites && p.sites !== UNREADABLE_SITE_TABLE) nameModuleForThreads(p.sites, p.name);
    return p;
  };
  const infoOf = (module: WebAssembly.Module): TracedModuleInfo | null => {
    let info = traced.get(module);
    if (info === undefined) {
      // Compiled before install, or elsewhere: it is traced if it carries a site table.
      const sites = linkableSiteTable(module, UNNAMED_MODULE);
      info = sites ? { sites, name: UNNAMED_MODULE } : null;
      traced.set(module, info);
    }
    return info;
  };
  const link = (module: WebAssembly.Module, imports?: WebAssembly.Imports): LinkedImports | undefined => {
    const info = infoOf(module);
    return info ? linkImports(info.sites, info.name, imports, module) : undefined;
  };
  const instantiateLinked = async (module: WebAssembly.Module, imports?: WebAssembly.Imports): Promise<WebAssembly.Instance> => {
    const linked = link(module, imports);
    if (!linked) return O.instantiate(module, imports);
    const instance = await linked.settle(O.instantiate(module, linked.imports));
    linked.finish(instance, module);
    return instance;
  };

  function Module(this: unknown, source: BufferSource): WebAssembly.Module {
    if (!new.target) throw new TypeError("WebAssembly.Module must be invoked with 'new'");
    const p = prepare(source);
    const m = Reflect.construct(O.Module, [p.bytes], new.target === Module ? O.Module : new.target) as WebAssembly.Module;
    traced.set(m, p.sites ? { sites: p.sites, name: p.name } : null);
    return m;
  }
  Module.prototype = O.Module.prototype;
  Object.assign(Module, { exports: O.Module.exports, imports: O.Module.imports, customSections: O.Module.customSections });

  function Instance(this: unknown, module: WebAssembly.Module, imports?: WebAssembly.Imports): WebAssembly.Instance {
    if (!new.target) throw new TypeError("WebAssembly.Instance must be invoked with 'new'");
    const target = new.target === Instance ? O.Instance : new.target;
    const linked = link(module, imports);
    if (!linked) return Reflect.construct(O.Instance, [module, imports], target) as WebAssembly.Instance;
    const instance = linked.instantiate(() => Reflect.construct(O.Instance, [module, linked.imports], target) as WebAssembly.Instance);
    linked.finish(instance, module);
    return instance;
  }
  Instance.prototype = O.Instance.prototype;

  const compileNamed = async (source: BufferSource, name?: string) => {
    const p = prepare(source, name);
    const m = await O.compile(p.bytes as Uint8Array<ArrayBuffer>);
    traced.set(m, p.sites ? { sites: p.sites, name: p.name } : null);
    return m;
  };
  const instantiateNamed = async (source: BufferSource, imports: WebAssembly.Imports | undefined, name?: string) => {
    const module = await compileNamed(source, name);
    return { module, instance: await instantiateLinked(module, imports) };
  };

  const patched: Record<string, unknown> = {
    Module,
    Instance,
    compile: (source: BufferSource) => compileNamed(source),
    compileStreaming: async (source: Response | PromiseLike<Response>) => {
      const response = await source;
      return compileNamed(await response.arrayBuffer(), urlName(response.url));
    },
    instantiate: (source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) => {
      if (source instanceof O.Module) return instantiateLinked(source, imports);
      return instantiateNamed(source, imports);
    },
    instantiateStreaming: async (source: Response | PromiseLike<Response>, imports?: WebAssembly.Imports) => {
      const response = await source;
      return instantiateNamed(await response.arrayBuffer(), imports, urlName(response.url));
    },
  };
  const saved: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patched)) {
    saved[k] = W[k];
    W[k] = v;
  }
  uninstall = () => {
    for (const [k, v] of Object.entries(saved)) W[k] = v;
    uninstall = undefined;
  };
  return uninstall;
}
