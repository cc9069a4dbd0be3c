import { describe, expect, it } from 'vitest';
import { Frame, UNKNOWN_FRAME, compareCodePoints, frameKey } from './frame.js';

describe('Frame', () => {
  it('prints filename:lineno like Python, and function+offset without a line', () => {
    expect(String(new Frame('leak.c', 14))).toBe('leak.c:14');
    expect(String(new Frame('leak.c', 14, 'make_nodes', 0x1a2))).toBe('leak.c:14');
    expect(String(new Frame('leak.wasm', 0, 'make_nodes', 0x1a2))).toBe('leak.wasm:make_nodes+0x1a2');
    expect(String(new Frame('leak.wasm', 0, undefined, 0x1a2))).toBe('leak.wasm:<unknown>+0x1a2');
    expect(String(new Frame('a.py', 0))).toBe('a.py:0');
    expect(String(UNKNOWN_FRAME)).toBe('<unknown>:0');
  });

  it('omits absent function and offset, so it equals its FrameData', () => {
    expect({ ...Frame.from({ filename: 'a.c', lineno: 3 }) }).toEqual({ filename: 'a.c', lineno: 3 });
    expect('function' in new Frame('a.c', 3)).toBe(false);
    expect('source' in new Frame('a.c', 3)).toBe(false);
  });

  it('carries the source line symbolization found, which is not part of its identity', () => {
    const data = { filename: 'leak.c', lineno: 61, function: 'leak_nodes', source: 'char *p = malloc(NODE_SIZE);' };
    const frame = Frame.from(data);
    expect({ ...frame }).toEqual(data);
    expect(frame.source).toBe('char *p = malloc(NODE_SIZE);');
    expect(frame.equals(new Frame('leak.c', 61))).toBe(true);
    expect(frame.key).toBe(frameKey({ filename: 'leak.c', lineno: 61 }));
    expect(String(frame)).toBe('leak.c:61');
  });

  it('is identified by line when it has one, by function and offset otherwise', () => {
    expect(new Frame('a.c', 3, 'f', 1).equals(new Frame('a.c', 3, 'g', 2))).toBe(true);
    expect(new Frame('a.c', 3).equals(new Frame('a.c', 4))).toBe(false);
    expect(new Frame('a.c', 3).equals(new Frame('b.c', 3))).toBe(false);
    expect(new Frame('m.wasm', 0, 'f', 1).equals(new Frame('m.wasm', 0, 'f', 1))).toBe(true);
    expect(new Frame('m.wasm', 0, 'f', 1).equals(new Frame('m.wasm', 0, 'f', 2))).toBe(false);
    expect(new Frame('m.wasm', 0, 'f', 1).equals(new Frame('m.wasm', 0, 'g', 1))).toBe(false);
    expect(new Frame('m.wasm', 0, '', 1).equals(new Frame('m.wasm', 0, undefined, 1))).toBe(false);
  });

  it('has keys that cannot collide through delimiters in names', () => {
    const keys = [
      frameKey({ filename: 'a;', lineno: 1 }),
      frameKey({ filename: 'a', lineno: 11 }),
      frameKey({ filename: 'a1', lineno: 1 }),
      frameKey({ filename: '1:a', lineno: 1 }),
      frameKey({ filename: 'm', lineno: 0, function: 'f,1', offset: 2 }),
      frameKey({ filename: 'm', lineno: 0, function: 'f', offset: 12 }),
      frameKey({ filename: 'm', lineno: 0, function: '2:f', offset: 1 }),
      frameKey({ filename: 'm\0', lineno: 0 }),
      frameKey({ filename: 'm', lineno: 0 }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    // concatenations stay unambiguous: (a;)(b) vs (a)(;b)
    const ab = frameKey({ filename: 'a;', lineno: 1 }) + frameKey({ filename: 'b', lineno: 1 });
    const ab2 = frameKey({ filename: 'a', lineno: 1 }) + frameKey({ filename: ';b', lineno: 1 });
    expect(ab).not.toBe(ab2);
  });

  it('sorts like Python tuples: filename, lineno, then function and offset', () => {
    const frames = [
      new Frame('b.c', 1),
      new Frame('a.c', 10),
      new Frame('a.c', 9),
      new Frame('m.wasm', 0, 'g', 5),
      new Frame('m.wasm', 0, 'f', 9),
      new Frame('m.wasm', 0, 'f', 0x10),
      new Frame('m.wasm', 0),
      new Frame('a.c', 0),
    ];
    expect(frames.sort(Frame.compare).map(String)).toEqual([
      'a.c:0',
      'a.c:9',
      'a.c:10',
      'b.c:1',
      'm.wasm:0',
      'm.wasm:f+0x9',
      'm.wasm:f+0x10',
      'm.wasm:g+0x5',
    ]);
    expect(Frame.compare(new Frame('a.c', 3, 'f'), new Frame('a.c', 3, 'g'))).toBe(0);
  });
});

describe('compareCodePoints', () => {
  it('orders by code point like Python str, not by UTF-16 unit', () => {
    const astral = '\u{1F4A5}'; // U+1F4A5, surrogate pair d83d dca5
    const bmpHigh = '\uFFFD';
    expect(astral < bmpHigh).toBe(true); // what JS does
    expect(compareCodePoints(astral, bmpHigh)).toBe(1); // what Python does
    expect(compareCodePoints('a', 'b')).toBe(-1);
    expect(compareCodePoints('ab', 'a')).toBe(1);
    expect(compareCodePoints('', '')).toBe(0);
    expect(compareCodePoints('é', 'z')).toBe(1);
  });
});
