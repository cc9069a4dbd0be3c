import { describe, expect, it } from 'vitest';
import binaryen from 'binaryen';
import { readModule, scanFunction } from './module.js';

/** The text module written by binaryen with `features` (binaryen's encodings follow them). */
function wasm(text: string, features: number): Uint8Array {
  const m = binaryen.parseText(text);
  m.setFeatures(features);
  const bytes = m.emitBinary();
  m.dispose();
  return bytes;
}

const REFERENCE_TYPES = binaryen.Features.ReferenceTypes | binaryen.Features.BulkMemory;
const ALL = binaryen.Features.All & ~(binaryen.Features as unknown as { CompactImports: number }).CompactImports;

/** [usesGc, the gc flag of each function body's scan]. */
function gcUse(bytes: Uint8Array): [boolean, boolean[]] {
  const info = readModule(bytes);
  return [info.usesGc ?? false, info.functions.filter((f) => f.body).map((f) => scanFunction(info, f).gc)];
}

describe('readModule: GC encodings', () => {
  it('finds none in a module that uses reference types only (externref, ref.null extern and func, table.fill)', () => {
    const bytes = wasm(
      `(module
        (table $refs 4 externref)
        (global externref (ref.null extern))
        (func (param $x externref) (local funcref)
          (table.fill $refs (i32.const 0) (ref.null extern) (i32.const 4))
          (table.set $refs (i32.const 1) (local.get $x))
          (drop (ref.is_null (ref.null func)))))`,
      REFERENCE_TYPES,
    );
    // `ref.null extern` is d0 6f: the MVP encoding, not GC's `ref.null noextern` (d0 72).
    expect(Buffer.from(bytes).toString('hex')).toContain('d06f4104fc1100');
    expect(gcUse(bytes)).toEqual([false, [false]]);
  });

  it('finds them in the type section, a global, a local and instructions', () => {
    expect(gcUse(wasm('(module (type $p (struct (field i32))) (func (param (ref null $p))))', ALL))).toEqual([true, [false]]);
    expect(gcUse(wasm('(module (global anyref (ref.null any)))', ALL))).toEqual([true, []]);
    expect(gcUse(wasm('(module (func (local anyref)))', ALL))).toEqual([true, [false]]);
    // Instructions only: ref.null of a GC heap type (d0 71), ref.i31 and i31.get_s (0xfb …).
    expect(gcUse(wasm('(module (func (drop (ref.null none))))', ALL))).toEqual([false, [true]]);
    expect(gcUse(wasm('(module (func (result i32) (i31.get_s (ref.i31 (i32.const 5)))))', ALL))).toEqual([false, [true]]);
    // binaryen with GC on writes even `ref.null extern` as `ref.null noextern`: a GC encoding.
    expect(gcUse(wasm('(module (func (drop (ref.null extern))))', ALL))).toEqual([false, [true]]);
  });
});
