import { describe, expect, it } from 'vitest';
import binaryen from 'binaryen';
import { readModule, stripCustomSections } from '../binary/module.js';
import { FunctionNames } from './function-names.js';

/** f0 imported; f1 `named` (exported as "e1"); f2 unnamed, exported as "e2" and "e2b"; f3 unnamed, not exported. */
function module(): Uint8Array {
  const m = binaryen.parseText(`(module
    (import "env" "f0" (func $imp))
    (func $named (export "e1"))
    (func $two (export "e2") (export "e2b"))
    (func $hidden))`);
  binaryen.setDebugInfo(true);
  const bytes = m.emitBinary();
  m.dispose();
  return bytes;
}

describe('FunctionNames: name section, debug module, symbol map, export', () => {
  const named = readModule(module());
  const stripped = readModule(stripCustomSections(module(), (n) => n === 'name').bytes);

  it('the name section first, an export name for what it lacks (the first export)', () => {
    expect(named.hasNameSection).toBe(true);
    const names = new FunctionNames(named);
    expect([0, 1, 2, 3].map((i) => names.lookup(i))).toEqual([
      { name: 'imp', from: 'name-section' },
      { name: 'named', from: 'name-section' },
      { name: 'two', from: 'name-section' },
      { name: 'hidden', from: 'name-section' },
    ]);
    expect([0, 1, 2, 3].map((i) => new FunctionNames(stripped).get(i))).toEqual([undefined, 'e1', 'e2', undefined]);
  });

  it('a stripped module: the debug module, then the symbol map, then exports', () => {
    const symbolMap = new Map([[2, 'from_map'], [3, 'hidden_map'], [9, 'not_a_function']]);
    const names = new FunctionNames(stripped, { symbolMap });
    expect([0, 1, 2, 3, 9].map((i) => names.lookup(i))).toEqual([undefined, { name: 'e1', from: 'export' }, { name: 'from_map', from: 'symbol-map' }, { name: 'hidden_map', from: 'symbol-map' }, undefined]);
    const withDebug = new FunctionNames(stripped, { debug: named, symbolMap });
    expect([0, 1, 2, 3].map((i) => withDebug.lookup(i)?.from)).toEqual(['debug-module', 'debug-module', 'debug-module', 'debug-module']);
    expect(withDebug.get(3)).toBe('hidden');
  });
});
