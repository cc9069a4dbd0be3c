import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { Filter, Snapshot, SnapshotBuilder, type FrameData } from '@wasm-tracemalloc/runtime/model';
import { decodePprof } from '@wasm-tracemalloc/runtime/pprof';
import { Analysis } from './analysis.js';
import { unpackStrings } from './packed-strings.js';
import { DEFAULT_VIEW_STATE, selectionOf, type TraceSelection } from './view-state.js';

const f = (filename: string, fn: string, offset: number): FrameData => ({ filename, lineno: 0, function: fn, offset });
const START = f('app.wasm', '_start', 0x10);
const MAIN = f('app.wasm', 'main', 0x20);
const LEAK = f('app.wasm', 'leak', 0x30);
const CACHE = f('lib.wasm', 'cache', 0x40);

function analysis(): Analysis {
  const a = new Analysis();
  const before = new SnapshotBuilder(3).addMany(2, 0, 50, [START, MAIN, CACHE]).addMany(4, 1, 8, [START, CACHE]);
  const after = new SnapshotBuilder(3).addMany(10, 0, 100, [START, MAIN, LEAK]).addMany(1, 0, 50, [START, MAIN, CACHE]).addMany(4, 1, 8, [START, CACHE]);
  const domains = [{ id: 0, name: 'app.wasm' }, { id: 1, name: 'lib.wasm' }];
  a.add(1, before.build({ domains }), 'before.wtmsnap');
  a.add(2, after.build({ domains }), 'after.wtmsnap');
  return a;
}

const sel = (patch: Partial<TraceSelection> = {}): TraceSelection => ({ ...selectionOf({ ...DEFAULT_VIEW_STATE }), snapshot: 2, ...patch });

describe('Analysis', () => {
  it('tables: statistics and compareTo as columns, in tracemalloc order', () => {
    const a = analysis();
    const t = a.table({ selection: sel(), keyType: 'lineno', cumulative: false });
    expect(unpackStrings(t.keys)).toEqual(['app.wasm:leak+0x30', 'lib.wasm:cache+0x40']);
    expect(Array.from(t.size)).toEqual([1000, 82]);
    expect(Array.from(t.count)).toEqual([10, 5]);
    expect(t.total).toEqual({ size: 1082, count: 15 });
    const d = a.table({ selection: sel({ base: 1 }), keyType: 'lineno', cumulative: false });
    expect(unpackStrings(d.keys)).toEqual(['app.wasm:leak+0x30', 'lib.wasm:cache+0x40']);
    expect(Array.from(d.sizeDiff!)).toEqual([1000, -50]);
    expect(Array.from(d.countDiff!)).toEqual([10, -1]);
    const tb = a.table({ selection: sel(), keyType: 'traceback', cumulative: false });
    expect(unpackStrings(tb.callers!)).toEqual(['← main ← _start', '← main ← _start', '← _start']);
  });

  it('selects with tracemalloc globs, domains and a frame, ANDed', () => {
    const a = analysis();
    const keys = (s: TraceSelection) => unpackStrings(a.table({ selection: s, keyType: 'lineno', cumulative: false }).keys);
    expect(keys(sel({ include: ['lib*'] }))).toEqual(['lib.wasm:cache+0x40']);
    expect(keys(sel({ exclude: ['lib*'] }))).toEqual(['app.wasm:leak+0x30']);
    expect(keys(sel({ include: ['app*'], allFrames: true }))).toEqual(['app.wasm:leak+0x30', 'lib.wasm:cache+0x40']);
    expect(keys(sel({ domains: [1] }))).toEqual(['lib.wasm:cache+0x40']);
    expect(a.table({ selection: sel({ domains: [0] }), keyType: 'lineno', cumulative: false }).total).toEqual({ size: 1050, count: 11 });
    expect(keys(sel({ focus: { filename: 'app.wasm', lineno: 0, function: 'main', offset: 0x20 } }))).toEqual(['app.wasm:leak+0x30', 'lib.wasm:cache+0x40']);
    expect(a.table({ selection: sel({ focus: { filename: 'app.wasm', lineno: 0, function: 'main', offset: 0x20 } }), keyType: 'lineno', cumulative: false }).total.count).toBe(11);
    expect(keys(sel({ include: ['app*'], allFrames: true, domains: [1] }))).toEqual(['lib.wasm:cache+0x40']);
  });

  it("keeps exactly the traces Snapshot.filterTraces keeps, for any mix of globs", () => {
    const b = new SnapshotBuilder(3);
    const files = ['app.wasm', 'lib.wasm', 'libc.wasm', 'x/app.c'];
    for (let i = 0; i < 200; i++) {
      const frames = [0, 1, 2].slice(0, 1 + (i % 3)).map((k) => f(files[(i * (k + 1) + k) % 4], `fn${(i + k) % 7}`, k));
      b.add(i % 2, 8 + i, frames);
    }
    const data = b.build();
    const a = new Analysis();
    a.add(1, data, 'mix.wtmsnap');
    const cases: Array<[string[], string[], boolean]> = [
      [['lib*'], [], false],
      [['lib*'], [], true],
      [[], ['*.wasm'], false],
      [[], ['lib*'], true],
      [['app*', 'x/*'], ['libc*'], false],
      [['app*', 'x/*'], ['libc*'], true],
    ];
    for (const [include, exclude, allFrames] of cases) {
      const expected = new Snapshot(data).filterTraces([...include.map((g) => new Filter(true, g, null, allFrames)), ...exclude.map((g) => new Filter(false, g, null, allFrames))]);
      const t = a.table({ selection: sel({ snapshot: 1, include, exclude, allFrames }), keyType: 'traceback', cumulative: false });
      const model = expected.statistics('traceback');
      expect(t.total.count, JSON.stringify([include, exclude, allFrames])).toBe(expected.length);
      expect(unpackStrings(t.keys)).toEqual(model.map((s) => s.traceback.toString()));
      expect(Array.from(t.size)).toEqual(model.map((s) => s.size));
    }
  });

  it('details: the heaviest tracebacks of a row, most recent frame first', () => {
    const a = analysis();
    const q = { selection: sel(), keyType: 'lineno' as const, cumulative: false };
    const d = a.detail(q, 1);
    expect(d.line).toBe('lib.wasm:cache+0x40: size=82 B, count=5, average=16 B');
    expect(d.tracebackCount).toBe(2);
    expect(d.tracebacks.map((t) => [t.size, t.count, t.frames.map((x) => x.function)])).toEqual([
      [50, 1, ['cache', 'main', '_start']],
      [32, 4, ['cache', '_start']],
    ]);
    // A group freed since the base is explained from the base.
    const freed = new SnapshotBuilder(1).addMany(1, 0, 8, [LEAK]).build();
    a.add(3, freed, 'empty.wtmsnap');
    const dq = { selection: sel({ snapshot: 3, base: 1 }), keyType: 'lineno' as const, cumulative: false };
    const t = a.table(dq);
    const row = unpackStrings(t.keys).indexOf('lib.wasm:cache+0x40');
    expect(a.detail(dq, row).from).toBe('base');
  });

  it('flame graph of the selection, and the diff against a base', () => {
    const a = analysis();
    const t = a.flame(sel(), 'after');
    expect(t.value[0]).toBe(1082);
    expect(Array.from(t.depth)).toEqual([0, 1, 2, 3, 3, 2]);
    expect(Array.from(t.frame, (i) => (i < 0 ? 'all' : t.frames[i].function))).toEqual(['all', '_start', 'main', 'leak', 'cache', 'cache']);
    const d = a.flame(sel({ base: 1 }), 'before');
    expect(Array.from(d.frame, (i) => (i < 0 ? 'all' : d.frames[i].function))).toEqual(['all', '_start', 'main', 'cache', 'cache']);
    expect(Array.from(d.value)).toEqual([132, 132, 100, 100, 32]);
    expect(Array.from(d.other)).toEqual([1082, 1082, 1050, 50, 32]);
  });

  it('exports the view as JSON and the selection as gzipped pprof', async () => {
    const a = analysis();
    const json = JSON.parse(a.exportJson({ selection: sel({ base: 1 }), keyType: 'lineno', cumulative: false }, 'countDiff'));
    expect(json.rows.map((r: { key: string; status: string }) => [r.key, r.status])).toEqual([
      ['app.wasm:leak+0x30', 'new'],
      ['lib.wasm:cache+0x40', 'shrunk'],
    ]);
    const profile = decodePprof(new Uint8Array(gunzipSync(await a.exportPprof(sel({ exclude: ['lib*'] })))));
    expect(profile.sample.map((s) => s.value.map(Number))).toEqual([[10, 1000]]);
  });

  it('names the file when it is not a snapshot', () => {
    expect(() => new Analysis().load(1, new TextEncoder().encode('<html>'), 'evil.wtmsnap')).toThrow(/^evil\.wtmsnap is not a wasm-tracemalloc snapshot/);
  });
});
