import { describe, expect, it } from 'vitest';
import { checkKeyType, groupTraces, totalsPerTraceback, type KeyType } from './group-by.js';
import { SnapshotBuilder } from './snapshot-builder.js';
import { TracebackTable } from './traceback-table.js';

const MAIN = { filename: 'main.c', lineno: 30 };
const F3 = { filename: 'f.c', lineno: 3 };
const F7 = { filename: 'f.c', lineno: 7 };

// 2 blocks of 10 B under main -> f.c:3 -> f.c:7 -> f.c:3 (recursion),
// 1 block of 5 B under main -> f.c:7, and a traceback no block uses.
const builder = new SnapshotBuilder(4).addMany(2, 0, 10, [MAIN, F3, F7, F3]).add(0, 5, [MAIN, F7]);
builder.traceback([{ filename: 'unused.c', lineno: 1 }]);
const data = builder.build();
const table = TracebackTable.of(data);
const totals = totalsPerTraceback(data.traces, table.tracebackCount);

const groups = (keyType: KeyType, cumulative = false): string[] =>
  groupTraces(table, totals, keyType, cumulative).map((g) => `${table.keyTraceback(keyType, g.id).frames.join('>')} ${g.size} ${g.count}`);

describe('totalsPerTraceback', () => {
  it('sums bytes and blocks per traceback index', () => {
    expect(Array.from(totals.size)).toEqual([20, 5, 0]);
    expect(Array.from(totals.count)).toEqual([2, 1, 0]);
  });
});

describe('groupTraces', () => {
  it('groups by the most recent frame, its file, or the whole traceback, skipping empty keys', () => {
    expect(groups('lineno')).toEqual(['f.c:3 20 2', 'f.c:7 5 1']);
    expect(groups('filename')).toEqual(['f.c:0 25 3']);
    expect(groups('traceback')).toEqual(['main.c:30>f.c:3>f.c:7>f.c:3 20 2', 'main.c:30>f.c:7 5 1']);
  });

  it('counts each block once per key in cumulative mode', () => {
    expect(groups('lineno', true)).toEqual(['main.c:30 25 3', 'f.c:3 20 2', 'f.c:7 25 3']);
    expect(groups('filename', true)).toEqual(['main.c:0 25 3', 'f.c:0 25 3']);
  });
});

describe('checkKeyType', () => {
  it('accepts the three key types and rejects the rest like Python', () => {
    for (const k of ['filename', 'lineno', 'traceback']) expect(() => checkKeyType(k, false)).not.toThrow();
    expect(() => checkKeyType('lineno', true)).not.toThrow();
    expect(() => checkKeyType('traceback', true)).toThrow(new RangeError(`cumulative mode cannot be used with key type 'traceback'; use 'filename' or 'lineno'`));
    expect(() => checkKeyType('Lineno', false)).toThrow(new RangeError(`unknown key_type: "Lineno"; use 'filename', 'lineno' or 'traceback'`));
    expect(() => checkKeyType(undefined, false)).toThrow(/unknown key_type: undefined/);
  });
});
