import { describe, expect, it } from 'vitest';
import { NotRelocatable, relocateBody, type IndexMaps } from './relocate.js';
import { ByteWriter } from './writer.js';

const maps = (): IndexMaps => {
  const func = Int32Array.from({ length: 8 }, (_, i) => i);
  func[5] = 200;
  const global = Int32Array.from([0, 3]);
  const type = Int32Array.from({ length: 65 }, (_, i) => i);
  type[2] = 0;
  type[3] = 64;
  type[64] = 1;
  type[4] = -1;
  return { func, global, type };
};

const relocated = (body: number[]) => {
  const out = new ByteWriter();
  relocateBody(new Uint8Array(body), 0, body.length, maps(), out);
  return [...out.result()];
};

describe('relocateBody', () => {
  it('renumbers functions, globals and types, re-encoding each index at its new length', () => {
    const body = [
      0x01, 0x01, 0x7f, //            (local i32)
      0x10, 0x05, //                  call 5           → call 200 (two bytes)
      0x23, 0x01, //                  global.get 1     → global.get 3
      0x02, 0xc0, 0x00, //            block (type 64)  → block (type 1): an s33 of one byte
      0x0b,
      0x03, 0x03, //                  loop (type 3)    → loop (type 64): an s33 of two bytes
      0x0b,
      0x41, 0x00, 0x11, 0x02, 0x00, // call_indirect (type 2) table 0 → (type 0)
      0xd2, 0x07, //                  ref.func 7 stays
      0x44, 0x10, 0x23, 0x11, 0x02, 0x23, 0x10, 0x10, 0x23, // f64.const whose bytes look like opcodes
      0x0b,
    ];
    const content = [
      0x01, 0x01, 0x7f,
      0x10, 0xc8, 0x01,
      0x23, 0x03,
      0x02, 0x01,
      0x0b,
      0x03, 0xc0, 0x00,
      0x0b,
      0x41, 0x00, 0x11, 0x00, 0x00,
      0xd2, 0x07,
      0x44, 0x10, 0x23, 0x11, 0x02, 0x23, 0x10, 0x10, 0x23,
      0x0b,
    ];
    expect(relocated(body)).toEqual([content.length, ...content]);
  });

  it('copies a body that names nothing renumbered as it is', () => {
    const body = [0x00, 0x41, 0x2a, 0x1a, 0x0b];
    expect(relocated(body)).toEqual([5, ...body]);
  });

  it('refuses what it cannot renumber: element segments, GC types, a type with no counterpart', () => {
    expect(() => relocated([0x00, 0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x0c, 0x00, 0x00, 0x0b])).toThrow(NotRelocatable); // table.init
    expect(() => relocated([0x00, 0xfc, 0x0d, 0x00, 0x0b])).toThrow(NotRelocatable); // elem.drop
    expect(() => relocated([0x01, 0x01, 0x64, 0x00, 0x0b])).toThrow(NotRelocatable); // a (ref $0) local
    expect(() => relocated([0x00, 0xfb, 0x00, 0x00, 0x0b])).toThrow(NotRelocatable); // struct.new
    expect(() => relocated([0x00, 0x02, 0x04, 0x0b, 0x0b])).toThrow(NotRelocatable); // block of a GC type
    expect(() => relocated([0x00, 0x23, 0x05, 0x0b])).toThrow(NotRelocatable); // global 5: none
  });
});
