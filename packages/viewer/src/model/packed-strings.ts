/**
 * Many strings as one: the text of each, concatenated, and where each ends.
 * Crossing the Worker boundary, 100,000 separate strings cost 100-250 ms of
 * structured cloning in Chromium; one string and one Uint32Array cost a copy.
 * The page slices out only the strings it shows.
 *
 * Repeated strings are stored once: when fewer than half the strings are
 * distinct (a table by traceback has 50,000 rows but a few thousand distinct
 * most recent frames), `text`/`ends` hold the entries and `ids` gives each
 * string's entry. Entries may be unused or repeated (the analysis sends the
 * model's per-snapshot text tables as they are). Read them with stringAt,
 * never through `text` directly.
 */

export interface PackedStrings {
  text: string;
  /** ends[k] is the end of entry k in `text`; entry k starts at ends[k - 1] (or 0). */
  ends: Uint32Array;
  /** When present, string i is entry ids[i]; else string i is entry i. */
  ids?: Uint32Array;
}

export function packStrings(list: readonly string[]): PackedStrings {
  const entries = new Map<string, number>();
  const ids = new Uint32Array(list.length);
  const distinct: string[] = [];
  for (let i = 0; i < list.length; i++) {
    let id = entries.get(list[i]);
    if (id === undefined) {
      id = distinct.length;
      entries.set(list[i], id);
      distinct.push(list[i]);
    }
    ids[i] = id;
  }
  const shared = distinct.length * 2 <= list.length;
  const stored = shared ? distinct : list;
  const ends = new Uint32Array(stored.length);
  let at = 0;
  for (let i = 0; i < stored.length; i++) ends[i] = at += stored[i].length;
  return shared ? { text: stored.join(''), ends, ids } : { text: stored.join(''), ends };
}

/** Number of strings. */
export function packedLength(p: PackedStrings): number {
  return (p.ids ?? p.ends).length;
}

export function stringAt(p: PackedStrings, i: number): string {
  const k = p.ids === undefined ? i : p.ids[i];
  return p.text.slice(k > 0 ? p.ends[k - 1] : 0, p.ends[k]);
}

export function unpackStrings(p: PackedStrings): string[] {
  return Array.from({ length: packedLength(p) }, (_, i) => stringAt(p, i));
}

/** Index of the first string equal to `s`, or -1. */
export function indexOfString(p: PackedStrings, s: string): number {
  // The entries equal to `s` (with `ids`, several entries may hold one text).
  const equal: number[] = [];
  let start = 0;
  for (let k = 0; k < p.ends.length; k++) {
    const end = p.ends[k];
    if (end - start === s.length && p.text.startsWith(s, start)) {
      if (p.ids === undefined) return k;
      equal.push(k);
    }
    start = end;
  }
  if (p.ids === undefined || equal.length === 0) return -1;
  // A table by traceback of a diff holds each text twice (one entry per snapshot's table).
  for (let i = 0; i < p.ids.length; i++) if (equal.includes(p.ids[i])) return i;
  return -1;
}

