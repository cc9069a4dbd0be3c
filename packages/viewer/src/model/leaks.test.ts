import { describe, expect, it } from 'vitest';
import { leakSuspects, type SiteSizes } from './leaks.js';

/** A table by site from [key, bytes, blocks] rows. */
const table = (rows: Array<[string, number, number]>): SiteSizes => ({
  length: rows.length,
  key: (i) => rows[i][0],
  size: rows.map((r) => r[1]),
  count: rows.map((r) => r[2]),
});

describe('leakSuspects', () => {
  const snapshots = [
    table([
      ['cache.c:9', 8192, 32],
      ['churn.c:20', 4096, 64],
      ['slow.c:3', 32, 1],
    ]),
    table([
      ['cache.c:9', 8192, 32],
      ['leak.c:14', 1024, 16],
      ['slow.c:3', 64, 2],
    ]),
    table([
      ['leak.c:14', 2048, 32],
      ['cache.c:9', 8192, 32],
      ['churn.c:20', 4096, 64],
      ['slow.c:3', 96, 3],
    ]),
    table([
      ['leak.c:14', 3072, 48],
      ['cache.c:9', 8192, 32],
      ['slow.c:3', 128, 4],
    ]),
  ];

  it('ranks the sites that grew in every interval by growth, with their sizes at each snapshot; flat, churning and freed sites are not suspects', () => {
    const r = leakSuspects(snapshots);
    expect(r).toEqual({
      snapshots: 4,
      sites: 3,
      total: 2,
      suspects: [
        // Absent from the first snapshot: it held 0 bytes there.
        { key: 'leak.c:14', row: 0, sizes: [0, 1024, 2048, 3072], counts: [0, 16, 32, 48], growth: 3072 },
        { key: 'slow.c:3', row: 2, sizes: [32, 64, 96, 128], counts: [1, 2, 3, 4], growth: 96 },
      ],
    });
  });

  it('keeps the first `limit` suspects and counts them all; needs three snapshots', () => {
    const r = leakSuspects(snapshots, 1);
    expect(r.suspects.map((s) => s.key)).toEqual(['leak.c:14']);
    expect(r.total).toBe(2);
    expect(() => leakSuspects(snapshots.slice(0, 2))).toThrow('leak suspects need three snapshots or more of one session, not 2');
  });

  it('a site that stayed the same size for one interval is no suspect', () => {
    const flat = [table([['a.c:1', 10, 1]]), table([['a.c:1', 20, 2]]), table([['a.c:1', 20, 2]])];
    expect(leakSuspects(flat).suspects).toEqual([]);
  });
});
