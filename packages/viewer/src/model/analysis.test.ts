import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { Filter, Snapshot, SnapshotBuilder, type FrameData } from '@wasm-tracemalloc/runtime/model';
import { decodePprof } from '@wasm-tracemalloc/runtime/pprof';
import { Analysis, CALLERS_SENT } from './analysis.js';
import { buildFlameTree, type WeightedPath } from './flame-tree.js';
import { packedLength, unpackStrings } from './packed-strings.js';
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
  it("tables carry each row's function (by line and by traceback, also for rows only in the base); by file none", () => {
    const a = analysis();
    expect(unpackStrings(a.table({ selection: sel(), keyType: 'lineno', cumulative: false }).functions!)).toEqual(['leak', 'cache']);
    expect(unpackStrings(a.table({ selection: sel(), keyType: 'traceback', cumulative: false }).functions!)).toEqual(['leak', 'cache', 'cache']);
    expect(unpackStrings(a.table({ selection: sel({ snapshot: 1, base: 2 }), keyType: 'lineno', cumulative: false }).functions!)).toEqual(['leak', 'cache']);
    expect(a.table({ selection: sel(), keyType: 'filename', cumulative: false }).functions).toBeUndefined();
  });

  it('flame graphs bottom-up, and rooted at the focused frame: its callees top-down, its callers bottom-up', () => {
    const a = analysis();
    const names = (t: ReturnType<Analysis['flame']>) => Array.from({ length: t.length }, (_, i) => [t.frame[i] < 0 ? 'all' : t.frames[t.frame[i]].function, t.depth[i], t.value[i]]);
    expect(names(a.flame(sel(), 'after', true))).toEqual([
      ['all', 0, 1082],
      ['leak', 1, 1000],
      ['main', 2, 1000],
      ['_start', 3, 1000],
      // cache is called by main (50 B, main by _start) and by _start itself (32 B).
      ['cache', 1, 82],
      ['main', 2, 50],
      ['_start', 3, 50],
      ['_start', 2, 32],
    ]);
    const focus = { filename: 'app.wasm', lineno: 0, function: 'main', offset: 0x20 };
    expect(names(a.flame(sel({ focus }), 'after', false))).toEqual([
      ['all', 0, 1050],
      ['main', 1, 1050],
      ['leak', 2, 1000],
      ['cache', 2, 50],
    ]);
    const callers = a.flame(sel({ focus }), 'after', true);
    expect(names(callers)).toEqual([
      ['all', 0, 1050],
      ['main', 1, 1050],
      ['_start', 2, 1050],
    ]);
    expect([callers.rooted, callers.inverted]).toEqual([true, true]);
  });

  it('leak suspects over three snapshots: the site that grew each time, with the function of its frame', () => {
    const a = new Analysis();
    const domains = [{ id: 0, name: 'app.wasm' }];
    const step = (leaks: number) => new SnapshotBuilder(3).addMany(leaks, 0, 64, [START, MAIN, LEAK]).addMany(3, 0, 256, [START, CACHE]).build({ domains });
    a.add(1, step(1), '1.wtmsnap');
    a.add(2, step(5), '2.wtmsnap');
    a.add(3, step(9), '3.wtmsnap');
    const r = a.leaks(sel({ snapshot: 3 }), [1, 2, 3]);
    expect(r.suspects).toEqual([{ key: 'app.wasm:leak+0x30', row: 1, sizes: [64, 320, 576], counts: [1, 5, 9], growth: 512, function: 'leak' }]);
    expect([r.snapshots, r.sites, r.total]).toEqual([3, 2, 1]);
  });

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

  it('tables on random snapshots equal the model: statistics, compareTo, details, callers beyond the rows sent', () => {
    let seed = 99;
    const r = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const frames = Array.from({ length: 30 }, (_, i) => (i % 4 === 0 ? f(`m${i % 3}.wasm`, `fn${i}`, i) : { filename: `src/f${i % 5}.c`, lineno: 1 + (i % 7), function: `g${i}` }));
    const make = () => {
      const b = new SnapshotBuilder(5);
      for (let i = 0; i < 1500; i++) b.add(r(2), 8 * r(6), Array.from({ length: r(5) }, () => frames[r(frames.length)]));
      return b.build();
    };
    const [d1, d2] = [make(), make()];
    const a = new Analysis();
    a.add(1, d1, 'one.wtmsnap');
    a.add(2, d2, 'two.wtmsnap');
    const [s1, s2] = [new Snapshot(d1), new Snapshot(d2)];
    const callersOf = (frames: readonly { function?: string; toString(): string }[]): string => {
      const names = frames.slice(0, -1).reverse().slice(0, 3).map((x) => x.function ?? x.toString());
      if (frames.length - 1 > 3) names.push('…');
      return names.length > 0 ? `← ${names.join(' ← ')}` : '';
    };
    for (const base of [null, 1]) {
      for (const [keyType, cumulative] of [['lineno', false], ['filename', true], ['traceback', false]] as const) {
        const q = { selection: sel({ base }), keyType, cumulative };
        const t = a.table(q);
        const expected = base === null ? s2.statistics(keyType, cumulative) : s2.compareTo(s1, keyType, cumulative);
        expect(unpackStrings(t.keys)).toEqual(expected.map((s) => String(s.traceback)));
        expect(Array.from(t.size)).toEqual(expected.map((s) => s.size));
        expect(Array.from(t.count)).toEqual(expected.map((s) => s.count));
        if (base !== null) expect(Array.from(t.sizeDiff!)).toEqual(expected.map((s) => (s as unknown as { sizeDiff: number }).sizeDiff));
        if (keyType === 'traceback') {
          expect(expected.length).toBeGreaterThan(CALLERS_SENT);
          expect(packedLength(t.callers!)).toBe(CALLERS_SENT);
          const all = expected.map((s) => callersOf(s.traceback.frames));
          expect(unpackStrings(t.callers!)).toEqual(all.slice(0, CALLERS_SENT));
          const rows = [expected.length - 1, CALLERS_SENT, 3];
          expect(a.callers(q, rows)).toEqual(rows.map((i) => all[i]));
        }
        for (const row of [0, expected.length - 1]) {
          const detail = a.detail(q, row);
          expect(detail.from).toBe(expected[row].count === 0 ? 'base' : 'snapshot');
          const sum = detail.tracebacks.reduce((n, tb) => n + tb.count, 0);
          if (!cumulative && detail.tracebackCount <= 20) expect(sum).toBe(expected[row].count || -(expected[row] as unknown as { countDiff: number }).countDiff);
        }
      }
    }
  });

  describe('a sampled snapshot (samplingIntervalBytes 4096)', () => {
    const LEAK_C = { filename: 'leak.c', lineno: 14 };
    const BIG_C = { filename: 'big.c', lineno: 3 };
    const SMALL_C = { filename: 'small.c', lineno: 5 };
    const domains = [{ id: 0, name: 'app.wasm' }, { id: 1, name: 'lib.wasm' }];
    // 3 traces of 100 B stand for 3 × 4146 B and round(3 × 41.462) = 124 blocks; 1 MiB for itself;
    // 2 × 16 B for 2 × 4104 B and round(2 × 256.5) = 513 blocks.
    const sampledData = () => ({
      ...new SnapshotBuilder(1).addMany(3, 0, 100, [LEAK_C]).add(1, 1 << 20, [BIG_C]).addMany(2, 0, 16, [SMALL_C]).build({ domains }),
      samplingIntervalBytes: 4096,
    });
    const exactData = () => new SnapshotBuilder(1).addMany(3, 0, 100, [LEAK_C]).add(1, 1 << 20, [BIG_C]).build({ domains });
    const sampledSelection = (patch: Partial<TraceSelection> = {}) => sel({ snapshot: 1, ...patch });

    it('summarizes with the estimates: blocks and bytes the traces stand for, per domain too, and the interval', () => {
      const a = new Analysis();
      const s = a.add(1, sampledData(), 'sampled.wtmsnap');
      expect(s.samplingIntervalBytes).toBe(4096);
      expect(s.traces).toBe(6);
      expect(s.blocks).toBe(124 + 1 + 513);
      expect(s.size).toBe(3 * 4146 + (1 << 20) + 2 * 4104);
      // The estimate is what statistics('filename') adds up.
      const model = new Snapshot(sampledData());
      expect(s.blocks).toBe(model.statistics('filename').reduce((n, st) => n + st.count, 0));
      expect(s.size).toBe(model.statistics('filename').reduce((n, st) => n + st.size, 0));
      expect(s.domains).toEqual([
        { id: 0, name: 'app.wasm', size: 3 * 4146 + 2 * 4104, count: 124 + 513, traces: 5 },
        { id: 1, name: 'lib.wasm', size: 1 << 20, count: 1, traces: 1 },
      ]);
      // Read from a file (format version 3): the same.
      const loaded = a.load(2, model.dump(), 'sampled.wtmsnap');
      expect({ ...loaded, loadMs: 0 }).toEqual(s);
    });

    it('an exact snapshot: interval 0, blocks are the traces, domains without sampled traces', () => {
      const s = new Analysis().add(1, exactData(), 'exact.wtmsnap');
      expect([s.samplingIntervalBytes, s.traces, s.blocks, s.size]).toEqual([0, 4, 4, 300 + (1 << 20)]);
      expect(s.domains).toEqual([
        { id: 0, name: 'app.wasm', size: 300, count: 3 },
        { id: 1, name: 'lib.wasm', size: 1 << 20, count: 1 },
      ]);
      expect(new Analysis().add(1, exactData(), 'exact.wtmsnap')).not.toHaveProperty('domains.0.traces');
    });

    it('tables total the estimates and say how many sampled traces they stand on, filtered too', () => {
      const a = new Analysis();
      a.add(1, sampledData(), 'sampled.wtmsnap');
      const t = a.table({ selection: sampledSelection(), keyType: 'lineno', cumulative: false });
      expect(unpackStrings(t.keys)).toEqual(['big.c:3', 'leak.c:14', 'small.c:5']);
      expect(Array.from(t.size)).toEqual([1 << 20, 12438, 8208]);
      expect(Array.from(t.count)).toEqual([1, 124, 513]);
      expect(t.total).toEqual({ size: 1069222, count: 638, traces: 6 });
      expect(a.table({ selection: sampledSelection({ domains: [1] }), keyType: 'lineno', cumulative: false }).total).toEqual({ size: 1 << 20, count: 1, traces: 1 });
      expect(a.table({ selection: sampledSelection({ include: ['leak.c'] }), keyType: 'filename', cumulative: false }).total).toEqual({ size: 12438, count: 124, traces: 3 });
      // A sampled snapshot compared with an exact base: the totals of each side.
      a.add(2, exactData(), 'exact.wtmsnap');
      const d = a.table({ selection: sampledSelection({ base: 2 }), keyType: 'lineno', cumulative: false });
      expect(d.total).toEqual({ size: 1069222, count: 638, traces: 6, baseSize: 300 + (1 << 20), baseCount: 4 });
      expect(unpackStrings(d.keys)).toEqual(['leak.c:14', 'small.c:5', 'big.c:3']);
      expect(Array.from(d.countDiff!)).toEqual([121, 513, 0]);
    });

    it('details and JSON exports carry the interval of a sampled side', () => {
      const a = new Analysis();
      a.add(1, sampledData(), 'sampled.wtmsnap');
      a.add(2, exactData(), 'exact.wtmsnap');
      const q = { selection: sampledSelection(), keyType: 'lineno' as const, cumulative: false };
      const d = a.detail(q, 1);
      expect(d.line).toBe('leak.c:14: size=12.1 KiB, count=124, average=100 B');
      expect(d.tracebacks.map((tb) => [tb.size, tb.count])).toEqual([[12438, 124]]);
      expect(d.samplingIntervalBytes).toBe(4096);
      expect(a.detail({ ...q, selection: sampledSelection({ snapshot: 2 }) }, 0)).not.toHaveProperty('samplingIntervalBytes');
      const json = JSON.parse(a.exportJson(q, 'size'));
      expect(json).toMatchObject({ samplingIntervalBytes: 4096, total: { size: 1069222, count: 638, traces: 6 } });
      expect(json).not.toHaveProperty('baseSamplingIntervalBytes');
      const mixed = JSON.parse(a.exportJson({ ...q, selection: sampledSelection({ snapshot: 2, base: 1 }) }, 'size'));
      expect(mixed.baseSamplingIntervalBytes).toBe(4096);
      expect(mixed).not.toHaveProperty('samplingIntervalBytes');
      expect(JSON.parse(a.exportJson({ ...q, selection: sampledSelection({ snapshot: 2 }) }, 'size'))).not.toHaveProperty('samplingIntervalBytes');
    });

    it('the flame graph weighs the estimates and says so; exact ones are not estimated', () => {
      const a = new Analysis();
      a.add(1, sampledData(), 'sampled.wtmsnap');
      a.add(2, exactData(), 'exact.wtmsnap');
      const f = a.flame(sampledSelection(), 'after');
      expect([f.estimated, f.value[0], f.count[0]]).toEqual([true, 1069222, 638]);
      expect(a.flame(sampledSelection({ snapshot: 2 }), 'after').estimated).toBe(false);
      expect(a.flame(sampledSelection({ snapshot: 2, base: 1 }), 'after').estimated).toBe(true);
    });
  });

  it('flame trees equal a Map-based trie on random paths (preorder, heaviest first, ties first seen)', () => {
    let seed = 5;
    const r = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let round = 0; round < 30; round++) {
      const paths: WeightedPath[] = Array.from({ length: r(60) }, () => ({
        frames: Array.from({ length: r(6) }, () => r(5)),
        after: 8 * r(3),
        afterCount: r(3),
        before: 8 * r(3),
        beforeCount: r(3),
      }));
      for (const measure of ['after', 'before'] as const) {
        const t = buildFlameTree([], paths, true, measure);
        // Reference: a trie of Maps in insertion order, walked heaviest child first.
        type Node = { frame: number; after: number; before: number; count: number; children: Map<number, Node> };
        const root: Node = { frame: -1, after: 0, before: 0, count: 0, children: new Map() };
        for (const p of paths) {
          const nodes = [root];
          let node = root;
          for (const fr of p.frames) {
            let next = node.children.get(fr);
            if (next === undefined) node.children.set(fr, (next = { frame: fr, after: 0, before: 0, count: 0, children: new Map() }));
            nodes.push((node = next));
          }
          for (const n of nodes) {
            n.after += p.after;
            n.before += p.before;
            n.count += measure === 'after' ? p.afterCount : p.beforeCount;
          }
        }
        const rows: number[][] = [];
        const walk = (n: Node, depth: number, start: number) => {
          const value = measure === 'after' ? n.after : n.before;
          rows.push([n.frame, depth, start, value, n.count, measure === 'after' ? n.before : n.after]);
          let x = start;
          const kids = [...n.children.values()].filter((c) => (measure === 'after' ? c.after : c.before) > 0);
          kids.sort((p, q) => (measure === 'after' ? q.after - p.after : q.before - p.before)); // stable: first seen first
          for (const c of kids) {
            walk(c, depth + 1, x);
            x += measure === 'after' ? c.after : c.before;
          }
        };
        walk(root, 0, 0);
        const got = Array.from({ length: t.length }, (_, i) => [t.frame[i], t.depth[i], t.start[i], t.value[i], t.count[i], t.other[i]]);
        expect(got, `round ${round} ${measure}`).toEqual(rows);
      }
    }
  });
});

