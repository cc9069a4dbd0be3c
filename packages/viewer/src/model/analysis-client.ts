/**
 * The page's side of the analysis worker: one promise per request. If the worker
 * dies (out of memory on a hostile file, say) or is cancelled, every pending request
 * rejects with a message, and `restart()` gives a fresh worker.
 */

import type { SnapshotData } from '@wasm-tracemalloc/runtime/model';
import type { FlameMeasure, FlameModel } from './flame-tree.js';
import type { DetailModel, SnapshotSummary, TableQuery } from './analysis.js';
import { CHURN_FIELDS } from './churn.js';
import type { LeakModel } from './leaks.js';
import { packedLength } from './packed-strings.js';
import type { Envelope, Reply, Request } from './protocol.js';
import type { TableModel } from './table.js';
import type { SortKey, TraceSelection } from './view-state.js';

export class AnalysisError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class AnalysisClient {
  #worker: Worker;
  #next = 1;
  readonly #pending = new Map<number, Pending>();

  constructor(readonly createWorker: () => Worker) {
    this.#worker = this.#start();
  }

  load(snapshot: number, bytes: Uint8Array, name: string): Promise<SnapshotSummary> {
    return this.#call({ op: 'load', snapshot, bytes, name }, [bytes.buffer as ArrayBuffer]) as Promise<SnapshotSummary>;
  }

  /** Loads SnapshotData (validated by the worker, as Snapshot's constructor does). */
  add(snapshot: number, data: SnapshotData, name: string): Promise<SnapshotSummary> {
    return this.#call({ op: 'add', snapshot, data, name }) as Promise<SnapshotSummary>;
  }

  forget(snapshot: number): Promise<void> {
    return this.#call({ op: 'forget', snapshot }) as Promise<void>;
  }

  table(query: TableQuery): Promise<TableModel> {
    return (this.#call({ op: 'table', query }) as Promise<TableModel>).then((model) => {
      if (model.callers !== undefined && packedLength(model.callers) < model.size.length) {
        model.moreCallers = new Map();
        model.loadCallers = (rows) => this.#call({ op: 'callers', query, rows }) as Promise<string[]>;
      }
      return model;
    });
  }

  /**
   * Gives the column buffers of `model`, which the page must no longer read, back
   * to the worker (transferred: `model`'s arrays are left empty), which copies the
   * next tables into them: fresh memory costs a page fault per 4 KiB, ~10 ms per
   * 50,000-row diff table on a VM.
   */
  recycle(model: TableModel): void {
    const buffers = new Set<ArrayBuffer>();
    for (const a of [model.size, model.count, model.sizeDiff, model.countDiff, ...CHURN_FIELDS.map((f) => model[f]), model.keys.ends, model.keys.ids, model.callers?.ends, model.callers?.ids]) {
      if (a !== undefined && a.buffer.byteLength > 0) buffers.add(a.buffer as ArrayBuffer);
    }
    if (buffers.size === 0) return;
    const list = [...buffers];
    void this.#call({ op: 'recycle', buffers: list }, list).catch(() => undefined);
  }

  leaks(selection: TraceSelection, snapshots: number[]): Promise<LeakModel> {
    return this.#call({ op: 'leaks', selection, snapshots }) as Promise<LeakModel>;
  }

  detail(query: TableQuery, row: number): Promise<DetailModel> {
    return this.#call({ op: 'detail', query, row }) as Promise<DetailModel>;
  }

  /** `peak`: weighted by what was live at the traced peak (the selection's base is ignored). */
  flame(selection: TraceSelection, measure: FlameMeasure, inverted = false, peak = false): Promise<FlameModel> {
    return this.#call({ op: 'flame', selection, measure, inverted, ...(peak && { peak }) }) as Promise<FlameModel>;
  }

  exportJson(query: TableQuery, sort: SortKey): Promise<string> {
    return this.#call({ op: 'json', query, sort }) as Promise<string>;
  }

  exportPprof(selection: TraceSelection): Promise<Uint8Array> {
    return this.#call({ op: 'pprof', selection }) as Promise<Uint8Array>;
  }

  /** Resolves when the worker has precomputed everything it precomputes when idle (bench, tests). */
  settle(): Promise<void> {
    return this.#call({ op: 'settle' }) as Promise<void>;
  }

  /** Ends the worker (and whatever it was doing) and starts an empty one. */
  restart(reason: string): void {
    this.#worker.terminate();
    this.#failAll(reason);
    this.#worker = this.#start();
  }

  get busy(): boolean {
    return this.#pending.size > 0;
  }

  #start(): Worker {
    const worker = this.createWorker();
    worker.onmessage = (e: MessageEvent<Reply>) => {
      const r = e.data;
      const p = this.#pending.get(r.id);
      if (p === undefined) return;
      this.#pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(new AnalysisError(r.error.name, r.error.message));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      this.#failAll(`the analysis worker stopped: ${e.message || 'unknown error'}`);
      this.#worker.terminate();
      this.#worker = this.#start();
    };
    return worker;
  }

  #failAll(reason: string): void {
    for (const p of this.#pending.values()) p.reject(new AnalysisError('WorkerError', reason));
    this.#pending.clear();
  }

  #call(request: Request, transfer: Transferable[] = []): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id } as Envelope, transfer);
    });
  }
}
