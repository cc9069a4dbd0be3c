/**
 * The snapshot file (`.wtmsnap`): versioned, self-checking, columns ready to view.
 *
 * Version 2 (written by encodeSnapshot):
 *
 *   offset  size      field
 *        0  8         magic "WTMSNAP\0"
 *        8  u32       format version (2)
 *       12  u32       H: byte length of the header
 *       16  u32       N: number of traces
 *       20  u32       T: number of tracebacks
 *       24  u32       F: number of frame references in all tracebacks
 *       28  u32       0, reserved
 *       32  u8 x 8    byte width of each column below, in this order: domain (1, 2
 *                     or 4), size (1, 2, 4: unsigned; 8: f64), trace traceback (1, 2 or 4),
 *                     traceback frame count (1, 2 or 4), traceback totalNframe
 *                     (1, 2 or 4), frame reference (1, 2 or 4); then two 0 bytes
 *       40  H         header: UTF-8 JSON {tracebackLimit, traceCount, tracebackCount,
 *                     frames, domains?, meta?, samples?, tracebackThreads?} (traceCount and
 *                     tracebackCount repeat N and T; tracebackThreads, in a program on
 *                     threads: the thread of each traceback, or null; readers ignore
 *                     members they do not know)
 *                     every section below starts at a multiple of 8 (zero padding)
 *           T         frame count of each traceback
 *           T         totalNframe of each traceback
 *           F         frame indices (into header.frames) of each traceback in
 *                     turn, oldest -> most recent
 *           N         domain column
 *           N         size column (bytes; unsigned when every size fits 32 bits, else f64)
 *           N         traceback column (indices into the tracebacks)
 *        D  u32       CRC-32 (IEEE) of bytes [0, D)
 *
 * The writer picks the narrowest width that holds every value of a column: a
 * snapshot of 1,000,000 blocks over 50,000 tracebacks is 8 MB where version 1
 * took 19 MB, and its header parses in a few ms instead of 50-250 (50,000
 * traceback objects in JSON).
 *
 * Version 3 is version 2 for a sampled snapshot (SnapshotData.samplingIntervalBytes
 * > 0): the same layout, and the header has a member samplingIntervalBytes. Its
 * traces are a sample that statistics must weigh (sample-weight.ts); a reader of
 * version 2 would ignore the member and print the sample as exact sizes and
 * counts, so a sampled snapshot gets a version such readers refuse, with advice.
 *
 * Version 4 adds what version 3 readers would drop: the tracebacks' cumulative
 * counters (TracebackData allocCount … peakSize) and the per-site series
 * (SampleSeries.sites, in the header's samples). Written when a snapshot has
 * either, exact or sampled (then the header has samplingIntervalBytes, as in
 * version 3). The layout is version 2's, with one more section after the
 * traceback column:
 *
 *           6 × 8T    f64 columns of T values each: allocCount, allocSize,
 *                     freeCount, freeSize, peakCount, peakSize (NaN: absent)
 *
 * Version 1 (still read; `encodeSnapshot(data, { version: 1 })` writes it):
 *
 *        0  8         magic "WTMSNAP\0"
 *        8  u32       format version (1)
 *       12  u32       H: byte length of the header
 *       16  u32       N: number of traces
 *       20  u32       0, reserved (keeps the columns 8-byte aligned)
 *       24  H         header: UTF-8 JSON {tracebackLimit, traceCount, frames,
 *                     tracebacks, domains?, meta?} (traceCount repeats N)
 *                     zero bytes up to a multiple of 8
 *        A  4N        domain column, u32
 *                     zero bytes up to a multiple of 8
 *        B  8N        size column, f64
 *    B+8N   4N        traceback column, u32 (indices into header.tracebacks)
 *        D  u32       CRC-32 (IEEE) of bytes [0, D)
 *
 * All integers and columns are little-endian. The counts sit in the fixed prefix
 * so the expected length is known before anything else is trusted: a cut file
 * reports "truncated", a changed byte reports "corrupt", and only a file whose
 * checksum holds has its header parsed and its values range-checked.
 */

import { crc32 } from './crc32.js';
import { isSamplingInterval } from './sample-weight.js';
import { InvalidSnapshotError, TRACEBACK_COUNTERS, describeValue, findSnapshotDataProblem, type SnapshotData, type TracebackData } from './snapshot-data.js';

export const SNAPSHOT_MAGIC = 'WTMSNAP\0';
/**
 * The newest version: encodeSnapshot writes it for snapshots with counters or
 * per-site samples, else 3 for sampled snapshots and 2 for exact ones (which
 * every reader since version 2 reads); decodeSnapshot reads all.
 */
export const SNAPSHOT_FORMAT_VERSION = 4;

const MAGIC = new TextEncoder().encode(SNAPSHOT_MAGIC);
const PREFIX_BYTES_V1 = 24;
const PREFIX_BYTES_V2 = 40;
const CRC_BYTES = 4;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Options of encodeSnapshot. */
export interface EncodeOptions {
  /**
   * Format version to write: by default 4 for a snapshot with counters or
   * per-site samples, else 2, or 3 for a sampled snapshot; 1, 2 or 3 for older
   * readers (those versions leave the counters and per-site samples out).
   */
  version?: 1 | 2 | 3 | 4;
}

type Width = 1 | 2 | 4 | 8;

/** Column widths of a version 2 file, in the order stored at byte 32. */
interface Widths {
  domain: Width;
  size: Width;
  traceback: Width;
  nframe: Width;
  totalNframe: Width;
  frame: Width;
}
const WIDTH_NAMES = ['domain', 'size', 'traceback', 'nframe', 'totalNframe', 'frame'] as const;

interface Layout {
  header: number; // offset of the header
  nframe: number;
  totalNframe: number;
  frames: number;
  domain: number;
  size: number;
  traceback: number;
  /** Version 4: the counter columns (== crc when there are none). */
  counters: number;
  crc: number;
  total: number;
}

const COUNTER_BYTES_PER_TRACEBACK = 8 * TRACEBACK_COUNTERS.length;

function layoutV1(headerBytes: number, traceCount: number): Layout {
  const header = PREFIX_BYTES_V1;
  const domain = align8(header + headerBytes);
  const size = align8(domain + 4 * traceCount);
  const traceback = size + 8 * traceCount;
  const crc = traceback + 4 * traceCount;
  const none = align8(header + headerBytes);
  return { header, nframe: none, totalNframe: none, frames: none, domain, size, traceback, counters: crc, crc, total: crc + CRC_BYTES };
}

function layoutV2(headerBytes: number, traceCount: number, tracebackCount: number, frameRefs: number, w: Widths, counters = false): Layout {
  const header = PREFIX_BYTES_V2;
  const nframe = align8(header + headerBytes);
  const totalNframe = align8(nframe + w.nframe * tracebackCount);
  const frames = align8(totalNframe + w.totalNframe * tracebackCount);
  const domain = align8(frames + w.frame * frameRefs);
  const size = align8(domain + w.domain * traceCount);
  const traceback = align8(size + w.size * traceCount);
  const countersAt = align8(traceback + w.traceback * traceCount);
  const crc = countersAt + (counters ? COUNTER_BYTES_PER_TRACEBACK * tracebackCount : 0);
  return { header, nframe, totalNframe, frames, domain, size, traceback, counters: countersAt, crc, total: crc + CRC_BYTES };
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** The narrowest of 1, 2, 4 bytes that holds every value up to `max`. */
function uintWidth(max: number): Width {
  return max <= 0xff ? 1 : max <= 0xffff ? 2 : 4;
}

/** The bytes of a snapshot file. `data` must be valid (a Snapshot's data is). */
export function encodeSnapshot(data: SnapshotData, options: EncodeOptions = {}): Uint8Array {
  const interval = data.samplingIntervalBytes ?? 0;
  const hasCounters = data.tracebacks.some((t) => TRACEBACK_COUNTERS.some((c) => t[c] !== undefined));
  const version = options.version ?? (hasCounters || data.samples?.sites !== undefined ? 4 : interval > 0 ? 3 : 2);
  if (version !== 1 && version !== 2 && version !== 3 && version !== 4) throw new RangeError(`encodeSnapshot: cannot write format version ${describeValue(version)}; use 1, 2, 3 or 4`);
  if (version !== 4 && (version === 3) !== interval > 0) {
    throw new RangeError(
      interval > 0
        ? `encodeSnapshot: a sampled snapshot (one trace per ${interval} bytes) needs format version 3; readers of version ${version} would print its sample as exact sizes and counts`
        : `encodeSnapshot: format version 3 is for sampled snapshots; write this exact one as version 2 (the default)`,
    );
  }
  const traceCount = data.traces.size.length;
  // Only the documented fields: the file holds nothing its reader does not check.
  const frames = data.frames.map(({ filename, lineno, function: fn, offset, source }) => ({ filename, lineno, function: fn, offset, source }));
  const tail = {
    domains: data.domains?.map(({ id, name }) => ({ id, name })),
    meta: data.meta,
    // Memory over time (optional: files without it load, and readers before it ignore it).
    samples: data.samples && {
      start: data.samples.start,
      time: data.samples.time,
      current: data.samples.current,
      peak: data.samples.peak,
      traces: data.samples.traces,
      ...(version === 4 && data.samples.sites && { sites: { traceback: data.samples.sites.traceback, size: data.samples.sites.size } }),
    },
  };
  if (version === 1) {
    const tracebacks = data.tracebacks.map(({ frames, totalNframe, thread }) => ({ frames, totalNframe, ...(thread !== undefined && { thread }) }));
    // JSON.stringify escapes lone surrogates, so any string survives UTF-8 unchanged.
    const headerBytes = new TextEncoder().encode(JSON.stringify({ tracebackLimit: data.tracebackLimit, traceCount, frames, tracebacks, ...tail }));
    const at = layoutV1(headerBytes.length, traceCount);
    const out = new Uint8Array(at.total);
    const view = new DataView(out.buffer);
    out.set(MAGIC, 0);
    view.setUint32(8, 1, true);
    view.setUint32(12, headerBytes.length, true);
    view.setUint32(16, traceCount, true);
    view.setUint32(20, 0, true);
    out.set(headerBytes, at.header);
    writeColumn(out, at.domain, data.traces.domain, 4);
    writeColumn(out, at.size, data.traces.size, 8);
    writeColumn(out, at.traceback, data.traces.traceback, 4);
    view.setUint32(at.crc, crc32(out.subarray(0, at.crc)), true);
    return out;
  }

  const tracebackCount = data.tracebacks.length;
  let frameRefs = 0;
  let maxNframe = 0;
  let maxTotal = 0;
  let maxFrame = 0;
  for (const tb of data.tracebacks) {
    const n = tb.frames.length;
    frameRefs += n;
    if (n > maxNframe) maxNframe = n;
    if (tb.totalNframe > maxTotal) maxTotal = tb.totalNframe;
    for (let i = 0; i < n; i++) if (tb.frames[i] > maxFrame) maxFrame = tb.frames[i];
  }
  const nframe = new Uint32Array(tracebackCount);
  const totalNframe = new Uint32Array(tracebackCount);
  const frameColumn = new Uint32Array(frameRefs);
  for (let t = 0, k = 0; t < tracebackCount; t++) {
    const tb = data.tracebacks[t];
    nframe[t] = tb.frames.length;
    totalNframe[t] = tb.totalNframe;
    for (let i = 0; i < tb.frames.length; i++) frameColumn[k++] = tb.frames[i];
  }
  const { domain, size, traceback } = data.traces;
  let maxDomain = 0;
  let maxTraceback = 0;
  let sizesFit = true;
  let maxSize = 0;
  for (let i = 0; i < traceCount; i++) {
    if (domain[i] > maxDomain) maxDomain = domain[i];
    if (traceback[i] > maxTraceback) maxTraceback = traceback[i];
    const s = size[i];
    if (s > maxSize) maxSize = s;
    // Anything else (even a size a faulty producer got wrong) is kept exactly as f64.
    if (sizesFit && !(s >= 0 && s <= 0xffffffff && Math.floor(s) === s && !Object.is(s, -0))) sizesFit = false;
  }
  const w: Widths = {
    domain: uintWidth(maxDomain),
    size: sizesFit ? uintWidth(maxSize) : 8,
    traceback: uintWidth(maxTraceback),
    nframe: uintWidth(maxNframe),
    totalNframe: uintWidth(maxTotal),
    frame: uintWidth(maxFrame),
  };
  const counters = version === 4;
  // A program on threads: the thread of each traceback (null for those traced without one).
  const tracebackThreads = data.tracebacks.some((tb) => tb.thread !== undefined) ? data.tracebacks.map((tb) => tb.thread ?? null) : undefined;
  const header = {
    tracebackLimit: data.tracebackLimit,
    traceCount,
    tracebackCount,
    frames,
    ...tail,
    ...(tracebackThreads && { tracebackThreads }),
    ...((version === 3 || (version === 4 && interval > 0)) && { samplingIntervalBytes: interval }),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const at = layoutV2(headerBytes.length, traceCount, tracebackCount, frameRefs, w, counters);
  const out = new Uint8Array(at.total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, version, true);
  view.setUint32(12, headerBytes.length, true);
  view.setUint32(16, traceCount, true);
  view.setUint32(20, tracebackCount, true);
  view.setUint32(24, frameRefs, true);
  view.setUint32(28, 0, true);
  WIDTH_NAMES.forEach((name, i) => (out[32 + i] = w[name]));
  out.set(headerBytes, at.header);
  writeColumn(out, at.nframe, nframe, w.nframe);
  writeColumn(out, at.totalNframe, totalNframe, w.totalNframe);
  writeColumn(out, at.frames, frameColumn, w.frame);
  writeColumn(out, at.domain, domain, w.domain);
  writeColumn(out, at.size, size, w.size);
  writeColumn(out, at.traceback, traceback, w.traceback);
  if (counters) {
    TRACEBACK_COUNTERS.forEach((c, j) => {
      writeColumn(out, at.counters + j * 8 * tracebackCount, Float64Array.from(data.tracebacks, (t) => t[c] ?? NaN), 8);
    });
  }
  view.setUint32(at.crc, crc32(out.subarray(0, at.crc)), true);
  return out;
}

/**
 * The SnapshotData in the bytes of a snapshot file, checked completely. Throws
 * InvalidSnapshotError naming `source`, what is wrong and what to do.
 */
export function decodeSnapshot(bytes: Uint8Array, source = 'snapshot'): SnapshotData {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`cannot load ${source}: expected its bytes as a Uint8Array, got ${describeValue(bytes)}`);
  }
  const fail = (message: string): never => {
    throw new InvalidSnapshotError(source, message);
  };
  const again = 'Copy the file again, or take a new snapshot.';

  // A short file that starts like a snapshot is a truncated one, checked next.
  const magicLength = Math.min(bytes.length, MAGIC.length);
  if (bytes.length === 0 || !MAGIC.subarray(0, magicLength).every((b, i) => bytes[i] === b)) fail(notASnapshot(source, bytes));
  if (bytes.length < PREFIX_BYTES_V1) {
    fail(`${source} is truncated: it has ${bytes.length} bytes, fewer than the ${PREFIX_BYTES_V1 + CRC_BYTES} of the smallest snapshot. ${again}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== 1 && version !== 2 && version !== 3 && version !== 4) {
    fail(
      `${source} is a wasm-tracemalloc snapshot of format version ${version}, but this build reads versions 1 to ${SNAPSHOT_FORMAT_VERSION} only. ` +
        `Load it with the wasm-tracemalloc release that wrote it, or take the snapshot again with this one.`,
    );
  }
  const headerLength = view.getUint32(12, true);
  const traceCount = view.getUint32(16, true);
  let at: Layout;
  let widths: Widths | undefined;
  let tracebackCount = 0;
  let frameRefs = 0;
  let counts: string;
  if (version === 1) {
    at = layoutV1(headerLength, traceCount);
    counts = `${traceCount} traces and a ${headerLength}-byte header`;
  } else {
    if (bytes.length < PREFIX_BYTES_V2) {
      fail(`${source} is truncated: it has ${bytes.length} bytes, fewer than the ${PREFIX_BYTES_V2 + CRC_BYTES} of the smallest version ${version} snapshot. ${again}`);
    }
    tracebackCount = view.getUint32(20, true);
    frameRefs = view.getUint32(24, true);
    const stored = Array.from(bytes.subarray(32, 40));
    const allowed = (name: (typeof WIDTH_NAMES)[number]): readonly number[] => (name === 'size' ? [1, 2, 4, 8] : [1, 2, 4]);
    if (!WIDTH_NAMES.every((name, i) => allowed(name).includes(stored[i])) || stored[6] !== 0 || stored[7] !== 0) {
      fail(`${source} is corrupt: its column widths (bytes 32-39) are ${stored.join(' ')}, which no writer of this format uses. ${again}`);
    }
    widths = Object.fromEntries(WIDTH_NAMES.map((name, i) => [name, stored[i]])) as unknown as Widths;
    at = layoutV2(headerLength, traceCount, tracebackCount, frameRefs, widths, version === 4);
    counts = `${traceCount} traces, ${tracebackCount} tracebacks, ${frameRefs} frame references and a ${headerLength}-byte header`;
  }
  if (bytes.length < at.total) {
    fail(`${source} is truncated: with ${counts} it should be ${at.total} bytes long, but it has ${bytes.length}. It was cut short while being written or copied. ${again}`);
  }
  if (bytes.length > at.total) {
    fail(
      `${source} has ${bytes.length - at.total} unexpected bytes after its end: a snapshot with ${counts} ` +
        `is ${at.total} bytes long, but it has ${bytes.length}. It may be damaged or two files joined. ${again}`,
    );
  }
  const stored = view.getUint32(at.crc, true);
  const actual = crc32(bytes.subarray(0, at.crc));
  if (stored !== actual) {
    fail(`${source} is corrupt: its checksum says CRC-32 ${hex32(stored)}, but its bytes give ${hex32(actual)}; bytes changed after it was written. ${again}`);
  }

  // The checksum holds: from here on a problem was written by a faulty writer.
  const malformed = (detail: string): never =>
    fail(`${source} has a malformed header: ${detail}. Its checksum is right, so a faulty or foreign writer made it; take a new snapshot with Snapshot.dump().`);
  if (view.getUint32(version === 1 ? 20 : 28, true) !== 0) malformed(`the reserved word at byte ${version === 1 ? 20 : 28} is not 0`);
  const sections: Array<[number, number]> =
    widths === undefined
      ? [
          [at.header + headerLength, at.domain],
          [at.domain + 4 * traceCount, at.size],
        ]
      : [
          [at.header + headerLength, at.nframe],
          [at.nframe + widths.nframe * tracebackCount, at.totalNframe],
          [at.totalNframe + widths.totalNframe * tracebackCount, at.frames],
          [at.frames + widths.frame * frameRefs, at.domain],
          [at.domain + widths.domain * traceCount, at.size],
          [at.size + widths.size * traceCount, at.traceback],
          [at.traceback + widths.traceback * traceCount, at.counters],
        ];
  for (const [from, to] of sections) {
    for (let i = from; i < to; i++) if (bytes[i] !== 0) malformed(`padding byte ${i} is not 0`);
  }
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(at.header, at.header + headerLength));
  } catch {
    malformed('it is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    // V8 quotes the damaged text in its message: keep the error on one line and free
    // of terminal control characters, whatever the file holds.
    const reason = (error as Error).message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    malformed(`it is not valid JSON (${reason})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) malformed(`it is ${describeValue(header)}, not a JSON object`);
  const h = header as Record<string, unknown>;
  if (h.traceCount !== traceCount) malformed(`traceCount is ${describeValue(h.traceCount)}, but the file holds ${traceCount} traces`);

  let tracebacks: unknown = h.tracebacks;
  if (widths !== undefined) {
    if (h.tracebackCount !== tracebackCount) malformed(`tracebackCount is ${describeValue(h.tracebackCount)}, but the file holds ${tracebackCount} tracebacks`);
    const nframe = readUint(bytes, at.nframe, tracebackCount, widths.nframe);
    const totalNframe = readUint(bytes, at.totalNframe, tracebackCount, widths.totalNframe);
    const frames = readUint(bytes, at.frames, frameRefs, widths.frame);
    let sum = 0;
    for (let t = 0; t < tracebackCount; t++) sum += nframe[t];
    if (sum !== frameRefs) malformed(`its tracebacks have ${sum} frames in all, but the file holds ${frameRefs} frame references`);
    const list = new Array<TracebackData>(tracebackCount);
    for (let t = 0, k = 0; t < tracebackCount; t++) {
      const n = nframe[t];
      const tbFrames = new Array<number>(n);
      for (let i = 0; i < n; i++) tbFrames[i] = frames[k++];
      list[t] = { frames: tbFrames, totalNframe: totalNframe[t] };
    }
    const threads = h.tracebackThreads as unknown[] | undefined;
    if (threads !== undefined) {
      if (!Array.isArray(threads) || threads.length !== tracebackCount) malformed(`tracebackThreads is ${describeValue(threads)}, not one thread (or null) for each of its ${tracebackCount} tracebacks`);
      // Each is checked as TracebackData.thread below.
      for (let t = 0; t < tracebackCount; t++) if (threads[t] !== null) list[t]!.thread = threads[t] as number;
    }
    if (version === 4) {
      TRACEBACK_COUNTERS.forEach((c, j) => {
        const column = readF64(bytes, at.counters + j * 8 * tracebackCount, tracebackCount);
        for (let t = 0; t < tracebackCount; t++) {
          const v = column[t];
          if (Number.isNaN(v)) continue; // absent
          if (!(v >= 0 && Number.isInteger(v))) malformed(`traceback ${t} has ${c} ${describeValue(v)} in the counters section; counters are non-negative integers`);
          list[t][c] = v;
        }
      });
    }
    tracebacks = list;
  }
  const sizes = widths === undefined || widths.size === 8 ? readF64(bytes, at.size, traceCount) : widen(readUint(bytes, at.size, traceCount, widths.size));
  const data = {
    tracebackLimit: h.tracebackLimit,
    frames: h.frames,
    tracebacks,
    traces: {
      domain: readUint(bytes, at.domain, traceCount, widths?.domain ?? 4),
      size: sizes,
      traceback: readUint(bytes, at.traceback, traceCount, widths?.traceback ?? 4),
    },
    ...(h.domains !== undefined && { domains: h.domains }),
    ...(h.meta !== undefined && { meta: h.meta }),
    ...(h.samples !== undefined && { samples: h.samples }),
    ...((version === 3 || (version === 4 && h.samplingIntervalBytes !== undefined)) && { samplingIntervalBytes: h.samplingIntervalBytes }),
  } as SnapshotData;
  if ((version === 3 || (version === 4 && h.samplingIntervalBytes !== undefined)) && !isSamplingInterval(h.samplingIntervalBytes)) {
    malformed(`a version 3 snapshot is sampled, but its samplingIntervalBytes is ${describeValue(h.samplingIntervalBytes)}`);
  }
  const problem = findSnapshotDataProblem(data);
  if (problem !== undefined) {
    fail(`${source} is inconsistent: ${problem}. Its checksum is right, so the program that wrote it has a bug; take a new snapshot.`);
  }
  return data;
}

function notASnapshot(source: string, bytes: Uint8Array): string {
  if (bytes.length === 0) return `${source} is empty (0 bytes), not a wasm-tracemalloc snapshot. Pass a file written by Snapshot.dump() (.wtmsnap).`;
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  let hint = '';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) hint = ' It looks gzip-compressed: decompress it first.';
  else if (bytes[0] === 0x80) hint = ' It looks like a Python pickle, perhaps a CPython tracemalloc dump; those cannot be read here.';
  else if (bytes[0] === 0x7b || bytes[0] === 0x5b) hint = ' It looks like JSON.';
  else if (bytes[0] === 0x00 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d) hint = ' It is a WebAssembly module.';
  return `${source} is not a wasm-tracemalloc snapshot: it starts with bytes ${head}, not "WTMSNAP\\0".${hint} Pass a file written by Snapshot.dump() (.wtmsnap).`;
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Writes `column` at `offset` as little-endian values `width` bytes wide (8: f64). */
function writeColumn(out: Uint8Array, offset: number, column: Uint32Array | Float64Array, width: Width): void {
  const n = column.length;
  if (width === 8 || width === 4) {
    // 8 is f64; a u32 column is never written 8 wide.
    if (LITTLE_ENDIAN_HOST && (width === 8) === column instanceof Float64Array) {
      out.set(new Uint8Array(column.buffer, column.byteOffset, column.byteLength), offset);
      return;
    }
    const view = new DataView(out.buffer, out.byteOffset);
    if (width === 8) for (let i = 0; i < n; i++) view.setFloat64(offset + 8 * i, column[i], true);
    else for (let i = 0; i < n; i++) view.setUint32(offset + 4 * i, column[i], true);
  } else if (width === 2) {
    for (let i = 0, j = offset; i < n; i++, j += 2) {
      const v = column[i];
      out[j] = v & 0xff;
      out[j + 1] = v >>> 8;
    }
  } else {
    for (let i = 0; i < n; i++) out[offset + i] = column[i];
  }
}

// Columns are copied into fresh buffers: aligned whatever the input's byteOffset
// (a Node Buffer is often a view into a shared pool), and independent of the
// caller's bytes.
function readUint(bytes: Uint8Array, offset: number, n: number, width: Width): Uint32Array {
  const out = new Uint32Array(n);
  const at = bytes.byteOffset + offset;
  if (width === 1) {
    out.set(bytes.subarray(offset, offset + n));
  } else if (width === 2) {
    if (LITTLE_ENDIAN_HOST && at % 2 === 0) out.set(new Uint16Array(bytes.buffer, at, n));
    else for (let i = 0, j = offset; i < n; i++, j += 2) out[i] = bytes[j] | (bytes[j + 1] << 8);
  } else if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + 4 * n));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[i] = view.getUint32(offset + 4 * i, true);
  }
  return out;
}

/** The values as f64 (Float64Array.from iterates, 10x slower than this loop). */
function widen(column: Uint32Array): Float64Array {
  const out = new Float64Array(column.length);
  for (let i = 0; i < column.length; i++) out[i] = column[i];
  return out;
}

function readF64(bytes: Uint8Array, offset: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + 8 * n));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(offset + 8 * i, true);
  }
  return out;
}
