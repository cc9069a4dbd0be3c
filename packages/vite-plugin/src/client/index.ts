/**
 * `@wasm-tracemalloc/vite-plugin/client`: for app code in a page traced by the
 * plugin. The runtime's own API (`@wasm-tracemalloc/runtime`: getTracedMemory,
 * Snapshot, …) works as usual; this adds what needs the dev server.
 *
 * ```ts
 * import { takeSnapshot } from '@wasm-tracemalloc/vite-plugin/client';
 * const { snapshot, info } = await takeSnapshot();  // info.url: the .wtmsnap on the dev server
 * ```
 */

import { isJoined, isLive, isTraced, publishSnapshot, type TabSnapshot } from './tracing.js';

export { isJoined, isLive, isTraced, type TabSnapshot };
export { viewerUrl } from '../protocol.js';
export type { SnapshotInfo, TabInfo, MemorySample } from '../protocol.js';

/**
 * Takes a snapshot of this page's (or worker's) traces. Under the dev server it is
 * also sent to the viewer, and `info` says where it is stored; in a build traced
 * with `build: true` only `snapshot` is set. Rejects if the plugin is not active.
 * In a worker that joined its page's tracer (isJoined()), the snapshot holds every
 * thread's traces in that tracer (not the page's modules on a memory of their own)
 * and is not sent to the viewer: the page's snapshots hold the worker's blocks.
 */
export function takeSnapshot(): Promise<TabSnapshot> {
  return publishSnapshot('app');
}
