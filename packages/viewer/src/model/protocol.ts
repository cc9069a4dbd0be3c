/**
 * Messages between the page and the analysis worker. Every request has an id; the
 * worker answers each with { id, ok, value } or { id, ok: false, error }.
 */

import type { SnapshotData } from '@wasm-tracemalloc/runtime/model';
import type { FlameMeasure } from './flame-tree.js';
import type { TableQuery } from './analysis.js';
import type { SortKey, TraceSelection } from './view-state.js';

export type Request =
  | { op: 'load'; snapshot: number; bytes: Uint8Array; name: string }
  | { op: 'add'; snapshot: number; data: SnapshotData; name: string }
  | { op: 'forget'; snapshot: number }
  | { op: 'table'; query: TableQuery }
  | { op: 'detail'; query: TableQuery; row: number }
  | { op: 'callers'; query: TableQuery; rows: number[] }
  | { op: 'flame'; selection: TraceSelection; measure: FlameMeasure; inverted: boolean; peak?: boolean }
  | { op: 'json'; query: TableQuery; sort: SortKey }
  | { op: 'leaks'; selection: TraceSelection; snapshots: number[] }
  | { op: 'pprof'; selection: TraceSelection }
  | { op: 'settle' }
  /** Column buffers of a table the page no longer shows, for the worker to copy the next tables into. */
  | { op: 'recycle'; buffers: ArrayBuffer[] };

export type Envelope = Request & { id: number };

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { name: string; message: string } };
