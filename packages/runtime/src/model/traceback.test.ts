import { describe, expect, it } from 'vitest';
import { Frame } from './frame.js';
import { Traceback } from './traceback.js';

// CPython test_tracemalloc's first trace: raw frames (most recent first)
// (('a.py', 2), ('b.py', 4)) become the Traceback [b.py:4, a.py:2].
const ab = new Traceback([new Frame('b.py', 4), new Frame('a.py', 2)], 3);
const getline = (filename: string, lineno: number): string => `  <${filename}, ${lineno}>`;

describe('Traceback', () => {
  it('keeps frames oldest -> most recent and the depth before truncation', () => {
    expect(ab.frames.map(String)).toEqual(['b.py:4', 'a.py:2']);
    expect(ab.length).toBe(2);
    expect(ab.totalNframe).toBe(3);
    expect([...ab].map(String)).toEqual(['b.py:4', 'a.py:2']);
  });

  it('prints its most recent frame', () => {
    expect(String(ab)).toBe('a.py:2');
    expect(String(ab.mostRecent)).toBe('a.py:2');
  });

  it('is never empty: the fallback frame is <unknown>:0', () => {
    const empty = new Traceback([]);
    expect(empty.length).toBe(1);
    expect(String(empty)).toBe('<unknown>:0');
    expect(empty.totalNframe).toBe(1);
    expect(new Traceback([], 0).totalNframe).toBe(0);
  });

  it('formats exactly like CPython test_format_traceback', () => {
    expect(ab.format(null, false, getline)).toEqual(['  File "b.py", line 4', '    <b.py, 4>', '  File "a.py", line 2', '    <a.py, 2>']);
    expect(ab.format(1, false, getline)).toEqual(['  File "a.py", line 2', '    <a.py, 2>']);
    expect(ab.format(-1, false, getline)).toEqual(['  File "b.py", line 4', '    <b.py, 4>']);
    expect(ab.format(null, true, getline)).toEqual(['  File "a.py", line 2', '    <a.py, 2>', '  File "b.py", line 4', '    <b.py, 4>']);
    expect(ab.format(1, true, getline)).toEqual(['  File "a.py", line 2', '    <a.py, 2>']);
    expect(ab.format(-1, true, getline)).toEqual(['  File "b.py", line 4', '    <b.py, 4>']);
  });

  it('applies limits like CPython 3.11 on a 5-frame traceback', () => {
    const tb = new Traceback(['a', 'b', 'c', 'd', 'e'].map((f, i) => new Frame(`${f}.py`, i + 1)));
    const files = (lines: string[]): string => lines.map((l) => l.slice(8, 9)).join('');
    expect(files(tb.format())).toBe('abcde');
    expect(files(tb.format(0))).toBe('');
    expect(files(tb.format(1))).toBe('e');
    expect(files(tb.format(2))).toBe('de');
    expect(files(tb.format(2, true))).toBe('ed');
    expect(files(tb.format(6))).toBe('abcde');
    expect(files(tb.format(-1))).toBe('abcd');
    expect(files(tb.format(-2))).toBe('abc');
    expect(files(tb.format(-2, true))).toBe('cba');
    expect(files(tb.format(-5))).toBe('');
    expect(files(tb.format(-6))).toBe('');
    expect(() => tb.format(1.5)).toThrow(TypeError);
  });

  it('prints no source line when getLine has none, and strips the one it has', () => {
    expect(ab.format()).toEqual(['  File "b.py", line 4', '  File "a.py", line 2']);
    expect(ab.format(null, false, () => '   \t  ')).toEqual(['  File "b.py", line 4', '  File "a.py", line 2']);
    expect(ab.format(1, false, () => '\t  p = malloc(100);  \n')).toEqual(['  File "a.py", line 2', '    p = malloc(100);']);
  });

  it('prints the source line a frame carries when no getLine is given; getLine overrides it', () => {
    const tb = new Traceback([
      new Frame('/src/leak_rs.rs', 30, 'leak_rs::leak_boxes', undefined, '  let b = Box::new([0u8; 100]); '),
      new Frame('/usr/src/alloc.rs', 89, 'alloc::alloc::alloc'),
      new Frame('leak.wasm', 0, 'finish_grow', 0x40, 'never printed: no line'),
    ]);
    expect(tb.format()).toEqual([
      '  File "/src/leak_rs.rs", line 30',
      '    let b = Box::new([0u8; 100]);',
      '  File "/usr/src/alloc.rs", line 89',
      '  File "leak.wasm", offset 0x40, in finish_grow',
    ]);
    expect(tb.format(2, true)).toEqual(['  File "leak.wasm", offset 0x40, in finish_grow', '  File "/usr/src/alloc.rs", line 89']);
    expect(tb.format(null, false, () => undefined)).toEqual(['  File "/src/leak_rs.rs", line 30', '  File "/usr/src/alloc.rs", line 89', '  File "leak.wasm", offset 0x40, in finish_grow']);
    expect(tb.format(1, false, () => 'x')).toEqual(['  File "leak.wasm", offset 0x40, in finish_grow']);
  });

  it('prints Wasm frames without a line as offset and function', () => {
    const seen: Array<[string, number]> = [];
    const tb = new Traceback([new Frame('leak.wasm', 0, 'main', 0x40), new Frame('leak.wasm', 0, 'make_nodes', 0x1a2), new Frame('leak.wasm', 0, undefined, 0x7)]);
    expect(tb.format(null, false, (f, l) => (seen.push([f, l]), 'x'))).toEqual([
      '  File "leak.wasm", offset 0x40, in main',
      '  File "leak.wasm", offset 0x1a2, in make_nodes',
      '  File "leak.wasm", offset 0x7',
    ]);
    expect(seen).toEqual([]);
    expect(new Traceback([]).format(null, false, getline)).toEqual(['  File "<unknown>", line 0']);
  });

  it('compares like Python tuples of frames, ignoring totalNframe for equality', () => {
    const a2 = new Traceback([new Frame('a.py', 2)]);
    const a2b = new Traceback([new Frame('a.py', 2), new Frame('b.py', 1)]);
    const b1 = new Traceback([new Frame('b.py', 1)]);
    expect([b1, a2b, a2].sort(Traceback.compare).map((t) => t.frames.map(String).join('>'))).toEqual(['a.py:2', 'a.py:2>b.py:1', 'b.py:1']);
    expect(new Traceback([new Frame('a.py', 2)], 7).equals(a2)).toBe(true);
    expect(a2b.equals(a2)).toBe(false);
    expect(Traceback.compare(new Traceback([new Frame('a.py', 2)], 9), a2)).toBe(0);
  });
});
