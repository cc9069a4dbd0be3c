/**
 * What the plugin runs first in every page and worker of the app: the runtime's
 * global hook (modules arrive already instrumented, so it only links them to the
 * trace table), start(), and, under the dev server, the tab's side of the live
 * protocol (protocol.ts): who it is, its memory over time, and snapshots on request.
 * In a cross-origin isolated page, the page's module workers trace into the page's
 * tracer (threads.ts), and such a worker is not a tab of its own.
 * No tracing logic of its own: everything it reports comes from the runtime's API.
 */

import { getDomains, getSamples, getSamplingIntervalBytes, install, isTracing, onSample, shareTracer, start, takeSnapshot as runtimeSnapshot, type Snapshot, type TracerHandle } from '@wasm-tracemalloc/runtime';
import { CLIENT_EVENT, SAMPLE_BATCH_MS, SERVER_EVENT, type ClientMessage, type MemorySample, type ServerMessage, type SnapshotInfo, type TabKind } from '../protocol.js';
import { awaitTracer, shareWithWorkers, type TracerWait } from './threads.js';

/** The part of Vite's `import.meta.hot` used here (undefined in a build). */
export interface HotChannel {
  send(event: string, data?: unknown): void;
  on(event: string, listener: (data: any) => void): void;
}

export interface TracingOptions {
  kind: TabKind;
  /** start(nframe): frames per traceback (1 unless the plugin instruments with maxFrames). */
  nframe: number;
  /** start()'s samplingIntervalBytes: 0 traces every allocation. */
  samplingIntervalBytes?: number;
}

/** A snapshot taken in this tab; `info` is set once the dev server has stored it. */
export interface TabSnapshot {
  snapshot: Snapshot;
  info?: SnapshotInfo;
}

/** How long a snapshot waits for the server's acknowledgement before resolving without it. */
const UPLOAD_TIMEOUT_MS = 15_000;

let hot: HotChannel | undefined;
let started = false;
const tabId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
let kind: TabKind = 'page';
const pending = new Map<string, (info: SnapshotInfo | undefined) => void>();
let uploads = 0;
/** In a worker of a cross-origin isolated page: waiting for the page's tracer (threads.ts). */
let waiting: TracerWait | undefined;
/** The tracer this thread traces into with the others, handed on to the workers it makes. */
let shared: TracerHandle | undefined;

/** Called once per page or worker by the module the plugin injects. */
export function startTracing(channel: HotChannel | undefined, options: TracingOptions): void {
  if (started) return;
  started = true;
  kind = options.kind;
  install({
    onModule: () => {
      waiting?.moduleSeen();
      setTimeout(announce, 0);
    },
  });
  start(options.nframe, { samplingIntervalBytes: options.samplingIntervalBytes ?? 0 });
  // Threads need SharedArrayBuffer, hence a cross-origin isolated page (the plugin's
  // crossOriginIsolated option); elsewhere each page and worker has its own table.
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) return connect(channel);
  shareWithWorkers(globalThis, location.href, () => (kind === 'page' ? pageTracer() : shared));
  if (kind === 'page') return connect(channel);
  // A worker: its tab waits until it knows whether it joined the page's tracer.
  waiting = awaitTracer(globalThis, (result) => {
    waiting = undefined;
    if (result.joined) {
      // Its blocks are in the page's snapshots and samples: a tab of its own would count them twice.
      shared = result.handle;
      return;
    }
    if (result.why) console.warn(`wasm-tracemalloc: ${label()} traces into a table of its own, not the page's (${result.why}): its blocks are not in the page's snapshots`);
    connect(channel);
  });
}

let sharingFailed = false;
/** The page's tracer, made when its first worker the plugin reaches is (a page without workers never needs one). */
function pageTracer(): TracerHandle | undefined {
  if (shared || sharingFailed) return shared;
  try {
    shared = shareTracer();
  } catch (error) {
    sharingFailed = true;
    // Tracing must not break the app: the workers then trace on their own, as without threads.
    console.warn(`wasm-tracemalloc: could not share the page's tracer with its workers (${error instanceof Error ? error.message : String(error)}): each worker traces into a table of its own`);
  }
  return shared;
}

/** True in a worker that traces into its page's tracer (its blocks are in the page's snapshots). */
export function isJoined(): boolean {
  return kind === 'worker' && shared !== undefined;
}

/** The tab's side of the live protocol, under the dev server. */
function connect(channel: HotChannel | undefined): void {
  hot = channel;
  if (!hot) return;
  hot.on(SERVER_EVENT, onServerMessage);
  announce();
  // The runtime samples (start() set its timer: every 100 ms, peaks exact between
  // samples); the tab sends what it recorded in batches.
  const before = getSamples(); // start()'s own first sample
  for (let i = 0; i < before.time.length; i++) record({ timestamp: before.start + before.time[i]!, current: before.current[i]!, peak: before.peak[i]!, traces: before.traces[i]! });
  onSample((s) => record({ timestamp: Date.now(), current: s.current, peak: s.peak, traces: s.traces }));
  setInterval(flush, SAMPLE_BATCH_MS);
}

/** True when the plugin set this page up for tracing (dev, or a build with `build: true`). */
export function isTraced(): boolean {
  return started && isTracing();
}

/** True under the dev server: snapshots go to the viewer and the live page. */
export function isLive(): boolean {
  return hot !== undefined;
}

/** Takes a snapshot and, under the dev server, hands it to the viewer. */
export async function publishSnapshot(cause: number | 'app'): Promise<TabSnapshot> {
  if (!started) {
    throw new Error('wasm-tracemalloc is not active in this page: add wasmTracemalloc() to vite.config plugins (and `build: true` to trace a production build)');
  }
  const snapshot = runtimeSnapshot();
  if (!hot) return { snapshot };
  const upload = `${tabId}/${++uploads}`;
  // The file's own numbers: the dev server's info about it then says the same.
  const { timestamp = Date.now(), current = 0, peak = 0 } = snapshot.meta;
  const acknowledged = new Promise<SnapshotInfo | undefined>((resolve) => {
    pending.set(upload, resolve);
    setTimeout(() => pending.delete(upload) && resolve(undefined), UPLOAD_TIMEOUT_MS);
  });
  send({ type: 'snapshot', tab: tabId, upload, cause, timestamp, current, peak, data: toBase64(snapshot.dump()) });
  return { snapshot, info: await acknowledged };
}

function send(message: ClientMessage): void {
  hot?.send(CLIENT_EVENT, message);
}

function label(): string {
  if (kind === 'worker') {
    const name = (globalThis as { name?: string }).name;
    return `worker ${name || location.pathname.split('/').pop() || location.pathname}`;
  }
  return document.title || location.pathname;
}

let announcedModules = -1;
function announce(): void {
  if (!hot) return;
  const modules = getDomains().map((d) => d.name);
  announcedModules = modules.length;
  const samplingIntervalBytes = getSamplingIntervalBytes();
  send({ type: 'tab', tab: { id: tabId, kind, label: label(), url: location.href, modules, ...(samplingIntervalBytes > 0 && { samplingIntervalBytes }) } });
}

let batch: MemorySample[] = [];
let last: MemorySample | undefined;
/** The last of a run of repeats, sent before the next change so the flat part stays flat. */
let repeat: MemorySample | undefined;
function record(sample: MemorySample): void {
  // An idle tab repeats itself: repeats are not sent (the live page extends the last sample to now).
  const same = last !== undefined && last.current === sample.current && sample.peak === sample.current && last.traces === sample.traces;
  last = sample;
  if (same) {
    repeat = sample;
    return;
  }
  if (repeat) batch.push(repeat);
  repeat = undefined;
  batch.push(sample);
}

function flush(): void {
  if (getDomains().length !== announcedModules) announce();
  if (batch.length === 0) return;
  send({ type: 'samples', tab: tabId, samples: batch });
  batch = [];
}

function onServerMessage(message: ServerMessage): void {
  switch (message.type) {
    case 'take-snapshot':
      if (message.tab === tabId || (message.tab === undefined && getDomains().length > 0)) {
        publishSnapshot(message.request).catch((error) => {
          console.error('wasm-tracemalloc: could not take a snapshot:', error);
          // Whoever asked is told why, not left waiting for nothing.
          send({ type: 'snapshot-failed', tab: tabId, request: message.request, message: error instanceof Error ? error.message : String(error) });
        });
      }
      break;
    case 'snapshot':
    case 'error': {
      const upload = message.upload;
      const resolve = upload === undefined ? undefined : pending.get(upload);
      if (!resolve) break;
      pending.delete(upload!);
      if (message.type === 'error') console.error(`wasm-tracemalloc: ${message.message}`);
      resolve(message.type === 'snapshot' ? message.snapshot : undefined);
      break;
    }
  }
}

/** Base64 without a 64 KiB argument limit (String.fromCharCode.apply on chunks). */
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  }
  return btoa(binary);
}
