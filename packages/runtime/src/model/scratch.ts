import { BufferPool } from './buffer-pool.js';

/**
 * Working arrays kept between calls. Fresh typed-array memory costs a page
 * fault per 4 KiB when first touched: on the machines measured (a VM) that was
 * 7-10 ms per MB, more than the arithmetic of a grouping or a diff. Temporaries
 * of one call come from here; what a call returns is always its own array.
 * Not re-entrant per slot: a slot is used by one function at a time.
 */

const floats: Float64Array[] = [];
const ints: Int32Array[] = [];
const bytes: Uint8Array[] = [];

/** A zeroed Float64Array of `length` from pool slot `slot`. */
export function scratchFloat64(slot: number, length: number): Float64Array {
  let a = floats[slot];
  if (a === undefined || a.length < length) a = floats[slot] = new Float64Array(Math.max(length, 256));
  return a.subarray(0, length).fill(0);
}

/** A zeroed Int32Array of `length` from pool slot `slot`. */
export function scratchInt32(slot: number, length: number): Int32Array {
  let a = ints[slot];
  if (a === undefined || a.length < length) a = ints[slot] = new Int32Array(Math.max(length, 256));
  return a.subarray(0, length).fill(0);
}

/** A zeroed Uint8Array of `length` from pool slot `slot`. */
export function scratchUint8(slot: number, length: number): Uint8Array {
  let a = bytes[slot];
  if (a === undefined || a.length < length) a = bytes[slot] = new Uint8Array(Math.max(length, 256));
  return a.subarray(0, length).fill(0);
}

/**
 * Makes the first `floatSlots`, `intSlots` and `byteSlots` slots hold at least
 * `length` elements, touched, so that a later call of that size finds its
 * memory paged in (for idle time: Snapshot.matchKeys prepares a diff).
 */
export function reserveScratch(length: number, floatSlots: number, intSlots: number, byteSlots: number): void {
  for (let s = 0; s < floatSlots; s++) scratchFloat64(s, length);
  for (let s = 0; s < intSlots; s++) scratchInt32(s, length);
  for (let s = 0; s < byteSlots; s++) scratchUint8(s, length);
}

/**
 * Buffers paged in ahead of time (reserveColumns, in idle time) for the columns
 * a call returns. Each is handed out once, whole, as one column's buffer (the
 * column a view of its first n elements when the buffer is longer), so that a
 * returned column is still the caller's own. At most 32 are kept: a bound for
 * many snapshots of many sizes.
 */
const paged = new BufferPool(32, (bytes) => 2 * bytes);

/**
 * Makes the paged buffers hold one for each of `byteLengths` (as the column
 * functions below would take them), paging in the ones it adds: for idle time,
 * before the call that will return such columns (Snapshot.matchKeys prepares a diff).
 */
export function reserveColumns(byteLengths: readonly number[]): void {
  paged.reserve(byteLengths);
}

/** A new zeroed Float64Array of `length`, in a paged-in buffer when one was reserved. */
export function columnFloat64(length: number): Float64Array {
  const buffer = paged.take(8 * length);
  return buffer === undefined ? new Float64Array(length) : new Float64Array(buffer, 0, length);
}

/** A new zeroed Int32Array of `length`, in a paged-in buffer when one was reserved. */
export function columnInt32(length: number): Int32Array {
  const buffer = paged.take(4 * length);
  return buffer === undefined ? new Int32Array(length) : new Int32Array(buffer, 0, length);
}

/** A new zeroed Uint32Array of `length`, in a paged-in buffer when one was reserved. */
export function columnUint32(length: number): Uint32Array {
  const buffer = paged.take(4 * length);
  return buffer === undefined ? new Uint32Array(length) : new Uint32Array(buffer, 0, length);
}

/** A new zeroed Uint8Array of `length`, in a paged-in buffer when one was reserved. */
export function columnUint8(length: number): Uint8Array {
  const buffer = paged.take(length);
  return buffer === undefined ? new Uint8Array(length) : new Uint8Array(buffer, 0, length);
}
