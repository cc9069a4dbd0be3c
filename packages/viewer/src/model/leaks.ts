/**
 * Leak suspects: across three or more snapshots of one session, in time order,
 * the sites whose live size grew in every interval, the signal a person looks
 * for by diffing each pair by hand. A site that is freed in between, or that
 * only grew once, is churn or a cache, not a steady leak.
 *
 *   sizes by snapshot        1      2      3      4      grew in every interval?
 *   leak.c:14              1 KiB  2 KiB  3 KiB  4 KiB    yes: +3 KiB
 *   cache.c:9              0      8 KiB  8 KiB  8 KiB    no (flat after the first)
 *   churn.c:20             4 KiB  0      4 KiB  0        no
 *
 * Suspects are ranked by how much they grew from the first snapshot to the last.
 */

/** One snapshot's table by site: the key text and live bytes and blocks of each row. */
export interface SiteSizes {
  length: number;
  key(i: number): string;
  size: ArrayLike<number>;
  count: ArrayLike<number>;
}

export interface LeakSuspect {
  /** The site as tracemalloc prints it (`leak.c:14`). */
  key: string;
  /** Its row in the last snapshot's table (to explain it). */
  row: number;
  /** The function of the site's frame, when the analysis knows it. */
  function?: string;
  /** Live bytes and blocks at each snapshot, oldest first. */
  sizes: number[];
  counts: number[];
  /** Bytes gained from the first snapshot to the last. */
  growth: number;
}

export interface LeakModel {
  /** How many snapshots the suspects are judged over. */
  snapshots: number;
  /** Sites seen in the last snapshot, for the note ("3 of 120 sites"). */
  sites: number;
  /** The sites that grew in every interval, largest growth first (at most `limit`). */
  suspects: LeakSuspect[];
  /** Suspects before the limit. */
  total: number;
  ms: number;
}

export const LEAK_LIMIT = 200;

/** The suspects of `tables` (one per snapshot, oldest first; three or more). */
export function leakSuspects(tables: readonly SiteSizes[], limit = LEAK_LIMIT): Omit<LeakModel, 'ms'> {
  if (tables.length < 3) throw new RangeError(`leak suspects need three snapshots or more of one session, not ${tables.length}`);
  const last = tables[tables.length - 1];
  // Key -> row of each earlier snapshot: a site missing there had 0 bytes.
  const earlier = tables.slice(0, -1).map((t) => {
    const rows = new Map<string, number>();
    for (let i = 0; i < t.length; i++) rows.set(t.key(i), i);
    return rows;
  });
  const suspects: LeakSuspect[] = [];
  const n = tables.length;
  for (let i = 0; i < last.length; i++) {
    const key = last.key(i);
    const sizes = new Array<number>(n);
    const counts = new Array<number>(n);
    sizes[n - 1] = last.size[i];
    counts[n - 1] = last.count[i];
    let growing = true;
    for (let k = n - 2; k >= 0 && growing; k--) {
      const row = earlier[k].get(key);
      sizes[k] = row === undefined ? 0 : tables[k].size[row];
      counts[k] = row === undefined ? 0 : tables[k].count[row];
      growing = sizes[k] < sizes[k + 1];
    }
    if (growing) suspects.push({ key, row: i, sizes, counts, growth: sizes[n - 1] - sizes[0] });
  }
  // Ties (equal growth) keep the last table's order: larger first, as tracemalloc.
  suspects.sort((a, b) => b.growth - a.growth || a.row - b.row);
  return { snapshots: n, sites: last.length, suspects: suspects.slice(0, limit), total: suspects.length };
}
