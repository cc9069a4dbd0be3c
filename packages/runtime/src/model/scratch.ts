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
