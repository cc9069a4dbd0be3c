// A Web Worker with its own profile directory, loaded from a `?url` import. The
// plugin injects tracing into worker entries too: this worker is its own tab, with
// its own trace table.
import { getTracedMemory } from '@wasm-tracemalloc/runtime';
import profilesUrl from './generated/profiles.wasm?url';
import { wrap } from './profiles.js';

const ready = WebAssembly.instantiateStreaming(fetch(profilesUrl), {}).then(({ instance }) => wrap(instance.exports as never));

self.addEventListener('message', async (event: MessageEvent<{ first: number; n: number }>) => {
  const profiles = await ready;
  const { first, n } = event.data;
  const imported = profiles.open(first, n);
  // The worker's own trace table: what its instance of profiles.wasm holds.
  const [traced] = getTracedMemory();
  self.postMessage({ imported, cached: profiles.cached(), traced });
});
