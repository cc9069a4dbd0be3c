// Finding an allocator's missing partners by what they do, when no name, export or
// glue names them. A family that traces malloc and free but not realloc is worse than
// none: a block realloc moves is never traced, and its later free reads as a double
// free that never happened. So once malloc and free are known:
//
// - realloc is the (i32, i32) → i32 function that allocates as malloc does (malloc,
//   or what malloc forwards to) and hands its first argument to free (or to what free
//   hands its pointer to): dlmalloc's `dlrealloc` (malloc new, copy, free old when the
//   block cannot grow in place), SQLite's realloc with a size header and dlrealloc
//   inlined, LeakSanitizer's. Of several, the most called one, then up through a
//   caller that only forwards to it.
// - AssemblyScript's free (TLSF `__free`, or the ARC runtime's block free under
//   `__release`), from the function its exported allocator forwards to.
// - malloc itself, when nothing anchors: dlmalloc by its shape.
// - free, when only malloc is known, is the (i32) → () function that shares the most
//   fixed-address heap state with malloc (dlmalloc's `_gm_`, its bins, the top chunk)
//   and writes memory. Of several, the most called one.
// - memalign, once malloc is known: dlmalloc's `internal_memalign([m,] alignment,
//   bytes)`, behind aligned_alloc, memalign and posix_memalign. It returns
//   malloc(bytes) as it is when the alignment is small, and otherwise mallocs a padded
//   request and gives back the unaligned ends itself. Untraced, every block Rust or C
//   allocates with a large alignment (argon2's 1 MiB memory) is missing, and its free
//   reads as an untraced free, or, once the address held a traced block, as a double
//   free that never happened.
//
// Each is a guess from structure, and says so in the report. A wrong guess can only
// change numbers, never what the program does: the wrappers call the original.

import type { ModuleInfo } from '../binary/module.js';
import type { BodyScan } from '../binary/instructions.js';
import { only, type Flow } from './flow.js';
import { alloc, free, functionLabel, realloc, type AllocatorMatch } from './specs.js';

const I32 = 0x7f;
const isSig = (info: ModuleInfo, index: number, params: number, results: number) => {
  const t = info.functions[index]?.type;
  return !!t && t.params.length === params && t.results.length === results && t.params.every((p) => p === I32) && t.results.every((r) => r === I32);
};

/** Direct calls to each function: of several candidates, the most called is the one the program uses. */
interface CallCounts {
  of(index: number): number;
  mostCalled(list: number[]): number | undefined;
}

function callCounts(scans: ReadonlyMap<number, BodyScan | null>): CallCounts {
  const fanIn = new Map<number, number>();
  for (const scan of scans.values()) for (const c of scan?.calls ?? []) fanIn.set(c.callee, (fanIn.get(c.callee) ?? 0) + 1);
  const of = (index: number) => fanIn.get(index) ?? 0;
  return { of, mostCalled: (list) => [...list].sort((a, b) => of(b) - of(a) || a - b)[0] };
}

const offsetOf = (origin: string | undefined, param: number): number | undefined => {
  const m = origin && /^p(\d+)(?:\+(-?\d+))?$/.exec(origin);
  return m && Number(m[1]) === param ? Number(m[2] ?? 0) : undefined;
};

/**
 * A realloc frees its first argument: dlrealloc itself (`free(p)`), or a wrapper with
 * dlrealloc inlined that keeps a header before the block (`free(p - 8)`, and
 * `malloc(n + 8)` for the new one). When the flow cannot be read, dlrealloc is assumed.
 */
function reallocShape(flow: Flow | undefined, M: Map<number, number>, F: Map<number, number>): AllocatorMatch['spec'] | undefined {
  if (!flow) return realloc(2, 0, 1, true);
  const freed = flow.calls.filter((c) => F.has(c.callee)).map((c) => offsetOf(only(c.args[F.get(c.callee)!]), 0));
  const header = freed.find((k) => k !== undefined);
  if (header === undefined || header > 0 || header < -64) return undefined;
  if (header === 0) return realloc(2, 0, 1, true);
  const grown = flow.calls.filter((c) => M.has(c.callee)).map((c) => offsetOf(only(c.args[M.get(c.callee)!]), 1)).find((k) => k !== undefined);
  if (grown !== -header) return undefined;
  return { ...realloc(2, 0, 1, false), adjust: header, sizeAdjust: grown };
}

/**
 * AssemblyScript ≤ 0.17 (ARC): an object dies when `__release` drops its count to 0,
 * and its block goes back to TLSF in `freeBlock(root, block)`:
 *   __release(ptr)      → decrement(ptr - 16)
 *   decrement(block)    → … freeBlock(root, block)
 * The exported `__alloc(size, id)` is keyed by the block (payload − 16), so freeBlock's
 * second argument is the key as it is.
 */
function arcFreeBlock(info: ModuleInfo, known: AllocatorMatch[], flows: (index: number) => Flow | undefined): AllocatorMatch | undefined {
  const alloc = known.find((a) => a.family === 'assemblyscript' && a.spec.kind === 'alloc' && a.spec.adjust === -16);
  if (!alloc || known.some((a) => a.family === 'assemblyscript' && a.spec.kind === 'free')) return undefined;
  const release = info.exports.find((e) => e.kind === 0 && e.name === '__release');
  if (!release || !isSig(info, release.index, 1, 0)) return undefined;
  const decrement = flows(release.index)?.calls.find((c) => c.args.length === 1 && only(c.args[0]) === 'p0+-16');
  if (!decrement) return undefined;
  const frees = (flows(decrement.callee)?.calls ?? []).filter((c) => c.args.length === 2 && only(c.args[1]) === 'p0' && isSig(info, c.callee, 2, 0));
  const callees = new Set(frees.map((c) => c.callee));
  if (callees.size !== 1) return undefined;
  const index = [...callees][0]!;
  const f = info.functions[index]!;
  return {
    func: f,
    matchedBy: functionLabel(f),
    family: 'assemblyscript',
    spec: { ...free(2, 1), nestedPasses: true },
    evidence: { finder: 'structure', detail: `AssemblyScript's ARC runtime: __release → wasm-function[${decrement.callee}](ptr - 16) → this(root, block)` },
  };
}

/**
 * With no name, export or glue to start from (a stripped module instantiated from
 * bytes): dlmalloc's malloc by its shape, the allocator of Emscripten's default build,
 * wasi-libc and Rust's wasm targets. An (i32) → i32 function of some size that rounds
 * requests to chunks, `(n + 11) & -8` (or `(n + 19) & -16` with 16-byte alignment),
 * tests the small-request limit (n ≤ 244, or < 245) and refuses requests ≥ −64.
 * Of several (a wrapper inlining it), the most called one.
 */
function dlmallocByShape(info: ModuleInfo, calls: CallCounts, flows: (index: number) => Flow | undefined): AllocatorMatch | undefined {
  const candidates: number[] = [];
  for (const f of info.functions) {
    if (!f.body || f.body.end - f.body.start < 512 || !isSig(info, f.index, 1, 1)) continue;
    const k = flows(f.index)?.constants;
    if (!k) continue;
    const rounds = (k.has(11) && k.has(-8)) || (k.has(19) && k.has(-16));
    if (rounds && (k.has(244) || k.has(245)) && (k.has(-64) || k.has(-65))) candidates.push(f.index);
  }
  if (candidates.length === 0) return undefined;
  const pick = calls.mostCalled(candidates)!;
  const f = info.functions[pick]!;
  const exported = info.exports.find((e) => e.kind === 0 && e.index === pick)?.name;
  return {
    func: f,
    matchedBy: functionLabel(f, exported),
    family: 'c',
    spec: alloc(1),
    evidence: { finder: 'structure', detail: `dlmalloc's shape (rounds requests to 8-byte chunks, 244-byte small-request limit), called from ${calls.of(pick)} places` },
  };
}

/**
 * AssemblyScript 0.18+ (`-O3`, no name section): `__new` is exported, `__free` is not.
 * `__free(ptr)` gives the block back with `insertBlock(root, ptr - 4)`, and
 * insertBlock is also what the allocator behind `__new` (allocateBlock) calls for the
 * space it splits off. So `__free` is the (i32) → () function that hands its argument,
 * less a block header, to a function the allocator calls.
 */
function tlsfFree(info: ModuleInfo, known: AllocatorMatch[], flows: (index: number) => Flow | undefined): AllocatorMatch | undefined {
  const anchor = known.find((a) => a.family === 'assemblyscript' && a.spec.kind === 'alloc' && a.spec.adjust === -16);
  if (!anchor || known.some((a) => a.family === 'assemblyscript' && a.spec.kind === 'free')) return undefined;
  const allocators = (flows(anchor.func.index)?.calls ?? []).filter((c) => c.returned !== undefined).map((c) => c.callee);
  const helpers = new Set(allocators.flatMap((a) => (flows(a)?.calls ?? []).filter((c) => isSig(info, c.callee, 2, 0)).map((c) => c.callee)));
  if (helpers.size === 0) return undefined;
  const taken = new Set(known.map((a) => a.func.index));
  const candidates = info.functions.filter((f) => {
    if (!f.body || taken.has(f.index) || !isSig(info, f.index, 1, 0)) return false;
    return (flows(f.index)?.calls ?? []).some((c) => {
      const m = helpers.has(c.callee) ? /^p0\+(-\d+)$/.exec(only(c.args[1]) ?? '') : null;
      return !!m && Number(m[1]) >= -16;
    });
  });
  if (candidates.length !== 1) return undefined;
  const f = candidates[0]!;
  return {
    func: f,
    matchedBy: functionLabel(f),
    family: 'assemblyscript',
    spec: free(1),
    evidence: { finder: 'structure', detail: `AssemblyScript's TLSF __free: hands its pointer less the block header to the function ${anchor.matchedBy}'s allocator inserts free blocks with` },
  };
}

/**
 * dlmalloc's internal_memalign (see the top of this file): an (i32, i32) → i32
 * function, not yet known, that calls malloc once, with a padded request it computes,
 * and does not return that block (it returns an aligned pointer inside it). Its
 * constants are dlmalloc's: the request limit (−64) and the chunk rounding
 * (`+ 11 & −8`, or `+ 19 & −16`). posix_memalign calls it with its size, and calls
 * malloc itself for a small alignment (that block is malloc's, traced as such). Of
 * several, the one posix_memalign calls, else the most called.
 */
function memalignByShape(
  info: ModuleInfo,
  known: AllocatorMatch[],
  taken: Set<number>,
  scans: ReadonlyMap<number, BodyScan | null>,
  flows: (index: number) => Flow | undefined,
  calls: CallCounts,
): { index: number; spec: AllocatorMatch['spec']; detail: string } | undefined {
  if (known.some((a) => (a.spec.kind === 'alloc' && a.spec.params === 2 && a.spec.size === 1) || a.spec.kind === 'posix_memalign')) return undefined;
  const mallocs = new Set(known.filter((a) => a.spec.kind === 'alloc' && a.spec.params === 1 && !a.spec.adjust).map((a) => a.func.index));
  if (mallocs.size === 0) return undefined;
  const candidates: number[] = [];
  for (const f of info.functions) {
    if (!f.body || taken.has(f.index) || !isSig(info, f.index, 2, 1)) continue;
    const flow = flows(f.index);
    if (!flow) continue;
    const toMalloc = flow.calls.filter((c) => mallocs.has(c.callee));
    if (toMalloc.length !== 1 || toMalloc[0]!.returned !== undefined || /^p\d+$/.test(only(toMalloc[0]!.args[0]) ?? '')) continue;
    const k = flow.constants;
    const rounds = (k.has(11) && k.has(-8)) || (k.has(19) && k.has(-16));
    if (rounds && (k.has(-64) || k.has(-65))) candidates.push(f.index);
  }
  if (candidates.length === 0) return undefined;
  // posix_memalign(out, alignment, size): (i32, i32, i32) → i32, calling malloc(size) and the candidate (…, size).
  const viaPosix = candidates.filter((c) =>
    [...scans.keys()].some((caller) => {
      if (!isSig(info, caller, 3, 1)) return false;
      const fcalls = flows(caller)?.calls ?? [];
      return fcalls.some((x) => x.callee === c && only(x.args[1]) === 'p2') && fcalls.some((x) => mallocs.has(x.callee) && only(x.args[0]) === 'p2');
    }),
  );
  const pick = calls.mostCalled(viaPosix.length ? viaPosix : candidates)!;
  const how = viaPosix.includes(pick) ? ', called by posix_memalign' : '';
  return { index: pick, spec: alloc(2, 1), detail: `dlmalloc's internal_memalign (alignment, size) → i32: mallocs a padded request and returns an aligned pointer inside it${how}; called from ${calls.of(pick)} places` };
}

export function findByStructure(
  info: ModuleInfo,
  known: AllocatorMatch[],
  scans: ReadonlyMap<number, BodyScan | null>,
  flows: (index: number) => Flow | undefined,
): AllocatorMatch[] {
  const found: AllocatorMatch[] = [];
  const taken = new Set(known.map((a) => a.func.index));
  const calls = callCounts(scans);
  const as = arcFreeBlock(info, known, flows) ?? tlsfFree(info, known, flows);
  if (as) return [as];
  const anchorless = known.length === 0;
  if (anchorless) {
    const dl = dlmallocByShape(info, calls, flows);
    if (!dl) return found;
    known = [dl];
    found.push(dl);
    taken.add(dl.func.index);
  }
  const mallocs = known.filter((a) => a.spec.kind === 'alloc' && a.spec.params === 1 && a.spec.size === 0 && !a.spec.adjust);
  if (mallocs.length === 0) return found;
  const frees = known.filter((a) => a.spec.kind === 'free' && a.spec.params === 1 && !a.spec.adjust);
  const family = mallocs[0]!.family;
  const exportName = new Map(info.exports.filter((e) => e.kind === 0).map((e) => [e.index, e.name]));

  const { mostCalled } = calls;
  const match = (index: number, spec: AllocatorMatch['spec'], detail: string): AllocatorMatch => {
    const f = info.functions[index]!;
    return { func: f, matchedBy: functionLabel(f, exportName.get(index)), family, spec, evidence: { finder: 'structure', detail } };
  };

  if (frees.length === 0) {
    const state = new Set<number>();
    for (const m of mallocs) for (const a of flows(m.func.index)?.constAddresses ?? []) state.add(a);
    const candidates: number[] = [];
    let best = 0;
    for (const f of info.functions) {
      if (!f.body || taken.has(f.index) || !isSig(info, f.index, 1, 0)) continue;
      const flow = flows(f.index);
      if (!flow || flow.stores === 0) continue;
      const shared = [...flow.constAddresses].filter((a) => state.has(a)).length;
      if (shared === 0 || shared < best) continue;
      if (shared > best) candidates.length = 0;
      best = shared;
      candidates.push(f.index);
    }
    const pick = mostCalled(candidates);
    if (pick !== undefined) {
      const m = match(pick, free(1), `(i32) → () sharing ${best} fixed heap addresses with ${mallocs[0]!.matchedBy}, called from ${calls.of(pick)} places`);
      found.push(m);
      frees.push(m);
      taken.add(pick);
    }
  }

  if (frees.length > 0 && !known.some((a) => a.spec.kind === 'realloc' && a.family === family)) {
    // What allocates (callee → its size argument): malloc and what it forwards to. What
    // frees (callee → its pointer argument): free and what free hands its pointer to (a
    // sanitizer's free does not forward to one function, but its realloc calls the same).
    const M = new Map<number, number>();
    for (const a of known) if (a.spec.kind === 'alloc' && !a.spec.adjust && a.family === family) M.set(a.func.index, a.spec.size!);
    const F = new Map<number, number>(frees.map((f) => [f.func.index, f.spec.ptr!]));
    for (const f of frees) {
      for (const c of flows(f.func.index)?.calls ?? []) {
        const at = c.args.findIndex((a) => only(a) === `p${f.spec.ptr}`);
        if (at >= 0 && !F.has(c.callee)) F.set(c.callee, at);
      }
    }
    const candidates: number[] = [];
    const specs = new Map<number, AllocatorMatch['spec']>();
    for (const f of info.functions) {
      if (!f.body || taken.has(f.index) || !isSig(info, f.index, 2, 1)) continue;
      const calls = scans.get(f.index)?.calls ?? [];
      if (!calls.some((c) => M.has(c.callee)) || !calls.some((c) => F.has(c.callee))) continue;
      const spec = reallocShape(flows(f.index), M, F);
      if (!spec) continue;
      specs.set(f.index, spec);
      candidates.push(f.index);
    }
    let pick = mostCalled(candidates);
    if (pick !== undefined) {
      const spec = specs.get(pick)!;
      // Up through thunks: the function whose only job is to call it (LeakSanitizer's
      // realloc interceptor around lsan_realloc) is the realloc the program calls.
      for (let hops = 0; hops < 3 && !spec.adjust; hops++) {
        const callers = [...scans].filter(([, scan]) => scan?.calls.some((c) => c.callee === pick));
        if (callers.length !== 1) break;
        const [caller] = callers[0]!;
        const forwarded = flows(caller)?.calls.some((c) => c.callee === pick && c.returned === 0 && only(c.args[0]) === 'p0' && only(c.args[1]) === 'p1');
        if (!forwarded || taken.has(caller) || !isSig(info, caller, 2, 1)) break;
        pick = caller;
      }
      const header = spec.adjust ? `, keeping a ${spec.sizeAdjust}-byte header (frees its first argument ${spec.adjust})` : '';
      found.push(match(pick, spec, `(i32, i32) → i32 allocating as ${mallocs[0]!.matchedBy} does and freeing its first argument as ${frees[0]!.matchedBy} does${header}, called from ${calls.of(pick)} places`));
    }
  }
  const memalign = memalignByShape(info, found.concat(known), taken, scans, flows, calls);
  if (memalign) found.push(match(memalign.index, memalign.spec, memalign.detail));
  // Found from nothing but its shape, a malloc is only taken with its free: half a
  // family would report every block as a leak.
  if (anchorless && !found.some((a) => a.spec.kind === 'free')) return [];
  return found;
}
