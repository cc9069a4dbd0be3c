/**
 * Many strings as one: the text of each, concatenated, and where each ends.
 * Crossing the Worker boundary, 100,000 separate strings cost 100-250 ms of
 * structured cloning in Chromium; one string and one Uint32Array cost a copy.
 * The page slices out only the strings it shows.
 */

export interface PackedStrings {
  text: string;
  /** ends[i] is the end of string i in `text`; string i starts at ends[i - 1] (or 0). */
  ends: Uint32Array;
}

export function packStrings(list: readonly string[]): PackedStrings {
  const ends = new Uint32Array(list.length);
  let at = 0;
  for (let i = 0; i < list.length; i++) ends[i] = at += list[i].length;
  return { text: list.join(''), ends };
}

export function stringAt(p: PackedStrings, i: number): string {
  return p.text.slice(i > 0 ? p.ends[i - 1] : 0, p.ends[i]);
}

export function unpackStrings(p: PackedStrings): string[] {
  return Array.from(p.ends, (_, i) => stringAt(p, i));
}

/** Index of the first string equal to `s`, or -1. */
export function indexOfString(p: PackedStrings, s: string): number {
  let start = 0;
  for (let i = 0; i < p.ends.length; i++) {
    const end = p.ends[i];
    if (end - start === s.length && p.text.startsWith(s, start)) return i;
    start = end;
  }
  return -1;
}
