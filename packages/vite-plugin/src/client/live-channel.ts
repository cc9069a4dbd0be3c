/**
 * The viewer's side of the live protocol, as the LiveChannel the viewer page finds
 * at `globalThis.wasmTracemallocLive` (protocol.ts). The plugin serves the viewer
 * with a module that calls exposeLiveChannel(import.meta.hot) before the viewer's
 * own script runs (the viewer's import/live-source.ts reads it: the LiveTransport
 * there is this interface, copied so the viewer does not depend on the plugin); the
 * plugin's live page uses the same channel.
 */

import { CLIENT_EVENT, LIVE_GLOBAL, SERVER_EVENT, type ClientMessage, type LiveChannel, type ServerMessage } from '../protocol.js';
import type { HotChannel } from './tracing.js';

export function createLiveChannel(hot: HotChannel): LiveChannel {
  const listeners = new Set<(message: ServerMessage) => void>();
  hot.on(SERVER_EVENT, (message: ServerMessage) => {
    for (const listener of listeners) listener(message);
  });
  const send = (message: ClientMessage) => hot.send(CLIENT_EVENT, message);
  return {
    version: 1,
    subscribe(listener) {
      listeners.add(listener);
      // Answered to this page alone with a `state`, which every listener sees: each
      // treats it as the whole truth, so a second subscriber costs the first nothing.
      send({ type: 'subscribe' });
      return () => void listeners.delete(listener);
    },
    takeSnapshot(tab) {
      send(tab === undefined ? { type: 'take-snapshot' } : { type: 'take-snapshot', tab });
    },
  };
}

export function exposeLiveChannel(hot: HotChannel | undefined): void {
  if (!hot) return;
  (globalThis as Record<string, unknown>)[LIVE_GLOBAL] = createLiveChannel(hot);
}
