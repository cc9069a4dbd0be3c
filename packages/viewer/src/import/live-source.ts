/**
 * Live snapshots and memory from a running app: the Vite plugin serves the viewer
 * with a LiveTransport at `globalThis.wasmTracemallocLive` (set before the viewer's
 * script runs) that speaks its protocol over Vite's dev-server WebSocket. This
 * module knows the messages' shape only (a copy of `@wasm-tracemalloc/vite-plugin`'s
 * protocol.ts, version 1), so the viewer does not depend on Vite or on the plugin.
 * live-source.test.ts type-checks the plugin's channel against this copy.
 *
 * Every open tab of the app (a page or a Web Worker, each with its own trace table)
 * is a LiveTab; its samples are handed to the sink as one series per tab; every
 * snapshot the dev server stores (from "Snapshot now" here, the plugin's live page,
 * or `takeSnapshot()` in app code) is handed over as a SnapshotInput whose read()
 * fetches its bytes from the dev server.
 */

import type { DataSink, DataSource, LiveSnapshotRef, MemorySample, SnapshotInput } from './data-source.js';
import { urlInput } from './url-source.js';

export interface LiveSample extends MemorySample {
  traces?: number;
}

export interface LiveTab {
  id: string;
  kind: 'page' | 'worker';
  /** The page's title or path, or `worker <name>`. Untrusted text. */
  label: string;
  url: string;
  /** Traced modules instantiated so far, one per domain. */
  modules: string[];
  /** Set when the tab traces a sample (start()'s samplingIntervalBytes): its sizes are estimates. */
  samplingIntervalBytes?: number;
  last?: LiveSample;
}

export interface LiveSnapshotInfo {
  /** The server's number for it, from 1, in time order: "#7" on every page. */
  id: number;
  tab: string;
  /** Its tab's label. Untrusted text. */
  name: string;
  /** Where the dev server serves the `.wtmsnap` (a same-origin path). */
  url: string;
  bytes: number;
  timestamp: number;
  current: number;
  peak: number;
  /** A request id (a viewer's button, the live page's), or 'app' for `takeSnapshot()` in app code. */
  cause: number | 'app';
  /** Set when its tab traces a sample: `current` is an estimate. */
  samplingIntervalBytes?: number;
}

/** A module the dev server sends untraced (the plugin's UntracedModule). Untrusted text. */
export interface LiveUntracedModule {
  /** Its path under the app's root: "public/sql-wasm.wasm". */
  name: string;
  /** Why, short: "no allocator found". */
  reason: string;
  /** What the dev server's terminal printed about it. */
  details: string[];
}

/** What the dev server says (the plugin's ServerMessage; other types are ignored). */
export type LiveMessage =
  | { type: 'state'; tabs: LiveTab[]; snapshots: LiveSnapshotInfo[]; samples?: Record<string, LiveSample[]>; untraced?: LiveUntracedModule[] }
  | { type: 'untraced'; module: LiveUntracedModule }
  | { type: 'tab'; tab: LiveTab }
  | { type: 'tab-closed'; tab: string }
  | { type: 'samples'; tab: string; samples: LiveSample[] }
  | { type: 'snapshot'; snapshot: LiveSnapshotInfo; upload?: string }
  | { type: 'take-snapshot'; request: number; tab?: string }
  | { type: 'error'; message: string; upload?: string };

/** The channel to the dev server (the plugin's LiveChannel). */
export interface LiveTransport {
  readonly version: 1;
  /** Listens to the server; the first message is a `state`. Returns an unsubscribe. */
  subscribe(listener: (message: LiveMessage) => void): () => void;
  /** Asks one tab (or every traced tab) for a snapshot now. */
  takeSnapshot(tab?: string): void;
}

export const LIVE_GLOBAL = 'wasmTracemallocLive';

/** The transport the Vite plugin put on the page, if any. */
export function liveTransport(scope: object = globalThis): LiveTransport | undefined {
  const t = (scope as Record<string, unknown>)[LIVE_GLOBAL] as Partial<LiveTransport> | undefined;
  return t && t.version === 1 && typeof t.subscribe === 'function' && typeof t.takeSnapshot === 'function' ? (t as LiveTransport) : undefined;
}

/** Samples kept per tab (5 minutes at the runtime's 100 ms), as the dev server keeps. */
export const LIVE_SAMPLE_HISTORY = 3000;
/**
 * Snapshots already on the dev server that the viewer opens when it connects and
 * its URL names none: the latest ones. When the URL names some (a link, a reload:
 * the page's URL keeps the shown pair), only those open. The others are listed
 * (`held`) for the user to open: opening them all made the picker, the timeline
 * and the URL grow with every reload.
 */
export const INITIAL_SNAPSHOTS = 12;

export class LiveSource implements DataSource {
  readonly kind = 'live';
  readonly #tabs = new Map<string, LiveTab>();
  readonly #samples = new Map<string, LiveSample[]>();
  readonly #untraced = new Map<string, LiveUntracedModule>();
  /** Snapshot ids handed to the sink: a second `state` (another subscriber's) repeats them. */
  readonly #delivered = new Set<number>();
  /** Every snapshot the dev server holds, in the order it took them. */
  readonly #held = new Map<number, LiveSnapshotInfo>();
  /** The same, by absolute URL: a link names them by URL. */
  readonly #byUrl = new Map<string, LiveSnapshotInfo>();
  /** Whether a first `state` opens the latest snapshots (not when the page's URL named some). */
  #openExisting = true;
  readonly #listeners = new Set<() => void>();
  #sink: DataSink | undefined;
  #unsubscribe: (() => void) | undefined;
  #connected = false;

  constructor(
    readonly transport: LiveTransport,
    /** The page's URL, against which snapshot paths are fetched. */
    readonly base: string,
  ) {}

  /** True once the dev server has answered. */
  get connected(): boolean {
    return this.#connected;
  }

  get tabs(): LiveTab[] {
    return [...this.#tabs.values()];
  }

  /** The modules the dev server sent untraced so far, one per name. */
  get untraced(): LiveUntracedModule[] {
    return [...this.#untraced.values()];
  }

  samplesOf(tab: string): readonly LiveSample[] {
    return this.#samples.get(tab) ?? [];
  }

  /** The highest traced size of a tab over the samples kept (exact: each peak is the highest since the sample before). */
  highestOf(tab: string): number {
    const t = this.#tabs.get(tab);
    return this.samplesOf(tab).reduce((m, s) => Math.max(m, s.peak), t?.last?.peak ?? 0);
  }

  /** Called after every change of the tabs or their samples. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  snapshotNow(tab?: string): void {
    this.transport.takeSnapshot(tab);
  }

  /** The snapshots the dev server holds that were not handed over: the viewer lists them. */
  get held(): LiveSnapshotInfo[] {
    return [...this.#held.values()].filter((x) => !this.#delivered.has(x.id));
  }

  /** The snapshot the dev server holds at `url` (a URL of the page's, as a link names it), if any. */
  find(url: string): LiveSnapshotInfo | undefined {
    const target = resolve(url, this.base);
    return target === undefined ? undefined : this.#byUrl.get(target);
  }

  #hold(info: LiveSnapshotInfo): void {
    this.#held.set(info.id, info);
    const url = resolve(info.url, this.base);
    if (url !== undefined) this.#byUrl.set(url, info);
  }

  /** Hands over a snapshot the dev server holds (from the list of `held`). */
  open(id: number): void {
    const info = this.#held.get(id);
    if (info === undefined || this.#delivered.has(id)) return;
    this.#delivered.add(id);
    this.#deliver(info);
    for (const listener of this.#listeners) listener();
  }

  /** `openExisting: false` when the page's URL names the snapshots to show: the dev server's others are only listed. */
  connect(sink: DataSink, { openExisting = true }: { openExisting?: boolean } = {}): void {
    this.#sink = sink;
    this.#openExisting = openExisting;
    this.#unsubscribe = this.transport.subscribe((message) => {
      try {
        this.#receive(message);
      } catch (error) {
        sink.error(`Live connection: bad message from the dev server: ${(error as Error).message}`);
      }
    });
  }

  disconnect(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#sink = undefined;
  }

  #receive(message: LiveMessage): void {
    const sink = this.#sink;
    if (!sink || typeof message !== 'object' || message === null) return;
    switch (message.type) {
      case 'state': {
        const before = new Set(this.#tabs.keys());
        this.#tabs.clear();
        for (const t of message.tabs) this.#tabs.set(t.id, t);
        this.#samples.clear();
        for (const [id, list] of Object.entries(message.samples ?? {})) if (Array.isArray(list)) this.#samples.set(id, list.slice(-LIVE_SAMPLE_HISTORY));
        for (const m of message.untraced ?? []) this.#untraced.set(m.name, m);
        for (const id of before) if (!this.#tabs.has(id)) this.#series(id, [], true);
        for (const t of this.#tabs.values()) this.#series(t.id, this.samplesOf(t.id), true);
        const first = !this.#connected;
        this.#held.clear();
        this.#byUrl.clear();
        for (const s of message.snapshots) this.#hold(s);
        // A first connection opens the latest snapshots the dev server holds, in order;
        // later `state`s (another subscriber's, a reconnection) only refresh the list.
        if (first && this.#openExisting) {
          for (const s of message.snapshots.slice(-INITIAL_SNAPSHOTS)) {
            this.#delivered.add(s.id);
            this.#deliver(s);
          }
        }
        this.#connected = true;
        break;
      }
      case 'untraced':
        this.#untraced.set(message.module.name, message.module);
        break;
      case 'tab':
        this.#tabs.set(message.tab.id, { ...message.tab, last: message.tab.last ?? this.#tabs.get(message.tab.id)?.last });
        this.#series(message.tab.id, this.samplesOf(message.tab.id), true);
        break;
      case 'tab-closed':
        this.#tabs.delete(message.tab);
        this.#samples.delete(message.tab);
        this.#series(message.tab, [], true);
        break;
      case 'samples': {
        if (!Array.isArray(message.samples) || message.samples.length === 0) return;
        const list = this.#samples.get(message.tab) ?? [];
        list.push(...message.samples);
        if (list.length > LIVE_SAMPLE_HISTORY) list.splice(0, list.length - LIVE_SAMPLE_HISTORY);
        this.#samples.set(message.tab, list);
        const tab = this.#tabs.get(message.tab);
        if (tab) tab.last = message.samples[message.samples.length - 1];
        this.#series(message.tab, message.samples, false);
        break;
      }
      case 'snapshot':
        if (this.#delivered.has(message.snapshot.id)) return;
        this.#hold(message.snapshot);
        this.#delivered.add(message.snapshot.id);
        this.#deliver(message.snapshot);
        break;
      case 'error':
        // An upload's error concerns the tab that sent it (which logs it); others are everyone's.
        if (message.upload === undefined) sink.error(`Live connection: ${message.message}`);
        return;
      default:
        return;
    }
    for (const listener of this.#listeners) listener();
  }

  #series(tab: string, samples: readonly LiveSample[], replace: boolean): void {
    const label = this.#tabs.get(tab)?.label ?? tab;
    this.#sink?.samples?.(samples, { id: tab, label, replace });
  }

  #deliver(info: LiveSnapshotInfo): void {
    this.#sink?.snapshot(liveInput(info, this.base));
  }
}

/** A stored snapshot as an input, read from its URL and known by what the server says of it. */
export function liveInput(info: LiveSnapshotInfo, base: string): SnapshotInput {
  return { ...urlInput(info.url, base), name: info.name, origin: 'live', live: liveRef(info) };
}

/** What the viewer keeps of a stored snapshot's info: its number, tab, name, time and size. */
export function liveRef(info: LiveSnapshotInfo): LiveSnapshotRef {
  const { id, tab, name, timestamp, current, cause, samplingIntervalBytes } = info;
  return { id, tab, name, timestamp, current, cause, ...(samplingIntervalBytes !== undefined && samplingIntervalBytes > 0 && { samplingIntervalBytes }) };
}

function resolve(url: string, base: string): string | undefined {
  try {
    return new URL(url, base).href;
  } catch {
    return undefined;
  }
}
