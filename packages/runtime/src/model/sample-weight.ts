/**
 * What a trace of a sampled snapshot stands for.
 *
 * start(nframe, { samplingIntervalBytes }) traces a sample of the blocks: each
 * allocated byte is picked with probability 1/interval, and a block is traced
 * when one of its bytes is (Poisson sampling by bytes, as tcmalloc, Go, heapprofd
 * and V8's sampling heap profiler do). A block of s bytes is traced with
 * probability p(s) = 1 − exp(−s / interval), so each of its traces stands for
 * 1/p(s) blocks and s/p(s) bytes. Summed over a group these are unbiased
 * estimates of the group's blocks and bytes; blocks much larger than the interval
 * are always traced and count exactly. Zero-byte blocks are sampled as one byte.
 *
 * The core (assembly/trace-table.ts, bytesOf) computes the same bytes for
 * get_traced_memory(), so a snapshot's total agrees with it.
 * An interval of 0 means exact tracing: every weight is 1.
 */

/** A sampling interval: a finite number of bytes, at least 1 (0, exact tracing, is not one). */
export function isSamplingInterval(value: unknown): value is number {
  return typeof value === 'number' && value >= 1 && Number.isFinite(value);
}

/** Probability that a block of `size` bytes is traced at `interval` bytes (0: exact, always). */
export function sampleProbability(size: number, interval: number): number {
  if (interval <= 0) return 1;
  // 1 − e^−x rather than −expm1(−x): the core computes it so (exp is cheaper than
  // expm1 in Wasm), and the two must agree to the bit; for the smallest x here
  // (1 B in a 1 GiB interval) it is still within 1e−7 of the exact value.
  return 1 - Math.exp(-Math.max(size, 1) / interval);
}

/** The number of blocks one trace of `size` bytes stands for. */
export function sampleWeight(size: number, interval: number): number {
  return interval <= 0 ? 1 : 1 / sampleProbability(size, interval);
}

/** The bytes one trace of `size` bytes stands for, rounded to a byte as the core rounds them. */
export function estimatedBytes(size: number, interval: number): number {
  if (interval <= 0 || size === 0) return size;
  return Math.floor(size / sampleProbability(size, interval) + 0.5);
}

/**
 * Rounds estimated block counts (sums of weights, one per traceback) to the
 * whole numbers they estimate, so that they print and sort as counts do. Each
 * stays at least 1: a weight is never below 1.
 */
export function roundCounts(count: Float64Array): void {
  for (let t = 0; t < count.length; t++) count[t] = Math.round(count[t]);
}
