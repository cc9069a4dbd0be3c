// Emscripten's symbol map (`--emit-symbol-map`): the names a minified release build
// dropped, one function a line, by function index (imports count first, as in the
// module's function index space):
//
//   0:fd_write
//   12:sqlite3_prepare_v2
//   13:_ZN7leak_rs4main17hf35b42fdce8cbe56E
//
// Written beside the output as `X.js.symbols` (or `X.wasm.symbols` for a standalone
// module). Names are as the linker saw them, mangled; frames demangle them.

/** Function index → name. Throws, naming the input and the first bad line, on text that is not a symbol map. */
export function parseSymbolMap(text: string, label = 'symbol map'): Map<number, string> {
  const names = new Map<number, string>();
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const m = /^(\d+):(.+)$/.exec(line);
    if (!m) {
      const shown = line.length > 40 ? `${line.slice(0, 40)}…` : line;
      throw new Error(`${label}: not a symbol map: line ${i + 1} (${JSON.stringify(shown)}) is not INDEX:NAME, as Emscripten's --emit-symbol-map writes; give a symbol map or a debug .wasm`);
    }
    names.set(Number(m[1]), m[2]!);
  }
  if (names.size === 0) throw new Error(`${label}: an empty symbol map (no INDEX:NAME line)`);
  return names;
}
