/**
 * A snapshot of the traced blocks: CPython's `tracemalloc.Snapshot`, on columns.
 *
 * Python keeps a tuple per trace. Here the traces are three typed arrays and the
 * tracebacks are interned (see snapshot-data.ts), so a snapshot of 1,000,000 blocks
 * is 16 MB and `statistics('lineno')` never builds a per-trace object: the
 * `traces` list is only built when asked for.
 */

import { DomainFilter, Filter, type TraceFilter } from './filter.js';
import { checkKeyType, groupTraces, totalsPerTraceback, type Group, type KeyType, type TracebackTotals } from './group-by.js';
import type { DomainInfo, SnapshotData, SnapshotMeta } from './snapshot-data.js';
import { describeValue, validateSnapshotData } from './snapshot-data.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-file.js';
import { Statistic, StatisticDiff } from './statistic.js';
import { Trace } from './trace.js';
import { TracebackTable } from './traceback-table.js';

export type { KeyType } from './group-by.js';

const NO_DOMAINS: readonly DomainInfo[] = Object.freeze([]);
const NO_META: SnapshotMeta = Object.freeze({});

export class Snapshot {
  /** The columns and tables behind this snapshot; treat as read-only. */
  readonly data: SnapshotData;
  readonly #table: TracebackTable;
  #totals: TracebackTotals | undefined;
  #traces: readonly Trace[] | undefined;

  /**
   * Takes ownership of `data` (no copy) after checking its invariants; throws
   * InvalidSnapshotError naming the first one broken.
   */
  constructor(data: SnapshotData) {
    const table = typeof data === 'object' && data !== null ? TracebackTable.cached(data) : undefined;
    validateSnapshotData(data, { tracesOnly: table !== undefined });
    this.data = data;
    this.#table = table ?? TracebackTable.of(data);
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
    return this.data.traces.size.length;
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
   * Statistics grouped by `keyType`, largest first by (size, count, traceback).
   * 'filename' groups by the most recent frame's file (printed `file:0`, as in
   * Python), 'lineno' by that frame, 'traceback' by the whole traceback.
   * `cumulative` counts each block under every file or line of its traceback.
   */
  statistics(keyType: KeyType, cumulative = false): Statistic[] {
    const table = this.#table;
    const stats = this.#group(keyType, cumulative).map((g) => new Statistic(table.keyTraceback(keyType, g.id), g.size, g.count));
    return stats.sort(Statistic.compare);
  }

  /**
   * The difference from `old`, grouped by `keyType`: a StatisticDiff per key of
   * either snapshot (a key only in `old` gets size 0 and negative differences),
   * largest first by (|sizeDiff|, size, |countDiff|, count, traceback).
   */
  compareTo(old: Snapshot, keyType: KeyType, cumulative = false): StatisticDiff[] {
    const current = this.#group(keyType, cumulative);
    if (!(old instanceof Snapshot)) throw new TypeError(`compareTo: old must be a Snapshot, got ${describeValue(old)}`);
    // Keys are matched by their strings: the two snapshots have their own tables.
    const oldTable = old.#table;
    const previous = new Map<string, Group>();
    for (const g of old.#group(keyType, cumulative)) previous.set(oldTable.keyString(keyType, g.id), g);
    const table = this.#table;
    const diffs: StatisticDiff[] = [];
    for (const g of current) {
      const key = table.keyString(keyType, g.id);
      const traceback = table.keyTraceback(keyType, g.id);
      const p = previous.get(key);
      if (p === undefined) {
        diffs.push(new StatisticDiff(traceback, g.size, g.size, g.count, g.count));
      } else {
        previous.delete(key);
        diffs.push(new StatisticDiff(traceback, g.size, g.size - p.size, g.count, g.count - p.count));
      }
    }
    for (const p of previous.values()) diffs.push(new StatisticDiff(oldTable.keyTraceback(keyType, p.id), 0, -p.size, 0, -p.count));
    return diffs.sort(StatisticDiff.compare);
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
    let columns: SnapshotData['traces'];
    if (list.length === 0) {
      columns = { domain: domain.slice(), size: size.slice(), traceback: traceback.slice() };
    } else {
      const passes = this.#passing(list.filter((f) => f.inclusive), list.filter((f) => !f.inclusive));
      let n = 0;
      for (let i = 0; i < passes.length; i++) n += passes[i];
      columns = { domain: new Uint32Array(n), size: new Float64Array(n), traceback: new Uint32Array(n) };
      for (let i = 0, j = 0; j < n; i++) {
        if (passes[i] === 0) continue;
        columns.domain[j] = domain[i];
        columns.size[j] = size[i];
        columns.traceback[j++] = traceback[i];
      }
    }
    const { traces: _, ...rest } = this.data;
    return new Snapshot({ ...rest, traces: columns });
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
    return new Snapshot(decodeSnapshot(bytes, source));
  }

  #group(keyType: KeyType, cumulative: boolean): Group[] {
    checkKeyType(keyType, cumulative);
    this.#totals ??= totalsPerTraceback(this.data.traces, this.#table.tracebackCount);
    return groupTraces(this.#table, this.#totals, keyType, cumulative);
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

/** `filter.matchTraceback` of every traceback index, 1 or 0. */
function tracebackVerdicts(table: TracebackTable, filter: Filter): Uint8Array {
  const byFrame = new Int8Array(table.frameCount + 1).fill(-1);
  const frameMatches = (f: number): boolean => {
    if (byFrame[f] < 0) {
      const frame = table.frame(f);
      byFrame[f] = filter.frameMatches(frame.filename, frame.lineno) ? 1 : 0;
    }
    return byFrame[f] === 1;
  };
  const verdicts = new Uint8Array(table.tracebackCount);
  for (let t = 0; t < verdicts.length; t++) {
    const frames = table.framesOf(t);
    verdicts[t] = filter.matchFrames(frames.length, (i) => frameMatches(frames[i])) ? 1 : 0;
  }
  return verdicts;
}
