// Linking a traced module: its imports gain the namespace `wasm-tracemalloc`, whose
// functions are the trace table core's own exports, so that an allocation goes
// Wasm → Wasm with no JS in between. Every instance is a new domain.

import { originals } from './core/wasm-originals.js';
import { siteTableOf, traceImports } from './tracemalloc.js';
import { decodeSiteTable, withSideTable, type SiteTable } from './site-table.js';
import { moduleNameOf } from './wasm-sections.js';

/**
 * Instruments bytes that are not instrumented yet (Node: the instrument package). It
 * may return the site table with its source frames beside the bytes (symbols 'side').
 */
export type InstrumentHook = (bytes: Uint8Array, source: string) => Uint8Array | { bytes: Uint8Array; sites?: SiteTable };

export const IMPORT_NAMESPACE = 'wasm-tracemalloc';

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

function sideTableOf(side: SideTable, name: string): SiteTable {
  if (typeof side === 'string') return decodeSiteTable(new TextEncoder().encode(side), `side table of ${name}`);
  if (side instanceof Uint8Array) return decodeSiteTable(side, `side table of ${name}`);
  return side;
}

export function prepareModule(bytes: Uint8Array, name?: string, instrument?: InstrumentHook, side?: SideTable): PreparedModule {
  const n = moduleName(bytes, name);
  let sites = siteTableOf(bytes, n);
  let out = bytes;
  if (!sites && instrument) {
    const result = instrument(bytes, n);
    out = result instanceof Uint8Array ? result : result.bytes;
    sites = siteTableOf(out, n);
    if (sites && !(result instanceof Uint8Array) && result.sites) sites = withSideTable(sites, result.sites, n);
  }
  if (sites && side !== undefined) sites = withSideTable(sites, sideTableOf(side, n), n, `side table of ${n}`);
  return { bytes: out, sites, name: n };
}

type Imports = WebAssembly.Imports | undefined;

/** The import object with the trace namespace added, and the new domain's id. */
export function linkImports(sites: SiteTable, name: string, imports: Imports): { imports: WebAssembly.Imports; domain: number; domainName: string } {
  const t = traceImports(sites, name);
  return { imports: { ...(imports ?? {}), [IMPORT_NAMESPACE]: t.imports as unknown as WebAssembly.ModuleImports }, domain: t.domain.id, domainName: t.domain.name };
}

export interface TracedInstance {
  instance: WebAssembly.Instance;
  module: WebAssembly.Module;
  /** The domain id of this instance (0 if the module is not traced). */
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
    const name = options.name ?? 'module.wasm';
    let sites = siteTableOf(source, name);
    if (sites && options.sites !== undefined) sites = withSideTable(sites, sideTableOf(options.sites, name), name, `side table of ${name}`);
    if (!sites) {
      const instance = await originals.instantiate(source, imports);
      return { instance, module: source, domain: 0, name };
    }
    const linked = linkImports(sites, name, imports);
    return { instance: await originals.instantiate(source, linked.imports), module: source, domain: linked.domain, name: linked.domainName };
  }
  const p = prepareModule(toBytes(source as BufferSource), options.name, options.instrument, options.sites);
  const module = await originals.compile(p.bytes as Uint8Array<ArrayBuffer>);
  if (!p.sites) return { instance: await originals.instantiate(module, imports), module, domain: 0, name: p.name };
  const linked = linkImports(p.sites, p.name, imports);
  return { instance: await originals.instantiate(module, linked.imports), module, domain: linked.domain, name: linked.domainName };
}
