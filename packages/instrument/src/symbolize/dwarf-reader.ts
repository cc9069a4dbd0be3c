// Reading DWARF data: little-endian fixed-size numbers, LEB128, NUL-terminated strings,
// section offsets of 4 or 8 bytes (32- or 64-bit DWARF), and the `.debug_*` custom
// sections of a Wasm module. Wasm DWARF is little-endian with 4-byte addresses.
// Numbers above 2^53 (8-byte values that are not offsets) lose precision; DWARF for
// wasm32 never needs them exactly.

import type { ModuleInfo } from '../binary/module.js';

export class DwarfFormatError extends Error {
  constructor(section: string, message: string, offset: number) {
    super(`${section}: ${message} (at offset 0x${offset.toString(16)})`);
    this.name = 'DwarfFormatError';
  }
}

export class DwarfReader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly section: string,
    pos = 0,
    readonly end = bytes.length,
  ) {
    this.pos = pos;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(message: string, at = this.pos): never {
    throw new DwarfFormatError(this.section, message, at);
  }

  private need(n: number): void {
    if (this.pos + n > this.end) this.fail(`unexpected end of data: ${n} bytes needed, ${this.end - this.pos} left`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const b = this.bytes;
    const v = b[this.pos]! | (b[this.pos + 1]! << 8);
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const b = this.bytes;
    const v = b[this.pos]! | (b[this.pos + 1]! << 8) | (b[this.pos + 2]! << 16);
    this.pos += 3;
    return v;
  }

  u32(): number {
    this.need(4);
    const b = this.bytes;
    const v = (b[this.pos]! | (b[this.pos + 1]! << 8) | (b[this.pos + 2]! << 16) | (b[this.pos + 3]! << 24)) >>> 0;
    this.pos += 4;
    return v;
  }

  u64(): number {
    const lo = this.u32();
    const hi = this.u32();
    return hi * 0x1_0000_0000 + lo;
  }

  uleb(): number {
    let result = 0;
    let scale = 1;
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.end) this.fail('unexpected end of data inside a LEB128 number', start);
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
  }

  sleb(): number {
    let result = 0;
    let scale = 1;
    let b: number;
    const start = this.pos;
    do {
      if (this.pos >= this.end) this.fail('unexpected end of data inside a LEB128 number', start);
      b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * scale;
      scale *= 128;
    } while (b & 0x80);
    if (b & 0x40) result -= scale;
    return result;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** A NUL-terminated UTF-8 string. */
  cstr(): string {
    const start = this.pos;
    const nul = this.bytes.indexOf(0, start);
    if (nul < 0 || nul >= this.end) this.fail('unterminated string', start);
    this.pos = nul + 1;
    return decodeUtf8(this.bytes, start, nul);
  }

  /** An unsigned value of `size` bytes (1, 2, 4 or 8). */
  sized(size: number): number {
    switch (size) {
      case 1: return this.u8();
      case 2: return this.u16();
      case 4: return this.u32();
      case 8: return this.u64();
      default: return this.fail(`unsupported value size ${size}`);
    }
  }

  /**
   * A unit length: returns the end offset of the unit and whether it is 64-bit DWARF
   * (offsets of 8 bytes), announced by an initial length of 0xffffffff.
   */
  unitLength(): { end: number; offsetSize: 4 | 8 } {
    let length = this.u32();
    let offsetSize: 4 | 8 = 4;
    if (length === 0xffffffff) {
      length = this.u64();
      offsetSize = 8;
    } else if (length >= 0xfffffff0) {
      this.fail(`reserved unit length 0x${length.toString(16)}`, this.pos - 4);
    }
    const end = this.pos + length;
    if (end > this.end) this.fail(`unit of ${length} bytes runs past the end of the section`);
    return { end, offsetSize };
  }
}

const utf8 = new TextDecoder('utf-8');

export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  // Most DWARF strings are ASCII: decode those without TextDecoder's call overhead.
  if (end - start < 64) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return utf8.decode(bytes.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(bytes.subarray(start, end));
}

/** The string at `offset` of a string section (.debug_str, .debug_line_str). */
export function stringAt(section: Uint8Array | undefined, name: string, offset: number): string {
  if (!section) throw new DwarfFormatError(name, 'the section is missing but a string refers to it', offset);
  const r = new DwarfReader(section, name, offset);
  if (offset >= section.length) r.fail(`string offset 0x${offset.toString(16)} is past the end of the section`);
  return r.cstr();
}

/** The `.debug_*` sections a symbolizer reads, as views into the module's bytes. */
export interface DwarfSections {
  info?: Uint8Array;
  abbrev?: Uint8Array;
  line?: Uint8Array;
  str?: Uint8Array;
  lineStr?: Uint8Array;
  strOffsets?: Uint8Array;
  addr?: Uint8Array;
  ranges?: Uint8Array;
  rnglists?: Uint8Array;
}

const SECTION_KEYS: Record<string, keyof DwarfSections> = {
  '.debug_info': 'info',
  '.debug_abbrev': 'abbrev',
  '.debug_line': 'line',
  '.debug_str': 'str',
  '.debug_line_str': 'lineStr',
  '.debug_str_offsets': 'strOffsets',
  '.debug_addr': 'addr',
  '.debug_ranges': 'ranges',
  '.debug_rnglists': 'rnglists',
};

/** The DWARF sections of a module (custom sections named `.debug_*`), without copying. */
export function dwarfSections(info: ModuleInfo): DwarfSections {
  const out: DwarfSections = {};
  for (const s of info.sections) {
    if (s.id !== 0 || !s.name) continue;
    const key = SECTION_KEYS[s.name];
    if (!key) continue;
    // The content starts after the section's name (a LEB128 length and the bytes).
    let p = s.contentStart;
    let len = 0;
    let scale = 1;
    for (;;) {
      const b = info.bytes[p++]!;
      len += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) break;
      scale *= 128;
    }
    out[key] = info.bytes.subarray(p + len, s.end);
  }
  return out;
}
