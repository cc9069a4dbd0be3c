/**
 * The column paths (key ids, StatisticTable, key maps across tables, traceback
 * masks, lazy selections, file format version 2) against a straightforward
 * reference written from tracemalloc's definitions: one Trace at a time, keys as
 * strings in Maps, Python's sort orders on Traceback objects. Random snapshots
 * with many ties (small sizes), merged lines, Wasm sites, empty tracebacks,
 * recursion and several domains.
 */

import { describe, expect, it } from 'vitest';
import { DomainFilter, Filter, type TraceFilter } from './filter.js';
import { Frame, UNKNOWN_FRAME } from './frame.js';
import type { KeyType } from './group-by.js';
import { Snapshot } from './snapshot.js';
import type { FrameData, SnapshotData } from './snapshot-data.js';
import { encodeSnapshot } from './snapshot-file.js';
import { Traceback } from './traceback.js';
import { random } from './seeded-random.test-helper.js';

const FILES = ['a.c', 'b.c', 'lib/x.c', 'm.wasm', '<unknown>', 'a.c.h'];

/** Frames that often share a key (same line, other function) and Wasm sites without a line. */
function randomFrames(r: (n: number) => number, n: number): FrameData[] {
  return Array.from({ length: n }, () => {
    const frame: FrameData = { filename: FILES[r(FILES.length)], lineno: r(5) };
    if (r(2)) frame.function = ['f', 'g', 'main'][r(3)];
    if (frame.lineno === 0 && r(4) > 0) frame.offset = r(4) * 16;
    return frame;
  });
}

/**
 * A snapshot; `frames` (and tracebacks) may be given to share them. Sizes are
 * 0-24 bytes (many ties) unless `sizeOf` draws them.
 */
function randomSnapshot(seed: number, shared?: Pick<SnapshotData, 'frames' | 'tracebacks'>, sizeOf?: (r: (n: number) => number) => number): SnapshotData {
  const r = random(seed);
  const frames = shared?.frames ?? randomFrames(r, 1 + r(14));
  const tracebacks =
    shared?.tracebacks ??
    Array.from({ length: 1 + r(25) }, () => {
      const n = r(6);
      const list = Array.from({ length: n }, () => r(frames.length));
      if (n > 2 && r(3) === 0) list[n - 1] = list[0]; // recursion
      return { frames: list, totalNframe: n + r(2) };
    });
  const n = r(300);
  const traces = { domain: new Uint32Array(n), size: new Float64Array(n), traceback: new Uint32Array(n) };
  for (let i = 0; i < n; i++) {
    traces.domain[i] = r(3);
    traces.size[i] = sizeOf === undefined ? 8 * r(4) : sizeOf(r);
    traces.traceback[i] = r(tracebacks.length);
  }
  return { tracebackLimit: 6, frames, tracebacks, traces, domains: [{ id: 0, name: 'app.wasm' }] };
}

// ── the reference ──────────────────────────────────────────────────────────

interface RefTrace {
  domain: number;
  size: number;
  traceback: Traceback;
}

function refTraces(data: SnapshotData): RefTrace[] {
  return Array.from(data.traces.size, (size, i) => {
    const tb = data.tracebacks[data.traces.traceback[i]];
    return { domain: data.traces.domain[i], size, traceback: new Traceback(tb.frames.map((f) => Frame.from(data.frames[f])), tb.totalNframe) };
  });
}

/** Python's key of a frame for a key type. */
function keyOf(frame: Frame, keyType: KeyType): string {
  return keyType === 'filename' ? frame.filename : frame.key;
}

interface RefRow {
  key: string;
  traceback: Traceback;
  size: number;
  count: number;
}

/** Python's Snapshot._group_by, one trace at a time. */
function refGroups(traces: RefTrace[], keyType: KeyType, cumulative: boolean): Map<string, RefRow> {
  const groups = new Map<string, RefRow>();
  const add = (key: string, traceback: Traceback, size: number) => {
    const row = groups.get(key);
    if (row === undefined) groups.set(key, { key, traceback, size, count: 1 });
    else {
      row.size += size;
      row.count++;
    }
  };
  for (const trace of traces) {
    const frames = trace.traceback.frames;
    if (keyType === 'traceback') add(trace.traceback.key, trace.traceback, trace.size);
    else if (!cumulative) add(keyOf(trace.traceback.mostRecent, keyType), keyTraceback(trace.traceback.mostRecent, keyType), trace.size);
    else {
      const seen = new Set<string>();
      for (const frame of frames) {
        const key = keyOf(frame, keyType);
        if (seen.has(key)) continue;
        seen.add(key);
        add(key, keyTraceback(frame, keyType), trace.size);
      }
    }
  }
  return groups;
}

function keyTraceback(frame: Frame, keyType: KeyType): Traceback {
  return new Traceback([keyType === 'filename' ? new Frame(frame.filename, 0) : frame], 1);
}

function refStatistics(traces: RefTrace[], keyType: KeyType, cumulative: boolean): string[] {
  const rows = [...refGroups(traces, keyType, cumulative).values()];
  rows.sort((a, b) => b.size - a.size || b.count - a.count || Traceback.compare(b.traceback, a.traceback));
  return rows.map((row) => `${row.key} ${row.traceback} size=${row.size} count=${row.count}`);
}

function refCompare(now: RefTrace[], old: RefTrace[], keyType: KeyType, cumulative: boolean): string[] {
  const before = refGroups(old, keyType, cumulative);
  const rows: Array<RefRow & { sizeDiff: number; countDiff: number }> = [];
  for (const row of refGroups(now, keyType, cumulative).values()) {
    const b = before.get(row.key);
    before.delete(row.key);
    rows.push({ ...row, sizeDiff: row.size - (b?.size ?? 0), countDiff: row.count - (b?.count ?? 0) });
  }
  for (const b of before.values()) rows.push({ ...b, size: 0, count: 0, sizeDiff: -b.size, countDiff: -b.count });
  rows.sort(
    (a, b) =>
      Math.abs(b.sizeDiff) - Math.abs(a.sizeDiff) ||
      b.size - a.size ||
      Math.abs(b.countDiff) - Math.abs(a.countDiff) ||
      b.count - a.count ||
      Traceback.compare(b.traceback, a.traceback),
  );
  return rows.map((row) => `${row.key} ${row.traceback} size=${row.size} (${row.sizeDiff}) count=${row.count} (${row.countDiff})`);
}

/** Python's Snapshot.filter_traces, one trace at a time. */
function refFilter(traces: RefTrace[], filters: TraceFilter[]): RefTrace[] {
  const include = filters.filter((f) => f.inclusive);
  const exclude = filters.filter((f) => !f.inclusive);
  return traces.filter((t) => (include.length === 0 || include.some((f) => f.match(t))) && exclude.every((f) => f.match(t)));
}

// ── the model, printed like the reference ──────────────────────────────────

function modelStatistics(s: Snapshot, keyType: KeyType, cumulative: boolean): string[] {
  return s.statistics(keyType, cumulative).map((st) => `${keyType === 'filename' ? st.traceback.frames[0].filename : st.traceback.key} ${st.traceback} size=${st.size} count=${st.count}`);
}

function modelCompare(now: Snapshot, old: Snapshot, keyType: KeyType, cumulative: boolean): string[] {
  return now
    .compareTo(old, keyType, cumulative)
    .map((d) => `${keyType === 'filename' ? d.traceback.frames[0].filename : d.traceback.key} ${d.traceback} size=${d.size} (${d.sizeDiff}) count=${d.count} (${d.countDiff})`);
}

const GROUPINGS: Array<[KeyType, boolean]> = [
  ['lineno', false],
  ['filename', false],
  ['traceback', false],
  ['lineno', true],
  ['filename', true],
];

const SEEDS = Array.from({ length: 40 }, (_, i) => 1000 + i);

describe('fast paths give the reference results on random snapshots', () => {
  it('statistics, every key type, cumulative or not', () => {
    for (const seed of SEEDS) {
      const data = randomSnapshot(seed);
      const traces = refTraces(data);
      const snapshot = new Snapshot(data);
      for (const [keyType, cumulative] of GROUPINGS) {
        expect(modelStatistics(snapshot, keyType, cumulative), `seed ${seed} ${keyType} ${cumulative}`).toEqual(refStatistics(traces, keyType, cumulative));
      }
    }
  });

  it('compareTo across snapshots with their own tables (keys matched by key maps)', () => {
    for (const seed of SEEDS) {
      const now = randomSnapshot(seed);
      const old = randomSnapshot(seed + 7777);
      // Half the time, the old snapshot has the new one's frames in another order (other indices).
      const a = new Snapshot(now);
      const b = new Snapshot(old);
      for (const [keyType, cumulative] of GROUPINGS) {
        expect(modelCompare(a, b, keyType, cumulative), `seed ${seed} ${keyType} ${cumulative}`).toEqual(refCompare(refTraces(now), refTraces(old), keyType, cumulative));
        expect(modelCompare(b, a, keyType, cumulative), `seed ${seed} reversed`).toEqual(refCompare(refTraces(old), refTraces(now), keyType, cumulative));
      }
    }
  });

  it('compareTo between snapshots sharing one table, and against a reloaded copy', () => {
    for (const seed of SEEDS) {
      const data = randomSnapshot(seed);
      const other = randomSnapshot(seed + 1, data); // same frames and tracebacks arrays
      const a = new Snapshot(data);
      const b = new Snapshot(other);
      const reloaded = Snapshot.load(a.dump());
      for (const [keyType, cumulative] of GROUPINGS) {
        expect(modelCompare(a, b, keyType, cumulative), `seed ${seed}`).toEqual(refCompare(refTraces(data), refTraces(other), keyType, cumulative));
        expect(modelCompare(reloaded, b, keyType, cumulative), `seed ${seed} reloaded`).toEqual(refCompare(refTraces(data), refTraces(other), keyType, cumulative));
      }
    }
  });

  it('statistics and compareTo with sizes beyond 2^32 (sorted on float bits) and mixed small and large sizes', () => {
    // Whole numbers below 2^32 are radix sorted as integers, others on their
    // float64 bits: each table here mixes both within one column.
    const huge = (r: (n: number) => number) => (r(3) === 0 ? 2 ** 32 * (1 + r(3)) + 8 * r(3) : 8 * r(4));
    for (const seed of SEEDS) {
      const now = randomSnapshot(seed, undefined, huge);
      const old = randomSnapshot(seed + 3333, undefined, huge);
      const a = new Snapshot(now);
      const b = new Snapshot(old);
      for (const [keyType, cumulative] of GROUPINGS) {
        expect(modelStatistics(a, keyType, cumulative), `seed ${seed} ${keyType} ${cumulative}`).toEqual(refStatistics(refTraces(now), keyType, cumulative));
        expect(modelCompare(a, b, keyType, cumulative), `seed ${seed} ${keyType} ${cumulative}`).toEqual(refCompare(refTraces(now), refTraces(old), keyType, cumulative));
      }
    }
  });

  it('compareTo after matchKeys (memory paged in ahead) gives the same rows, and matchKeys counts them', () => {
    for (const seed of SEEDS) {
      const now = randomSnapshot(seed);
      const old = randomSnapshot(seed + 5555);
      const a = new Snapshot(now);
      const b = new Snapshot(old);
      for (const keyType of ['lineno', 'filename', 'traceback'] as const) {
        const rows = a.matchKeys(b, keyType);
        const diffs = modelCompare(a, b, keyType, false);
        expect(diffs, `seed ${seed} ${keyType}`).toEqual(refCompare(refTraces(now), refTraces(old), keyType, false));
        expect(rows).toBe(diffs.length);
      }
    }
  });

  it('filterTraces (traceback masks, memoized per file) keeps what Filter.match keeps, trace by trace', () => {
    const patterns = ['a.c', '*.c', 'lib/*', '<unknown>', 'm.*', '*x*', '[ab].c', '?.c*'];
    for (const seed of SEEDS) {
      const data = randomSnapshot(seed);
      const traces = refTraces(data);
      const snapshot = new Snapshot(data);
      const r = random(seed);
      for (let k = 0; k < 12; k++) {
        const filters: TraceFilter[] = Array.from({ length: 1 + r(3) }, () => {
          if (r(8) === 0) return new DomainFilter(r(2) === 0, r(3));
          const lineno = r(3) === 0 ? r(5) : null;
          const domain = r(4) === 0 ? r(3) : null;
          return new Filter(r(2) === 0, patterns[r(patterns.length)], lineno, r(2) === 0, domain);
        });
        const expected = refFilter(traces, filters).map((t) => `${t.domain} ${t.size} ${t.traceback.key}`);
        const filtered = snapshot.filterTraces(filters);
        expect(
          filtered.traces.map((t) => `${t.domain} ${t.size} ${t.traceback.key}`),
          `seed ${seed}: ${filters.map((f) => JSON.stringify(f)).join(' ')}`,
        ).toEqual(expected);
        expect(filtered.statistics('lineno').map(String)).toEqual(new Snapshot(structuredClone(filtered.data)).statistics('lineno').map(String));
      }
    }
  });

  it('tracebackMask + selectTraces (lazy columns, totals without them) equal filterTraces and a domain filter', () => {
    for (const seed of SEEDS) {
      const data = randomSnapshot(seed);
      const snapshot = new Snapshot(data);
      const r = random(seed);
      const filters = [new Filter(true, ['*.c', 'a*', 'm.wasm'][r(3)], null, r(2) === 0), new Filter(false, ['lib/*', 'b.c', '<*'][r(3)], null, r(2) === 0)];
      const domains = r(2) === 0 ? null : [r(3)];
      const selected = snapshot.selectTraces(snapshot.tracebackMask(filters), domains);
      const reference = snapshot.filterTraces(domains === null ? filters : [...filters, ...[0, 1, 2].filter((d) => d !== domains[0]).map((d) => new DomainFilter(false, d))]);
      expect(selected.length, `seed ${seed}`).toBe(reference.length);
      for (const [keyType, cumulative] of GROUPINGS) {
        expect(selected.statistics(keyType, cumulative).map(String)).toEqual(reference.statistics(keyType, cumulative).map(String));
        expect(selected.compareTo(snapshot, keyType, cumulative).map(String)).toEqual(reference.compareTo(snapshot, keyType, cumulative).map(String));
      }
      // The columns, copied out on first read, are filterTraces' columns.
      expect(selected.data.traces).toEqual(reference.data.traces);
      expect(selected.data.frames).toBe(data.frames);
    }
  });

  it('StatisticTable rows: key texts, old-only rows, and the tracebacks of each group', () => {
    for (const seed of SEEDS.slice(0, 20)) {
      const now = new Snapshot(randomSnapshot(seed));
      const old = new Snapshot(randomSnapshot(seed + 99));
      for (const [keyType, cumulative] of GROUPINGS) {
        const table = now.compareTable(old, keyType, cumulative);
        const diffs = now.compareTo(old, keyType, cumulative);
        expect(table.length).toBe(diffs.length);
        const texts = table.keyTexts();
        for (let i = 0; i < table.length; i++) {
          expect(table.keyText(i)).toBe(String(diffs[i].traceback));
          const e = texts.ids[i];
          expect(texts.text.slice(e > 0 ? texts.ends[e - 1] : 0, texts.ends[e])).toBe(String(diffs[i].traceback));
          expect(table.fromOld(i)).toBe(diffs[i].count === 0);
          const from = table.fromOld(i) ? old : now;
          const group = table.tracebacksOf(i);
          // Reference: tracebacks with traces whose key (any frame when cumulative) is the row's.
          const want = diffs[i].traceback;
          const totals = from.tracebackTotals();
          const hits = from.data.tracebacks
            .map((tb, t) => ({ t, frames: tb.frames.length > 0 ? tb.frames.map((f) => Frame.from(from.data.frames[f])) : [UNKNOWN_FRAME] }))
            .filter(({ t, frames }) => {
              if (totals.count[t] === 0) return false;
              if (keyType === 'traceback') return new Traceback(frames).key === want.key;
              const match = (f: Frame) => keyOf(f, keyType) === keyOf(want.frames[0], keyType);
              return cumulative ? frames.some(match) : match(frames[frames.length - 1]);
            })
            .map(({ t }) => t)
            .sort((a, b) => totals.size[b] - totals.size[a] || totals.count[b] - totals.count[a] || a - b);
          expect(Array.from(group.index), `seed ${seed} ${keyType} row ${i}`).toEqual(hits);
          const size = hits.reduce((sum, t) => sum + totals.size[t], 0);
          if (!cumulative) expect(size).toBe(table.fromOld(i) ? -table.sizeDiff![i] : table.size[i]);
        }
      }
    }
  });

  it('file format version 2 round-trips random snapshots exactly, as version 1 does', () => {
    for (const seed of SEEDS) {
      const data = randomSnapshot(seed);
      const v2 = Snapshot.load(encodeSnapshot(data));
      const v1 = Snapshot.load(encodeSnapshot(data, { version: 1 }));
      expect(v2.data).toEqual(data);
      expect(v1.data).toEqual(data);
    }
  });
});
