// The name a frame gives a function, from the first source that has one:
//
//   1. the module's name section;
//   2. the debug module's name section (Emscripten's -gseparate-dwarf keeps it there);
//   3. a symbol map (Emscripten's --emit-symbol-map);
//   4. the function's export name.
//
// Release builds from npm mostly ship without a name section, so 4 is often all there
// is: a real name for C and wasm-bindgen exports (`sqlite3_prepare_v2`), a minified one
// for Emscripten (`Ia`). Even `Ia` beats `wasm-function[412]`: it is what the JS glue
// calls, and a symbol map can be found for it later.

import type { ModuleInfo } from '../binary/module.js';

/** Where a name came from, in the order above. */
export type NameSource = 'name-section' | 'debug-module' | 'symbol-map' | 'export';

export class FunctionNames {
  readonly #names = new Map<number, { name: string; from: NameSource }>();

  constructor(info: ModuleInfo, more: { debug?: ModuleInfo; symbolMap?: Map<number, string> } = {}) {
    const add = (index: number, name: string | undefined, from: NameSource) => {
      if (name !== undefined && name !== '' && index < info.functions.length && !this.#names.has(index)) this.#names.set(index, { name, from });
    };
    for (const f of info.functions) add(f.index, f.name, 'name-section');
    for (const f of more.debug?.functions ?? []) add(f.index, f.name, 'debug-module');
    for (const [index, name] of more.symbolMap ?? []) add(index, name, 'symbol-map');
    for (const e of info.exports) if (e.kind === 0) add(e.index, e.name, 'export');
  }

  /** The function's name as its source gives it (mangled, when it is). */
  get(index: number): string | undefined {
    return this.#names.get(index)?.name;
  }

  lookup(index: number): { name: string; from: NameSource } | undefined {
    return this.#names.get(index);
  }
}
