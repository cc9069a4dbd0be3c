/**
 * The view state in the page's query string, so that a view can be shared:
 *
 *   ?url=before.wtmsnap&url=after.wtmsnap   snapshots to fetch, in order (repeatable)
 *   &snap=1&base=0                          selected snapshot, compared with (indices)
 *   &key=traceback&cum=1&sort=count         grouping, cumulative, table order (default: |Δ size| with a base)
 *   &inc=*.wasm&exc=libc*&all=1             tracemalloc Filter globs (repeatable), all_frames
 *   &dom=1,3                                domains kept
 *   &focus=["leak.wasm",0,"leak_nodes",444] traces through this frame (JSON)
 *   &view=flame&q=leak&bu=1                 open view, flame graph search, bottom-up
 *
 * Only values that differ from DEFAULT_VIEW_STATE are written. The query string is
 * untrusted input like any file: decoding ignores what it does not understand.
 */

import { DEFAULT_VIEW_STATE, KEY_TYPES, defaultSort, SORT_KEYS, type FrameRef, type KeyType, type SortKey, type ViewState } from './view-state.js';

export interface UrlState {
  state: ViewState;
  /** Snapshot files to fetch, in order. */
  urls: string[];
}

export function encodeUrlState({ state, urls }: UrlState): URLSearchParams {
  const p = new URLSearchParams();
  const d = DEFAULT_VIEW_STATE;
  for (const u of urls) p.append('url', u);
  if (state.snapshot !== d.snapshot) p.set('snap', String(state.snapshot));
  if (state.base !== null) p.set('base', String(state.base));
  if (state.keyType !== d.keyType) p.set('key', state.keyType);
  if (state.cumulative) p.set('cum', '1');
  if (state.sort !== defaultSort(state.base)) p.set('sort', state.sort);
  for (const g of state.include) p.append('inc', g);
  for (const g of state.exclude) p.append('exc', g);
  if (state.allFrames) p.set('all', '1');
  if (state.domains !== null) p.set('dom', state.domains.join(','));
  if (state.threads != null) p.set('thr', state.threads.join(','));
  if (state.focus !== null) {
    const f = state.focus;
    p.set('focus', JSON.stringify([f.filename, f.lineno, f.function ?? null, f.offset ?? null]));
  }
  if (state.view !== d.view) p.set('view', state.view);
  if (state.search !== '') p.set('q', state.search);
  if (state.bottomUp) p.set('bu', '1');
  return p;
}

export function decodeUrlState(params: URLSearchParams): UrlState {
  const s: ViewState = { ...DEFAULT_VIEW_STATE, include: [], exclude: [] };
  s.snapshot = index(params.get('snap')) ?? s.snapshot;
  s.base = index(params.get('base')) ?? null;
  const key = params.get('key');
  if (KEY_TYPES.includes(key as KeyType)) s.keyType = key as KeyType;
  s.cumulative = params.get('cum') === '1';
  const sort = params.get('sort');
  s.sort = SORT_KEYS.includes(sort as SortKey) ? (sort as SortKey) : defaultSort(s.base);
  s.include = params.getAll('inc').filter((g) => g !== '');
  s.exclude = params.getAll('exc').filter((g) => g !== '');
  s.allFrames = params.get('all') === '1';
  const dom = params.get('dom');
  if (dom !== null) {
    const ids = dom === '' ? [] : dom.split(',').map(index);
    if (ids.every((i) => i !== undefined)) s.domains = ids as number[];
  }
  const thr = params.get('thr');
  if (thr !== null) {
    const ids = thr === '' ? [] : thr.split(',').map(index);
    if (ids.every((i) => i !== undefined)) s.threads = ids as number[];
  }
  s.focus = frameRef(params.get('focus'));
  const view = params.get('view');
  if (view === 'flame' || view === 'leaks' || view === 'peak') s.view = view;
  s.search = params.get('q') ?? '';
  s.bottomUp = params.get('bu') === '1';
  return { state: s, urls: params.getAll('url').filter((u) => u !== '') };
}

function index(text: string | null): number | undefined {
  if (text === null || !/^\d{1,9}$/.test(text)) return undefined;
  return Number(text);
}

function frameRef(text: string | null): FrameRef | null {
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 4) return null;
  const [filename, lineno, fn, offset] = value as unknown[];
  if (typeof filename !== 'string' || !isCount(lineno)) return null;
  if (fn !== null && typeof fn !== 'string') return null;
  if (offset !== null && !isCount(offset)) return null;
  const ref: FrameRef = { filename, lineno };
  if (fn !== null) ref.function = fn;
  if (offset !== null) ref.offset = offset;
  return ref;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
