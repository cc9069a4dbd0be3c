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
// A trap unwinds to JS with no catch_all running: the runtime's JS entries (exports
// and functions read from tables, runtime/src/core/shadow-stack.ts) put sp back then.
// "Can lead to an allocator": calls an allocator or such a function directly, or
// makes an indirect call whose signature some such function that can be a
// function pointer has (see reachingFunctions).

import binaryen from 'binaryen';
import type { SiteRecord } from '@wasm-tracemalloc/runtime/site-table';
import type { ModuleInfo } from './binary/module.js';
import type { BodyScan } from './binary/instructions.js';
import { E, activeElementSegments, children, findCalls } from './number-call-sites.js';
import { RUNTIME_MODULE, type RuntimeImports } from './wrap-allocators.js';

/** Frames the shadow stack can hold (the core's ring); deeper chains keep their most recent frames. */
export { MAX_SHADOW_FRAMES } from '@wasm-tracemalloc/runtime/abi';

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

/** A signature's key: call_indirect and call_ref match callees by their function type. */
function signatureKey(info: ModuleInfo, typeIndex: number | undefined): string | undefined {
  const t = typeIndex === undefined ? undefined : info.types[typeIndex];
  return t && `${t.params.join(',')}>${t.results.join(',')}`;
}

/**
 * Defined functions from which an allocator can be reached.
 *
 * A call graph over direct calls plus one node per signature: an indirect call
 * (`call_indirect`, `call_ref`) of type T can reach the functions of type T that can
 * become a function reference (element segments, `ref.func`, initializers, and every
 * export when a table is shared with JS). An indirect call whose type is not a
 * plain function type, or a module whose references could not be read, may reach
 * anything.
 */
export function reachingFunctions(info: ModuleInfo, scans: Map<number, BodyScan | null>, allocators: Set<number>): Set<number> {
  const reach = new Set<number>();
  // Predecessors: function index -> callers; signature key -> functions calling it.
  const callers = new Map<number, number[]>();
  const sigCallers = new Map<string, number[]>();
  const work: number[] = [];
  const add = <K>(m: Map<K, number[]>, k: K, f: number) => {
    const list = m.get(k);
    if (list) list.push(f);
    else m.set(k, [f]);
  };
  const taken = info.addressTaken && new Set(info.addressTaken);
  for (const scan of scans.values()) for (const r of scan?.refFuncs ?? []) taken?.add(r);
  for (const [f, scan] of scans) {
    if (allocators.has(f)) continue;
    let anything = !scan || !taken;
    for (const t of scan?.indirectTypes ?? []) {
      const key = signatureKey(info, t);
      if (key === undefined) anything = true;
      else add(sigCallers, key, f);
    }
    // An unreadable body, or an indirect call we cannot narrow, may reach anything.
    if (anything || (scan && scan.indirectTypes.length < scan.indirectCalls)) {
      reach.add(f);
      work.push(f);
    }
    for (const c of scan?.calls ?? []) add(callers, c.callee, f);
  }
  const reachedSigs = new Set<string>();
  for (const a of allocators) work.push(a);
  while (work.length) {
    const g = work.pop()!;
    const next = [...(callers.get(g) ?? [])];
    if (taken?.has(g)) {
      const key = signatureKey(info, info.functions[g]?.typeIndex);
      if (key !== undefined && !reachedSigs.has(key)) {
        reachedSigs.add(key);
        next.push(...(sigCallers.get(key) ?? []));
      }
    }
    for (const f of next) {
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

export interface ShadowPlan {
  /** Calls redirected in the bytes (scanned functions), and how many functions have one. */
  calls: number;
  functions: number;
  /** Their callees: each one's stub becomes its trampoline. */
  callees: Set<number>;
}

/**
 * Gives a site to every call, in a function our scanner read, that can lead to an
 * allocator, and has it redirected in the bytes to its callee's stub
 * (binary/redirect-calls.ts), which addShadowStack turns into the trampoline.
 */
export function planShadowCalls(
  info: ModuleInfo,
  scans: Map<number, BodyScan | null>,
  reach: Set<number>,
  addSite: (site: SiteRecord) => number,
  redirect: (func: number, offset: number, callee: number, site: number) => void,
): ShadowPlan {
  const plan: ShadowPlan = { calls: 0, functions: 0, callees: new Set() };
  for (const f of reach) {
    const scan = scans.get(f);
    if (!scan) continue;
    let any = false;
    for (const c of scan.calls) {
      if (!reach.has(c.callee)) continue;
      const site = addSite({ kind: 'call', allocator: info.functions[c.callee]?.name ?? `wasm-function[${c.callee}]`, func: f, name: info.functions[f]!.name, offset: c.offset });
      redirect(f, c.offset, c.callee, site);
      plan.callees.add(c.callee);
      plan.calls++;
      any = true;
    }
    if (any) plan.functions++;
  }
  return plan;
}

export function addShadowStack(
  mod: binaryen.Module,
  rt: RuntimeImports,
  info: ModuleInfo,
  scans: Map<number, BodyScan | null>,
  reach: Set<number>,
  plan: ShadowPlan,
  internalName: (index: number) => string,
  stubName: (callee: number) => string | undefined,
  addSite: (site: SiteRecord) => number,
  warnings: string[],
  source: string,
): ShadowStackReport {
  const { i32, none } = binaryen;
  const ss = addShadowStackImports(mod, rt);
  const report: ShadowStackReport = { calls: plan.calls, tableEntries: 0, functions: plan.functions, exports: 0, catches: 0 };
  const stubs = new Map<string, string>();
  for (const c of plan.callees) stubs.set(internalName(c), stubName(c)!);
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
    const stub = fixedSite === undefined ? stubs.get(callee) : undefined;
    name = stub ?? (fixedSite === undefined ? `${callee}$shadow` : `${callee}$ishadow`);
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
    if (stub) mod.removeFunction(stub); // calls redirected in the bytes name it already
    mod.addFunction(name, fixedSite === undefined ? binaryen.createType([...params, i32]) : fi.params, fi.results, vars, mod.block(null, body, fi.results));
    trampolines.set(key, name);
    return name;
  };

  for (const callee of stubs.keys()) trampoline(callee);
  const targets = new Set(reachNames.keys());
  const tryTables: string[] = [];
  for (const f of reach) {
    const scan = scans.get(f);
    const fref = mod.getFunction(internalName(f));
    const body = binaryen.getFunctionInfo(fref).body;
    if (!body) continue;
    if (!scan) {
      // Our scanner could not read it: find its calls in binaryen's tree instead.
      const found = findCalls(body, targets);
      const start = info.functions[f]!.body!.code;
      for (const call of found.calls) {
        const callee = E.Call.getTarget(call) as string;
        const index = reachNames.get(callee)!;
        const site = addSite({ kind: 'call', allocator: info.functions[index]?.name ?? `wasm-function[${index}]`, func: f, name: info.functions[f]!.name, offset: start, approximate: true });
        E.Call.setTarget(call, trampoline(callee));
        E.Call.appendOperand(call, mod.i32.const(site));
        report.calls++;
      }
      if (found.calls.length) report.functions++;
    }
    if (!scan || scan.tries > 0) {
      const restored = restoreInCatches(mod, fref, body, ss.sp);
      report.catches += restored.catches;
      if (restored.tryTables) tryTables.push(info.functions[f]!.name ?? `wasm-function[${f}]`);
    }
  }
  if (tryTables.length) {
    const names = tryTables.slice(0, 3).join(', ') + (tryTables.length > 3 ? `, … (${tryTables.length} functions)` : '');
    warnings.push(`${source}: ${names} catch exceptions with try_table (the new exception-handling instructions), which the shadow stack does not instrument: after an exception caught there, tracebacks keep frames of the calls it unwound until the catching function returns. Legacy try/catch (clang's default) is handled`);
  }

  // Function pointers: table entries of such functions push "(indirect call)" frames.
  // (Entries a passive segment copies in with table.init keep the function itself.)
  for (const seg of activeElementSegments(mod)) {
    if (!seg.table || !seg.data.some((n) => reachNames.has(n))) continue;
    const data = seg.data.map((fname) => {
      const f = reachNames.get(fname);
      if (f === undefined) return fname;
      report.tableEntries++;
      // binaryen names an unnamed function by its index: a bare number in a frame.
      const site = addSite({ kind: 'indirect', allocator: info.functions[f]?.name ?? `wasm-function[${f}]`, func: -1, offset: info.functions[f]?.body?.code ?? 0 });
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

/**
 * Resets sp to the function's entry depth at the start of each catch body. In the
 * function's own code sp always equals that depth (every trampoline restores it on a
 * normal return), so the reset is exact whether the catch ran after an unwind or not.
 * `delegate` needs nothing: it hands the exception to an outer catch of the same
 * function, which resets, or to the caller. `try_table` (new exception handling)
 * branches to a label instead of running a catch body; it is counted, not handled.
 */
// binaryen.js 132 declares TryTableId in its types but does not define it.
const TRY_TABLE_ID = E._BinaryenTryTableId() as number;

function restoreInCatches(mod: binaryen.Module, fref: number, body: number, sp: string): { catches: number; tryTables: number } {
  const tries: number[] = [];
  let tryTables = 0;
  const stack = [body];
  const kids: number[] = [];
  while (stack.length) {
    const e = stack.pop()!;
    const id = E.getExpressionId(e);
    if (id === E.TryId) tries.push(e);
    else if (id === TRY_TABLE_ID) tryTables++;
    kids.length = 0;
    children(e, kids);
    stack.push(...kids);
  }
  if (!tries.length) return { catches: 0, tryTables };
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
  return { catches: n, tryTables };
}

function containsPop(e: number): boolean {
  if (E.getExpressionId(e) === E.PopId) return true;
  const kids: number[] = [];
  children(e, kids);
  return kids.length === 1 && containsPop(kids[0]!);
}
