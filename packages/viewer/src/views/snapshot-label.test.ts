import { describe, expect, it } from 'vitest';
import { snapshotLabels, type SnapshotFacts } from './snapshot-label.js';
import { formatTime } from './format.js';

const T = Date.UTC(2026, 11, 7, 20, 40, 49);
const file = (name: string, timestamp: number | undefined, size = 1024): SnapshotFacts => ({ name, timestamp, size, samplingIntervalBytes: 0 });
const live = (id: number, timestamp: number, cause: number | 'app' = 1): SnapshotFacts => ({
  live: { id, tab: 'p1', name: 'demo', timestamp, current: 82_842, cause },
  // What the file itself says: the server's info wins, as the live page shows it.
  name: `demo-${id}.wtmsnap`,
  timestamp: timestamp - 3,
  size: 1,
  samplingIntervalBytes: 0,
});

describe('snapshotLabels', () => {
  it('numbers files in time order, with their name, time and size', () => {
    const labels = snapshotLabels([file('before.wtmsnap', T), file('after.wtmsnap', T + 1000, 20_480), file('old.wtmsnap', undefined, 10)]);
    expect(labels.map((l) => l.text)).toEqual([`#1 · before.wtmsnap · ${formatTime(T)} · 1024 B`, `#2 · after.wtmsnap · ${formatTime(T + 1000)} · 20.0 KiB`, '#3 · old.wtmsnap · 10 B']);
    expect(formatTime(T)).toMatch(/^\d\d:\d\d:\d\d$/);
  });

  it("gives the dev server's snapshots its number, name, time and size, and files beside them an L", () => {
    const labels = snapshotLabels([file('mine.wtmsnap', T - 5000), live(6, T), live(7, T + 1000, 'app'), file('later.wtmsnap', T + 2000)]);
    expect(labels.map((l) => l.ref)).toEqual(['#L1', '#6', '#7', '#L2']);
    expect(labels[1].text).toBe(`#6 · demo · ${formatTime(T)} · 80.9 KiB`);
    expect(labels[2].name).toBe('demo · takeSnapshot()');
  });

  it('says when a size is an estimate', () => {
    const [sampled] = snapshotLabels([{ ...file('s.wtmsnap', T, 40_960), samplingIntervalBytes: 256 }]);
    expect(sampled.size).toBe('≈40.0 KiB (sampled)');
    const [server] = snapshotLabels([{ ...live(2, T), live: { ...live(2, T).live!, samplingIntervalBytes: 256 } }]);
    expect(server.size).toBe('≈80.9 KiB (sampled)');
  });
});
