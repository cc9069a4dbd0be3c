// The site table: what an instrumented module says about its own allocation sites.
// Written by the instrument pass into the custom section `wasm-tracemalloc.sites`
// and read back by the runtime when the module is instantiated, so an instrumented
// `.wasm` is self-describing. JSON in UTF-8: names come from untrusted modules and
// JSON keeps them plain data.

export const SITE_SECTION = 'wasm-tracemalloc.sites';
export const SITE_TABLE_VERSION = 1;

export interface SiteRecord {
  /**
   * 'call': a direct call at `offset`, inside function `func`.
   * 'host': the allocator was called through an export (JS glue, another module).
   * 'indirect': the allocator was reached through a table or a `ref.func`.
   */
  kind: 'call' | 'host' | 'indirect';
  /** The allocator API that was called, as matched (e.g. `malloc`, `operator new(unsigned long)`). */
  allocator: string;
  /** Index of the calling function in the *original* module (-1 for host/indirect). */
  func: number;
  /** Name of the calling function (name section), when known. */
  name?: string;
  /** Module-relative byte offset of the call instruction in the original module; for host/indirect, the allocator's body. */
  offset: number;
  /** True when the offset could not be pinned to the instruction (it is the function's start). */
  approximate?: boolean;
}

export interface SiteTable {
  version: number;
  /** Offset of the original module's code section content (DWARF addresses are relative to it). */
  codeSectionOffset: number;
  /** Frames the module's shadow stack keeps (1: none, the allocation site only). */
  maxFrames?: number;
  sites: SiteRecord[];
}

export function encodeSiteTable(table: SiteTable): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(table));
}

export function decodeSiteTable(bytes: Uint8Array | ArrayBuffer, source = 'module'): SiteTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new Error(`${source}: the "${SITE_SECTION}" custom section is corrupt (${(e as Error).message}); instrument the original module again`);
  }
  const t = parsed as Partial<SiteTable>;
  if (!t || typeof t !== 'object' || t.version !== SITE_TABLE_VERSION || !Array.isArray(t.sites)) {
    throw new Error(`${source}: unsupported "${SITE_SECTION}" section (version ${String(t?.version)}, this runtime reads ${SITE_TABLE_VERSION}); instrument the original module with this version`);
  }
  for (const [i, s] of t.sites.entries()) {
    if (!s || typeof s.offset !== 'number' || typeof s.func !== 'number' || typeof s.allocator !== 'string' || !['call', 'host', 'indirect'].includes(s.kind)) {
      throw new Error(`${source}: site ${i} of the "${SITE_SECTION}" section is malformed; instrument the original module again`);
    }
  }
  return t as SiteTable;
}
