// Debug info kept apart from a release module, in one of two forms:
//
// - A debug module. Emscripten's `-gseparate-dwarf` writes `X.wasm.debug.wasm`, the
//   same module with its code, DWARF and name section, and strips those from `X.wasm`,
//   leaving a custom section that names the debug file:
//
//     (custom "external_debug_info"  [LEB128 length]["X.wasm.debug.wasm"])
//
//   The URL is relative to the module (`-sSEPARATE_DWARF_URL` may make it absolute).
//   The unstripped build a release was made from serves the same way.
// - A symbol map (`--emit-symbol-map`, see symbol-map.ts): names only.
//
// A debug module is taken only when its code section is byte for byte the module's
// and it has as many imported functions: DWARF addresses are offsets into the code
// section and names go by function index, so another build would give wrong frames
// without any error.

import { readModule, type ModuleInfo } from '../binary/module.js';
import { ByteReader, WasmFormatError } from '../binary/reader.js';
import { parseSymbolMap } from './symbol-map.js';

export const EXTERNAL_DEBUG_INFO = 'external_debug_info';

export type DebugFile =
  | { kind: 'module'; info: ModuleInfo; label: string }
  | { kind: 'symbol-map'; names: Map<number, string>; label: string };

/** The URL in the module's `external_debug_info` custom section, if it has one. */
export function externalDebugInfoUrl(info: ModuleInfo): string | undefined {
  const s = info.sections.find((x) => x.id === 0 && x.name === EXTERNAL_DEBUG_INFO);
  if (!s) return undefined;
  try {
    const r = new ByteReader(info.bytes, s.contentStart, s.end);
    r.name(); // the section's own name
    return r.name() || undefined;
  } catch (e) {
    if (e instanceof WasmFormatError) return undefined;
    throw e;
  }
}

/**
 * Where Emscripten puts a module's symbol map, relative to the module: beside it,
 * named after the module (`X.wasm.symbols`, standalone output) or after its JS glue
 * (`X.js.symbols`).
 */
export function symbolMapNames(moduleFile: string): string[] {
  const base = moduleFile.split(/[\\/]/).pop()!.split(/[?#]/)[0]!;
  if (!base.endsWith('.wasm')) return [];
  return [`${base}.symbols`, `${base.slice(0, -'.wasm'.length)}.js.symbols`];
}

/**
 * A debug module or a symbol map, told apart by the Wasm magic number. Throws, naming
 * `label`, when the input is neither.
 */
export function parseDebugFile(input: Uint8Array | string, label: string): DebugFile {
  if (typeof input !== 'string' && input.length >= 4 && input[0] === 0 && input[1] === 0x61 && input[2] === 0x73 && input[3] === 0x6d) {
    try {
      return { kind: 'module', info: readModule(input), label };
    } catch (e) {
      if (e instanceof WasmFormatError) throw new Error(`${label}: not a readable debug module: ${e.message}`);
      throw e;
    }
  }
  let text: string;
  try {
    text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw new Error(`${label}: neither a debug .wasm (no "\\0asm" magic number) nor a symbol map (not UTF-8 text)`);
  }
  return { kind: 'symbol-map', names: parseSymbolMap(text, label), label };
}

/**
 * Why a symbol map cannot be `main`'s, or undefined when it may be: it names functions
 * the module does not have. (A map of another module of the same size passes.)
 */
export function symbolMapMismatch(main: ModuleInfo, names: Map<number, string>): string | undefined {
  const last = Math.max(...names.keys());
  return last < main.functions.length ? undefined : `it names function ${last}, the module has ${main.functions.length}`;
}

/** Why `debug` is not the debug module of `main`, or undefined when it is. */
export function debugModuleMismatch(main: ModuleInfo, debug: ModuleInfo): string | undefined {
  const a = main.codeSection;
  const b = debug.codeSection;
  if (!b) return 'it has no code section to check against the module';
  if (!a) return 'the module has no code section';
  if (main.importedFunctionCount !== debug.importedFunctionCount) {
    return `it imports ${debug.importedFunctionCount} functions, the module ${main.importedFunctionCount}`;
  }
  const x = main.bytes.subarray(a.contentStart, a.end);
  const y = debug.bytes.subarray(b.contentStart, b.end);
  if (x.length !== y.length) return `its code section is ${y.length} bytes, the module's ${x.length}`;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `its code differs from the module's at code section byte ${i}`;
  return undefined;
}
