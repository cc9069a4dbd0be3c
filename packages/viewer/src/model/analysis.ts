/**
 * Everything the viewer computes from snapshots, in one place and off the main
 * thread (worker.ts runs it; analysis.test.ts runs it under Node).
 *
 *   bytes ──Snapshot.load──▶ Snapshot ──select (Filter globs, domains, focus)──▶ Snapshot
 *         ──statistics / compareTo──▶ TableModel (columns)   ──▶ table view
 *         ──statistics('traceback')──▶ FlameModel (preorder)  ──▶ flame graph
 *         ──one row's tracebacks──▶ DetailModel               ──▶ traceback panel
 *
 * The model does the tracemalloc work (grouping, diffing, Filter); this file only
 * chooses what to ask and caches answers: selected snapshots and the last tables
 * are kept, so regrouping or sorting never reloads or refilters. It uses the
 * model's column paths (Snapshot.statisticTable / compareTable, tracebackMask,
 * selectTraces, tracebackTotals): no Statistic, Traceback or Frame object is
 * built per row; a row's text comes from the model's per-key text cache.
 */

import { Filter, Snapshot, frameKey, type SampleSeries, type SnapshotData, type SnapshotMeta, type StatisticTable } from '@wasm-tracemalloc/runtime/model';
import { gzipPprof, snapshotToPprof } from '@wasm-tracemalloc/runtime/pprof';
import { CHURN_FIELDS, churnByKey, groupOf, hasCounters, keyIdOfFrames, peakByKey, tracebackKeyIds, tracebacksOfGroup, type CountedTraceback, type KeyedGroups } from './churn.js';
import { leakSuspects, type LeakModel } from './leaks.js';
import { buildFlameTree, type FlameMeasure, type FlameModel, type FlamePaths } from './flame-tree.js';
import type { FrameView } from './frame-view.js';
import { packStrings, stringAt, type PackedStrings } from './packed-strings.js';
import { orderRows, rowStatus, rowText, type TableModel } from './table.js';
import type { FrameRef, KeyType, SortKey, TraceSelection } from './view-state.js';

export interface DomainSummary {
  id: number;
  name: string;
  /** Bytes and blocks of the domain's traces: estimates when the snapshot is sampled. */
  size: number;
  count: number;
  /** Sampled traces of the domain: only in a sampled snapshot, where `count` is an estimate. */
  traces?: number;
}

/** What the viewer shows of a loaded snapshot before any query. */
export interface SnapshotSummary {
  name: string;
  /** Traces in the snapshot (Snapshot.length): every live block, or when sampled the sampled ones. */
  traces: number;
  /**
   * Live blocks: `traces` when exact; when sampled, the estimate (the sum of the
   * counts of statistics('filename'): each traceback's estimate, rounded).
   */
  blocks: number;
  /** Bytes of the traces; when sampled, the bytes they stand for (an estimate). */
  size: number;
  /**
   * 0 when every allocation was traced; else the snapshot is a sample, about one
   * trace per this many bytes allocated (Snapshot.samplingIntervalBytes), and
   * `size`, `blocks`, the domains' totals and meta.current / meta.peak are
   * estimates (meta.untracedFrees and meta.doubleFrees are not measured).
   */
  samplingIntervalBytes: number;
  /** Distinct tracebacks (allocation sites, or call paths with nframe > 1). */
  tracebacks: number;
  tracebackLimit: number;
  /** Domains that hold traces, with their totals, by id. */
  domains: DomainSummary[];
  /** A program on threads: bytes and blocks by the thread that allocated (Snapshot.threads()); empty otherwise. */
  threads: Array<{ thread: number; size: number; count: number }>;
  meta: SnapshotMeta;
  /** Memory over time up to the snapshot, when the runtime sampled it (for the timeline). */
  samples?: SampleSeries;
  /** What each of samples.sites.traceback is, for the timeline's chart by site (same order). */
  siteLabels?: SiteLabel[];
  /** Bytes and blocks live at the traced peak, summed over the tracebacks; absent when the snapshot does not say. */
  peakComposition?: { size: number; count: number };
  loadMs: number;
}

/** A traceback of SampleSeries.sites, as the timeline labels and groups it. */
export interface SiteLabel {
  /** Keys for grouping by line, file and traceback (churn.ts identities). */
  lineno: string;
  filename: string;
  traceback: string;
  /** `file.c:14`, the most recent frame's text, and its function ('' when unknown). */
  text: string;
  function: string;
  /** The file of the most recent frame. */
  file: string;
  /** "← caller ← …" of the traceback, for its tooltip. */
  callers: string;
}

export interface TableQuery {
  selection: TraceSelection;
  keyType: KeyType;
  cumulative: boolean;
  /**
   * The composition of the traced peak (TracebackData.peakSize and peakCount) of
   * the selection's snapshot, instead of its live traces. The base is ignored, and
   * so are domains (the counts at the peak are per traceback, not per domain).
   */
  peak?: boolean;
}

export interface DetailTraceback {
  size: number;
  count: number;
  /** The traceback's cumulative counters, when the snapshot has them (since tracing started, not since a base). */
  churn?: { allocCount: number; freeCount: number; allocSize: number; freeSize: number };
  totalNframe: number;
  /** Most recent first. */
  frames: FrameView[];
}

/** The traceback panel's content for one row. */
export interface DetailModel {
  /** The row as tracemalloc prints it. */
  line: string;
  /** Which snapshot the tracebacks come from: a freed group only exists in the base. */
  from: 'snapshot' | 'base';
  /** The heaviest tracebacks of the group (at most DETAIL_LIMIT), heaviest first. */
  tracebacks: DetailTraceback[];
  /** How many distinct tracebacks the group has. */
  tracebackCount: number;
  /** Set when the tracebacks come from a sampled snapshot: sizes and counts are estimates. */
  samplingIntervalBytes?: number;
}

export const DETAIL_LIMIT = 20;
/** Rows whose callers text a table carries; the page fetches the others as they are drawn. */
export const CALLERS_SENT = 256;
const CALLERS_SHOWN = 3;
const SELECTION_CACHE = 4;
const TABLE_CACHE = 8;
const WARM_STEPS: Array<[KeyType, boolean]> = [
  ['lineno', false],
  ['filename', false],
  ['traceback', false],
];

interface TableEntry {
  /** The model's table; null for a table of the peak, whose rows are all `extra`. */
  stats: StatisticTable | null;
  model: TableModel;
  /** Rows after the model's own: groups the model's table has no row for (sites with counters and no live block, the peak's groups). */
  extra: ExtraRow[];
  /** The snapshots rows are from: the selected one, and the base of a diff. */
  sides: Snapshot[];
}

/** A row of a table that is not one of the model's: group `group` of `groups`, of the tracebacks of `sides[side]`. */
interface ExtraRow {
  side: number;
  groups: KeyedGroups;
  group: number;
}

/**
 * An extra row's tracebacks, with their bytes and blocks as the row counts them:
 * at the peak (heaviest first) for the peak's groups, 0 for a churn-only row.
 */
function extraTracebacks(data: SnapshotData, x: ExtraRow): { index: number[]; size: Float64Array; count: Float64Array } {
  const index = tracebacksOfGroup(data, x.groups, x.group);
  const tbs = data.tracebacks as CountedTraceback[];
  if (x.groups.width !== 2) return { index, size: new Float64Array(index.length), count: new Float64Array(index.length) };
  index.sort((a, b) => (tbs[b].peakSize ?? 0) - (tbs[a].peakSize ?? 0) || a - b);
  return { index, size: Float64Array.from(index, (t) => tbs[t].peakSize ?? 0), count: Float64Array.from(index, (t) => tbs[t].peakCount ?? 0) };
}

export class Analysis {
  readonly #snapshots = new Map<number, Snapshot>();
  readonly #names = new Map<number, string>();
  readonly #selected = new Map<string, Snapshot>();
  readonly #tables = new Map<string, TableEntry>();
  readonly #warmed = new Map<number, number>();
  readonly #matched = new Set<string>();
  /** Per selected (filtered) snapshot, which tracebacks the filters keep; absent for an unfiltered one. */
  readonly #masks = new WeakMap<Snapshot, Uint8Array>();
  #largestDiff = 0;

  /** Reads a snapshot file; throws InvalidSnapshotError naming `name` when it is not a valid one. */
  load(id: number, bytes: Uint8Array, name: string): SnapshotSummary {
    const t0 = now();
    const snapshot = Snapshot.load(bytes, name);
    this.#snapshots.set(id, snapshot);
    this.#names.set(id, name);
    const summary = summarize(snapshot, name);
    summary.loadMs = now() - t0;
    return summary;
  }

  /** Loads SnapshotData directly (tests, a live DataSource that builds snapshots in process). */
  add(id: number, data: SnapshotData, name: string): SnapshotSummary {
    const snapshot = new Snapshot(data);
    this.#snapshots.set(id, snapshot);
    this.#names.set(id, name);
    return summarize(snapshot, name);
  }

  table(q: TableQuery): TableModel {
    return this.#table(q).model;
  }

  /** The callers text ("← a ← b") of each of `rows` of a 'traceback' table. */
  callers(q: TableQuery, rows: readonly number[]): string[] {
    const entry = this.#table(q);
    const { stats, extra, sides } = entry;
    if (q.keyType !== 'traceback') throw new RangeError(`callers: the table is grouped by ${q.keyType}, not by traceback`);
    const own = stats?.length ?? 0;
    const length = own + extra.length;
    return rows.map((row) => {
      if (!(Number.isInteger(row) && row >= 0 && row < length)) throw new RangeError(`no row ${row}: the table has ${length}`);
      if (row < own) return callersOfRow(stats!, row, sides[0], sides[1]);
      const x = extra[row - own];
      const data = sides[x.side].data;
      const first = x.groups.first[x.group];
      return (callersCache(data)[first] ??= callersOf(data, data.tracebacks[first].frames));
    });
  }

  detail(q: TableQuery, row: number): DetailModel {
    const { stats, model, extra, sides } = this.#table(q);
    const own = stats?.length ?? 0;
    const length = own + extra.length;
    if (!(Number.isInteger(row) && row >= 0 && row < length)) throw new RangeError(`no row ${row}: the table has ${length}`);
    let from: DetailModel['from'] = 'snapshot';
    let snapshot = sides[0];
    let group: { index: ArrayLike<number>; size: ArrayLike<number>; count: ArrayLike<number> };
    if (row < own) {
      if (stats!.fromOld(row) && sides[1] !== undefined) {
        from = 'base';
        snapshot = sides[1];
      }
      group = stats!.tracebacksOf(row);
    } else {
      const x = extra[row - own];
      if (x.side === 1) from = 'base';
      snapshot = sides[x.side];
      group = extraTracebacks(snapshot.data, x);
    }
    const data = snapshot.data;
    const sources = sourcesOf(snapshot);
    const keys = frameKeys(data);
    const tracebacks: DetailTraceback[] = [];
    // The tracebacks that hold blocks; those that only churned when none does (a churn row).
    const all = Array.from(group.index, (_, k) => k);
    const holding = all.filter((k) => group.count[k]! > 0);
    const shown = holding.length > 0 ? holding : all;
    for (const k of shown.slice(0, DETAIL_LIMIT)) {
      const tb = data.tracebacks[group.index[k]] as CountedTraceback;
      const list = tb.frames.length > 0 ? tb.frames : [data.frames.length];
      const frames = list.map((f) => frameViewOf(data, f, sources.get(f < keys.length ? keys[f] : UNKNOWN_KEY))).reverse();
      const detail: DetailTraceback = { size: group.size[k], count: group.count[k], totalNframe: tb.totalNframe, frames };
      if (tb.allocCount !== undefined) detail.churn = { allocCount: tb.allocCount, freeCount: tb.freeCount ?? 0, allocSize: tb.allocSize ?? 0, freeSize: tb.freeSize ?? 0 };
      tracebacks.push(detail);
    }
    const interval = snapshot.samplingIntervalBytes;
    return { line: rowText(model, row), from, tracebacks, tracebackCount: shown.length, ...(interval > 0 && { samplingIntervalBytes: interval }) };
  }

  /**
   * The flame graph of the selection. Built from the columns (bytes and blocks
   * per traceback index, frames by key), not from statistics('traceback'): the
   * tree merges equal call paths anyway, and this costs one pass over the traces
   * plus one trie insertion per traceback.
   */
  flame(selection: TraceSelection, measure: FlameMeasure, inverted = false, peak = false): FlameModel {
    const t0 = now();
    const after = this.#select(selection, selection.snapshot);
    const before = peak || selection.base === null ? undefined : this.#select(selection, selection.base);
    const compare = before !== undefined;
    const frames: FrameView[] = [];
    const ids = new Map<string, number>();
    // The paths as columns (FlamePaths): one per traceback with traces (or blocks
    // at the peak, or counters), of each snapshot.
    const sides = compare ? [after, before] : [after];
    const counted = !peak && sides.some((x) => hasCounters(x.data));
    const weights = sides.map((snapshot) => {
      if (!peak) {
        const { size, count } = snapshot.tracebackTotals();
        if (!counted) return { size, count, take: (t: number) => count[t] > 0 };
        const pass = this.#churnPass(selection, snapshot);
        const tbs = snapshot.data.tracebacks as CountedTraceback[];
        const take = (t: number) => count[t] > 0 || ((pass === undefined || pass[t] === 1) && tbs[t].allocCount !== undefined);
        return { size, count, take };
      }
      return peakWeights(snapshot.data, this.#masks.get(snapshot));
    });
    let pathCount = 0;
    let frameCount = 0;
    sides.forEach((snapshot, side) => {
      const { take } = weights[side];
      const tbs = snapshot.data.tracebacks;
      for (let t = 0; t < tbs.length; t++) {
        if (!take(t)) continue;
        pathCount++;
        frameCount += tbs[t].frames.length || 1;
      }
    });
    const paths: FlamePaths = {
      start: new Int32Array(pathCount + 1),
      frames: new Int32Array(frameCount),
      after: new Float64Array(pathCount),
      afterCount: new Float64Array(pathCount),
      before: new Float64Array(pathCount),
      beforeCount: new Float64Array(pathCount),
      ...(counted && { churn: new Float64Array(4 * pathCount) }),
    };
    let p = 0;
    let k = 0;
    sides.forEach((snapshot, side) => {
      const data = snapshot.data;
      const keys = frameKeys(data);
      const sources = sourcesOf(snapshot);
      // Frame index of this snapshot -> frame id of the flame graph (shared by both snapshots).
      const idOf = new Int32Array(data.frames.length + 1).fill(-1);
      const frameId = (f: number): number => {
        let id = idOf[f];
        if (id < 0) {
          const key = f < keys.length ? keys[f] : UNKNOWN_KEY;
          id = ids.get(key) ?? -1;
          if (id < 0) {
            id = frames.length;
            frames.push(frameViewOf(data, f, sources.get(key)));
            ids.set(key, id);
          }
          idOf[f] = id;
        }
        return id;
      };
      const { size, count, take } = weights[side];
      const unknown = data.frames.length;
      // With a frame in focus the graph is rooted at it (speedscope's sandwich): its
      // callees top-down, its callers bottom-up. The selection holds only traces through it.
      let pivot: Uint8Array | undefined;
      if (selection.focus !== null) {
        const key = frameKey(selection.focus);
        pivot = new Uint8Array(data.frames.length + 1);
        for (let f = 0; f < keys.length; f++) pivot[f] = keys[f] === key ? 1 : 0;
      }
      const sign = side === 1 ? -1 : 1;
      for (let t = 0; t < data.tracebacks.length; t++) {
        if (!take(t)) continue;
        const tb = data.tracebacks[t].frames;
        let from = 0;
        let to = tb.length - 1;
        if (pivot !== undefined) {
          // The outermost call of the focused frame (recursion counts once).
          let at = 0;
          while (at < tb.length && pivot[tb[at]] === 0) at++;
          if (at < tb.length) [from, to] = inverted ? [0, at] : [at, tb.length - 1];
        }
        if (tb.length === 0) paths.frames[k++] = frameId(unknown);
        // Bottom-up, the allocating frame is the root's child and its callers follow.
        else if (inverted) for (let i = to; i >= from; i--) paths.frames[k++] = frameId(tb[i]);
        else for (let i = from; i <= to; i++) paths.frames[k++] = frameId(tb[i]);
        paths.start[p + 1] = k;
        if (side === 0 || !compare) {
          paths.after[p] = size[t];
          paths.afterCount[p] = count[t];
        }
        if (side === 1 || !compare) {
          paths.before[p] = size[t];
          paths.beforeCount[p] = count[t];
        }
        if (paths.churn !== undefined) {
          // A diff's counters are the increase since the base: the base's paths count negatively.
          const c = data.tracebacks[t] as CountedTraceback;
          paths.churn[4 * p] = sign * (c.allocCount ?? 0);
          paths.churn[4 * p + 1] = sign * (c.freeCount ?? 0);
          paths.churn[4 * p + 2] = sign * (c.allocSize ?? 0);
          paths.churn[4 * p + 3] = sign * (c.freeSize ?? 0);
        }
        p++;
      }
    });
    const estimated = sides.some((s) => s.samplingIntervalBytes > 0);
    const tree = buildFlameTree(frames, paths.start[pathCount] < frameCount ? { ...paths, frames: paths.frames.subarray(0, paths.start[pathCount]) } : paths, compare, compare ? measure : 'after');
    return { ...tree, estimated, inverted, rooted: selection.focus !== null, ...(peak && { peak: true }), ms: now() - t0 };
  }

  /**
   * Leak suspects (leaks.ts) over snapshots `ids` of one session, oldest first,
   * with the selection's filters, by site ('lineno'). Reuses each snapshot's table.
   */
  leaks(selection: TraceSelection, ids: readonly number[]): LeakModel {
    const t0 = now();
    const queries = ids.map((id): TableQuery => ({ selection: { ...selection, snapshot: id, base: null }, keyType: 'lineno', cumulative: false }));
    const tables = queries.map((q) => {
      const stats = this.#table(q).stats!;
      return { length: stats.length, key: (i: number) => stats.keyText(i), size: stats.size, count: stats.count };
    });
    const result = leakSuspects(tables);
    const functions = this.#table(queries[queries.length - 1]).model.functions;
    if (functions !== undefined) for (const s of result.suspects) s.function = stringAt(functions, s.row);
    return { ...result, ms: now() - t0 };
  }

  /** The current view as JSON: the selection, then every row in the table's order. */
  exportJson(q: TableQuery, sort: SortKey): string {
    const { stats, model } = this.#table(q);
    const order = orderRows(model, sort);
    const own = stats?.length ?? 0;
    const rows = Array.from(order, (i) => {
      const row: Record<string, unknown> = { key: stringAt(model.keys, i), size: model.size[i], count: model.count[i] };
      if (model.compare) {
        row.sizeDiff = model.sizeDiff![i];
        row.countDiff = model.countDiff![i];
        row.status = rowStatus(model, i);
      }
      if (model.allocCount !== undefined) for (const f of CHURN_FIELDS) row[model.compare ? `${f}Diff` : f] = model[f]![i];
      if (q.keyType === 'traceback' && i < own) row.traceback = stats!.traceback(i).format(null, true);
      row.text = rowText(model, i);
      return row;
    });
    const sel = q.selection;
    // A sampled side's sizes and counts are estimates: the file says so.
    const intervalOf = (id: number) => this.#snapshots.get(id)?.samplingIntervalBytes ?? 0;
    const interval = intervalOf(sel.snapshot);
    const baseInterval = sel.base === null ? 0 : intervalOf(sel.base);
    const out = {
      format: 'wasm-tracemalloc view',
      version: 1,
      snapshot: this.#names.get(sel.snapshot),
      base: sel.base === null ? null : this.#names.get(sel.base),
      keyType: q.keyType,
      cumulative: q.cumulative,
      ...(q.peak && { peak: true }),
      sort,
      filters: { include: sel.include, exclude: sel.exclude, allFrames: sel.allFrames, domains: sel.domains, focus: sel.focus },
      total: model.total,
      ...(interval > 0 && { samplingIntervalBytes: interval }),
      ...(baseInterval > 0 && { baseSamplingIntervalBytes: baseInterval }),
      rows,
    };
    return JSON.stringify(out, null, 1);
  }

  /** The selected traces of the snapshot as a gzipped pprof heap profile (inuse_objects, inuse_space). */
  async exportPprof(selection: TraceSelection): Promise<Uint8Array> {
    const snapshot = this.#select(selection, selection.snapshot);
    const comments = [`wasm-tracemalloc viewer: ${this.#names.get(selection.snapshot) ?? ''}`];
    if (selection.include.length || selection.exclude.length) comments.push(`filters: include ${selection.include.join(' ')} exclude ${selection.exclude.join(' ')}`);
    return gzipPprof(snapshotToPprof(snapshot, { comments }));
  }

  /**
   * Precomputes, one step per call, what the next questions about a loaded
   * snapshot will need (its groupings and their row texts), so that regrouping
   * costs a lookup. The worker calls this when idle; returns whether steps remain.
   */
  warm(): boolean {
    for (const [id, snapshot] of this.#snapshots) {
      const done = (this.#warmed.get(id) ?? 0);
      if (done >= WARM_STEPS.length) continue;
      const [keyType, cumulative] = WARM_STEPS[done];
      this.#warmed.set(id, done + 1);
      const query: TableQuery = { selection: { snapshot: id, base: null, include: [], exclude: [], allFrames: false, domains: null, focus: null }, keyType, cumulative };
      this.#table(query);
      if (done === 0) frameKeys(snapshot.data);
      return true;
    }
    // Then the key maps between the newest snapshot and each other one (both
    // ways), so that a first diff matches no keys; the diffs themselves are
    // computed when asked for.
    const ids = [...this.#snapshots.keys()];
    const newest = ids.at(-1);
    for (const other of ids) {
      if (newest === undefined || other === newest) continue;
      for (const [a, b] of [
        [newest, other],
        [other, newest],
      ]) {
        const key = `${a}>${b}`;
        if (this.#matched.has(key)) continue;
        this.#matched.add(key);
        for (const keyType of ['lineno', 'traceback'] as const) {
          this.#largestDiff = Math.max(this.#largestDiff, this.#snapshots.get(a)!.matchKeys(this.#snapshots.get(b)!, keyType));
        }
        return true;
      }
    }
    return false;
  }

  /** Rows of the largest diff warm() has prepared (of two unfiltered snapshots); 0 before any. */
  get largestDiff(): number {
    return this.#largestDiff;
  }

  forget(id: number): void {
    this.#warmed.delete(id);
    for (const key of [...this.#matched]) if (key.split('>').includes(String(id))) this.#matched.delete(key);
    this.#snapshots.delete(id);
    this.#names.delete(id);
    this.#selected.clear();
    this.#tables.clear();
  }

  #table(q: TableQuery): TableEntry {
    const key = JSON.stringify([q.selection, q.keyType, q.cumulative, q.peak === true]);
    let entry = this.#tables.get(key);
    if (entry !== undefined) {
      this.#tables.delete(key); // most recently used last
      this.#tables.set(key, entry);
      return entry;
    }
    const t0 = now();
    const sel = q.selection;
    const after = this.#select(sel, sel.snapshot);
    if (q.peak) entry = peakTable(after, q, this.#masks.get(after));
    else {
      const total = totals(after);
      const before = sel.base === null ? undefined : this.#select(sel, sel.base);
      let stats: StatisticTable;
      let model: TableModel;
      if (before === undefined) {
        stats = after.statisticTable(q.keyType, q.cumulative);
        model = columns(stats, q, false, total, after);
      } else {
        stats = after.compareTable(before, q.keyType, q.cumulative);
        const base = totals(before);
        model = columns(stats, q, true, { ...total, baseSize: base.size, baseCount: base.count }, after, before);
      }
      entry = { stats, model, extra: [], sides: before === undefined ? [after] : [after, before] };
      // A diff's counters are a difference: both snapshots must have them (as show --compare).
      if (hasCounters(after.data) && (before === undefined || hasCounters(before.data))) {
        addChurn(entry, q, this.#churnPass(sel, after), before === undefined ? undefined : this.#churnPass(sel, before));
      }
    }
    entry.model.ms = now() - t0;
    remember(this.#tables, key, entry, TABLE_CACHE);
    return entry;
  }

  /** Snapshot `id` with the selection's filters applied (cached). */
  #select(sel: TraceSelection, id: number): Snapshot {
    const snapshot = this.#snapshots.get(id);
    if (snapshot === undefined) throw new RangeError(`no snapshot ${id} is loaded`);
    const threads = sel.threads ?? null;
    const key = JSON.stringify([id, sel.include, sel.exclude, sel.allFrames, sel.domains, threads, sel.focus]);
    let selected = this.#selected.get(key);
    if (selected === undefined) {
      const include = sel.include.map((g) => new Filter(true, g, null, sel.allFrames));
      const exclude = sel.exclude.map((g) => new Filter(false, g, null, sel.allFrames));
      const filtered = include.length > 0 || exclude.length > 0 || sel.domains !== null || threads !== null || sel.focus !== null;
      if (filtered) {
        const pass = passingTracebacks(snapshot, include, exclude, sel.focus);
        // A traceback belongs to the thread that allocated with it (0: the main thread).
        if (threads !== null) {
          const keep = new Set(threads);
          const tbs = snapshot.data.tracebacks;
          for (let t = 0; t < pass.length; t++) if (pass[t] !== 0 && !keep.has(tbs[t]!.thread ?? 0)) pass[t] = 0;
        }
        // Shares frames and tracebacks with `snapshot`, so the model reuses its tables.
        selected = snapshot.selectTraces(pass, sel.domains);
        this.#masks.set(selected, pass);
      } else selected = snapshot;
      remember(this.#selected, key, selected, SELECTION_CACHE);
    }
    return selected;
  }

  /**
   * The tracebacks whose counters a selected snapshot counts: those the filters
   * keep. Counters are per traceback, not per domain: with a domain selection,
   * only tracebacks with live blocks in the kept domains count (a site whose
   * blocks were all freed cannot be placed in a domain). Undefined: all of them.
   */
  #churnPass(sel: TraceSelection, selected: Snapshot): Uint8Array | undefined {
    const mask = this.#masks.get(selected);
    if (sel.domains === null) return mask;
    const { count } = selected.tracebackTotals();
    const out = new Uint8Array(count.length);
    for (let t = 0; t < count.length; t++) out[t] = count[t] > 0 && (mask === undefined || mask[t] === 1) ? 1 : 0;
    return out;
  }
}

function remember<V>(cache: Map<string, V>, key: string, value: V, limit: number): void {
  cache.set(key, value);
  while (cache.size > limit) cache.delete(cache.keys().next().value!);
}

function now(): number {
  return performance.now();
}

function summarize(snapshot: Snapshot, name: string): SnapshotSummary {
  const { domain, size } = snapshot.data.traces;
  const byDomain = new Map<number, DomainSummary>();
  const names = new Map(snapshot.domains.map((d) => [d.id, d.name]));
  let total = 0;
  // Runs of one domain are summed before a Map lookup: traces of a domain tend to be together.
  for (let i = 0; i < size.length; ) {
    const d = domain[i];
    let s = byDomain.get(d);
    if (s === undefined) byDomain.set(d, (s = { id: d, name: names.get(d) ?? `domain ${d}`, size: 0, count: 0 }));
    let bytes = 0;
    const from = i;
    for (; i < size.length && domain[i] === d; i++) bytes += size[i];
    s.size += bytes;
    s.count += i - from;
    total += bytes;
  }
  let blocks = size.length;
  const interval = snapshot.samplingIntervalBytes;
  if (interval > 0) {
    // Sampled: what the traces stand for, as the tables count it (per traceback, rounded).
    ({ size: total, count: blocks } = totals(snapshot));
    const domains = [...byDomain.values()];
    for (const d of domains) {
      d.traces = d.count;
      const own = domains.length === 1 ? { size: total, count: blocks } : totals(snapshot.selectTraces(null, [d.id]));
      d.size = own.size;
      d.count = own.count;
    }
  }
  const sites = (snapshot.samples as (SampleSeries & { sites?: { traceback: number[]; size: number[][] } }) | undefined)?.sites;
  let peak: { size: number; count: number } | undefined;
  for (const tb of snapshot.data.tracebacks as CountedTraceback[]) {
    if (tb.peakSize === undefined) continue;
    peak ??= { size: 0, count: 0 };
    peak.size += tb.peakSize;
    peak.count += tb.peakCount ?? 0;
  }
  return {
    name,
    traces: size.length,
    blocks,
    size: total,
    samplingIntervalBytes: interval,
    tracebacks: snapshot.data.tracebacks.length,
    tracebackLimit: snapshot.tracebackLimit,
    domains: [...byDomain.values()].sort((a, b) => a.id - b.id),
    threads: snapshot.data.tracebacks.some((tb) => tb.thread !== undefined) ? snapshot.threads().sort((a, b) => a.thread - b.thread) : [],
    meta: { ...snapshot.meta },
    ...(snapshot.samples !== undefined && { samples: snapshot.samples }),
    ...(sites !== undefined && { siteLabels: siteLabelsOf(snapshot.data, sites.traceback) }),
    ...(peak !== undefined && { peakComposition: peak }),
    loadMs: 0,
  };
}

/**
 * Bytes and blocks of a (selected) snapshot. Sampled, they are the estimates the
 * tables add up (tracebackTotals), and `traces` says how many sampled traces
 * they stand on: snapshot.length is not a number of blocks then.
 */
function totals(snapshot: Snapshot): { size: number; count: number; traces?: number } {
  const total = snapshot.total();
  return snapshot.samplingIntervalBytes === 0 ? total : { ...total, traces: snapshot.length };
}

function columns(stats: StatisticTable, q: TableQuery, compare: boolean, total: TableModel['total'], after: Snapshot, before?: Snapshot): TableModel {
  const n = stats.length;
  const model: TableModel = {
    keyType: q.keyType,
    cumulative: q.cumulative,
    compare,
    keys: packStrings([]),
    // The model's own columns: the worker copies them to the page (structured clone).
    size: stats.size,
    count: stats.count,
    total,
    ms: 0,
  };
  if (compare) {
    model.sizeDiff = stats.sizeDiff;
    model.countDiff = stats.countDiff;
  }
  // The model's table of key texts (built once per snapshot) and an entry per row.
  model.keys = stats.keyTexts();
  if (q.keyType !== 'filename') model.functions = functionsOfRows(stats, q.keyType, after, before);
  if (q.keyType === 'traceback') {
    const sent = Math.min(n, CALLERS_SENT);
    const callers = new Array<string>(sent);
    for (let i = 0; i < sent; i++) callers[i] = callersOfRow(stats, i, after, before);
    model.callers = packStrings(callers);
  }
  return model;
}

/**
 * The function of each row's most recent frame, as packed strings with one
 * entry per distinct name: integer work per row (the frame is the key's first
 * frame, or the last of its first traceback).
 */
function functionsOfRows(stats: StatisticTable, keyType: KeyType, after: Snapshot, before: Snapshot | undefined): PackedStrings {
  const entries = new Map<string, number>();
  const names: string[] = [];
  const entryOf = (name: string): number => {
    let e = entries.get(name);
    if (e === undefined) {
      entries.set(name, (e = names.length));
      names.push(name);
    }
    return e;
  };
  const perFrame = new Map<SnapshotData, Int32Array>();
  const ids = new Uint32Array(stats.length);
  for (let i = 0; i < stats.length; i++) {
    const data = stats.fromOld(i) ? before!.data : after.data;
    let cache = perFrame.get(data);
    if (cache === undefined) perFrame.set(data, (cache = new Int32Array(data.frames.length + 1).fill(-1)));
    const first = stats.keyFirst(i);
    let f = first;
    if (keyType === 'traceback') {
      const frames = data.tracebacks[first]?.frames ?? [];
      f = frames.length > 0 ? frames[frames.length - 1] : data.frames.length;
    }
    if (!(f >= 0 && f <= data.frames.length)) f = data.frames.length;
    let e = cache[f];
    if (e < 0) e = cache[f] = entryOf((f < data.frames.length ? data.frames[f].function : undefined) ?? '');
    ids[i] = e;
  }
  const ends = new Uint32Array(names.length);
  let at = 0;
  for (let k = 0; k < names.length; k++) ends[k] = at += names[k].length;
  return { text: names.join(''), ends, ids };
}

function callersOfRow(stats: StatisticTable, i: number, after: Snapshot, before: Snapshot | undefined): string {
  const old = stats.fromOld(i);
  const data = old ? before!.data : after.data;
  const cache = callersCache(data);
  return (cache[stats.keyFirst(i)] ??= callersOf(data, stats.keyFrames(i)));
}

/**
 * "← caller ← its caller …" by traceback index, per tracebacks array (shared
 * by every snapshot filtered from one): computed once per traceback.
 */
const callersCaches = new WeakMap<object, Array<string | undefined>>();
function callersCache(data: SnapshotData): Array<string | undefined> {
  let cache = callersCaches.get(data.tracebacks);
  if (cache === undefined) callersCaches.set(data.tracebacks, (cache = new Array<string | undefined>(data.tracebacks.length).fill(undefined)));
  return cache;
}

/** "← caller ← its caller …" for a traceback row, newest first. */
function callersOf(data: SnapshotData, frames: readonly number[]): string {
  const parts: string[] = [];
  for (let i = frames.length - 2; i >= 0 && parts.length < CALLERS_SHOWN; i--) {
    const f = frames[i];
    const fd = f < data.frames.length ? data.frames[f] : { filename: '<unknown>', lineno: 0 };
    parts.push(fd.function ?? frameText({ text: '', filename: fd.filename, lineno: fd.lineno, offset: fd.offset, function: fd.function }));
  }
  if (frames.length - 1 > CALLERS_SHOWN) parts.push('…');
  return parts.length > 0 ? `← ${parts.join(' ← ')}` : '';
}

/**
 * Source lines by frame key. FrameData may carry `source` (added with file:line
 * symbolization); a frame of the same key without one borrows it from here.
 */
const sourceMaps = new WeakMap<object, Map<string, string>>();
function sourcesOf(snapshot: Snapshot): Map<string, string> {
  const frames = snapshot.data.frames;
  let map = sourceMaps.get(frames);
  if (map === undefined) {
    map = new Map();
    for (const f of frames) {
      const source = (f as { source?: unknown }).source;
      if (typeof source === 'string' && source.trim() !== '') map.set(frameKey(f), source);
    }
    sourceMaps.set(frames, map);
  }
  return map;
}

const UNKNOWN_KEY = frameKey({ filename: '<unknown>', lineno: 0 });

/** frameKey of every frame index, computed once per frames array. */
const frameKeyCache = new WeakMap<object, string[]>();
function frameKeys(data: SnapshotData): string[] {
  let keys = frameKeyCache.get(data.frames);
  if (keys === undefined) {
    keys = data.frames.map((f) => frameKey(f));
    frameKeyCache.set(data.frames, keys);
  }
  return keys;
}

/** The FrameView of frame index `f` (the frame count stands for `<unknown>:0`). */
function frameViewOf(data: SnapshotData, f: number, source: string | undefined): FrameView {
  const fd = f < data.frames.length ? data.frames[f] : { filename: '<unknown>', lineno: 0 };
  const view: FrameView = { text: '', filename: fd.filename, lineno: fd.lineno };
  if (fd.function !== undefined) view.function = fd.function;
  if (fd.offset !== undefined) view.offset = fd.offset;
  view.text = frameText(view);
  if (source !== undefined) view.source = source;
  return view;
}

/**
 * The tracebacks whose traces pass the Filter globs (Snapshot.filterTraces'
 * rule: at least one inclusive filter, when there are any, and every exclusive
 * one) and pass through `focus` (any when null); the selection then keeps their
 * traces of the selected domains (Snapshot.selectTraces). Domains and focus
 * narrow what the globs keep (AND): as tracemalloc filters they would be ORed
 * with the inclusive globs. A Filter's verdict depends on the traceback only, so
 * it is computed once per traceback with the Filter's own matchFrames, and the
 * traces are copied in one pass (filterTraces and then a second pass cost one
 * more copy and validation of every column).
 */
function passingTracebacks(snapshot: Snapshot, include: Filter[], exclude: Filter[], focus: FrameRef | null): Uint8Array {
  const data = snapshot.data;
  const pass = include.length > 0 || exclude.length > 0 ? snapshot.tracebackMask([...include, ...exclude]) : new Uint8Array(data.tracebacks.length).fill(1);
  if (focus !== null) {
    // One key comparison per frame, then one lookup per frame reference.
    const key = frameKey(focus);
    const keys = frameKeys(data);
    const hit = new Uint8Array(data.frames.length + 1);
    for (let f = 0; f < keys.length; f++) hit[f] = keys[f] === key ? 1 : 0;
    hit[data.frames.length] = key === UNKNOWN_KEY ? 1 : 0;
    for (let t = 0; t < pass.length; t++) {
      if (pass[t] === 0) continue;
      const frames = data.tracebacks[t].frames;
      let through = frames.length === 0 ? hit[data.frames.length] : 0;
      for (let i = 0; i < frames.length && through === 0; i++) through = hit[frames[i]];
      pass[t] = through;
    }
  }
  return pass;
}

/** Frame.toString without building a Frame. */
function frameText(f: FrameView): string {
  if (f.lineno > 0 || f.offset === undefined) return `${f.filename}:${f.lineno}`;
  return `${f.filename}:${f.function ?? '<unknown>'}+0x${f.offset.toString(16)}`;
}


/**
 * The frame that a group of key `key` shows, of traceback `t`: its most recent
 * frame, or with a cumulative grouping its most recent frame of that key.
 */
function keyFrameOf(data: SnapshotData, keyType: KeyType, cumulative: boolean, t: number, key: number): number {
  const frames = data.tracebacks[t].frames;
  if (frames.length === 0) return data.frames.length;
  if (keyType === 'traceback' || !cumulative) return frames[frames.length - 1];
  for (let i = frames.length - 1; i >= 0; i--) if (keyIdOfFrames(data, keyType, [frames[i]]) === key) return frames[i];
  return frames[frames.length - 1];
}

/** A group's key as tracemalloc prints it (`churn.c:14`, `churn.c:0` for a file) and its frame's function. */
function groupText(data: SnapshotData, groups: KeyedGroups, g: number): { text: string; fn: string } {
  const keyType = groups.keyType;
  const f = keyFrameOf(data, keyType, groups.cumulative, groups.first[g], groups.key[g]);
  if (keyType === 'filename') return { text: `${f < data.frames.length ? data.frames[f].filename : '<unknown>'}:0`, fn: '' };
  return { text: frameTexts(data)[f], fn: (f < data.frames.length ? data.frames[f].function : undefined) ?? '' };
}

/** frameText of every frame index (and of `<unknown>:0` at frames.length), once per frames array. */
const frameTextCache = new WeakMap<object, string[]>();
function frameTexts(data: SnapshotData): string[] {
  let texts = frameTextCache.get(data.frames);
  if (texts === undefined) {
    texts = data.frames.map((fd) => frameText({ text: '', filename: fd.filename, lineno: fd.lineno, offset: fd.offset, function: fd.function }));
    texts.push('<unknown>:0');
    frameTextCache.set(data.frames, texts);
  }
  return texts;
}

/**
 * Adds the churn columns to a table of the model (of live traces, or a diff):
 * each row's counters, their increase since the base in a diff. The model's diff
 * already has the groups that only churned (compareTable), as rows of size 0.
 */
function addChurn(entry: TableEntry, q: TableQuery, passAfter: Uint8Array | undefined, passBefore: Uint8Array | undefined): void {
  const stats = entry.stats!;
  const [after, before] = entry.sides;
  const now = churnByKey(after.data, q.keyType, q.cumulative, passAfter);
  const then = before === undefined ? undefined : churnByKey(before.data, q.keyType, q.cumulative, passBefore);
  const n = stats.length;
  const afterIds = q.keyType === 'traceback' ? tracebackKeyIds(after.data, 'traceback') : undefined;
  const beforeIds = q.keyType === 'traceback' && before !== undefined ? tracebackKeyIds(before.data, 'traceback') : undefined;
  const cols = CHURN_FIELDS.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    // The row's key id: by traceback that of its first traceback, else of its frame (keyFirst).
    const old = stats.fromOld(i);
    const first = stats.keyFirst(i);
    const ids = old ? beforeIds : afterIds;
    const id = ids !== undefined ? ids[first] : keyIdOfFrames(old ? before!.data : after.data, q.keyType, [first]);
    const a = groupOf(now, id);
    const b = then === undefined ? -1 : groupOf(then, id);
    for (let k = 0; k < 4; k++) cols[k][i] = (a >= 0 ? now.values[4 * a + k] : 0) - (b >= 0 ? then!.values[4 * b + k] : 0);
  }
  [entry.model.allocCount, entry.model.freeCount, entry.model.allocSize, entry.model.freeSize] = cols;
}

/**
 * The composition of the traced peak by the query's key: per group, the bytes
 * and blocks its tracebacks held at the peak (peakSize, peakCount), largest
 * first, then most blocks, then in the order of the tracebacks.
 */
function peakTable(snapshot: Snapshot, q: TableQuery, pass: Uint8Array | undefined): TableEntry {
  const data = snapshot.data;
  const groups = peakByKey(data, q.keyType, q.cumulative, pass);
  const n = groups.length;
  const texts = new Array<string>(n);
  const fns = new Array<string>(n);
  for (let g = 0; g < n; g++) ({ text: texts[g], fn: fns[g] } = groupText(data, groups, g));
  const v = groups.values;
  // Ties by the group's first traceback: numbers only (comparing texts took most of the time by traceback).
  const first = groups.first;
  const order = Array.from({ length: n }, (_, g) => g).sort((a, b) => v[2 * b] - v[2 * a] || v[2 * b + 1] - v[2 * a + 1] || first[a] - first[b]);
  const size = Float64Array.from(order, (g) => v[2 * g]);
  const count = Float64Array.from(order, (g) => v[2 * g + 1]);
  // A block counts once in the total, though a cumulative grouping counts it under several keys.
  let totalSize = 0;
  let totalCount = 0;
  const tbs = data.tracebacks as CountedTraceback[];
  for (let t = 0; t < tbs.length; t++) {
    if (pass !== undefined && pass[t] === 0) continue;
    totalSize += tbs[t].peakSize ?? 0;
    totalCount += tbs[t].peakCount ?? 0;
  }
  const model: TableModel = {
    keyType: q.keyType,
    cumulative: q.cumulative,
    compare: false,
    peak: true,
    keys: packStrings(order.map((g) => texts[g])),
    size,
    count,
    total: { size: totalSize, count: totalCount },
    ms: 0,
  };
  if (q.keyType !== 'filename') model.functions = packStrings(order.map((g) => fns[g]));
  if (q.keyType === 'traceback') {
    const cache = callersCache(data);
    model.callers = packStrings(order.slice(0, CALLERS_SENT).map((g) => (cache[groups.first[g]] ??= callersOf(data, data.tracebacks[groups.first[g]].frames))));
  }
  return { stats: null, model, extra: order.map((group) => ({ side: 0, groups, group })), sides: [snapshot] };
}

/** Flame graph weights at the peak: bytes and blocks per traceback, and which tracebacks count (the filters' and those with blocks then). */
function peakWeights(data: SnapshotData, pass: Uint8Array | undefined): { size: Float64Array; count: Float64Array; take: (t: number) => boolean } {
  const tbs = data.tracebacks as CountedTraceback[];
  const size = new Float64Array(tbs.length);
  const count = new Float64Array(tbs.length);
  for (let t = 0; t < tbs.length; t++) {
    if (pass !== undefined && pass[t] === 0) continue;
    size[t] = tbs[t].peakSize ?? 0;
    count[t] = tbs[t].peakCount ?? 0;
  }
  return { size, count, take: (t) => size[t] > 0 };
}

/** The labels of the sites a sample series tracks (SampleSeries.sites), for the timeline. */
function siteLabelsOf(data: SnapshotData, sites: ArrayLike<number>): SiteLabel[] {
  // Array.from: a typed array's map would make numbers of the labels.
  return Array.from(sites, (t) => {
    if (!(Number.isInteger(t) && t >= 0 && t < data.tracebacks.length)) {
      return { lineno: `?${t}`, filename: `?${t}`, traceback: `?${t}`, text: `traceback ${t}`, function: '', file: '', callers: '' };
    }
    const frames = data.tracebacks[t].frames;
    const recent = frames.length > 0 ? frames[frames.length - 1] : data.frames.length;
    const view = frameViewOf(data, recent, undefined);
    return {
      lineno: String(keyIdOfFrames(data, 'lineno', [recent])),
      filename: String(keyIdOfFrames(data, 'filename', [recent])),
      traceback: String(keyIdOfFrames(data, 'traceback', frames.length > 0 ? frames : [recent])),
      text: view.text,
      function: view.function ?? '',
      file: view.filename,
      callers: callersOf(data, frames),
    };
  });
}
