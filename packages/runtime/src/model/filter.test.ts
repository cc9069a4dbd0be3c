import { describe, expect, it } from 'vitest';
import { DomainFilter, Filter, type FrameLike } from './filter.js';
import { Frame } from './frame.js';
import { Trace } from './trace.js';
import { Traceback } from './traceback.js';

// CPython test_filter_match_trace writes tracebacks most recent first; ours run
// oldest -> most recent, so each tuple is reversed here.
const tb = (...recentFirst: Array<[string, number]>): FrameLike[] => recentFirst.map(([filename, lineno]) => ({ filename, lineno })).reverse();

describe('Filter', () => {
  it('has Python defaults and keeps its arguments', () => {
    const f = new Filter(true, 'abc');
    expect([f.inclusive, f.filenamePattern, f.lineno, f.allFrames, f.domain]).toEqual([true, 'abc', null, false, null]);
    const g = new Filter(false, 'test.py', 123, true, 2);
    expect([g.inclusive, g.filenamePattern, g.lineno, g.allFrames, g.domain]).toEqual([false, 'test.py', 123, true, 2]);
  });

  it('matches frames like CPython test_filter_match', () => {
    const verdicts = (f: Filter): string =>
      [
        ['abc', 0],
        ['abc', 5],
        ['abc', 10],
        ['12356', 0],
        ['12356', 5],
        ['12356', 10],
      ]
        .map(([file, line]) => (f.matchFrame(file as string, line as number) ? 1 : 0))
        .join('');
    expect(verdicts(new Filter(true, 'abc'))).toBe('111000');
    expect(verdicts(new Filter(false, 'abc'))).toBe('000111');
    expect(verdicts(new Filter(true, 'abc', 5))).toBe('010000');
    expect(verdicts(new Filter(false, 'abc', 5))).toBe('101111');
    expect(verdicts(new Filter(true, 'abc', 0))).toBe('100000');
    expect(verdicts(new Filter(false, 'abc', 0))).toBe('011111');
  });

  it('matches filenames like CPython test_filter_match_filename', () => {
    expect(new Filter(true, 'abc').matchFrame('abc', 0)).toBe(true);
    expect(new Filter(true, 'abc').matchFrame('12356', 0)).toBe(false);
    expect(new Filter(true, 'abc').matchFrame('<unknown>', 0)).toBe(false);
    expect(new Filter(false, 'abc').matchFrame('abc', 0)).toBe(false);
    expect(new Filter(false, 'abc').matchFrame('12356', 0)).toBe(true);
    expect(new Filter(false, 'abc').matchFrame('<unknown>', 0)).toBe(true);
  });

  it('matches tracebacks like CPython test_filter_match_trace', () => {
    const t1 = tb(['a.py', 2], ['b.py', 3]);
    const t2 = tb(['b.py', 4], ['b.py', 5]);
    const t3 = tb(['c.py', 5], ['<unknown>', 0]);
    const unknown = tb(['<unknown>', 0]);
    const verdicts = (f: Filter): string => [t1, t2, t3, unknown].map((t) => (f.matchTraceback(t) ? 1 : 0)).join('');
    expect(verdicts(new Filter(true, 'b.py', null, true))).toBe('1100');
    expect(verdicts(new Filter(true, 'b.py', null, false))).toBe('0100');
    expect(verdicts(new Filter(false, 'b.py', null, true))).toBe('0011');
    expect(verdicts(new Filter(false, 'b.py', null, false))).toBe('1011');
    expect(verdicts(new Filter(false, '<unknown>', null, false))).toBe('1110');
    expect(verdicts(new Filter(true, '<unknown>', null, true))).toBe('0011');
    expect(verdicts(new Filter(false, '<unknown>', null, true))).toBe('1100');
  });

  it('reads an empty traceback as <unknown>:0 and accepts Traceback objects', () => {
    expect(new Filter(true, '<unknown>', 0).matchTraceback([])).toBe(true);
    const traceback = new Traceback([new Frame('main.c', 30), new Frame('leak.c', 14)]);
    expect(new Filter(true, 'leak.c', 14).matchTraceback(traceback)).toBe(true);
    expect(new Filter(true, 'main.c').matchTraceback(traceback)).toBe(false);
    expect(new Filter(true, 'main.c', 30, true).matchTraceback(traceback)).toBe(true);
    expect(new Filter(true, 'main.c', 31, true).matchTraceback(traceback)).toBe(false);
  });

  it('combines traceback and domain like Python _match (every combination)', () => {
    const inLeak = (domain: number): Trace => new Trace(domain, 1, new Traceback([new Frame('leak.c', 14)]));
    const elsewhere = (domain: number): Trace => new Trace(domain, 1, new Traceback([new Frame('main.c', 3)]));
    const verdicts = (f: Filter): string => [inLeak(1), inLeak(2), elsewhere(1), elsewhere(2)].map((t) => (f.match(t) ? 1 : 0)).join('');
    expect(verdicts(new Filter(true, 'leak.c'))).toBe('1100');
    expect(verdicts(new Filter(false, 'leak.c'))).toBe('0011');
    expect(verdicts(new Filter(true, 'leak.c', null, false, 1))).toBe('1000'); // this file, in domain 1
    expect(verdicts(new Filter(false, 'leak.c', null, false, 1))).toBe('0111'); // drop this file in domain 1 only
    expect(verdicts(new Filter(true, 'leak.c', 14, true, 2))).toBe('0100');
    expect(verdicts(new Filter(false, 'leak.c', 15, true, 2))).toBe('1111');
  });

  it('is case-sensitive and uses fnmatch patterns', () => {
    expect(new Filter(true, '*.c').matchFrame('src/leak.c', 1)).toBe(true);
    expect(new Filter(true, '*.c').matchFrame('src/leak.C', 1)).toBe(false);
    expect(new Filter(true, 'libc/[a-m]*').matchFrame('libc/malloc.c', 1)).toBe(true);
    expect(new Filter(true, 'libc/[!a-m]*').matchFrame('libc/malloc.c', 1)).toBe(false);
    expect(new Filter(true, 'a?c').matchFrame('abc', 1)).toBe(true);
  });

  it('rejects a pattern that is not a string', () => {
    expect(() => new Filter(true, 3 as unknown as string)).toThrow(TypeError);
  });
});

describe('DomainFilter', () => {
  it('keeps or drops one domain like CPython', () => {
    const at = (domain: number): Trace => new Trace(domain, 7, new Traceback([]));
    expect(new DomainFilter(true, 3).match(at(3))).toBe(true);
    expect(new DomainFilter(true, 3).match(at(2))).toBe(false);
    expect(new DomainFilter(false, 3).match(at(3))).toBe(false);
    expect(new DomainFilter(false, 3).match(at(2))).toBe(true);
    expect(new DomainFilter(false, 3).domain).toBe(3);
  });
});
