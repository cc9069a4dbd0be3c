// Finding allocators through the JS glue that loads the module. Release builds
// minify export names (`Ia`, `__wbindgen_export_1`); only the glue knows which export
// is malloc. Two toolchains, two ways the glue says it:
//
// Emscripten assigns each C symbol it uses from the exports, in one of these forms:
//   Module["_malloc"] = Module["asm"]["z"]        (older, with Module["asm"])
//   _malloc = Module["_malloc"] = h.asm.I         (closure: h.asm.I)
//   _malloc = wasmExports["M"]                   (3.1.50+)
//   da = k._malloc = c.Ia                        (closure-compressed assignWasmExports)
// The export is the allocator the C/C++ code itself calls.
//
// wasm-bindgen passes its allocator exports to helpers by position:
//   passStringToWasm0(arg, wasm.__wbindgen_export_1, wasm.__wbindgen_export_2)   → malloc, realloc
//   passArray8ToWasm0(arg, wasm.__wbindgen_export_1)                             → malloc
//   wasm.__wbindgen_export_3(ptr, len, 1)                                        → free (ptr, size, align)
//
// A name the glue gives is only taken when the module has that export and its
// signature fits; the glue of another build of the same library cannot mislead it.

import type { ModuleInfo } from '../binary/module.js';
import { presetFor, specsOf, WASM_BINDGEN_FREE, WASM_BINDGEN_MALLOC, WASM_BINDGEN_REALLOC } from './by-name.js';
import { fits, type AllocatorMatch, type AllocSpec } from './specs.js';

export interface GlueFile {
  /** Where it came from, for the evidence (a file name). */
  name: string;
  text: string;
}

const IDENT = /[A-Za-z_$][\w$]*/y;
const WS = /\s*/y;

/** Reads `a.b["c"].d` at `pos`; returns its last property and where it ends. */
function memberExpression(text: string, pos: number): { last?: string; parts: number; end: number } | undefined {
  IDENT.lastIndex = pos;
  const head = IDENT.exec(text);
  if (!head) return undefined;
  let end = IDENT.lastIndex;
  let last: string | undefined;
  let parts = 1;
  for (;;) {
    if (text[end] === '.') {
      IDENT.lastIndex = end + 1;
      const m = IDENT.exec(text);
      if (!m) break;
      last = m[0];
      end = IDENT.lastIndex;
    } else if (text[end] === '[' && (text[end + 1] === '"' || text[end + 1] === "'")) {
      const q = text[end + 1]!;
      const close = text.indexOf(q, end + 2);
      if (close < 0 || text[close + 1] !== ']') break;
      last = text.slice(end + 2, close);
      end = close + 2;
    } else {
      break;
    }
    parts++;
  }
  return { last, parts, end };
}

const skipWs = (text: string, pos: number) => {
  WS.lastIndex = pos;
  WS.exec(text);
  return WS.lastIndex;
};

/**
 * The value an assignment chain starting at `pos` (just after an `=`) ends in:
 * `Module["_malloc"] = h.asm.I` → `I`. Undefined unless it ends in a member expression.
 */
function assignedProperty(text: string, pos: number): string | undefined {
  for (let hops = 0; hops < 4; hops++) {
    pos = skipWs(text, pos);
    while (text[pos] === '(') pos = skipWs(text, pos + 1);
    const m = memberExpression(text, pos);
    if (!m) return undefined;
    const after = skipWs(text, m.end);
    if (text[after] === '=' && text[after + 1] !== '=' && text[after + 1] !== '>') {
      pos = after + 1;
      continue;
    }
    return m.parts > 1 ? m.last : undefined;
  }
  return undefined;
}

/** `_malloc` and the other C allocator symbols, as Emscripten's glue names them. */
const EMSCRIPTEN_SYMBOL = /(?:^|[^\w$])_([A-Za-z_][\w$]*?)["']?\]?\s*=(?![=>])/g;

function emscriptenMappings(text: string): Array<{ symbol: string; exportName: string; snippet: string }> {
  const out: Array<{ symbol: string; exportName: string; snippet: string }> = [];
  for (const m of text.matchAll(EMSCRIPTEN_SYMBOL)) {
    const symbol = m[1]!;
    const rule = presetFor(symbol);
    if (!rule || rule.family !== 'c') continue;
    const start = m.index! + m[0].length;
    const exportName = assignedProperty(text, start);
    if (!exportName || exportName === `_${symbol}`) continue;
    const snippet = text.slice(m.index! + (m[0].startsWith('_') ? 0 : 1), Math.min(text.length, start + 40)).split(/[;,\n]/)[0]!.trim();
    out.push({ symbol, exportName, snippet });
  }
  return out;
}

const BINDGEN_PASS = /pass\w*ToWasm0\([^;]*?,\s*wasm\.([\w$]+)\s*(?:,\s*wasm\.([\w$]+)\s*)?\)/g;
const BINDGEN_FREE = /wasm\.(__wbindgen_export_\d+)\(\s*[\w$.]+\s*,\s*[\w$.]+(?:\s*\*\s*\d+)?\s*,\s*\d+\s*\)/g;

function bindgenMappings(text: string): Array<{ role: 'malloc' | 'realloc' | 'free'; exportName: string; snippet: string }> {
  const out: Array<{ role: 'malloc' | 'realloc' | 'free'; exportName: string; snippet: string }> = [];
  for (const m of text.matchAll(BINDGEN_PASS)) {
    const snippet = m[0].replace(/\(.*?,/, '(…,');
    out.push({ role: 'malloc', exportName: m[1]!, snippet });
    if (m[2]) out.push({ role: 'realloc', exportName: m[2], snippet });
  }
  for (const m of text.matchAll(BINDGEN_FREE)) out.push({ role: 'free', exportName: m[1]!, snippet: m[0] });
  return out;
}

const BINDGEN_SPECS: Record<'malloc' | 'realloc' | 'free', AllocSpec[]> = { malloc: WASM_BINDGEN_MALLOC, realloc: WASM_BINDGEN_REALLOC, free: WASM_BINDGEN_FREE };

/** What findByGlue reads from one file's text: its mappings of exports to allocators (none: it is not glue). */
export function glueMappings(text: string): { emscripten: ReturnType<typeof emscriptenMappings>; bindgen: ReturnType<typeof bindgenMappings> } {
  return { emscripten: emscriptenMappings(text), bindgen: bindgenMappings(text) };
}

/**
 * All that findByGlue reads from `glue`: each file's name and its mappings, in order.
 * Equal fingerprints find the same allocators in any module, so it is what a cache key
 * needs (the rest of a file's text, say app code that only fetches the module, is not).
 */
export function glueFingerprint(glue: readonly GlueFile[]): string {
  return JSON.stringify(glue.map((f) => [f.name, glueMappings(f.text)]));
}

export function findByGlue(info: ModuleInfo, glue: GlueFile[]): AllocatorMatch[] {
  const exports = new Map(info.exports.filter((e) => e.kind === 0).map((e) => [e.name, e.index]));
  const found = new Map<number, AllocatorMatch>();
  const take = (exportName: string, specs: AllocSpec[], family: string, detail: string) => {
    const index = exports.get(exportName);
    if (index === undefined || found.has(index)) return;
    const f = info.functions[index]!;
    const spec = specs.find((s) => fits(f, s));
    if (!spec) return;
    found.set(index, { func: f, matchedBy: exportName, family, spec, evidence: { finder: 'glue', detail } });
  };
  for (const file of glue) {
    for (const m of emscriptenMappings(file.text)) {
      take(m.exportName, specsOf(presetFor(m.symbol)!), 'c', `export ${m.exportName} is _${m.symbol} in ${file.name} ("${m.snippet}")`);
    }
    for (const m of bindgenMappings(file.text)) {
      take(m.exportName, BINDGEN_SPECS[m.role], 'wasm-bindgen', `export ${m.exportName} is wasm-bindgen's ${m.role} in ${file.name} ("${m.snippet}")`);
    }
  }
  return [...found.values()];
}
