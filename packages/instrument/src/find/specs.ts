// What an allocator call looks like: which argument is the size, the pointer, the
// out-parameter, and what the function returns. Every finder describes what it found
// with one of these, so the wrappers need not know how it was found.

import { VALTYPE_I32, type FunctionEntry } from '../binary/module.js';

/**
 * How a wrapper records a call:
 * - alloc: result is the block, `size` argument is its size.
 * - calloc: result is the block of `count` × `size` bytes.
 * - realloc: the block at `ptr` moves to the result with `size` bytes.
 * - free: the block at `ptr` is released.
 * - posix_memalign: returns 0 on success and stores the block at `*out`.
 * - renew (AssemblyScript `__renew`): grows in place (same pointer) or allocates a new
 *   object and leaves the old one to the collector.
 */
export type AllocKind = 'alloc' | 'calloc' | 'realloc' | 'free' | 'posix_memalign' | 'renew';

export interface AllocSpec {
  kind: AllocKind;
  /** Argument indices. */
  size?: number;
  count?: number;
  ptr?: number;
  out?: number;
  /**
   * Added to pointers before recording, so that the key matches what the matching free
   * receives. AssemblyScript's `__new` returns the object payload, 16 bytes
   * (OBJECT_OVERHEAD) past the block that `__free` is later given.
   */
  adjust?: number;
  /**
   * Added to the size argument before recording: an allocator wrapper with a header
   * (SQLite's `sqlite3MemRealloc` keeps the size 8 bytes before the block, with
   * dlrealloc inlined) asks the heap for `size + 8` at `ptr - 8`.
   */
  sizeAdjust?: number;
  /**
   * The argument (a size) for which 0 makes the call a no-op that records nothing:
   * `__wbindgen_malloc(0, align)` returns `align` without allocating, and
   * `__wbindgen_free(ptr, 0, align)` frees nothing.
   */
  zeroSizeIsNoop?: number;
  /**
   * A free that is a heap's internal step as well (TLSF's insertBlock, which also takes
   * the space an allocation splits off): inside any traced allocator call it is that
   * call's, and only a call from outside them is recorded.
   */
  nestedPasses?: boolean;
  /** C realloc(p, 0) returning NULL has freed p (dlmalloc's REALLOC_ZERO_BYTES_FREES). */
  zeroFrees?: boolean;
  /** Arity the function must have; other signatures are not this allocator. */
  params: number;
  /** Whether the function returns the pointer (or status) as an i32. */
  returns: boolean;
}

/** How an allocator was found, strongest first: the report prints it, the user can check it. */
export type Finder = 'user' | 'name' | 'export' | 'glue' | 'wasm-bindgen shim' | 'forwarding thunk' | 'structure';

export interface Evidence {
  finder: Finder;
  /** What was seen, in words a user can check: `the glue's "_malloc = wasmExports.Ia"`. */
  detail: string;
}

export interface AllocatorMatch {
  func: FunctionEntry;
  /** The name it is reported by (a name-section name, import field, export name, or `wasm-function[N]`). */
  matchedBy: string;
  family: string;
  spec: AllocSpec;
  evidence: Evidence;
}

export const alloc = (params: number, size = 0, adjust?: number): AllocSpec => ({ kind: 'alloc', size, params, returns: true, adjust });
export const free = (params: number, ptr = 0, adjust?: number): AllocSpec => ({ kind: 'free', ptr, params, returns: false, adjust });
export const realloc = (params: number, ptr: number, size: number, zeroFrees = false): AllocSpec => ({ kind: 'realloc', ptr, size, params, returns: true, zeroFrees });
export const calloc = (params = 2): AllocSpec => ({ kind: 'calloc', count: 0, size: 1, params, returns: true });

/** Whether `f` has the signature `spec` needs: that many i32 params, and an i32 result iff it returns. */
export function fits(f: FunctionEntry, spec: AllocSpec): boolean {
  const t = f.type;
  if (!t || t.params.length !== spec.params) return false;
  if (t.results.length !== (spec.returns ? 1 : 0)) return false;
  if (spec.returns && t.results[0] !== VALTYPE_I32) return false;
  return t.params.every((p) => p === VALTYPE_I32);
}

export function signatureOf(f: FunctionEntry): string {
  return `(${f.type?.params.length ?? '?'} params → ${f.type?.results.length ?? '?'} results)`;
}

/** What C calls such a function: malloc, memalign, calloc, realloc, free, … (new/delete for C++). */
export function roleOf(a: Pick<AllocatorMatch, 'family' | 'spec'>): string {
  const cxx = a.family === 'c++';
  switch (a.spec.kind) {
    case 'alloc': return cxx ? 'new' : a.spec.params === 2 && a.spec.size === 1 ? 'memalign' : 'malloc';
    case 'free': return cxx ? 'delete' : 'free';
    default: return a.spec.kind;
  }
}

/** The label of a function in reports: its name, else its export name, else wasm-function[N]. */
export function functionLabel(f: FunctionEntry, exportName?: string): string {
  return f.name ?? exportName ?? f.import?.field ?? `wasm-function[${f.index}]`;
}
