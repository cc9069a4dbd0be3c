// Stable sorts of row indices by float64 keys, largest first, without a JS
// comparator (about 1 µs a call: 50,000 rows took 40-60 ms), shared by the model's
// tables and the viewer's column sorts.

/** Index of the low 32 bits of a float64 in an Int32Array view of it (0 on little-endian machines). */
const LOW_WORD = new Uint32Array(new Float64Array([1]).buffer)[0] === 0 ? 0 : 1;
const radixCounts = new Int32Array(65536);

/**
 * Stably reorders `order` (row indices) by `key[row]`, largest first, with an
 * LSD radix sort on the keys' bits, 16 at a time (`temp`: n entries of working
 * memory). Keys >= 0 order as their IEEE-754 bit patterns do as unsigned
 * integers; a pass whose bits are the same for every row is skipped. Returns
 * false, leaving `order` as it was, when a key is negative, -0 or NaN.
 */
export function radixSortDescending(order: Int32Array | Uint32Array, key: Float64Array, temp: Int32Array | Uint32Array): boolean {
  if (!radixSortable(key, order)) return false;
  radixPasses(order, key, temp);
  return true;
}

/**
 * Stably reorders `order` by keys[0][row], largest first, then by keys[1][row]
 * among rows with equal keys[0], and so on: one radix sort per key, the last
 * key first. Returns false, leaving `order` as it was, when a key cannot be
 * radix sorted (negative, -0 or NaN).
 */
export function radixSortDescendingBy(order: Int32Array | Uint32Array, keys: readonly Float64Array[], temp: Int32Array | Uint32Array): boolean {
  for (let k = 0; k < keys.length; k++) if (!radixSortable(keys[k], order)) return false;
  for (let k = keys.length - 1; k >= 0; k--) radixPasses(order, keys[k], temp);
  return true;
}

/** Whether key[row] of every row in `order` is >= 0 and neither -0 nor NaN. */
function radixSortable(key: Float64Array, order: Int32Array | Uint32Array): boolean {
  for (let i = 0; i < order.length; i++) {
    const v = key[order[i]];
    if (!(v >= 0) || (v === 0 && 1 / v < 0)) return false;
  }
  return true;
}

// Integer arithmetic only (an Int32Array view, signed shifts): a bit pattern
// read as an unsigned 32-bit number above 2^31 made V8 drop optimized code.
function radixPasses(order: Int32Array | Uint32Array, key: Float64Array, temp: Int32Array | Uint32Array): void {
  const n = order.length;
  if (n < 2) return;
  if (wholeNumbers(key, order)) {
    integerPasses(order, key, temp);
    return;
  }
  const words = new Int32Array(key.buffer, key.byteOffset, 2 * key.length);
  // The bits that differ between rows: a digit without any is skipped.
  const lowFirst = words[2 * order[0] + LOW_WORD];
  const highFirst = words[2 * order[0] + (LOW_WORD ^ 1)];
  let lowDiff = 0;
  let highDiff = 0;
  for (let i = 1; i < n; i++) {
    const row = order[i];
    lowDiff |= words[2 * row + LOW_WORD] ^ lowFirst;
    highDiff |= words[2 * row + (LOW_WORD ^ 1)] ^ highFirst;
  }
  const counts = radixCounts;
  let src: Int32Array | Uint32Array = order;
  let dst: Int32Array | Uint32Array = temp;
  for (let pass = 0; pass < 4; pass++) {
    const w = pass < 2 ? LOW_WORD : LOW_WORD ^ 1;
    const shift = (pass & 1) * 16;
    if ((((pass < 2 ? lowDiff : highDiff) >> shift) & 0xffff) === 0) continue;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[0xffff - ((words[2 * src[i] + w] >> shift) & 0xffff)]++;
    prefixSums(counts);
    for (let i = 0; i < n; i++) {
      const row = src[i];
      dst[counts[0xffff - ((words[2 * row + w] >> shift) & 0xffff)]++] = row;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== order) order.set(src.subarray(0, n));
}

/** Whether every key[row] is a whole number below 2^32 (sizes, counts, ranks: the usual keys). */
function wholeNumbers(key: Float64Array, order: Int32Array | Uint32Array): boolean {
  for (let i = 0; i < order.length; i++) {
    const v = key[order[i]];
    if (v !== v >>> 0) return false;
  }
  return true;
}

/**
 * radixPasses for whole numbers below 2^32: on the numbers' own 32 bits, two
 * digits (one for numbers below 65,536, as counts and ranks are), where a
 * float's bit pattern takes two for the high word alone.
 */
function integerPasses(order: Int32Array | Uint32Array, key: Float64Array, temp: Int32Array | Uint32Array): void {
  const n = order.length;
  const first = key[order[0]] | 0;
  let diff = 0;
  for (let i = 1; i < n; i++) diff |= (key[order[i]] | 0) ^ first;
  const counts = radixCounts;
  let src: Int32Array | Uint32Array = order;
  let dst: Int32Array | Uint32Array = temp;
  for (let shift = 0; shift < 32; shift += 16) {
    if (((diff >> shift) & 0xffff) === 0) continue;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[0xffff - (((key[src[i]] | 0) >> shift) & 0xffff)]++;
    prefixSums(counts);
    for (let i = 0; i < n; i++) {
      const row = src[i];
      dst[counts[0xffff - (((key[row] | 0) >> shift) & 0xffff)]++] = row;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== order) order.set(src.subarray(0, n));
}

/** Replaces each count by the number of entries in the digits before it. */
function prefixSums(counts: Int32Array): void {
  let at = 0;
  for (let d = 0; d < counts.length; d++) {
    const c = counts[d];
    counts[d] = at;
    at += c;
  }
}
