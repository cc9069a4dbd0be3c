import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DataSink, MemorySample, SnapshotInput } from './data-source.js';
import { snapshotLabels } from '../views/snapshot-label.js';
import { INITIAL_SNAPSHOTS, LIVE_GLOBAL, LIVE_SAMPLE_HISTORY, LiveSource, liveRef, liveTransport, type LiveMessage, type LiveSnapshotInfo, type LiveTab, type LiveTransport } from './live-source.js';
// The protocol this file's module copies (the viewer does not depend on the plugin).
import * as plugin from '../../../vite-plugin/src/protocol.js';

/** A transport driven by the test: `emit` is the dev server speaking. */
function fakeTransport() {
  const listeners = new Set<(m: LiveMessage) => void>();
  const requests: Array<string | undefined> = [];
  const transport: LiveTransport = {
    version: 1,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    takeSnapshot: (tab) => void requests.push(tab),
  };
  return { transport, requests, listeners, emit: (m: LiveMessage) => listeners.forEach((l) => l(m)) };
}

function recordingSink() {
  const snapshots: SnapshotInput[] = [];
  const errors: string[] = [];
  const series: Array<{ id: string; label: string; replace?: boolean; samples: MemorySample[] }> = [];
  const sink: DataSink = {
    snapshot: (input) => void snapshots.push(input),
    error: (message) => void errors.push(message),
    samples: (samples, s) => void series.push({ ...s!, samples: [...samples] }),
  };
  return { sink, snapshots, errors, series };
}

const page: LiveTab = { id: 'p1', kind: 'page', label: 'my app', url: 'http://localhost:5173/', modules: ['app.wasm'] };
const worker: LiveTab = { id: 'w1', kind: 'worker', label: 'worker import', url: 'http://localhost:5173/w.js', modules: [] };
const info = (id: number, tab = 'p1', cause: number | 'app' = 1): LiveSnapshotInfo => ({
  id,
  tab,
  name: tab === 'p1' ? 'my app' : 'worker import',
  url: `/__wasm-tracemalloc/snapshots/${id}/my-app-${id}.wtmsnap`,
  bytes: 100,
  timestamp: 1_700_000_000_000 + id,
  current: 1000 * id,
  peak: 2000 * id,
  cause,
});
const BASE = 'http://localhost:5173/__wasm-tracemalloc/';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('LiveSource', () => {
  it('keeps the modules the dev server sent untraced, one per name, and tells its listeners', () => {
    const t = fakeTransport();
    const source = new LiveSource(t.transport, BASE);
    const changes = vi.fn();
    source.onChange(changes);
    source.connect(recordingSink().sink);
    const add = { name: 'public/add.wasm', reason: 'no allocator found', details: ['public/add.wasm: no allocator found, so nothing is traced'] };
    t.emit({ type: 'state', tabs: [], snapshots: [], untraced: [add] });
    expect(source.untraced).toEqual([add]);
    const sql = { name: 'sql-wasm.wasm', reason: 'not a valid WebAssembly module', details: ['sql-wasm.wasm: not a valid WebAssembly module'] };
    t.emit({ type: 'untraced', module: sql });
    t.emit({ type: 'untraced', module: { ...add, reason: 'no allocator found again' } });
    expect(source.untraced).toEqual([{ ...add, reason: 'no allocator found again' }, sql]);
    expect(changes).toHaveBeenCalledTimes(3);
  });

  it("opens the latest snapshots the dev server holds, lists the others, then opens each new one once, named after its tab", () => {
    const t = fakeTransport();
    const out = recordingSink();
    const source = new LiveSource(t.transport, BASE);
    source.connect(out.sink);
    expect(t.listeners.size).toBe(1);
    expect(source.connected).toBe(false);
    const held = Array.from({ length: INITIAL_SNAPSHOTS + 2 }, (_, i) => info(i + 1));
    t.emit({ type: 'state', tabs: [page, worker], snapshots: held, samples: {} });
    expect(source.connected).toBe(true);
    expect(out.snapshots.map((s) => s.live?.id)).toEqual(held.slice(2).map((s) => s.id));
    expect(out.snapshots[0]).toMatchObject({ name: 'my app', origin: 'live', url: '/__wasm-tracemalloc/snapshots/3/my-app-3.wtmsnap', live: { tab: 'p1', id: 3, cause: 1 } });

    t.emit({ type: 'snapshot', snapshot: info(15, 'p1', 'app'), upload: 'p1/1' });
    t.emit({ type: 'snapshot', snapshot: info(15, 'p1', 'app'), upload: 'p1/1' });
    expect(out.snapshots.map((s) => s.live?.id).slice(-2)).toEqual([14, 15]);
    expect(out.snapshots.at(-1)).toMatchObject({ name: 'my app', live: { id: 15, cause: 'app', timestamp: 1_700_000_000_015, current: 15_000 } });
    // Another subscriber's `state` (or a reconnection) repeats what was delivered: nothing new.
    t.emit({ type: 'state', tabs: [page], snapshots: [...held, info(15)], samples: {} });
    expect(out.snapshots).toHaveLength(INITIAL_SNAPSHOTS + 1);
    // The others are listed, to be opened one by one.
    expect(source.held.map((s) => s.id)).toEqual([1, 2]);
    source.open(1);
    source.open(1);
    expect(out.snapshots.at(-1)).toMatchObject({ origin: 'live', live: { id: 1 } });
    expect(source.held.map((s) => s.id)).toEqual([2]);
    source.disconnect();
    expect(t.listeners.size).toBe(0);
  });

  it('opens none of the held snapshots when the page\'s URL names what to show, and lists them all', () => {
    const t = fakeTransport();
    const out = recordingSink();
    const source = new LiveSource(t.transport, BASE);
    source.connect(out.sink, { openExisting: false });
    t.emit({ type: 'state', tabs: [page], snapshots: [info(1), info(2), info(3)], samples: {} });
    expect(out.snapshots).toEqual([]);
    expect(source.held.map((s) => s.id)).toEqual([1, 2, 3]);
    t.emit({ type: 'snapshot', snapshot: info(4), upload: 'p1/4' });
    expect(out.snapshots.map((s) => s.live?.id)).toEqual([4]);
    // What the URL named is known by its URL, relative or absolute: the viewer gives it the server's number.
    expect(source.find('/__wasm-tracemalloc/snapshots/2/my-app-2.wtmsnap')?.id).toBe(2);
    expect(source.find('http://localhost:5173/__wasm-tracemalloc/snapshots/3/my-app-3.wtmsnap')?.id).toBe(3);
    expect(source.find('snapshots/1/my-app-1.wtmsnap')?.id).toBe(1);
    expect(source.find('/elsewhere/my-app-1.wtmsnap')).toBeUndefined();
    expect(source.find('http://[bad')).toBeUndefined();
  });

  it("keeps each tab's samples as its own series, and its latest and highest", () => {
    const t = fakeTransport();
    const out = recordingSink();
    const source = new LiveSource(t.transport, BASE);
    let changes = 0;
    source.onChange(() => changes++);
    source.connect(out.sink);
    const s = (timestamp: number, current: number, peak = current) => ({ timestamp, current, peak });
    t.emit({ type: 'state', tabs: [page, worker], snapshots: [], samples: { p1: [s(1, 100), s(2, 300, 500)] } });
    expect(out.series).toEqual([
      { id: 'p1', label: 'my app', replace: true, samples: [s(1, 100), s(2, 300, 500)] },
      { id: 'w1', label: 'worker import', replace: true, samples: [] },
    ]);
    out.series.length = 0;
    t.emit({ type: 'samples', tab: 'p1', samples: [s(3, 200, 900), s(4, 250)] });
    expect(out.series).toEqual([{ id: 'p1', label: 'my app', replace: false, samples: [s(3, 200, 900), s(4, 250)] }]);
    expect(source.samplesOf('p1').map((x) => x.current)).toEqual([100, 300, 200, 250]);
    expect(source.tabs.find((x) => x.id === 'p1')!.last).toEqual(s(4, 250));
    expect(source.highestOf('p1')).toBe(900);
    expect(source.highestOf('w1')).toBe(0);

    // A tab that announces new modules keeps its latest sample; a closed tab goes, with its series.
    t.emit({ type: 'tab', tab: { ...page, modules: ['app.wasm', 'lib.wasm'] } });
    expect(source.tabs.find((x) => x.id === 'p1')).toMatchObject({ modules: ['app.wasm', 'lib.wasm'], last: s(4, 250) });
    out.series.length = 0;
    t.emit({ type: 'tab-closed', tab: 'p1' });
    expect(source.tabs.map((x) => x.id)).toEqual(['w1']);
    expect(source.samplesOf('p1')).toEqual([]);
    expect(out.series).toEqual([{ id: 'p1', label: 'p1', replace: true, samples: [] }]);
    expect(changes).toBe(4);
  });

  it('asks the dev server for a snapshot of one tab, and reports errors that are not an upload’s', () => {
    const t = fakeTransport();
    const out = recordingSink();
    const source = new LiveSource(t.transport, BASE);
    source.connect(out.sink);
    source.snapshotNow('w1');
    source.snapshotNow();
    expect(t.requests).toEqual(['w1', undefined]);
    t.emit({ type: 'error', message: 'the dev server refused a snapshot from an unknown tab "x"', upload: 'x/1' });
    t.emit({ type: 'error', message: 'something broke' });
    expect(out.errors).toEqual(['Live connection: something broke']);
  });

  it("reads a snapshot's bytes from the dev server, and names the URL when it cannot", async () => {
    const t = fakeTransport();
    const out = recordingSink();
    new LiveSource(t.transport, BASE).connect(out.sink);
    t.emit({ type: 'state', tabs: [page], snapshots: [info(1), info(2)] });
    const fetched: string[] = [];
    vi.stubGlobal('fetch', async (url: URL) => {
      fetched.push(String(url));
      return url.pathname.includes('/2/') ? new Response('missing', { status: 404, statusText: 'Not Found' }) : new Response(new Uint8Array([87, 84, 77]));
    });
    expect(await out.snapshots[0].read()).toEqual(new Uint8Array([87, 84, 77]));
    await expect(out.snapshots[1].read()).rejects.toThrow('could not fetch /__wasm-tracemalloc/snapshots/2/my-app-2.wtmsnap: HTTP 404 Not Found');
    expect(fetched).toEqual(['http://localhost:5173/__wasm-tracemalloc/snapshots/1/my-app-1.wtmsnap', 'http://localhost:5173/__wasm-tracemalloc/snapshots/2/my-app-2.wtmsnap']);
  });

  it('finds the transport the plugin put on the page, and nothing else', () => {
    const { transport } = fakeTransport();
    expect(liveTransport({ wasmTracemallocLive: transport })).toBe(transport);
    expect(liveTransport({})).toBeUndefined();
    expect(liveTransport({ wasmTracemallocLive: { ...transport, version: 2 } })).toBeUndefined();
    expect(liveTransport({ wasmTracemallocLive: { version: 1 } })).toBeUndefined();
  });
});

describe("the copy of the Vite plugin's protocol", () => {
  // `npm test` type-checks this file: the assignments below fail to compile when the
  // plugin's messages, tabs or snapshots change in a way the copy does not describe.
  it('takes every message the dev server sends, through the channel the plugin installs', () => {
    const listeners = new Set<(m: plugin.ServerMessage) => void>();
    const channel: plugin.LiveChannel = {
      version: 1,
      subscribe(listener) {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
      takeSnapshot() {},
    };
    const transport: LiveTransport = channel; // holds only if every ServerMessage is a LiveMessage
    const out = recordingSink();
    new LiveSource(transport, BASE).connect(out.sink);
    const tab: plugin.TabInfo = { id: 'p1', kind: 'page', label: 'my app', url: 'http://localhost:5173/', modules: ['app.wasm'], last: { timestamp: 5, current: 10, peak: 20, traces: 1 } };
    const snapshot: plugin.SnapshotInfo = { ...info(1), cause: 'app' };
    const send = (m: plugin.ServerMessage) => listeners.forEach((l) => l(m));
    send({ type: 'state', tabs: [tab], snapshots: [snapshot], samples: { p1: [{ timestamp: 5, current: 10, peak: 20 }] } });
    send({ type: 'snapshot', snapshot: { ...info(2), cause: 7 }, upload: 'p1/2' });
    expect(out.snapshots.map((s) => s.name)).toEqual(['my app', 'my app']);
    // One label on the live page and here, from the same info.
    for (const x of [snapshot, { ...info(12), samplingIntervalBytes: 4096 }, { ...info(3), name: 'Issue #3 · draft' }]) {
      const [mine] = snapshotLabels([{ live: liveRef(x), name: 'ignored.wtmsnap', timestamp: 0, size: 0, samplingIntervalBytes: 0 }]);
      expect(mine.text).toBe(plugin.snapshotLabel(x));
      expect([mine.ref, mine.name, mine.time, mine.size]).toEqual(Object.values(plugin.snapshotLabelParts(x)));
    }
    expect(plugin.snapshotLabel(snapshot)).toMatch(/^#1 · my app · takeSnapshot\(\) · \d\d:\d\d:\d\d · 1000 B$/);
    expect(out.series.at(-1)?.samples).toEqual([{ timestamp: 5, current: 10, peak: 20 }]);
    const untraced: plugin.UntracedModule = { name: 'public/add.wasm', reason: 'no allocator found', details: ['public/add.wasm: no allocator found'] };
    send({ type: 'untraced', module: untraced });
    send({ type: 'state', tabs: [tab], snapshots: [snapshot], untraced: [untraced] });
  });

  it('looks for the channel under the same global and keeps as many samples', () => {
    expect(LIVE_GLOBAL).toBe(plugin.LIVE_GLOBAL);
    expect(LIVE_SAMPLE_HISTORY).toBe(plugin.SAMPLE_HISTORY);
  });
});
