import { describe, expect, it } from 'vitest';
import { fnmatch, fnmatchToRegExp } from './fnmatch.js';

describe('fnmatch', () => {
  it('matches the cases of CPython test_filter_match_filename_joker (POSIX)', () => {
    expect(fnmatch('abc', '')).toBe(false);
    expect(fnmatch('', 'abc')).toBe(false);
    expect(fnmatch('', '')).toBe(true);
    expect(fnmatch('', '*')).toBe(true);
    expect(fnmatch('abc', 'abc')).toBe(true);
    expect(fnmatch('abc', 'abcd')).toBe(false);
    expect(fnmatch('abc', 'def')).toBe(false);
    expect(fnmatch('abc', 'a*')).toBe(true);
    expect(fnmatch('abc', 'abc*')).toBe(true);
    expect(fnmatch('abc', 'b*')).toBe(false);
    expect(fnmatch('abc', 'abcd*')).toBe(false);
    expect(fnmatch('abc', 'a*c')).toBe(true);
    expect(fnmatch('abcdcx', 'a*cx')).toBe(true);
    expect(fnmatch('abb', 'a*c')).toBe(false);
    expect(fnmatch('abcdce', 'a*cx')).toBe(false);
    expect(fnmatch('abcde', 'a*c*e')).toBe(true);
    expect(fnmatch('abcbdefeg', 'a*bd*eg')).toBe(true);
    expect(fnmatch('abcdd', 'a*c*e')).toBe(false);
    expect(fnmatch('abcbdefef', 'a*bd*eg')).toBe(false);
    // case sensitive, no alternate separator
    expect(fnmatch('aBC', 'ABc')).toBe(false);
    expect(fnmatch('aBcDe', 'Ab*dE')).toBe(false);
    expect(fnmatch('a/b', 'a\\b')).toBe(false);
    expect(fnmatch('a\\b', 'a/b')).toBe(false);
  });

  it('treats regex syntax in patterns and names as plain characters', () => {
    expect(fnmatch('a.c', 'a.c')).toBe(true);
    expect(fnmatch('abc', 'a.c')).toBe(false);
    expect(fnmatch('(x)+$', '(x)+$')).toBe(true);
    expect(fnmatch('\\1', '\\1')).toBe(true);
    expect(fnmatch('</script>', '<*>')).toBe(true);
    expect(fnmatch('a\u0000b', 'a?b')).toBe(true);
  });

  it('stays fast on patterns that backtrack exponentially in a naive regex', () => {
    const name = 'a'.repeat(60);
    const started = performance.now();
    expect(fnmatch(name, '*a*a*a*a*a*a*a*a*a*a*b')).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('compiles to an anchored unicode RegExp', () => {
    const re = fnmatchToRegExp('*.c');
    expect(re.flags).toBe('su');
    expect(re.test('src/leak.c')).toBe(true);
    expect(re.test('src/leak.cc')).toBe(false);
  });

  it('agrees with CPython 3.11 fnmatchcase on 57 patterns x 39 names', () => {
    for (const [pattern, expected] of Object.entries(PYTHON.cases)) {
      const got = PYTHON.names.map((name) => (fnmatch(name, pattern) ? '1' : '0')).join('');
      expect([pattern, got]).toEqual([pattern, expected]);
    }
  });
});

// fnmatch.fnmatchcase(name, pattern) per name, '1' for a match; printed by CPython 3.11.7.
const PYTHON: { names: string[]; cases: Record<string, string> } = {
  "names": [
    "",
    "a",
    "b",
    "c",
    "x",
    "ax",
    "bx",
    "dx",
    "-",
    "^",
    "]",
    "!",
    "[",
    "\\",
    "&",
    "abc",
    "abbc",
    "a]",
    "[a",
    "a[",
    "z",
    "e",
    "d",
    "?",
    "\n",
    "a\nb",
    "\u00e9",
    "\ud83d\udca5",
    "*",
    "a*",
    "[!]",
    "[]",
    "a/b",
    "a\\b",
    "aBC",
    "leak.c",
    "src/leak.c",
    "/usr/lib/libc.so",
    "x.wasm"
  ],
  "cases": {
    "*": "111111111111111111111111111111111111111",
    "": "100000000000000000000000000000000000000",
    "abc": "000000000000000100000000000000000000000",
    "a*c": "000000000000000110000000000000000000000",
    "*.c": "000000000000000000000000000000000001100",
    "[ab]*": "011001100000000111010000010001001110000",
    "[!ab]*": "000110011111111000101111101110110001111",
    "[a-c]x": "000001100000000000000000000000000000000",
    "[!a-c]x": "000000010000000000000000000000000000000",
    "[]]": "000000000010000000000000000000000000000",
    "[!]]": "011110001101111000001111101110000000000",
    "[^a]": "010000000100000000000000000000000000000",
    "[a": "000000000000000000100000000000000000000",
    "a[": "000000000000000000010000000000000000000",
    "[a-]": "010000001000000000000000000000000000000",
    "[-a]": "010000001000000000000000000000000000000",
    "[--]": "000000001000000000000000000000000000000",
    "[z-a]": "000000000000000000000000000000000000000",
    "[!z-a]": "011110001111111000001111101110000000000",
    "[a-c-e]": "011100001000000000000100000000000000000",
    "[\\]": "000000000000010000000000000000000000000",
    "[!]": "000000000000000000000000000000100000000",
    "?": "011110001111111000001111101110000000000",
    "??": "000001110000000001110000000001010000000",
    "*a*b*c*": "000000000000000110000000000000000000000",
    "[[]": "000000000000100000000000000000000000000",
    "[a&&b]": "011000000000001000000000000000000000000",
    "[b-a-c]": "000100001000000000000000000000000000000",
    "[x-ab-c]": "001100000000000000000000000000000000000",
    "[!x-ab-c]": "010010001111111000001111101110000000000",
    "[!b-a]": "011110001111111000001111101110000000000",
    "[*]": "000000000000000000000000000010000000000",
    "a[*]": "000000000000000000000000000001000000000",
    "[]]*": "000000000010000000000000000000000000000",
    "[!-]": "011110000111111000001111101110000000000",
    "[!a-]": "001110000111111000001111101110000000000",
    "*/*": "000000000000000000000000000000001000110",
    "*.wasm": "000000000000000000000000000000000000001",
    "a*": "010001000000000111010000010001001110000",
    "*a": "010000000000000000100000000000000000000",
    "*a*": "010001000000000111110000010001001111101",
    "**": "111111111111111111111111111111111111111",
    "?*?": "000001110000000111110000010001111111111",
    "[\u00e0-\u00ff]": "000000000000000000000000001000000000000",
    "[\ud83d\udc00-\ud83d\udcff]": "000000000000000000000000000100000000000",
    "[!\ud83d\udc00-\ud83d\udcff]": "011110001111111000001111101010000000000",
    "ABc": "000000000000000000000000000000000000000",
    "Ab*dE": "000000000000000000000000000000000000000",
    "src/*.c": "000000000000000000000000000000000000100",
    "*leak*": "000000000000000000000000000000000001100",
    "a\\b": "000000000000000000000000000000000100000",
    "a/b": "000000000000000000000000000000001000000",
    "[a-c-e-g]": "011100001000000000000100000000000000000",
    "[c-a-e]": "000000001000000000000100000000000000000",
    "[a--]": "000000000000000000000000000000000000000",
    "[!--]": "011110000111111000001111101110000000000",
    "[%-/]": "000000001000001000000000000010000000000"
  }
};
