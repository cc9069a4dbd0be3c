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
 * are kept, so regrouping or sorting never reloads or refilters.
 */

import {
  Filter,
  Snapshot,
  Statistic,
  StatisticDiff,
  frameKey,
  type SnapshotData,
  type SnapshotMeta,
  type Traceback,
} from '@wasm-tracemalloc/runtime/model';
import { gzipPprof, snapshotToPprof } from '@wasm-tracemalloc/runtime/pprof';
import { buildFlameTree, type FlameMeasure, type FlameModel, type WeightedPath } from './flame-tree.js';
import type { FrameView } from './frame-view.js';
import { packStrings, stringAt } from './packed-strings.js';
import { orderRows, rowStatus, rowText, type TableModel } from './table.js';
import type { FrameRef, KeyType, SortKey, TraceSelection } from './view-state.js';

export interface DomainSummary {
  id: number;
  name: string;
  size: number;
  count: number;
}

/** What the viewer shows of a loaded snapshot before any query. */
export interface SnapshotSummary {
  name: string;
  traces: number;
  size: number;
  /** Distinct tracebacks (allocation sites, or call paths with nframe > 1). */
  tracebacks: number;
  tracebackLimit: number;
  /** Domains that hold traces, with their totals, by id. */
  domains: DomainSummary[];
  meta: SnapshotMeta;
  loadMs: number;
}

export interface TableQuery {
  selection: TraceSelection;
  keyType: KeyType;
  cumulative: boolean;
}

export interface DetailTraceback {
  size: number;
  count: number;
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
}

export const DETAIL_LIMIT = 20;
const CALLERS_SHOWN = 3;
const SELECTION_CACHE = 4;
const TABLE_CACHE = 8;
const WARM_STEPS: Array<[KeyType, boolean]> = [
  ['lineno', false],
  ['filename', false],
  ['traceback', false],
];

interface TableEntry {
  stats: Array<Statistic | StatisticDiff>;
  model: TableModel;
}

export class Analysis {
  readonly #snapshots = new Map<number, Snapshot>();
  readonly #names = new Map<number, string>();
  readonly #selected = new Map<string, Snapshot>();
  readonly #tables = new Map<string, TableEntry>();
  readonly #warmed = new Map<number, number>();

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

  detail(q: TableQuery, row: number): DetailModel {
    const { stats, model } = this.#table(q);
    const stat = stats[row];
    if (stat === undefined) throw new RangeError(`no row ${row}: the table has ${stats.length}`);
    let from: DetailModel['from'] = 'snapshot';
    let snapshot = this.#select(q.selection, q.selection.snapshot);
    if (stat.count === 0 && q.selection.base !== null) {
      from = 'base';
      snapshot = this.#select(q.selection, q.selection.base);
    }
    const { tracebacks, tracebackCount } = tracebacksOf(snapshot, stat.traceback, q.keyType, q.cumulative);
    return { line: rowText(model, row), from, tracebacks, tracebackCount };
  }

  /**
   * The flame graph of the selection. Built from the columns (bytes and blocks
   * per traceback index, frames by key), not from statistics('traceback'): the
   * tree merges equal call paths anyway, and this costs one pass over the traces
   * plus one trie insertion per traceback.
   */
  flame(selection: TraceSelection, measure: FlameMeasure): FlameModel {
    const t0 = now();
    const after = this.#select(selection, selection.snapshot);
    const compare = selection.base !== null;
    const frames: FrameView[] = [];
    const ids = new Map<string, number>();
    const paths: WeightedPath[] = [];
    const add = (snapshot: Snapshot, which: 'after' | 'before') => {
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
      const { size, count } = totalsOf(snapshot);
      const unknown = [data.frames.length];
      for (let t = 0; t < count.length; t++) {
        if (count[t] === 0) continue;
        const tb = data.tracebacks[t].frames;
        const path = (tb.length > 0 ? tb : unknown).map(frameId);
        paths.push(which === 'after' ? { frames: path, after: size[t], afterCount: count[t], before: 0, beforeCount: 0 } : { frames: path, after: 0, afterCount: 0, before: size[t], beforeCount: count[t] });
      }
    };
    add(after, 'after');
    if (compare) add(this.#select(selection, selection.base!), 'before');
    else for (const p of paths) [p.before, p.beforeCount] = [p.after, p.afterCount];
    return { ...buildFlameTree(frames, paths, compare, compare ? measure : 'after'), ms: now() - t0 };
  }

  /** The current view as JSON: the selection, then every row in the table's order. */
  exportJson(q: TableQuery, sort: SortKey): string {
    const { stats, model } = this.#table(q);
    const order = orderRows(model, sort);
    const rows = Array.from(order, (i) => {
      const s = stats[i];
      const row: Record<string, unknown> = { key: stringAt(model.keys, i), size: s.size, count: s.count };
      if (s instanceof StatisticDiff) {
        row.sizeDiff = s.sizeDiff;
        row.countDiff = s.countDiff;
        row.status = rowStatus(model, i);
      }
      if (q.keyType === 'traceback') row.traceback = s.traceback.format(null, true);
      row.text = rowText(model, i);
      return row;
    });
    const sel = q.selection;
    const out = {
      format: 'wasm-tracemalloc view',
      version: 1,
      snapshot: this.#names.get(sel.snapshot),
      base: sel.base === null ? null : this.#names.get(sel.base),
      keyType: q.keyType,
      cumulative: q.cumulative,
      sort,
      filters: { include: sel.include, exclude: sel.exclude, allFrames: sel.allFrames, domains: sel.domains, focus: sel.focus },
      total: model.total,
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
      if (done === 0) {
        totalsOf(snapshot);
        frameKeys(snapshot.data);
      }
      return true;
    }
    return false;
  }

  forget(id: number): void {
    this.#warmed.delete(id);
    this.#snapshots.delete(id);
    this.#names.delete(id);
    this.#selected.clear();
    this.#tables.clear();
  }

  #table(q: TableQuery): TableEntry {
    const key = JSON.stringify([q.selection, q.keyType, q.cumulative]);
    let entry = this.#tables.get(key);
    if (entry !== undefined) {
      this.#tables.delete(key); // most recently used last
      this.#tables.set(key, entry);
      return entry;
    }
    const t0 = now();
    const sel = q.selection;
    const after = this.#select(sel, sel.snapshot);
    const total = totals(after);
    let stats: Array<Statistic | StatisticDiff>;
    let model: TableModel;
    if (sel.base === null) {
      const list = after.statistics(q.keyType, q.cumulative);
      stats = list;
      model = columns(list, q, false, total);
    } else {
      const before = this.#select(sel, sel.base);
      const list = after.compareTo(before, q.keyType, q.cumulative);
      stats = list;
      const base = totals(before);
      model = columns(list, q, true, { ...total, baseSize: base.size, baseCount: base.count });
    }
    model.ms = now() - t0;
    entry = { stats, model };
    remember(this.#tables, key, entry, TABLE_CACHE);
    return entry;
  }

  /** Snapshot `id` with the selection's filters applied (cached). */
  #select(sel: TraceSelection, id: number): Snapshot {
    const snapshot = this.#snapshots.get(id);
    if (snapshot === undefined) throw new RangeError(`no snapshot ${id} is loaded`);
    const key = JSON.stringify([id, sel.include, sel.exclude, sel.allFrames, sel.domains, sel.focus]);
    let selected = this.#selected.get(key);
    if (selected === undefined) {
      const include = sel.include.map((g) => new Filter(true, g, null, sel.allFrames));
      const exclude = sel.exclude.map((g) => new Filter(false, g, null, sel.allFrames));
      const filtered = include.length > 0 || exclude.length > 0 || sel.domains !== null || sel.focus !== null;
      selected = filtered ? keepTraces(snapshot, include, exclude, sel.domains, sel.focus) : snapshot;
      remember(this.#selected, key, selected, SELECTION_CACHE);
    }
    return selected;
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
  for (let i = 0; i < size.length; i++) {
    const d = domain[i];
    let s = byDomain.get(d);
    if (s === undefined) byDomain.set(d, (s = { id: d, name: names.get(d) ?? `domain ${d}`, size: 0, count: 0 }));
    s.size += size[i];
    s.count++;
    total += size[i];
  }
  return {
    name,
    traces: size.length,
    size: total,
    tracebacks: snapshot.data.tracebacks.length,
    tracebackLimit: snapshot.tracebackLimit,
    domains: [...byDomain.values()].sort((a, b) => a.id - b.id),
    meta: { ...snapshot.meta },
    loadMs: 0,
  };
}

function totals(snapshot: Snapshot): { size: number; count: number } {
  const size = snapshot.data.traces.size;
  let sum = 0;
  for (let i = 0; i < size.length; i++) sum += size[i];
  return { size: sum, count: size.length };
}

function columns(list: Array<Statistic | StatisticDiff>, q: TableQuery, compare: boolean, total: TableModel['total']): TableModel {
  const n = list.length;
  const model: TableModel = {
    keyType: q.keyType,
    cumulative: q.cumulative,
    compare,
    keys: packStrings([]),
    size: new Float64Array(n),
    count: new Float64Array(n),
    total,
    ms: 0,
  };
  if (compare) {
    model.sizeDiff = new Float64Array(n);
    model.countDiff = new Float64Array(n);
  }
  const keys = new Array<string>(n);
  const callers = q.keyType === 'traceback' ? new Array<string>(n) : undefined;
  for (let i = 0; i < n; i++) {
    const s = list[i];
    keys[i] = keyText(s.traceback);
    model.size[i] = s.size;
    model.count[i] = s.count;
    if (compare) {
      model.sizeDiff![i] = (s as StatisticDiff).sizeDiff;
      model.countDiff![i] = (s as StatisticDiff).countDiff;
    }
    if (callers) {
      let text = callersCache.get(s.traceback);
      if (text === undefined) callersCache.set(s.traceback, (text = callersOf(s.traceback)));
      callers[i] = text;
    }
  }
  model.keys = packStrings(keys);
  if (callers) model.callers = packStrings(callers);
  return model;
}

// The model keeps one Traceback object per key for a snapshot's frames, shared by
// every snapshot filtered from it: texts computed once per Traceback are reused
// by every later table.
const keyCache = new WeakMap<Traceback, string>();
const callersCache = new WeakMap<Traceback, string>();

function keyText(tb: Traceback): string {
  let text = keyCache.get(tb);
  if (text === undefined) keyCache.set(tb, (text = tb.toString()));
  return text;
}

/** "← caller ← its caller …" for a traceback row, newest first. */
function callersOf(tb: Traceback): string {
  const frames = tb.frames;
  const parts: string[] = [];
  for (let i = frames.length - 2; i >= 0 && parts.length < CALLERS_SHOWN; i--) parts.push(frames[i].function ?? frames[i].toString());
  if (frames.length - 1 > CALLERS_SHOWN) parts.push('…');
  return parts.length > 0 ? `← ${parts.join(' ← ')}` : '';
}

/**
 * Source lines by frame key. FrameData may carry `source` (added with file:line
 * symbolization); the model's Frame does not keep it, so it is looked up here.
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

/** Bytes and blocks per traceback index of a snapshot's traces (cached per snapshot). */
const totalsCache = new WeakMap<Snapshot, { size: Float64Array; count: Float64Array }>();
function totalsOf(snapshot: Snapshot): { size: Float64Array; count: Float64Array } {
  let totals = totalsCache.get(snapshot);
  if (totals === undefined) {
    const data = snapshot.data;
    const size = new Float64Array(data.tracebacks.length);
    const count = new Float64Array(data.tracebacks.length);
    const { size: sizes, traceback } = data.traces;
    for (let i = 0; i < sizes.length; i++) {
      size[traceback[i]] += sizes[i];
      count[traceback[i]]++;
    }
    totals = { size, count };
    totalsCache.set(snapshot, totals);
  }
  return totals;
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
 * The traces that pass the Filter globs (Snapshot.filterTraces' rule: at least
 * one inclusive filter, when there are any, and every exclusive one), belong to
 * `domains` (all when null) and pass through `focus` (any when null). Domains and
 * focus narrow what the globs keep (AND): as tracemalloc filters they would be
 * ORed with the inclusive globs. A Filter's verdict depends on the traceback
 * only, so it is computed once per traceback with the Filter's own matchFrames,
 * and the traces are copied in one pass (filterTraces and then a second pass
 * cost one more copy and validation of every column).
 */
function keepTraces(snapshot: Snapshot, include: Filter[], exclude: Filter[], domains: number[] | null, focus: FrameRef | null): Snapshot {
  const data = snapshot.data;
  const n = data.tracebacks.length;
  const pass = new Uint8Array(n).fill(1);
  const unknown = { filename: '<unknown>', lineno: 0 };
  const frameOf = (f: number) => (f < data.frames.length ? data.frames[f] : unknown);
  const verdicts = (filter: Filter): Uint8Array => {
    const byFrame = new Int8Array(data.frames.length + 1).fill(-1);
    const out = new Uint8Array(n);
    for (let t = 0; t < n; t++) {
      const frames = data.tracebacks[t].frames.length > 0 ? data.tracebacks[t].frames : [data.frames.length];
      out[t] = filter.matchFrames(frames.length, (i) => {
        const f = frames[i];
        if (byFrame[f] < 0) byFrame[f] = filter.frameMatches(frameOf(f).filename, frameOf(f).lineno) ? 1 : 0;
        return byFrame[f] === 1;
      })
        ? 1
        : 0;
    }
    return out;
  };
  if (include.length > 0) {
    const any = new Uint8Array(n);
    for (const f of include) {
      const v = verdicts(f);
      for (let t = 0; t < n; t++) any[t] |= v[t];
    }
    for (let t = 0; t < n; t++) pass[t] &= any[t];
  }
  for (const f of exclude) {
    const v = verdicts(f);
    for (let t = 0; t < n; t++) pass[t] &= v[t];
  }
  if (focus !== null) {
    const key = frameKey(focus);
    const keys = frameKeys(data);
    for (let t = 0; t < n; t++) {
      const frames = data.tracebacks[t].frames;
      if (pass[t] && !(frames.length === 0 ? key === UNKNOWN_KEY : frames.some((f) => keys[f] === key))) pass[t] = 0;
    }
  }
  const domainSet = domains === null ? null : new Set(domains);
  const { domain, size, traceback } = data.traces;
  const keep = new Uint8Array(size.length);
  let kept = 0;
  for (let i = 0; i < size.length; i++) {
    if (pass[traceback[i]] === 0 || (domainSet !== null && !domainSet.has(domain[i]))) continue;
    keep[i] = 1;
    kept++;
  }
  const traces = { domain: new Uint32Array(kept), size: new Float64Array(kept), traceback: new Uint32Array(kept) };
  for (let i = 0, j = 0; j < kept; i++) {
    if (keep[i] === 0) continue;
    traces.domain[j] = domain[i];
    traces.size[j] = size[i];
    traces.traceback[j++] = traceback[i];
  }
  // Shares frames and tracebacks with `snapshot`, so the model reuses its tables.
  return new Snapshot({ ...data, traces });
}

/**
 * The tracebacks behind one row of a table: those whose key (most recent frame,
 * its file, or the whole traceback; any frame when cumulative) is the row's, with
 * their bytes and blocks in `snapshot`, heaviest first.
 */
function tracebacksOf(snapshot: Snapshot, rowTraceback: Traceback, keyType: KeyType, cumulative: boolean): { tracebacks: DetailTraceback[]; tracebackCount: number } {
  const data = snapshot.data;
  const keys = frameKeys(data);
  const rowFrames = rowTraceback.frames;
  const fileOf = (f: number) => (f < data.frames.length ? data.frames[f].filename : '<unknown>');
  const keyOf = (f: number) => (f < keys.length ? keys[f] : UNKNOWN_KEY);
  const unknownFrames = [data.frames.length];
  let matches: (frames: readonly number[]) => boolean;
  if (keyType === 'traceback') {
    const want = rowFrames.map((f) => f.key);
    matches = (frames) => frames.length === want.length && frames.every((f, i) => keyOf(f) === want[i]);
  } else if (keyType === 'lineno') {
    const want = rowFrames[0].key;
    matches = cumulative ? (frames) => frames.some((f) => keyOf(f) === want) : (frames) => keyOf(frames[frames.length - 1]) === want;
  } else {
    const want = rowFrames[0].filename;
    matches = cumulative ? (frames) => frames.some((f) => fileOf(f) === want) : (frames) => fileOf(frames[frames.length - 1]) === want;
  }

  const { size: tbSize, count: tbCount } = totalsOf(snapshot);
  const hits: number[] = [];
  data.tracebacks.forEach((tb, t) => {
    if (tbCount[t] > 0 && matches(tb.frames.length > 0 ? tb.frames : unknownFrames)) hits.push(t);
  });
  hits.sort((a, b) => tbSize[b] - tbSize[a] || tbCount[b] - tbCount[a] || a - b);
  const sources = sourcesOf(snapshot);
  const tracebacks = hits.slice(0, DETAIL_LIMIT).map((t) => {
    const tb = data.tracebacks[t];
    const frames = (tb.frames.length > 0 ? tb.frames : unknownFrames).map((f) => frameViewOf(data, f, sources.get(keyOf(f))));
    return { size: tbSize[t], count: tbCount[t], totalNframe: tb.totalNframe, frames: frames.reverse() };
  });
  return { tracebacks, tracebackCount: hits.length };
}

/** Frame.toString without building a Frame. */
function frameText(f: FrameView): string {
  if (f.lineno > 0 || f.offset === undefined) return `${f.filename}:${f.lineno}`;
  return `${f.filename}:${f.function ?? '<unknown>'}+0x${f.offset.toString(16)}`;
}

