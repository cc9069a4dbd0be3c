/**
 * A snapshot of the traced blocks: CPython's `tracemalloc.Snapshot`, on columns.
 *
 * Python keeps a tuple per trace. Here the traces are three typed arrays and the
 * tracebacks are interned (see snapshot-data.ts), so a snapshot of 1,000,000 blocks
 * is 16 MB and `statistics('lineno')` never builds a per-trace object: the
 * `traces` list is only built when asked for.
 */

import { DomainFilter, Filter, type TraceFilter } from './filter.js';
import { checkKeyType, counterColumns, groupColumns, maskCounters, totalsPerTraceback, type GroupColumns, type KeyType, type TracebackTotals } from './group-by.js';
import type { DomainInfo, SampleSeries, SnapshotData, SnapshotMeta } from './snapshot-data.js';
import { describeValue, validateSnapshotData } from './snapshot-data.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-file.js';
import type { Statistic, StatisticDiff } from './statistic.js';
import { StatisticTable, type GroupSource } from './statistic-table.js';
import { Trace } from './trace.js';
import { TracebackTable } from './traceback-table.js';

export type { KeyType } from './group-by.js';
export type { RowTracebacks, StatisticTable } from './statistic-table.js';

const NO_DOMAINS: readonly DomainInfo[] = Object.freeze([]);
const NO_META: SnapshotMeta = Object.freeze({});

/** Set around `new Snapshot` for data this module derived from a checked snapshot. */
let trusted = false;

export class Snapshot {
  /** The columns and tables behind this snapshot; treat as read-only. */
  readonly data: SnapshotData;
  readonly #table: TracebackTable;
  #totals: TracebackTotals | undefined;
  #traces: readonly Trace[] | undefined;
  /** Known before the columns are (selectTraces); else the columns' length. */
  #length: number | undefined;
  readonly #statistics = new Map<string, StatisticTable>();
  readonly #groups = new Map<string, GroupColumns>();

  /**
   * Takes ownership of `data` (no copy) after checking its invariants; throws
   * InvalidSnapshotError naming the first one broken.
   */
  constructor(data: SnapshotData) {
    if (trusted) {
      trusted = false;
      this.data = data;
      this.#table = TracebackTable.of(data);
      return;
    }
    const table = typeof data === 'object' && data !== null ? TracebackTable.cached(data) : undefined;
    validateSnapshotData(data, { tracesOnly: table !== undefined });
    this.data = data;
    this.#table = table ?? TracebackTable.of(data);
  }

  /** A Snapshot of `data` that is valid by construction (decoded and checked, or derived from a Snapshot). */
  static #trusted(data: SnapshotData, totals?: TracebackTotals): Snapshot {
    trusted = true;
    try {
      const snapshot = new Snapshot(data);
      snapshot.#totals = totals;
      return snapshot;
    } finally {
      trusted = false;
    }
  }

  /** Every traced block. Built on first access: one Trace object per block. */
  get traces(): readonly Trace[] {
    if (this.#traces === undefined) {
      const { domain, size, traceback } = this.data.traces;
      const traces = new Array<Trace>(domain.length);
      for (let i = 0; i < traces.length; i++) traces[i] = new Trace(domain[i], size[i], this.#table.traceback(traceback[i]));
      this.#traces = traces;
    }
    return this.#traces;
  }

  /** Number of traced blocks. */
  get length(): number {
    return this.#length ?? this.data.traces.size.length;
  }

  /** Frames kept per traceback when the snapshot was taken. */
  get tracebackLimit(): number {
    return this.data.tracebackLimit;
  }

  get domains(): readonly DomainInfo[] {
    return this.data.domains ?? NO_DOMAINS;
  }

  get meta(): SnapshotMeta {
    return this.data.meta ?? NO_META;
  }

  /**
   * 0 when every block was traced. Otherwise the snapshot holds a sample of the
   * blocks, about one per this many bytes allocated (start()'s
   * samplingIntervalBytes): each trace is one real block, and statistics,
   * compareTo and the totals weigh it by what it stands for (sample-weight.ts),
   * so their sizes and counts are estimates.
   */
  get samplingIntervalBytes(): number {
    return this.data.samplingIntervalBytes ?? 0;
  }

  /** Traced memory over time up to this snapshot (snapshot-data.ts), if the runtime sampled it. */
  get samples(): SampleSeries | undefined {
    return this.data.samples;
  }

  /**
   * Statistics grouped by `keyType`, largest first by (size, count, traceback).
   * 'filename' groups by the most recent frame's file (printed `file:0`, as in
   * Python), 'lineno' by that frame, 'traceback' by the whole traceback.
   * `cumulative` counts each block under every file or line of its traceback.
   */
  statistics(keyType: KeyType, cumulative = false): Statistic[] {
    return this.statisticTable(keyType, cumulative).toArray() as Statistic[];
  }

  /**
   * statistics() as columns, in the same order, with a Statistic built only for
   * the rows asked for (see statistic-table.ts). Cached per key type.
   */
  statisticTable(keyType: KeyType, cumulative = false): StatisticTable {
    checkKeyType(keyType, cumulative);
    const key = `${keyType}/${Boolean(cumulative)}`;
    let table = this.#statistics.get(key);
    if (table === undefined) {
      table = StatisticTable.statistics(this.#source(), keyType, Boolean(cumulative));
      this.#statistics.set(key, table);
    }
    return table;
  }

  /**
   * The difference from `old`, grouped by `keyType`: a StatisticDiff per key of
   * either snapshot (a key only in `old` gets size 0 and negative differences),
   * largest first by (|sizeDiff|, size, |countDiff|, count, traceback).
   */
  compareTo(old: Snapshot, keyType: KeyType, cumulative = false): StatisticDiff[] {
    // As tracemalloc's compare_to: the groups that hold blocks in either snapshot.
    return (this.compareTable(old, keyType, cumulative).toArray() as StatisticDiff[]).filter((d) => d.size !== 0 || d.count !== 0 || d.sizeDiff !== 0 || d.countDiff !== 0);
  }

  /**
   * compareTo() as columns, in the same order (see statistic-table.ts). With counters
   * in both snapshots it also has the groups that only churned in between (nothing
   * live in either, blocks allocated and freed: DevTools' # New and # Deleted), after
   * the others: what the viewer and `show --compare` show.
   */
  compareTable(old: Snapshot, keyType: KeyType, cumulative = false): StatisticTable {
    checkKeyType(keyType, cumulative);
    if (!(old instanceof Snapshot)) throw new TypeError(`compareTo: old must be a Snapshot, got ${describeValue(old)}`);
    // Keys are matched by key id: through the two tables' key maps when the
    // snapshots have their own tables, directly when they share one.
    return StatisticTable.compare(this.#source(), old.#source(), keyType, Boolean(cumulative));
  }

  /**
   * Prepares compareTo(old, keyType) without computing it: matches the keys of
   * the two snapshots (a map from `old`'s key ids to this one's, kept for both
   * tables' lifetime), ranks them, and pages in the memory a diff of that size
   * needs. For idle time, before a diff is asked for. Returns the number of
   * rows (StatisticDiffs) of compareTo(old, keyType).
   */
  matchKeys(old: Snapshot, keyType: KeyType): number {
    checkKeyType(keyType, false);
    if (!(old instanceof Snapshot)) throw new TypeError(`matchKeys: old must be a Snapshot, got ${describeValue(old)}`);
    this.#table.keyMapFrom(old.#table, keyType);
    this.#table.keyRanks(keyType);
    old.#table.keyRanks(keyType);
    return StatisticTable.prepareCompare(this.#source(), old.#source(), keyType);
  }

  /**
   * Bytes and blocks of all the traces: what statistics() adds up to. Estimates
   * when the snapshot is sampled (then `count` is not `length`, the traces).
   */
  total(): { size: number; count: number } {
    const { size, count } = this.tracebackTotals();
    let bytes = 0;
    for (let t = 0; t < size.length; t++) bytes += size[t];
    if (this.samplingIntervalBytes === 0) return { size: bytes, count: this.length };
    let blocks = 0;
    for (let t = 0; t < count.length; t++) blocks += count[t];
    return { size: bytes, count: blocks };
  }

  /**
   * Bytes and blocks by the thread that allocated them (a program on threads: see
   * TracebackData.thread; 0 is the main thread), largest first. One entry, thread 0,
   * for a snapshot without threads.
   */
  threads(): Array<{ thread: number; size: number; count: number }> {
    const { size, count } = this.tracebackTotals();
    const tracebacks = this.data.tracebacks;
    const by = new Map<number, { thread: number; size: number; count: number }>();
    for (let t = 0; t < size.length; t++) {
      if (count[t] === 0) continue;
      const thread = tracebacks[t]?.thread ?? 0;
      let e = by.get(thread);
      if (!e) by.set(thread, (e = { thread, size: 0, count: 0 }));
      e.size += size[t];
      e.count += count[t];
    }
    return [...by.values()].sort((a, b) => b.size - a.size || a.thread - b.thread);
  }

  /** A new snapshot of the traces allocated by thread `thread` (see threads()). */
  filterThread(thread: number): Snapshot {
    const tracebacks = this.data.tracebacks;
    const mask = new Uint8Array(tracebacks.length);
    for (let t = 0; t < mask.length; t++) mask[t] = (tracebacks[t]!.thread ?? 0) === thread ? 1 : 0;
    return this.selectTraces(mask, null);
  }

  /**
   * Bytes and blocks per traceback index (into data.tracebacks), and the
   * tracebacks' counters when they have them, computed once. Treat as read-only.
   */
  tracebackTotals(): TracebackTotals {
    if (this.#totals === undefined) {
      const totals = totalsPerTraceback(this.data.traces, this.#table.tracebackCount, this.samplingIntervalBytes);
      const counters = counterColumns(this.data.tracebacks);
      this.#totals = counters ? { ...totals, counters } : totals;
    }
    return this.#totals;
  }

  /** Whether the tracebacks carry cumulative counters (allocated, freed, the peak's composition). */
  get hasCounters(): boolean {
    return this.tracebackTotals().counters !== undefined;
  }

  /**
   * The composition of the traced peak (meta.peak), grouped by `keyType`: a
   * Statistic per key with size and count the live bytes and blocks its
   * tracebacks held at the peak, sorted like statistics(). Empty when the
   * snapshot has no counters (taken before they existed).
   */
  peakStatistics(keyType: KeyType, cumulative = false): Statistic[] {
    checkKeyType(keyType, cumulative);
    const counters = this.tracebackTotals().counters;
    if (counters === undefined) return [];
    const totals: TracebackTotals = { size: counters.peakSize, count: counters.peakCount };
    const source: GroupSource = { table: this.#table, totals, groups: (k, c) => groupColumns(this.#table, totals, k, c) };
    return StatisticTable.statistics(source, keyType, Boolean(cumulative)).toArray() as Statistic[];
  }

  /**
   * A new snapshot of the traces that pass: at least one inclusive filter (when
   * there are any) and every exclusive filter. No filters copies the traces.
   * The new snapshot shares this one's frames, tracebacks, domains and meta.
   */
  filterTraces(filters: Iterable<TraceFilter>): Snapshot {
    if (filters === null || typeof filters !== 'object' || typeof (filters as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`filters must be a list of filters, not ${describeValue(filters)}`);
    }
    const list = [...filters];
    for (const f of list) {
      if (!(f instanceof Filter) && !(f instanceof DomainFilter)) {
        throw new TypeError(`filters must hold Filter and DomainFilter objects, found ${describeValue(f)}`);
      }
    }
    const { domain, size, traceback } = this.data.traces;
    if (list.length === 0) {
      return this.#derived({ domain: domain.slice(), size: size.slice(), traceback: traceback.slice() }, this.#totals && { size: this.#totals.size.slice(), count: this.#totals.count.slice(), ...(this.#totals.counters && { counters: maskCounters(this.#totals.counters, new Uint8Array(this.#totals.size.length).fill(1)) }) });
    }
    if (list.every((f) => f instanceof Filter && f.domain === null)) return this.selectTraces(this.tracebackMask(list as Filter[]), null);
    const passes = this.#passing(list.filter((f) => f.inclusive), list.filter((f) => !f.inclusive));
    let n = 0;
    for (let i = 0; i < passes.length; i++) n += passes[i];
    const columns = { domain: new Uint32Array(n), size: new Float64Array(n), traceback: new Uint32Array(n) };
    for (let i = 0, j = 0; j < n; i++) {
      if (passes[i] === 0) continue;
      columns.domain[j] = domain[i];
      columns.size[j] = size[i];
      columns.traceback[j++] = traceback[i];
    }
    const counters = this.tracebackTotals().counters;
    if (counters === undefined) return this.#derived(columns);
    const totals = totalsPerTraceback(columns, this.#table.tracebackCount, this.samplingIntervalBytes);
    return this.#derived(columns, { ...totals, counters: maskCounters(counters, this.#counterVerdicts(list, passes)) });
  }

  /**
   * Which tracebacks keep their counters through filters that look at domains:
   * those with a trace that passed, and those with no trace at all (churn whose
   * blocks were all freed) that pass the filters as a trace of no domain would
   * (a counter-only traceback's domain is not known: an inclusive domain filter
   * drops it, an exclusive one keeps it).
   */
  #counterVerdicts(filters: TraceFilter[], passes: Uint8Array): Uint8Array {
    const n = this.#table.tracebackCount;
    const keep = new Uint8Array(n);
    const { traceback } = this.data.traces;
    for (let i = 0; i < passes.length; i++) if (passes[i] === 1) keep[traceback[i]] = 1;
    const count = this.tracebackTotals().count;
    const include = filters.filter((f) => f.inclusive);
    const exclude = filters.filter((f) => !f.inclusive);
    const verdicts = new Map(filters.filter((f): f is Filter => f instanceof Filter).map((f) => [f, tracebackVerdicts(this.#table, f)]));
    const pass = (f: TraceFilter, t: number): boolean => (f instanceof Filter ? f.matchDomain(-1, verdicts.get(f)![t] === 1) : f.matchDomain(-1));
    for (let t = 0; t < n; t++) {
      if (count[t] > 0) continue;
      if (include.length > 0 && !include.some((f) => pass(f, t))) continue;
      if (exclude.every((f) => pass(f, t))) keep[t] = 1;
    }
    return keep;
  }

  /**
   * filterTraces' verdict per traceback index, for filters that look at
   * tracebacks only (Filter with domain null): 1 where a trace with this
   * traceback passes at least one inclusive filter (when there are any) and
   * every exclusive one, else 0. Each pattern is tested once per distinct
   * filename of the snapshot (not per frame, traceback or trace).
   */
  tracebackMask(filters: Iterable<Filter>): Uint8Array {
    const list = [...filters];
    for (const f of list) {
      if (!(f instanceof Filter) || f.domain !== null) {
        throw new TypeError(`tracebackMask takes Filters without a domain, found ${f instanceof Filter ? `a Filter of domain ${f.domain}` : describeValue(f)}`);
      }
    }
    const n = this.#table.tracebackCount;
    const mask = new Uint8Array(n).fill(1);
    const include = list.filter((f) => f.inclusive);
    if (include.length > 0) {
      const any = new Uint8Array(n);
      for (const f of include) {
        const v = tracebackVerdicts(this.#table, f);
        for (let t = 0; t < n; t++) any[t] |= v[t];
      }
      for (let t = 0; t < n; t++) mask[t] &= any[t];
    }
    for (const f of list) {
      if (f.inclusive) continue;
      const v = tracebackVerdicts(this.#table, f);
      for (let t = 0; t < n; t++) mask[t] &= v[t];
    }
    return mask;
  }

  /**
   * A new snapshot of the traces whose traceback index has a non-zero entry in
   * `tracebacks` (all when null) and whose domain is in `domains` (all when
   * null). Shares this one's frames, tracebacks, domains and meta. Its columns
   * are only copied out when first read (`data.traces`, `traces`): grouping and
   * diffing need its bytes and blocks per traceback only, which come from this
   * snapshot's (masked) or from one pass over the columns (with `domains`).
   */
  selectTraces(tracebacks: Uint8Array | null, domains: Iterable<number> | null): Snapshot {
    const { domain, size, traceback } = this.data.traces;
    const count = this.#table.tracebackCount;
    if (tracebacks !== null && tracebacks.length !== count) {
      throw new RangeError(`selectTraces: expected a mask of ${count} tracebacks, got ${tracebacks.length}`);
    }
    const keep = tracebacks ?? new Uint8Array(count).fill(1);
    const wanted = domains === null ? null : new Set(domains);
    let totals: TracebackTotals;
    let kept = 0;
    // With domains: which traces pass (the mask of tracebacks and the domains).
    let passes: Uint8Array | undefined;
    if (wanted === null) {
      const all = this.tracebackTotals();
      totals = { size: new Float64Array(count), count: new Float64Array(count), ...(all.counters && { counters: maskCounters(all.counters, keep) }) };
      for (let t = 0; t < count; t++) {
        if (keep[t] === 0) continue;
        totals.size[t] = all.size[t];
        kept += totals.count[t] = all.count[t];
      }
      // Sampled, a count is an estimate, not the number of traces.
      if (this.samplingIntervalBytes > 0) {
        kept = 0;
        for (let i = 0; i < traceback.length; i++) kept += keep[traceback[i]];
      }
    } else {
      passes = new Uint8Array(traceback.length);
      let lastDomain = -1;
      let lastWanted = false;
      for (let i = 0; i < traceback.length; i++) {
        if (keep[traceback[i]] === 0) continue;
        const d = domain[i];
        if (d !== lastDomain) {
          lastDomain = d;
          lastWanted = wanted.has(d);
        }
        if (!lastWanted) continue;
        passes[i] = 1;
        kept++;
      }
      totals = totalsPerTraceback(this.data.traces, count, this.samplingIntervalBytes, passes);
      // Counters go with the tracebacks that kept a trace: one of no trace has no known domain.
      const all = this.tracebackTotals().counters;
      if (all !== undefined) totals = { ...totals, counters: maskCounters(all, totals.count.map((c) => (c > 0 ? 1 : 0))) };
    }
    const columns = (): SnapshotData['traces'] => {
      const out = { domain: new Uint32Array(kept), size: new Float64Array(kept), traceback: new Uint32Array(kept) };
      for (let i = 0, j = 0; j < kept; i++) {
        if (passes !== undefined ? passes[i] === 0 : keep[traceback[i]] === 0) continue;
        out.domain[j] = domain[i];
        out.size[j] = size[i];
        out.traceback[j++] = traceback[i];
      }
      return out;
    };
    const data = withoutTraces(this.data);
    Object.defineProperty(data, 'traces', {
      configurable: true,
      enumerable: true,
      get(): SnapshotData['traces'] {
        const value = columns();
        Object.defineProperty(data, 'traces', { value, writable: true, enumerable: true, configurable: true });
        return value;
      },
    });
    const snapshot = Snapshot.#trusted(data, totals);
    snapshot.#length = kept;
    return snapshot;
  }

  /** The file format of snapshot-file.ts: versioned, checksummed, columns little-endian. */
  dump(): Uint8Array {
    return encodeSnapshot(this.data);
  }

  /**
   * Reads bytes written by dump(). Throws InvalidSnapshotError, naming `source`
   * (a file name, say), when they are not a snapshot, of another format version,
   * truncated, corrupt or inconsistent.
   */
  static load(bytes: Uint8Array, source = 'snapshot'): Snapshot {
    // decodeSnapshot checked every invariant: the constructor need not again.
    return Snapshot.#trusted(decodeSnapshot(bytes, source));
  }

  #source(): GroupSource {
    return {
      table: this.#table,
      totals: this.tracebackTotals(),
      groups: (keyType, cumulative) => {
        const key = `${keyType}/${cumulative}`;
        let groups = this.#groups.get(key);
        if (groups === undefined) this.#groups.set(key, (groups = groupColumns(this.#table, this.tracebackTotals(), keyType, cumulative)));
        return groups;
      },
    };
  }

  /** A snapshot of `traces` (taken from this one's) sharing everything else. */
  #derived(traces: SnapshotData['traces'], totals?: TracebackTotals): Snapshot {
    return Snapshot.#trusted({ ...withoutTraces(this.data), traces }, totals);
  }

  /**
   * 1 for each trace that passes, else 0. A Filter's verdict on a traceback does
   * not depend on the trace, so it is computed once per traceback index (from one
   * pattern test per frame index); the pass over the traces reads typed arrays.
   */
  #passing(include: TraceFilter[], exclude: TraceFilter[]): Uint8Array {
    const { domain, traceback } = this.data.traces;
    const filters = [...include, ...exclude];
    const verdicts = filters.map((f) => (f instanceof Filter ? tracebackVerdicts(this.#table, f) : undefined));
    const pass = (k: number, d: number, t: number): boolean => {
      const byTraceback = verdicts[k];
      return byTraceback === undefined ? (filters[k] as DomainFilter).matchDomain(d) : (filters[k] as Filter).matchDomain(d, byTraceback[t] === 1);
    };
    const passes = new Uint8Array(domain.length);
    next: for (let i = 0; i < domain.length; i++) {
      const d = domain[i];
      const t = traceback[i];
      if (include.length > 0) {
        let included = false;
        for (let k = 0; k < include.length && !included; k++) included = pass(k, d, t);
        if (!included) continue;
      }
      for (let k = include.length; k < filters.length; k++) if (!pass(k, d, t)) continue next;
      passes[i] = 1;
    }
    return passes;
  }
}

/** The members of `data` but its traces, without reading them (they may not exist yet). */
function withoutTraces(data: SnapshotData): SnapshotData {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(data)) if (key !== 'traces') out[key] = (data as unknown as Record<string, unknown>)[key];
  return out as unknown as SnapshotData;
}

/**
 * `filter.matchTraceback` of every traceback index, 1 or 0: the pattern is
 * tested once per distinct filename (file key id), the line once per frame.
 */
function tracebackVerdicts(table: TracebackTable, filter: Filter): Uint8Array {
  const files = table.ids('filename');
  const byFile = new Int8Array(files.count).fill(-1);
  const frameCount = table.frameCount;
  const byFrame = new Uint8Array(frameCount + 1);
  for (let f = 0; f <= frameCount; f++) {
    const k = files.of[f];
    const frame = f < frameCount ? table.frameData[f] : undefined;
    // The pattern alone: passing the filter's own line makes its line test hold.
    if (byFile[k] < 0) byFile[k] = filter.frameMatches(frame?.filename ?? '<unknown>', filter.lineno ?? 0) ? 1 : 0;
    byFrame[f] = byFile[k] === 1 && (filter.lineno === null || (frame?.lineno ?? 0) === filter.lineno) ? 1 : 0;
  }
  const { starts, flat } = table.frameColumns();
  const n = table.tracebackCount;
  const verdicts = new Uint8Array(n);
  const hit = filter.inclusive ? 1 : 0;
  if (filter.allFrames) {
    for (let t = 0; t < n; t++) {
      let any = 0;
      for (let i = starts[t]; i < starts[t + 1] && any === 0; i++) any = byFrame[flat[i]];
      verdicts[t] = any === 1 ? hit : 1 - hit;
    }
  } else {
    for (let t = 0; t < n; t++) verdicts[t] = byFrame[flat[starts[t + 1] - 1]] === 1 ? hit : 1 - hit;
  }
  return verdicts;
}
