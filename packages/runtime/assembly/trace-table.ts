// The trace table: the core of wasm-tracemalloc.
//
// Like CPython's Python/tracemalloc.c, this file does one thing: it records the
// allocations of traced modules as fast as it can, in its own linear memory.
// Instrumented modules import `alloc`, `free` and `realloc` (module
// "wasm-tracemalloc") and the linker passes these exports straight in, so a traced
// malloc never enters JS. Everything else (snapshots, statistics, names of sites)
// belongs to the TypeScript model.
//
// The hot path only appends an event to a small buffer (EVENTS) and returns; the
// buffer is applied to the trace table in order when it is full and before any
// query (flushEvents). Applying an event reads a random line of the table, a
// likely cache miss: in a batch these misses overlap one another instead of
// stalling the traced program's own accesses to its heap.
//
// What is inlined is binaryen's choice: AssemblyScript has no @noinline, and
// binaryen inlines any function with one caller. Keeping the slow paths (deep
// tracebacks, cache misses, memory loss) out of alloc, by giving them a second
// caller, measured the same.
//
// Built with --runtime stub and no imports: no AssemblyScript object is ever
// allocated. All state is Wasm globals plus raw loads and stores into the regions
// below, which the core lays out and grows itself.
//
// Memory layout, lowest address first (FRAMES to SITES are static data, at 1024
// in AssemblyScript's layout; the rest starts at __heap_base):
//
//   FRAMES      128 × 4 B        frame buffer: the frames of the traceback being
//                                recorded, copied from STACK and the site
//   LOG         256 × 20 B       invalid-free log, a ring of
//                                [domain][ptr][site][kind][tb of the original alloc]
//   EMPTY       16 B             zeros: the snapshot returned when not tracing
//   STACK       128 × 4 B        the shadow stack's ring (see put())
//   RECENT      4096 × 8 B       recent frees: [ptr][tb], direct-mapped on the
//                                trace hash, so that a second free is told from a
//                                free of a block never traced (see free())
//   SITES       512 × 16 B       one-frame tracebacks: [site][domain][total_nframe][tb],
//                                direct-mapped, so that an alloc at nframe 1 skips
//                                hashing and probing the set (see tracebackOfSite())
//   EVENTS      512 × 16 B       events not yet applied, oldest first:
//                                [ptr][size or site][tb, SITE_EVENT | site, or a MARK_*][domain]
//   FILTER      32768 bits       when sampling, bit i: some live trace's hash has top
//                                bits i, so that most frees skip the table (see sampleFree)
//   FILTER_COUNT 32768 × u8      how many (saturated at 255: then never decremented)
//   storeBase   storeCap B       traceback store: records
//                                [hash][domain][nframe][total_nframe] (u32 each),
//                                [alloc count][alloc bytes][free count][free bytes]
//                                [peak count][peak bytes] (f64 each, see the counters
//                                section), [epoch] (u64), [frames…] (u32 each, oldest →
//                                most recent), bump-allocated, never moved, walked in
//                                order by tbFirst/tbNext. A traceback id (tb) is a
//                                record's address / 4.
//   setBase     setCap × 4 B     traceback set: tb ids, 0 = empty slot; open addressing,
//                                linear probing on the record hash.
//   escBase     escCap × 8 B     escape records [size][tb] of entries whose meta word
//                                cannot hold them (see packMeta); freed ones are
//                                chained through their size word.
//   tableBase   lines × 64 B     trace table: lines of 7 entries [ptr][meta] and an
//                                overflow count; open addressing on (ptr, domain),
//                                probing line by line. ptr 0 = empty slot.
//   top         ──────────────   end of the live structures
//               scratch          rehash target and snapshot output
//
// A region that must grow moves the regions above it up (memory.copy). The store
// and the set grow rarely: they hold one record per distinct traceback. The trace
// table is rehashed into scratch above `top` and copied down to `tableBase`.
//
//   tracerBytes() = STATIC_BYTES + storeCap + setCap × 4 + escCap × 8 + lines × 64
//                 = STATIC_BYTES + (top − storeBase)
//
// counts the live structures only, like tracemalloc's get_tracemalloc_memory().
// memoryBytes() is larger: Wasm memory never shrinks, so scratch keeps the pages
// the largest rehash or snapshot once needed.
//
// Invariants of the trace table:
//   - at most one entry per (domain, ptr); its domain is its traceback's domain;
//   - every entry is live: a free clears its slot at once, so the table never
//     fills with freed keys and only grows when the live traces do. The free is
//     remembered in RECENT instead;
//   - live = entries ≤ tableLimit = 3/4 × 7 × lines;
//   - current = Σ size of live entries, current ≤ windowPeak ≤ peak (see takeWindowPeak);
//   - an entry lives in the first line from its home line that had an empty slot
//     when it was placed, and each line between holds in its overflow count one
//     for it: a line's count is the number of entries stored beyond it whose
//     probe passed it (dropTrace takes them back).
//
// A double free is a free of a pointer that is not in the table but is in its
// RECENT slot, with the traceback of its allocation. A slot keeps the latest free
// that hashed to it, so a second free is recognised while fewer than about 4096
// other frees came between; later it counts as an untraced free. (CPython's
// tracemalloc does not look for double frees at all.)
//
// A failure to grow memory (or the test limit of setMemoryLimitPages) drops the
// event and counts it in lostTraces. The traced program never notices, and the
// table is left as if the event's pointer had never been traced: a later free of
// it is an untraced free.

// @ts-ignore: decorator
@inline const NO_TRACEBACK: u32 = 0xFFFF_FFFF;

// @ts-ignore: decorator
@inline const ENTRY_BYTES: usize = 8;
// @ts-ignore: decorator
@inline const RECORD_HEADER_BYTES: usize = 72;
// Offsets in a record of its counters (see the counters section).
// @ts-ignore: decorator
@inline const REC_ALLOC_COUNT: usize = 16;
// @ts-ignore: decorator
@inline const REC_ALLOC_BYTES: usize = 24;
// @ts-ignore: decorator
@inline const REC_FREE_COUNT: usize = 32;
// @ts-ignore: decorator
@inline const REC_FREE_BYTES: usize = 40;
// @ts-ignore: decorator
@inline const REC_PEAK_COUNT: usize = 48;
// @ts-ignore: decorator
@inline const REC_PEAK_BYTES: usize = 56;
// @ts-ignore: decorator
@inline const REC_STAMP: usize = 64;
// @ts-ignore: decorator
@inline const LINE_BYTES: usize = 64;
// @ts-ignore: decorator
@inline const LINE_SLOTS: u32 = 7;
// @ts-ignore: decorator
@inline const LINE_ENTRIES_BYTES: usize = <usize>LINE_SLOTS * ENTRY_BYTES;
// @ts-ignore: decorator
@inline const TABLE_MIN_LINES: u32 = 64;
// An entry's meta word: (tb − storeBase / 4) << SIZE_BITS | size when both fit,
// else ESCAPED | the index of an escape record [size][tb].
// @ts-ignore: decorator
@inline const SIZE_BITS: u32 = 14;
// @ts-ignore: decorator
@inline const SIZE_MASK: u32 = (1 << SIZE_BITS) - 1;
// @ts-ignore: decorator
@inline const TB_OFFSET_LIMIT: u32 = 1 << (31 - SIZE_BITS);
// @ts-ignore: decorator
@inline const ESCAPED: u32 = 0x8000_0000;
// @ts-ignore: decorator
@inline const NO_META: u32 = 0xFFFF_FFFF;
// @ts-ignore: decorator
@inline const ESC_MIN: u32 = 64;
// @ts-ignore: decorator
@inline const SET_MIN: u32 = 64;
// @ts-ignore: decorator
@inline const STORE_MIN: usize = 4096;
// @ts-ignore: decorator
@inline const MAX_NFRAME: u32 = 65535;
// @ts-ignore: decorator
@inline const MAX_PAGES: u32 = 65536;

// @ts-ignore: decorator
@inline const STACK_LENGTH: u32 = 128;
// @ts-ignore: decorator
@inline const STACK_MASK: u32 = STACK_LENGTH - 1;
// @ts-ignore: decorator
@inline const FRAME_BUFFER_BYTES: usize = <usize>STACK_LENGTH << 2;
// @ts-ignore: decorator
@inline const STACK_BYTES: usize = <usize>STACK_LENGTH << 2;
// @ts-ignore: decorator
@inline const LOG_LENGTH: u32 = 256;
// @ts-ignore: decorator
@inline const LOG_RECORD_BYTES: usize = 20;
// @ts-ignore: decorator
@inline const LOG_BYTES: usize = <usize>LOG_LENGTH * LOG_RECORD_BYTES;
// @ts-ignore: decorator
@inline const EMPTY_BYTES: usize = 16;
// @ts-ignore: decorator
@inline const RECENT_BITS: u32 = 12;
// @ts-ignore: decorator
@inline const RECENT_BYTES: usize = <usize>8 << RECENT_BITS;
// @ts-ignore: decorator
@inline const SITES_BITS: u32 = 9;
// @ts-ignore: decorator
@inline const SITE_ENTRY_BYTES: usize = 16;
// @ts-ignore: decorator
@inline const SITES_BYTES: usize = SITE_ENTRY_BYTES << SITES_BITS;
// @ts-ignore: decorator
@inline const EVENTS_LENGTH: u32 = 512;
// @ts-ignore: decorator
@inline const EVENT_BYTES: usize = 16;
// @ts-ignore: decorator
@inline const EVENTS_BYTES: usize = <usize>EVENTS_LENGTH * EVENT_BYTES;
// @ts-ignore: decorator
@inline const FILTER_BITS: u32 = 15;
// @ts-ignore: decorator
@inline const FILTER_BYTES: usize = <usize>1 << (FILTER_BITS - 3);
// @ts-ignore: decorator
@inline const FILTER_COUNT_BYTES: usize = <usize>1 << FILTER_BITS;
// @ts-ignore: decorator
@inline const STATIC_BYTES: usize = FRAME_BUFFER_BYTES + LOG_BYTES + EMPTY_BYTES + STACK_BYTES + RECENT_BYTES + SITES_BYTES + EVENTS_BYTES + FILTER_BYTES + FILTER_COUNT_BYTES;

// @ts-ignore: decorator
@inline const KIND_UNTRACED: u32 = 1;
// @ts-ignore: decorator
@inline const KIND_DOUBLE: u32 = 2;

const STATIC: usize = memory.data(<i32>STATIC_BYTES, 16);
// @ts-ignore: decorator
@inline const FRAMES: usize = STATIC;
// @ts-ignore: decorator
@inline const LOG: usize = STATIC + FRAME_BUFFER_BYTES;
// @ts-ignore: decorator
@inline const EMPTY: usize = STATIC + FRAME_BUFFER_BYTES + LOG_BYTES;
// @ts-ignore: decorator
@inline const STACK: usize = STATIC + FRAME_BUFFER_BYTES + LOG_BYTES + EMPTY_BYTES;
// @ts-ignore: decorator
@inline const RECENT: usize = STACK + STACK_BYTES;
// @ts-ignore: decorator
@inline const SITES: usize = RECENT + RECENT_BYTES;
// @ts-ignore: decorator
@inline const EVENTS: usize = SITES + SITES_BYTES;
// @ts-ignore: decorator
@inline const EVENTS_END: usize = EVENTS + EVENTS_BYTES;
// @ts-ignore: decorator
@inline const FILTER: usize = EVENTS_END;
// @ts-ignore: decorator
@inline const FILTER_COUNT: usize = FILTER + FILTER_BYTES;

// The third word of an event: for an alloc, a traceback id (0 if it could not be
// interned; ids are record addresses / 4, below 2^30) or SITE_EVENT | site, an
// alloc made with the shadow stack empty, whose one-frame traceback is looked up
// when the event is applied; for the rest, one of the marks.
// @ts-ignore: decorator
@inline const SITE_EVENT: u32 = 0x4000_0000;
// @ts-ignore: decorator
@inline const MARK_FREE: u32 = 0xFFFF_FFFF;
// @ts-ignore: decorator
@inline const MARK_REALLOC_MOVED: u32 = 0xFFFF_FFFE;
// @ts-ignore: decorator
@inline const MARK_REALLOC_IN_PLACE: u32 = 0xFFFF_FFFD;

// ---- threads ---------------------------------------------------------------------
//
// This file is built twice. trace-table.wasm (this file as the entry) owns its memory
// and serves one thread. trace-table-shared.wasm (entry trace-table-shared.ts, with
// Wasm threads) imports a shared memory: every thread runs its own instance on it,
// and that entry takes a lock around each export and keeps the state below (the
// module's globals) in a header of the shared memory while the lock is free
// (saveState/loadState). Per thread stay: `sp`, `nframe`, the shadow stack's ring
// (stackBase), threadTag and a realloc's stash. THREADED is a compile-time constant,
// so the single-threaded build carries none of it.
//
// A traceback record's domain word holds the domain in its low 12 bits and, in the
// threaded build, the number of the thread that allocated above them (threadTag): a
// trace's key is still (domain, ptr), as a block freed by another thread is the same
// block, while statistics can group by thread.

// @ts-ignore: decorator
@inline const THREADED: bool = ASC_FEATURE_THREADS;
// @ts-ignore: decorator
@inline const DOMAIN_MASK: u32 = 0xFFF;
// @ts-ignore: decorator
@inline const THREAD_SHIFT: u32 = 12;

/** This thread's number << THREAD_SHIFT (threaded build). */
let threadTag: u32 = 0;
/** This thread's shadow-stack ring (threaded build; else STACK). */
let stackBase: usize = 0;

// @ts-ignore: decorator
@inline function stackAt(): usize {
  return THREADED ? stackBase : STACK;
}

// @ts-ignore: decorator
@inline function domainPart(domainWord: u32): u32 {
  return THREADED ? domainWord & DOMAIN_MASK : domainWord;
}

// @ts-ignore: decorator
@inline function withThread(domain: u32): u32 {
  return THREADED ? domain | threadTag : domain;
}

/** Threaded build: this instance is thread `thread`, its ring at `stack`. */
export function setThread(thread: u32, stack: usize): void {
  threadTag = thread << THREAD_SHIFT;
  stackBase = stack;
}

// ---- shadow stack ---------------------------------------------------------------
//
// Modules instrumented with a shadow stack (maxFrames > 1) import `sp`, `nframe` and
// `put`. Every traced call sets sp to its depth (the caller's depth + 1) and, when
// tracebacks are deeper than one frame, puts its site at that depth; on return sp goes
// back. The ring keeps the STACK_LENGTH most recent depths. A frame is packed as
// (domain << 20) | site, so a call chain that crosses modules (A → JS → B) stays exact:
// up to 4095 domains and 2^20 sites per module.

/** Depth of the current traced call chain (an exported mutable global). */
export let sp: u32 = 0;
/** The traceback limit while tracing, 1 otherwise: modules skip put() at 1. */
export let nframe: u32 = 1;

// @ts-ignore: decorator
@inline function packFrame(domain: u32, site: u32): u32 {
  return (domain << 20) | (site & 0xFFFFF);
}

/** The call at `site` of `domain` is at `depth` of the chain. */
export function put(depth: u32, domain: u32, site: u32): void {
  store<u32>(stackAt() + (<usize>(depth & STACK_MASK) << 2), packFrame(domain, site));
}

// What the hot path does with an event: nothing (OFF), record it (EXACT), or
// record it only if sampled (SAMPLING, see the sampling section). One global
// read and one predictable branch on the exact path, as `tracing` was before.
// @ts-ignore: decorator
@inline const OFF: u32 = 0;
// @ts-ignore: decorator
@inline const EXACT: u32 = 1;
// @ts-ignore: decorator
@inline const SAMPLING: u32 = 2;
let mode: u32 = OFF;
// The traceback limit of start(nframe). A traceback has one frame until the shadow
// stack comes; then the frames beyond maxNframe are counted in total_nframe only.
let maxNframe: u32 = 1;
let memoryLimit: u32 = MAX_PAGES;

let storeBase: usize = 0;
let storeEnd: usize = 0;
let storeCap: usize = 0;
let tracebacks: u32 = 0;

let setBase: usize = 0;
let setMask: u32 = 0;
let setShift: u32 = 0;
let setLimit: u32 = 0;

let escBase: usize = 0;
let escCap: u32 = 0;
let escEnd: u32 = 0;
// Index + 1 of the first free escape record (0: none); a free record keeps the
// next one's in its size word.
let escFree: u32 = 0;

let tableBase: usize = 0;
let lineMask: u32 = 0;
let lineShift: u32 = 0;
let tableLimit: u32 = 0;
let live: u32 = 0;

let top: usize = 0;

// End of the pending events in EVENTS.
let eventEnd: usize = EVENTS;

let current: u64 = 0;
let peak: u64 = 0;
// The highest `current` since the last takeWindowPeak(): what the JS sampler reads,
// so that a peak between two samples is never missed. windowPeak ≤ peak always, so
// the hot path tests only windowPeak and touches peak when both are exceeded; a
// resetPeak() or clearTraces() that would break that keeps the old window's highest
// value in windowCarry instead.
let windowPeak: u64 = 0;
let windowCarry: u64 = 0;
// Goes up when peak rises or is reset: a record stamped with an older epoch has not
// changed since the peak (see the per-traceback counters section).
let peakEpoch: u64 = 1;
let lost: u32 = 0;
let untracedFreeCount: u32 = 0;
let doubleFreeCount: u32 = 0;
let logTotal: u32 = 0;

// ---- memory ----------------------------------------------------------------

/** Makes [0, end) addressable. False if memory cannot grow that far. */
function reserve(end: u64): bool {
  let have = <u64>memory.size() << 16;
  if (end <= have) return true;
  let pages = <u32>((end - have + 0xFFFF) >> 16);
  if (<u64>memory.size() + pages > <u64>memoryLimit) return false;
  return memory.grow(<i32>pages) >= 0;
}

/** Moves [from, top) up by delta bytes. */
function shiftUp(from: usize, delta: usize): bool {
  if (!reserve(<u64>top + delta)) return false;
  memory.copy(from + delta, from, top - from);
  top += delta;
  return true;
}

/** Lays out empty structures at their smallest size and zeroes every counter. */
function layout(): bool {
  storeBase = (__heap_base + LINE_BYTES - 1) & ~(LINE_BYTES - 1);
  let setBytes = <usize>SET_MIN << 2;
  let escBytes = <usize>ESC_MIN << 3;
  let tableBytes = <usize>TABLE_MIN_LINES * LINE_BYTES;
  if (!reserve(<u64>storeBase + STORE_MIN + setBytes + escBytes + tableBytes)) return false;

  storeEnd = storeBase;
  storeCap = STORE_MIN;
  tracebacks = 0;
  setBase = storeBase + STORE_MIN;
  setMask = SET_MIN - 1;
  setShift = clz(SET_MIN) + 1;
  setLimit = SET_MIN - SET_MIN / 4;
  escBase = setBase + setBytes;
  escCap = ESC_MIN;
  escEnd = 0;
  escFree = 0;
  tableBase = escBase + escBytes;
  lineMask = TABLE_MIN_LINES - 1;
  lineShift = clz(TABLE_MIN_LINES) + 1;
  tableLimit = limitOf(TABLE_MIN_LINES);
  top = tableBase + tableBytes;
  memory.fill(setBase, 0, top - setBase);
  memory.fill(RECENT, 0, RECENT_BYTES + SITES_BYTES);
  memory.fill(FILTER, 0, FILTER_BYTES + FILTER_COUNT_BYTES);
  eventEnd = EVENTS;

  live = 0;
  current = 0;
  peak = 0;
  windowPeak = 0;
  peakEpoch = 1;
  lost = 0;
  untracedFreeCount = 0;
  doubleFreeCount = 0;
  logTotal = 0;
  return true;
}

// ---- traceback store ---------------------------------------------------------

// @ts-ignore: decorator
@inline function tracebackHash(domain: u32, frames: usize, nframe: u32, total: u32): u32 {
  // One multiply per frame; the set indexes with the top bits (Fibonacci hashing),
  // which depend on every bit of every frame. A murmur3 round per frame measured
  // about 1 ns slower per alloc, on the critical path of every event.
  let h = (domain * 0x85EBCA77) ^ total;
  for (let i: u32 = 0; i < nframe; i++) h = (h ^ load<u32>(frames + (<usize>i << 2))) * 0x9E3779B9;
  return h;
}

// @ts-ignore: decorator
@inline function recordOf(tb: u32): usize {
  return <usize>tb << 2;
}

// @ts-ignore: decorator
@inline function domainOf(tb: u32): u32 {
  return domainPart(load<u32>(recordOf(tb), 4));
}

// @ts-ignore: decorator
@inline function recordBytes(nframe: u32): usize {
  return RECORD_HEADER_BYTES + (<usize>nframe << 2);
}

/** Puts tb in an empty slot of the set (tb is known not to be there). */
function setInsert(tb: u32, hash: u32): void {
  let i = hash >> setShift;
  while (load<u32>(setBase + (<usize>i << 2)) != 0) i = (i + 1) & setMask;
  store<u32>(setBase + (<usize>i << 2), tb);
}

/** Doubles the set, moving the trace table up, and reinserts every record. */
function growSet(): bool {
  let cap = (setMask + 1) << 1;
  let delta = <usize>(setMask + 1) << 2;
  if (!shiftUp(escBase, delta)) return false;
  escBase += delta;
  tableBase += delta;
  setMask = cap - 1;
  setShift = clz(cap) + 1;
  setLimit = cap - cap / 4;
  memory.fill(setBase, 0, <usize>cap << 2);
  for (let r = storeBase; r < storeEnd; r += recordBytes(load<u32>(r, 8))) {
    setInsert(<u32>(r >> 2), load<u32>(r));
  }
  return true;
}

/** Doubles the store until `bytes` more fit, moving the set and the table up. */
function growStore(bytes: usize): bool {
  let cap = storeCap << 1;
  while (storeEnd - storeBase + bytes > cap) cap <<= 1;
  let delta = cap - storeCap;
  if (!shiftUp(setBase, delta)) return false;
  setBase += delta;
  escBase += delta;
  tableBase += delta;
  storeCap = cap;
  return true;
}

// @ts-ignore: decorator
@inline function sameFrames(a: usize, b: usize, nframe: u32): bool {
  for (let i: usize = 0, n = <usize>nframe << 2; i < n; i += 4) {
    if (load<u32>(a + i) != load<u32>(b + i)) return false;
  }
  return true;
}

/** Appends a new record and adds it to the set. 0 if memory cannot grow. */
function addTraceback(hash: u32, domain: u32, frames: usize, nframe: u32, total: u32): u32 {
  let bytes = recordBytes(nframe);
  if (storeEnd + bytes > storeBase + storeCap && !growStore(bytes)) return 0;
  if (tracebacks >= setLimit && !growSet()) return 0;
  let r = storeEnd;
  store<u32>(r, hash);
  store<u32>(r, domain, 4);
  store<u32>(r, nframe, 8);
  store<u32>(r, total, 12);
  memory.fill(r + REC_ALLOC_COUNT, 0, RECORD_HEADER_BYTES - REC_ALLOC_COUNT);
  memory.copy(r + RECORD_HEADER_BYTES, frames, <usize>nframe << 2);
  storeEnd = r + bytes;
  tracebacks++;
  let tb = <u32>(r >> 2);
  setInsert(tb, hash);
  return tb;
}

/**
 * The id of the traceback (domain, frames[0..nframe), total), interned: a
 * traceback seen before costs one probe and no memory. 0 if it is new and memory
 * cannot grow. `frames` must lie below storeBase (the frame buffer).
 */
function intern(domain: u32, frames: usize, nframe: u32, total: u32): u32 {
  let hash = tracebackHash(domain, frames, nframe, total);
  let i = hash >> setShift;
  while (true) {
    let tb = load<u32>(setBase + (<usize>i << 2));
    if (tb == 0) break;
    let r = <usize>tb << 2;
    if (
      load<u32>(r) == hash && load<u32>(r, 4) == domain &&
      load<u32>(r, 8) == nframe && load<u32>(r, 12) == total &&
      sameFrames(r + RECORD_HEADER_BYTES, frames, nframe)
    ) return tb;
    i = (i + 1) & setMask;
  }
  return addTraceback(hash, domain, frames, nframe, total);
}

/**
 * The traceback of an event at `site`: the call chain on the shadow stack (if the
 * module keeps one), then the site, most recent last; at most maxNframe frames,
 * and total_nframe the whole depth.
 */
// @ts-ignore: decorator
@inline function tracebackOfSite(domain: u32, site: u32): u32 {
  let total = sp + 1;
  if ((maxNframe == 1) | (total == 1)) return oneFrameTraceback(domain, site, total);
  return deepTraceback(domain, site, total);
}

/** tracebackOfSite for more than one frame. */
function deepTraceback(domain: u32, site: u32, total: u32): u32 {
  let n = min(min(maxNframe, total), STACK_LENGTH);
  let first = total - n + 1; // depth of the oldest frame kept from the stack
  for (let i: u32 = 0; i + 1 < n; i++) {
    store<u32>(FRAMES + (<usize>i << 2), load<u32>(stackAt() + (<usize>((first + i) & STACK_MASK) << 2)));
  }
  store<u32>(FRAMES + (<usize>(n - 1) << 2), packFrame(domainPart(domain), site));
  return intern(domain, FRAMES, n, total);
}

/**
 * The traceback (frame) with total_nframe `total`, through SITES: at nframe 1
 * (every alloc of a module without a shadow stack) a site maps to one traceback,
 * and a hit costs one hash and four loads. Records never move and layout()
 * clears SITES with the store, so a cached id stays valid.
 */
// @ts-ignore: decorator
@inline function oneFrameTraceback(domain: u32, site: u32, total: u32): u32 {
  let c = SITES + (<usize>(((site ^ (domain << 20) ^ (total << 12)) * 0x9E3779B9) >> (32 - SITES_BITS)) << 4);
  let tb = load<u32>(c, 12);
  // One test of all four words (bitwise, not four branches).
  if ((((load<u32>(c) ^ site) | (load<u32>(c, 4) ^ domain) | (load<u32>(c, 8) ^ total)) == 0) & (tb != 0)) return tb;
  return oneFrameMiss(c, domain, site, total);
}

/** Interns the one-frame traceback and caches it at SITES entry `c`. */
function oneFrameMiss(c: usize, domain: u32, site: u32, total: u32): u32 {
  store<u32>(FRAMES, packFrame(domainPart(domain), site));
  let tb = intern(domain, FRAMES, 1, total);
  if (tb == 0) return 0; // memory: not cached, tried again next time
  store<u32>(c, site);
  store<u32>(c, domain, 4);
  store<u32>(c, total, 8);
  store<u32>(c, tb, 12);
  return tb;
}

// ---- trace table -------------------------------------------------------------

// @ts-ignore: decorator
@inline function traceHash(domain: u32, ptr: u32): u32 {
  // Fibonacci hashing: the top bits of the product are the index. Pointers are
  // multiples of the allocator's alignment, so their low bits carry nothing.
  return (ptr ^ (domain * 0x85EBCA77)) * 0x9E3779B9;
}

// The trace table is bucketized: a line of 64 bytes (one cache line) holds 7
// entries and, after them, the number of entries stored beyond it whose
// probe passed it (F14's outbound overflow count). An entry lives in the first
// line from its home line with an empty slot; a lookup reads the home line and
// goes on to the next only while the overflow count says some entry went past.
// Most events read one line, and a free only clears its slot.

// @ts-ignore: decorator
@inline function lineAt(base: usize, l: u32): usize {
  return base + (<usize>l << 6);
}

// @ts-ignore: decorator
@inline function overflowOf(line: usize): u32 {
  return load<u32>(line, LINE_ENTRIES_BYTES);
}

/** Entries allowed in a table of `lines` lines before it grows: 3/4 of its slots. */
// @ts-ignore: decorator
@inline function limitOf(lines: u32): u32 {
  let slots = lines * LINE_SLOTS;
  return slots - slots / 4;
}

// Entries are moved and cleared with plain loads and stores: a memory.copy or
// memory.fill of 8 bytes is a call out of Wasm into the engine's memmove in V8.
// @ts-ignore: decorator
@inline function copyEntry(to: usize, from: usize): void {
  store<u64>(to, load<u64>(from));
}

// @ts-ignore: decorator
@inline function clearEntry(e: usize): void {
  store<u64>(e, 0);
}

// An entry is [ptr][meta]. Most blocks are smaller than 16 KiB and most programs
// have fewer tracebacks than fit in the first 512 KiB of the store, so (size, tb)
// packs into the meta word; the rest go to an escape record.

// @ts-ignore: decorator
@inline function escAt(meta: u32): usize {
  return escBase + (<usize>(meta & ~ESCAPED) << 3);
}

// @ts-ignore: decorator
@inline function entrySize(e: usize): u32 {
  let meta = load<u32>(e, 4);
  return (meta & ESCAPED) != 0 ? load<u32>(escAt(meta)) : meta & SIZE_MASK;
}

// @ts-ignore: decorator
@inline function entryTb(e: usize): u32 {
  let meta = load<u32>(e, 4);
  return (meta & ESCAPED) != 0 ? load<u32>(escAt(meta), 4) : (meta >> SIZE_BITS) + <u32>(storeBase >> 2);
}

/** The meta word of (size, tb); NO_META if it needs an escape record and memory cannot grow. */
// @ts-ignore: decorator
@inline function packMeta(size: u32, tb: u32): u32 {
  let offset = tb - <u32>(storeBase >> 2);
  if ((size <= SIZE_MASK) & (offset < TB_OFFSET_LIMIT)) return (offset << SIZE_BITS) | size;
  return escapeMeta(size, tb);
}

function escapeMeta(size: u32, tb: u32): u32 {
  let i: u32;
  if (escFree != 0) {
    i = escFree - 1;
    escFree = load<u32>(escBase + (<usize>i << 3));
  } else {
    if (escEnd == escCap && !growEscapes()) return NO_META;
    i = escEnd++;
  }
  let r = escBase + (<usize>i << 3);
  store<u32>(r, size);
  store<u32>(r, tb, 4);
  return ESCAPED | i;
}

/** Frees the escape record of a meta word, if it has one. */
// @ts-ignore: decorator
@inline function releaseMeta(meta: u32): void {
  if ((meta & ESCAPED) != 0) {
    store<u32>(escAt(meta), escFree);
    escFree = (meta & ~ESCAPED) + 1;
  }
}

/** Doubles the escape records, moving the trace table up. */
function growEscapes(): bool {
  let delta = <usize>escCap << 3;
  if (!shiftUp(tableBase, delta)) return false;
  tableBase += delta;
  escCap <<= 1;
  return true;
}

/** The entry of (domain, ptr), or 0. ptr ≠ 0. */
// @ts-ignore: decorator
@inline function findTrace(domain: u32, ptr: u32): usize {
  let l = traceHash(domain, ptr) >> lineShift;
  while (true) {
    let line = lineAt(tableBase, l);
    let e = slotOf(line, ptr);
    if (e != 0) {
      if (domainOf(entryTb(e)) == domain) return e;
      // The same pointer of another domain is in the line: check every slot.
      for (let x = line + ENTRY_BYTES, end = line + LINE_ENTRIES_BYTES; x < end; x += ENTRY_BYTES) {
        if (holds(x, domain, ptr)) return x;
      }
    }
    if (overflowOf(line) == 0) return 0;
    l = (l + 1) & lineMask;
  }
}

// @ts-ignore: decorator
@inline function holds(e: usize, domain: u32, ptr: u32): bool {
  return load<u32>(e) == ptr && domainOf(entryTb(e)) == domain;
}

/**
 * The first slot of `line` whose ptr is `ptr` (0: the first empty one), or 0.
 * Chosen without branches (a select per slot, unrolled for LINE_SLOTS = 7):
 * which slot it is is random, and a compare-and-branch per slot mispredicted
 * on most events.
 */
// @ts-ignore: decorator
@inline function slotOf(line: usize, ptr: u32): usize {
  let e: usize = 0;
  e = select<usize>(line + 48, e, load<u32>(line, 48) == ptr);
  e = select<usize>(line + 40, e, load<u32>(line, 40) == ptr);
  e = select<usize>(line + 32, e, load<u32>(line, 32) == ptr);
  e = select<usize>(line + 24, e, load<u32>(line, 24) == ptr);
  e = select<usize>(line + 16, e, load<u32>(line, 16) == ptr);
  e = select<usize>(line + 8, e, load<u32>(line, 8) == ptr);
  return select<usize>(line, e, load<u32>(line) == ptr);
}

/**
 * The first empty slot from line `l` of the table at `base` (`mask`: lines − 1),
 * counting the overflow on each full line passed. The table has one: its load
 * is at most 3/4.
 */
function place(base: usize, mask: u32, l: u32): usize {
  while (true) {
    let line = lineAt(base, l);
    let e = slotOf(line, 0);
    if (e != 0) return e;
    store<u32>(line, overflowOf(line) + 1, LINE_ENTRIES_BYTES);
    l = (l + 1) & mask;
  }
}

/** Moves the entries into a table sized for `need` of them (load ≤ 1/2 afterwards). */
function rehash(need: u32): bool {
  let lines = TABLE_MIN_LINES;
  while (<u64>lines * LINE_SLOTS < <u64>need * 2) lines <<= 1;
  let bytes = <usize>lines << 6;
  let scratch = top;
  if (!reserve(<u64>scratch + bytes)) return false;
  memory.fill(scratch, 0, bytes);

  let mask = lines - 1;
  let shift = clz(lines) + 1;
  for (let line = tableBase; line < top; line += LINE_BYTES) {
    for (let e = line, end = line + LINE_ENTRIES_BYTES; e < end; e += ENTRY_BYTES) {
      let ptr = load<u32>(e);
      if (ptr == 0) continue;
      copyEntry(place(scratch, mask, traceHash(domainOf(entryTb(e)), ptr) >> shift), e);
    }
  }
  memory.copy(tableBase, scratch, bytes);

  lineMask = mask;
  lineShift = shift;
  tableLimit = limitOf(lines);
  top = tableBase + bytes;
  return true;
}

/** Removes the entry at e (see removeEntry). The caller has taken its size off `current`. */
function dropTrace(e: usize): void {
  let ptr = load<u32>(e);
  let tb = entryTb(e);
  removeEntry(e, traceHash(domainOf(tb), ptr), ptr, tb);
}

/**
 * Removes the entry at e, of (ptr, tb) with trace hash `hash`: remembers the
 * free in RECENT, takes back the overflow its probe counted on the lines
 * before its own (none when it is in its home line), and clears it.
 */
// @ts-ignore: decorator
@inline function removeEntry(e: usize, hash: u32, ptr: u32, tb: u32): void {
  let r = recentAt(hash);
  store<u32>(r, ptr);
  store<u32>(r, tb, 4);
  live--;
  let l = hash >> lineShift;
  let own = <u32>((e - tableBase) >> 6);
  while (l != own) {
    let line = lineAt(tableBase, l);
    store<u32>(line, overflowOf(line) - 1, LINE_ENTRIES_BYTES);
    l = (l + 1) & lineMask;
  }
  releaseMeta(load<u32>(e, 4));
  clearEntry(e);
}

/** The RECENT slot of (domain, ptr): the top bits of its trace hash. */
// @ts-ignore: decorator
@inline function recentSlot(domain: u32, ptr: u32): usize {
  return recentAt(traceHash(domain, ptr));
}

// @ts-ignore: decorator
@inline function recentAt(hash: u32): usize {
  return RECENT + (<usize>(hash >> (32 - RECENT_BITS)) << 3);
}

/** The traceback of the block's allocation if (domain, ptr) was freed recently, else 0. */
// @ts-ignore: decorator
@inline function recentlyFreed(domain: u32, ptr: u32): u32 {
  let r = recentSlot(domain, ptr);
  let tb = load<u32>(r, 4);
  return load<u32>(r) == ptr && tb != 0 && domainOf(tb) == domain ? tb : 0;
}

/**
 * Records (domain, ptr) → (size, tb), replacing any entry of that key, and adds
 * `bytes` to current: `size` when tracing exactly, the block's estimate when
 * sampling (see bytesOf).
 */
// @ts-ignore: decorator
@inline function addTrace(domain: u32, ptr: u32, size: u32, tb: u32, bytes: u64): bool {
  // First the meta word: an escape record may move the table.
  let meta = packMeta(size, tb);
  if (meta == NO_META) return false;
  // The common case inline: ptr is new, and its home line has room and no
  // overflow (so ptr is nowhere else). The rest, in entryForAlloc.
  let line = lineAt(tableBase, traceHash(domain, ptr) >> lineShift);
  let e = slotOf(line, 0);
  if ((e != 0) & ((slotOf(line, ptr) | overflowOf(line)) == 0) & (live < tableLimit)) {
    store<u32>(e, ptr);
    live++;
  } else {
    e = entryForAlloc(domain, ptr);
    if (e == 0) {
      releaseMeta(meta);
      return false;
    }
  }
  store<u32>(e, meta, 4);
  countAlloc(tb, size, bytes);
  let c = current + bytes;
  current = c;
  // One compare when memory stays below the window's highest point (the common case).
  if (c > windowPeak) {
    windowPeak = c;
    if (c > peak) {
      peak = c;
      peakEpoch++;
    }
  }
  return true;
}

/**
 * The entry an alloc of (domain, ptr) writes: its live entry (its size taken off
 * `current`), or a new one, the table grown if it must be. 0 if it cannot grow.
 */
function entryForAlloc(domain: u32, ptr: u32): usize {
  let e = findTrace(domain, ptr);
  if (e != 0) {
    countFree(entryTb(e), entrySize(e), entryBytes(e));
    current -= entryBytes(e);
    releaseMeta(load<u32>(e, 4));
    return e;
  }
  if (live >= tableLimit && !rehash(live + 1)) return 0;
  e = place(tableBase, lineMask, traceHash(domain, ptr) >> lineShift);
  store<u32>(e, ptr);
  live++;
  return e;
}

/** An alloc that could not be stored: forget the pointer entirely. */
function traceLost(domain: u32, ptr: u32): void {
  lost++;
  let e = findTrace(domain, ptr);
  if (e != 0) {
    countFree(entryTb(e), entrySize(e), entryBytes(e));
    current -= entryBytes(e);
    dropTrace(e);
  }
  // Its free must not look like a double free either.
  store<u32>(recentSlot(domain, ptr), 0);
}

function invalidFree(domain: u32, ptr: u32, site: u32, kind: u32, tb: u32): void {
  if (kind == KIND_DOUBLE) doubleFreeCount++;
  else untracedFreeCount++;
  let r = LOG + <usize>(logTotal & (LOG_LENGTH - 1)) * LOG_RECORD_BYTES;
  store<u32>(r, domain);
  store<u32>(r, ptr, 4);
  store<u32>(r, site, 8);
  store<u32>(r, kind, 12);
  store<u32>(r, tb, 16);
  logTotal++;
}

// ---- hot path ------------------------------------------------------------------
//
// Each event is appended to EVENTS and applied later, in order (see flushEvents).
// Only what must be known at the moment of the call is computed now: the
// traceback, since the shadow stack moves on. With the stack empty (every alloc
// of a module without one) the traceback is the site's alone, so even its lookup
// waits: the churn runs 1-3% faster (one process, --single-threaded, medians of
// 15-21 interleaved runs; about the noise of one such comparison).

/** A block of `size` bytes was allocated at `ptr` by a call at `site`. */
export function alloc(domain: u32, ptr: u32, size: u32, site: u32): void {
  if (mode != EXACT) {
    if (mode == SAMPLING) sampleAlloc(domain, ptr, size, site);
    return;
  }
  if (ptr == 0) return;
  let dw = withThread(domain);
  if ((sp == 0) & (site < SITE_EVENT)) logEvent(ptr, size, SITE_EVENT | site, dw);
  else logEvent(ptr, size, tracebackOfSite(dw, site), dw);
}

/** The block at `ptr` was freed by a call at `site`. */
export function free(domain: u32, ptr: u32, site: u32): void {
  if (mode != EXACT) {
    if (mode == SAMPLING) sampleFree(domain, ptr);
    return;
  }
  if (ptr == 0) return;
  logEvent(ptr, site, MARK_FREE, domain);
}

/**
 * The block at `oldPtr` now lives at `newPtr` with `size` bytes; the trace moves
 * there and takes the traceback of `site`, as in tracemalloc. Like free(old) then
 * alloc(new), except that peak sees only the net change. oldPtr 0 is an alloc;
 * newPtr 0 means realloc(p, 0) freed p (size 0) or the realloc failed (old kept).
 * An unknown oldPtr is not an invalid free (it may predate start()); a freed one is
 * a double free.
 */
export function realloc(domain: u32, oldPtr: u32, newPtr: u32, size: u32, site: u32): void {
  if (mode == OFF) return;
  if (mode == SAMPLING) {
    // The old block goes if it was sampled (unless the realloc failed); the new
    // one is an allocation like any other.
    if (newPtr != 0 || size == 0) sampleFree(domain, oldPtr);
    if (newPtr != 0) sampleAlloc(domain, newPtr, size, site);
    return;
  }
  if (newPtr == 0) {
    if (size == 0) free(domain, oldPtr, site);
    return;
  }
  if (oldPtr != 0) logEvent(oldPtr, site, oldPtr == newPtr ? MARK_REALLOC_IN_PLACE : MARK_REALLOC_MOVED, domain);
  alloc(domain, newPtr, size, site);
}

// @ts-ignore: decorator
@inline function logEvent(ptr: u32, word: u32, tbOrMark: u32, domain: u32): void {
  // Load the event's home line now and drop the value: the likely miss overlaps
  // the traced program's own work (its allocator's misses just before this call),
  // and the line is still cached when the batch is applied. The churn bench runs
  // about 5% faster with it; a load the engine may not drop (it could trap).
  load<u32>(lineAt(tableBase, traceHash(domain, ptr) >> lineShift));
  let p = eventEnd;
  store<u32>(p, ptr);
  store<u32>(p, word, 4);
  store<u32>(p, tbOrMark, 8);
  store<u32>(p, domain, 12);
  p += EVENT_BYTES;
  eventEnd = p;
  if (p == EVENTS_END) flushEvents();
}

/**
 * Applies the pending events to the trace table, oldest first: the table, the
 * counters and the invalid-free log end as if each had been applied when it
 * happened. Every export that reads them calls this first.
 */
function flushEvents(): void {
  let end = eventEnd;
  for (let p = EVENTS; p < end; p += EVENT_BYTES) {
    let ptr = load<u32>(p);
    let word = load<u32>(p, 4);
    let tbOrMark = load<u32>(p, 8);
    let dw = load<u32>(p, 12);
    let domain = domainPart(dw);
    if (tbOrMark < SITE_EVENT) applyAlloc(domain, ptr, word, tbOrMark);
    else if (tbOrMark < MARK_REALLOC_IN_PLACE) applyAlloc(domain, ptr, word, oneFrameTraceback(dw, tbOrMark ^ SITE_EVENT, 1));
    else if (tbOrMark == MARK_FREE) applyFree(domain, ptr, word);
    else applyReallocFrom(domain, ptr, word, tbOrMark == MARK_REALLOC_IN_PLACE);
  }
  eventEnd = EVENTS;
}

// @ts-ignore: decorator
@inline function applyAlloc(domain: u32, ptr: u32, size: u32, tb: u32): void {
  if (tb == 0 || !addTrace(domain, ptr, size, tb, size)) traceLost(domain, ptr);
}

// @ts-ignore: decorator
@inline function applyFree(domain: u32, ptr: u32, site: u32): void {
  // The common case inline: the entry is in its home line (so removeEntry has
  // no overflow to take back). The rest, in freeElsewhere.
  let hash = traceHash(domain, ptr);
  let e = slotOf(lineAt(tableBase, hash >> lineShift), ptr);
  if (e != 0) {
    let tb = entryTb(e);
    if (domainOf(tb) == domain) {
      let size = entrySize(e);
      countFree(tb, size, size);
      current -= size;
      removeEntry(e, hash, ptr, tb);
      return;
    }
  }
  freeElsewhere(domain, ptr, site);
}

/** free() of a pointer not in its home line: beyond it, or not traced. */
function freeElsewhere(domain: u32, ptr: u32, site: u32): void {
  let e = findTrace(domain, ptr);
  if (e != 0) {
    countFree(entryTb(e), entrySize(e), entrySize(e));
    current -= entrySize(e);
    dropTrace(e);
  } else {
    untracedOrDoubleFree(domain, ptr, site);
  }
}

/**
 * A free of a pointer with no live trace: freed recently (a double free), or
 * unknown (allocated before start(), lost, or not from a traced allocator).
 */
function untracedOrDoubleFree(domain: u32, ptr: u32, site: u32): void {
  let tb = recentlyFreed(domain, ptr);
  if (tb != 0) invalidFree(domain, ptr, site, KIND_DOUBLE, tb);
  else invalidFree(domain, ptr, site, KIND_UNTRACED, NO_TRACEBACK);
}

/**
 * The old half of realloc(): the trace of oldPtr goes (unless the block stayed in
 * place, where the alloc that follows replaces it). An unknown oldPtr is only an
 * alloc; a recently freed one is a double free.
 */
function applyReallocFrom(domain: u32, oldPtr: u32, site: u32, inPlace: bool): void {
  let e = findTrace(domain, oldPtr);
  if (e == 0) {
    let tb = recentlyFreed(domain, oldPtr);
    if (tb != 0) invalidFree(domain, oldPtr, site, KIND_DOUBLE, tb);
  } else if (!inPlace) {
    countFree(entryTb(e), entrySize(e), entrySize(e));
    current -= entrySize(e);
    dropTrace(e);
  }
}

// ---- sampling ------------------------------------------------------------------
//
// start(nframe, interval) traces a sample instead of every block: each allocated
// byte is picked with probability 1/interval, and a block is traced when one of
// its bytes is (Poisson sampling by bytes, as tcmalloc, Go, heapprofd and V8's
// sampling heap profiler do). A block of s bytes is then traced with probability
// p(s) = 1 − exp(−s / interval) and stands for 1/p(s) blocks and s/p(s) bytes:
// estimates without bias, exact for blocks much larger than the interval. The
// model weighs each trace the same way (model/sample-weight.ts), from its size alone,
// so the table stores nothing more.
//
// The cost of an unsampled alloc is a subtraction and a compare. A free must
// still find out whether its block was sampled. The table only holds the sampled
// blocks, about 1 per interval bytes of live heap, and events are applied at once
// (no EVENTS batch); but even a small table is out of L1 when the program's heap
// traffic runs beside it: a probe per free measured 12 ns in Chromium (the churn
// 1.37× at one sample per 64 KiB, 1.24× with no probe). So FILTER, 4 KiB, says
// which top bits of the trace hash some live trace has: most frees of unsampled
// blocks read one bit and return. A free of a block that was not sampled is not
// an invalid free, so untraced and double frees are not counted.
// Zero-byte blocks count as one byte, so that they too can be sampled.

let sampleInterval: f64 = 0;
// Bytes left before the next sampled byte: exponential with mean sampleInterval.
let untilSample: f64 = 0;
let randomState: u64 = 0;

/** xorshift64* seeded through splitmix64, so that seeds 0, 1, 2… give unrelated streams. */
function seedRandom(seed: u32): void {
  let z = <u64>seed + 0x9E3779B97F4A7C15;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  z ^= z >> 31;
  randomState = z != 0 ? z : 1;
}

/** Uniform in [0, 1), 53 bits. */
function nextRandom(): f64 {
  let x = randomState;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  randomState = x;
  return <f64>((x * 0x2545F4914F6CDD1D) >> 11) * (1.0 / 9007199254740992.0);
}

/** Bytes until the next sampled byte: −ln(U) × interval, U uniform in (0, 1]. */
function drawInterval(): f64 {
  return -Math.log(1 - nextRandom()) * sampleInterval;
}

/**
 * The bytes a traced block of `size` stands for: its size when tracing exactly;
 * when sampling, size / p(size), rounded to a byte (model/sample-weight.ts computes the same).
 */
function bytesOf(size: u32): u64 {
  if (mode != SAMPLING || size == 0) return size;
  // 1 − e^−x, as sample-weight.ts computes it: exp costs less than expm1 here
  // (the churn at one sample per 4 KiB: 1.41× against 1.45× in Chromium, 1.42×
  // against 1.51× in WebKitGTK, with log for log1p in drawInterval).
  let p = 1 - Math.exp(-<f64>size / sampleInterval);
  return <u64>Math.floor(<f64>size / p + 0.5);
}

// @ts-ignore: decorator
@inline function entryBytes(e: usize): u64 {
  return bytesOf(entrySize(e));
}

// @ts-ignore: decorator
@inline function sampleAlloc(domain: u32, ptr: u32, size: u32, site: u32): void {
  if (ptr == 0) return;
  let left = untilSample - <f64>max(size, 1);
  untilSample = left;
  if (left > 0) return;
  traceSample(domain, ptr, size, site);
}

/** The alloc of (domain, ptr) was sampled: traced at once, and the next sample drawn. */
function traceSample(domain: u32, ptr: u32, size: u32, site: u32): void {
  untilSample = drawInterval();
  let before = live; // an alloc may replace a trace, a lost one drop it
  let tb = tracebackOfSite(withThread(domain), site);
  if (tb == 0 || !addTrace(domain, ptr, size, tb, bytesOf(size))) traceLost(domain, ptr);
  filterUpdate(filterSlot(domain, ptr), <i32>live - <i32>before);
}

// @ts-ignore: decorator
@inline function filterSlot(domain: u32, ptr: u32): u32 {
  return traceHash(domain, ptr) >> (32 - FILTER_BITS);
}

// @ts-ignore: decorator
@inline function filterHas(i: u32): bool {
  return (load<u8>(FILTER + (i >> 3)) & (1 << (i & 7))) != 0;
}

/** The live traces of filter slot i went up (+1) or down (−1) by `delta`, or stayed (0). */
function filterUpdate(i: u32, delta: i32): void {
  if (delta == 0) return;
  let c = <i32>load<u8>(FILTER_COUNT + i);
  if (c == 255) return; // saturated: stays set until layout()
  c += delta;
  store<u8>(FILTER_COUNT + i, <u8>c);
  let byte = FILTER + (i >> 3);
  let bit: u32 = 1 << (i & 7);
  let bits = <u32>load<u8>(byte);
  store<u8>(byte, c != 0 ? bits | bit : bits & ~bit);
}

// @ts-ignore: decorator
@inline function sampleFree(domain: u32, ptr: u32): void {
  if (ptr == 0) return;
  let i = filterSlot(domain, ptr);
  if (filterHas(i)) freeSampled(domain, ptr, i);
}

/** A free whose filter slot is set: the block's trace goes, if it was sampled. */
function freeSampled(domain: u32, ptr: u32, i: u32): void {
  let e = findTrace(domain, ptr);
  if (e == 0) return;
  countFree(entryTb(e), entrySize(e), entryBytes(e));
  current -= entryBytes(e);
  dropTrace(e);
  filterUpdate(i, -1);
}

// ---- per-traceback counters -----------------------------------------------------
//
// Each traceback record counts, since start() or clearTraces(), the blocks
// allocated with it and their bytes, and the frees of those blocks (a free counts
// for the traceback of the block's allocation, read from its entry) and their
// bytes: a net change of 0 can hide a churn of thousands of blocks. Every removal
// of a live entry counts as a free (a realloc's old block, an alloc over a pointer
// still traced, a lost event's stale trace), so that alloc − free is always the
// traceback's share of the live traces and of `current`.
//
// The peak's composition, lazily: `peak` rising (or resetPeak) only moves on
// peakEpoch, and a record copies its live blocks and bytes into its peak words
// just before its first change in a new epoch, stamping it with the epoch. So a
// record stamped with an older epoch has not changed since the peak and reads its
// live values; the others read their copies. The change that raises the peak is
// counted before the epoch moves, so it is part of the peak. No pass over the
// tracebacks at a new peak; one load and compare per event, and no store to the
// stamp while the peak stays.
//
// When sampling, the counters are estimates like `current`: a traced block counts
// as 1/p(size) blocks and bytesOf(size) bytes (model/sample-weight.ts), so the
// model reads them as they are, without weighting them again.
//
// Counters are f64: exact for integers up to 2^53, and the fractional weights of
// sampling need no other type.

/** How many blocks a traced block of `size` stands for: 1, or 1/p(size) when sampling. */
// @ts-ignore: decorator
@inline function countOf(size: u32): f64 {
  if (mode != SAMPLING) return 1;
  return 1 / (1 - Math.exp(-<f64>max(size, 1) / sampleInterval));
}

/** Before record r changes: if it has not changed since the peak, its live values are the peak's. */
// @ts-ignore: decorator
@inline function touchRecord(r: usize): void {
  let epoch = peakEpoch;
  if (load<u64>(r, REC_STAMP) != epoch) {
    store<f64>(r, load<f64>(r, REC_ALLOC_COUNT) - load<f64>(r, REC_FREE_COUNT), REC_PEAK_COUNT);
    store<f64>(r, load<f64>(r, REC_ALLOC_BYTES) - load<f64>(r, REC_FREE_BYTES), REC_PEAK_BYTES);
    store<u64>(r, epoch, REC_STAMP);
  }
}

/** A block of `size` (standing for `bytes`) was traced with traceback tb. */
// @ts-ignore: decorator
@inline function countAlloc(tb: u32, size: u32, bytes: u64): void {
  let r = recordOf(tb);
  touchRecord(r);
  store<f64>(r, load<f64>(r, REC_ALLOC_COUNT) + countOf(size), REC_ALLOC_COUNT);
  store<f64>(r, load<f64>(r, REC_ALLOC_BYTES) + <f64>bytes, REC_ALLOC_BYTES);
}

/** A traced block of `size` (standing for `bytes`) allocated with traceback tb went. */
// @ts-ignore: decorator
@inline function countFree(tb: u32, size: u32, bytes: u64): void {
  let r = recordOf(tb);
  touchRecord(r);
  store<f64>(r, load<f64>(r, REC_FREE_COUNT) + countOf(size), REC_FREE_COUNT);
  store<f64>(r, load<f64>(r, REC_FREE_BYTES) + <f64>bytes, REC_FREE_BYTES);
}

// ---- control -------------------------------------------------------------------
//
// Every export below that reads the table, the tracebacks, the counters or the invalid-free log
// applies the pending events first. stop() discards them with everything else.

/**
 * Starts tracing with tracebacks of at most `nframe` frames (clamped to
 * 1..65535). `interval` ≥ 1 samples allocations, one per `interval` bytes on
 * average (see the sampling section), drawn from `seed`; anything else (0, NaN)
 * traces every allocation. Does nothing when already tracing, like
 * tracemalloc.start. False if the initial structures do not fit in memory.
 */
export function start(limit: u32, interval: f64, seed: u32): bool {
  if (mode != OFF) return true;
  if (!layout()) return false;
  windowCarry = 0;
  maxNframe = min(max(limit, 1), MAX_NFRAME);
  nframe = maxNframe;
  if (interval >= 1 && interval < Infinity) {
    sampleInterval = interval;
    seedRandom(seed);
    untilSample = drawInterval();
    mode = SAMPLING;
  } else {
    sampleInterval = 0;
    mode = EXACT;
  }
  return true;
}

/** The mean bytes between samples while sampling; 0 when every allocation is traced. */
export function samplingInterval(): f64 {
  return sampleInterval;
}

/** Stops tracing and clears everything: traces, tracebacks, counters, the log. */
export function stop(): void {
  if (mode == OFF) return;
  mode = OFF;
  sampleInterval = 0;
  nframe = 1;
  layout();
  windowCarry = 0;
  top = storeBase;
}

export function isTracing(): bool {
  return mode != OFF;
}

/**
 * Clears traces, tracebacks, current and peak, the counters and the log;
 * tracing goes on. Traceback ids taken before are invalid afterwards.
 */
export function clearTraces(): void {
  if (mode == OFF) return;
  flushEvents();
  if (windowPeak > windowCarry) windowCarry = windowPeak;
  layout();
}

/** peak := current; the traces are untouched (and the sampler's window keeps its peak). */
export function resetPeak(): void {
  flushEvents();
  if (windowPeak > windowCarry) windowCarry = windowPeak;
  peak = current;
  windowPeak = current;
  peakEpoch++;
}

/**
 * The highest traced size since the previous call (or since start()), then starts a
 * new window at the current size. Exact: updated on every alloc, like peak. The JS
 * sampler calls it once per sample; resetPeak() and clearTraces() do not lose it.
 */
export function takeWindowPeak(): f64 {
  flushEvents();
  let highest = windowPeak > windowCarry ? windowPeak : windowCarry;
  windowPeak = current;
  windowCarry = 0;
  return <f64>highest;
}

export function currentBytes(): f64 {
  flushEvents();
  return <f64>current;
}

export function peakBytes(): f64 {
  flushEvents();
  return <f64>peak;
}

export function traceCount(): u32 {
  flushEvents();
  return live;
}

/** Distinct tracebacks interned since start() or clearTraces(). */
export function tracebackCount(): u32 {
  flushEvents();
  return tracebacks;
}

export function lostTraces(): u32 {
  flushEvents();
  return lost;
}

export function untracedFrees(): u32 {
  flushEvents();
  return untracedFreeCount;
}

export function doubleFrees(): u32 {
  flushEvents();
  return doubleFreeCount;
}

/** Bytes of the live structures: see the layout at the top of this file. */
export function tracerBytes(): u32 {
  flushEvents();
  return <u32>(STATIC_BYTES + (top - storeBase));
}

/** Bytes of the core's whole linear memory (pages × 64 KiB). */
export function memoryBytes(): f64 {
  flushEvents();
  return <f64>memory.size() * 65536;
}

/** The traceback id of the live trace of (domain, ptr), or -1. */
export function lookup(domain: u32, ptr: u32): i32 {
  if (mode == OFF || ptr == 0) return -1;
  flushEvents();
  let e = findTrace(domain, ptr);
  if (e == 0) return -1;
  return <i32>entryTb(e);
}

/**
 * Writes [count u32][(tb u32, size u32) × count] for every live trace into
 * scratch and returns its address, valid until the next call into the core.
 * 0 if memory cannot grow enough.
 */
export function snapshot(): usize {
  if (mode == OFF) return EMPTY;
  flushEvents();
  let out = top;
  if (!reserve(<u64>out + 4 + (<u64>live << 3))) return 0;
  store<u32>(out, live);
  let w = out + 4;
  for (let line = tableBase; line < top; line += LINE_BYTES) {
    for (let e = line, end = line + LINE_ENTRIES_BYTES; e < end; e += ENTRY_BYTES) {
      if (load<u32>(e) == 0) continue;
      store<u32>(w, entryTb(e));
      store<u32>(w, entrySize(e), 4);
      w += 8;
    }
  }
  return out;
}

// Traceback accessors. An id that is not a record start of the current store
// reads garbage but never traps; ids outside the store read as 0.

// @ts-ignore: decorator
@inline function inStore(tb: u32): bool {
  let r = <usize>tb << 2;
  return tb < 0x4000_0000 && r >= storeBase && r + RECORD_HEADER_BYTES <= storeEnd;
}

export function tbDomain(tb: u32): u32 {
  return inStore(tb) ? domainPart(load<u32>(<usize>tb << 2, 4)) : 0;
}

/** The thread number of the allocations of traceback tb (0 outside the threaded build). */
export function tbThread(tb: u32): u32 {
  return inStore(tb) ? load<u32>(<usize>tb << 2, 4) >>> THREAD_SHIFT : 0;
}

export function tbNframe(tb: u32): u32 {
  return inStore(tb) ? load<u32>(<usize>tb << 2, 8) : 0;
}

export function tbTotalNframe(tb: u32): u32 {
  return inStore(tb) ? load<u32>(<usize>tb << 2, 12) : 0;
}

/** Frame i (0 = oldest) of traceback tb: a site id of its domain. */
export function tbFrame(tb: u32, i: u32): u32 {
  if (!inStore(tb) || i >= load<u32>(<usize>tb << 2, 8)) return 0;
  return load<u32>((<usize>tb << 2) + RECORD_HEADER_BYTES + (<usize>i << 2));
}

// Counters of traceback tb (see the per-traceback counters section); 0 for an id
// outside the store.

// @ts-ignore: decorator
@inline function tbCounter(tb: u32, offset: usize): f64 {
  flushEvents();
  return inStore(tb) ? load<f64>((<usize>tb << 2) + offset) : 0;
}

export function tbAllocCount(tb: u32): f64 {
  return tbCounter(tb, REC_ALLOC_COUNT);
}

export function tbAllocBytes(tb: u32): f64 {
  return tbCounter(tb, REC_ALLOC_BYTES);
}

export function tbFreeCount(tb: u32): f64 {
  return tbCounter(tb, REC_FREE_COUNT);
}

export function tbFreeBytes(tb: u32): f64 {
  return tbCounter(tb, REC_FREE_BYTES);
}

/** Live blocks of tb: allocated − freed. */
export function tbLiveCount(tb: u32): f64 {
  return tbAllocCount(tb) - tbFreeCount(tb);
}

export function tbLiveBytes(tb: u32): f64 {
  return tbAllocBytes(tb) - tbFreeBytes(tb);
}

/** Whether tb has not changed since the peak (then its live values are the peak's). */
// @ts-ignore: decorator
@inline function unchangedSincePeak(tb: u32): bool {
  return load<u64>(<usize>tb << 2, REC_STAMP) != peakEpoch;
}

/** Live blocks of tb when `peak` was reached (or last reset). */
export function tbPeakCount(tb: u32): f64 {
  flushEvents();
  if (!inStore(tb)) return 0;
  return unchangedSincePeak(tb) ? tbLiveCount(tb) : load<f64>(<usize>tb << 2, REC_PEAK_COUNT);
}

export function tbPeakBytes(tb: u32): f64 {
  flushEvents();
  if (!inStore(tb)) return 0;
  return unchangedSincePeak(tb) ? tbLiveBytes(tb) : load<f64>(<usize>tb << 2, REC_PEAK_BYTES);
}

/** The first traceback interned since start() or clearTraces(), or 0: with tbNext, a walk of them all. */
export function tbFirst(): u32 {
  flushEvents();
  return mode != OFF && storeEnd > storeBase ? <u32>(storeBase >> 2) : 0;
}

/** The traceback interned after tb, or 0 after the last. */
export function tbNext(tb: u32): u32 {
  if (!inStore(tb)) return 0;
  let next = (<usize>tb << 2) + recordBytes(load<u32>(<usize>tb << 2, 8));
  return next < storeEnd ? <u32>(next >> 2) : 0;
}

/**
 * Writes [count u32][(tb u32, alloc count, alloc bytes, free count, free bytes,
 * peak count, peak bytes f64) × count] for every traceback into scratch (8-byte
 * aligned, 56 B a row) and returns its address, valid until the next call into the
 * core; 0 if memory cannot grow enough. One walk of the store: what a snapshot reads.
 */
export function tracebackCounters(): usize {
  if (mode == OFF) return EMPTY;
  flushEvents();
  let out = (top + 7) & ~(<usize>7);
  if (!reserve(<u64>out + 8 + <u64>tracebacks * 56)) return 0;
  store<u32>(out, tracebacks);
  let w = out + 8;
  for (let r = storeBase; r < storeEnd; r += recordBytes(load<u32>(r, 8))) {
    let tb = <u32>(r >> 2);
    let unchanged = unchangedSincePeak(tb);
    let allocCount = load<f64>(r, REC_ALLOC_COUNT);
    let allocBytes = load<f64>(r, REC_ALLOC_BYTES);
    let freeCount = load<f64>(r, REC_FREE_COUNT);
    let freeBytes = load<f64>(r, REC_FREE_BYTES);
    store<u32>(w, tb);
    store<f64>(w, allocCount, 8);
    store<f64>(w, allocBytes, 16);
    store<f64>(w, freeCount, 24);
    store<f64>(w, freeBytes, 32);
    store<f64>(w, unchanged ? allocCount - freeCount : load<f64>(r, REC_PEAK_COUNT), 40);
    store<f64>(w, unchanged ? allocBytes - freeBytes : load<f64>(r, REC_PEAK_BYTES), 48);
    w += 56;
  }
  return out;
}

/** Entries in the invalid-free log (the last 256 at most). */
export function freeLogCount(): u32 {
  flushEvents();
  return min(logTotal, LOG_LENGTH);
}

/** Invalid frees logged since start(), including those the ring forgot. */
export function freeLogTotal(): u32 {
  flushEvents();
  return logTotal;
}

/**
 * Address of log entry i (0 = oldest kept):
 * [domain][ptr][site][kind 1 = untraced, 2 = double][tb of the alloc or 0xFFFFFFFF].
 */
export function freeLogEntry(i: u32): usize {
  let first = logTotal - freeLogCount();
  return LOG + <usize>((first + i) & (LOG_LENGTH - 1)) * LOG_RECORD_BYTES;
}

/**
 * Test hook: memory.grow behaves as failing beyond `pages` pages
 * (65536, the default, is no limit).
 */
export function setMemoryLimitPages(pages: u32): void {
  flushEvents();
  memoryLimit = min(pages, MAX_PAGES);
}

// ---- threaded build: state and realloc ------------------------------------------

/**
 * Threaded build: a thread died while it changed the table (see takeOver in
 * trace-table-shared.ts). Clears everything, as clearTraces() does, without applying
 * the pending events, which may be half-applied already; tracing goes on.
 */
export function dropEverything(): void {
  if (mode == OFF) return;
  if (windowPeak > windowCarry) windowCarry = windowPeak;
  layout();
}

// saveState writes 168 bytes; `mode` and `eventEnd` first, which the quick paths use in place.

/** Threaded build: writes the shared state (the globals above, but sp, nframe and the thread's own) at h. */
export function saveState(h: usize): void {
  store<u32>(h, mode, 0);
  store<u32>(h, eventEnd, 4);
  store<u32>(h, maxNframe, 8);
  store<u32>(h, memoryLimit, 12);
  store<u32>(h, storeBase, 16);
  store<u32>(h, storeEnd, 20);
  store<u32>(h, storeCap, 24);
  store<u32>(h, tracebacks, 28);
  store<u32>(h, setBase, 32);
  store<u32>(h, setMask, 36);
  store<u32>(h, setShift, 40);
  store<u32>(h, setLimit, 44);
  store<u32>(h, escBase, 48);
  store<u32>(h, escCap, 52);
  store<u32>(h, escEnd, 56);
  store<u32>(h, escFree, 60);
  store<u32>(h, tableBase, 64);
  store<u32>(h, lineMask, 68);
  store<u32>(h, lineShift, 72);
  store<u32>(h, tableLimit, 76);
  store<u32>(h, live, 80);
  store<u32>(h, top, 84);
  store<u32>(h, lost, 88);
  store<u32>(h, untracedFreeCount, 92);
  store<u32>(h, doubleFreeCount, 96);
  store<u32>(h, logTotal, 100);
  store<u64>(h, current, 104);
  store<u64>(h, peak, 112);
  store<u64>(h, windowPeak, 120);
  store<u64>(h, windowCarry, 128);
  store<u64>(h, randomState, 136);
  store<f64>(h, sampleInterval, 144);
  store<f64>(h, untilSample, 152);
  store<u64>(h, peakEpoch, 160);
}

/** Threaded build: reads the shared state that saveState wrote at h. */
export function loadState(h: usize): void {
  mode = load<u32>(h, 0);
  eventEnd = load<u32>(h, 4);
  maxNframe = load<u32>(h, 8);
  memoryLimit = load<u32>(h, 12);
  storeBase = load<u32>(h, 16);
  storeEnd = load<u32>(h, 20);
  storeCap = load<u32>(h, 24);
  tracebacks = load<u32>(h, 28);
  setBase = load<u32>(h, 32);
  setMask = load<u32>(h, 36);
  setShift = load<u32>(h, 40);
  setLimit = load<u32>(h, 44);
  escBase = load<u32>(h, 48);
  escCap = load<u32>(h, 52);
  escEnd = load<u32>(h, 56);
  escFree = load<u32>(h, 60);
  tableBase = load<u32>(h, 64);
  lineMask = load<u32>(h, 68);
  lineShift = load<u32>(h, 72);
  tableLimit = load<u32>(h, 76);
  live = load<u32>(h, 80);
  top = load<u32>(h, 84);
  lost = load<u32>(h, 88);
  untracedFreeCount = load<u32>(h, 92);
  doubleFreeCount = load<u32>(h, 96);
  logTotal = load<u32>(h, 100);
  current = load<u64>(h, 104);
  peak = load<u64>(h, 112);
  windowPeak = load<u64>(h, 120);
  windowCarry = load<u64>(h, 128);
  randomState = load<u64>(h, 136);
  sampleInterval = load<f64>(h, 144);
  untilSample = load<f64>(h, 152);
  peakEpoch = load<u64>(h, 160);
  nframe = mode != OFF ? maxNframe : 1;
}

// Where saveState keeps `mode` and `eventEnd`: the quick paths below use them in place.
// @ts-ignore: decorator
@inline const STATE_MODE: usize = 0;
// @ts-ignore: decorator
@inline const STATE_EVENT_END: usize = 4;

/**
 * Threaded build: the common alloc (exact, no shadow stack frames) without the shared
 * state in globals: the event is appended at the eventEnd kept in the state at
 * `state`. False when it needs the whole state (another mode, a deep traceback, a
 * full buffer): the caller loads it and calls alloc().
 */
export function allocQuick(state: usize, domain: u32, ptr: u32, size: u32, site: u32): bool {
  if ((load<u32>(state, STATE_MODE) != EXACT) | (sp != 0) | (site >= SITE_EVENT)) return false;
  if (ptr == 0) return true;
  return appendQuick(state, ptr, size, SITE_EVENT | site, withThread(domain));
}

/** Threaded build: free() as allocQuick does alloc(). */
export function freeQuick(state: usize, domain: u32, ptr: u32, site: u32): bool {
  if (load<u32>(state, STATE_MODE) != EXACT) return false;
  if (ptr == 0) return true;
  return appendQuick(state, ptr, site, MARK_FREE, domain);
}

// @ts-ignore: decorator
@inline function appendQuick(state: usize, ptr: u32, word: u32, tbOrMark: u32, domainWord: u32): bool {
  let p = <usize>load<u32>(state, STATE_EVENT_END);
  // The last slot takes the slow path, which applies the batch.
  if (p + EVENT_BYTES >= EVENTS_END) return false;
  store<u32>(p, ptr);
  store<u32>(p, word, 4);
  store<u32>(p, tbOrMark, 8);
  store<u32>(p, domainWord, 12);
  store<u32>(state, <u32>(p + EVENT_BYTES), STATE_EVENT_END);
  return true;
}

// A realloc in a module on shared memory comes in two halves around the real one.
// Once the allocator has the old block back, another thread may be given its address
// and record an allocation there; a record of the old half made after that would
// delete the new block's trace. So the old trace goes before the call (reallocBegin),
// is put back if the realloc failed (reallocUndo), and the new block is an alloc().
// The stash is this thread's: the lock is not held across the call.
let stashSize: u32 = 0;
let stashTb: u32 = 0;

/** The old half of a realloc of oldPtr, before the real realloc runs. */
export function reallocBegin(domain: u32, oldPtr: u32, site: u32): void {
  stashTb = 0;
  if (mode == OFF || oldPtr == 0) return;
  flushEvents();
  let e = findTrace(domain, oldPtr);
  if (e == 0) {
    // Unknown: allocated before start(), or not traced. Recently freed: a double free.
    if (mode == EXACT) {
      let tb = recentlyFreed(domain, oldPtr);
      if (tb != 0) invalidFree(domain, oldPtr, site, KIND_DOUBLE, tb);
    }
    return;
  }
  stashSize = entrySize(e);
  stashTb = entryTb(e);
  // As applyReallocFrom: the old block counts as freed (a failed realloc's undo then
  // counts it allocated again).
  countFree(stashTb, stashSize, entryBytes(e));
  current -= entryBytes(e);
  dropTrace(e);
  if (mode == SAMPLING) filterUpdate(filterSlot(domain, oldPtr), -1);
}

/** The realloc after reallocBegin failed: the old block is still there, with its trace. */
export function reallocUndo(domain: u32, oldPtr: u32): void {
  let tb = stashTb;
  stashTb = 0;
  if (mode == OFF || tb == 0) return;
  flushEvents();
  let before = live;
  if (!addTrace(domain, oldPtr, stashSize, tb, bytesOf(stashSize))) traceLost(domain, oldPtr);
  if (mode == SAMPLING) filterUpdate(filterSlot(domain, oldPtr), <i32>live - <i32>before);
}
