import { describe, expect, it } from 'vitest';
import { findByGlue } from './by-glue.js';
import type { FunctionEntry, ModuleInfo } from '../binary/module.js';

const I32 = 0x7f;

/** A stripped module: functions of the given arity (i32s, 0 or 1 result), exported under minified names. */
function stripped(exports: Array<[name: string, params: number, results: 0 | 1]>): ModuleInfo {
  const functions: FunctionEntry[] = exports.map(([, p, r], index) => ({
    index,
    type: { params: Array(p).fill(I32), results: r ? [I32] : [], raw: { params: new Uint8Array(p).fill(I32), results: new Uint8Array(r ? [I32] : []) } },
  }));
  return { bytes: new Uint8Array(), sections: [], functions, types: [], importedFunctionCount: 0, exports: exports.map(([name], index) => ({ name, kind: 0, index })), memory64: false, hasNameSection: false };
}

const found = (info: ModuleInfo, text: string) =>
  findByGlue(info, [{ name: 'glue.js', text }]).map((m) => [m.matchedBy, m.spec.kind, m.family, m.evidence.finder]);

describe('allocators named by the JS glue', () => {
  const emscripten = stripped([['z', 1, 1], ['Ia', 1, 1], ['Ja', 1, 0], ['M', 2, 1], ['D', 1, 1], ['I', 1, 1], ['v', 1, 1]]);

  it('reads the five forms in which Emscripten glue assigns _malloc and _free', () => {
    expect(found(emscripten, 'Module["_malloc"]=function(){return(Module["_malloc"]=Module["asm"]["z"]).apply(null,arguments)};')).toEqual([['z', 'alloc', 'c', 'glue']]);
    expect(found(emscripten, 'var _malloc=Module["_malloc"]=function(){return(_malloc=Module["_malloc"]=h.asm.I).apply(null,arguments)}')).toEqual([['I', 'alloc', 'c', 'glue']]);
    expect(found(emscripten, 'var _malloc=a0=>(_malloc=wasmExports["D"])(a0);')).toEqual([['D', 'alloc', 'c', 'glue']]);
    expect(found(emscripten, '_emscripten_stack_alloc=wasmExports["K"];_malloc=wasmExports["v"];')).toEqual([['v', 'alloc', 'c', 'glue']]);
    expect(found(emscripten, 'function a(c){c=gd=c.exports;k._sqlite3_free=c.R;da=k._malloc=c.Ia;ea=k._free=c.Ja;k._realloc=c.M}')).toEqual([
      ['Ia', 'alloc', 'c', 'glue'], ['Ja', 'free', 'c', 'glue'], ['M', 'realloc', 'c', 'glue'],
    ]);
  });

  it('says where it read the mapping', () => {
    const [m] = findByGlue(emscripten, [{ name: 'sql-wasm.js', text: 'da=k._malloc=c.Ia;' }]);
    expect(m!.evidence.detail).toBe('export Ia is _malloc in sql-wasm.js ("_malloc=c.Ia")');
  });

  it('takes only exports this module has, with a fitting signature: other builds\' glue cannot mislead it', () => {
    expect(found(emscripten, 'k._malloc=c.Xu;k._free=c.Ia;k._malloc=c.nope')).toEqual([]);
    // sqlite3_free is SQLite's, not the allocator: no C allocator symbol, no match.
    expect(found(emscripten, 'k._sqlite3_free=c.Ja;k._my_malloc=c.D')).toEqual([]);
  });

  it('reads wasm-bindgen\'s anonymous exports from the helpers that pass them', () => {
    const bindgen = stripped([['__wbindgen_export_0', 1, 0], ['__wbindgen_export_1', 2, 1], ['__wbindgen_export_2', 4, 1], ['__wbindgen_export_3', 3, 0], ['__wbg_parser_free', 2, 0]]);
    const glue = [
      'const ptr0 = passStringToWasm0(source_text, wasm.__wbindgen_export_1, wasm.__wbindgen_export_2);',
      'const ptr1 = passArray8ToWasm0(bytes, wasm.__wbindgen_export_1);',
      'wasm.__wbindgen_export_3(deferred1_0, deferred1_1, 1);',
      'wasm.__wbindgen_export_0(addHeapObject(e));', // __wbindgen_exn_store: (i32) → (), but not passed as an allocator
      'wasm.__wbg_parser_free(ptr, 0);',
    ].join('\n');
    expect(found(bindgen, glue)).toEqual([
      ['__wbindgen_export_1', 'alloc', 'wasm-bindgen', 'glue'], ['__wbindgen_export_2', 'realloc', 'wasm-bindgen', 'glue'], ['__wbindgen_export_3', 'free', 'wasm-bindgen', 'glue'],
    ]);
  });
});
