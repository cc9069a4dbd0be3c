// The numbers an instrumented module and the trace table core agree on. The
// AssemblyScript core (assembly/trace-table.ts) spells them again, as AssemblyScript
// cannot share this file's types; its packFrame and STACK must match these.

/** The import module an instrumented module takes the core's hot path from. */
export const IMPORT_NAMESPACE = 'wasm-tracemalloc';

/**
 * The export of a module whose allocator wrappers keep a nesting guard: its `depth`
 * global, nonzero while one of its allocators runs. A trap inside an allocator leaves
 * it set, and no Wasm code sees the trap, so the runtime's JS entries put it back
 * (core/shadow-stack.ts). Exported, not imported: the wrappers' hot path reads and
 * writes it as a global of their own, and import objects built by hand need nothing new.
 */
export const DEPTH_EXPORT = `${IMPORT_NAMESPACE}$depth`;

/** A shadow-stack frame is one u32: (domain << SITE_BITS) | site. */
export const SITE_BITS = 20;
export const DOMAIN_BITS = 32 - SITE_BITS;

/** Sites one module can have (the instrument pass refuses more). */
export const MAX_SITES = 2 ** SITE_BITS;

/**
 * Domain ids are 1 … MAX_DOMAIN_ID; 0 means "not traced". A larger id would wrap in
 * a frame and name another module's site.
 */
export const MAX_DOMAIN_ID = 2 ** DOMAIN_BITS - 1;

/** Depths of the core's shadow-stack ring: the most frames a traceback can keep. */
export const MAX_SHADOW_FRAMES = 128;

/** A frame as the core stores it, (domain << SITE_BITS) | site, taken apart. */
export function unpackFrame(packed: number): { domain: number; site: number } {
  return { domain: packed >>> SITE_BITS, site: packed & (MAX_SITES - 1) };
}
