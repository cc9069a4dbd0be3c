import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
  });

  it('is 0 for no bytes and matches known vectors', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii('a'))).toBe(0xe8b7be43);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc32(new Uint8Array(32))).toBe(0x190a55ad);
    expect(crc32(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b);
  });

  it('can be continued over chunks', () => {
    const all = ascii('The quick brown fox jumps over the lazy dog');
    expect(crc32(all.subarray(10), crc32(all.subarray(0, 10)))).toBe(crc32(all));
  });

  it('agrees with a bit-at-a-time CRC for every length mod 4 and unaligned views', () => {
    const reference = (bytes: Uint8Array): number => {
      let c = 0xffffffff;
      for (const b of bytes) {
        c ^= b;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      return ~c >>> 0;
    };
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 167 + 13) & 0xff);
    for (let start = 0; start < 4; start++) {
      for (let length = 0; length < 40; length++) {
        const view = data.subarray(start, start + length);
        expect(crc32(view)).toBe(reference(view));
      }
    }
    expect(crc32(data)).toBe(reference(data));
  });

  it('detects a single flipped bit', () => {
    const bytes = ascii('wasm-tracemalloc snapshot');
    const before = crc32(bytes);
    bytes[7] ^= 0x10;
    expect(crc32(bytes)).not.toBe(before);
  });
});
