// The site table: what an instrumented module says about its own allocation sites.
// Written by the instrument pass into the custom section `wasm-tracemalloc.sites`
// and read back by the runtime when the module is instantiated, so an instrumented
// `.wasm` is self-describing. JSON in UTF-8: names come from untrusted modules and
// JSON keeps them plain data.

export const SITE_SECTION = 'wasm-tracemalloc.sites';
export const SITE_TABLE_VERSION = 1;

/**
 * One source-level frame of a call site, from DWARF or a source map. A site's frames
 * run outermost first: the function containing the call, then each function inlined
 * into it on the way to the call; the last frame holds the call instruction's line.
 */
export interface SourceFrame {
  /** Source path as the debug info gives it (relative to DW_AT_comp_dir when under it); '' for the module itself. */
  file: string;
  /** 1-based line; 0 when the debug info has no line for the code. */
  line: number;
  column?: number;
  /** The function, demangled. */
  function?: string;
  /** The text of the line, stripped, when the source was available at instrument time. */
  source?: string;
}

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
  /** Source frames of the call, outermost first (symbolization); absent when nothing is known beyond `name`. */
  frames?: SourceFrame[];
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
    if (s.frames !== undefined) {
      const problem = framesProblem(s.frames);
      if (problem) throw new Error(`${source}: site ${i} of the "${SITE_SECTION}" section has malformed frames (${problem}); instrument the original module again`);
    }
  }
  return t as SiteTable;
}

function framesProblem(frames: unknown): string | undefined {
  if (!Array.isArray(frames)) return 'not an array';
  for (const [k, f] of frames.entries()) {
    const frame = f as Partial<SourceFrame> | null;
    if (!frame || typeof frame !== 'object') return `frame ${k} is not an object`;
    if (typeof frame.file !== 'string') return `frame ${k} has no file`;
    if (!Number.isInteger(frame.line) || frame.line! < 0) return `frame ${k} has line ${String(frame.line)}`;
    if (frame.column !== undefined && (!Number.isInteger(frame.column) || frame.column < 0)) return `frame ${k} has column ${String(frame.column)}`;
    if (frame.function !== undefined && typeof frame.function !== 'string') return `frame ${k} has a function that is not a string`;
    if (frame.source !== undefined && typeof frame.source !== 'string') return `frame ${k} has a source line that is not a string`;
  }
  return undefined;
}

/**
 * The embedded table with the frames of a side table (`OUT.wasm.sites.json`, written
 * by `instrument --symbols side`). The side table must describe the same sites: same
 * count, kinds, functions and offsets, or it belongs to another build.
 */
export function withSideTable(embedded: SiteTable, side: SiteTable, source = 'module', sideSource = 'side table'): SiteTable {
  const a = embedded.sites;
  const b = side.sites;
  const mismatch =
    a.length !== b.length ? `${b.length} sites, the module has ${a.length}` : a.findIndex((s, i) => s.kind !== b[i]!.kind || s.func !== b[i]!.func || s.offset !== b[i]!.offset);
  if (typeof mismatch === 'string' || mismatch >= 0) {
    const what = typeof mismatch === 'string' ? mismatch : `site ${mismatch} differs`;
    throw new Error(`${sideSource}: does not belong to ${source} (${what}); use the .sites.json written together with this instrumented module`);
  }
  return { ...embedded, sites: a.map((s, i) => (b[i]!.frames ? { ...s, frames: b[i]!.frames } : s)) };
}
