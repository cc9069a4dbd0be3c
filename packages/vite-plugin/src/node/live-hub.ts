/**
 * The dev server's side of the live protocol (protocol.ts): it knows the traced tabs,
 * relays their samples, forwards snapshot requests, and keeps the snapshots the tabs
 * send, for the viewer to fetch by URL. It never looks inside a snapshot beyond its
 * magic: the viewer's loader checks the rest.
 *
 * Anything that can open the dev server's WebSocket can send it messages, so what it
 * keeps is bounded whatever they say: tabs per connection and in all, modules per tab,
 * samples per tab, snapshots (count and bytes; Vite's WebSocket refuses a message over
 * 100 MiB). A tab belongs to the connection that announced it: only that one sends its
 * samples and snapshots, and its closing drops the tab and all kept for it.
 */

import type { WebSocketClient, WebSocketServer } from 'vite';
import { SNAPSHOT_MAGIC, isSamplingInterval } from '@wasm-tracemalloc/runtime/model';
import { CLIENT_EVENT, SAMPLE_HISTORY, SERVER_EVENT, type ClientMessage, type MemorySample, type ServerMessage, type SnapshotInfo, type TabInfo, type UntracedModule } from '../protocol.js';

/** Kept snapshots: the oldest go first beyond either limit. */
const MAX_SNAPSHOTS = 200;
const MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024;
/** A page and its workers each announce a tab over their own connection; 64 is far above any app's. */
export const MAX_TABS_PER_CONNECTION = 64;
/**
 * Open tabs in all. With MAX_MODULES_PER_TAB names of 200 characters and SAMPLE_HISTORY
 * samples each, the tabs' state stays under ~40 MB and `snapshots/` under ~7 MB.
 */
export const MAX_TABS = 128;
/** Traced modules named per tab (one per instance: a page that instantiates more still traces them, the list stops). */
export const MAX_MODULES_PER_TAB = 256;
const MAGIC = Buffer.from(SNAPSHOT_MAGIC, 'latin1');

interface Stored {
  info: SnapshotInfo;
  bytes: Uint8Array;
}

export class LiveHub {
  readonly #tabs = new Map<string, TabInfo>();
  /** The latest SAMPLE_HISTORY samples of each open tab, for viewers that subscribe later. */
  readonly #samples = new Map<string, MemorySample[]>();
  /** The tabs each WebSocket announced: a page and each of its workers have their own. */
  readonly #tabsOf = new WeakMap<object, Set<string>>();
  /** The WebSocket that announced each open tab. */
  readonly #ownerOf = new Map<string, object>();
  /** Connections already told (and the terminal warned) that they announced too many tabs. */
  readonly #toldFull = new WeakSet<object>();
  readonly #snapshots: Stored[] = [];
  /** Modules the dev server sent untraced, by name: told to every viewer once, and to late subscribers. */
  readonly #untraced = new Map<string, UntracedModule>();
  #storedBytes = 0;
  #nextId = 1;
  /** The latest stored snapshot's time: ids and times go up together. */
  #lastTimestamp = 0;
  #requests = 0;

  constructor(
    readonly ws: WebSocketServer,
    /** The URL path snapshots are served under: `<base>__wasm-tracemalloc/snapshots/`. */
    readonly snapshotsPath: string,
    readonly warn: (message: string) => void,
  ) {
    ws.on(CLIENT_EVENT, (message: ClientMessage, client: WebSocketClient) => {
      try {
        this.#receive(message, client);
      } catch (error) {
        this.warn(`wasm-tracemalloc: bad message from a page: ${(error as Error).message}`);
      }
    });
  }

  get snapshots(): SnapshotInfo[] {
    return this.#snapshots.map((s) => s.info);
  }

  get tabs(): TabInfo[] {
    return [...this.#tabs.values()];
  }

  get untraced(): UntracedModule[] {
    return [...this.#untraced.values()];
  }

  /** The dev server sends `module.name` untraced: tells every viewer, unless it already did so, for the same reason. */
  untracedModule(module: UntracedModule): void {
    const known = this.#untraced.get(module.name);
    if (known && known.reason === module.reason && known.details.join('\n') === module.details.join('\n')) return;
    this.#untraced.set(module.name, module);
    this.#broadcast({ type: 'untraced', module });
  }

  snapshotBytes(id: number): Uint8Array | undefined {
    return this.#snapshots.find((s) => s.info.id === id)?.bytes;
  }

  #broadcast(message: ServerMessage): void {
    this.ws.send(SERVER_EVENT, message);
  }

  #receive(message: ClientMessage, client: WebSocketClient): void {
    switch (message?.type) {
      case 'subscribe':
        client.send(SERVER_EVENT, { type: 'state', tabs: this.tabs, snapshots: this.snapshots, samples: Object.fromEntries(this.#samples), ...(this.#untraced.size > 0 && { untraced: this.untraced }) } satisfies ServerMessage);
        return;
      case 'take-snapshot':
        this.#broadcast({ type: 'take-snapshot', request: ++this.#requests, ...(typeof message.tab === 'string' ? { tab: message.tab } : {}) });
        return;
      case 'tab': {
        const t = message.tab;
        const id = text(t?.id, 100);
        const refusal = this.#refuseTab(id, client);
        if (refusal) {
          // Once per connection: a page in a loop would flood both the terminal and itself.
          if (this.#toldFull.has(client.socket)) return;
          this.#toldFull.add(client.socket);
          this.warn(`wasm-tracemalloc: ${refusal}`);
          client.send(SERVER_EVENT, { type: 'error', message: refusal } satisfies ServerMessage);
          return;
        }
        const tab: TabInfo = {
          id,
          kind: t.kind === 'worker' ? 'worker' : 'page',
          label: text(t.label, 200),
          url: text(t.url, 2000),
          modules: Array.isArray(t.modules) ? t.modules.slice(0, MAX_MODULES_PER_TAB).map((m) => text(m, 200)) : [],
          ...(isSamplingInterval(t.samplingIntervalBytes) && { samplingIntervalBytes: t.samplingIntervalBytes }),
          last: this.#tabs.get(id)?.last,
        };
        this.#tabs.set(id, tab);
        this.#ownerOf.set(id, client.socket);
        // When a tab's WebSocket closes (the page was closed or reloaded), the tab is gone.
        let ids = this.#tabsOf.get(client.socket);
        if (!ids) {
          const own = new Set<string>();
          ids = own;
          this.#tabsOf.set(client.socket, own);
          client.socket.once('close', () => this.#closed(own));
        }
        ids.add(id);
        this.#broadcast({ type: 'tab', tab });
        return;
      }
      case 'samples': {
        const tab = this.#ownTab(message.tab, client);
        if (!tab || !Array.isArray(message.samples) || message.samples.length === 0) return;
        const samples = message.samples.slice(-SAMPLE_HISTORY).map((s): MemorySample => {
          const current = num(s?.current);
          return { timestamp: num(s?.timestamp), current, peak: Math.max(current, num(s?.peak)), ...(s?.traces !== undefined && { traces: num(s.traces) }) };
        });
        tab.last = samples.at(-1);
        const history = this.#samples.get(tab.id) ?? [];
        history.push(...samples);
        if (history.length > SAMPLE_HISTORY) history.splice(0, history.length - SAMPLE_HISTORY);
        this.#samples.set(tab.id, history);
        this.#broadcast({ type: 'samples', tab: tab.id, samples });
        return;
      }
      case 'snapshot':
        this.#store(message, client);
        return;
      case 'snapshot-failed': {
        const tab = this.#ownTab(message.tab, client);
        if (!tab) return;
        this.#broadcast({ type: 'error', message: `${tab.label}: no snapshot: ${text(message.message, 500)}` });
        return;
      }
      default:
        throw new Error(`unknown message type ${JSON.stringify((message as { type?: unknown })?.type)}`);
    }
  }

  /** Why the tab `id` from `client` is not kept, or undefined when it is (a new tab within the limits, or one the client already announced). */
  #refuseTab(id: string, client: WebSocketClient): string | undefined {
    const owner = this.#ownerOf.get(id);
    if (owner === client.socket) return undefined;
    if (owner !== undefined) return `a page announced tab ${JSON.stringify(id)}, which another connection announced first; ignored`;
    if (id === '') return 'a page announced a tab without an id; ignored';
    const own = this.#tabsOf.get(client.socket)?.size ?? 0;
    if (own >= MAX_TABS_PER_CONNECTION) return `a page announced more than ${MAX_TABS_PER_CONNECTION} tabs over one connection; the dev server ignores the rest until it reconnects`;
    if (this.#tabs.size >= MAX_TABS) return `the dev server has ${MAX_TABS} open tabs, its limit; it ignores new ones until some close`;
    return undefined;
  }

  /** The tab `id` if `client` announced it: no connection speaks for another's tab. */
  #ownTab(id: unknown, client: WebSocketClient): TabInfo | undefined {
    return typeof id === 'string' && this.#ownerOf.get(id) === client.socket ? this.#tabs.get(id) : undefined;
  }

  #store(message: Extract<ClientMessage, { type: 'snapshot' }>, client: WebSocketClient): void {
    const tab = this.#ownTab(message.tab, client);
    const upload = text(message.upload, 200);
    const bytes = new Uint8Array(Buffer.from(typeof message.data === 'string' ? message.data : '', 'base64'));
    if (!tab || bytes.length < MAGIC.length || !MAGIC.equals(bytes.subarray(0, MAGIC.length))) {
      const why = !tab ? `from an unknown tab ${JSON.stringify(message.tab)}` : 'that is not a .wtmsnap file (bad magic)';
      client.send(SERVER_EVENT, { type: 'error', message: `the dev server refused a snapshot ${why}`, upload } satisfies ServerMessage);
      return;
    }
    // The id is the snapshot's number on every page (the live page, the viewer's
    // pickers, timeline and diff), so it must follow time: the tab's own time for it
    // (what the file says) is kept unless it would come before the previous one's.
    const id = this.#nextId++;
    const now = Date.now();
    const said = Number(message.timestamp);
    const timestamp = Number.isFinite(said) ? Math.min(now, Math.max(this.#lastTimestamp, said)) : Math.max(this.#lastTimestamp, now);
    this.#lastTimestamp = timestamp;
    // A downloaded file keeps the number in its name.
    const file = `${tab.label.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'snapshot'}-${id}.wtmsnap`;
    const info: SnapshotInfo = {
      id,
      tab: tab.id,
      name: tab.label,
      url: `${this.snapshotsPath}${id}/${encodeURIComponent(file)}`,
      bytes: bytes.length,
      timestamp,
      current: num(message.current),
      peak: num(message.peak),
      cause: message.cause === 'app' ? 'app' : num(message.cause),
      ...(tab.samplingIntervalBytes !== undefined && tab.samplingIntervalBytes > 0 && { samplingIntervalBytes: tab.samplingIntervalBytes }),
    };
    this.#snapshots.push({ info, bytes });
    this.#storedBytes += bytes.length;
    while (this.#snapshots.length > MAX_SNAPSHOTS || (this.#storedBytes > MAX_SNAPSHOT_BYTES && this.#snapshots.length > 1)) {
      this.#storedBytes -= this.#snapshots.shift()!.bytes.length;
    }
    this.#broadcast({ type: 'snapshot', snapshot: info, upload });
  }

  #closed(ids: Set<string>): void {
    for (const id of ids) {
      this.#samples.delete(id);
      this.#ownerOf.delete(id);
      if (this.#tabs.delete(id)) this.#broadcast({ type: 'tab-closed', tab: id });
    }
    ids.clear();
  }
}

function text(value: unknown, max: number): string {
  return String(value ?? '').slice(0, max);
}

function num(value: unknown): number {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}
