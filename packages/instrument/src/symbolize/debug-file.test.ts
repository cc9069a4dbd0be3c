import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { appendCustomSection, readModule, stripCustomSections } from '../binary/module.js';
import { debugModuleMismatch, externalDebugInfoUrl, parseDebugFile, symbolMapMismatch, symbolMapNames } from './debug-file.js';

const build = (file: string) => new Uint8Array(readFileSync(new URL(`../../../../test/fixtures/build/${file}`, import.meta.url)));

/** What Emscripten's -gseparate-dwarf leaves of a module: no DWARF, no names, a pointer to the debug file. */
function separateDwarf(bytes: Uint8Array, url: string): Uint8Array {
  const stripped = stripCustomSections(bytes, (n) => n === 'name' || n.startsWith('.debug_')).bytes;
  const u = new TextEncoder().encode(url);
  return appendCustomSection(stripped, 'external_debug_info', Uint8Array.from([u.length, ...u]));
}

describe('debug files', () => {
  const leakCli = build('leak_cli.wasm');
  const stripped = separateDwarf(leakCli, 'leak_cli.debug.wasm');

  it('reads the URL of the external_debug_info section', () => {
    expect(externalDebugInfoUrl(readModule(stripped))).toBe('leak_cli.debug.wasm');
    expect(externalDebugInfoUrl(readModule(leakCli))).toBeUndefined();
    // A URL of 200 bytes: two-byte LEB128 lengths, in the payload and in the section size.
    const long = `https://example.com/${'d'.repeat(169)}.debug.wasm`;
    expect(long.length).toBe(200);
    const payload = Uint8Array.from([0xc8, 0x01, ...new TextEncoder().encode(long)]);
    expect(externalDebugInfoUrl(readModule(appendCustomSection(leakCli, 'external_debug_info', payload)))).toBe(long);
    // A payload that claims more bytes than it has is no URL.
    expect(externalDebugInfoUrl(readModule(appendCustomSection(leakCli, 'external_debug_info', Uint8Array.from([9, 0x61]))))).toBeUndefined();
  });

  it('looks for the symbol map after the module and after its JS glue', () => {
    expect(symbolMapNames('dist/sql-wasm.wasm')).toEqual(['sql-wasm.wasm.symbols', 'sql-wasm.js.symbols']);
    expect(symbolMapNames('C:\\app\\a.wasm?v=3')).toEqual(['a.wasm.symbols', 'a.js.symbols']);
    expect(symbolMapNames('module')).toEqual([]);
  });

  it('tells a debug module from a symbol map by the magic number', () => {
    expect(parseDebugFile(leakCli, 'leak_cli.wasm')).toMatchObject({ kind: 'module', label: 'leak_cli.wasm' });
    const map = parseDebugFile(new TextEncoder().encode('6:leak\n8:malloc\n'), 'leak_cli.wasm.symbols');
    expect(map.kind === 'symbol-map' && [...map.names]).toEqual([[6, 'leak'], [8, 'malloc']]);
    expect(parseDebugFile('6:leak', 'given')).toMatchObject({ kind: 'symbol-map' });
    expect(() => parseDebugFile(Uint8Array.from([0xff, 0xfe, 0, 1]), 'x.bin')).toThrow('x.bin: neither a debug .wasm (no "\\0asm" magic number) nor a symbol map (not UTF-8 text)');
    expect(() => parseDebugFile(leakCli.subarray(0, 20), 'cut.wasm')).toThrow(/^cut\.wasm: not a readable debug module: truncated: /);
  });

  it('takes a debug module only with the same code and imports', () => {
    const main = readModule(stripped);
    expect(debugModuleMismatch(main, readModule(leakCli))).toBeUndefined();
    const other = readModule(build('leak.wasm'));
    const a = main.codeSection!;
    const b = other.codeSection!;
    expect(debugModuleMismatch(main, other)).toBe(`its code section is ${b.end - b.contentStart} bytes, the module's ${a.end - a.contentStart}`);
    // One byte of code changed (the last body's `end`): another build of the same size.
    const changed = leakCli.slice();
    const code = readModule(leakCli).codeSection!;
    changed[code.end - 1] = 0x01;
    expect(debugModuleMismatch(main, readModule(changed))).toBe(`its code differs from the module's at code section byte ${code.end - 1 - code.contentStart}`);
  });

  it('refuses a symbol map that names functions the module does not have', () => {
    const main = readModule(stripped);
    expect(main.functions.length).toBe(39);
    expect(symbolMapMismatch(main, new Map([[38, 'last']]))).toBeUndefined();
    expect(symbolMapMismatch(main, new Map([[3, 'a'], [412, 'b']]))).toBe('it names function 412, the module has 39');
  });
});
