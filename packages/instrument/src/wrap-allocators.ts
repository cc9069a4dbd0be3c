// Wrap each allocator so that every use of it is traced.
//
// Before:
//   (func $malloc (param i32) (result i32) …body…)
//   (export "malloc" (func $malloc))
//   (elem (i32.const 1) $malloc)
//
// After:
//   (import "wasm-tracemalloc" "alloc" (func $wtm.alloc (param i32 i32 i32 i32)))
//   (import "wasm-tracemalloc" "domain" (global $wtm.domain i32))
//   (global $wtm.depth (mut i32) (i32.const 0))
//   (export "wasm-tracemalloc$depth" (global $wtm.depth))       ;; only with the guard, below
//   (func $malloc$orig (param i32) (result i32) …body…)          ;; the original, renamed
//   (func $malloc$site (param $size i32) (param $site i32) (result i32) (local $p i32)
//     (if (global.get $wtm.depth) (then (return (call $malloc$orig (local.get $size)))))
//     (global.set $wtm.depth (i32.const 1))
//     (local.set $p (call $malloc$orig (local.get $size)))
//     (global.set $wtm.depth (i32.const 0))
//     (if (local.get $p) (then (call $wtm.alloc (global.get $wtm.domain) (local.get $p) (local.get $size) (local.get $site))))
//     (local.get $p))
//   (func $malloc (param i32) (result i32)                          ;; takes the original's name:
//     (call $malloc$site (local.get 0) (i32.const INDIRECT_SITE)))  ;; tables and ref.func reach it
//   (func $malloc$host (param i32) (result i32)
//     (call $malloc$site (local.get 0) (i32.const HOST_SITE)))
//   (export "malloc" (func $malloc$host))
//   (elem (i32.const 1) $malloc)
//
// `$wtm.depth` is what makes the outermost allocator API the one that counts: 1 while
// an alloc-like call runs, 2 while a free or realloc runs. Nested allocations pass
// straight through (operator new → malloc, __rust_alloc → malloc → dlmalloc). A free
// nested in an *allocation* is still recorded: AssemblyScript's collector sweeps, and
// frees, inside `__new`. A free nested in a free is the same block (operator delete →
// free), and one nested in a realloc is the old block the realloc moves (dlmalloc's
// realloc: malloc, copy, free): both pass through.
// Direct calls between allocators skip the wrappers (linkNestedCalls), so in most C
// and C++ modules no wrapper can run inside another (see allocatorsNest). Their
// wrappers then have no guard: they call the original and record, nothing else.
// Imported allocators (side modules importing `malloc`) are renamed the same way: the
// import becomes `$malloc$orig` and a defined wrapper takes its place.
// A trap inside an allocator (abort() on OOM, a heap-corruption check) unwinds to JS
// with no catch_all running, so `$wtm.depth` would stay set and the instance would
// trace nothing more. The guard's depth is therefore exported (DEPTH_EXPORT), and the
// runtime's JS entries set it back when a call ends in a throw (runtime/src/core/
// shadow-stack.ts), as they do the shadow stack's sp. A defined global, not an
// imported one: the wrappers keep the cost they had.

import binaryen from 'binaryen';
import type { AllocatorMatch, AllocSpec } from './find/specs.js';
import type { BodyScan } from './binary/instructions.js';
import { DEPTH_EXPORT, IMPORT_NAMESPACE } from '@wasm-tracemalloc/runtime/abi';
import { E, activeElementSegments, findCalls } from './number-call-sites.js';

export const RUNTIME_MODULE = IMPORT_NAMESPACE;

export interface RuntimeImports {
  alloc: string;
  free: string;
  realloc: string;
  domain: string;
  depth: string;
  /**
   * A module on shared memory (threads): the halves of a realloc (see wrapperBody).
   * Absent for every other module, which keeps the imports it always had.
   */
  reallocBegin?: string;
  reallocUndo?: string;
}

export interface WrappedAllocator {
  match: AllocatorMatch;
  /** Internal name of the function that now holds the original body or import. */
  orig: string;
  /** Internal name of the wrapper taking (args…, site). */
  site: string;
  /** The wrapper for host calls (exports). */
  host: string;
  /** The wrapper that kept the original's name (tables, ref.func, anything not redirected). */
  indirect: string;
  params: number[];
}

const DEPTH_NONE = 0;
const DEPTH_ALLOC = 1;
const DEPTH_FREE = 2;

/** Callers whose wrapper sets DEPTH_FREE: a free nested in them is theirs, never recorded. */
const FREES_PASS_THROUGH: ReadonlySet<AllocSpec['kind']> = new Set(['free', 'realloc']);

function uniqueName(mod: binaryen.Module, base: string): string {
  let name = base;
  for (let i = 1; mod.getFunction(name) !== 0; i++) name = `${base}${i}`;
  return name;
}

/** Whether the module's memory is shared: threads may allocate and free in it at once. */
export function hasSharedMemory(mod: binaryen.Module): boolean {
  return mod.hasMemory() && mod.getMemoryInfo().shared;
}

export function addRuntimeImports(mod: binaryen.Module, threaded = false): RuntimeImports {
  const { i32, none } = binaryen;
  const names: RuntimeImports = {
    alloc: uniqueName(mod, 'wasm-tracemalloc$alloc'),
    free: uniqueName(mod, 'wasm-tracemalloc$free'),
    realloc: uniqueName(mod, 'wasm-tracemalloc$realloc'),
    domain: 'wasm-tracemalloc$domain',
    depth: 'wasm-tracemalloc$depth',
  };
  mod.addFunctionImport(names.alloc, RUNTIME_MODULE, 'alloc', binaryen.createType([i32, i32, i32, i32]), none);
  mod.addFunctionImport(names.free, RUNTIME_MODULE, 'free', binaryen.createType([i32, i32, i32]), none);
  mod.addFunctionImport(names.realloc, RUNTIME_MODULE, 'realloc', binaryen.createType([i32, i32, i32, i32, i32]), none);
  if (threaded) {
    names.reallocBegin = uniqueName(mod, 'wasm-tracemalloc$realloc_begin');
    names.reallocUndo = uniqueName(mod, 'wasm-tracemalloc$realloc_undo');
    mod.addFunctionImport(names.reallocBegin, RUNTIME_MODULE, 'realloc_begin', binaryen.createType([i32, i32, i32]), none);
    mod.addFunctionImport(names.reallocUndo, RUNTIME_MODULE, 'realloc_undo', binaryen.createType([i32, i32]), none);
  }
  mod.addGlobalImport(names.domain, RUNTIME_MODULE, 'domain', i32, false);
  mod.addGlobal(names.depth, i32, true, mod.i32.const(0));
  return names;
}

/**
 * Renames each allocator to `$orig` and adds its wrappers. `siteIdFor` hands out the
 * site ids of the host and indirect wrappers.
 */
export function wrapAllocators(
  mod: binaryen.Module,
  rt: RuntimeImports,
  allocators: AllocatorMatch[],
  internalName: (index: number) => string,
  siteIdFor: (match: AllocatorMatch, kind: 'host' | 'indirect') => number,
  /** The call stub (binary/redirect-calls.ts) that becomes the allocator's `$site` wrapper. */
  stubFor: (match: AllocatorMatch) => string | undefined = () => undefined,
  /** False when no wrapper can run inside another (allocatorsNest): no depth guard. */
  guard = true,
): WrappedAllocator[] {
  const wrapped: WrappedAllocator[] = [];
  // posix_memalign reads the block from memory 0; binaryen picks it when no name is given.
  const memory: string | undefined = undefined;
  for (const match of allocators) {
    const name = internalName(match.func.index);
    const info = binaryen.getFunctionInfo(mod.getFunction(name));
    const params = binaryen.expandType(info.params);
    const orig = uniqueName(mod, `${name}$orig`);
    mod.removeFunction(name);
    if (match.func.import) {
      mod.addFunctionImport(orig, match.func.import.module, match.func.import.field, info.params, info.results);
    } else {
      mod.addFunction(orig, info.params, info.results, info.vars, info.body);
    }
    // Calls redirected in the bytes already name the stub: it takes the wrapper's body.
    const stub = stubFor(match);
    if (stub) mod.removeFunction(stub);
    const site = stub ?? uniqueName(mod, `${name}$site`);
    const sigWithSite = binaryen.createType([...params, binaryen.i32]);
    const body = wrapperBody(mod, rt, match.spec, orig, params, info.results, memory, guard);
    mod.addFunction(site, sigWithSite, info.results, info.results === binaryen.none ? [binaryen.i32] : [binaryen.i32, binaryen.i32], body);

    const forward = (siteId: number) =>
      mod.call(site, [...params.map((t, i) => mod.local.get(i, t)), mod.i32.const(siteId)], info.results);
    mod.addFunction(name, info.params, info.results, [], forward(siteIdFor(match, 'indirect')));
    const host = uniqueName(mod, `${name}$host`);
    mod.addFunction(host, info.params, info.results, [], forward(siteIdFor(match, 'host')));
    wrapped.push({ match, orig, site, host, indirect: name, params });
  }
  if (guard && wrapped.length) mod.addGlobalExport(rt.depth, DEPTH_EXPORT);
  const imported = new Set(wrapped.filter((w) => w.match.func.import).map((w) => w.indirect));
  if (imported.size) rebuildElementSegments(mod, imported);
  return wrapped;
}

/**
 * Whether one allocator's wrapper can run while another allocator's body runs: some
 * allocator's body calls a function that can lead to an allocator (`reach`, see
 * reachingFunctions), makes an indirect call, or could not be read. Direct calls
 * between allocators do not count: linkNestedCalls sends them past the wrappers.
 * Calls to imports do not either: an allocation that JS code makes while an
 * allocator waits on it is its own allocation, and is recorded.
 */
export function allocatorsNest(allocators: AllocatorMatch[], scans: Map<number, BodyScan | null>, reach: Set<number>): boolean {
  if (allocators.some((a) => a.spec.nestedPasses)) return true; // only the guard tells it apart
  for (const a of allocators) {
    if (a.func.import) continue;
    const scan = scans.get(a.func.index);
    if (!scan || scan.indirectCalls > 0 || scan.calls.some((c) => reach.has(c.callee))) return true;
  }
  return false;
}

/**
 * Calls from one allocator's body to another go straight to the callee's original,
 * past wrappers that would only pass them through: while an allocator's body runs,
 * `$wtm.depth` is set, so an alloc-like callee always passes through, and a free
 * called from a free (`free` → `dlfree`, `operator delete` → `free`) or from a
 * realloc (the old block of a move: realloc = malloc, copy, free) does too. A free
 * called from an alloc-like body keeps its wrapper, which records it when the
 * allocation is the outermost call (a collector sweeping inside `__new`). Every
 * direct call that would pass through must be linked here: allocatorsNest counts
 * none of them, so the wrappers may have no guard, and a wrapper without one records
 * every call that reaches it. Returns how many calls were linked.
 */
export function linkNestedCalls(mod: binaryen.Module, wrapped: WrappedAllocator[]): number {
  const byName = new Map(wrapped.map((w) => [w.indirect, w]));
  const targets = new Set(byName.keys());
  let linked = 0;
  for (const caller of wrapped) {
    if (caller.match.func.import) continue;
    const body = binaryen.getFunctionInfo(mod.getFunction(caller.orig)).body;
    if (!body) continue;
    for (const call of findCalls(body, targets).calls) {
      const callee = byName.get(E.Call.getTarget(call))!;
      if (callee.match.spec.kind === 'free' && !FREES_PASS_THROUGH.has(caller.match.spec.kind)) continue;
      E.Call.setTarget(call, callee.orig);
      linked++;
    }
  }
  return linked;
}

/**
 * binaryen types `ref.func` of an import as inexact and of a defined function as
 * exact; the element entries that named an imported allocator now name its defined
 * wrapper, so their stored types are stale. Re-adding the segment recomputes them.
 */
function rebuildElementSegments(mod: binaryen.Module, names: Set<string>): void {
  // binaryen.js cannot read a passive segment's entries (activeElementSegments): one
  // naming an imported allocator is left as binaryen read it (every output is still
  // checked with WebAssembly.validate before it is returned).
  for (const seg of activeElementSegments(mod)) {
    if (!seg.data.some((n) => names.has(n))) continue;
    mod.removeElementSegment(seg.name);
    mod.addActiveElementSegment(seg.table, seg.name, seg.data, seg.offset);
  }
}

function wrapperBody(
  mod: binaryen.Module,
  rt: RuntimeImports,
  spec: AllocSpec,
  orig: string,
  params: number[],
  results: number,
  memory: string | undefined,
  guard: boolean,
): number {
  const { i32, none } = binaryen;
  const n = params.length;
  const arg = (i: number) => mod.local.get(i, params[i]!);
  const siteLocal = () => mod.local.get(n, i32);
  // Locals after the params: $site is param n; $p (result) is n+1; $saved depth is n+1 or n+2.
  const P = n + 1;
  const callOrig = () => mod.call(orig, params.map((_, i) => arg(i)), results);
  const depth = () => mod.global.get(rt.depth, i32);
  const setDepth = (v: number) => mod.global.set(rt.depth, mod.i32.const(v));
  const domain = () => mod.global.get(rt.domain, i32);
  const p = () => mod.local.get(P, i32);
  const adjusted = (e: number) => (spec.adjust ? mod.i32.add(e, mod.i32.const(spec.adjust)) : e);
  // wasm-bindgen's shims do nothing for size 0: malloc returns a dangling pointer, free frees nothing.
  const unlessZeroSize = (record: number) => (spec.zeroSizeIsNoop === undefined ? record : mod.if(arg(spec.zeroSizeIsNoop), record));
  const sized = (e: number) => (spec.sizeAdjust ? mod.i32.add(e, mod.i32.const(spec.sizeAdjust)) : e);
  const recordAlloc = (ptr: number, size: number) => mod.call(rt.alloc, [domain(), adjusted(ptr), size, siteLocal()], none);
  // If a JS exception unwinds out of the allocator (Emscripten's abort on OOM throws),
  // the guard must not stay set, or nothing would be traced afterwards.
  const guarded = (call: number, restore: number) => {
    const label = 'wasm-tracemalloc$guard';
    return mod.try(label, call, [], [mod.block(null, [restore, mod.rethrow(label)], binaryen.unreachable)]);
  };
  // $p = the original's result. With the guard: only when no allocator call is
  // running (else pass straight through), with depth `d` set meanwhile. Without it
  // (no wrapper can run inside another), just the call.
  const callOrigAs = (d: number): number[] =>
    guard
      ? [
          mod.if(depth(), mod.return(callOrig())),
          setDepth(d),
          guarded(mod.local.set(P, callOrig()), setDepth(DEPTH_NONE)),
          setDepth(DEPTH_NONE),
        ]
      : [mod.local.set(P, callOrig())];

  switch (spec.kind) {
    case 'alloc':
    case 'calloc':
    case 'posix_memalign': {
      const size =
        spec.kind === 'calloc' ? mod.i32.mul(arg(spec.count!), arg(spec.size!)) : sized(arg(spec.size!));
      const record =
        spec.kind === 'posix_memalign'
          ? mod.if(mod.i32.eqz(p()), recordAlloc(mod.i32.load(0, 4, arg(spec.out!), memory), size))
          : unlessZeroSize(mod.if(p(), recordAlloc(p(), size)));
      return mod.block(null, [
        ...callOrigAs(DEPTH_ALLOC),
        record,
        p(),
      ], i32);
    }
    case 'renew': {
      const old = arg(spec.ptr!);
      return mod.block(null, [
        ...callOrigAs(DEPTH_ALLOC),
        mod.if(
          mod.i32.eq(p(), old),
          mod.call(rt.realloc, [domain(), adjusted(arg(spec.ptr!)), adjusted(p()), arg(spec.size!), siteLocal()], none),
          mod.if(p(), recordAlloc(p(), arg(spec.size!))),
        ),
        p(),
      ], i32);
    }
    case 'realloc': {
      const old = () => arg(spec.ptr!);
      const size = () => arg(spec.size!);
      if (rt.reallocBegin && rt.reallocUndo) {
        // Shared memory: once the allocator has the old block back, another thread may
        // get its address and record it; the old trace must be gone before that.
        // So: the old half first, the call, then the new block as an alloc, or the old
        // trace back if the realloc failed (realloc(p, 0) with zeroFrees freed p).
        const failed = spec.zeroFrees ? mod.i32.and(old(), mod.i32.ne(size(), mod.i32.const(0))) : old();
        const begin = mod.if(old(), mod.call(rt.reallocBegin, [domain(), adjusted(old()), siteLocal()], none));
        return mod.block(null, [
          ...(guard ? [mod.if(depth(), mod.return(callOrig()))] : []),
          begin,
          ...callOrigAs(DEPTH_FREE),
          mod.if(p(), recordAlloc(p(), sized(size())), mod.if(failed, mod.call(rt.reallocUndo, [domain(), adjusted(old())], none))),
          p(),
        ], i32);
      }
      const onNull = spec.zeroFrees
        ? mod.if(mod.i32.and(mod.i32.eqz(size()), mod.i32.ne(old(), mod.i32.const(0))), mod.call(rt.free, [domain(), adjusted(old()), siteLocal()], none))
        : mod.nop();
      return mod.block(null, [
        ...callOrigAs(DEPTH_FREE),
        mod.if(
          p(),
          mod.if(old(), mod.call(rt.realloc, [domain(), adjusted(old()), adjusted(p()), sized(size()), siteLocal()], none), recordAlloc(p(), sized(size()))),
          onNull,
        ),
        p(),
      ], i32);
    }
    case 'free': {
      // $saved = depth; a free inside an allocation (a collector sweeping in __new) counts.
      const SAVED = n + 1;
      const ptr = () => arg(spec.ptr!);
      const recordFree = () => unlessZeroSize(mod.if(ptr(), mod.call(rt.free, [domain(), adjusted(ptr()), siteLocal()], none)));
      // Shared memory: the free is recorded before the block goes back to the
      // allocator, which may hand its address to another thread at once.
      const first = rt.reallocBegin !== undefined;
      if (!guard) return mod.block(null, first ? [recordFree(), callOrig()] : [callOrig(), recordFree()], none);
      if (first) {
        return mod.block(null, [
          mod.if(spec.nestedPasses ? depth() : mod.i32.eq(depth(), mod.i32.const(DEPTH_FREE)), mod.block(null, [callOrig(), mod.return()])),
          recordFree(),
          mod.local.set(SAVED, depth()),
          setDepth(DEPTH_FREE),
          guarded(callOrig(), mod.global.set(rt.depth, mod.local.get(SAVED, i32))),
          mod.global.set(rt.depth, mod.local.get(SAVED, i32)),
        ], none);
      }
      return mod.block(null, [
        // A block-level free (TLSF's insertBlock) also takes the space an allocation
        // splits off or grows into: inside any allocator call it is that call's own.
        mod.if(spec.nestedPasses ? depth() : mod.i32.eq(depth(), mod.i32.const(DEPTH_FREE)), mod.block(null, [callOrig(), mod.return()])),
        mod.local.set(SAVED, depth()),
        setDepth(DEPTH_FREE),
        guarded(callOrig(), mod.global.set(rt.depth, mod.local.get(SAVED, i32))),
        mod.global.set(rt.depth, mod.local.get(SAVED, i32)),
        recordFree(),
      ], none);
    }
  }
}
