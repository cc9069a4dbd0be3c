import { describe, expect, it } from 'vitest';
import type { SnapshotData } from '@wasm-tracemalloc/runtime/model';
import { Analysis } from './analysis.js';
import type { CountedTraceback } from './churn.js';
import { packedLength, stringAt, unpackStrings } from './packed-strings.js';
import { orderRows, rowStatus, rowText } from './table.js';
import { DEFAULT_VIEW_STATE, selectionOf, type KeyType, type TraceSelection } from './view-state.js';

const FRAMES = [
  { filename: 'churn.c', lineno: 5, function: 'main' },
  { filename: 'churn.c', lineno: 14, function: 'churn' },
  { filename: 'leak.c', lineno: 9, function: 'leak' },
  { filename: 'peak.c', lineno: 20, function: 'spike' },
];

/**
 * One program at two moments. churn.c:14 allocates and frees blocks of 64 B
 * (500 of each by the base, 1,500 by the snapshot) and holds none; leak.c:9
 * keeps blocks of 64 B (10, then 20); peak.c:20 held 100 blocks of 1,000 B at
 * the traced peak, between the two, and freed them: it is live at the peak only.
 */
function data(moment: 0 | 1): SnapshotData {
  const churned = moment === 0 ? 500 : 1500;
  const leaked = moment === 0 ? 10 : 20;
  const tracebacks: CountedTraceback[] = [
    { frames: [0, 1], totalNframe: 2, allocCount: churned, allocSize: 64 * churned, freeCount: churned, freeSize: 64 * churned },
    { frames: [0, 2], totalNframe: 2, allocCount: leaked, allocSize: 64 * leaked, freeCount: 0, freeSize: 0, ...(moment === 1 && { peakCount: 10, peakSize: 640 }) },
    { frames: [0, 3], totalNframe: 2, allocCount: 100 * moment, allocSize: 100_000 * moment, freeCount: 100 * moment, freeSize: 100_000 * moment, ...(moment === 1 && { peakCount: 100, peakSize: 100_000 }) },
  ];
  return {
    tracebackLimit: 4,
    frames: FRAMES,
    tracebacks,
    traces: { domain: new Uint32Array(leaked), size: new Float64Array(leaked).fill(64), traceback: new Uint32Array(leaked).fill(1) },
    meta: { current: 64 * leaked, peak: 100_640 },
  };
}

function analysis(): Analysis {
  const a = new Analysis();
  a.add(1, data(0), 'base.wtmsnap');
  a.add(2, data(1), 'now.wtmsnap');
  return a;
}

const sel = (patch: Partial<TraceSelection> = {}): TraceSelection => ({ ...selectionOf({ ...DEFAULT_VIEW_STATE }), snapshot: 2, ...patch });
const q = (keyType: KeyType, patch: Partial<TraceSelection> = {}, peak = false) => ({ selection: sel(patch), keyType, cumulative: false, ...(peak && { peak }) });

describe('churn columns', () => {
  it('a diff shows +1,000 allocated, +1,000 freed and Δ 0 for a site with no live block', () => {
    const t = analysis().table(q('lineno', { base: 1 }));
    const keys = unpackStrings(t.keys);
    // The model's row (leak.c:9), then the sites without live blocks, most bytes allocated since the base first.
    expect(keys).toEqual(['leak.c:9', 'peak.c:20', 'churn.c:14']);
    const churn = keys.indexOf('churn.c:14');
    expect([t.size[churn], t.sizeDiff![churn], t.count[churn], t.countDiff![churn]]).toEqual([0, 0, 0, 0]);
    expect([t.allocCount![churn], t.freeCount![churn], t.allocSize![churn], t.freeSize![churn]]).toEqual([1000, 1000, 64_000, 64_000]);
    expect(rowStatus(t, churn)).toBe('same');
    // The text stays tracemalloc's StatisticDiff; the counters have their own cells.
    expect(rowText(t, churn)).toBe('churn.c:14: size=0 B (+0 B), count=0 (+0)');
    const leak = keys.indexOf('leak.c:9');
    expect([t.sizeDiff![leak], t.allocCount![leak], t.freeCount![leak], t.allocSize![leak]]).toEqual([640, 10, 0, 640]);
    // peak.c:20 allocated and freed 100 blocks since the base.
    const peak = keys.indexOf('peak.c:20');
    expect([t.allocCount![peak], t.freeCount![peak], t.allocSize![peak]]).toEqual([100, 100, 100_000]);
    // Sorting by blocks allocated puts the churn first; by freed bytes, peak.c:20.
    expect(Array.from(orderRows(t, 'allocCount'), (i) => keys[i])).toEqual(['churn.c:14', 'peak.c:20', 'leak.c:9']);
    expect(Array.from(orderRows(t, 'freeSize'), (i) => keys[i])).toEqual(['peak.c:20', 'churn.c:14', 'leak.c:9']);
  });

  it("a snapshot's table lists what holds blocks, as statistics() does, with their cumulative counters", () => {
    const t = analysis().table(q('lineno'));
    // The sites that only churned are rows of a diff (above), not of one snapshot's table.
    expect(unpackStrings(t.keys)).toEqual(['leak.c:9']);
    expect(Array.from(t.size)).toEqual([1280]);
    expect(Array.from(t.allocCount!)).toEqual([20]);
    expect(Array.from(t.freeSize!)).toEqual([0]);
    expect(unpackStrings(t.functions!)).toEqual(['leak']);
  });

  it('by file and by traceback; filters keep or drop churn-only rows by their traceback', () => {
    const a = analysis();
    const byFile = a.table(q('filename', { base: 1 }));
    expect(unpackStrings(byFile.keys)).toEqual(['leak.c:0', 'peak.c:0', 'churn.c:0']);
    expect(Array.from(byFile.allocCount!)).toEqual([10, 100, 1000]);
    const byTb = a.table(q('traceback', { base: 1 }));
    expect(packedLength(byTb.keys)).toBe(3);
    const only = a.table(q('lineno', { include: ['churn.c'], base: 1 }));
    expect(unpackStrings(only.keys)).toEqual(['churn.c:14']);
    expect(Array.from(only.freeCount!)).toEqual([1000]);
    // The churn-only row's traceback panel lists its traceback, with its counters.
    const row = unpackStrings(byTb.keys).indexOf('churn.c:14');
    const detail = a.detail(q('traceback', { base: 1 }), row);
    expect(detail.tracebacks[0].frames.map((f) => f.text)).toEqual(['churn.c:14', 'churn.c:5']);
    expect(detail.tracebacks[0].churn).toEqual({ allocCount: 1500, freeCount: 1500, allocSize: 96_000, freeSize: 96_000 });
    expect(a.callers(q('traceback', { base: 1 }), [row])).toEqual(['← main']);
  });

  it('snapshots without counters have no churn columns', () => {
    const a = new Analysis();
    const plain = data(1);
    plain.tracebacks = plain.tracebacks.map(({ frames, totalNframe }) => ({ frames, totalNframe }));
    a.add(2, plain, 'old.wtmsnap');
    const t = a.table(q('lineno'));
    expect(t.allocCount).toBeUndefined();
    expect(unpackStrings(t.keys)).toEqual(['leak.c:9']);
    expect(a.flame(sel(), 'after').churn).toBeUndefined();
    // A diff against a base without counters cannot subtract them: no churn columns,
    // rather than counts since start() shown as the change.
    a.add(3, data(1), 'now.wtmsnap');
    expect(a.table({ selection: { ...sel(), snapshot: 3, base: 2 }, keyType: 'lineno', cumulative: false }).allocCount).toBeUndefined();
  });

  it('flame graph nodes sum the counters of the paths under them, freed sites included', () => {
    const flame = analysis().flame(sel({ base: 1 }), 'max');
    const rootChurn = Array.from(flame.churn!.subarray(0, 4));
    // Since the base: +1,000 + 10 + 100 allocated, +1,000 + 100 freed.
    expect(rootChurn).toEqual([1110, 1100, 64_000 + 640 + 100_000, 64_000 + 100_000]);
    // The only box under main is leak (the others hold no bytes); main carries all the churn.
    const names = Array.from({ length: flame.length }, (_, i) => (flame.frame[i] < 0 ? 'all' : flame.frames[flame.frame[i]].function));
    expect(names).toEqual(['all', 'main', 'leak']);
    expect(Array.from(flame.churn!.subarray(4, 8))).toEqual(rootChurn);
    expect(Array.from(flame.churn!.subarray(8, 12))).toEqual([10, 0, 640, 0]);
  });
});

describe('the peak', () => {
  it('lists the sites live at the peak, not at the end, largest first', () => {
    const a = analysis();
    const t = a.table(q('lineno', {}, true));
    expect(t.peak).toBe(true);
    expect(unpackStrings(t.keys)).toEqual(['peak.c:20', 'leak.c:9']);
    expect(Array.from(t.size)).toEqual([100_000, 640]);
    expect(Array.from(t.count)).toEqual([100, 10]);
    expect(t.total).toEqual({ size: 100_640, count: 110 });
    expect(unpackStrings(t.functions!)).toEqual(['spike', 'leak']);
    // At the end peak.c:20 holds nothing: the live table has no row of it with bytes.
    const live = a.table(q('lineno'));
    expect(unpackStrings(live.keys)).not.toContain('peak.c:20');
    const detail = a.detail(q('lineno', {}, true), 0);
    expect(detail.tracebacks.map((x) => [x.size, x.count])).toEqual([[100_000, 100]]);
    expect(detail.line).toBe('peak.c:20: size=97.7 KiB, count=100, average=1000 B');
  });

  it('by file, with a base (ignored), and with a filter', () => {
    const a = analysis();
    const t = a.table(q('filename', { base: 1, exclude: ['peak.c'] }, true));
    expect(unpackStrings(t.keys)).toEqual(['leak.c:0']);
    expect(t.compare).toBe(false);
    expect(stringAt(t.keys, 0)).toBe('leak.c:0');
  });

  it('a flame graph weighted by the bytes at the peak', () => {
    const flame = analysis().flame(sel(), 'after', false, true);
    expect(flame.peak).toBe(true);
    const boxes = Array.from({ length: flame.length }, (_, i) => [flame.frame[i] < 0 ? 'all' : flame.frames[flame.frame[i]].function, flame.value[i], flame.count[i]]);
    expect(boxes).toEqual([
      ['all', 100_640, 110],
      ['main', 100_640, 110],
      ['spike', 100_000, 100],
      ['leak', 640, 10],
    ]);
  });

  it('a snapshot without a peak composition has an empty peak table', () => {
    const t = analysis().table(q('lineno', { snapshot: 1 }, true));
    expect(t.size.length).toBe(0);
    expect(t.total).toEqual({ size: 0, count: 0 });
  });
});
