import { describe, expect, it } from 'vitest';
import { BufferPool } from './buffer-pool.js';

describe('BufferPool', () => {
  it('hands out the smallest buffer that fits, each once', () => {
    const pool = new BufferPool(8, (n) => 2 * n);
    const [a, b, c] = [new ArrayBuffer(100), new ArrayBuffer(160), new ArrayBuffer(400)];
    pool.add([c, b, a]);
    expect(pool.take(90)).toBe(a); // 100 fits 90..180
    expect(pool.take(90)).toBe(b); // a is gone; 160 still fits
    expect(pool.take(90)).toBeUndefined(); // 400 is more than twice 90
    expect(pool.take(300)).toBe(c);
    expect(pool.take(0)).toBeUndefined();
    expect(pool.size).toBe(0);
  });

  it('reserve adds only what the pool lacks, one buffer per length', () => {
    const pool = new BufferPool(8, (n) => 2 * n);
    const kept = new ArrayBuffer(800);
    pool.add([kept]);
    pool.reserve([800, 800, 400, 0]);
    expect(pool.size).toBe(3); // kept serves one 800; a new 800 and a new 400
    const got = [pool.take(800), pool.take(800), pool.take(400)];
    expect(got).toContain(kept);
    expect(got.map((b) => b?.byteLength).sort()).toEqual([400, 800, 800]);
    pool.reserve([400]);
    pool.reserve([400]);
    expect(pool.size).toBe(1);
  });

  it('keeps at most max buffers, dropping the oldest', () => {
    const pool = new BufferPool(2, (n) => 4 * n);
    const bufs = [new ArrayBuffer(10), new ArrayBuffer(20), new ArrayBuffer(30)];
    pool.add(bufs);
    expect(pool.size).toBe(2);
    expect(pool.take(10)).toBe(bufs[1]); // bufs[0] was dropped; 20 fits 10..40
  });
});
