/**
 * The tracemalloc model: CPython's Lib/tracemalloc.py (Snapshot, Statistic,
 * StatisticDiff, Filter, DomainFilter, Trace, Traceback, Frame) on columnar data,
 * plus the snapshot file format. Pure code: no DOM, no Node APIs; the CLI, the
 * viewer and the tests use it unchanged.
 */

export { BufferPool } from './buffer-pool.js';
export { crc32 } from './crc32.js';
export { DomainFilter, Filter, type FrameLike, type TraceFilter, type TraceLike } from './filter.js';
export { fnmatch, fnmatchToRegExp } from './fnmatch.js';
export { formatFixed, formatSize } from './format.js';
export { radixSortDescending } from './radix-sort.js';
export { parseSize } from './size.js';
export { Frame, UNKNOWN_FRAME, compareCodePoints, frameKey } from './frame.js';
export type { KeyType } from './group-by.js';
export { Snapshot } from './snapshot.js';
export { estimatedBytes, isSamplingInterval, sampleProbability, sampleWeight } from './sample-weight.js';
export type { CounterRows, GroupSource, RowTracebacks, StatisticTable } from './statistic-table.js';
export type { TracebackCounterColumns, TracebackTotals } from './group-by.js';
export { SnapshotBuilder } from './snapshot-builder.js';
export {
  InvalidSnapshotError,
  TRACEBACK_COUNTERS,
  findSnapshotDataProblem,
  validateSnapshotData,
  type DomainInfo,
  type FrameData,
  type SampleSeries,
  type SnapshotData,
  type SnapshotMeta,
  type TracebackData,
  type ValidateOptions,
} from './snapshot-data.js';
export { SNAPSHOT_FORMAT_VERSION, SNAPSHOT_MAGIC, decodeSnapshot, encodeSnapshot } from './snapshot-file.js';
export { Statistic, StatisticDiff, type Counters } from './statistic.js';
export { Trace } from './trace.js';
export { Traceback, type GetLine } from './traceback.js';
