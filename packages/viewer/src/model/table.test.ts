import { describe, expect, it } from 'vitest';
import { Frame, Statistic, StatisticDiff, Traceback } from '@wasm-tracemalloc/runtime/model';
import { packStrings } from './packed-strings.js';
import { diffStatus, orderRows, rowLabel, rowText, type TableModel } from './table.js';

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
