/**
 * The live protocol between traced pages, the dev server and the viewer.
 *
 * Everything travels over Vite's own dev-server WebSocket as two custom events
 * (`import.meta.hot.send` / `server.ws.send`), each carrying a tagged JSON message:
 *
 *   page, worker ──CLIENT_EVENT──▶ dev server ──SERVER_EVENT──▶ every page, worker, viewer
 *   viewer       ──CLIENT_EVENT──▶
 *
 *   tab        a page or worker says who it is and which traced modules it runs
 *   samples    its traced memory over time: the runtime's samples (every 100 ms, with
 *              the exact highest size between two), batched every 500 ms
 *   snapshot   a snapshot it took: `Snapshot.dump()` bytes, base64 (JSON-only channel)
 *   subscribe  a viewer asks for the whole state (answered to it alone)
 *   take-snapshot  a viewer asks one tab (or every traced tab) for a snapshot
 *   snapshot-failed  a tab could not take the snapshot asked for (it stopped tracing,
 *              say); the server tells every viewer, as an `error`
 *   untraced   (server → everyone) a module the dev server sends as it is, and why:
 *              its allocations are not in any tab's numbers
 *
 * The server keeps the snapshots and serves their bytes over HTTP at `url`
 * (`/__wasm-tracemalloc/snapshots/<id>/<name>.wtmsnap`, same origin only), so viewers
 * never receive base64: a SnapshotInfo is small.
 *
 * A tab is gone when its WebSocket closes (`tab-closed`). Tab ids are made by the
 * tab; snapshot ids by the server, from 1, for the server's lifetime, in arrival
 * order, which is time order (the server keeps times from going back). The id is
 * the snapshot's number on every page: `snapshotLabel()` here, and the viewer's
 * copy of it, which names a snapshot of the server by its id wherever it shows it.
 */

import { formatSize } from '@wasm-tracemalloc/runtime/model';

export const CLIENT_EVENT = 'wasm-tracemalloc:client';
export const SERVER_EVENT = 'wasm-tracemalloc:server';
/** Where the plugin serves the viewer and its endpoints, under Vite's base. */
export const MOUNT = '__wasm-tracemalloc/';

export type TabKind = 'page' | 'worker';

/** A point of memory over time (the runtime's samples.ts MemorySample, on the epoch). */
export interface MemorySample {
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** Traced bytes at `timestamp`. */
  current: number;
  /** The highest traced bytes since the tab's previous sample (exact, however brief). */
  peak: number;
  /** Live traced blocks. */
  traces?: number;
}

export interface TabInfo {
  /** Made by the tab: unique for the server's lifetime. */
  id: string;
  kind: TabKind;
  /** For people: the page's title or path, or `worker <name>`. */
  label: string;
  /** The page's (or worker script's) URL. */
  url: string;
  /** Names of the traced modules instantiated so far, one per domain ("profiles.wasm"). */
  modules: string[];
  /** The tab's start() samplingIntervalBytes: 0 or absent when it traces every allocation; else its numbers are estimates. */
  samplingIntervalBytes?: number;
  /** The latest sample, if any. */
  last?: MemorySample;
}

/** A `.wasm` the dev server sends untraced (no allocator found, or the pass refused it), once per module. */
export interface UntracedModule {
  /** Its path under the root, as the terminal names it ("public/sql-wasm.wasm"). */
  name: string;
  /** Why, for people, short: "no allocator found". */
  reason: string;
  /** What the terminal printed about it: the instrument pass's warnings, or its error. */
  details: string[];
}

export interface SnapshotInfo {
  /** Server-assigned, from 1, in time order: the snapshot's number ("#7") on every page. */
  id: number;
  tab: string;
  /** The label of the tab it was taken in. */
  name: string;
  /** Where the `.wtmsnap` bytes are: a path on the dev server (`/__wasm-tracemalloc/snapshots/3/my-app-3.wtmsnap`). */
  url: string;
  /** Bytes of the `.wtmsnap` file. */
  bytes: number;
  /** When it was taken (the file's meta.timestamp, unless that went back in time), ms since the epoch. */
  timestamp: number;
  current: number;
  peak: number;
  /** Why it was taken: a viewer's request id, or 'app' for `takeSnapshot()` in app code. */
  cause: number | 'app';
  /** Its tab's start() samplingIntervalBytes, when it traces a sample: `current` is an estimate. */
  samplingIntervalBytes?: number;
}

// ── tab / viewer → server ────────────────────────────────────────────────────

export type ClientMessage =
  | { type: 'tab'; tab: Omit<TabInfo, 'last'> }
  | { type: 'samples'; tab: string; samples: MemorySample[] }
  | {
      type: 'snapshot';
      tab: string;
      /** Made by the tab, echoed in the `snapshot` broadcast so the tab learns the id. */
      upload: string;
      cause: number | 'app';
      /** The snapshot's meta: when it was taken, and the traced bytes then. */
      timestamp?: number;
      current: number;
      peak: number;
      /** `Snapshot.dump()`, base64. */
      data: string;
    }
  | { type: 'subscribe' }
  | { type: 'take-snapshot'; /** one tab, or every tab with a traced module */ tab?: string }
  | { type: 'snapshot-failed'; tab: string; /** the take-snapshot request's number */ request: number; message: string };

// ── server → everyone ───────────────────────────────────────────────────────

export type ServerMessage =
  | {
      type: 'state';
      tabs: TabInfo[];
      snapshots: SnapshotInfo[];
      /** The latest samples the server kept of each open tab (up to SAMPLE_HISTORY), by tab id. */
      samples?: Record<string, MemorySample[]>;
      /** The modules sent untraced so far. */
      untraced?: UntracedModule[];
    }
  | { type: 'tab'; tab: TabInfo }
  | { type: 'tab-closed'; tab: string }
  | { type: 'samples'; tab: string; samples: MemorySample[] }
  | { type: 'snapshot'; snapshot: SnapshotInfo; upload: string }
  | { type: 'untraced'; module: UntracedModule }
  | { type: 'take-snapshot'; request: number; tab?: string }
  | { type: 'error'; message: string; upload?: string };

/**
 * What the plugin hands the viewer page it serves, as `globalThis.wasmTracemallocLive`
 * (set before the viewer's own script runs). The viewer's live DataSource needs
 * nothing else: it subscribes, turns `state` and `snapshot` messages into
 * SnapshotInputs that fetch `url`, `samples` into MemorySamples, and calls
 * `takeSnapshot()` from its button.
 */
export interface LiveChannel {
  /** Protocol version: 1. */
  readonly version: 1;
  /** Listens to server messages; the first one is a `state`. Returns an unsubscribe. */
  subscribe(listener: (message: ServerMessage) => void): () => void;
  /** Asks one tab, or every tab with a traced module, for a snapshot now. */
  takeSnapshot(tab?: string): void;
}

export const LIVE_GLOBAL = 'wasmTracemallocLive';
/** Samples the server keeps per tab for late subscribers, and the live page draws (5 minutes at 100 ms). */
export const SAMPLE_HISTORY = 3000;
/** How often a tab sends the samples it recorded since its last batch. */
export const SAMPLE_BATCH_MS = 500;


/**
 * The viewer's address for a stored snapshot, compared with `base` when given (the
 * diff's rows are then `snapshot.compareTo(base)`): the viewer's `?url=` parameters.
 */
export function viewerUrl(snapshot: SnapshotInfo, base?: SnapshotInfo): string {
  const root = snapshot.url.slice(0, snapshot.url.indexOf(MOUNT) + MOUNT.length);
  const params = new URLSearchParams();
  if (base) params.append('url', base.url);
  params.append('url', snapshot.url);
  if (base) {
    params.set('snap', '1');
    params.set('base', '0');
  }
  return `${root}?${params}`;
}

/** 24-hour times of day, as every page shows them. */
const CLOCK = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', minute: 'numeric', second: 'numeric', hour12: false });

/**
 * What a stored snapshot is called, in parts: "#7", "my app · takeSnapshot()",
 * "20:40:49", "80.9 KiB". The viewer's views/snapshot-label.ts makes the same text
 * from the same SnapshotInfo (its live-source.test.ts checks they agree).
 */
export function snapshotLabelParts(info: SnapshotInfo): { ref: string; name: string; time: string; size: string } {
  const sampled = (info.samplingIntervalBytes ?? 0) > 0;
  return {
    ref: `#${info.id}`,
    name: info.cause === 'app' ? `${info.name} · takeSnapshot()` : info.name,
    time: CLOCK.format(new Date(info.timestamp)),
    size: sampled ? `≈${formatSize(info.current)} (sampled)` : formatSize(info.current),
  };
}

/** "#7 · my app · 20:40:49 · 80.9 KiB": one label for a snapshot, on the live page and in the viewer. */
export function snapshotLabel(info: SnapshotInfo): string {
  const p = snapshotLabelParts(info);
  return [p.ref, p.name, p.time, p.size].join(' · ');
}
