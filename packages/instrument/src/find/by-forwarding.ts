// Following an allocator down to the one every path goes through.
//
//   (func $__wbindgen_malloc (param $size i32) (param $align i32) (result i32)
//     (br_if … (i32.eqz (call $is_size_align_valid (local.get $size) (local.get $align))))
//     (local.tee $p (call $__rust_alloc (local.get $size) (local.get $align)))   ;; forwards
//     … (return (local.get $p)))
//   (func $__rust_alloc (param $size i32) (param $align i32) (result i32)
//     (if (i32.ge_u (local.get $align) (i32.const 9))
//       (then (br $b (call $memalign (local.get $align) (local.get $size)))))   ;; forwards
//     (call $malloc (local.get $size)))                                         ;; forwards
//
// A wasm-bindgen shim only serves JS: Rust code calls `$__rust_alloc` or `$malloc`
// itself, at hundreds of sites, and tracing the shim alone sees none of them. The same
// goes for wasm-ld's export wrappers and napi-wasm's `napi_wasm_malloc`: an export whose
// body forwards to the internal allocator that the rest of the module calls.
//
// A call forwards an allocation when it is passed the anchor's size (and, for a
// realloc, its pointer) unchanged and its result is what the anchor returns; it
// forwards a free when it is the one function passed the anchor's pointer. Each callee found is traced
// too, with the wrappers' depth guard keeping the outermost call the one that counts,
// and followed in turn. Only the analysis in flow.ts decides: a function it cannot
// model forwards nothing.

import type { ModuleInfo } from '../binary/module.js';
import { analyzeFlow, only, type Flow } from './flow.js';
import { alloc, free, functionLabel, realloc, type AllocatorMatch, type AllocSpec } from './specs.js';

const MAX_DEPTH = 4;
const FOLLOWED_BY_NAME = new Set(['wasm-bindgen', 'napi-wasm', 'rust']);

/** Where a callee receives the anchor's argument `param` (unchanged, or offset by a constant). */
function argumentOf(args: ReadonlyArray<ReadonlySet<string>>, param: number): { index: number; offset: number } | undefined {
  for (let i = 0; i < args.length; i++) {
    const o = only(args[i]);
    const m = o && /^p(\d+)(?:\+(-?\d+))?$/.exec(o);
    if (m && Number(m[1]) === param) return { index: i, offset: Number(m[2] ?? 0) };
  }
  return undefined;
}

/** The callees of `flow` that do what `spec` does, with their own specs. */
function forwards(info: ModuleInfo, flow: Flow, spec: AllocSpec): Array<{ callee: number; spec: AllocSpec }> {
  const out: Array<{ callee: number; spec: AllocSpec }> = [];
  for (const call of flow.calls) {
    const f = info.functions[call.callee];
    const t = f?.type;
    if (!f || !t || t.params.some((p) => p !== 0x7f) || t.results.some((r) => r !== 0x7f)) continue;
    const returns = t.results.length === 1;
    if (spec.kind === 'alloc') {
      const size = argumentOf(call.args, spec.size!);
      // The callee's block is the anchor's minus what the anchor adds to it (AssemblyScript
      // ARC's `__alloc` returns allocateBlock's block + 16, keyed at the block).
      if (returns && call.returned !== undefined && size && size.offset === 0) {
        const adjust = (spec.adjust ?? 0) + call.returned;
        out.push({ callee: call.callee, spec: { ...alloc(t.params.length, size.index), ...(adjust ? { adjust } : {}) } });
      }
    } else if (spec.kind === 'realloc') {
      const ptr = argumentOf(call.args, spec.ptr!);
      const size = argumentOf(call.args, spec.size!);
      if (returns && call.returned === 0 && ptr && size && ptr.offset === 0 && size.offset === 0) out.push({ callee: call.callee, spec: realloc(t.params.length, ptr.index, size.index, spec.zeroFrees) });
    } else if (spec.kind === 'free') {
      const ptr = argumentOf(call.args, spec.ptr!);
      // The pointer unchanged: TLSF's `__free(ptr)` hands `ptr - 4` to insertBlock,
      // which also takes the free space that allocations split off.
      if (!returns && ptr && ptr.offset === 0) out.push({ callee: call.callee, spec: free(t.params.length, ptr.index, spec.adjust) });
    }
  }
  // A free forwards to one function. One that hands the pointer to several (a
  // sanitizer's free: hooks, bookkeeping, then the allocator) forwards to none we can name.
  if (spec.kind === 'free' && new Set(out.map((o) => o.callee)).size > 1) return [];
  // An allocation forwards to the allocator, and perhaps to its aligned form
  // (`__rust_alloc`: memalign or malloc). More than that is a dispatcher (a sanitizer's
  // malloc), whose callees we cannot tell apart.
  if (new Set(out.map((o) => o.callee)).size > 2) return [];
  return out;
}

/**
 * Functions the anchors forward to, transitively. `known` are the functions already
 * taken as allocators (they are not followed again, nor re-labelled).
 */
export function findByForwarding(info: ModuleInfo, anchors: AllocatorMatch[], known: Set<number>, flows: (index: number) => Flow | undefined = (i) => analyzeFlow(info, info.functions[i]!)): AllocatorMatch[] {
  const found: AllocatorMatch[] = [];
  const seen = new Set(known);
  const exportName = new Map(info.exports.filter((e) => e.kind === 0).map((e) => [e.index, e.name]));
  const follow = (from: AllocatorMatch, depth: number) => {
    if (depth >= MAX_DEPTH || from.func.import) return;
    const flow = flows(from.func.index);
    if (!flow) return;
    for (const { callee, spec } of forwards(info, flow, from.spec)) {
      if (seen.has(callee)) continue;
      const f = info.functions[callee]!;
      // A free that forwards must end in one that writes memory: a validity check that
      // takes the pointer and returns nothing is not a free.
      if (spec.kind === 'free' && !f.import && !reachesStore(info, callee, flows)) continue;
      seen.add(callee);
      const shim = from.family === 'wasm-bindgen' || from.evidence.finder === 'wasm-bindgen shim';
      const match: AllocatorMatch = {
        func: f,
        matchedBy: functionLabel(f, exportName.get(callee)),
        family: from.family,
        spec,
        evidence: { finder: shim ? 'wasm-bindgen shim' : 'forwarding thunk', detail: `${from.matchedBy} forwards its ${spec.kind === 'free' ? 'pointer' : spec.kind === 'realloc' ? 'pointer and size' : 'size'} to it` },
      };
      found.push(match);
      follow(match, depth + 1);
    }
  };
  // In a module with names, the presets name the inner allocators of C, C++ and
  // AssemblyScript themselves; Rust's and the JS-facing shims' inner allocator has a
  // crate-private name (`dlmalloc::Dlmalloc<A>::malloc`), so those are followed, as
  // are anchors known by export, glue or rule.
  for (const a of anchors) if (a.evidence.finder !== 'name' || FOLLOWED_BY_NAME.has(a.family)) follow(a, 0);
  return found;
}

function reachesStore(info: ModuleInfo, index: number, flows: (index: number) => Flow | undefined, depth = 0): boolean {
  const f = info.functions[index]!;
  if (f.import) return true;
  const flow = flows(index);
  if (!flow) return true; // too big or too rich to model: an allocator, not a check
  if (flow.stores > 0 || flow.fills > 0) return true;
  return depth < 3 && flow.calls.some((c) => reachesStore(info, c.callee, flows, depth + 1));
}
