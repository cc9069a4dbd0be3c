// The threaded build of the core: trace-table.ts with a lock around every export,
// on a shared memory that every thread's instance imports (see the threads section
// of trace-table.ts). Built with Wasm threads and --importMemory --sharedMemory.
//
// The lock is a word of the shared memory, taken with compare-and-exchange; the
// holder's number is in it. A thread that takes it loads the shared state into its
// globals, unless it was the last to store them, and stores them back before it
// lets go. An event costs one uncontended lock (about 5 ns) and the stores; memray
// and heaptrack also take a lock per event. The program's own threaded allocator
// takes one on every call, so contention is no worse than the program's.
//
// A thread that dies holding the lock (a terminated worker) must not hang the
// others: after STEAL_SPINS spins the lock is taken over, and stolen() says that
// the state may be inconsistent.
//
// Memory layout, the static part (the rest as in trace-table.ts):
//   HEADER  512 B   [lock][last saver][stolen][stored] [state, 168 B] [thread slots, u8 × 256] [waiters][dirty]
//   STACKS  256 × 512 B   one shadow-stack ring per thread slot

import * as core from './trace-table';
// Read by JS with the lock held (hold()/release(): TraceTable.locked), as the
// addresses and records they read stay put only while it is.
export {
  sp,
  nframe,
  put,
  tbDomain,
  tbThread,
  tbNframe,
  tbTotalNframe,
  tbFrame,
  tbAllocCount,
  tbAllocBytes,
  tbFreeCount,
  tbFreeBytes,
  tbLiveCount,
  tbLiveBytes,
  tbPeakCount,
  tbPeakBytes,
  tbFirst,
  tbNext,
} from './trace-table';

// @ts-ignore: decorator
@inline const MAX_THREADS: u32 = 256;
// @ts-ignore: decorator
@inline const RING_BYTES: usize = 512;
// @ts-ignore: decorator
@inline const STEAL_SPINS: u32 = 1 << 30;
// A thread that may block (not a page's main thread) sleeps after this many spins, so
// that more threads than cores do not spin away the holder's time slice...
// @ts-ignore: decorator
@inline const SPINS_BEFORE_WAIT: u32 = 1 << 10;
// ...for at most this long at a time (ns), and takes the lock over after this many waits.
// @ts-ignore: decorator
@inline const WAIT_NS: i64 = 1_000_000;
// @ts-ignore: decorator
@inline const STEAL_WAITS: u32 = 1000;

const HEADER: usize = memory.data(512, 64);
const STACKS: usize = memory.data(<i32>(<usize>MAX_THREADS * RING_BYTES), 64);
// The thread number of each slot (attach()), so that fence() can find it.
const SLOT_THREAD: usize = memory.data(<i32>(<usize>MAX_THREADS * 4), 64);
// SLOTS values: free, taken, and fenced (its thread is about to be terminated).
// @ts-ignore: decorator
@inline const SLOT_FREE: u8 = 0;
// @ts-ignore: decorator
@inline const SLOT_TAKEN: u8 = 1;
// @ts-ignore: decorator
@inline const SLOT_FENCED: u8 = 2;
// @ts-ignore: decorator
@inline const LOCK: usize = HEADER;
// @ts-ignore: decorator
@inline const SAVER: usize = HEADER + 4;
// @ts-ignore: decorator
@inline const STOLEN: usize = HEADER + 8;
// Nonzero once a state was stored: before, the state is every instance's initial globals.
// @ts-ignore: decorator
@inline const STORED: usize = HEADER + 12;
// The state right after the lock word, so that the quick paths' `mode` and `eventEnd`
// share its cache line.
// @ts-ignore: decorator
@inline const STATE: usize = HEADER + 16;
// Threads asleep on the lock word (see SPINS_BEFORE_WAIT).
// @ts-ignore: decorator
@inline const WAITERS: usize = HEADER + 448;
// 1 while a holder has the state in its globals and may be changing the table: a
// holder that dies then leaves the table half-changed and the header's state stale.
// @ts-ignore: decorator
@inline const DIRTY: usize = HEADER + 452;
// @ts-ignore: decorator
@inline const SLOTS: usize = HEADER + 192;

/** This instance's lock word: its thread slot + 1; 0 until attach(). */
let me: u32 = 0;
/** How many holds of this instance are open (JS may hold across several calls). */
let holds: u32 = 0;
/** Whether this thread may block in memory.atomic.wait (a page's main thread may not). */
let canWait: bool = false;

function lock(): void {
  if (acquire()) loadShared();
}

/** Loads the shared state into this instance's globals, unless they are it already. */
function loadShared(): void {
  if (load<u32>(SAVER) != me && load<u32>(STORED) != 0) core.loadState(STATE);
  store<u32>(DIRTY, 1);
}

/** Takes the lock; true if this is the outermost hold (the state is then not loaded yet). */
function acquire(): bool {
  if (holds++ != 0) return false;
  let spins: u32 = 0;
  let waits: u32 = 0;
  while (atomic.cmpxchg<u32>(LOCK, 0, me) != 0 || fenced()) {
    let holder = atomic.load<u32>(LOCK);
    while (holder != 0) {
      if (canWait && ++spins >= SPINS_BEFORE_WAIT) {
        atomic.add<u32>(WAITERS, 1);
        atomic.wait<u32>(LOCK, holder, WAIT_NS);
        atomic.sub<u32>(WAITERS, 1);
        waits++;
        spins = 0;
      } else if (!canWait) {
        spins++;
      }
      if (waits >= STEAL_WAITS || spins >= STEAL_SPINS) {
        takeOver();
        return true;
      }
      holder = atomic.load<u32>(LOCK);
    }
  }
  return true;
}

/**
 * The holder is gone (or stuck): take the lock over, and say so. A holder that died
 * in the quick path left the state whole (an event is appended before eventEnd
 * moves): at most its last event is missing (stolen() 1). One that died while it
 * changed the table left it half-changed, with its state lost: the traces so far are
 * dropped and tracing goes on from empty (stolen() 2), rather than give numbers that
 * cannot be trusted.
 */
function takeOver(): void {
  atomic.store<u32>(LOCK, me);
  if (load<u32>(DIRTY) != 0 && load<u32>(STORED) != 0) {
    core.loadState(STATE);
    core.dropEverything();
    core.saveState(STATE);
    store<u32>(SAVER, me);
    store<u32>(DIRTY, 0);
    atomic.store<u32>(STOLEN, 2);
  } else {
    store<u32>(SAVER, 0);
    if (atomic.load<u32>(STOLEN) == 0) atomic.store<u32>(STOLEN, 1);
  }
}

/**
 * Whether this thread was fenced (fence()): then it lets the lock go at once and never
 * takes it again, so that its termination cannot catch it inside. Read with the lock
 * held, where fence() wrote it.
 */
// @ts-ignore: decorator
@inline function fenced(): bool {
  if (load<u8>(SLOTS + (me - 1)) != SLOT_FENCED) return false;
  letGo();
  // Until the termination arrives (it interrupts a wait, or the next loop check).
  while (true) {
    if (canWait) atomic.wait<u32>(SLOT_THREAD, 0xFFFF_FFFF, WAIT_NS);
  }
  return true;
}

/** Lets the lock go, waking one sleeper if there is one. */
function letGo(): void {
  atomic.store<u32>(LOCK, 0);
  if (atomic.load<u32>(WAITERS) != 0) atomic.notify(LOCK, 1);
}

/**
 * Lets go after a quick path, which changed the state in place: no instance's
 * globals are the state any more.
 */
function releaseQuick(): void {
  holds = 0;
  store<u32>(SAVER, 0);
  letGo();
}

function unlock(): void {
  if (--holds != 0) return;
  core.saveState(STATE);
  store<u32>(SAVER, me);
  store<u32>(STORED, 1);
  store<u32>(DIRTY, 0);
  letGo();
}

/**
 * Makes this instance thread `thread` (a number the JS side gives, shown in reports)
 * and gives it a shadow-stack ring. `mayWait`: the thread may block (see SPINS_BEFORE_WAIT). Returns its slot + 1, or 0 when all are taken
 * (the thread must then run untraced).
 */
export function attach(thread: u32, mayWait: bool): u32 {
  if (me != 0) return me;
  canWait = mayWait;
  // A temporary lock word that no slot uses, until the slot is known.
  me = 0xFFFF_FFFF;
  lock();
  let slot: u32 = 0;
  while (slot < MAX_THREADS && load<u8>(SLOTS + slot) != SLOT_FREE) slot++;
  if (slot < MAX_THREADS) {
    store<u8>(SLOTS + slot, SLOT_TAKEN);
    store<u32>(SLOT_THREAD + (<usize>slot << 2), thread);
  }
  // Another thread's globals were loaded under the temporary word: store them as
  // they are, and load them again as this slot.
  core.saveState(STATE);
  store<u32>(SAVER, 0);
  store<u32>(STORED, 1);
  holds = 0;
  letGo();
  if (slot == MAX_THREADS) {
    me = 0;
    return 0;
  }
  me = slot + 1;
  core.setThread(thread, STACKS + <usize>slot * RING_BYTES);
  lock();
  unlock();
  return me;
}

/** The thread is ending: its slot may be reused. */
export function detach(): void {
  if (me == 0) return;
  lock();
  store<u8>(SLOTS + (me - 1), SLOT_FREE);
  unlock();
  me = 0;
}

/**
 * Thread `thread` is about to be terminated: once this returns, it is not inside the
 * lock (this call held it) and never takes it again, so a termination cannot leave
 * the table half-changed. Returns 1 if the thread had a slot.
 */
export function fence(thread: u32): u32 {
  lock();
  let found: u32 = 0;
  for (let slot: u32 = 0; slot < MAX_THREADS; slot++) {
    if (load<u8>(SLOTS + slot) == SLOT_TAKEN && load<u32>(SLOT_THREAD + (<usize>slot << 2)) == thread && slot + 1 != me) {
      store<u8>(SLOTS + slot, SLOT_FENCED);
      found = 1;
    }
  }
  unlock();
  return found;
}

/** The fenced thread `thread` has ended: its slot may be reused. */
export function forget(thread: u32): void {
  lock();
  for (let slot: u32 = 0; slot < MAX_THREADS; slot++) {
    if (load<u8>(SLOTS + slot) == SLOT_FENCED && load<u32>(SLOT_THREAD + (<usize>slot << 2)) == thread) store<u8>(SLOTS + slot, SLOT_FREE);
  }
  unlock();
}

/** JS takes the lock across several calls (reading a snapshot out of memory). */
export function hold(): void {
  lock();
}

export function release(): void {
  unlock();
}

/**
 * 0, or how a lock was taken over from a thread that died holding it: 1 with the
 * state whole (off by its last event at most), 2 with the traces before it dropped.
 */
export function stolen(): u32 {
  return atomic.load<u32>(STOLEN);
}

// ---- the exports of trace-table.ts, each under the lock ---------------------------

// The hot path: most events only append to the batch, with the state left in memory
// (allocQuick); the rest load it.
export function alloc(domain: u32, ptr: u32, size: u32, site: u32): void {
  if (acquire()) {
    if (load<u32>(STORED) != 0 && core.allocQuick(STATE, domain, ptr, size, site)) return releaseQuick();
    loadShared();
  }
  core.alloc(domain, ptr, size, site);
  unlock();
}

export function free(domain: u32, ptr: u32, site: u32): void {
  if (acquire()) {
    if (load<u32>(STORED) != 0 && core.freeQuick(STATE, domain, ptr, site)) return releaseQuick();
    loadShared();
  }
  core.free(domain, ptr, site);
  unlock();
}

export function realloc(domain: u32, oldPtr: u32, newPtr: u32, size: u32, site: u32): void {
  lock();
  core.realloc(domain, oldPtr, newPtr, size, site);
  unlock();
}

export function reallocBegin(domain: u32, oldPtr: u32, site: u32): void {
  lock();
  core.reallocBegin(domain, oldPtr, site);
  unlock();
}

export function reallocUndo(domain: u32, oldPtr: u32): void {
  lock();
  core.reallocUndo(domain, oldPtr);
  unlock();
}

export function start(limit: u32, interval: f64, seed: u32): bool {
  lock();
  let r = core.start(limit, interval, seed);
  unlock();
  return r;
}

export function samplingInterval(): f64 {
  lock();
  let r = core.samplingInterval();
  unlock();
  return r;
}

export function stop(): void {
  lock();
  core.stop();
  unlock();
}

export function isTracing(): bool {
  lock();
  let r = core.isTracing();
  unlock();
  return r;
}

export function clearTraces(): void {
  lock();
  core.clearTraces();
  unlock();
}

export function resetPeak(): void {
  lock();
  core.resetPeak();
  unlock();
}

export function takeWindowPeak(): f64 {
  lock();
  let r = core.takeWindowPeak();
  unlock();
  return r;
}

export function currentBytes(): f64 {
  lock();
  let r = core.currentBytes();
  unlock();
  return r;
}

export function peakBytes(): f64 {
  lock();
  let r = core.peakBytes();
  unlock();
  return r;
}

export function traceCount(): u32 {
  lock();
  let r = core.traceCount();
  unlock();
  return r;
}

export function tracebackCount(): u32 {
  lock();
  let r = core.tracebackCount();
  unlock();
  return r;
}

export function lostTraces(): u32 {
  lock();
  let r = core.lostTraces();
  unlock();
  return r;
}

export function untracedFrees(): u32 {
  lock();
  let r = core.untracedFrees();
  unlock();
  return r;
}

export function doubleFrees(): u32 {
  lock();
  let r = core.doubleFrees();
  unlock();
  return r;
}

export function tracerBytes(): u32 {
  lock();
  let r = core.tracerBytes();
  unlock();
  return r;
}

export function memoryBytes(): f64 {
  lock();
  let r = core.memoryBytes();
  unlock();
  return r;
}

export function lookup(domain: u32, ptr: u32): i32 {
  lock();
  let r = core.lookup(domain, ptr);
  unlock();
  return r;
}

/** As in trace-table.ts; the address stays valid only while JS holds the lock (hold()). */
export function snapshot(): usize {
  lock();
  let r = core.snapshot();
  unlock();
  return r;
}

export function freeLogCount(): u32 {
  lock();
  let r = core.freeLogCount();
  unlock();
  return r;
}

export function freeLogTotal(): u32 {
  lock();
  let r = core.freeLogTotal();
  unlock();
  return r;
}

export function freeLogEntry(i: u32): usize {
  lock();
  let r = core.freeLogEntry(i);
  unlock();
  return r;
}

export function setMemoryLimitPages(pages: u32): void {
  lock();
  core.setMemoryLimitPages(pages);
  unlock();
}

/** As in trace-table.ts; the address stays valid only while JS holds the lock (hold()). */
export function tracebackCounters(): usize {
  lock();
  let r = core.tracebackCounters();
  unlock();
  return r;
}
