import { describe, expect, it } from 'vitest';
import { parseSize } from './size.js';

describe('parseSize', () => {
  it('reads sizes as pytest-memray does, in powers of 1024', () => {
    expect(parseSize('100 B')).toBe(100);
    expect(parseSize('100B')).toBe(100);
    expect(parseSize('100')).toBe(100);
    expect(parseSize('1 KB')).toBe(1024);
    expect(parseSize('1kb')).toBe(1024);
    expect(parseSize('24 MB')).toBe(25_165_824);
    expect(parseSize('1.5 KiB')).toBe(1536);
    expect(parseSize('+2 GB')).toBe(2 * 1024 ** 3);
    expect(parseSize('.5 KB')).toBe(512);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize(0)).toBe(0);
  });

  it('refuses what is not a size, naming the input and the units', () => {
    expect(() => parseSize('24 XB')).toThrow('memory limit "24 XB" is not a size: write a number and a unit (B, KB, MB, GB, TB; KiB, MiB, GiB, TiB are the same powers of 1024), such as "24 MB"');
    expect(() => parseSize('MB', 'leak limit')).toThrow('leak limit "MB" is not a size');
    expect(() => parseSize('-1 KB')).toThrow('"-1 KB" is not a size');
    expect(() => parseSize(-5)).toThrow('memory limit -5 is not a size: give a number of bytes of at least 0');
    expect(() => parseSize(Number.NaN)).toThrow('memory limit NaN is not a size');
  });
});
