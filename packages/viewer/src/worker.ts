/**
 * The analysis worker: loading, filtering, grouping and diffing happen here, so a
 * million-trace snapshot never blocks the page. It holds an Analysis and answers
 * protocol.ts messages; results that are not cached are transferred, not copied.
 */

import { BufferPool } from '@wasm-tracemalloc/runtime/model';
import { Analysis } from './model/analysis.js';
import { CHURN_FIELDS } from './model/churn.js';
import type { PackedStrings } from './model/packed-strings.js';
import type { Envelope, Reply } from './model/protocol.js';
import type { TableModel } from './model/table.js';

const analysis = new Analysis();

// Idle time precomputes groupings one step at a time (analysis.warm), so a request
// that arrives meanwhile waits for one step at most.
const WARM_DELAY_MS = 40;
let warmTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleWarm(): void {
  clearTimeout(warmTimer);
  warmTimer = setTimeout(() => {
    if (analysis.warm()) scheduleWarm();
    else reserveBuffers(analysis.largestDiff);
  }, WARM_DELAY_MS);
}
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<Envelope>) => void) | null;
  postMessage(message: Reply, transfer?: Transferable[]): void;
};

scope.onmessage = async (e) => {
  const m = e.data;
  try {
    let value: unknown;
    let transfer: Transferable[] = [];
    switch (m.op) {
      case 'load':
        value = analysis.load(m.snapshot, m.bytes, m.name);
        break;
      case 'add': {
        const t0 = performance.now();
        const summary = analysis.add(m.snapshot, m.data, m.name);
        summary.loadMs = performance.now() - t0;
        value = summary;
        break;
      }
      case 'forget':
        analysis.forget(m.snapshot);
        break;
      case 'table': {
        // The worker keeps its table (cached); the page gets copies of the
        // columns, transferred: one copy here instead of structured cloning's
        // two (serialize, then deserialize on the page's thread).
        const table = tableCopy(analysis.table(m.query));
        transfer = table.buffers;
        value = table.model;
        break;
      }
      case 'detail':
        value = analysis.detail(m.query, m.row);
        break;
      case 'callers':
        value = analysis.callers(m.query, m.rows);
        break;
      case 'flame': {
        const flame = analysis.flame(m.selection, m.measure, m.inverted, m.peak === true);
        transfer = [flame.frame, flame.depth, flame.start, flame.value, flame.count, flame.other, flame.after, flame.before, flame.end, ...(flame.churn ? [flame.churn] : [])].map((a) => a.buffer);
        value = flame;
        break;
      }
      case 'leaks':
        value = analysis.leaks(m.selection, m.snapshots);
        break;
      case 'json':
        value = analysis.exportJson(m.query, m.sort);
        break;
      case 'recycle':
        recycled.add(m.buffers);
        break;
      case 'settle':
        while (analysis.warm());
        reserveBuffers(analysis.largestDiff);
        break;
      case 'pprof': {
        const bytes = await analysis.exportPprof(m.selection);
        transfer = [bytes.buffer];
        value = bytes;
        break;
      }
    }
    scope.postMessage({ id: m.id, ok: true, value }, transfer);
    scheduleWarm();
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    scope.postMessage({ id: m.id, ok: false, error: { name: err.name, message: err.message } });
  }
};

/**
 * Buffers of tables the page has replaced (op 'recycle') and buffers paged in
 * during idle time: the next tables' copies are made in them, as fresh memory
 * costs a page fault per 4 KiB (on a VM, ~10 ms for the 2 MB of a 50,000-row diff).
 */
const recycled = new BufferPool(24, (bytes) => 4 * bytes + 4096);

/** The smallest recycled buffer of at least `bytes`, taken from the pool, or a new one. */
function buffer(bytes: number): ArrayBuffer {
  return recycled.take(bytes) ?? new ArrayBuffer(bytes);
}

/**
 * Pages in the buffers that the copies of a diff of `rows` rows need and the
 * pool lacks (its size, count, sizeDiff and countDiff, and its key entries):
 * for idle time, so that the first diff, larger than any table the page has
 * sent back, does not copy into fresh memory.
 */
function reserveBuffers(rows: number): void {
  recycled.reserve([8 * rows, 8 * rows, 8 * rows, 8 * rows, 4 * rows]);
}

/** A TableModel whose typed arrays are copies (in recycled buffers when there are some), and their buffers to transfer. */
function tableCopy(model: TableModel): { model: TableModel; buffers: ArrayBuffer[] } {
  const buffers: ArrayBuffer[] = [];
  const copy = <T extends Float64Array | Uint32Array>(a: T): T => {
    const Type = a.constructor as new (buffer: ArrayBuffer, offset: number, length: number) => T;
    const c = new Type(buffer(a.byteLength), 0, a.length);
    c.set(a);
    buffers.push(c.buffer as ArrayBuffer);
    return c;
  };
  const packed = (p: PackedStrings): PackedStrings => ({ text: p.text, ends: copy(p.ends), ...(p.ids !== undefined && { ids: copy(p.ids) }) });
  const out: TableModel = { ...model, keys: packed(model.keys), size: copy(model.size), count: copy(model.count) };
  if (model.callers !== undefined) out.callers = packed(model.callers);
  if (model.functions !== undefined) out.functions = packed(model.functions);
  if (model.sizeDiff !== undefined) out.sizeDiff = copy(model.sizeDiff);
  if (model.countDiff !== undefined) out.countDiff = copy(model.countDiff);
  for (const f of CHURN_FIELDS) if (model[f] !== undefined) out[f] = copy(model[f]);
  return { model: out, buffers };
}

