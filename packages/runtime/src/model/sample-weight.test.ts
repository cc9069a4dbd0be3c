import { describe, expect, it } from 'vitest';
import { estimatedBytes, roundCounts, sampleProbability, sampleWeight } from './sample-weight.js';

describe('sample weights (Poisson sampling by bytes)', () => {
  it('a block of s bytes is traced with probability 1 − exp(−s / interval)', () => {
    expect(sampleProbability(4096, 4096)).toBeCloseTo(0.6321205588285577, 15); // 1 − 1/e
    expect(sampleProbability(100, 4096)).toBeCloseTo(0.02411844986434117, 15);
    expect(sampleProbability(1 << 20, 4096)).toBe(1);
  });

  it('a trace stands for 1/p blocks and s/p bytes, rounded to a byte', () => {
    expect(sampleWeight(100, 4096)).toBeCloseTo(41.46203448499763, 10);
    expect(estimatedBytes(100, 4096)).toBe(4146);
    expect(estimatedBytes(4096, 4096)).toBe(6480);
    expect(estimatedBytes(16, 4096)).toBe(4104);
    // Far above the interval a block stands for itself.
    expect(estimatedBytes(65536, 4096)).toBe(65536);
    expect(sampleWeight(1 << 20, 4096)).toBe(1);
  });

  it('zero-byte blocks are sampled as one byte and add no bytes', () => {
    expect(sampleProbability(0, 4096)).toBe(sampleProbability(1, 4096));
    expect(sampleWeight(0, 4096)).toBeCloseTo(4096.500020345052, 6);
    expect(estimatedBytes(0, 4096)).toBe(0);
  });

  it('interval 0 is exact tracing: weight 1, the block’s own size', () => {
    expect([sampleProbability(100, 0), sampleWeight(100, 0), estimatedBytes(100, 0)]).toEqual([1, 1, 100]);
  });

  it('rounds estimated counts to whole blocks', () => {
    const counts = new Float64Array([1.4, 41.46203448499763, 82.5, 1]);
    roundCounts(counts);
    expect(Array.from(counts)).toEqual([1, 41, 83, 1]);
  });
});
