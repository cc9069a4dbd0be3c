// One thread of the scenario (main.js): instantiates the compiled module on the shared
// memory it is sent, runs its part, and says what it saw.
import { isJoined } from '@wasm-tracemalloc/vite-plugin/client';

let messages = 0;
self.onmessage = (e) => {
  messages++;
  try {
    const { module, memory, op, slots, n, size } = e.data;
    const x = new WebAssembly.Instance(module, { env: { memory } }).exports;
    if (op === 'make') x.make_blocks(slots, n, size);
    if (op === 'handoff') {
      x.free_blocks(slots, 0, 1250);
      x.grow_blocks(slots, 1250, 1300, 256);
    }
    if (op === 'leak') x.make_blocks(x.slots(500), 500, 64);
    if (op === 'churn') x.churn(100000, 16);
    // The first message this app code saw is its own: the plugin's came before and was not shown.
    self.postMessage({ op, isolated: self.crossOriginIsolated, joined: isJoined(), messages, keys: Object.keys(e.data).sort() });
  } catch (error) {
    self.postMessage({ error: String(error?.stack ?? error) });
  }
};
