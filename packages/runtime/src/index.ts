// @wasm-tracemalloc/runtime: tracemalloc for WebAssembly.
// The API (start, stop, takeSnapshot, …), the Snapshot model, and linking.

export {
  start,
  stop,
  isTracing,
  clearTraces,
  getTracebackLimit,
  getTracedMemory,
  resetPeak,
  getTracemallocMemory,
  getTracerStats,
  getFreeErrors,
  getObjectTraceback,
  takeSnapshot,
  getSamplingIntervalBytes,
  startSampling,
  stopSampling,
  takeSample,
  getSamples,
  onSample,
  getDomains,
  shareTracer,
  joinTracer,
  leaveTracer,
  terminateTracedThread,
  siteTableOf,
  traceImports,
  MAX_NFRAME,
  type FreeError,
  type StartOptions,
} from './tracemalloc.js';
export { instantiateTraced, prepareModule, IMPORT_NAMESPACE, type InstrumentHook, type TracedInstance, type SideTable } from './link.js';
export { install, type InstallOptions } from './install.js';
export { isTracerHandle, type TracerHandle } from './threads.js';
export { SampleRing, SAMPLE_CAPACITY, DEFAULT_SAMPLE_INTERVAL_MS, type MemorySample } from './samples.js';
export { SITE_SECTION, decodeSiteTable, encodeSiteTable, withSideTable, type SiteRecord, type SiteTable, type SourceFrame } from './site-table.js';
export * from './model/index.js';
