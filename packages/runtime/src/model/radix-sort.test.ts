import { describe, expect, it } from 'vitest';
import { radixSortDescending, radixSortDescendingBy } from './radix-sort.js';
import { random } from './seeded-random.test-helper.js';

/** The reference: a stable comparator sort of 0 .. n - 1, each key largest first. */
function reference(keys: Float64Array[]): number[] {
  const rows = Array.from({ length: keys[0].length }, (_, i) => i);
  return rows.sort((a, b) => {
    for (const key of keys) if (key[a] !== key[b]) return key[b] - key[a];
    return a - b;
  });
}

const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** Keys of the kinds the model and the viewer sort: small counts, byte sizes beyond 2^32, averages, infinity. */
function column(r: (n: number) => number, n: number, kind: number): Float64Array {
  return Float64Array.from({ length: n }, () => {
    switch (kind) {
      case 0:
        return r(5); // many ties, one digit
      case 1:
        return 8 * r(200_000); // whole numbers over two digits
      case 2:
        return r(4) === 0 ? 2 ** 32 + r(3) * 2 ** 20 : r(1000); // whole, some beyond 32 bits
      case 3:
        return r(1000) / (1 + r(7)); // fractions
      default:
        return r(10) === 0 ? Infinity : r(3) === 0 ? 0 : 2 ** -r(1080); // infinity, subnormals, zero
    }
  });
}

describe('radixSortDescending', () => {
  it('orders rows as a stable comparator sort does, for every kind of non-negative key', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = random(seed);
      const n = 1 + r(3000);
      const key = column(r, n, seed % 5);
      const order = identity(n);
      expect(radixSortDescending(order, key, new Int32Array(n))).toBe(true);
      expect(Array.from(order), `seed ${seed}`).toEqual(reference([key]));
    }
  });

  it('sorts a subset of rows given in any order, with a longer working array', () => {
    const key = Float64Array.from([5, 1, 9, 1, 7, 3]);
    const order = Int32Array.from([5, 3, 1, 0]);
    expect(radixSortDescending(order, key, new Int32Array(100))).toBe(true);
    expect(Array.from(order)).toEqual([0, 5, 3, 1]);
  });

  it('refuses negative, -0 and NaN keys and leaves the order as it was', () => {
    for (const bad of [-1, -0, NaN]) {
      const key = Float64Array.from([3, bad, 4]);
      const order = Int32Array.from([2, 0, 1]);
      expect(radixSortDescending(order, key, new Int32Array(3))).toBe(false);
      expect(Array.from(order)).toEqual([2, 0, 1]);
    }
  });
});

describe('radixSortDescendingBy', () => {
  it('orders rows by several keys, each breaking the ties of the ones before', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = random(seed);
      const n = 1 + r(3000);
      const keys = Array.from({ length: 1 + r(5) }, () => column(r, n, r(5)));
      const order = identity(n);
      expect(radixSortDescendingBy(order, keys, new Int32Array(n))).toBe(true);
      expect(Array.from(order), `seed ${seed}`).toEqual(reference(keys));
    }
  });

  it('refuses keys it cannot sort before moving any row', () => {
    const keys = [Float64Array.from([1, 2, 3]), Float64Array.from([0, -1, 0])];
    const order = identity(3);
    expect(radixSortDescendingBy(order, keys, new Int32Array(3))).toBe(false);
    expect(Array.from(order)).toEqual([0, 1, 2]);
  });
});
