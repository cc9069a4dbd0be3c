// Keep a shadow stack of call sites, so that a traceback has the whole call path.
// Only with maxFrames > 1, and only on calls that can lead to an allocator.
//
// Before:
//   (func $build_index … (call $node_new (local.get 0)))   ;; at byte 0x2f0 of the original
//   (export "run" (func $run))
// After:
//   (import "wasm-tracemalloc" "sp" (global $wtm.sp (mut i32)))        ;; the chain's depth
//   (import "wasm-tracemalloc" "nframe" (global $wtm.nframe (mut i32))) ;; traceback limit
//   (import "wasm-tracemalloc" "put" (func $wtm.put (param i32 i32 i32)))
//   (func $build_index … (call $node_new$shadow (local.get 0) (i32.const 12)))  ;; site 12
//   (func $node_new$shadow (param i32 i32) (result i32) (local $base i32)
//     (local.set $base (global.get $wtm.sp))
//     (global.set $wtm.sp (i32.add (local.get $base) (i32.const 1)))
//     (if (i32.gt_u (global.get $wtm.nframe) (i32.const 1))
//       (then (call $wtm.put (i32.add (local.get $base) (i32.const 1)) (global.get $wtm.domain) (local.get 1))))
//     (call $node_new (local.get 0))                                    ;; result kept in a local
//     (global.set $wtm.sp (local.get $base)))
//   (func $run$entry …                              ;; exports restore sp if a JS exception
//     (local.set $base (global.get $wtm.sp))        ;; unwinds through them
//     (try (do (call $run …)) (catch_all (global.set $wtm.sp (local.get $base)) (rethrow 0))))
//   (export "run" (func $run$entry))
//
// The allocator's own call site is not pushed: the wrapper passes it as `site`, and
// the core reads the chain below it from depth 1 to sp. A function that catches an
// exception inside Wasm (C++ catch, longjmp landing pads) resets sp to its own
// entry depth at the start of each catch body, so the next traceback is exact.
// "Can lead to an allocator": calls an allocator or such a function directly, or
// makes any indirect call (conservative: any table entry may be the allocator).

import binaryen from 'binaryen';
import type { SiteRecord } from '@wasm-tracemalloc/runtime/site-table';
import type { ModuleInfo } from './binary/module.js';
import type { BodyScan } from './binary/instructions.js';
import { E, children, findCalls } from './number-call-sites.js';
import { RUNTIME_MODULE, type RuntimeImports } from './wrap-allocators.js';

/** Frames the shadow stack can hold; deeper chains keep their most recent frames. */
export const MAX_SHADOW_FRAMES = 128;

export interface ShadowStackReport {
  /** Calls that now push their site. */
  calls: number;
  /** Table entries (function pointers) that now push an "(indirect call)" frame. */
  tableEntries: number;
  /** Functions whose calls are traced. */
  functions: number;
  exports: number;
  catches: number;
}

/** Defined functions from which an allocator can be reached. */
export function reachingFunctions(info: ModuleInfo, scans: Map<number, BodyScan | null>, allocators: Set<number>): Set<number> {
  const reach = new Set<number>();
  const callers = new Map<number, number[]>();
  const work: number[] = [];
  for (const [f, scan] of scans) {
    if (allocators.has(f)) continue;
    // An unreadable body or an indirect call may reach anything.
    if (!scan || scan.indirectCalls > 0) {
      reach.add(f);
      work.push(f);
    }
    for (const c of scan?.calls ?? []) {
      const list = callers.get(c.callee);
      if (list) list.push(f);
      else callers.set(c.callee, [f]);
    }
  }
  for (const a of allocators) work.push(a);
  while (work.length) {
    const g = work.pop()!;
    for (const f of callers.get(g) ?? []) {
      if (reach.has(f) || allocators.has(f) || !info.functions[f]?.body) continue;
      reach.add(f);
      work.push(f);
    }
  }
  return reach;
}

export function addShadowStackImports(mod: binaryen.Module, rt: RuntimeImports): { sp: string; nframe: string; put: string } {
  const names = { sp: 'wasm-tracemalloc$sp', nframe: 'wasm-tracemalloc$nframe', put: 'wasm-tracemalloc$put' };
  mod.addGlobalImport(names.sp, RUNTIME_MODULE, 'sp', binaryen.i32, true);
  mod.addGlobalImport(names.nframe, RUNTIME_MODULE, 'nframe', binaryen.i32, true);
  mod.addFunctionImport(names.put, RUNTIME_MODULE, 'put', binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none);
  void rt;
  return names;
}

export function addShadowStack(
  mod: binaryen.Module,
  rt: RuntimeImports,
  info: ModuleInfo,
  scans: Map<number, BodyScan | null>,
  reach: Set<number>,
  internalName: (index: number) => string,
  addSite: (site: SiteRecord) => number,
  warnings: string[],
  source: string,
): ShadowStackReport {
  const { i32, none } = binaryen;
  const ss = addShadowStackImports(mod, rt);
  const report: ShadowStackReport = { calls: 0, tableEntries: 0, functions: 0, exports: 0, catches: 0 };
  const reachNames = new Map<string, number>();
  for (const f of reach) reachNames.set(internalName(f), f);
  const trampolines = new Map<string, string>();

  /**
   * `F$shadow(args…, site)` for direct calls; with `fixedSite`, `F$ishadow(args…)` of
   * F's own type for its table entries, pushing that site.
   */
  const trampoline = (callee: string, fixedSite?: number): string => {
    const key = fixedSite === undefined ? callee : `${callee}#indirect`;
    let name = trampolines.get(key);
    if (name) return name;
    name = fixedSite === undefined ? `${callee}$shadow` : `${callee}$ishadow`;
    const fi = binaryen.getFunctionInfo(mod.getFunction(callee));
    const params = binaryen.expandType(fi.params);
    const n = fixedSite === undefined ? params.length : params.length - 1; // index of $site
    const base = n + 1;
    const result = n + 2;
    const siteValue = () => (fixedSite === undefined ? mod.local.get(n, i32) : mod.i32.const(fixedSite));
    const body: number[] = [
      mod.local.set(base, mod.global.get(ss.sp, i32)),
      mod.global.set(ss.sp, mod.i32.add(mod.local.get(base, i32), mod.i32.const(1))),
      mod.if(
        mod.i32.gt_u(mod.global.get(ss.nframe, i32), mod.i32.const(1)),
        mod.call(ss.put, [mod.i32.add(mod.local.get(base, i32), mod.i32.const(1)), mod.global.get(rt.domain, i32), siteValue()], none),
      ),
    ];
    const call = mod.call(callee, params.map((t, i) => mod.local.get(i, t)), fi.results);
    // With a fixed site there is no $site param, and n is one lower: same locals.
    const vars = [i32];
    if (fi.results === none) {
      body.push(call, mod.global.set(ss.sp, mod.local.get(base, i32)));
    } else {
      vars.push(fi.results);
      body.push(mod.local.set(result, call), mod.global.set(ss.sp, mod.local.get(base, i32)), mod.local.get(result, fi.results));
    }
    mod.addFunction(name, fixedSite === undefined ? binaryen.createType([...params, i32]) : fi.params, fi.results, vars, mod.block(null, body, fi.results));
    trampolines.set(key, name);
    return name;
  };

  const targets = new Set(reachNames.keys());
  for (const f of reach) {
    const fname = internalName(f);
    const fref = mod.getFunction(fname);
    const body = binaryen.getFunctionInfo(fref).body;
    if (!body) continue;
    const scan = scans.get(f);
    const binaryCalls = (scan?.calls ?? []).filter((c) => reach.has(c.callee));
    // Walking binaryen's tree from JS is the pass's main cost: skip what the bytes rule out.
    if (scan && binaryCalls.length === 0 && scan.tries === 0) continue;
    const found = findCalls(body, targets);
    const exact = found.complete && !!scan && binaryCalls.length === found.calls.length;
    const start = info.functions[f]!.body!.code;
    found.calls.forEach((call, k) => {
      const callee = E.Call.getTarget(call) as string;
      const site = addSite({
        kind: 'call',
        allocator: info.functions[reachNames.get(callee)!]?.name ?? callee,
        func: f,
        name: info.functions[f]!.name,
        offset: exact ? binaryCalls[k]!.offset : start,
        ...(exact ? {} : { approximate: true }),
      });
      E.Call.setTarget(call, trampoline(callee));
      E.Call.appendOperand(call, mod.i32.const(site));
      report.calls++;
    });
    if (found.calls.length) report.functions++;
    if (!scan || scan.tries > 0) report.catches += restoreInCatches(mod, fref, body, ss.sp);
  }

  // Function pointers: table entries of such functions push "(indirect call)" frames.
  const segments: binaryen.ElementSegmentInfo[] = [];
  for (let i = 0; i < mod.getNumElementSegments(); i++) segments.push(binaryen.getElementSegmentInfo(mod.getElementSegmentByIndex(i)));
  for (const seg of segments) {
    if (!seg.table || !seg.data.some((n) => reachNames.has(n))) continue;
    const data = seg.data.map((fname) => {
      const f = reachNames.get(fname);
      if (f === undefined) return fname;
      report.tableEntries++;
      const site = addSite({ kind: 'indirect', allocator: info.functions[f]?.name ?? fname, func: -1, offset: info.functions[f]?.body?.code ?? 0 });
      return trampoline(fname, site);
    });
    mod.removeElementSegment(seg.name);
    mod.addActiveElementSegment(seg.table, seg.name, data, seg.offset);
  }

  // Exports through which a JS exception can unwind Wasm frames restore sp.
  const entries = new Map<string, string>();
  for (const e of info.exports) {
    if (e.kind !== 0 || !reach.has(e.index)) continue;
    const target = internalName(e.index);
    const existing = entries.get(target);
    if (existing) {
      // One function exported under several names: one entry wrapper serves them all.
      mod.removeExport(e.name);
      mod.addFunctionExport(existing, e.name);
      continue;
    }
    const fi = binaryen.getFunctionInfo(mod.getFunction(target));
    const params = binaryen.expandType(fi.params);
    const base = params.length;
    const label = 'wasm-tracemalloc$unwind';
    const call = mod.call(target, params.map((t, i) => mod.local.get(i, t)), fi.results);
    const restore = mod.block(null, [mod.global.set(ss.sp, mod.local.get(base, i32)), mod.rethrow(label)], binaryen.unreachable);
    const entry = `${target}$entry`;
    mod.addFunction(entry, fi.params, fi.results, [i32], mod.block(null, [
      mod.local.set(base, mod.global.get(ss.sp, i32)),
      mod.try(label, call, [], [restore]),
    ], fi.results));
    mod.removeExport(e.name);
    mod.addFunctionExport(entry, e.name);
    entries.set(target, entry);
    report.exports++;
  }
  if (report.calls === 0) warnings.push(`${source}: shadow stack requested, but no call can lead to an allocator; tracebacks have one frame`);
  return report;
}

/** Resets sp to the function's entry depth at the start of each catch body. */
function restoreInCatches(mod: binaryen.Module, fref: number, body: number, sp: string): number {
  const tries: number[] = [];
  const stack = [body];
  const kids: number[] = [];
  while (stack.length) {
    const e = stack.pop()!;
    if (E.getExpressionId(e) === E.TryId) tries.push(e);
    kids.length = 0;
    children(e, kids);
    stack.push(...kids);
  }
  if (!tries.length) return 0;
  const base = E._BinaryenFunctionAddVar(fref, binaryen.i32) as number;
  const i32 = binaryen.i32;
  let n = 0;
  for (const t of tries) {
    const count = E.Try.getNumCatchBodies(t);
    for (let i = 0; i < count; i++) {
      const catchBody = E.Try.getCatchBodyAt(t, i);
      const reset = mod.global.set(sp, mod.local.get(base, i32));
      const type = binaryen.getExpressionType(catchBody);
      // A tagged catch body starts with its `pop`, which must stay first.
      if (E.getExpressionId(catchBody) === E.BlockId && E.Block.getNumChildren(catchBody) > 0 && containsPop(E.Block.getChildAt(catchBody, 0))) {
        E.Block.insertChildAt(catchBody, 1, reset);
      } else if (containsPop(catchBody)) {
        continue; // a bare pop: nothing can run before it, and there is nothing after
      } else {
        E.Try.setCatchBodyAt(t, i, mod.block(null, [reset, catchBody], type));
      }
      n++;
    }
  }
  E.Function.setBody(fref, mod.block(null, [mod.local.set(base, mod.global.get(sp, i32)), E.Function.getBody(fref)], binaryen.getExpressionType(E.Function.getBody(fref))));
  return n;
}

function containsPop(e: number): boolean {
  if (E.getExpressionId(e) === E.PopId) return true;
  const kids: number[] = [];
  children(e, kids);
  return kids.length === 1 && containsPop(kids[0]!);
}
