import { describe, expect, it } from 'vitest';
import { Frame, Statistic, StatisticDiff, Traceback } from '@wasm-tracemalloc/runtime/model';
import { indexOfString, packStrings, packedLength, stringAt, unpackStrings } from './packed-strings.js';
import { diffStatus, orderRows, rowLabel, rowText, splitLocation, type TableModel } from './table.js';

const tb = (file: string, line: number) => new Traceback([new Frame(file, line)]);

function model(rows: Array<[string, number, number, number?, number?]>, compare = false): TableModel {
  return {
    keyType: 'lineno',
    cumulative: false,
    compare,
    keys: packStrings(rows.map((r) => r[0])),
    size: Float64Array.from(rows, (r) => r[1]),
    count: Float64Array.from(rows, (r) => r[2]),
    sizeDiff: compare ? Float64Array.from(rows, (r) => r[3]!) : undefined,
    countDiff: compare ? Float64Array.from(rows, (r) => r[4]!) : undefined,
    total: { size: 0, count: 0 },
    ms: 0,
  };
}

describe('table rows', () => {
  it('print exactly as Statistic and StatisticDiff print', () => {
    const t = model([['f.c:12', 589824, 10000], ['g.c:1', 0, 0]]);
    expect(rowText(t, 0)).toBe(new Statistic(tb('f.c', 12), 589824, 10000).toString());
    expect(rowText(t, 1)).toBe(new Statistic(tb('g.c', 1), 0, 0).toString());
    const d = model([['f.c:12', 589824, 10000, 589824, 10000], ['g.c:1', 0, 0, -100, -1], ['h.c:2', 5, 1, 0, 0]], true);
    expect(rowText(d, 0)).toBe(new StatisticDiff(tb('f.c', 12), 589824, 589824, 10000, 10000).toString());
    expect(rowText(d, 1)).toBe(new StatisticDiff(tb('g.c', 1), 0, -100, 0, -1).toString());
    expect(rowText(d, 2)).toBe(new StatisticDiff(tb('h.c', 2), 5, 0, 1, 0).toString());
  });

  it('mark new, grown, shrunk, freed and unchanged groups', () => {
    expect(diffStatus(100, 100, 1, 1)).toBe('new');
    expect(diffStatus(150, 50, 3, 1)).toBe('grown');
    expect(diffStatus(50, -50, 1, -1)).toBe('shrunk');
    expect(diffStatus(0, -50, 0, -1)).toBe('freed');
    expect(diffStatus(50, 0, 1, 0)).toBe('same');
  });

  it('sort stably, largest first; diff keys by absolute value', () => {
    const t = model([['a', 300, 1], ['b', 200, 4], ['c', 100, 4]]);
    expect([...orderRows(t, 'size')]).toEqual([0, 1, 2]);
    expect([...orderRows(t, 'count')]).toEqual([1, 2, 0]); // b before c: tracemalloc's order breaks the tie
    expect([...orderRows(t, 'average')]).toEqual([0, 1, 2]);
    const d = model([['a', 10, 1, -500, -1], ['b', 400, 9, 400, 9], ['c', 0, 0, -10, -20]], true);
    expect([...orderRows(d, 'sizeDiff')]).toEqual([0, 1, 2]); // compareTo's own order
    expect([...orderRows(d, 'countDiff')]).toEqual([2, 1, 0]);
    expect([...orderRows(d, 'size')]).toEqual([1, 0, 2]);
  });

  it('label files without tracemalloc\'s ":0"', () => {
    expect(rowLabel({ ...model([['leak.wasm:0', 1, 1]]), keyType: 'filename' }, 0)).toBe('leak.wasm');
  });
});

describe('orderRows without a comparator', () => {
  it('gives the stable descending order of a comparator sort, for every sort key, on random rows with ties', () => {
    let seed = 7;
    const r = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let round = 0; round < 50; round++) {
      const n = r(300);
      const compare = round % 2 === 1;
      const t: TableModel = {
        keyType: 'lineno',
        cumulative: false,
        compare,
        keys: { text: '', ends: new Uint32Array(n) },
        size: Float64Array.from({ length: n }, () => 8 * r(5)),
        count: Float64Array.from({ length: n }, () => r(4)),
        total: { size: 0, count: 0 },
        ms: 0,
      };
      if (compare) {
        t.sizeDiff = Float64Array.from({ length: n }, () => 8 * (r(7) - 3));
        t.countDiff = Float64Array.from({ length: n }, () => r(5) - 2);
      }
      const value: Record<string, (i: number) => number> = {
        size: (i) => t.size[i],
        count: (i) => t.count[i],
        average: (i) => (t.count[i] > 0 ? t.size[i] / t.count[i] : 0),
        sizeDiff: (i) => (compare ? Math.abs(t.sizeDiff![i]) : t.size[i]),
        countDiff: (i) => (compare ? Math.abs(t.countDiff![i]) : t.count[i]),
      };
      for (const sort of ['size', 'count', 'average', 'sizeDiff', 'countDiff'] as const) {
        // tracemalloc's order is the rows' own order when the table is sorted by its primary key
        const own = (compare && sort === 'sizeDiff') || (!compare && sort === 'size');
        const expected = Array.from({ length: n }, (_, i) => i).sort((a, b) => (own ? 0 : value[sort](b) - value[sort](a)) || a - b);
        expect([...orderRows(t, sort)], `round ${round} ${sort}`).toEqual(expected);
      }
    }
  });
});

describe('orderRows on wide keys', () => {
  it('orders sizes up to 2^45, fractional averages and (never produced, but handled) negative and -0 keys like a comparator sort', () => {
    let seed = 11;
    const r = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const n = 5000;
    const size = Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 4096 : Math.floor(r() ** 4 * 2 ** 45)));
    const count = Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 3 : 1 + Math.floor(r() * 100_000)));
    const t: TableModel = { keyType: 'traceback', cumulative: false, compare: false, keys: { text: '', ends: new Uint32Array(n) }, size, count, total: { size: 0, count: 0 }, ms: 0 };
    const expect_ = (values: (i: number) => number) => Array.from({ length: n }, (_, i) => i).sort((a, b) => values(b) - values(a) || a - b);
    expect([...orderRows(t, 'count')]).toEqual(expect_((i) => count[i]));
    expect([...orderRows(t, 'average')]).toEqual(expect_((i) => size[i] / count[i]));
    const d: TableModel = { ...t, compare: true, size: Float64Array.from(size, (x, i) => (i % 3 === 0 ? -x : i % 11 === 0 ? -0 : x)), sizeDiff: new Float64Array(n), countDiff: new Float64Array(n) };
    expect([...orderRows(d, 'size')]).toEqual(expect_((i) => d.size[i]));
  });
});

describe('packed strings', () => {
  it('store repeated strings once and read back every string, in order', () => {
    const repeated = Array.from({ length: 1000 }, (_, i) => `f${i % 7}.c:${i % 3}`);
    const p = packStrings(repeated);
    expect(p.ids).toBeDefined();
    expect(p.ends.length).toBe(21);
    expect(unpackStrings(p)).toEqual(repeated);
    expect(packedLength(p)).toBe(1000);
    expect(indexOfString(p, 'f3.c:1')).toBe(repeated.indexOf('f3.c:1'));
    expect(indexOfString(p, 'nope')).toBe(-1);
    const distinct = ['a', 'b', '', 'a←', 'c'];
    const q = packStrings(distinct);
    expect(q.ids).toBeUndefined();
    expect(unpackStrings(q)).toEqual(distinct);
    expect(indexOfString(q, '')).toBe(2);
    expect(stringAt(q, 3)).toBe('a←');
  });
});

describe('packed strings with repeated and unused entries', () => {
  it('find a string used only through its second entry', () => {
    const p = { text: 'a.c:1b.c:2a.c:1', ends: Uint32Array.from([5, 10, 15]), ids: Uint32Array.from([1, 2, 1]) };
    expect(unpackStrings(p)).toEqual(['b.c:2', 'a.c:1', 'b.c:2']);
    expect(indexOfString(p, 'a.c:1')).toBe(1);
    expect(indexOfString(p, 'b.c:2')).toBe(0);
    expect(packedLength(p)).toBe(3);
  });
});

describe('splitLocation', () => {
  it('splits a location where it may be elided: the directory or the module goes first', () => {
    expect(splitLocation('/home/me/src/leak.c:14')).toEqual(['/home/me/src/', 'leak.c:14']);
    expect(splitLocation('sql-wasm-browser-debug.wasm:wasm-function[1234]+0x4f')).toEqual(['sql-wasm-browser-debug.wasm:', 'wasm-function[1234]+0x4f']);
    expect(splitLocation('leak.wasm')).toEqual(['', 'leak.wasm']);
    expect(splitLocation('growth.c:9')).toEqual(['', 'growth.c:9']);
  });
});
