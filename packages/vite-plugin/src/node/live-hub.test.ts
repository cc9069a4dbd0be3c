import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocketClient, WebSocketServer } from 'vite';
import { CLIENT_EVENT, SERVER_EVENT, type ClientMessage, type ServerMessage } from '../protocol.js';
import { LiveHub, MAX_MODULES_PER_TAB, MAX_TABS_PER_CONNECTION } from './live-hub.js';

/** Vite's server.ws as the hub uses it: custom-event listeners and a broadcast. */
class FakeWs {
  readonly broadcast: ServerMessage[] = [];
  #listener: ((data: ClientMessage, client: WebSocketClient) => void) | undefined;
  on(event: string, listener: (data: ClientMessage, client: WebSocketClient) => void): void {
    expect(event).toBe(CLIENT_EVENT);
    this.#listener = listener;
  }
  send(event: string, data: ServerMessage): void {
    expect(event).toBe(SERVER_EVENT);
    this.broadcast.push(data);
  }
  receive(client: FakeClient, message: ClientMessage): void {
    this.#listener!(message, client as unknown as WebSocketClient);
  }
}

class FakeClient {
  readonly socket = new EventEmitter();
  readonly sent: ServerMessage[] = [];
  send(event: string, data: ServerMessage): void {
    expect(event).toBe(SERVER_EVENT);
    this.sent.push(data);
  }
}

const MAGIC = new TextEncoder().encode('WTMSNAP\0');
const file = (extra: number) => Buffer.concat([MAGIC, new Uint8Array(extra)]).toString('base64');

function setUp() {
  const ws = new FakeWs();
  const warnings: string[] = [];
  const hub = new LiveHub(ws as unknown as WebSocketServer, '/__wasm-tracemalloc/snapshots/', (m) => warnings.push(m));
  const page = new FakeClient();
  ws.receive(page, { type: 'tab', tab: { id: 't1', kind: 'page', label: 'My app', url: 'http://localhost:5173/', modules: ['app.wasm'] } });
  return { ws, hub, page, warnings };
}

describe('LiveHub', () => {
  it('announces a tab to everyone, answers a subscribe with the whole state, and drops the tab when its socket closes', () => {
    const { ws, hub, page } = setUp();
    expect(ws.broadcast).toEqual([{ type: 'tab', tab: { id: 't1', kind: 'page', label: 'My app', url: 'http://localhost:5173/', modules: ['app.wasm'] } }]);
    ws.receive(page, { type: 'samples', tab: 't1', samples: [{ timestamp: 5, current: 100, peak: 120 }] });
    expect(ws.broadcast.at(-1)).toEqual({ type: 'samples', tab: 't1', samples: [{ timestamp: 5, current: 100, peak: 120 }] });

    const viewer = new FakeClient();
    ws.receive(viewer, { type: 'subscribe' });
    expect(viewer.sent).toEqual([
      {
        type: 'state',
        tabs: [{ id: 't1', kind: 'page', label: 'My app', url: 'http://localhost:5173/', modules: ['app.wasm'], last: { timestamp: 5, current: 100, peak: 120 } }],
        snapshots: [],
        samples: { t1: [{ timestamp: 5, current: 100, peak: 120 }] },
      },
    ]);
    expect(page.sent).toEqual([]);

    page.socket.emit('close');
    expect(ws.broadcast.at(-1)).toEqual({ type: 'tab-closed', tab: 't1' });
    expect(hub.tabs).toEqual([]);
  });

  it("passes on a sampled tab's interval, and drops one that is not a number of bytes", () => {
    const { ws, page } = setUp();
    const tab = { id: 't2', kind: 'worker' as const, label: 'worker', url: 'http://localhost:5173/w.js', modules: [] };
    ws.receive(page, { type: 'tab', tab: { ...tab, samplingIntervalBytes: 4096 } });
    expect(ws.broadcast.at(-1)).toEqual({ type: 'tab', tab: { ...tab, samplingIntervalBytes: 4096 } });
    for (const bad of [0, -1, 'x', Infinity]) {
      ws.receive(page, { type: 'tab', tab: { ...tab, samplingIntervalBytes: bad } } as never);
      expect(ws.broadcast.at(-1)).toEqual({ type: 'tab', tab });
    }
  });

  it('keeps the latest SAMPLE_HISTORY samples of each tab for later subscribers, cleaned, and forgets them with the tab', () => {
    const { ws, page } = setUp();
    const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ timestamp: from + i, current: from + i, peak: from + i + 7, traces: 1 }));
    ws.receive(page, { type: 'samples', tab: 't1', samples: batch(0, 2000) });
    ws.receive(page, { type: 'samples', tab: 't1', samples: batch(2000, 2000) });
    // A bad sample (a peak below current, a string) is cleaned, not relayed as it is.
    ws.receive(page, { type: 'samples', tab: 't1', samples: [{ timestamp: 9000, current: 500, peak: 20, traces: 'x' as unknown as number }] });
    expect(ws.broadcast.at(-1)).toEqual({ type: 'samples', tab: 't1', samples: [{ timestamp: 9000, current: 500, peak: 500, traces: 0 }] });
    ws.receive(page, { type: 'samples', tab: 'unknown', samples: batch(0, 1) });
    const viewer = new FakeClient();
    ws.receive(viewer, { type: 'subscribe' });
    const state = viewer.sent[0] as Extract<ServerMessage, { type: 'state' }>;
    expect(Object.keys(state.samples!)).toEqual(['t1']);
    const kept = state.samples!.t1;
    expect(kept).toHaveLength(3000);
    expect(kept[0]).toEqual({ timestamp: 1001, current: 1001, peak: 1008, traces: 1 });
    expect(kept.at(-1)).toEqual({ timestamp: 9000, current: 500, peak: 500, traces: 0 });
    page.socket.emit('close');
    const later = new FakeClient();
    ws.receive(later, { type: 'subscribe' });
    expect(later.sent[0]).toEqual({ type: 'state', tabs: [], snapshots: [], samples: {} });
  });

  it('forwards snapshot requests with a new id each, and stores what tabs send under a URL named after the tab', () => {
    const { ws, hub, page } = setUp();
    const viewer = new FakeClient();
    ws.receive(viewer, { type: 'take-snapshot' });
    ws.receive(viewer, { type: 'take-snapshot', tab: 't1' });
    expect(ws.broadcast.slice(-2)).toEqual([
      { type: 'take-snapshot', request: 1 },
      { type: 'take-snapshot', request: 2, tab: 't1' },
    ]);

    const taken = Date.now() - 5000;
    ws.receive(page, { type: 'snapshot', tab: 't1', upload: 'u1', cause: 2, timestamp: taken, current: 300, peak: 400, data: file(10) });
    ws.receive(page, { type: 'snapshot', tab: 't1', upload: 'u2', cause: 'app', current: 0, peak: 400, data: file(0) });
    // A time before the previous snapshot's (a slow upload) or in the future is clamped: ids follow time.
    ws.receive(page, { type: 'snapshot', tab: 't1', upload: 'u3', cause: 3, timestamp: taken - 60_000, current: 0, peak: 400, data: file(0) });
    ws.receive(page, { type: 'snapshot', tab: 't1', upload: 'u4', cause: 4, timestamp: Date.now() + 3_600_000, current: 0, peak: 400, data: file(0) });
    const [first, second, third, fourth] = hub.snapshots;
    // The name is the tab's; the number is the id, in the file name too.
    expect(first).toMatchObject({ id: 1, tab: 't1', name: 'My app', url: '/__wasm-tracemalloc/snapshots/1/My-app-1.wtmsnap', bytes: 18, timestamp: taken, current: 300, peak: 400, cause: 2 });
    expect(second).toMatchObject({ id: 2, name: 'My app', url: '/__wasm-tracemalloc/snapshots/2/My-app-2.wtmsnap', bytes: 8, cause: 'app' });
    expect(second.timestamp).toBeGreaterThanOrEqual(taken + 5000);
    expect(third.timestamp).toBe(second.timestamp);
    expect(fourth.timestamp).toBeGreaterThanOrEqual(third.timestamp);
    expect(fourth.timestamp).toBeLessThanOrEqual(Date.now());
    expect(ws.broadcast.at(-1)).toEqual({ type: 'snapshot', snapshot: fourth, upload: 'u4' });
    expect(hub.snapshotBytes(1)).toEqual(new Uint8Array([...MAGIC, ...new Uint8Array(10)]));
    expect(hub.snapshotBytes(5)).toBeUndefined();
  });

  it("tells every viewer when a tab could not take a requested snapshot, by the tab's label; ignores unknown tabs", () => {
    const { ws, page } = setUp();
    const viewer = new FakeClient();
    ws.receive(viewer, { type: 'take-snapshot', tab: 't1' });
    const sent = ws.broadcast.length;
    ws.receive(page, { type: 'snapshot-failed', tab: 't1', request: 1, message: 'the tracemalloc module must be tracing memory allocations to take a snapshot; call start() first' });
    expect(ws.broadcast.slice(sent)).toEqual([
      { type: 'error', message: 'My app: no snapshot: the tracemalloc module must be tracing memory allocations to take a snapshot; call start() first' },
    ]);
    ws.receive(page, { type: 'snapshot-failed', tab: 'nobody', request: 1, message: 'x' });
    ws.receive(page, { type: 'snapshot-failed', tab: 't1', request: 1, message: 'y'.repeat(2000) });
    expect(ws.broadcast.slice(sent + 1)).toEqual([{ type: 'error', message: `My app: no snapshot: ${'y'.repeat(500)}` }]);
  });

  it('refuses, to the sender only, a snapshot that is not a .wtmsnap file or comes from an unknown tab', () => {
    const { ws, hub, page } = setUp();
    const before = ws.broadcast.length;
    ws.receive(page, { type: 'snapshot', tab: 't1', upload: 'u1', cause: 'app', current: 0, peak: 0, data: Buffer.from('PNG\r\n').toString('base64') });
    ws.receive(page, { type: 'snapshot', tab: 'nope', upload: 'u2', cause: 'app', current: 0, peak: 0, data: file(4) });
    expect(page.sent).toEqual([
      { type: 'error', message: 'the dev server refused a snapshot that is not a .wtmsnap file (bad magic)', upload: 'u1' },
      { type: 'error', message: 'the dev server refused a snapshot from an unknown tab "nope"', upload: 'u2' },
    ]);
    expect(hub.snapshots).toEqual([]);
    expect(ws.broadcast.length).toBe(before);
  });

  it('tells every viewer once about a module sent untraced, and later subscribers in its state', () => {
    const { ws, hub } = setUp();
    const before = ws.broadcast.length;
    const module = { name: 'public/add.wasm', reason: 'no allocator found', details: ['public/add.wasm: no allocator found, so nothing is traced'] };
    hub.untracedModule(module);
    hub.untracedModule({ ...module, details: [...module.details] }); // a reload: the same module, the same reason
    expect(ws.broadcast.slice(before)).toEqual([{ type: 'untraced', module }]);
    const viewer = new FakeClient();
    ws.receive(viewer, { type: 'subscribe' });
    expect(viewer.sent).toMatchObject([{ type: 'state', untraced: [module] }]);
    // A new reason (the file changed, and the pass now refuses it) is news.
    const refused = { name: 'public/add.wasm', reason: 'not a WebAssembly module', details: ['public/add.wasm: not a WebAssembly module'] };
    hub.untracedModule(refused);
    expect(ws.broadcast.at(-1)).toEqual({ type: 'untraced', module: refused });
    expect(hub.untraced).toEqual([refused]);
  });

  it('warns about a message it does not know, and goes on', () => {
    const { ws, page, warnings } = setUp();
    ws.receive(page, { type: 'launch-missiles' } as unknown as ClientMessage);
    expect(warnings).toEqual(['wasm-tracemalloc: bad message from a page: unknown message type "launch-missiles"']);
  });
  it("keeps a tab to the connection that announced it: another cannot take its id, send its samples or snapshots", () => {
    const { ws, hub, page } = setUp();
    const intruder = new FakeClient();
    ws.receive(intruder, { type: 'tab', tab: { id: 't1', kind: 'page', label: 'Not my app', url: 'http://evil/', modules: [] } });
    ws.receive(intruder, { type: 'samples', tab: 't1', samples: [{ timestamp: 1, current: 9, peak: 9 }] });
    ws.receive(intruder, { type: 'snapshot', tab: 't1', upload: 'u9', cause: 'app', current: 0, peak: 0, data: file(4) });
    expect(hub.tabs).toEqual([{ id: 't1', kind: 'page', label: 'My app', url: 'http://localhost:5173/', modules: ['app.wasm'] }]);
    expect(hub.snapshots).toEqual([]);
    expect(intruder.sent).toEqual([
      { type: 'error', message: 'a page announced tab "t1", which another connection announced first; ignored' },
      { type: 'error', message: 'the dev server refused a snapshot from an unknown tab "t1"', upload: 'u9' },
    ]);
    // Its own connection still can.
    ws.receive(page, { type: 'samples', tab: 't1', samples: [{ timestamp: 1, current: 9, peak: 9 }] });
    expect(hub.tabs[0].last).toEqual({ timestamp: 1, current: 9, peak: 9 });
  });

  it(`keeps at most ${MAX_TABS_PER_CONNECTION} tabs per connection and ${MAX_MODULES_PER_TAB} module names per tab, says so once, and forgets all of a connection's tabs when it closes`, () => {
    const { ws, hub, warnings } = setUp();
    const flood = new FakeClient();
    const modules = Array.from({ length: 1000 }, (_, i) => `m${i}.wasm`);
    for (let i = 0; i < 1500; i++) ws.receive(flood, { type: 'tab', tab: { id: `f${i}`, kind: 'worker', label: `w${i}`, url: 'http://localhost:5173/w.js', modules } });
    expect(hub.tabs.map((t) => t.id)).toEqual(['t1', ...Array.from({ length: MAX_TABS_PER_CONNECTION }, (_, i) => `f${i}`)]);
    expect(hub.tabs.at(-1)!.modules).toEqual(modules.slice(0, MAX_MODULES_PER_TAB));
    const refusal = `a page announced more than ${MAX_TABS_PER_CONNECTION} tabs over one connection; the dev server ignores the rest until it reconnects`;
    expect(flood.sent).toEqual([{ type: 'error', message: refusal }]);
    expect(warnings).toEqual([`wasm-tracemalloc: ${refusal}`]);
    // Re-announcing one of its own tabs is no new tab.
    ws.receive(flood, { type: 'tab', tab: { id: 'f3', kind: 'worker', label: 'renamed', url: 'http://localhost:5173/w.js', modules: [] } });
    expect(hub.tabs.find((t) => t.id === 'f3')!.label).toBe('renamed');
    flood.socket.emit('close');
    expect(hub.tabs.map((t) => t.id)).toEqual(['t1']);
  });
});
