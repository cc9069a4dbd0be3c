/**
 * What the viewer shows, as plain data: which snapshot (and which one to compare it
 * with), how traces are grouped, sorted and filtered, and which view is open. The
 * URL holds exactly this (url-state.ts), so a view can be shared; everything the
 * views draw is computed from it by the analysis (analysis.ts, in a Worker).
 */

export type KeyType = 'filename' | 'lineno' | 'traceback';

/** Table order. The diff keys only apply when comparing; descending always. */
export type SortKey = 'size' | 'count' | 'average' | 'sizeDiff' | 'countDiff' | 'allocCount' | 'freeCount' | 'allocSize' | 'freeSize';

export type ViewName = 'table' | 'flame' | 'leaks' | 'peak';

/** A frame as the traceback panel offers it for filtering ("traces through this frame"). */
export interface FrameRef {
  filename: string;
  lineno: number;
  function?: string;
  offset?: number;
}

/** The part of the state that selects traces: the same for the table, the flame graph and exports. */
export interface TraceSelection {
  /** Index of the snapshot in the loaded list. */
  snapshot: number;
  /** Index of the snapshot to compare with, or null. */
  base: number | null;
  /** fnmatch globs on the filename: tracemalloc Filter(true, …), ORed. */
  include: string[];
  /** fnmatch globs on the filename: tracemalloc Filter(false, …). */
  exclude: string[];
  /** The globs look at every frame of a traceback, not only the most recent one (Filter.allFrames). */
  allFrames: boolean;
  /** Domains (module instances) to keep; null keeps all. */
  domains: number[] | null;
  /** Threads to keep, by the thread that allocated (a program on threads; 0 is the main thread); null (or absent) keeps all. */
  threads?: number[] | null;
  /** Keep only traces whose traceback passes through this frame. */
  focus: FrameRef | null;
}

export interface ViewState extends TraceSelection {
  keyType: KeyType;
  cumulative: boolean;
  sort: SortKey;
  view: ViewName;
  /** Flame graph search text. */
  search: string;
  /** The flame graph bottom-up: allocating functions at the root, their callers beyond. */
  bottomUp: boolean;
}

export const DEFAULT_VIEW_STATE: Readonly<ViewState> = Object.freeze({
  snapshot: 0,
  base: null,
  include: [],
  exclude: [],
  allFrames: false,
  domains: null,
  threads: null,
  focus: null,
  keyType: 'lineno',
  cumulative: false,
  sort: 'size',
  view: 'table',
  search: '',
  bottomUp: false,
});

export const KEY_TYPES: readonly KeyType[] = ['filename', 'lineno', 'traceback'];
export const SORT_KEYS: readonly SortKey[] = ['size', 'count', 'average', 'sizeDiff', 'countDiff', 'allocCount', 'freeCount', 'allocSize', 'freeSize'];

/**
 * The order a table opens in: a diff opens largest change first (|Δ size|, as
 * compare_to orders it, the order the CLI and the live page print), a snapshot
 * largest first. The URL leaves it out when the state uses it.
 */
export function defaultSort(base: number | null): SortKey {
  return base === null ? 'size' : 'sizeDiff';
}

/** The trace-selecting part of a state, for requests to the analysis. */
export function selectionOf(state: ViewState): TraceSelection {
  const { snapshot, base, include, exclude, allFrames, domains, threads, focus } = state;
  return { snapshot, base, include, exclude, allFrames, domains, threads: threads ?? null, focus };
}

/**
 * The state with its invariants restored: cumulative is meaningless for
 * 'traceback' (tracemalloc refuses it), the diff sorts need a base, a base equal
 * to the snapshot is no comparison, indices stay inside the loaded list.
 */
export function normalizeViewState(state: ViewState, snapshotCount: number): ViewState {
  const s = { ...state };
  const last = Math.max(0, snapshotCount - 1);
  if (!(s.snapshot >= 0 && s.snapshot <= last)) s.snapshot = last;
  if (s.base !== null && (!(s.base >= 0 && s.base <= last) || s.base === s.snapshot)) s.base = null;
  if (s.keyType === 'traceback') s.cumulative = false;
  if (s.base === null && (s.sort === 'sizeDiff' || s.sort === 'countDiff')) s.sort = 'size';
  return s;
}

/** A glob list as typed by a person: separated by commas or whitespace. */
export function parseGlobs(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((g) => g.trim())
    .filter((g) => g.length > 0);
}

/** The text of a frame as tracemalloc prints it: `file:line`, or `file:function+0xOFF` without a line. */
export function frameRefText(ref: FrameRef): string {
  if (ref.lineno > 0 || ref.offset === undefined) return `${ref.filename}:${ref.lineno}`;
  return `${ref.filename}:${ref.function ?? '<unknown>'}+0x${ref.offset.toString(16)}`;
}
