import { describe, expect, it } from 'vitest';
import { TraceTable, type TraceTableExports } from './trace-table.js';
import { random } from '../model/seeded-random.test-helper.js';
import { estimatedBytes, sampleProbability } from '../model/sample-weight.js';

const PAGE = 65536;

function started(nframe = 1): { t: TraceTable; e: TraceTableExports } {
  const t = TraceTable.create();
  expect(t.exports.start(nframe)).toBe(1);
  return { t, e: t.exports };
}

/** The rows of a snapshot as "tb:size" strings, sorted, for exact comparison. */
function rows(t: TraceTable): string[] {
  const { traceback, size } = t.readSnapshot();
  return Array.from(traceback, (tb, i) => `${tb}:${size[i]}`).sort();
}

function siteOf(t: TraceTable, tb: number): { domain: number; site: number } {
  const { domain, frames, totalNframe } = t.traceback(tb);
  expect(frames.length).toBe(1);
  expect(totalNframe).toBe(1);
  expect(frames[0]!.domain).toBe(domain);
  return { domain, site: frames[0]!.site };
}

describe('TraceTable', () => {
  it('has no imports and exports its memory', () => {
    const t = TraceTable.create();
    expect(t.exports.memory).toBeInstanceOf(WebAssembly.Memory);
    expect(t.exports.isTracing()).toBe(0);
    expect(t.readSnapshot().size.length).toBe(0);
  });

  it('records nothing before start()', () => {
    const t = TraceTable.create();
    const e = t.exports;
    e.alloc(1, 0x1000, 100, 7);
    e.free(1, 0x2000, 7);
    expect(e.start(1)).toBe(1);
    expect([e.traceCount(), e.currentBytes(), e.untracedFrees(), e.lookup(1, 0x1000)]).toEqual([0, 0, 0, -1]);
  });

  it('1000 allocs of 100 B at site 7 in domain 1: 1000 traces, 100000 B, one traceback', () => {
    const { t, e } = started();
    for (let i = 0; i < 1000; i++) e.alloc(1, 0x10000 + i * 112, 100, 7);
    expect(e.traceCount()).toBe(1000);
    expect(e.currentBytes()).toBe(100_000);
    expect(e.peakBytes()).toBe(100_000);
    expect(e.tracebackCount()).toBe(1);
    const tb = e.lookup(1, 0x10000);
    expect(siteOf(t, tb)).toEqual({ domain: 1, site: 7 });
    const snap = t.readSnapshot();
    expect(snap.traceback).toEqual(new Uint32Array(1000).fill(tb));
    expect(snap.size).toEqual(new Float64Array(1000).fill(100));
    for (let i = 0; i < 1000; i++) expect(e.lookup(1, 0x10000 + i * 112)).toBe(tb);
  });

  it('interns one traceback per (domain, site)', () => {
    const { t, e } = started();
    e.alloc(1, 0x100, 10, 7);
    e.alloc(1, 0x200, 20, 8);
    e.alloc(2, 0x300, 30, 7);
    e.alloc(1, 0x400, 40, 7);
    expect(e.tracebackCount()).toBe(3);
    expect(siteOf(t, e.lookup(1, 0x100))).toEqual({ domain: 1, site: 7 });
    expect(siteOf(t, e.lookup(1, 0x200))).toEqual({ domain: 1, site: 8 });
    expect(siteOf(t, e.lookup(2, 0x300))).toEqual({ domain: 2, site: 7 });
    expect(e.lookup(1, 0x400)).toBe(e.lookup(1, 0x100));
    expect(e.lookup(2, 0x300)).not.toBe(e.lookup(1, 0x100));
  });

  it('names the domains live traces refer to, frames of a chain across modules included', () => {
    const { t, e } = started(8);
    expect([...t.domainsReferenced()]).toEqual([]);
    e.sp.value = 1;
    e.put(1, 7, 3); // domain 7 called JS, which called domain 5
    e.alloc(5, 0x100, 16, 9);
    e.sp.value = 0;
    e.alloc(6, 0x100, 16, 9);
    expect([...t.domainsReferenced()].sort()).toEqual([5, 6, 7]);
    expect([...TraceTable.domainsReferencedByAny()]).toEqual(expect.arrayContaining([5, 6, 7]));
    e.free(5, 0x100, 2);
    expect([...t.domainsReferenced()]).toEqual([6]); // an interned traceback with no trace names nothing
    e.stop();
    expect([...t.domainsReferenced()]).toEqual([]);
  });

  it('one-frame tracebacks (cached per site) stay exact: depths, domains that pack alike, colliding sites, clearTraces', () => {
    const { t, e } = started();
    // At nframe 1 the depth still counts: the same site at depth 0 and 4 is two tracebacks.
    e.alloc(1, 0x100, 1, 7);
    e.sp.value = 4;
    e.alloc(1, 0x200, 1, 7);
    e.sp.value = 0;
    e.alloc(1, 0x300, 1, 7);
    expect(t.traceback(e.lookup(1, 0x200)).totalNframe).toBe(5);
    expect(e.lookup(1, 0x300)).toBe(e.lookup(1, 0x100));
    expect(e.lookup(1, 0x200)).not.toBe(e.lookup(1, 0x100));
    // Domains 1 and 4097 pack to the same frame; their tracebacks differ.
    e.alloc(4097, 0x400, 1, 7);
    e.alloc(1, 0x500, 1, 7);
    expect(t.traceback(e.lookup(4097, 0x400)).domain).toBe(4097);
    expect(e.lookup(1, 0x500)).toBe(e.lookup(1, 0x100));
    // 5000 sites (far more than the cache's slots), twice over: one traceback each, every time.
    for (let round = 0; round < 2; round++) for (let s = 0; s < 5000; s++) e.alloc(3, 0x10000 + (round * 5000 + s) * 16, 1, s);
    expect(e.tracebackCount()).toBe(3 + 5000);
    for (let s = 0; s < 5000; s++) {
      const tb = e.lookup(3, 0x10000 + s * 16);
      expect(e.lookup(3, 0x10000 + (5000 + s) * 16)).toBe(tb);
      expect(siteOf(t, tb)).toEqual({ domain: 3, site: s });
    }
    // After clearTraces the ids cached before are gone with the store.
    e.clearTraces();
    e.alloc(9, 0x100, 1, 70);
    e.alloc(1, 0x200, 1, 7);
    expect(e.tracebackCount()).toBe(2);
    expect(siteOf(t, e.lookup(1, 0x200))).toEqual({ domain: 1, site: 7 });
  });

  it('tracks current and peak across alloc, free and realloc', () => {
    const { t, e } = started();
    const at = () => [e.currentBytes(), e.peakBytes(), e.traceCount()];
    e.alloc(1, 0x100, 1000, 1);
    e.alloc(1, 0x2000, 500, 2);
    expect(at()).toEqual([1500, 1500, 2]);
    e.free(1, 0x2000, 3);
    expect(at()).toEqual([1000, 1500, 1]);
    e.realloc(1, 0x100, 0x100, 1200, 4); // grows in place: +200
    expect(at()).toEqual([1200, 1500, 1]);
    e.realloc(1, 0x100, 0x100, 400, 5); // shrinks in place
    expect(at()).toEqual([400, 1500, 1]);
    e.resetPeak();
    expect(at()).toEqual([400, 400, 1]);
    e.realloc(1, 0x100, 0x100, 300, 5); // a shrink must not raise peak
    expect(at()).toEqual([300, 400, 1]);
    e.realloc(1, 0x100, 0x5000, 350, 6); // moves and grows: the net change is +50
    expect(at()).toEqual([350, 400, 1]);
    expect(e.lookup(1, 0x100)).toBe(-1);
    expect(siteOf(t, e.lookup(1, 0x5000))).toEqual({ domain: 1, site: 6 });
    e.realloc(1, 0x5000, 0x9000, 600, 6); // moves and grows past peak
    expect(at()).toEqual([600, 600, 1]);
    expect(rows(t)).toEqual([`${e.lookup(1, 0x9000)}:600`]);
    e.realloc(1, 0, 0xa000, 50, 9); // realloc(NULL, n) is an alloc
    expect(at()).toEqual([650, 650, 2]);
    e.realloc(1, 0xb000, 0xc000, 70, 9); // unknown old (before start): an alloc, not an invalid free
    expect(at()).toEqual([720, 720, 3]);
    expect(e.untracedFrees()).toBe(0);
    e.realloc(1, 0x9000, 0, 100, 9); // failed realloc: the old block stays
    expect(at()).toEqual([720, 720, 3]);
    e.realloc(1, 0x9000, 0, 0, 9); // realloc(p, 0) freed p
    expect(at()).toEqual([120, 720, 2]);
    expect(e.lookup(1, 0x9000)).toBe(-1);
    e.free(1, 0x9000, 10);
    expect(e.doubleFrees()).toBe(1);
  });

  it('takeWindowPeak: the highest current of each window, exact, through resetPeak and clearTraces', () => {
    const { e } = started();
    // Window 1: up to 100 + 200 + 300 = 600, back down to 300.
    e.alloc(1, 0x100, 100, 1);
    e.alloc(1, 0x200, 200, 1);
    e.free(1, 0x100, 2);
    e.alloc(1, 0x300, 300, 1); // 500
    e.alloc(1, 0x400, 100, 1); // 600
    e.free(1, 0x200, 2);
    e.free(1, 0x400, 2); // 300
    expect([e.currentBytes(), e.peakBytes()]).toEqual([300, 600]);
    expect(e.takeWindowPeak()).toBe(600);
    // Window 2 starts at current (300): nothing happens, so its peak is 300.
    expect(e.takeWindowPeak()).toBe(300);
    // Window 3: a realloc that grows in place to 1000, then shrinks; 50 more elsewhere.
    e.realloc(1, 0x300, 0x300, 1000, 3);
    e.realloc(1, 0x300, 0x300, 10, 3);
    e.alloc(1, 0x500, 50, 1); // 60
    expect(e.takeWindowPeak()).toBe(1000);
    expect(e.peakBytes()).toBe(1000);
    // Window 4: resetPeak in the middle does not lose the window's 700.
    e.alloc(1, 0x600, 640, 1); // 700
    e.free(1, 0x600, 2); // 60
    e.resetPeak();
    expect(e.peakBytes()).toBe(60);
    e.alloc(1, 0x700, 40, 1); // 100: above the new peak, below the window's 700
    expect(e.peakBytes()).toBe(100);
    expect(e.takeWindowPeak()).toBe(700);
    // Window 5: clearTraces keeps the 100 + 900 = 1000 reached before it.
    e.alloc(1, 0x800, 900, 1);
    e.clearTraces();
    e.alloc(1, 0x900, 5, 1);
    expect([e.currentBytes(), e.peakBytes()]).toEqual([5, 5]);
    expect(e.takeWindowPeak()).toBe(1000);
    expect(e.takeWindowPeak()).toBe(5);
    // stop() and start() begin from zero.
    e.alloc(1, 0xa00, 70, 1);
    e.stop();
    expect(e.start(1)).toBe(1);
    expect(e.takeWindowPeak()).toBe(0);
  });

  it('a moving realloc frees the old block: freeing it again is a double free', () => {
    const { t, e } = started();
    e.alloc(3, 0x100, 10, 1);
    const tb = e.lookup(3, 0x100);
    e.realloc(3, 0x100, 0x200, 20, 2);
    e.free(3, 0x100, 5);
    e.realloc(3, 0x100, 0x300, 30, 6); // realloc of a freed block, too
    expect(e.doubleFrees()).toBe(2);
    expect(t.freeLog()).toEqual([
      { domain: 3, ptr: 0x100, site: 5, kind: 'double', traceback: tb },
      { domain: 3, ptr: 0x100, site: 6, kind: 'double', traceback: tb },
    ]);
    expect([e.currentBytes(), e.traceCount()]).toEqual([50, 2]);
  });

  it('the same pointer in two domains is two traces', () => {
    const { t, e } = started();
    e.alloc(1, 0x1000, 10, 7);
    e.alloc(2, 0x1000, 20, 7);
    expect([e.traceCount(), e.currentBytes()]).toEqual([2, 30]);
    expect(siteOf(t, e.lookup(1, 0x1000)).domain).toBe(1);
    const tb2 = e.lookup(2, 0x1000);
    expect(siteOf(t, tb2).domain).toBe(2);
    e.free(2, 0x1000, 8);
    expect([e.traceCount(), e.currentBytes()]).toEqual([1, 10]);
    expect(e.lookup(2, 0x1000)).toBe(-1);
    expect(siteOf(t, e.lookup(1, 0x1000))).toEqual({ domain: 1, site: 7 });
    e.free(2, 0x1000, 9);
    expect(t.freeLog()).toEqual([{ domain: 2, ptr: 0x1000, site: 9, kind: 'double', traceback: tb2 }]);
  });

  it('an alloc of a live pointer replaces its trace', () => {
    const { t, e } = started();
    e.alloc(1, 0x100, 100, 1);
    e.alloc(1, 0x100, 30, 2);
    expect([e.traceCount(), e.currentBytes(), e.peakBytes()]).toEqual([1, 30, 100]);
    expect(siteOf(t, e.lookup(1, 0x100))).toEqual({ domain: 1, site: 2 });
    expect(rows(t)).toEqual([`${e.lookup(1, 0x100)}:30`]);
  });

  it('counts and logs double frees and untraced frees with their sites', () => {
    const { t, e } = started();
    e.alloc(1, 0x100, 16, 7);
    const tb = e.lookup(1, 0x100);
    e.free(1, 0x100, 11);
    e.free(1, 0x100, 12); // double
    e.free(1, 0x999, 13); // untraced
    e.alloc(1, 0x100, 16, 7); // reused by malloc: live again, not freed
    e.free(1, 0x100, 14);
    expect([e.doubleFrees(), e.untracedFrees(), e.traceCount(), e.currentBytes(), e.freeLogTotal()]).toEqual([1, 1, 0, 0, 2]);
    expect(t.freeLog()).toEqual([
      { domain: 1, ptr: 0x100, site: 12, kind: 'double', traceback: tb },
      { domain: 1, ptr: 0x999, site: 13, kind: 'untraced', traceback: null },
    ]);
  });

  it('keeps the last 256 invalid frees, oldest first', () => {
    const { t, e } = started();
    for (let i = 1; i <= 300; i++) e.free(4, i * 16, i);
    expect([e.untracedFrees(), e.freeLogTotal(), e.freeLogCount()]).toEqual([300, 300, 256]);
    const log = t.freeLog();
    expect(log.length).toBe(256);
    expect(log[0]).toEqual({ domain: 4, ptr: 45 * 16, site: 45, kind: 'untraced', traceback: null });
    expect(log[255]).toEqual({ domain: 4, ptr: 300 * 16, site: 300, kind: 'untraced', traceback: null });
  });

  it('clearTraces clears traces, tracebacks, counters and log, and keeps tracing', () => {
    const { t, e } = started();
    for (let i = 0; i < 5000; i++) e.alloc(1, 16 + i * 16, 8, i % 10);
    e.free(1, 0xfffff0, 1);
    e.clearTraces();
    expect(e.isTracing()).toBe(1);
    expect([e.traceCount(), e.tracebackCount(), e.currentBytes(), e.peakBytes(), e.untracedFrees(), e.freeLogCount()]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(e.lookup(1, 16)).toBe(-1);
    e.free(1, 16, 2); // allocated before the clear: untraced now
    expect(e.untracedFrees()).toBe(1);
    e.alloc(1, 32, 64, 3);
    expect([e.traceCount(), e.currentBytes(), e.peakBytes()]).toEqual([1, 64, 64]);
    expect(siteOf(t, e.lookup(1, 32))).toEqual({ domain: 1, site: 3 });
  });

  it('stop() stops and clears everything; start() again begins empty', () => {
    const { t, e } = started();
    for (let i = 0; i < 3000; i++) e.alloc(1, 16 + i * 16, 8, 1);
    e.free(1, 8, 1);
    const small = e.tracerBytes();
    e.stop();
    expect(e.isTracing()).toBe(0);
    expect([e.traceCount(), e.currentBytes(), e.peakBytes(), e.untracedFrees(), e.freeLogCount(), e.tracebackCount()]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(e.lookup(1, 16)).toBe(-1);
    expect(t.readSnapshot().size.length).toBe(0);
    e.alloc(1, 16, 8, 1);
    e.free(1, 24, 1);
    expect([e.traceCount(), e.untracedFrees()]).toEqual([0, 0]);
    expect(e.tracerBytes()).toBeLessThan(small);
    expect(e.start(1)).toBe(1);
    e.alloc(1, 16, 8, 1);
    expect([e.traceCount(), e.currentBytes(), e.tracebackCount()]).toEqual([1, 8, 1]);
  });

  it('start() while tracing changes nothing', () => {
    const { e } = started();
    e.alloc(1, 16, 8, 1);
    expect(e.start(5)).toBe(1);
    expect([e.traceCount(), e.currentBytes()]).toEqual([1, 8]);
  });

  it('300k live traces through several growths: every lookup exact afterwards', () => {
    const { t, e } = started();
    const N = 300_000;
    const ptr = (i: number) => 0x100000 + i * 24;
    const domain = (i: number) => 1 + (i % 3);
    const site = (i: number) => i % 101;
    for (let i = 0; i < N; i++) e.alloc(domain(i), ptr(i), 1 + (i % 1000), site(i));
    // free every 7th, then check everything
    let expected = 0;
    for (let i = 0; i < N; i++) {
      if (i % 7 === 0) e.free(domain(i), ptr(i), 0);
      else expected += 1 + (i % 1000);
    }
    expect(e.traceCount()).toBe(N - Math.ceil(N / 7));
    expect(e.currentBytes()).toBe(expected);
    expect(e.tracebackCount()).toBe(3 * 101);
    expect([e.lostTraces(), e.untracedFrees(), e.doubleFrees()]).toEqual([0, 0, 0]);
    const memo = new Map<number, { domain: number; site: number }>();
    for (let i = 0; i < N; i++) {
      const tb = e.lookup(domain(i), ptr(i));
      if (i % 7 === 0) {
        expect(tb).toBe(-1);
        continue;
      }
      let s = memo.get(tb);
      if (!s) memo.set(tb, (s = siteOf(t, tb)));
      if (s.domain !== domain(i) || s.site !== site(i)) expect({ i, ...s }).toEqual({ i, domain: domain(i), site: site(i) });
      // the same pointer in another domain is not traced
      if (e.lookup(domain(i + 1), ptr(i)) !== -1) expect({ i }).toBe('untraced in other domains');
    }
    const snap = t.readSnapshot();
    expect(snap.size.length).toBe(e.traceCount());
    expect(snap.size.reduce((a, b) => a + b, 0)).toBe(expected);
  });

  it('removes freed entries at once: churn at a steady live count never grows the table', () => {
    const { t, e } = started();
    // 60 long-lived blocks and bursts of 60 short-lived ones: at most 120 live, which
    // the first table (256 slots, 192 at most) holds however many blocks come and go.
    for (let i = 0; i < 60; i++) e.alloc(1, 16 + i * 16, 10, 1);
    const base = e.tracerBytes();
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 60; i++) e.alloc(1, 0x100000 + (round * 60 + i) * 16, 10, 2);
      for (let i = 0; i < 60; i++) e.free(1, 0x100000 + (round * 60 + i) * 16, 2);
    }
    expect([e.traceCount(), e.currentBytes(), e.peakBytes()]).toEqual([60, 600, 1200]);
    expect(e.tracerBytes()).toBe(base);
    // The latest free is remembered: freeing it again is a double free, logged with
    // the traceback of its allocation.
    const last = 0x100000 + (199 * 60 + 59) * 16;
    e.free(1, last, 3);
    expect([e.doubleFrees(), e.untracedFrees()]).toEqual([1, 0]);
    expect(t.freeLog().at(-1)).toMatchObject({ ptr: last, kind: 'double', site: 3 });
    expect(siteOf(t, t.freeLog().at(-1)!.traceback!)).toEqual({ domain: 1, site: 2 });
  });

  it('pointers that all hash home to one place: each found while others come and go', () => {
    const { t, e } = started();
    // The core's trace hash; at the first size the home is its top 6 bits or more.
    const home = (d: number, p: number) => Math.imul((p ^ Math.imul(d, 0x85ebca77)) >>> 0, 0x9e3779b9) >>> 24;
    const same: number[] = [];
    for (let p = 16; same.length < 60; p += 16) if (home(1, p) === 77) same.push(p);
    same.forEach((p, i) => e.alloc(1, p, i + 1, 100 + i));
    expect(e.traceCount()).toBe(60);
    // Free every third, from the middle of the cluster out; the rest stay found.
    const freed = new Set(same.filter((_, i) => i % 3 === 1));
    for (const p of freed) e.free(1, p, 5);
    expect([e.untracedFrees(), e.doubleFrees(), e.traceCount()]).toEqual([0, 0, 40]);
    same.forEach((p, i) => {
      const tb = e.lookup(1, p);
      if (freed.has(p)) expect(tb).toBe(-1);
      else expect(t.traceback(tb).frames[0]!.site).toBe(100 + i);
    });
    // Put them back with new sizes, free the others: every free finds its trace.
    for (const p of freed) e.alloc(1, p, 1000, 7);
    for (const p of same) if (!freed.has(p)) e.free(1, p, 5);
    expect([e.untracedFrees(), e.doubleFrees(), e.traceCount(), e.currentBytes()]).toEqual([0, 0, 20, 20_000]);
    for (const p of same) expect(e.lookup(1, p) === -1).toBe(!freed.has(p));
  });

  it('forgets a free after enough later frees: a second free is then an untraced free', () => {
    const { e } = started();
    e.alloc(1, 0x40, 8, 1);
    e.free(1, 0x40, 1);
    // 100,000 frees over 4096 slots: the slot of 0x40 has surely been taken.
    for (let i = 0; i < 100_000; i++) e.alloc(1, 0x100000 + i * 16, 8, 2);
    for (let i = 0; i < 100_000; i++) e.free(1, 0x100000 + i * 16, 2);
    e.free(1, 0x40, 3);
    expect([e.doubleFrees(), e.untracedFrees(), e.traceCount()]).toEqual([0, 1, 0]);
  });

  it('uses at most 24 B of tracer memory per live trace at 100,000 live traces, 18 B at 250,000', () => {
    for (const [n, budget] of [[100_000, 24], [250_000, 18]] as const) {
      const { e } = started();
      for (let i = 0; i < n; i++) e.alloc(1, 16 + i * 16, 48, i % 50);
      expect(e.traceCount()).toBe(n);
      const perTrace = e.tracerBytes() / n;
      console.log(
        `tracerBytes at ${n} live traces: ${e.tracerBytes()} B = ${perTrace.toFixed(2)} B/trace; ` +
          `core memory ${e.memoryBytes()} B = ${(e.memoryBytes() / n).toFixed(2)} B/trace`,
      );
      expect(perTrace).toBeLessThanOrEqual(budget);
      expect(e.memoryBytes()).toBeGreaterThanOrEqual(e.tracerBytes());
    }
  });

  it('when memory cannot grow, events are lost and counted; the rest stays exact', () => {
    const { t, e } = started();
    const pages = e.memoryBytes() / PAGE;
    e.setMemoryLimitPages(pages);
    const N = 50_000;
    for (let i = 0; i < N; i++) e.alloc(1, 16 + i * 16, 10 + (i % 5), i % 3);
    const lost = e.lostTraces();
    const kept = e.traceCount();
    expect(lost).toBeGreaterThan(0);
    expect(kept + lost).toBe(N);
    expect(e.memoryBytes()).toBe(pages * PAGE);

    let expected = 0;
    const lostPtrs: number[] = [];
    for (let i = 0; i < N; i++) {
      const tb = e.lookup(1, 16 + i * 16);
      if (tb === -1) lostPtrs.push(i);
      else {
        expected += 10 + (i % 5);
        expect(t.traceback(tb).frames).toEqual([{ domain: 1, site: i % 3 }]);
      }
    }
    expect(lostPtrs.length).toBe(lost);
    expect(e.currentBytes()).toBe(expected);
    expect(e.peakBytes()).toBe(expected);
    // Copying a snapshot out needs scratch memory above the table: at the limit it
    // either fits or fails with a clear error, never returns a partial copy.
    let atLimit: string[] | undefined;
    try {
      atLimit = rows(t);
    } catch (err) {
      expect(String(err)).toMatch(/could not grow its memory to copy out \d+ traces/);
    }
    if (atLimit) expect(atLimit.length).toBe(kept);

    // A new traceback cannot be interned either once the store is full.
    const before = e.lostTraces();
    for (let s = 1000; s < 2000; s++) e.alloc(7, 16, 1, s);
    expect(e.lostTraces()).toBeGreaterThan(before);

    // Freeing a lost block is an untraced free, not a crash.
    const untraced = e.untracedFrees();
    e.free(1, 16 + lostPtrs[0]! * 16, 99);
    expect(e.untracedFrees()).toBe(untraced + 1);
    expect(t.freeLog().at(-1)).toEqual({ domain: 1, ptr: 16 + lostPtrs[0]! * 16, site: 99, kind: 'untraced', traceback: null });

    // A lost re-alloc of a live pointer forgets the pointer: the state stays a sum of kept traces.
    const live = e.lookup(1, 16);
    expect(live).not.toBe(-1);
    for (let s = 5000; e.lookup(1, 16) !== -1 && s < 100_000; s++) e.alloc(1, 16, 1000, s);
    expect(e.lookup(1, 16)).toBe(-1);
    expect(e.currentBytes()).toBe(expected - 10);

    // With memory again, tracing goes on exactly.
    e.setMemoryLimitPages(65536);
    const c = e.currentBytes();
    const n = e.traceCount();
    for (let i = 0; i < 100_000; i++) e.alloc(2, 16 + i * 16, 3, 1);
    expect([e.traceCount(), e.currentBytes()]).toEqual([n + 100_000, c + 300_000]);
    expect(rows(t).length).toBe(n + 100_000);
  });

  it('agrees with a plain Map model over 300k random events, memory shortage included', () => {
    const { t, e } = started();
    const rand = random(12345);
    // key "domain:ptr" → live trace, or 'freed' while the core may still remember the free
    const model = new Map<string, { size: number; site: number } | 'freed'>();
    let current = 0;
    let peak = 0;
    const check = (what: string, ok: boolean) => {
      if (!ok) expect.fail(what);
    };
    const alloc = (d: number, p: number, size: number, site: number) => {
      const lost = e.lostTraces();
      e.alloc(d, p, size, site);
      const old = model.get(`${d}:${p}`);
      if (old && old !== 'freed') current -= old.size;
      if (e.lostTraces() !== lost) model.delete(`${d}:${p}`);
      else {
        model.set(`${d}:${p}`, { size, site });
        current += size;
      }
      peak = Math.max(peak, current);
    };
    for (let step = 0; step < 300_000; step++) {
      if (step === 100_000) e.setMemoryLimitPages(e.memoryBytes() / PAGE);
      if (step === 200_000) e.setMemoryLimitPages(65536);
      // More pointers once memory is short, so that the table must grow and cannot.
      const pointers = step < 100_000 ? 20_000 : 80_000;
      const d = 1 + rand(3);
      const p = 16 * (1 + rand(pointers));
      const key = `${d}:${p}`;
      const m = model.get(key);
      const op = rand(10);
      if (op < 5) {
        alloc(d, p, rand(5000), rand(step < 100_000 ? 2000 : 4000)); // new sites too: interning fails
      } else if (op < 8) {
        const [double, untraced] = [e.doubleFrees(), e.untracedFrees()];
        e.free(d, p, 1);
        const dd = e.doubleFrees() - double;
        const du = e.untracedFrees() - untraced;
        if (m && m !== 'freed') {
          current -= m.size;
          model.set(key, 'freed');
          check('free of a live block', dd === 0 && du === 0);
        } else if (m === 'freed') check('free of a freed block', dd + du === 1);
        else check('free of an unknown block', du === 1 && dd === 0);
      } else {
        const q = 16 * (1 + rand(pointers));
        const size = rand(5000);
        const [double, untraced, lost] = [e.doubleFrees(), e.untracedFrees(), e.lostTraces()];
        e.realloc(d, p, q, size, 3);
        check('a realloc is never an untraced free', e.untracedFrees() === untraced);
        check('only a realloc of a freed block is a double free', m === 'freed' || e.doubleFrees() === double);
        // model: free(p) if it moved, then alloc(q)
        if (m && m !== 'freed' && q !== p) {
          current -= m.size;
          model.set(key, 'freed');
        }
        const mq = model.get(`${d}:${q}`);
        if (mq && mq !== 'freed') current -= mq.size;
        if (e.lostTraces() !== lost) model.delete(`${d}:${q}`);
        else {
          model.set(`${d}:${q}`, { size, site: 3 });
          current += size;
        }
        peak = Math.max(peak, current);
      }
      check(`current at step ${step}`, e.currentBytes() === current);
    }
    expect(e.lostTraces()).toBeGreaterThan(0);
    expect(e.doubleFrees()).toBeGreaterThan(0);
    console.log(`random events: ${e.lostTraces()} lost, ${e.doubleFrees()} double frees, ${e.untracedFrees()} untraced frees, ${e.traceCount()} live`);
    expect(e.peakBytes()).toBe(peak);
    const live = [...model].filter(([, v]) => v !== 'freed');
    expect(e.traceCount()).toBe(live.length);
    for (const [key, v] of model) {
      const [d, p] = key.split(':').map(Number) as [number, number];
      const tb = e.lookup(d, p);
      if (v === 'freed') check(`${key} freed`, tb === -1);
      else check(`${key} traced at its site`, tb !== -1 && t.traceback(tb).frames[0]!.site === v.site && t.traceback(tb).domain === d);
    }
    expect(rows(t).length).toBe(live.length);
  });

  it('entries that do not pack (blocks of 16 KiB and more, tracebacks past 512 KiB of store) stay exact', () => {
    // An entry packs its size and traceback into one word when the block is under
    // 16 KiB and the traceback's record lies in the store's first 512 KiB; the rest
    // take an escape record. Deep random stacks fill the store well past 512 KiB,
    // and half the blocks are large, so every combination occurs.
    const { t, e } = started(16);
    const rand = random(99);
    const model = new Map<number, { size: number; frames: string }>();
    let current = 0;
    const framesOf = (tb: number) => JSON.stringify(t.traceback(tb).frames);
    const put = () => {
      const depth = 1 + rand(16);
      e.sp.value = depth;
      for (let d = 1; d <= depth; d++) e.put(d, 1, rand(3000));
    };
    const size = () => (rand(2) ? rand(16384) : 16384 + rand(10_000_000));
    const pointers = 20_000;
    for (let step = 0; step < 80_000; step++) {
      const p = 16 * (1 + rand(pointers));
      const op = rand(10);
      put();
      if (op < 5) {
        const n = size();
        e.alloc(1, p, n, rand(50));
        current += n - (model.get(p)?.size ?? 0);
        model.set(p, { size: n, frames: '' });
      } else if (op < 8) {
        e.free(1, p, 1);
        current -= model.get(p)?.size ?? 0;
        model.delete(p);
      } else {
        const q = 16 * (1 + rand(pointers));
        const n = size();
        e.realloc(1, p, q, n, 2);
        if (q !== p) current -= model.get(p)?.size ?? 0;
        if (q !== p) model.delete(p);
        current += n - (model.get(q)?.size ?? 0);
        model.set(q, { size: n, frames: '' });
      }
      if (step % 4999 === 0) expect([e.currentBytes(), e.traceCount()], `step ${step}`).toEqual([current, model.size]);
    }
    expect(e.lostTraces()).toBe(0);
    expect(e.tracerBytes()).toBeGreaterThan(512 * 1024); // the store went past the packed range
    expect([e.currentBytes(), e.traceCount()]).toEqual([current, model.size]);
    // Every live block: its own size, and a traceback of its own domain.
    const sizes: number[] = [];
    for (const [p, v] of model) {
      const tb = e.lookup(1, p);
      expect(tb).not.toBe(-1);
      expect(t.traceback(tb).domain).toBe(1);
      sizes.push(v.size);
    }
    const { size: snapshotSizes } = t.readSnapshot();
    expect(Array.from(snapshotSizes).sort((a, b) => a - b)).toEqual(sizes.sort((a, b) => a - b));
    expect(framesOf(e.lookup(1, [...model.keys()][0]!)).length).toBeGreaterThan(2);

    // Escape records are reused: a steady churn of large blocks does not grow memory.
    for (const p of model.keys()) e.free(1, p, 1);
    expect([e.currentBytes(), e.traceCount()]).toEqual([0, 0]);
    e.sp.value = 0;
    const before = e.tracerBytes();
    for (let i = 0; i < 200_000; i++) {
      e.alloc(1, 16 * (1 + (i % 64)), 1 << 20, 7);
      e.free(1, 16 * (1 + ((i + 32) % 64)), 8);
    }
    expect(e.traceCount()).toBeLessThanOrEqual(64);
    expect(e.tracerBytes()).toBe(before);
  });

  it('when escape records cannot grow, large blocks are lost and counted; the rest stays exact', () => {
    const { e } = started();
    e.setMemoryLimitPages(e.memoryBytes() / PAGE);
    let kept = 0;
    let count = 0;
    for (let i = 0; i < 2000; i++) {
      const lost = e.lostTraces();
      const size = i % 2 ? 100 : 20_000 + i; // every other block needs an escape record
      e.alloc(1, 16 * (i + 1), size, 1);
      if (e.lostTraces() === lost) {
        kept += size;
        count++;
      } else expect(e.lookup(1, 16 * (i + 1))).toBe(-1);
    }
    expect(e.lostTraces()).toBeGreaterThan(0);
    expect([e.currentBytes(), e.traceCount()]).toEqual([kept, count]);
    // Freeing every kept block leaves nothing, and with memory again tracing goes on.
    for (let i = 0; i < 2000; i++) if (e.lookup(1, 16 * (i + 1)) !== -1) e.free(1, 16 * (i + 1), 2);
    expect([e.currentBytes(), e.traceCount()]).toEqual([0, 0]);
    e.setMemoryLimitPages(65536);
    for (let i = 0; i < 2000; i++) e.alloc(1, 16 * (i + 1), 30_000, 1);
    expect([e.currentBytes(), e.traceCount()]).toEqual([60_000_000, 2000]);
  });

  it('the traceback of a packed entry is exact, whichever record it names', () => {
    // Two tracebacks whose records are at the start and near the end of the packed
    // range, and one beyond it, each with small and large blocks.
    const { t, e } = started(2);
    const tbs: number[] = [];
    const callers: number[] = [];
    let site = 0;
    const fresh = (ptr: number, size: number) => {
      e.sp.value = 1;
      e.put(1, 3, site);
      e.alloc(3, ptr, size, 5);
      return { tb: e.lookup(3, ptr), caller: site++ };
    };
    const keep = (...xs: { tb: number; caller: number }[]) => xs.forEach((x) => (tbs.push(x.tb), callers.push(x.caller)));
    keep(fresh(16, 100), fresh(32, 100_000));
    // 24-byte records (two frames): fill the store past 512 KiB.
    // (Bounded, so that a core which stops interning new tracebacks fails, not hangs.)
    let p = 48;
    for (let i = 0; i < 50_000 && e.tracebackCount() * 24 < 600 * 1024; i++) {
      fresh(p, 8);
      e.free(3, p, 1);
      p += 16;
    }
    expect(e.tracebackCount() * 24).toBeGreaterThanOrEqual(600 * 1024);
    keep(fresh(p, 100), fresh(p + 16, 100_000));
    expect(new Set(tbs).size).toBe(4);
    const rowsByTb = new Map<number, number>();
    const snap = t.readSnapshot();
    snap.traceback.forEach((tb, i) => rowsByTb.set(tb, snap.size[i]!));
    expect(tbs.map((tb) => rowsByTb.get(tb))).toEqual([100, 100_000, 100, 100_000]);
    expect(tbs.map((tb) => t.traceback(tb).frames.at(-1))).toEqual(tbs.map(() => ({ domain: 3, site: 5 })));
    // Each names its own record: the caller frame put just before its alloc.
    expect(tbs.map((tb) => t.traceback(tb).frames[0]!.site)).toEqual(callers);
    expect(callers.at(-1)).toBeGreaterThan(10_000);
  });

  it('applies events in batches exactly as one at a time: same table, counters, log and tracebacks', () => {
    // Core A is queried after every event, so it applies each one at once (the
    // Map-model test above checks that behaviour). Core B sees the same events and
    // is queried only at checkpoints, so its events wait in the buffer and are
    // applied in batches of up to 512, some cut short by a query. Tracebacks are
    // compared by what they hold: an alloc with the shadow stack empty interns its
    // traceback when it is applied, the others when they are made, so the two
    // cores intern in different orders and their ids differ.
    const a = started(4);
    const b = started(4);
    const rand = random(777);
    const tracebackText = (t: TraceTable, tb: number | null) => (tb === null ? 'none' : JSON.stringify(t.traceback(tb)));
    const state = ({ t, e }: { t: TraceTable; e: TraceTableExports }) => ({
      current: e.currentBytes(),
      peak: e.peakBytes(),
      window: e.takeWindowPeak(),
      traces: e.traceCount(),
      tracebacks: e.tracebackCount(),
      lost: e.lostTraces(),
      untraced: e.untracedFrees(),
      double: e.doubleFrees(),
      log: t.freeLog().map((f) => ({ ...f, traceback: tracebackText(t, f.traceback) })),
      rows: (() => {
        const { traceback, size } = t.readSnapshot();
        return Array.from(traceback, (tb, i) => `${tracebackText(t, tb)}:${size[i]}`).sort();
      })(),
    });
    let pending = 0;
    for (let step = 0; step < 60_000; step++) {
      const d = 1 + rand(2);
      const p = 16 * (1 + rand(3000));
      const op = rand(20);
      // The shadow stack moves between events: a traceback must be the chain at
      // the moment of the call, not when its event is applied.
      const depth = op === 0 ? rand(6) : (a.e.sp.value as number);
      for (const { e } of [a, b]) e.sp.value = depth;
      const frameSite = rand(50);
      for (const { e } of [a, b]) if (depth > 0) e.put(depth, d, frameSite);
      const size = rand(4000);
      const site = rand(40);
      const q = 16 * (1 + rand(3000));
      for (const { e } of [a, b]) {
        if (op < 9) e.alloc(d, p, size, site);
        else if (op < 17) e.free(d, p, site);
        else if (op < 19) e.realloc(d, p, op === 18 ? p : q, size, site);
        else e.realloc(d, p, 0, 0, site);
      }
      a.e.currentBytes(); // applies A's event now
      pending++;
      if (rand(1500) === 0 || step === 59_999) {
        expect(state(b), `checkpoint at step ${step}, ${pending} events pending`).toEqual(state(a));
        pending = 0;
      }
    }
    expect(a.e.doubleFrees()).toBeGreaterThan(0);
    expect(a.e.untracedFrees()).toBeGreaterThan(0);
    expect(a.e.tracebackCount()).toBeGreaterThan(40);
  });

  it('stop() forgets the events not yet applied: none of them shows after start() again', () => {
    const { e } = started();
    for (let i = 0; i < 100; i++) e.alloc(1, 16 * (i + 1), 10, 1);
    e.free(1, 16, 1);
    e.free(1, 16, 1); // a double free, never applied
    e.stop();
    expect(e.start(1)).toBe(1);
    expect([e.traceCount(), e.currentBytes(), e.doubleFrees(), e.freeLogTotal()]).toEqual([0, 0, 0, 0]);
    e.free(1, 32, 1); // allocated before this start(): untraced
    expect([e.untracedFrees(), e.doubleFrees()]).toEqual([1, 0]);
  });

  it('hot path timing (informative): 10M alloc/free pairs from a Wasm caller', () => {
    const table = TraceTable.create();
    const caller = new WebAssembly.Instance(new WebAssembly.Module(hotPathCaller()), {
      'wasm-tracemalloc': { ...table.hotImports },
    }).exports as { run(n: number): void };
    const N = 10_000_000;
    // Best of three: the machines this runs on are noisy.
    const time = (f: () => void) => {
      let best = Infinity;
      for (let k = 0; k < 3; k++) {
        const t0 = performance.now();
        f();
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    caller.run(100_000); // warm up while not tracing
    const idle = time(() => caller.run(N));
    table.exports.start(1);
    caller.run(100_000);
    const traced = time(() => caller.run(N));
    expect(table.exports.traceCount()).toBe(0);
    expect(table.exports.peakBytes()).toBe(100);

    const e = table.exports;
    const js = time(() => {
      for (let i = 0; i < N; i++) {
        const p = 16 + ((i & 4095) << 4);
        e.alloc(1, p, 100, 7);
        e.free(1, p, 8);
      }
    });
    // The pairs cycle through 4096 addresses with one live trace at a time, so the
    // table stays in cache: this is the cost of the calls and the instructions,
    // with the batches of events applied (every 512 events) included.
    console.log(
      `hot path, Wasm caller: ${((traced / N) * 1e6).toFixed(1)} ns per alloc+free pair while tracing, ` +
        `${((idle / N) * 1e6).toFixed(1)} ns while not tracing; ` +
        `JS caller: ${((js / N) * 1e6).toFixed(1)} ns per pair while tracing`,
    );
  });
});

/**
 * A tiny module calling the hot path as an instrumented module would:
 *   (func (export "run") (param $n i32) (local $i i32) (local $p i32)
 *     loop while $i < $n:
 *       $p = 16 + (($i & 4095) << 4)
 *       call alloc(1, $p, 100, 7); call free(1, $p, 8); $i++)
 */
function hotPathCaller(): Uint8Array<ArrayBuffer> {
  const str = (s: string) => [s.length, ...new TextEncoder().encode(s)];
  const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
  const I32 = 0x7f;
  const body = [
    1, 2, I32, // two i32 locals: $i (1), $p (2)
    0x02, 0x40, 0x03, 0x40, // block, loop
    0x20, 1, 0x20, 0, 0x4f, 0x0d, 1, // br_if 1 (i >= n)
    0x41, 16, 0x20, 1, 0x41, 0xff, 0x1f, 0x71, 0x41, 4, 0x74, 0x6a, 0x21, 2, // p = 16 + ((i & 4095) << 4)
    0x41, 1, 0x20, 2, 0x41, 0xe4, 0x00, 0x41, 7, 0x10, 0, // alloc(1, p, 100, 7)
    0x41, 1, 0x20, 2, 0x41, 8, 0x10, 1, // free(1, p, 8)
    0x20, 1, 0x41, 1, 0x6a, 0x21, 1, // i++
    0x0c, 0, 0x0b, 0x0b, 0x0b, // br 0, end loop, end block, end func
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [3, 0x60, 4, I32, I32, I32, I32, 0, 0x60, 3, I32, I32, I32, 0, 0x60, 1, I32, 0]),
    ...section(2, [2, ...str('wasm-tracemalloc'), ...str('alloc'), 0, 0, ...str('wasm-tracemalloc'), ...str('free'), 0, 1]),
    ...section(3, [1, 2]),
    ...section(7, [1, ...str('run'), 0, 2]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

describe('TraceTable shadow stack', () => {
  it('builds tracebacks from the chain put at each depth, keeping the most recent frames', () => {
    const t = TraceTable.create();
    const e = t.exports;
    e.start(3);
    expect(e.nframe.value).toBe(3);
    // main (site 1) → build_index (site 2) → node_new (site 3), all of domain 7; then malloc at site 9
    e.sp.value = 3;
    e.put(1, 7, 1);
    e.put(2, 7, 2);
    e.put(3, 7, 3);
    e.alloc(7, 4096, 100, 9);
    const tb = t.traceback(e.lookup(7, 4096));
    expect(tb.frames).toEqual([{ domain: 7, site: 2 }, { domain: 7, site: 3 }, { domain: 7, site: 9 }]);
    expect(tb.totalNframe).toBe(4);
    // A chain that crosses modules: domain 2 called JS, which called domain 7.
    e.put(3, 2, 40);
    e.alloc(7, 8192, 8, 9);
    expect(t.traceback(e.lookup(7, 8192)).frames).toEqual([{ domain: 7, site: 2 }, { domain: 2, site: 40 }, { domain: 7, site: 9 }]);
    // Deeper than the ring (128): the most recent frames are kept, the depth is counted.
    e.stop();
    e.start(128);
    e.sp.value = 300;
    for (let d = 1; d <= 300; d++) e.put(d, 1, d);
    e.alloc(1, 64, 1, 999);
    const deep = t.traceback(e.lookup(1, 64));
    expect(deep.totalNframe).toBe(301);
    expect(deep.frames.length).toBe(128);
    expect(deep.frames.at(0)).toEqual({ domain: 1, site: 174 });
    expect(deep.frames.at(-2)).toEqual({ domain: 1, site: 300 });
    e.stop();
    expect(e.nframe.value).toBe(1);
  });
});

describe('TraceTable sampling', () => {
  const INTERVAL = 4096;

  it('a block much larger than the interval is always traced, at its exact size', () => {
    const t = TraceTable.create();
    const e = t.exports;
    expect(e.start(1, INTERVAL, 1)).toBe(1);
    expect(e.samplingInterval()).toBe(INTERVAL);
    for (let i = 0; i < 20; i++) e.alloc(1, 0x100000 * (i + 1), 1 << 20, 5);
    expect(e.traceCount()).toBe(20);
    // p(1 MiB) = 1 − e^−256 = 1 in f64: each trace stands for itself.
    expect(e.currentBytes()).toBe(20 << 20);
    expect(rows(t).every((r) => r.endsWith(':1048576'))).toBe(true);
    for (let i = 0; i < 20; i++) e.free(1, 0x100000 * (i + 1), 6);
    expect([e.traceCount(), e.currentBytes(), e.peakBytes()]).toEqual([0, 0, 20 << 20]);
    e.stop();
    expect(e.samplingInterval()).toBe(0);
  });

  it('100,000 blocks of 100 B: about 1 in 41 traced, and the estimate within 10% of 10 MB', () => {
    const t = TraceTable.create();
    const e = t.exports;
    e.start(1, INTERVAL, 7);
    const N = 100_000;
    for (let i = 0; i < N; i++) e.alloc(1, 16 + i * 112, 100, 9);
    const traced = e.traceCount() >>> 0;
    // Expected N·p(100) = 2412 traces, standard deviation 48: these bounds are 8σ.
    const p = sampleProbability(100, INTERVAL);
    expect(Math.abs(traced - N * p)).toBeLessThan(8 * Math.sqrt(N * p * (1 - p)));
    // Each trace stands for 100/p bytes: current is exactly what the model says.
    expect(e.currentBytes()).toBe(traced * estimatedBytes(100, INTERVAL));
    expect(Math.abs(e.currentBytes() / (N * 100) - 1)).toBeLessThan(0.1);
    // Frees of blocks that were not sampled are neither untraced nor double frees.
    for (let i = 0; i < N; i++) e.free(1, 16 + i * 112, 10);
    expect([e.traceCount(), e.currentBytes(), e.untracedFrees(), e.doubleFrees(), e.freeLogTotal()]).toEqual([0, 0, 0, 0, 0]);
    expect(e.peakBytes()).toBe(traced * estimatedBytes(100, INTERVAL));
  });

  it('estimates by bytes, not blocks: small and large blocks each sum to their true bytes', () => {
    const t = TraceTable.create();
    const e = t.exports;
    e.start(1, INTERVAL, 3);
    // 4 MiB in 16 B blocks (site 1) and 4 MiB in 64 KiB blocks (site 2), interleaved.
    let ptr = 16;
    for (let i = 0; i < 262_144; i++) {
      e.alloc(1, ptr, 16, 1);
      ptr += 16;
      if (i % 4096 === 0) {
        e.alloc(1, ptr, 65536, 2);
        ptr += 65536;
      }
    }
    const { traceback, size } = t.readSnapshot();
    const bySite = new Map<number, number>();
    for (let i = 0; i < size.length; i++) {
      const site = siteOf(t, traceback[i]!).site;
      bySite.set(site, (bySite.get(site) ?? 0) + estimatedBytes(size[i]!, INTERVAL));
    }
    // Site 1: 4 MiB over about 1024 traces of 16 B (σ ≈ 3%); site 2: 64 blocks, p = 1 − e^−16, exact.
    expect(Math.abs(bySite.get(1)! / (4 << 20) - 1)).toBeLessThan(0.15);
    expect(bySite.get(2)).toBe(64 * 65536);
    expect(e.currentBytes()).toBe(bySite.get(1)! + bySite.get(2)!);
  });

  it('the core and the model weigh every size alike: current is the sum of the snapshot’s estimates, to the byte', () => {
    const t = TraceTable.create();
    const e = t.exports;
    e.start(1, 4096, 5);
    // Sizes 0 to 39,999, each once: about 12,000 of them sampled.
    for (let size = 0, ptr = 16; size < 40_000; ptr += size + 16, size++) e.alloc(1, ptr, size, 1);
    const { size } = t.readSnapshot();
    expect(size.length).toBeGreaterThan(10_000);
    expect(e.currentBytes()).toBe(size.reduce((sum, s) => sum + estimatedBytes(s, 4096), 0));
  });

  it('the same seed samples the same blocks; another seed, others', () => {
    /** Which of 5000 blocks of 48 B were traced. */
    const sampled = (seed: number): number[] => {
      const t = TraceTable.create();
      t.exports.start(1, 1024, seed);
      for (let i = 0; i < 5000; i++) t.exports.alloc(1, 16 + i * 64, 48, 1);
      return [...Array(5000).keys()].filter((i) => t.exports.lookup(1, 16 + i * 64) >= 0);
    };
    const a = sampled(11);
    expect(a.length).toBeGreaterThan(150);
    expect(sampled(11)).toEqual(a);
    expect(sampled(12)).not.toEqual(a);
  });

  it('realloc moves a sampled trace, and a failed realloc keeps it', () => {
    const t = TraceTable.create();
    const e = t.exports;
    e.start(1, 1024, 1);
    e.alloc(1, 0x1000, 1 << 20, 1); // always sampled
    e.realloc(1, 0x1000, 0, 1 << 21, 2); // failed: the old block stays
    expect(e.lookup(1, 0x1000)).toBeGreaterThanOrEqual(0);
    e.realloc(1, 0x1000, 0x400000, 1 << 21, 3); // moved and grown: always sampled again
    expect(e.lookup(1, 0x1000)).toBe(-1);
    expect(siteOf(t, e.lookup(1, 0x400000)).site).toBe(3);
    expect(e.currentBytes()).toBe(1 << 21);
    e.realloc(1, 0x400000, 0, 0, 4); // realloc(p, 0) frees
    expect([e.traceCount(), e.currentBytes(), e.untracedFrees()]).toEqual([0, 0, 0]);
  });

  it('deep tracebacks of sampled blocks come from the shadow stack as when exact', () => {
    const t = TraceTable.create();
    const e = t.exports;
    e.start(3, 1024, 1);
    e.sp.value = 2;
    e.put(1, 7, 1);
    e.put(2, 7, 2);
    e.alloc(7, 4096, 1 << 20, 9);
    expect(t.traceback(e.lookup(7, 4096))).toEqual({ domain: 7, thread: 0, frames: [{ domain: 7, site: 1 }, { domain: 7, site: 2 }, { domain: 7, site: 9 }], totalNframe: 3 });
    e.sp.value = 0;
  });

  it('frees find sampled blocks whose filter slot is shared by 300 others (the count saturates)', () => {
    // The filter slot of a pointer: the top 15 bits of the core's trace hash.
    const slotOf = (domain: number, ptr: number) => Math.imul((ptr ^ Math.imul(domain, 0x85ebca77)) >>> 0, 0x9e3779b9) >>> 17;
    const target = slotOf(1, 16);
    const same: number[] = [];
    for (let ptr = 16; same.length < 300; ptr += 16) if (slotOf(1, ptr) === target) same.push(ptr);
    const t = TraceTable.create();
    const e = t.exports;
    e.start(1, 1024, 1);
    for (const ptr of same) e.alloc(1, ptr, 1 << 20, 1); // blocks of 1 MiB: all sampled
    expect(e.traceCount()).toBe(300);
    for (const ptr of same.slice(0, 299)) e.free(1, ptr, 2);
    expect([e.traceCount(), e.currentBytes()]).toEqual([1, 1 << 20]);
    expect(e.lookup(1, same[299]!)).toBeGreaterThanOrEqual(0);
    e.free(1, same[299]!, 2);
    expect([e.traceCount(), e.currentBytes()]).toEqual([0, 0]);
    // Below saturation the slot empties again; a sampled block elsewhere is still found.
    e.clearTraces();
    e.alloc(1, same[0]!, 1 << 20, 1);
    e.alloc(1, 0x7000_0000, 1 << 20, 1);
    e.free(1, same[0]!, 2);
    e.free(1, same[1]!, 2); // never allocated: no trace, no error
    expect([e.traceCount(), e.currentBytes(), e.untracedFrees()]).toEqual([1, 1 << 20, 0]);
    e.free(1, 0x7000_0000, 2);
    expect([e.traceCount(), e.currentBytes()]).toEqual([0, 0]);
  });

  it('an interval below one byte, NaN or Infinity means exact tracing', () => {
    for (const interval of [0, 0.5, NaN, Infinity, undefined]) {
      const t = TraceTable.create();
      t.exports.start(1, interval, 1);
      expect(t.exports.samplingInterval()).toBe(0);
      for (let i = 0; i < 100; i++) t.exports.alloc(1, 16 + i * 16, 8, 1);
      expect(t.exports.traceCount()).toBe(100);
    }
  });
});

describe('TraceTable per-traceback counters', () => {
  /** tb → [allocCount, allocBytes, freeCount, freeBytes, peakCount, peakBytes] of every traceback. */
  function counters(t: TraceTable): Map<number, number[]> {
    return new Map(t.readTracebackCounters().map((c) => [c.tb, [c.allocCount, c.allocBytes, c.freeCount, c.freeBytes, c.peakCount, c.peakBytes]]));
  }

  it('1,000 allocs and 1,000 frees of 64 B at one site: +1,000 allocated, +1,000 freed, nothing live, and the traceback stays', () => {
    const { t, e } = started();
    e.alloc(1, 0x10, 8, 3); // another site, live throughout
    for (let i = 0; i < 1000; i++) e.alloc(1, 0x1000 + i * 64, 64, 7);
    for (let i = 0; i < 1000; i++) e.free(1, 0x1000 + i * 64, 9);
    expect(e.traceCount()).toBe(1);
    const tb7 = t.readTracebackCounters().find((c) => siteOf(t, c.tb).site === 7)!;
    expect(tb7).toEqual({ tb: tb7.tb, allocCount: 1000, allocBytes: 64_000, freeCount: 1000, freeBytes: 64_000, peakCount: 1000, peakBytes: 64_000 });
    expect([e.tbLiveCount(tb7.tb), e.tbLiveBytes(tb7.tb), e.tbAllocCount(tb7.tb), e.tbFreeBytes(tb7.tb)]).toEqual([0, 0, 1000, 64_000]);
    const tb3 = e.lookup(1, 0x10);
    expect(counters(t).get(tb3)).toEqual([1, 8, 0, 0, 1, 8]);
    // The walk visits both, in the order they were interned.
    expect([e.tbFirst() >>> 0, e.tbNext(e.tbFirst()) >>> 0, e.tbNext(tb7.tb)]).toEqual([tb3, tb7.tb, 0]);
  });

  it('a free counts at the traceback of the block’s allocation, not of the free; a realloc counts a free and an alloc', () => {
    const { t, e } = started();
    e.alloc(1, 0x100, 100, 1); // site X
    e.free(1, 0x100, 2); // freed from site 2
    const x = counters(t);
    expect(x.size).toBe(1); // the free's site is no traceback
    expect([...x.values()][0]).toEqual([1, 100, 1, 100, 1, 100]);
    e.alloc(1, 0x200, 100, 1);
    const tbX = e.lookup(1, 0x200);
    e.realloc(1, 0x200, 0x200, 300, 4); // in place, new site 4
    const tb4 = e.lookup(1, 0x200);
    expect(counters(t).get(tbX)!.slice(0, 4)).toEqual([2, 200, 2, 200]);
    expect(counters(t).get(tb4)!.slice(0, 4)).toEqual([1, 300, 0, 0]);
    e.realloc(1, 0x200, 0x900, 50, 4); // moves: the old block of site 4 is freed, a new one allocated at 4
    expect(counters(t).get(tb4)!.slice(0, 4)).toEqual([2, 350, 1, 300]);
    e.realloc(1, 0x900, 0, 0, 5); // realloc(p, 0) frees p
    expect(counters(t).get(tb4)!.slice(0, 4)).toEqual([2, 350, 2, 350]);
    e.free(1, 0x900, 5); // a double free counts nowhere
    e.free(1, 0x12345, 5); // nor an untraced one
    expect(counters(t).get(tb4)!.slice(0, 4)).toEqual([2, 350, 2, 350]);
    e.alloc(1, 0x300, 10, 6);
    e.alloc(1, 0x300, 20, 6); // an alloc over a live trace replaces it: its block counts as freed
    expect(counters(t).get(e.lookup(1, 0x300))!.slice(0, 4)).toEqual([2, 30, 1, 10]);
  });

  it('peak composition: 100 × 1 KiB at A freed, 10 × 1 KiB at B live: the peak is A’s 100 blocks, B none; a higher peak of B moves it', () => {
    const { t, e } = started();
    for (let i = 0; i < 100; i++) e.alloc(1, 0x10000 + i * 1024, 1024, 1); // A
    for (let i = 0; i < 100; i++) e.free(1, 0x10000 + i * 1024, 9);
    for (let i = 0; i < 10; i++) e.alloc(1, 0x100000 + i * 1024, 1024, 2); // B
    const a = t.readTracebackCounters()[0]!.tb;
    const b = e.lookup(1, 0x100000);
    expect(e.peakBytes()).toBe(102_400);
    expect([e.tbPeakCount(a), e.tbPeakBytes(a), e.tbPeakCount(b), e.tbPeakBytes(b)]).toEqual([100, 102_400, 0, 0]);
    expect([e.tbLiveCount(a), e.tbLiveCount(b)]).toEqual([0, 10]);
    expect(counters(t).get(a)!.slice(4)).toEqual([100, 102_400]);
    expect(counters(t).get(b)!.slice(4)).toEqual([0, 0]);
    // B grows past the old peak: the peak is now B's 101 blocks, A none.
    for (let i = 10; i < 101; i++) e.alloc(1, 0x100000 + i * 1024, 1024, 2);
    expect(e.peakBytes()).toBe(101 * 1024);
    expect([e.tbPeakCount(a), e.tbPeakBytes(a), e.tbPeakCount(b), e.tbPeakBytes(b)]).toEqual([0, 0, 101, 101 * 1024]);
    // Frees after the peak leave its composition.
    for (let i = 0; i < 50; i++) e.free(1, 0x100000 + i * 1024, 9);
    expect([e.tbPeakCount(b), e.tbPeakBytes(b), e.tbLiveCount(b)]).toEqual([101, 101 * 1024, 51]);
    // resetPeak: the current state is the peak's composition.
    e.resetPeak();
    expect([e.tbPeakCount(a), e.tbPeakCount(b), e.tbPeakBytes(b)]).toEqual([0, 51, 51 * 1024]);
    e.free(1, 0x100000 + 50 * 1024, 9);
    e.alloc(1, 0x500, 10, 1);
    expect([e.tbPeakCount(a), e.tbPeakCount(b), e.tbLiveCount(a), e.tbLiveCount(b)]).toEqual([0, 51, 1, 50]);
    // clearTraces starts everything again.
    e.clearTraces();
    expect(t.readTracebackCounters()).toEqual([]);
    expect(e.tbFirst()).toBe(0);
  });

  it('agree with a plain model over 200k random events: live = alloc − free per traceback, and the composition at every new peak', () => {
    const { t, e } = started();
    const int = random(19);
    const rnd = () => int(1 << 30) / (1 << 30);
    const blocks = new Map<number, { site: number; size: number }>();
    const alloc = new Map<number, number[]>(); // site → [count, bytes, freeCount, freeBytes]
    let current = 0;
    let peak = 0;
    let atPeak = new Map<number, number[]>(); // site → [count, bytes] when peak last rose
    const liveOf = () => new Map([...alloc].map(([s, c]) => [s, [c[0]! - c[2]!, c[1]! - c[3]!]]));
    for (let i = 0; i < 200_000; i++) {
      const ptr = 16 * (1 + Math.floor(rnd() * 4000));
      const site = 1 + Math.floor(rnd() * 40);
      const old = blocks.get(ptr);
      const c = (s: number) => {
        let v = alloc.get(s);
        if (!v) alloc.set(s, (v = [0, 0, 0, 0]));
        return v;
      };
      if (old && rnd() < 0.6) {
        e.free(1, ptr, 99);
        c(old.site)[2]! += 1;
        c(old.site)[3]! += old.size;
        current -= old.size;
        blocks.delete(ptr);
      } else {
        const size = Math.floor(rnd() * 3000);
        if (old) {
          if (rnd() < 0.5) {
            e.realloc(1, ptr, ptr, size, site);
          } else {
            e.alloc(1, ptr, size, site);
          }
          c(old.site)[2]! += 1;
          c(old.site)[3]! += old.size;
          current -= old.size;
        } else {
          e.alloc(1, ptr, size, site);
        }
        blocks.set(ptr, { site, size });
        c(site)[0]! += 1;
        c(site)[1]! += size;
        current += size;
        if (current > peak) {
          peak = current;
          atPeak = liveOf();
        }
      }
      if (i % 50_000 === 49_999) {
        const got = new Map(t.readTracebackCounters().map((x) => [siteOf(t, x.tb).site, x]));
        expect(got.size).toBe(alloc.size);
        for (const [s, v] of alloc) {
          const x = got.get(s)!;
          expect([x.allocCount, x.allocBytes, x.freeCount, x.freeBytes]).toEqual(v);
          expect([x.peakCount, x.peakBytes]).toEqual(atPeak.get(s) ?? [0, 0]);
        }
        expect(e.peakBytes()).toBe(peak);
      }
    }
  });

  it('when sampling, counters are estimates like current: a traced block counts 1/p(size) blocks and its estimated bytes', () => {
    const t = TraceTable.create();
    const e = t.exports;
    expect(e.start(1, 4096, 7)).toBe(1);
    for (let i = 0; i < 20_000; i++) e.alloc(1, 0x100 + i * 128, 100, 5);
    const [c] = t.readTracebackCounters();
    const traced = e.traceCount();
    expect(c!.allocCount).toBeCloseTo(traced / sampleProbability(100, 4096), 6);
    expect(c!.allocBytes).toBe(traced * estimatedBytes(100, 4096));
    expect(c!.allocBytes).toBe(e.currentBytes());
    for (let i = 0; i < 20_000; i++) e.free(1, 0x100 + i * 128, 6);
    const [d] = t.readTracebackCounters();
    expect(d!.freeBytes).toBe(d!.allocBytes);
    expect(d!.freeCount).toBeCloseTo(d!.allocCount, 6);
    expect(d!.peakBytes).toBe(d!.allocBytes);
  });
});
