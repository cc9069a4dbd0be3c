/**
 * The snapshot file (`.wtmsnap`): versioned, self-checking, columns ready to view.
 *
 *   offset  size      field
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
 * All integers and columns are little-endian. N sits in the fixed prefix so the
 * expected length is known before anything else is trusted: a cut file reports
 * "truncated", a changed byte reports "corrupt", and only a file whose checksum
 * holds has its header parsed and its values range-checked.
 */

import { crc32 } from './crc32.js';
import { InvalidSnapshotError, describeValue, findSnapshotDataProblem, type SnapshotData } from './snapshot-data.js';

export const SNAPSHOT_MAGIC = 'WTMSNAP\0';
export const SNAPSHOT_FORMAT_VERSION = 1;

const MAGIC = new TextEncoder().encode(SNAPSHOT_MAGIC);
const PREFIX_BYTES = 24;
const CRC_BYTES = 4;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface Layout {
  header: number; // offset of the header
  domain: number;
  size: number;
  traceback: number;
  crc: number;
  total: number;
}

function layout(headerBytes: number, traceCount: number): Layout {
  const header = PREFIX_BYTES;
  const domain = align8(header + headerBytes);
  const size = align8(domain + 4 * traceCount);
  const traceback = size + 8 * traceCount;
  const crc = traceback + 4 * traceCount;
  return { header, domain, size, traceback, crc, total: crc + CRC_BYTES };
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** The bytes of a snapshot file. `data` must be valid (a Snapshot's data is). */
export function encodeSnapshot(data: SnapshotData): Uint8Array {
  const traceCount = data.traces.size.length;
  const header = {
    tracebackLimit: data.tracebackLimit,
    traceCount,
    // Only the documented fields: the file holds nothing its reader does not check.
    frames: data.frames.map(({ filename, lineno, function: fn, offset }) => ({ filename, lineno, function: fn, offset })),
    tracebacks: data.tracebacks.map(({ frames, totalNframe }) => ({ frames, totalNframe })),
    domains: data.domains?.map(({ id, name }) => ({ id, name })),
    meta: data.meta,
  };
  // JSON.stringify escapes lone surrogates, so any string survives UTF-8 unchanged.
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const at = layout(headerBytes.length, traceCount);
  const out = new Uint8Array(at.total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, SNAPSHOT_FORMAT_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  view.setUint32(16, traceCount, true);
  view.setUint32(20, 0, true);
  out.set(headerBytes, at.header);
  writeColumn(out, at.domain, data.traces.domain);
  writeColumn(out, at.size, data.traces.size);
  writeColumn(out, at.traceback, data.traces.traceback);
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
  if (bytes.length < PREFIX_BYTES) {
    fail(`${source} is truncated: it has ${bytes.length} bytes, fewer than the ${PREFIX_BYTES + CRC_BYTES} of the smallest snapshot. ${again}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== SNAPSHOT_FORMAT_VERSION) {
    fail(
      `${source} is a wasm-tracemalloc snapshot of format version ${version}, but this build reads version ${SNAPSHOT_FORMAT_VERSION} only. ` +
        `Load it with the wasm-tracemalloc release that wrote it, or take the snapshot again with this one.`,
    );
  }
  const headerLength = view.getUint32(12, true);
  const traceCount = view.getUint32(16, true);
  const at = layout(headerLength, traceCount);
  if (bytes.length < at.total) {
    fail(
      `${source} is truncated: with ${traceCount} traces and a ${headerLength}-byte header it should be ${at.total} bytes long, ` +
        `but it has ${bytes.length}. It was cut short while being written or copied. ${again}`,
    );
  }
  if (bytes.length > at.total) {
    fail(
      `${source} has ${bytes.length - at.total} unexpected bytes after its end: a snapshot with ${traceCount} traces and a ` +
        `${headerLength}-byte header is ${at.total} bytes long, but it has ${bytes.length}. It may be damaged or two files joined. ${again}`,
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
  if (view.getUint32(20, true) !== 0) malformed('the reserved word at byte 20 is not 0');
  for (const [from, to] of [
    [at.header + headerLength, at.domain],
    [at.domain + 4 * traceCount, at.size],
  ]) {
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
    malformed(`it is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) malformed(`it is ${describeValue(header)}, not a JSON object`);
  const h = header as Record<string, unknown>;
  if (h.traceCount !== traceCount) malformed(`traceCount is ${describeValue(h.traceCount)}, but the file holds ${traceCount} traces`);

  const data = {
    tracebackLimit: h.tracebackLimit,
    frames: h.frames,
    tracebacks: h.tracebacks,
    traces: {
      domain: readU32(bytes, at.domain, traceCount),
      size: readF64(bytes, at.size, traceCount),
      traceback: readU32(bytes, at.traceback, traceCount),
    },
    ...(h.domains !== undefined && { domains: h.domains }),
    ...(h.meta !== undefined && { meta: h.meta }),
  } as SnapshotData;
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

function writeColumn(out: Uint8Array, offset: number, column: Uint32Array | Float64Array): void {
  if (LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(column.buffer, column.byteOffset, column.byteLength), offset);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset);
  if (column instanceof Float64Array) column.forEach((v, i) => view.setFloat64(offset + 8 * i, v, true));
  else column.forEach((v, i) => view.setUint32(offset + 4 * i, v, true));
}

// Columns are copied into fresh buffers: aligned whatever the input's byteOffset,
// and independent of the caller's bytes.
function readU32(bytes: Uint8Array, offset: number, n: number): Uint32Array {
  if (LITTLE_ENDIAN_HOST) return new Uint32Array(bytes.slice(offset, offset + 4 * n).buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return Uint32Array.from({ length: n }, (_, i) => view.getUint32(offset + 4 * i, true));
}

function readF64(bytes: Uint8Array, offset: number, n: number): Float64Array {
  if (LITTLE_ENDIAN_HOST) return new Float64Array(bytes.slice(offset, offset + 8 * n).buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return Float64Array.from({ length: n }, (_, i) => view.getFloat64(offset + 8 * i, true));
}
