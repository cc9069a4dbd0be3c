import { describe, expect, it } from 'vitest';
import { parseSymbolMap } from './symbol-map.js';

describe('parseSymbolMap', () => {
  it('reads INDEX:NAME lines, names with colons and CRLF included', () => {
    const names = parseSymbolMap('0:fd_write\r\n12:sqlite3_prepare_v2\n\n13:_ZN7leak_rs4main17hf35b42fdce8cbe56E\n14:a::b\n');
    expect([...names]).toEqual([
      [0, 'fd_write'],
      [12, 'sqlite3_prepare_v2'],
      [13, '_ZN7leak_rs4main17hf35b42fdce8cbe56E'],
      [14, 'a::b'],
    ]);
  });

  it('refuses other text, naming the input and the line', () => {
    expect(() => parseSymbolMap('0:malloc\nvar Module = {};\n', 'sql-wasm.js')).toThrow(
      'sql-wasm.js: not a symbol map: line 2 ("var Module = {};") is not INDEX:NAME, as Emscripten\'s --emit-symbol-map writes; give a symbol map or a debug .wasm',
    );
    expect(() => parseSymbolMap('\n\n', 'x.symbols')).toThrow('x.symbols: an empty symbol map (no INDEX:NAME line)');
  });
});
