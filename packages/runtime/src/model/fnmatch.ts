/**
 * Shell-style filename patterns with the semantics of Python's `fnmatch.fnmatchcase`
 * (what `tracemalloc.Filter` uses on POSIX: case-sensitive, no separator rules):
 *
 *   *       any run of characters, "/" and newlines included
 *   ?       one character (one code point)
 *   [seq]   one character in seq, with ranges: [a-z_]
 *   [!seq]  one character not in seq
 *
 * There is no escape character: "[*]" matches "*", "[[]" matches "[", and a "["
 * without a closing "]" is literal. Like CPython 3.11, "]" first in a set is a
 * member ("[]]", "[!]]"), "-" first or last is literal, and a reversed range such as
 * "[z-a]" is dropped, so a set left empty never matches.
 *
 * Translation, like CPython's: "*a*b?c" becomes ^(?:(?=(.*?a))\1.*b.c)$ (flags su).
 * Each "*" that is followed by another "*" later takes the shortest prefix up to its
 * fixed piece and never gives it back (the lookahead plus backreference emulates
 * Python's atomic group), so matching stays linear instead of backtracking
 * exponentially on patterns like "*a*a*a*a*b".
 */

const STAR = Symbol('*');
type Piece = typeof STAR | string; // a regex source matching exactly one character

/** A RegExp that matches a whole name against `pattern`. */
export function fnmatchToRegExp(pattern: string): RegExp {
  const pieces = parse(Array.from(pattern));
  let source = '';
  let group = 0;
  let i = 0;
  while (i < pieces.length && pieces[i] !== STAR) source += pieces[i++] as string;
  while (i < pieces.length) {
    i++; // the star
    let fixed = '';
    while (i < pieces.length && pieces[i] !== STAR) fixed += pieces[i++] as string;
    if (i === pieces.length) {
      source += `.*${fixed}`;
    } else {
      group++;
      source += `(?=(.*?${fixed}))\\${group}`;
    }
  }
  return new RegExp(`^(?:${source})$`, 'su');
}

/** True when all of `name` matches `pattern` (compiles the pattern on each call). */
export function fnmatch(name: string, pattern: string): boolean {
  return fnmatchToRegExp(pattern).test(name);
}

function parse(pat: string[]): Piece[] {
  const pieces: Piece[] = [];
  const n = pat.length;
  let i = 0;
  while (i < n) {
    const c = pat[i++];
    if (c === '*') {
      if (pieces[pieces.length - 1] !== STAR) pieces.push(STAR);
    } else if (c === '?') {
      pieces.push('.');
    } else if (c === '[') {
      let j = i;
      if (j < n && pat[j] === '!') j++;
      if (j < n && pat[j] === ']') j++;
      while (j < n && pat[j] !== ']') j++;
      if (j >= n) {
        pieces.push(literal('['));
      } else {
        pieces.push(charSet(pat.slice(i, j)));
        i = j + 1;
      }
    } else {
      pieces.push(literal(c));
    }
  }
  return pieces;
}

/**
 * The body of "[...]" (without brackets) as a regex matching one character.
 * Splits it into chunks at range hyphens as CPython does: a hyphen is a range only
 * after the first member, and the end of a range cannot start another one
 * ("[a-c-e]" is a-c, "-" and "e"). Reversed ranges are removed with both ends.
 */
function charSet(body: string[]): string {
  const negated = body[0] === '!';
  const chunks: string[][] = [];
  let start = 0;
  let k = negated ? 2 : 1;
  for (;;) {
    k = body.indexOf('-', k);
    if (k < 0) break;
    chunks.push(body.slice(start, k));
    start = k + 1;
    k += 3;
  }
  const last = body.slice(start);
  if (last.length > 0 || chunks.length === 0) chunks.push(last);
  else chunks[chunks.length - 1].push('-');
  for (let m = chunks.length - 1; m > 0; m--) {
    const before = chunks[m - 1];
    if (codePoint(before[before.length - 1]) > codePoint(chunks[m][0])) {
      chunks[m - 1] = [...before.slice(0, -1), ...chunks[m].slice(1)];
      chunks.splice(m, 1);
    }
  }
  // Chunk m's last member and chunk m+1's first member are the ends of a range.
  if (negated) chunks[0] = chunks[0].slice(1);
  let members = '';
  let rangeEnd = false; // the first member of this chunk already ended a range
  for (let m = 0; m < chunks.length; m++) {
    const chunk = chunks[m];
    const rangeStart: boolean = m < chunks.length - 1 && chunk.length > (rangeEnd ? 1 : 0);
    const from = rangeEnd ? 1 : 0;
    const to = rangeStart ? chunk.length - 1 : chunk.length;
    for (let x = from; x < to; x++) members += literal(chunk[x]);
    if (rangeStart) members += `${literal(chunk[chunk.length - 1])}-${literal(chunks[m + 1][0])}`;
    else if (m < chunks.length - 1) members += literal('-'); // nothing left to start the range: "-" is literal, as re reads "[^-x]"
    rangeEnd = rangeStart;
  }
  if (members === '') return negated ? '.' : '(?!)';
  return `[${negated ? '^' : ''}${members}]`;
}

function codePoint(c: string): number {
  return c.codePointAt(0)!;
}

/** One code point, escaped so that it means itself inside or outside a class. */
function literal(c: string): string {
  return `\\u{${codePoint(c).toString(16)}}`;
}
